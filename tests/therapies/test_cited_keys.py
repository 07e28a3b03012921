"""Every source key a catalog text cites ("[PL-DOSE]") is an entry of the catalog's sources
table (issue 14): the loader refuses a text citing any other key, naming the key and the field,
so a person always reads the citation the key stands for, never a guess."""

import json
import shutil

import pytest

from therapies.catalog import DEFAULT_PATH, FRENCH_NAME, CatalogError, load_catalog, parse_catalog
from therapies.models import Therapy

FRENCH_PATH = DEFAULT_PATH.with_name(FRENCH_NAME)


def therapy_data(catalog_data, slug):
    return next(t for t in catalog_data["therapies"] if t["slug"] == slug)


def test_a_regimen_citing_a_key_not_in_the_sources_table_is_refused(catalog_data):
    il2 = therapy_data(catalog_data, "aldesleukin-high-dose")
    # A secondary web page (reference/domain.md, "Sources"): never a source of the catalog.
    il2["regimen"] += " About 20 of 28 doses per course is the often-quoted median [MH]."
    with pytest.raises(
        CatalogError, match=r"therapy 'aldesleukin-high-dose': regimen cites 'MH', not in 'sources'"
    ):
        parse_catalog(catalog_data)


def test_each_unknown_key_is_named_with_its_field(catalog_data):
    sarilumab = therapy_data(catalog_data, "sarilumab")
    sarilumab["regimen"] = sarilumab["regimen"].replace("[KEV-LBL]", "[KEV-DOSE][KEV-HCP]")
    sarilumab["boxed_warnings"] = "Serious infections [KEV-BW]."
    sarilumab["expected"][0]["note"] = "From the advertisement [KEV-ALPHA]."
    term = sarilumab["expected"][0]["term"]
    with pytest.raises(CatalogError) as refused:
        parse_catalog(catalog_data)
    message = str(refused.value)
    for line in (
        "therapy 'sarilumab': regimen cites 'KEV-DOSE', not in 'sources'.",
        "therapy 'sarilumab': regimen cites 'KEV-HCP', not in 'sources'.",
        "therapy 'sarilumab': boxed_warnings cites 'KEV-BW', not in 'sources'.",
        f"therapy 'sarilumab': expected '{term}' note cites 'KEV-ALPHA', not in 'sources'.",
    ):
        assert line in message


def test_a_therapys_text_cites_a_label_or_a_paper_not_a_code_system(catalog_data):
    # CTCAE is in the table, for the vocabulary; a regimen's facts come from labels and papers.
    anakinra = therapy_data(catalog_data, "anakinra")
    anakinra["regimen"] = "RA: 100 mg SC once daily [CTCAE]."
    with pytest.raises(CatalogError, match="therapy 'anakinra': regimen cites 'CTCAE'"):
        parse_catalog(catalog_data)


def test_a_term_may_cite_ctcae_but_not_an_unknown_key(catalog_data):
    catalog_data["terms"][0]["mapping_note"] = "CTCAE v5.0 term [CTCAE]."
    parse_catalog(catalog_data)
    catalog_data["terms"][0]["mapping_note"] = "From a drug-information site [CTCAE-GEN]."
    slug = catalog_data["terms"][0]["slug"]
    with pytest.raises(CatalogError, match=f"term '{slug}': mapping_note cites 'CTCAE-GEN'"):
        parse_catalog(catalog_data)


def test_a_bracketed_remark_is_not_a_key(catalog_data):
    # "[derived]" marks a note's reasoning (lower case): not a source key, not refused.
    therapy_data(catalog_data, "anakinra")["expected"][0]["note"] = "[derived] From the label."
    parse_catalog(catalog_data)


@pytest.mark.django_db
def test_a_french_regimen_citing_a_key_not_in_the_table_is_refused_and_nothing_saved(
    tmp_path,
):
    shutil.copy(DEFAULT_PATH, tmp_path / "catalog.json")
    french = json.loads(FRENCH_PATH.read_text(encoding="utf-8"))
    saved = Therapy.objects.get(slug="secukinumab").regimen_fr
    french["therapies"]["secukinumab"]["regimen_fr"] = "Psoriasis : 300 mg SC [COS-DOSE]."
    (tmp_path / FRENCH_NAME).write_text(json.dumps(french), encoding="utf-8")
    with pytest.raises(
        CatalogError,
        match=f"{FRENCH_NAME}: therapy 'secukinumab': regimen_fr cites 'COS-DOSE', not in",
    ):
        load_catalog(tmp_path / "catalog.json")
    assert Therapy.objects.get(slug="secukinumab").regimen_fr == saved


@pytest.mark.django_db
def test_the_bundled_files_cite_only_keys_of_the_sources_table():
    # Both files as shipped: every text (English and French) passes the check above.
    catalog = parse_catalog(json.loads(DEFAULT_PATH.read_text(encoding="utf-8")))
    assert catalog["fact_keys"]
    load_catalog()  # reads catalog_fr.json too; raises CatalogError on any unknown key
