"""The observation CSV read back as a spreadsheet or R would read it."""

import csv
import io

import pytest
from django.urls import reverse

from tracker import services
from tracker.exports import tabular
from tracker.summary import build_summary

from .conftest import add_report

pytestmark = pytest.mark.django_db


def export(course, *, pseudonymised=False):
    text = "".join(
        tabular.csv_chunks(
            tabular.observation_table([build_summary(course)], pseudonymised=pseudonymised)
        )
    )
    return text


def rows(course, **kwargs):
    text = export(course, **kwargs)
    return list(csv.DictReader(io.StringIO(text.removeprefix(tabular.BOM))))


def test_csv_starts_with_a_byte_order_mark(filled_course):
    assert export(filled_course).encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_header_names_every_identified_column(filled_course):
    text = export(filled_course).removeprefix(tabular.BOM)
    header = next(csv.reader(io.StringIO(text)))
    assert header == [c.name for c in tabular.columns_for(pseudonymised=False)]
    assert {"course_id", "mrn", "observed_at", "kind", "term", "ctcae_term", "meddra_code"} <= set(
        header
    )


def test_each_graded_answer_is_a_row_with_its_composite_grade(filled_course):
    chills = [r for r in rows(filled_course) if r["kind"] == "symptom" and r["term"] == "chills"]
    assert len(chills) == 1
    row = chills[0]
    assert row["ctcae_term"] == "Chills"
    assert row["meddra_code"] == "10008531"
    assert (row["frequency"], row["severity"], row["grade"]) == ("3", "2", "2")
    assert row["grade_scale"] == "pro_ctcae_composite"
    assert row["expected"] == "true"
    assert row["source"] == "report"
    assert row["reporter"] == "patient"
    assert row["flag_level"] == "review"


def test_yes_no_answer_is_a_row_with_yes_or_no(filled_course):
    (row,) = [r for r in rows(filled_course) if r["kind"] == "symptom_presence"]
    assert (row["term"], row["value"], row["grade"]) == ("bleeding", "no", "")


def test_each_adverse_event_is_a_row_with_its_ctcae_grade(filled_course):
    events = {r["term"]: r for r in rows(filled_course) if r["kind"] == "adverse_event"}
    assert set(events) == {"chills", "hypotension"}
    hypotension = events["hypotension"]
    assert (hypotension["grade"], hypotension["grade_scale"]) == ("3", "ctcae_v5")
    assert hypotension["action"] == "dose_held"
    assert hypotension["attribution"] == "possible"
    assert hypotension["source"] == "visit"


def test_graded_measurement_carries_its_value_unit_and_grade(filled_course):
    graded = {r["term"]: r for r in rows(filled_course) if r["kind"] == "graded_measurement"}
    assert graded["fever"]["value"] == "38.6"
    assert graded["fever"]["unit"] == "Cel"
    assert graded["fever"]["grade"] == "1"
    assert graded["platelets_decreased"]["value"] == "62.0"
    assert graded["platelets_decreased"]["unit"] == "10*9/L"
    assert graded["platelets_decreased"]["grade"] == "2"


def test_raw_vitals_and_labs_are_rows_with_loinc_and_ucum(filled_course):
    measured = {
        r["term"]: r
        for r in rows(filled_course)
        if r["kind"] in ("vital_sign", "laboratory")
        if r["source"] == "visit"
    }
    assert (measured["systolic_bp"]["value"], measured["systolic_bp"]["unit"]) == ("88", "mm[Hg]")
    assert measured["systolic_bp"]["loinc_code"] == "8480-6"
    assert measured["heart_rate"]["loinc_code"] == "8867-4"
    assert measured["weight_kg"]["unit"] == "kg"
    assert measured["creatinine_mg_dl"]["kind"] == "laboratory"
    assert measured["creatinine_mg_dl"]["loinc_code"] == "2160-0"


def test_pattern_flag_without_a_grade_is_an_alert_row(filled_course):
    (alert,) = [r for r in rows(filled_course) if r["kind"] == "alert"]
    assert alert["term"] == "capillary_leak"
    assert (alert["flag_level"], alert["flag_status"]) == ("urgent", "acknowledged")


def test_doses_given_and_held_are_rows(filled_course):
    doses = [r for r in rows(filled_course) if r["kind"].startswith("dose_")]
    assert [r["kind"] for r in doses] == ["dose_given", "dose_given", "dose_held"]
    assert doses[0]["value"] == "2.886"
    assert doses[2]["comment"] == "Held per protocol: SBP 88 mmHg."


def test_rows_are_in_time_order_with_iso_timestamps(filled_course):
    observed = [r["observed_at"] for r in rows(filled_course)]
    assert observed == sorted(observed)
    assert observed[0] == "2026-03-02T08:15:00+01:00"  # Europe/Paris in March


def test_day_of_course_counts_from_the_start_date(filled_course):
    # Regimens number the start date (first dose) day 1 (Proleukin label: "days 1 to 5"); the
    # visit is the day after the start date: day 2.
    visit_rows = [r for r in rows(filled_course) if r["source"] == "visit"]
    assert {r["day_of_course"] for r in visit_rows} == {"2"}
    report_rows = [r for r in rows(filled_course) if r["source"] == "report"]
    assert "1" in {r["day_of_course"] for r in report_rows}  # the start date itself


def test_every_row_names_the_course_and_the_patient(filled_course):
    patient = filled_course.patient
    for row in rows(filled_course):
        assert row["course_id"] == str(filled_course.pk)
        assert row["mrn"] == patient.mrn
        assert row["therapy"] == "aldesleukin-high-dose"


def test_records_entered_in_error_are_left_out(filled_course, patient):
    wrong = add_report(filled_course, patient.user, day=2, note="Wrong patient")
    wrong.entered_in_error = True
    wrong.entered_in_error_reason = "wrong patient"
    wrong.save()
    assert not [r for r in rows(filled_course) if r["comment"] == "Wrong patient"]
    assert not [r for r in rows(filled_course) if r["day_of_course"] == "3"]


def test_a_note_starting_like_a_formula_is_neutralised(il2_course, patient):
    add_report(il2_course, patient.user, day=0, note='=HYPERLINK("http://evil.example","x")')
    (note,) = [r for r in rows(il2_course) if r["kind"] == "note"]
    assert note["comment"] == '\'=HYPERLINK("http://evil.example","x")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+33 1 42", "'+33 1 42"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tleading tab", "'\tleading tab"),
        ("\rleading return", "'\rleading return"),
        ("-2.5", "-2.5"),
        ("plain text", "plain text"),
    ],
)
def test_cell_neutralises_formulas_but_keeps_numbers(value, written):
    assert tabular.cell(value) == written


def test_negative_numbers_stay_numbers():
    assert tabular.cell(-2.5) == "-2.5"


def test_pseudonymised_rows_have_no_name_mrn_birth_date_or_free_text(filled_course):
    patient = filled_course.patient
    text = export(filled_course, pseudonymised=True)
    assert patient.mrn not in text
    assert patient.family_name not in text
    assert patient.birth_date.isoformat() not in text
    assert str(filled_course.pk) not in text
    assert "Rigors after dose 2." not in text
    assert "Held per protocol" not in text
    assert {r["kind"] for r in rows(filled_course, pseudonymised=True)}.isdisjoint({"note"})


def test_pseudonym_is_stable_and_per_patient(filled_course, other_course):
    first = {r["patient_pseudonym"] for r in rows(filled_course, pseudonymised=True)}
    again = {r["patient_pseudonym"] for r in rows(filled_course, pseudonymised=True)}
    assert first == again
    assert len(first) == 1
    assert tabular.pseudonym("P", other_course.patient.pk) not in first
    assert first.pop().startswith("P-")


def test_pseudonym_depends_on_the_secret_key(filled_course, settings):
    before = tabular.pseudonym("P", filled_course.patient.pk)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    assert tabular.pseudonym("P", filled_course.patient.pk) != before


def test_codebook_describes_every_column():
    described = [row[0] for row in list(tabular.codebook_table())[1:]]
    assert described == [c.name for c in tabular.COLUMNS]
    assert all(c.meaning and c.allowed for c in tabular.COLUMNS)


def test_summary_acknowledged_flag_shows_in_its_row(filled_course, clinician):
    flag = next(
        f for f in build_summary(filled_course).flags if f.term.slug == "platelets_decreased"
    )
    services.resolve_flag(flag=flag, by=clinician, note="Expected.")
    (row,) = [
        r
        for r in rows(filled_course)
        if r["kind"] == "graded_measurement" and r["term"] == "platelets_decreased"
    ]
    assert row["flag_status"] == "resolved"


def test_docs_codebook_lists_every_column():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "exports.md").read_text()
    for column in tabular.COLUMNS:
        assert f"| `{column.name}` |" in docs


# --- Formula injection past blanks and invisible characters, and non-finite spellings -----------

# (typed text, as written in the CSV). A spreadsheet skips leading spaces, line breaks and
# invisible characters before a formula; R and pandas read "nan"/"inf" spellings as numbers
# (OWASP "CSV injection").
INJECTIONS = [
    (" =1+2", "' =1+2"),
    ("  @SUM(A1)", "'  @SUM(A1)"),
    ('\n=HYPERLINK("http://evil.example")', '\'\n=HYPERLINK("http://evil.example")'),
    ("\r\n+cmd", "'\r\n+cmd"),
    ("\t5", "'\t5"),
    ("\u200b=1+2", "'\u200b=1+2"),
    ("\u200c-cmd|' /C calc'!A0", "'\u200c-cmd|' /C calc'!A0"),
    ("\u200d@SUM(A1)", "'\u200d@SUM(A1)"),
    ("\ufeff=1+2", "'\ufeff=1+2"),
    ("\u2060+1+1", "'\u2060+1+1"),
    (" \u200b \u2060=1", "' \u200b \u2060=1"),
    ("nan", "'nan"),
    ("NaN", "'NaN"),
    ("inf", "'inf"),
    ("-inf", "'-inf"),
    ("+inf", "'+inf"),
    ("Infinity", "'Infinity"),
    ("-Infinity", "'-Infinity"),
    (" nan ", "' nan "),
    ("\u200bInf", "'\u200bInf"),
    # Ordinary text and numbers stay as they are.
    ("nancy", "nancy"),
    ("Infinite patience", "Infinite patience"),
    ("no = sign first", "no = sign first"),
    (" 38.5", " 38.5"),
    ("-2.5", "-2.5"),
    ("(=1)", "(=1)"),
]


@pytest.mark.parametrize(("value", "written"), INJECTIONS, ids=[repr(v) for v, _ in INJECTIONS])
def test_cell_neutralises_formulas_past_blanks_and_non_finite_spellings(value, written):
    assert tabular.cell(value) == written


DOWNLOADS = {
    "course": lambda course: reverse("tracker:export-course-csv", args=[course.pk]),
    "cohort": lambda course: (
        reverse("tracker:export-cohort")
        + f"?therapy={course.therapy.slug}"
        + f"&start_from={course.start_date}&start_to={course.start_date}"
    ),
}


def _download(client, url):
    response = client.get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("download", DOWNLOADS)
def test_injected_notes_are_neutralised_in_the_course_and_cohort_csv(
    client, clinician, il2_course, patient, download
):
    typed = [value for value, written in INJECTIONS if written != value]
    for day, value in enumerate(typed):
        add_report(il2_course, patient.user, day=day % 5, hour=day % 20 + 1, note=value)
    client.force_login(clinician)
    notes = [r["comment"] for r in _download(client, DOWNLOADS[download](il2_course))]
    notes = [n for n in notes if n]
    expected = {value: written for value, written in INJECTIONS}
    assert sorted(notes) == sorted(expected[value] for value in typed)


def test_each_flag_row_names_the_catalog_version_that_judged_it(filled_course):
    flagged = [r for r in rows(filled_course) if r["flag_level"]]
    version = filled_course.therapy.catalog_version

    assert flagged and version
    assert {r["flag_catalog_version"] for r in flagged} == {version}
