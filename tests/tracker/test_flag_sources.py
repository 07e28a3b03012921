"""A flag keeps its sources by id (issue 14 §2): the rules name each citation by id, the flag
stores the ids, and pages, the PDF and the API word the ids in the reader's language. The
English text stays on the flag for audit; a flag raised before the ids were kept gets them
from its English text (migration 0020), and one whose text cannot be read is shown as before.
"""

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone, translation

from tests import factories
from tests.tracker import test_french_clinical_words as french
from therapies.citations import cite_sources
from therapies.models import Therapy
from tracker import rules, services, source_text
from tracker.models import Flag

pytestmark = pytest.mark.django_db

# A high-dose IL-2 course whose records raise flags of many rules, and a tocilizumab course.
flagged = french.flagged
at = french.at

backfill = importlib.import_module("tracker.migrations.0020_flag_sources_source_ids")

# The heart-rate red flag on high-dose IL-2 cites Dutcher 2014, Table 3 (sinus tachycardia
# > 130 bpm: absolute criterion); the confusion red flag cites the Proleukin boxed warning
# (neurologic toxicity) and the 2023 label's Table 2 (moderate confusion: withhold), derived.
DUTCHER_FR = "Dutcher et al., J Immunother Cancer 2014;2:26, tableau 3"
CONFUSION_IDS = [
    "proleukin_boxed_neurologic",
    "proleukin_2023_table_2",
    "moderate_confusion_withhold",
    "derived",
]


def test_the_rules_name_each_finding_s_sources_by_id():
    il2 = rules.TherapyProfile("Aldesleukin", rules.IL2_HIGH_DOSE, frozenset())
    confusion = rules.TermInfo("confusion", "Confusion", presence=True)
    evaluation = rules.evaluate_report(
        therapy=il2,
        answers=[rules.Answer(confusion, present=True)],
        measurements=rules.Measurements(heart_rate=138),
        baseline=rules.Baseline(),
        previous_grades={},
    )
    found = {f.rule: f for f in evaluation.findings}
    assert list(found["confusion_present"].source_ids) == CONFUSION_IDS
    assert list(found["heart_rate_above_130"].source_ids) == ["dutcher_2014_table_3"]
    # The English text, for audit, is the same citations.
    assert found["heart_rate_above_130"].source == (
        "Dutcher et al., J Immunother Cancer 2014;2:26, Table 3"
    )


def test_a_ctcae_term_is_cited_by_its_slug_and_the_catalogs_reason_as_written():
    neumega = rules.TherapyProfile(
        "Oprelvekin",
        "il11",
        frozenset({"fever"}),
        fever_escalation_risk=True,
        fever_escalation_source="Neumega label: neutropenic fever [NEU-AE]",
    )
    evaluation = rules.evaluate_visit(
        therapy=neumega,
        measurements=rules.Measurements(temperature_c=38.5),
        adverse_events=[],
        baseline=rules.Baseline(),
        previous_grades={},
    )
    found = {f.rule: f for f in evaluation.findings}
    assert list(found["fever_escalation_risk"].source_ids) == [
        "ctcae:febrile_neutropenia",
        "febrile_neutropenia_definition",
        "catalog:Neumega label: neutropenic fever [NEU-AE]",
        "derived",
    ]


def test_flags_store_the_ids_and_pages_word_them_not_the_english_text(flagged):
    heart = Flag.objects.get(rule="heart_rate_above_130")
    confusion = Flag.objects.get(rule="confusion_present")
    assert heart.source_ids == ["dutcher_2014_table_3"]
    assert confusion.source_ids == CONFUSION_IDS
    # The words come from the ids: a different English text does not change them.
    Flag.objects.filter(pk=heart.pk).update(source="Some other citation")
    heart = Flag.objects.get(pk=heart.pk)
    with translation.override("fr"):
        assert heart.source_label == DUTCHER_FR
    with translation.override("en"):
        assert heart.source_label == "Dutcher et al., J Immunother Cancer 2014;2:26, Table 3"


def test_in_english_the_ids_read_as_the_rules_english_text(flagged, clinician):
    oprelvekin = factories.CourseFactory(
        patient=flagged[0].patient,
        therapy=Therapy.objects.get(slug="oprelvekin"),
        start_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    services.record_visit(
        course=oprelvekin, by=clinician, recorded_at=at(1, 9), measurements={"temperature_c": 38.5}
    )
    flags = list(Flag.objects.all())
    assert any(any(i.startswith("catalog:") for i in f.source_ids) for f in flags)
    assert any(any(i.startswith("ctcae:") for i in f.source_ids) for f in flags)
    with translation.override("en"):
        for flag in flags:
            assert flag.source_ids, flag.rule
            assert flag.source_label == cite_sources(flag.source), flag.rule


def test_a_flag_without_ids_is_read_from_its_english_text(flagged):
    confusion = Flag.objects.get(rule="confusion_present")
    Flag.objects.filter(pk=confusion.pk).update(source_ids=[])
    confusion = Flag.objects.get(pk=confusion.pk)
    with translation.override("fr"):
        assert confusion.source_label.startswith("Avertissement encadré de Proleukin")
    # An id unknown here: the English text is read instead.
    Flag.objects.filter(pk=confusion.pk).update(source_ids=["retired_citation"])
    confusion = Flag.objects.get(pk=confusion.pk)
    with translation.override("fr"):
        assert confusion.source_label.startswith("Avertissement encadré de Proleukin")


def test_the_migration_gives_older_flags_the_ids_the_rules_give(flagged, clinician):
    oprelvekin = factories.CourseFactory(
        patient=flagged[0].patient,
        therapy=Therapy.objects.get(slug="oprelvekin"),
        start_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    services.record_visit(
        course=oprelvekin, by=clinician, recorded_at=at(1, 9), measurements={"temperature_c": 38.5}
    )
    given = dict(Flag.objects.values_list("pk", "source_ids"))
    assert len(given) >= 10
    Flag.objects.update(source_ids=[])
    Flag.history.update(source_ids=[])
    unreadable = Flag.objects.get(rule="heart_rate_above_130")
    Flag.objects.filter(pk=unreadable.pk).update(source="A citation the rules never wrote")

    backfill.fill_source_ids(apps, None)

    after = dict(Flag.objects.values_list("pk", "source_ids"))
    assert after.pop(unreadable.pk) == []  # shown from its text, as written
    assert after == {pk: ids for pk, ids in given.items() if pk != unreadable.pk}
    history = Flag.history.filter(rule="confusion_present").values_list("source_ids", flat=True)
    assert list(history) and all(ids == CONFUSION_IDS for ids in history)


@pytest.mark.parametrize(
    "text",
    [
        "NCI CTCAE v5.0 – Confusion; Home red-flag thresholds",  # the table, cut short
        "Dutcher et al., J Immunother Cancer 2014;2:26, Table 3; ",
        "",
    ],
)
def test_the_migration_reads_no_ids_from_text_it_does_not_know(text):
    assert backfill.ids_from_source(text, {"Confusion": "confusion"}) == []


def test_every_source_id_the_rules_give_has_words_for_people():
    assert set(source_text.CITATIONS) | {rules.NOTE_DERIVED} == set(rules.FLAG_SOURCES)


parts_backfill = importlib.import_module("tracker.migrations.0021_flag_sources_message_parts")


@pytest.mark.parametrize("batch", [2000, 3])  # one batch; several, some rows not read back
def test_flags_without_parts_get_them_back_from_their_english_explanation(
    flagged, batch, monkeypatch
):
    monkeypatch.setattr(parts_backfill, "BATCH", batch)
    given = {f.pk: (f.rule, f.message_parts) for f in Flag.objects.all()}
    with translation.override("fr"):
        french = {f.pk: f.message for f in Flag.objects.all()}
    assert {"composite_grade", "heart_rate_above_130", "fever_on_il6_blocker"} <= {
        rule for rule, _parts in given.values()
    }
    Flag.objects.update(message_parts=[])
    Flag.history.update(message_parts=[])

    parts_backfill.fill_message_parts(apps, None)

    for flag in Flag.objects.all():
        rule, parts = given[flag.pk]
        if rule == "possible_capillary_leak":  # not read back: reads from what it found
            assert flag.message_parts == []
            continue
        assert flag.message_parts == parts, rule
        with translation.override("fr"):
            assert flag.message == french[flag.pk], rule
    history = Flag.history.filter(rule="heart_rate_above_130")
    assert all(row.message_parts for row in history)


def test_an_explanation_not_read_whole_gives_no_parts():
    slugs = {"Fever": "fever"}
    assert parts_backfill.parts_from_message("Fever 38.6 °C is CTCAE grade 1.", slugs) == [
        {
            "key": "ctcae_measured",
            "params": {"term": "fever", "term_en": "Fever", "value": "38.6 °C", "grade": 1},
        }
    ]
    # One sentence no wording gives: no parts at all.
    message = "Fever 38.6 °C is CTCAE grade 1. Call the ward."
    assert parts_backfill.parts_from_message(message, slugs) == []
    assert parts_backfill.parts_from_message("Chills graded 2 by the clinician.", slugs) == []
