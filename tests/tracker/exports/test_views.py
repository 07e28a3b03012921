"""The download pages, the API paths and the cohort export: who may, what comes back, how many
queries."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader
from rest_framework.test import APIClient

from tests import factories
from therapies.models import Therapy
from tracker import services
from tracker.exports import fhir, pdf, tabular
from tracker.exports.cohort import cohort_courses, cohort_table
from tracker.models import Course
from tracker.summary import build_summary

from .conftest import START, add_report, at, term

pytestmark = pytest.mark.django_db

FORMATS = {
    "pdf": ("export-course-pdf", "application/pdf", "summary.pdf"),
    "csv": ("export-course-csv", "text/csv; charset=utf-8", "summary.csv"),
    "fhir": ("export-course-fhir", "application/fhir+json; charset=utf-8", "summary.fhir.json"),
}


def page_url(course, fmt):
    return reverse(f"tracker:{FORMATS[fmt][0]}", args=[course.pk])


def api_url(course, fmt):
    return f"/api/v1/courses/{course.pk}/{FORMATS[fmt][2]}"


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(content: bytes):
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


# --- Course summary downloads: access ----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_anonymous_user_is_sent_to_login(client, course, fmt):
    response = client.get(page_url(course, fmt))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_clinician_of_another_team_gets_404(client, other_clinician, course, fmt):
    client.force_login(other_clinician)
    assert client.get(page_url(course, fmt)).status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_another_patient_gets_404(client, other_patient, course, fmt):
    client.force_login(other_patient.user)
    assert client.get(page_url(course, fmt)).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "fhir"])
def test_patient_downloads_their_own_course(client, patient, course, fmt):
    client.force_login(patient.user)
    response = client.get(page_url(course, fmt))
    assert response.status_code == 200
    assert response["Content-Type"] == FORMATS[fmt][1]


@pytest.mark.parametrize("fmt", ["csv", "fhir"])
def test_administrator_downloads_any_course(client, admin_user, other_course, fmt):
    client.force_login(admin_user)
    assert client.get(page_url(other_course, fmt)).status_code == 200


def test_unknown_course_is_404(client, clinician):
    client.force_login(clinician)
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(reverse("tracker:export-course-csv", args=[missing])).status_code == 404


def test_downloads_refuse_post(client, clinician, course):
    client.force_login(clinician)
    assert client.post(page_url(course, "csv")).status_code == 405


# --- Course summary downloads: what comes back -------------------------------------------------


def test_clinician_downloads_the_pdf(client, clinician, filled_course):
    client.force_login(clinician)
    response = client.get(page_url(filled_course, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="course-summary-')
    assert "no-store" in response["Cache-Control"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert filled_course.patient.mrn in text


@pytest.fixture
def rendered_languages(monkeypatch):
    """Stands in for the (slow, separately tested) rendering; records the language asked."""
    languages = []

    def fake_render(context, *, language):
        languages.append(language)
        return b"%PDF-1.7 test"

    monkeypatch.setattr(pdf, "render_pdf", fake_render)
    return languages


def test_pdf_follows_the_language_the_user_chose(
    client, clinician, filled_course, rendered_languages
):
    client.force_login(clinician)
    client.cookies["django_language"] = "fr"
    client.get(page_url(filled_course, "pdf"))
    assert rendered_languages == ["fr"]


def test_csv_download_streams_the_observation_rows(client, clinician, filled_course):
    client.force_login(clinician)
    response = client.get(page_url(filled_course, "csv"))
    assert response.streaming
    content = body(response)
    assert content.startswith(b"\xef\xbb\xbf")
    expected = list(tabular.observation_table([build_summary(filled_course)]))
    assert len(csv_rows(content)) == len(expected) - 1


def test_fhir_download_is_a_valid_bundle(client, clinician, filled_course):
    client.force_login(clinician)
    response = client.get(page_url(filled_course, "fhir"))
    bundle = Bundle.model_validate(json.loads(response.content))
    assert bundle.type == "collection"


def test_the_three_formats_agree_on_the_adverse_events(client, clinician, filled_course):
    client.force_login(clinician)
    rows = csv_rows(body(client.get(page_url(filled_course, "csv"))))
    bundle = json.loads(client.get(page_url(filled_course, "fhir")).content)
    in_csv = {
        (r["ctcae_term"], r["grade"])
        for r in rows
        if r["kind"] in ("adverse_event", "graded_measurement")
        or (r["kind"] == "symptom" and r["grade"] != "0")
    }
    severity = {"mild": "1", "moderate": "2", "severe": "3"}  # PRO-CTCAE composite 1-3
    in_fhir = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] != "AdverseEvent":
            continue
        if "extension" in resource:  # CTCAE grade: "CTCAE v5.0 grade N"
            grade = resource["extension"][0]["valueCodeableConcept"]["text"].split()[-1]
        else:
            grade = severity[resource["severity"]["coding"][0]["code"]]
        in_fhir.add((resource["event"]["text"], grade))
    assert in_csv == in_fhir


def test_codebook_is_served_as_csv(client, clinician):
    client.force_login(clinician)
    response = client.get(reverse("tracker:export-codebook"))
    assert response.status_code == 200
    rows = csv_rows(response.content)
    assert [r["column"] for r in rows] == [c.name for c in tabular.COLUMNS]


# --- Query counts --------------------------------------------------------------------------------


def course_with_records(patient, clinician, count):
    """A course with `count` reports and `count` visits, each raising flags."""
    course = factories.CourseFactory(
        patient=patient, therapy=Therapy.objects.get(slug="aldesleukin-high-dose")
    )
    for day in range(count):
        add_report(course, patient.user, day=day, note=f"day {day}")
        services.record_visit(
            course=course,
            by=clinician,
            recorded_at=at(day, 7),
            measurements={"systolic_bp": 88, "platelets_10e9_per_l": Decimal("62")},
            adverse_events=[services.AdverseEventEntry(term=term("chills"), grade=2)],
            notes=f"visit {day}",
        )
    return course


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body(response)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("fmt", FORMATS)
def test_download_queries_do_not_grow_with_observations(
    client, clinician, patient, fmt, rendered_languages
):
    # The PDF rendering itself runs no query (test_pdf.py); the data gathering is counted here.
    client.force_login(clinician)
    two = count_queries(client, page_url(course_with_records(patient, clinician, 2), fmt))
    five = count_queries(client, page_url(course_with_records(patient, clinician, 5), fmt))
    assert two == five


@pytest.mark.parametrize("count", [2, 5])
def test_summary_and_its_three_formats_take_eleven_queries(
    clinician, patient, count, django_assert_num_queries
):
    course = course_with_records(patient, clinician, count)

    with django_assert_num_queries(11):
        # build_summary: 1 course, 2 expected side effects, 3 doses, 4 reports, 5 their
        # answers, 6 visits, 7 their adverse events, 8 flags, 9 dose advice overrides (a
        # high-dose IL-2 course); the PDF: 10 the care team's members, 11 the photos' list.
        # Rendering, CSV and FHIR: none.
        summary = build_summary(course)
        context = pdf.document_context(summary, printed_by=clinician)
        pdf.render_pdf(context, language="en")
        list(tabular.observation_table([summary]))
        fhir.bundle_json(summary)


# --- API ------------------------------------------------------------------------------------------


def api_client(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_anonymous_gets_401(course, fmt):
    assert api_client().get(api_url(course, fmt)).status_code == 401


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_out_of_scope_course_is_404(other_clinician, course, fmt):
    assert api_client(other_clinician).get(api_url(course, fmt)).status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_other_patients_course_is_404(other_patient, course, fmt):
    assert api_client(other_patient.user).get(api_url(course, fmt)).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "fhir"])
def test_api_answers_with_the_export(clinician, filled_course, fmt):
    response = api_client(clinician).get(api_url(filled_course, fmt))
    assert response.status_code == 200
    assert response["Content-Type"] == FORMATS[fmt][1]


def test_api_pdf_with_accept_header_is_not_refused(patient, filled_course):
    response = api_client(patient.user).get(
        api_url(filled_course, "pdf"), HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_api_error_is_json_even_when_a_pdf_was_asked_for(other_clinician, course):
    response = api_client(other_clinician).get(
        api_url(course, "pdf"), HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 404
    assert "detail" in json.loads(response.content)


def test_api_token_authenticates_the_fhir_export(clinician, filled_course):
    from tracker.api.tokens import issue_token

    _token, key = issue_token(clinician)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get(api_url(filled_course, "fhir"))
    assert response.status_code == 200
    Bundle.model_validate(json.loads(response.content))


def test_schema_lists_the_three_summary_paths(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for suffix in ("summary.pdf", "summary.csv", "summary.fhir.json"):
        assert f"/api/v1/courses/{{id}}/{suffix}" in schema["paths"]
    pdf = schema["paths"]["/api/v1/courses/{id}/summary.pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]


# --- Cohort export --------------------------------------------------------------------------------


def cohort_url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("tracker:export-cohort") + (f"?{query}" if query else "")


IL2 = "aldesleukin-high-dose"
RANGE = {"start_from": "2026-01-01", "start_to": "2026-12-31"}


def test_cohort_page_refuses_patients(client, patient):
    client.force_login(patient.user)
    assert client.get(cohort_url()).status_code == 403


def test_cohort_page_sends_anonymous_users_to_login(client):
    response = client.get(cohort_url())
    assert response.status_code == 302


def test_cohort_page_shows_the_form_to_clinicians(client, clinician):
    client.force_login(clinician)
    response = client.get(cohort_url(therapy=IL2))
    assert response.status_code == 200
    assert b'id="cohort-form"' in response.content
    assert b'value="aldesleukin-high-dose" selected' in response.content


def test_cohort_form_says_which_date_is_wrong(client, clinician):
    client.force_login(clinician)
    response = client.get(cohort_url(therapy=IL2, start_from="2026-12-31", start_to="2026-01-01"))
    assert response.status_code == 400
    assert "This date is before the first start date." in response.content.decode()


def test_cohort_form_rejects_an_unknown_therapy(client, clinician):
    client.force_login(clinician)
    response = client.get(cohort_url(therapy="nope", **RANGE))
    assert response.status_code == 400
    assert response.context["form"].errors["therapy"]


def test_cohort_csv_holds_the_clinicians_courses_only(
    client, clinician, filled_course, other_patient
):
    theirs = factories.CourseFactory(
        patient=other_patient, therapy=filled_course.therapy, start_date=START
    )
    add_report(theirs, other_patient.user, day=0)
    client.force_login(clinician)
    response = client.get(cohort_url(therapy=IL2, **RANGE))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == (
        'attachment; filename="cohort-aldesleukin-high-dose-20260101-20261231.csv"'
    )
    rows = csv_rows(body(response))
    assert {r["course_id"] for r in rows} == {str(filled_course.pk)}


def test_administrator_cohort_holds_every_team(client, admin_user, filled_course, other_patient):
    theirs = factories.CourseFactory(
        patient=other_patient, therapy=filled_course.therapy, start_date=START
    )
    add_report(theirs, other_patient.user, day=0)
    client.force_login(admin_user)
    rows = csv_rows(body(client.get(cohort_url(therapy=IL2, **RANGE))))
    assert {r["course_id"] for r in rows} == {str(filled_course.pk), str(theirs.pk)}


def test_cohort_keeps_courses_started_in_the_range_only(client, clinician, patient):
    inside = factories.CourseFactory(
        patient=patient, therapy=Therapy.objects.get(slug=IL2), start_date=datetime.date(2026, 1, 1)
    )
    outside = factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug=IL2),
        start_date=datetime.date(2025, 12, 31),
    )
    for course in (inside, outside):
        add_report(course, patient.user, day=0)
    client.force_login(clinician)
    rows = csv_rows(body(client.get(cohort_url(therapy=IL2, **RANGE))))
    assert {r["course_id"] for r in rows} == {str(inside.pk)}


def test_pseudonymised_cohort_has_no_identifiers(client, clinician, filled_course):
    client.force_login(clinician)
    content = body(client.get(cohort_url(therapy=IL2, pseudonymise="on", **RANGE)))
    text = content.decode("utf-8-sig")
    patient = filled_course.patient
    assert patient.mrn not in text
    assert patient.family_name not in text
    assert "mrn" not in next(csv.reader(io.StringIO(text)))
    assert {r["patient_pseudonym"] for r in csv_rows(content)} == {
        tabular.pseudonym("P", patient.pk)
    }


def test_cohort_rows_are_the_course_csv_rows(filled_course):
    courses = cohort_courses(
        Course.objects.all(),
        therapy=filled_course.therapy,
        start_from=datetime.date(2026, 1, 1),
        start_to=datetime.date(2026, 12, 31),
    )
    assert list(cohort_table(courses)) == list(
        tabular.observation_table([build_summary(filled_course)])
    )


def cohort_of(patient, count):
    therapy = Therapy.objects.get(slug="anakinra")
    for _ in range(count):
        course = factories.CourseFactory(patient=patient, therapy=therapy, start_date=START)
        add_report(course, patient.user, day=0)
        add_report(course, patient.user, day=1)


@pytest.mark.parametrize("count", [2, 5])
def test_cohort_export_takes_nine_queries_whatever_the_size(
    patient, count, django_assert_num_queries
):
    cohort_of(patient, count)
    courses = cohort_courses(
        Course.objects.all(),
        therapy=Therapy.objects.get(slug="anakinra"),
        start_from=START,
        start_to=START,
    )
    with django_assert_num_queries(9):
        # 1 the side-effect catalog, 2 courses, then per batch of courses: 3 expected side
        # effects, 4 doses, 5 answers, 6 reports, 7 adverse events, 8 visits, 9 flags
        rows = list(cohort_table(courses))
    assert len({row[0] for row in rows[1:]}) == count


def test_cohort_download_queries_do_not_grow_with_courses(client, clinician, patient):
    client.force_login(clinician)
    url = cohort_url(therapy="anakinra", start_from=START.isoformat(), start_to=START.isoformat())
    cohort_of(patient, 2)
    two = count_queries(client, url)
    cohort_of(patient, 3)
    five = count_queries(client, url)
    assert two == five


def test_cohort_is_gathered_in_batches(patient):
    cohort_of(patient, 3)
    courses = cohort_courses(
        Course.objects.all(),
        therapy=Therapy.objects.get(slug="anakinra"),
        start_from=START,
        start_to=START,
    )
    rows = list(cohort_table(courses, batch_size=2))
    assert len({row[0] for row in rows[1:]}) == 3


# --- The download buttons -------------------------------------------------------------------------


def render_buttons(course, user):
    from django.template.loader import render_to_string

    return render_to_string(
        "tracker/partials/_export_buttons.html", {"course": course, "user": user}
    )


def test_buttons_link_the_three_downloads(course, patient):
    html = render_buttons(course, patient.user)
    for fmt in FORMATS:
        assert page_url(course, fmt) in html
    assert reverse("tracker:export-codebook") in html


def test_buttons_offer_the_cohort_export_to_clinicians_only(course, clinician, patient):
    assert reverse("tracker:export-cohort") in render_buttons(course, clinician)
    assert reverse("tracker:export-cohort") not in render_buttons(course, patient.user)
