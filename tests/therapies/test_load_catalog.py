"""The loader: idempotent upserts, nothing deleted, and a broken file saves nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import ExpectedSideEffectFactory, TermFactory, TherapyFactory
from therapies.catalog import CatalogError, load_catalog, parse_catalog
from therapies.models import ExpectedSideEffect, SideEffectTerm, Therapy


def catalog_counts():
    return (
        SideEffectTerm.objects.count(),
        Therapy.objects.count(),
        ExpectedSideEffect.objects.count(),
    )


@pytest.mark.django_db
def test_loader_loads_all_ten_agents_and_the_whole_vocabulary(empty_catalog, catalog_data):
    summary = load_catalog()

    expected_rows = sum(len(t["expected"]) for t in catalog_data["therapies"])
    assert catalog_counts() == (len(catalog_data["terms"]), 10, expected_rows)
    assert summary["terms"] == {"created": len(catalog_data["terms"]), "updated": 0, "unchanged": 0}
    assert summary["therapies"]["created"] == 10
    assert summary["version"] == catalog_data["version"]


@pytest.mark.django_db
def test_loading_twice_gives_the_same_rows_and_changes_nothing(empty_catalog):
    load_catalog()
    first = catalog_counts()

    summary = load_catalog()

    assert catalog_counts() == first
    for name in ("terms", "therapies", "expected"):
        assert summary[name]["created"] == summary[name]["updated"] == 0
    assert summary["expected"]["unchanged"] == first[2]


@pytest.mark.django_db
def test_reload_restores_a_value_the_file_defines():
    SideEffectTerm.objects.filter(slug="nausea").update(label_fr="Mal au cœur")

    summary = load_catalog()

    assert summary["terms"]["updated"] == 1
    assert SideEffectTerm.objects.get(slug="nausea").label_fr == "Nausées"


@pytest.mark.django_db
def test_reload_keeps_an_administrators_choice_to_retire_a_therapy():
    Therapy.objects.filter(slug="oprelvekin").update(is_active=False)

    load_catalog()

    assert Therapy.objects.get(slug="oprelvekin").is_active is False


@pytest.mark.django_db
def test_rows_missing_from_the_file_are_kept_and_reported():
    hiccups = TermFactory(slug="hiccups", ctcae_term="Hiccups")
    TherapyFactory(slug="canakinumab")
    ExpectedSideEffectFactory(therapy=Therapy.objects.get(slug="anakinra"), term=hiccups)

    summary = load_catalog()

    assert summary["not_in_file"] == {
        "terms": ["hiccups"],
        "therapies": ["canakinumab"],
        "expected": ["anakinra/hiccups"],
    }
    assert ExpectedSideEffect.objects.filter(term__slug="hiccups").exists()
    assert Therapy.objects.filter(slug="canakinumab").exists()


@pytest.mark.django_db
def test_unknown_term_slug_raises_command_error_and_saves_nothing(
    empty_catalog, catalog_data, write_catalog
):
    catalog_data["therapies"][0]["expected"].append(
        {"term": "hiccups", "frequency_band": "common", "source": "PL-MN"}
    )

    with pytest.raises(CommandError, match="unknown term slug 'hiccups'"):
        call_command("load_catalog", str(write_catalog(catalog_data)))

    assert catalog_counts() == (0, 0, 0)


@pytest.mark.django_db
def test_broken_file_leaves_a_loaded_catalog_untouched(catalog_data, write_catalog):
    catalog_data["terms"][0]["label_en"] = "Queasiness"
    catalog_data["therapies"][0]["expected"][0]["term"] = "hiccups"

    with pytest.raises(CommandError):
        call_command("load_catalog", str(write_catalog(catalog_data)))

    assert SideEffectTerm.objects.get(slug="nausea").label_en == "Nausea"


@pytest.mark.django_db
def test_duplicate_ctcae_term_raises_command_error(catalog_data, write_catalog):
    catalog_data["terms"][1]["ctcae_term"] = catalog_data["terms"][0]["ctcae_term"]

    with pytest.raises(CommandError, match="duplicate ctcae_term 'Nausea'"):
        call_command("load_catalog", str(write_catalog(catalog_data)))


@pytest.mark.django_db
def test_conflict_with_the_database_rolls_back_everything(empty_catalog):
    TermFactory(slug="legacy_nausea", ctcae_term="Nausea")

    with pytest.raises(CatalogError, match="nausea"):
        load_catalog()

    assert catalog_counts() == (1, 0, 0)


@pytest.mark.django_db
def test_missing_file_raises_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_catalog", str(tmp_path / "nowhere.json"))


def test_unverified_entry_with_a_percentage_is_rejected(catalog_data):
    row = next(r for r in catalog_data["therapies"][0]["expected"] if r.get("unverified"))
    row["frequency_percent"] = 52

    with pytest.raises(CatalogError, match="marked unverified"):
        parse_catalog(catalog_data)


def test_band_that_contradicts_the_percentage_is_rejected(catalog_data):
    anakinra = next(t for t in catalog_data["therapies"] if t["slug"] == "anakinra")
    anakinra["expected"][0]["frequency_band"] = "common"  # 71% is very common

    with pytest.raises(CatalogError, match="contradicts frequency_percent"):
        parse_catalog(catalog_data)


def test_meddra_code_that_is_not_eight_digits_is_rejected(catalog_data):
    catalog_data["terms"][0]["meddra_code"] = "1002881"

    with pytest.raises(CatalogError, match="must be 8 digits"):
        parse_catalog(catalog_data)


def test_unknown_source_key_is_rejected(catalog_data):
    catalog_data["therapies"][0]["source"] = "PL-DOSE; WIKIPEDIA"

    with pytest.raises(CatalogError, match="'WIKIPEDIA' is not among the 'sources'"):
        parse_catalog(catalog_data)


def test_bundled_catalog_is_valid(catalog_data):
    catalog = parse_catalog(catalog_data)

    assert len(catalog["therapies"]) == 10


@pytest.mark.django_db
def test_load_catalog_command_prints_a_summary():
    out = StringIO()

    call_command("load_catalog", stdout=out)

    assert "Therapies: 10 (0 created, 0 updated, 10 unchanged)" in out.getvalue()


@pytest.mark.django_db
def test_load_catalog_command_is_silent_at_verbosity_zero():
    out = StringIO()

    call_command("load_catalog", verbosity=0, stdout=out)

    assert out.getvalue() == ""


# --- The shape of each entry (therapies/catalog_schema.py) -----------------------------------


def _therapy(catalog_data, slug):
    return next(t for t in catalog_data["therapies"] if t["slug"] == slug)


def _term(catalog_data, slug):
    return next(t for t in catalog_data["terms"] if t["slug"] == slug)


def _problems(catalog_data):
    with pytest.raises(CatalogError) as error:
        parse_catalog(catalog_data)
    return str(error.value)


def test_a_therapy_without_its_source_is_refused_by_name(catalog_data):
    del _therapy(catalog_data, "anakinra")["source"]

    assert "therapy 'anakinra': missing source." in _problems(catalog_data)


def test_an_expected_effect_without_its_source_is_refused_by_therapy_and_term(catalog_data):
    row = _therapy(catalog_data, "tocilizumab")["expected"][0]
    del row["source"]

    problems = _problems(catalog_data)
    assert f"therapy 'tocilizumab' expected '{row['term']}': missing source." in problems


@pytest.mark.parametrize("grade", ["3", 3.0, True, None])
def test_a_grade_that_is_not_a_whole_number_is_refused(catalog_data, grade):
    _term(catalog_data, "nausea")["ctcae_max_grade"] = grade

    problems = _problems(catalog_data)
    assert "term 'nausea': ctcae_max_grade must be a whole number." in problems
    assert "1 problem(s)" in problems


def test_unknown_keys_are_refused_by_entry(catalog_data):
    _therapy(catalog_data, "anakinra")["dosage"] = "100 mg"
    _term(catalog_data, "nausea")["ctcae_grade"] = 2
    _therapy(catalog_data, "tocilizumab")["expected"][0]["frequncy_percent"] = 12

    problems = _problems(catalog_data)
    assert "therapy 'anakinra': unknown key(s) dosage." in problems
    assert "term 'nausea': unknown key(s) ctcae_grade." in problems
    assert "unknown key(s) frequncy_percent." in problems
    assert "3 problem(s)" in problems


def test_a_percentage_given_as_text_is_refused(catalog_data):
    _therapy(catalog_data, "anakinra")["expected"][0]["frequency_percent"] = "71"

    assert "frequency_percent must be a number." in _problems(catalog_data)


def test_a_yes_no_key_given_as_a_number_is_refused(catalog_data):
    _therapy(catalog_data, "anakinra")["fever_escalation_risk"] = 1

    assert "therapy 'anakinra': fever_escalation_risk must be true or false." in _problems(
        catalog_data
    )


def test_the_top_level_needs_its_parts_and_nothing_else(catalog_data):
    del catalog_data["version"]
    catalog_data["therapy"] = []

    problems = _problems(catalog_data)
    assert "catalog: missing version." in problems
    assert "catalog: unknown key(s) therapy." in problems


@pytest.mark.django_db
def test_a_missing_source_through_the_command_saves_nothing(
    empty_catalog, catalog_data, write_catalog
):
    del _therapy(catalog_data, "anakinra")["source"]

    with pytest.raises(CommandError, match="therapy 'anakinra': missing source"):
        call_command("load_catalog", str(write_catalog(catalog_data)))

    assert catalog_counts() == (0, 0, 0)
