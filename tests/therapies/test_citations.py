"""A catalog source key reads as the citation of its entry in the sources table; nothing else
in brackets is guessed into a citation."""

import json
import re

from django.utils import translation

from therapies.catalog import DEFAULT_PATH, FRENCH_NAME
from therapies.citations import cite_sources, short_citation

KEY = re.compile(r"\[[A-Z0-9][A-Za-z0-9-]*\]")
CATALOG = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
FRENCH = json.loads(DEFAULT_PATH.with_name(FRENCH_NAME).read_text(encoding="utf-8"))


def test_every_regimen_reads_with_citations_only_in_both_languages():
    for therapy in CATALOG["therapies"]:
        french = FRENCH["therapies"][therapy["slug"]]["regimen_fr"]
        for language, text in (("en", therapy["regimen"]), ("fr", french)):
            with translation.override(language):
                cited = cite_sources(text)
            assert not KEY.search(cited), (therapy["slug"], language, cited)


def test_a_label_key_reads_as_the_label_and_its_revision_year():
    # PL-DOSE: the Proleukin label, revision 2024-12-20 (catalog.json "sources").
    text = "Reassess after a course [PL-DOSE]."
    with translation.override("en"):
        assert cite_sources(text) == "Reassess after a course (Proleukin label, 2024)."
    with translation.override("fr"):
        assert cite_sources(text).endswith("(notice de Proleukin, 2024).")


def test_a_label_without_a_confirmed_revision_reads_without_a_year():
    # KEV-LBL's revision_date is null ("not confirmed"): no year is made up.
    with translation.override("en"):
        assert short_citation("KEV-LBL") == "Kevzara label"


def test_a_key_not_in_the_table_is_left_as_written_never_guessed():
    # KEV-DOSE and MH were a pharmacy-style page and a secondary site: not in the table, so
    # not read as "Kevzara label" (its family) nor as a vague "catalog source".
    assert short_citation("KEV-DOSE") is None
    with translation.override("en"):
        assert cite_sources("Hold [KEV-DOSE].") == "Hold [KEV-DOSE]."
        assert cite_sources("Median 20 doses [MH][PL-DOSE].") == "Median 20 doses [MH][PL-DOSE]."
        # A clinician's own note in brackets stays the clinician's words.
        assert cite_sources("Day 1 [NB] as planned") == "Day 1 [NB] as planned"
