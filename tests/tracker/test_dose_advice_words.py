"""The high-dose IL-2 dose advice reads in its reader's language: the same advice reads in French
for a French nurse and in English for an English one, on the course page, the visit page, the
PDF and the API; a French page shows no English criterion sentence and no internal id (issue:
clinical words in the reader's language, §2).

The visit below meets criteria whose thresholds and citations come from the sources: systolic
BP < 90 mmHg withholds (Proleukin label 2023, Table 2); sinus tachycardia 100-130 bpm and
platelets 30-50 ×10⁹/L are relative criteria, atrial fibrillation is absolute (Dutcher et al.
2014, Table 3; the label only withholds: the more cautious is followed).
"""

import datetime
import importlib
import io
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from tests import factories
from therapies.models import SideEffectTerm, Therapy
from tracker import advice_text, services
from tracker.exports import pdf
from tracker.models import DoseStatus, Visit
from tracker.summary import build_summary

pytestmark = pytest.mark.django_db

DUTCHER = "Dutcher et al., J Immunother Cancer 2014;2:26, Table 3"
DUTCHER_FR = "Dutcher et al., J Immunother Cancer 2014;2:26, tableau 3"

# What an English reader reads (the criteria met, in the rules' order).
ENGLISH_MET = [
    "Systolic BP 84 mmHg < 90 mmHg: withhold (Proleukin label 2023, Table 2)",
    f"Heart rate 110 bpm in 100–130 bpm: relative criterion ({DUTCHER})",
    "Atrial fibrillation CTCAE grade 2: absolute criterion (Proleukin label 2023, Table 2 "
    f"withholds for AF/SVT; {DUTCHER} and SpringerPlus 2015, Table 1 stop: the more cautious is "
    "followed)",
    f"Platelets 40 ×10⁹/L in 30–50 ×10⁹/L: relative criterion ({DUTCHER})",
]
ENGLISH_NOT_ASSESSED = [
    "Vasopressors: not recorded in the last 8 h",
    "Oxygen flow: not recorded in the last 8 h",
    "Creatinine: no result in the last 24 h",
    "Bilirubin: not recorded in the app; record an increase as an adverse event",
    "Bicarbonate (HCO₃ ≤ 18 mEq/L stops): not recorded in the app",
    "Stool occult blood test (positive withholds): not recorded in the app",
    "Skin (moist desquamation stops): not recorded in the app",
]
ENGLISH_CHECKED = [
    "Urine output 420 mL in 8 h",
    "Weight gain 1.3 % over baseline",
    "SpO₂ 97 %",
    "Mental status normal",
]
# What a French nurse reads instead.
FRENCH_MET = [
    "PA systolique de 84 mmHg < 90 mmHg : suspension (Notice de Proleukin 2023, tableau 2)",
    f"Fréquence cardiaque de 110 bpm, entre 100 et 130 bpm : critère relatif ({DUTCHER_FR})",
    f"Plaquettes à 40 ×10⁹/L, entre 30 et 50 ×10⁹/L : critère relatif ({DUTCHER_FR})",
]
FRENCH_NOT_ASSESSED = [
    "Vasopresseurs : non enregistré dans les dernières 8 h",
    "Créatinine : aucun résultat dans les dernières 24 h",
    "Bicarbonates (arrêt si HCO₃ ≤ 18 mEq/L) : non enregistré dans l’application",
]
# English words of the advice that no French advice shows.
ENGLISH_WORDS = [
    "withhold",
    "relative criterion",
    "absolute criterion",
    "not recorded",
    "Systolic BP",
    "Heart rate",
    "Platelets",
    "CTCAE grade",
    "Table ",
    "label 2023",
    "the more cautious",
    "over baseline",
    "in the app",
]


@pytest.fixture
def advised(patient, clinician):
    """A high-dose IL-2 course (baseline 78 kg) with a visit an hour ago meeting four criteria."""
    course = factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="aldesleukin-high-dose"),
        start_date=timezone.localdate() - datetime.timedelta(days=1),
        baseline_weight_kg=Decimal("78.0"),
    )
    visit = services.record_visit(
        course=course,
        by=clinician,
        recorded_at=timezone.now() - datetime.timedelta(hours=1),
        measurements={
            "systolic_bp": 84,
            "diastolic_bp": 50,
            "heart_rate": 110,
            "spo2": Decimal("97"),
            "weight_kg": Decimal("79.0"),
            "urine_output_ml_8h": 420,
            "platelets_10e9_per_l": Decimal("40"),
        },
        adverse_events=[
            services.AdverseEventEntry(
                term=SideEffectTerm.objects.get(slug="atrial_fibrillation"), grade=2
            )
        ],
        assessment={"mental_status": "normal"},
    ).visit
    return course, visit


def fibrillation_fr():
    return SideEffectTerm.objects.get(slug="atrial_fibrillation").ctcae_term_fr


def visible(html: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text).replace("&lt;", "<").replace("&#x27;", "'")


def advice_section(html: str) -> str:
    match = re.search(r'<section [^>]*id="dose-advice".*?</section>', html, flags=re.S)
    assert match, "no dose advice on the page"
    return visible(match.group(0))


def pdf_text(course, clinician, language) -> str:
    with translation.override(language):
        context = pdf.document_context(build_summary(course), printed_by=clinician)
        body = pdf.render_pdf(context, language=language)
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def internal_ids(advice: dict) -> set[str]:
    """The ids the stored advice names (criteria, wordings, sources): never shown to a person."""
    ids = set()
    for name in ("criteria", "checked", "not_assessed"):
        for part in advice[name]:
            ids |= {part["criterion"], part["key"], *part["sources"]}
    return {i for i in ids if "_" in i}


def assert_french(text: str, advice: dict, where: str):
    with translation.override("en"):
        english = [
            advice_text.item_text(part)
            for name in ("criteria", "checked", "not_assessed")
            for part in advice[name]
        ]
    for sentence in english:
        assert sentence not in text, f"English {sentence!r} on {where}"
    ids = internal_ids(advice)
    assert {"systolic_bp_below", "dutcher_2014_table_3", "heart_rhythm"} <= ids
    for internal in ids:
        assert internal not in text, f"internal id {internal!r} on {where}"


def test_the_visit_stores_the_advice_as_parts_not_sentences(advised):
    course, visit = advised
    advice = Visit.objects.get(pk=visit.pk).dose_advice
    assert advice["decision"] == "discontinue"
    first = advice["criteria"][0]
    assert first == {
        "criterion": "systolic_bp",
        "key": "systolic_bp_below",
        "kind": "withhold",
        "params": {"value": 84, "threshold": 90, "unit": "mmHg"},
        "sources": ["proleukin_2023_table_2"],
        "window_hours": None,
    }
    creatinine = next(p for p in advice["not_assessed"] if p["criterion"] == "creatinine")
    assert creatinine["window_hours"] == 24  # labs count for a day


def test_the_same_advice_reads_in_each_readers_language(advised):
    course, visit = advised
    advice = Visit.objects.get(pk=visit.pk).dose_advice
    with translation.override("en"):
        english = advice_text.localized(advice)
    assert english["criteria"] == ENGLISH_MET
    assert set(ENGLISH_NOT_ASSESSED) == set(english["not_assessed"])
    assert set(ENGLISH_CHECKED) <= set(english["checked"])
    with translation.override("fr"):
        french = advice_text.localized(advice)
    assert set(FRENCH_MET) <= set(french["criteria"])
    assert set(FRENCH_NOT_ASSESSED) <= set(french["not_assessed"])
    assert french["criteria"][2].startswith(f"{fibrillation_fr()}, grade CTCAE 2 : critère absolu")
    # The parts stay as stored, whatever the language.
    assert french["parts"]["criteria"] == english["parts"]["criteria"] == advice["criteria"]


@pytest.mark.parametrize("where", ["course-detail", "visit-detail"])
def test_the_course_page_and_the_visit_answer_read_in_each_readers_language(
    advised, client, clinician, where
):
    course, visit = advised
    client.force_login(clinician)
    url = reverse(f"tracker:{where}", args=[course.pk if where == "course-detail" else visit.pk])
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    section = advice_section(french)
    for sentence in FRENCH_MET + FRENCH_NOT_ASSESSED:
        assert sentence in section, sentence
    for word in ENGLISH_WORDS:
        assert word not in section, f"English {word!r} in the French dose advice on {where}"
    stored = Visit.objects.get(pk=visit.pk).dose_advice
    assert_french(visible(french), stored, f"the French {where}")

    english = advice_section(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    for sentence in ENGLISH_MET + ENGLISH_NOT_ASSESSED:
        assert sentence in english, sentence


def test_the_pdf_reads_in_each_readers_language(advised, clinician):
    course, visit = advised
    french = pdf_text(course, clinician, "fr")
    for sentence in FRENCH_MET[:1] + FRENCH_NOT_ASSESSED[:2]:
        assert sentence in french, sentence
    assert f"{fibrillation_fr()}, grade CTCAE 2 : critère absolu" in french
    for word in ("withhold", "relative criterion", "absolute criterion", "not recorded"):
        assert word not in french, f"English {word!r} in the French PDF"
    # The advice is judged now on an active course: its lines are those of the visit.
    assert_french(french, Visit.objects.get(pk=visit.pk).dose_advice, "the French PDF")

    english = pdf_text(course, clinician, "en")
    assert ENGLISH_MET[0] in english
    assert "Creatinine: no result in the last 24 h" in english


def test_the_api_words_the_advice_in_the_requesters_language(advised, clinician):
    course, visit = advised
    api = APIClient()
    api.force_authenticate(clinician)
    url = f"/api/v1/courses/{course.pk}/visits/"
    french = api.get(url, HTTP_ACCEPT_LANGUAGE="fr").json()
    english = api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    rows = french["results"] if isinstance(french, dict) else french
    rows_en = english["results"] if isinstance(english, dict) else english
    advice_fr = next(v for v in rows if v["id"] == str(visit.pk))["dose_advice"]
    advice_en = next(v for v in rows_en if v["id"] == str(visit.pk))["dose_advice"]
    assert set(FRENCH_MET) <= set(advice_fr["criteria"])
    assert advice_en["criteria"] == ENGLISH_MET
    assert set(FRENCH_NOT_ASSESSED) <= set(advice_fr["not_assessed"])
    # The structured fields stay, the same in both languages.
    for advice in (advice_fr, advice_en):
        assert advice["decision"] == "discontinue"
        assert advice["permanent"] is True
        assert advice["parts"]["criteria"][0]["params"] == {
            "value": 84,
            "threshold": 90,
            "unit": "mmHg",
        }
        assert advice["parts"]["criteria"][0]["sources"] == ["proleukin_2023_table_2"]
    assert advice_fr["parts"] == advice_en["parts"]


def test_the_dose_answer_words_the_advice_in_the_requesters_language(advised, clinician):
    course, visit = advised
    api = APIClient()
    api.force_authenticate(clinician)
    response = api.post(
        f"/api/v1/courses/{course.pk}/doses/",
        {
            "scheduled_for": (timezone.now() - datetime.timedelta(minutes=30)).isoformat(),
            "status": DoseStatus.HELD,
            "reason": "SBP 84",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 201, response.json()
    advice = response.json()["dose_advice"]
    assert advice["decision"] == "discontinue"
    assert set(FRENCH_MET) <= set(advice["criteria"])
    assert not any(word in " ".join(advice["criteria"]) for word in ENGLISH_WORDS)
    # Discontinued at the visit: it stands (Proleukin label 2023, Table 2), and says so first.
    assert advice["parts"]["criteria"][0]["key"] == "still_discontinued"
    assert advice["criteria"][0].startswith(
        "Le traitement a été arrêté lors d’une évaluation antérieure"
    )
    assert "systolic_bp" in [part["criterion"] for part in advice["parts"]["criteria"]]


def test_every_criterion_has_a_name_in_both_languages():
    same_in_french = {"SpO₂", "Infection"}  # the same word in both languages
    for criterion, name in advice_text.CRITERION_NAMES.items():
        with translation.override("en"):
            english = str(name)
        with translation.override("fr"):
            french = str(name)
        assert english and french, criterion
        assert "_" not in english and "_" not in french, criterion
        if english not in same_in_french:
            assert french != english, f"{criterion} has no French name"


# --- Advice stored as English sentences before (migration 0018) ---------------------------------


def test_advice_stored_in_english_is_read_back_as_parts_and_reads_in_french(
    advised, client, clinician
):
    course, visit = advised
    parts = Visit.objects.get(pk=visit.pk).dose_advice
    legacy = {
        **parts,
        "criteria": ENGLISH_MET,
        "checked": [
            "Systolic BP 84 mmHg",  # not what this visit checked: read back all the same
            *ENGLISH_CHECKED,
        ],
        "not_assessed": ENGLISH_NOT_ASSESSED,
    }
    Visit.objects.filter(pk=visit.pk).update(dose_advice=legacy)
    migration = importlib.import_module("tracker.migrations.0018_advice_words_dose_advice_parts")
    migration._convert(apps, None)

    converted = Visit.objects.get(pk=visit.pk).dose_advice
    assert converted["criteria"] == parts["criteria"]
    assert sorted(converted["not_assessed"], key=str) == sorted(parts["not_assessed"], key=str)
    assert converted["checked"][0] == {
        "criterion": "systolic_bp",
        "key": "systolic_bp",
        "kind": None,
        "params": {"value": 84, "unit": "mmHg"},
        "sources": [],
        "window_hours": None,
    }
    client.force_login(clinician)
    page = client.get(reverse("tracker:visit-detail", args=[visit.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    section = advice_section(page.content.decode())
    for sentence in FRENCH_MET:
        assert sentence in section, sentence
    assert "PA systolique de 84 mmHg" in section


def test_a_stored_line_that_cannot_be_read_back_is_kept_as_it_was(advised):
    course, visit = advised
    advice = {**visit.dose_advice, "criteria": ["A sentence from an older version"]}
    Visit.objects.filter(pk=visit.pk).update(dose_advice=advice)
    migration = importlib.import_module("tracker.migrations.0018_advice_words_dose_advice_parts")
    migration._convert(apps, None)
    stored = Visit.objects.get(pk=visit.pk).dose_advice["criteria"][0]
    assert stored["key"] == "as_recorded"
    assert advice_text.item_text(stored) == "A sentence from an older version"


# --- Every line the rules can write has words in both languages ---------------------------------


def _every_line():
    """The lines of advice on many assessments: each criterion past and within its thresholds
    (Dutcher 2014, Table 3; Proleukin 2023, Table 2), each event term at each grade, held doses,
    a discontinuation that stands and an override."""
    from tests.rules.support import ALDESLEUKIN, adverse_event
    from tracker import rules

    at = datetime.datetime(2026, 12, 6, 10, tzinfo=datetime.UTC)
    normal = {
        "systolic_bp": 118,
        "heart_rate": 88,
        "spo2": 97.0,
        "urine_output_ml_8h": 400.0,
        "weight_kg": 101.0,
    }
    extra = {
        "vasopressor",
        "vasopressor_dose_ug_kg_min",
        "oxygen_l_min",
        "heart_rate_persists_after_correction",
    }

    def judge(values=None, events=(), mind="normal", held=(), overrides=(), earlier=()):
        values = {**normal, **(values or {})}
        visit = rules.Assessment(
            at=at,
            measurements=rules.Measurements(**{k: v for k, v in values.items() if k not in extra}),
            adverse_events=tuple(events),
            mental_status=mind,
            **{k: v for k, v in values.items() if k in extra},
        )
        return rules.dose_advice(
            therapy=ALDESLEUKIN,
            baseline=rules.Baseline(weight_kg=100.0),
            assessments=[*earlier, visit],
            held_doses=list(held),
            overrides=list(overrides),
            at=at,
        )

    hour = datetime.timedelta(hours=1)
    advices = [
        judge({"systolic_bp": 85, "spo2": 88.0, "heart_rate": 110}),
        judge({"heart_rate": 131, "heart_rate_persists_after_correction": True}),
        judge({"heart_rate": 131, "heart_rate_persists_after_correction": False}),
        judge({"heart_rate": 131}),
        judge({"urine_output_ml_8h": 60.0, "creatinine_mg_dl": 3.0, "platelets_10e9_per_l": 20}),
        judge({"urine_output_ml_8h": 120.0, "creatinine_mg_dl": 2.6, "weight_kg": 116.0}),
        judge({"creatinine_mg_dl": 1.0, "platelets_10e9_per_l": 40.0, "oxygen_l_min": 5.0}),
        judge({"platelets_10e9_per_l": 140.0, "oxygen_l_min": 3.0}),
        judge({"oxygen_l_min": 2.0, "vasopressor": "none"}),
        judge({"vasopressor": "norepinephrine"}),
        judge({"vasopressor": "phenylephrine", "vasopressor_dose_ug_kg_min": 0.5}),
        judge({"heart_rate": 110}, held=[at - 16 * hour, at - 8 * hour]),
        judge(held=[at - 24 * hour, at - 16 * hour, at - 8 * hour]),
        judge(mind="changed"),
        judge({"weight_kg": None}, events=[adverse_event("somnolence", 1)], mind=None),
        judge(
            earlier=[rules.Assessment(at=at - 16 * hour, mental_status="changed")],
            overrides=[rules.Override(at=at - 12 * hour, by="Dr Martin", reason="Resolved")],
        ),
        judge(earlier=[judge_stop := rules.Assessment(at=at - 16 * hour, oxygen_l_min=6.0)]),
        rules.dose_advice(
            therapy=ALDESLEUKIN,
            baseline=rules.Baseline(),
            assessments=[judge_stop],
            at=at,
        ),
    ]
    slugs = {
        "hypotension",
        "hypoxia",
        "shortness_of_breath",
        "hallucinations",
        "confusion",
        "agitation",
        "somnolence",
        "oliguria",
        "acute_kidney_injury",
        "platelets_decreased",
        "weight_gain",
        "bilirubin_increased",
        "bleeding",
        "sepsis",
        *rules.IL2_ARRHYTHMIA_TERMS,
    }
    for slug in slugs:
        for grade in range(1, 5):
            advices.append(judge(events=[adverse_event(slug, grade)]))
    return [
        item.as_json()
        for advice in advices
        for item in (*advice.criteria, *advice.checked, *advice.not_assessed)
    ]


def test_every_line_the_rules_write_reads_in_both_languages():
    lines = _every_line()
    keys = {line["key"] for line in lines}
    # Every wording is reachable, and every line the rules write has a wording.
    assert keys == (set(advice_text.WHAT) | set(advice_text.COURSE) | set(advice_text.MISSING)), (
        "a wording without a rule, or a rule without a wording"
    )
    for line in lines:
        assert line["criterion"] in advice_text.CRITERION_NAMES, line
        for source in line["sources"]:
            assert source in {*advice_text.SOURCES, "arrhythmia_more_cautious", "derived"}
        with translation.override("en"):
            english = advice_text.item_text(line)
        with translation.override("fr"):
            french = advice_text.item_text(line)
        assert french != english, f"{line['key']} reads the same in French: {english!r}"
        for word in ("withhold", "criterion", "not recorded", "Table", "over baseline"):
            assert word not in french, f"English {word!r} in {french!r}"
        for internal in (line["key"], line["criterion"], *line["sources"]):
            # ("infection" is a French word too: the ids people would not read have a "_")
            assert "_" not in internal or internal not in french, internal
        # What was stored as English before reads back as the same parts.
        with translation.override("en"):
            slugs = {line["params"].get("term_en"): line["params"].get("term")}
            assert advice_text.from_english(english, slugs)["key"] == line["key"], english


def test_a_visits_history_shows_its_earlier_advice_in_the_readers_language(
    advised, client, clinician
):
    course, visit = advised
    # A corrected blood pressure: the visit's advice is judged again, the earlier one kept.
    services.correct_record(record=visit, by=clinician, changes={"systolic_bp": 120}, reason="Typo")
    client.force_login(clinician)
    url = reverse("tracker:record-history", kwargs={"kind": "visit", "pk": visit.pk})
    french = visible(client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "Arrêter le traitement; " + FRENCH_MET[0] in french
    for sentence in ENGLISH_MET:
        assert sentence not in french
    assert "systolic_bp_below" not in french
    english = visible(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "Discontinue the course; " + ENGLISH_MET[0] in english
