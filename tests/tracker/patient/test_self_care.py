"""Self-care advice on the answer page: the catalog's cited advice (therapies/data/self_care.json)
for each expected side effect just reported at a low grade (PRO-CTCAE composite grade 1, Basch
2021 tables in tracker.rules; or "yes" to a yes/no item that is not a red flag), never for a
higher grade, an unexpected symptom or a red flag, and never about doses."""

import json
import re

import pytest
from django.utils import translation

from therapies.catalog import DEFAULT_PATH, SELF_CARE_FILE, CatalogError, parse_self_care
from therapies.models import SelfCareAdvice

from .support import report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("care_team_open")]

NCI_NAUSEA = "https://www.cancer.gov/about-cancer/treatment/side-effects/nausea"


def answer(client, response):
    assert response.status_code == 302
    return client.get(response["Location"])


def advised(page):
    return {term.slug for term, _advice in page.context["tips"]}


# The course's therapy is anakinra: nausea, diarrhea, injection-site reactions are expected.


def test_nausea_at_composite_grade_1_shows_the_cited_advice(patient_client, course):
    # Frequency "Occasionally" (2) and severity "Mild" (1): composite 1 (Basch 2021).
    page = answer(
        patient_client,
        report(
            patient_client,
            course,
            "nausea",
            answers={"nausea-frequency": 2, "nausea-severity": 1},
        ),
    )
    assert advised(page) == {"nausea"}
    assert "Eat small meals or snacks often" in page.text
    assert f'href="{NCI_NAUSEA}"' in page.text
    assert "National Cancer Institute" in page.text


def test_nausea_at_composite_grade_2_has_no_advice(patient_client, course):
    # Frequency "Occasionally" (2) and severity "Moderate" (2): composite 2, the care team looks.
    page = answer(
        patient_client,
        report(
            patient_client,
            course,
            "nausea",
            answers={"nausea-frequency": 2, "nausea-severity": 2},
        ),
    )
    assert advised(page) == set()
    assert "Eat small meals or snacks often" not in page.text


def test_nausea_answered_never_has_no_advice(patient_client, course):
    page = answer(
        patient_client,
        report(patient_client, course, "nausea", answers={"nausea-frequency": 0}),
    )
    assert advised(page) == set()


def test_loose_stools_rarely_is_grade_1_and_frequently_is_grade_2(patient_client, course):
    # Diarrhoea is asked by frequency only: "Rarely" (1) -> 1, "Frequently" (3) -> 2.
    page = answer(
        patient_client,
        report(patient_client, course, "diarrhea", answers={"diarrhea-frequency": 1}),
    )
    assert advised(page) == {"diarrhea"}
    page = answer(
        patient_client,
        report(patient_client, course, "diarrhea", answers={"diarrhea-frequency": 3}),
    )
    assert advised(page) == set()


def test_a_yes_to_an_expected_injection_site_reaction_shows_advice(patient_client, course):
    page = answer(
        patient_client,
        report(
            patient_client,
            course,
            "injection_site_reaction",
            answers={"injection_site_reaction-present": "yes"},
        ),
    )
    assert advised(page) == {"injection_site_reaction"}
    assert "Use a different place for each injection" in page.text


def test_an_unexpected_symptom_at_grade_1_has_no_advice(patient_client, course):
    # Fatigue is not in anakinra's expected list: the care team decides, not a leaflet.
    page = answer(
        patient_client,
        report(
            patient_client,
            course,
            "fatigue",
            answers={"fatigue-severity": 1, "fatigue-interference": 0},
        ),
    )
    assert advised(page) == set()


def test_the_advice_is_in_french_for_a_french_reader(patient_client, course):
    with translation.override("fr"):
        response = report(
            patient_client,
            course,
            "nausea",
            answers={"nausea-frequency": 2, "nausea-severity": 1},
        )
    page = patient_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="fr")
    (advice,) = [a for _term, a in page.context["tips"]]
    with translation.override("fr"):
        assert advice.text.startswith("Mangez de petits repas")


# --- The catalog's file ---------------------------------------------------------------------


def test_every_advice_is_loaded_with_its_source():
    data = json.loads((DEFAULT_PATH.parent / SELF_CARE_FILE).read_text(encoding="utf-8"))
    loaded = {a.term.slug: a for a in SelfCareAdvice.objects.select_related("term")}
    assert set(loaded) == set(data["advice"])
    for slug, item in data["advice"].items():
        assert loaded[slug].text_en == item["en"] and loaded[slug].text_fr == item["fr"]
        assert loaded[slug].source == item["source"] and loaded[slug].url == item["url"]


def test_no_advice_for_a_red_flag_and_none_about_medicines_or_doses():
    data = json.loads((DEFAULT_PATH.parent / SELF_CARE_FILE).read_text(encoding="utf-8"))
    assert not {"bleeding", "confusion", "hallucinations"} & set(data["advice"])
    dosing = re.compile(r"\b(dose|doses|dosage|mg|tablet|pill|posologie|comprimé)\b", re.I)
    for item in data["advice"].values():
        assert not dosing.search(item["en"]) and not dosing.search(item["fr"])


def test_a_bad_self_care_file_is_refused_with_every_problem():
    data = {
        "advice": {
            "no_such_term": {"en": "x", "fr": "x", "source": "s", "url": "https://x.org"},
            "nausea": {"en": "x", "fr": "", "source": "s", "url": "https://x.org"},
            "vomiting": {"en": "x", "fr": "x", "source": "s", "url": "http://x.org"},
        }
    }
    with pytest.raises(CatalogError) as error:
        parse_self_care(data, {"nausea", "vomiting"})
    assert "3 problem(s)" in str(error.value)


def test_loading_the_catalog_again_leaves_the_advice_unchanged():
    from therapies.catalog import describe, load_catalog

    data = json.loads((DEFAULT_PATH.parent / SELF_CARE_FILE).read_text(encoding="utf-8"))
    summary = load_catalog()
    assert summary["self_care"] == {"created": 0, "updated": 0, "unchanged": len(data["advice"])}
    assert f"Self-care advice: {len(data['advice'])}" in describe(summary)


def test_edited_advice_is_updated_in_place(tmp_path):
    from therapies.catalog import load_catalog

    catalog = tmp_path / "catalog.json"
    catalog.write_text(DEFAULT_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    data = json.loads((DEFAULT_PATH.parent / SELF_CARE_FILE).read_text(encoding="utf-8"))
    data["advice"]["nausea"]["en"] = "Eat small meals."
    (tmp_path / SELF_CARE_FILE).write_text(json.dumps(data), encoding="utf-8")
    summary = load_catalog(catalog)
    assert summary["self_care"]["updated"] == 1
    assert SelfCareAdvice.objects.get(term__slug="nausea").text_en == "Eat small meals."
