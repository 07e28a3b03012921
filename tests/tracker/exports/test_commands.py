"""`manage.py export_course` and `manage.py export_cohort` write the files a clinic's data
manager hands to a registry or a statistician: the same exports as the download buttons."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from tests import factories
from tracker.exports import tabular

from .conftest import make_il2_course

pytestmark = pytest.mark.django_db


def read_rows(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith(tabular.BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(tabular.BOM))))


def test_export_course_csv_writes_every_observation_of_the_course(filled_course, tmp_path):
    output = tmp_path / "course.csv"
    call_command("export_course", str(filled_course.pk), "--format", "csv", "--output", str(output))
    header = next(csv.reader(io.StringIO(output.read_text(encoding="utf-8")[1:])))
    assert header == [c.name for c in tabular.columns_for(pseudonymised=False)]
    rows = read_rows(output)
    assert {row["course_id"] for row in rows} == {str(filled_course.pk)}
    assert {row["mrn"] for row in rows} == {filled_course.patient.mrn}
    # The course was filled with two doses given and one held (tests/tracker/exports/conftest).
    doses = [row["kind"] for row in rows if row["kind"].startswith("dose_")]
    assert doses == ["dose_given", "dose_given", "dose_held"]


def test_export_course_fhir_writes_a_bundle_with_the_patient(filled_course, tmp_path):
    output = tmp_path / "course.json"
    call_command(
        "export_course", str(filled_course.pk), "--format", "fhir", "--output", str(output)
    )
    bundle = json.loads(output.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "MedicationAdministration", "Observation"} <= kinds
    (patient,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert patient["name"][0]["family"] == filled_course.patient.family_name


def test_export_course_pdf_names_the_patient_and_who_printed_it(filled_course, clinician, tmp_path):
    output = tmp_path / "course.pdf"
    call_command(
        "export_course",
        str(filled_course.pk),
        "--format",
        "pdf",
        "--output",
        str(output),
        "--user",
        clinician.username,
    )
    assert output.read_bytes().startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(output).pages)
    assert filled_course.patient.family_name in text
    assert filled_course.patient.mrn in text


def test_export_course_refuses_a_course_outside_the_users_scope(
    filled_course, other_clinician, tmp_path
):
    output = tmp_path / "course.csv"
    with pytest.raises(CommandError, match="not in this user's scope"):
        call_command(
            "export_course",
            str(filled_course.pk),
            "--format",
            "csv",
            "--output",
            str(output),
            "--user",
            other_clinician.username,
        )
    assert not output.exists()


def test_export_course_refuses_an_id_that_is_not_a_course(db, tmp_path):
    with pytest.raises(CommandError, match="No course"):
        call_command("export_course", "not-a-uuid", "--format", "csv", "--output", "-")


def test_export_cohort_writes_the_courses_started_in_the_range(filled_course, clinician, tmp_path):
    # A second course of the same therapy, started a year later: outside the range asked.
    later = make_il2_course(factories.PatientFactory(care_team=filled_course.patient.care_team))
    later.start_date = filled_course.start_date + datetime.timedelta(days=365)
    later.save()
    output = tmp_path / "cohort.csv"
    start = filled_course.start_date
    call_command(
        "export_cohort",
        "--therapy",
        "aldesleukin-high-dose",
        "--from",
        start.isoformat(),
        "--to",
        (start + datetime.timedelta(days=30)).isoformat(),
        "--output",
        str(output),
    )
    rows = read_rows(output)
    assert rows
    assert {row["course_id"] for row in rows} == {str(filled_course.pk)}


def test_export_cohort_pseudonymised_has_no_identifiers(filled_course, tmp_path):
    output = tmp_path / "cohort.csv"
    start = filled_course.start_date
    call_command(
        "export_cohort",
        "--therapy",
        "aldesleukin-high-dose",
        "--from",
        start.isoformat(),
        "--to",
        start.isoformat(),
        "--pseudonymise",
        "--output",
        str(output),
    )
    text = output.read_text(encoding="utf-8")
    patient = filled_course.patient
    assert patient.mrn not in text
    assert patient.family_name not in text
    assert str(filled_course.pk) not in text
    rows = read_rows(output)
    assert rows
    assert {row["patient_pseudonym"] for row in rows} == {tabular.pseudonym("P", patient.pk)}


def test_export_cohort_as_a_user_keeps_to_their_scope(filled_course, other_clinician, tmp_path):
    output = tmp_path / "cohort.csv"
    start = filled_course.start_date
    call_command(
        "export_cohort",
        "--therapy",
        "aldesleukin-high-dose",
        "--from",
        start.isoformat(),
        "--to",
        start.isoformat(),
        "--user",
        other_clinician.username,
        "--output",
        str(output),
    )
    assert read_rows(output) == []


@pytest.mark.parametrize(
    ("start_from", "start_to", "message"),
    [
        ("2026-03-02", "2026-03-01", "--to is before --from"),
        ("2 March", "2026-03-01", "is not a date"),
    ],
)
def test_export_cohort_refuses_a_bad_range(db, start_from, start_to, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "export_cohort",
            "--therapy",
            "aldesleukin-high-dose",
            "--from",
            start_from,
            "--to",
            start_to,
            "--output",
            "-",
        )


def test_export_cohort_refuses_an_unknown_therapy(db):
    with pytest.raises(CommandError, match="No therapy"):
        call_command(
            "export_cohort",
            "--therapy",
            "no-such",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--output",
            "-",
        )
