"""The catalog's French words (catalog_fr.json): a French clinician name for every term, a
French regimen for every therapy, loaded with the catalog and shown in the reader's language."""

import json
import re
import shutil

import pytest
from django.utils import translation

from therapies.catalog import DEFAULT_PATH, FRENCH_NAME, CatalogError, load_catalog
from therapies.models import SideEffectTerm, Therapy

FRENCH_PATH = DEFAULT_PATH.with_name(FRENCH_NAME)


def test_every_term_and_therapy_has_its_french_words(catalog_data):
    french = json.loads(FRENCH_PATH.read_text(encoding="utf-8"))
    assert set(french["terms"]) == {t["slug"] for t in catalog_data["terms"]}
    assert set(french["therapies"]) == {t["slug"] for t in catalog_data["therapies"]}
    assert all(item["ctcae_term_fr"].strip() for item in french["terms"].values())
    assert all(item["regimen_fr"].strip() for item in french["therapies"].values())


@pytest.mark.django_db
def test_loaded_names_follow_the_readers_language(empty_catalog):
    load_catalog()
    dyspnea = SideEffectTerm.objects.get(slug="shortness_of_breath")
    il2 = Therapy.objects.get(slug="aldesleukin-high-dose")
    with translation.override("fr"):
        # French CTCAE v5.0 wording (pending clinical review, README "Clinical content").
        assert dyspnea.clinical_name == "Dyspnée"
        assert SideEffectTerm.objects.get(slug="chills").clinical_name == "Frissons"
        assert il2.regimen_text.startswith("600 000 UI/kg (0,037 mg/kg) IV en 15 minutes")
    with translation.override("en"):
        assert dyspnea.clinical_name == "Dyspnea"
        assert il2.regimen_text.startswith("600,000 IU/kg (0.037 mg/kg) IV over 15 minutes")


@pytest.mark.django_db
def test_a_french_entry_for_an_unknown_slug_is_refused_and_nothing_saved(empty_catalog, tmp_path):
    shutil.copy(DEFAULT_PATH, tmp_path / "catalog.json")
    (tmp_path / FRENCH_NAME).write_text(
        json.dumps({"terms": {"not_a_term": {"ctcae_term_fr": "Rien"}}}), encoding="utf-8"
    )
    with pytest.raises(CatalogError, match="not_a_term"):
        load_catalog(tmp_path / "catalog.json")
    assert not SideEffectTerm.objects.exists()


@pytest.mark.django_db
def test_a_catalog_without_a_french_file_loads_with_english_names(empty_catalog, tmp_path):
    shutil.copy(DEFAULT_PATH, tmp_path / "catalog.json")
    load_catalog(tmp_path / "catalog.json")
    fever = SideEffectTerm.objects.get(slug="fever")
    with translation.override("fr"):
        assert fever.clinical_name == "Fever"


def test_every_fever_escalation_reason_has_its_french_words(catalog_data):
    # The reason is shown in a flag's sources: a French reader reads it in French, citing the
    # same source keys as the English one.
    french = json.loads(FRENCH_PATH.read_text(encoding="utf-8"))["therapies"]
    reasons = {
        t["slug"]: t["fever_escalation_source"]
        for t in catalog_data["therapies"]
        if t.get("fever_escalation_source")
    }
    assert set(reasons) == {"oprelvekin", "interleukin-12"}
    for slug, english in reasons.items():
        translated = french[slug]["fever_escalation_source_fr"]
        assert translated.strip() and translated != english
        assert re.findall(r"\[[^\]]+\]", translated) == re.findall(r"\[[^\]]+\]", english)


@pytest.mark.django_db
def test_a_french_reason_without_a_fever_risk_is_refused(empty_catalog, tmp_path):
    shutil.copy(DEFAULT_PATH, tmp_path / "catalog.json")
    french = json.loads(FRENCH_PATH.read_text(encoding="utf-8"))
    french["therapies"]["anakinra"]["fever_escalation_source_fr"] = "Une raison [ANA-AE]"
    (tmp_path / FRENCH_NAME).write_text(json.dumps(french), encoding="utf-8")
    with pytest.raises(CatalogError, match="anakinra"):
        load_catalog(tmp_path / "catalog.json")


def test_every_french_regimen_cites_the_same_sources_as_the_english_one(catalog_data):
    # The two texts say the same thing, so they cite the same keys in the same order; each key
    # is an entry of the sources table (issue 14: no pharmacy, slide deck or label copy).
    french = json.loads(FRENCH_PATH.read_text(encoding="utf-8"))["therapies"]
    key = re.compile(r"\[([A-Z0-9][A-Za-z0-9-]*)\]")
    for therapy in catalog_data["therapies"]:
        english = key.findall(therapy["regimen"])
        assert key.findall(french[therapy["slug"]]["regimen_fr"]) == english, therapy["slug"]
        assert set(english) <= set(catalog_data["sources"]), therapy["slug"]


def test_the_high_dose_il2_regimen_says_no_more_than_its_sources():
    # The "about 20 of 28 doses" median came only from a secondary web page, not a source the
    # catalog may cite: neither language says it.
    il2 = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))["therapies"]
    english = next(t for t in il2 if t["slug"] == "aldesleukin-high-dose")["regimen"]
    french = json.loads(FRENCH_PATH.read_text(encoding="utf-8"))["therapies"][
        "aldesleukin-high-dose"
    ]["regimen_fr"]
    assert french.endswith("au premier cycle [SCHW2001].")
    assert "median" not in english and "médiane" not in french
