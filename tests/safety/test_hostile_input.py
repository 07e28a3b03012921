"""Hostile input answers 400 with a message and saves nothing, never a server error (500).

The cases an attacker used against a running copy: deeply nested JSON on the API, NUL
characters in searches, htmx fragments' parameters and URL slugs (PostgreSQL text cannot hold
NUL), and year-1 timestamps (year 1 in one time zone is year 0 in another). Run on SQLite and
on PostgreSQL (DATABASE_URL).
"""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from rest_framework.test import APIClient

from tests import factories
from tracker.models import AdverseEvent, DoseAdministration, SymptomReport, Visit

pytestmark = pytest.mark.django_db

YEAR_ONE = "0001-01-01T00:00:00Z"
YEAR_ONE_LOCAL = "0001-01-01T00:00"  # as <input type="datetime-local"> sends it
NUL = "\x00"


def saved():
    return (
        Visit.objects.count(),
        SymptomReport.objects.count(),
        AdverseEvent.objects.count(),
        DoseAdministration.objects.count(),
    )


@pytest.fixture
def api(clinician):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(clinician)
    return client


@pytest.fixture
def pages(client, clinician):
    client.raise_request_exception = False
    client.force_login(clinician)
    return client


# --- Deeply nested JSON ---------------------------------------------------------------------------


def nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100_000, 1_000, 40])
@pytest.mark.parametrize("path", ["symptom-reports/", "visits/"])
def test_deeply_nested_json_is_refused_with_400(api, course, depth, path):
    before = saved()
    response = api.post(
        f"/api/v1/courses/{course.pk}/{path}", nested(depth), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON is nested too deeply."}
    assert saved() == before


def test_deeply_nested_json_inside_a_report_is_refused(api, course):
    body = '{"temperature_c": 38.0, "answers": [' + nested(50_000) + "]}"
    response = api.post(
        f"/api/v1/courses/{course.pk}/symptom-reports/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not SymptomReport.objects.exists()


def test_deeply_nested_json_on_a_flag_action_is_refused(api, course, patient):
    from tracker import services

    services.submit_report(course=course, by=patient.user, measurements={"temperature_c": 38.4})
    flag = course.flags.get()
    response = api.post(
        f"/api/v1/flags/{flag.pk}/acknowledge/", nested(100_000), content_type="application/json"
    )
    assert response.status_code == 400
    flag.refresh_from_db()
    assert flag.status == "open"


def test_ordinary_nesting_of_a_report_is_still_taken(api, course):
    response = api.post(
        f"/api/v1/courses/{course.pk}/symptom-reports/",
        {"answers": [{"term": "nausea", "frequency": 1, "severity": 1}]},
        format="json",
    )
    assert response.status_code == 201


# --- NUL characters -------------------------------------------------------------------------------


NUL_PAGES = [
    "/clinician/patients/?q=%00",
    "/clinician/patients/?q=Smith%00",
    "/clinician/?q=%00",
    "/clinician/?q%00=1",
    "/clinician/fragments/ctcae-definitions/?ae-0-term=%00",
    "/clinician/fragments/regimen/?therapy=%00",
    "/exports/cohort/?therapy=%00&start_from=2026-01-01&start_to=2026-12-31",
    "/clinician/records/visit%00/00000000-0000-0000-0000-000000000000/history/",
]


@pytest.mark.parametrize("url", NUL_PAGES)
def test_nul_in_a_page_address_is_refused_with_400(pages, url):
    response = pages.get(url)
    assert response.status_code == 400
    assert "not allowed (NUL)" in response.content.decode()


NUL_API = [
    "/api/v1/therapies/%00/",
    "/api/v1/therapies/anakinra%00/",
    "/api/v1/flags/?status=%00",
    "/api/v1/courses/%00/",
]


@pytest.mark.parametrize("url", NUL_API)
def test_nul_in_an_api_address_is_refused_with_json_400(api, url):
    response = api.get(url)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_nul_in_the_address_of_a_post_saves_nothing(pages, course):
    before = saved()
    response = pages.post(
        f"/clinician/courses/{course.pk}/visits/new/?next=%00",
        {"recorded_at": "", "heart_rate": "80"},
    )
    assert response.status_code == 400
    assert saved() == before


def test_nul_in_the_address_is_refused_before_a_session_is_stored(client):
    client.raise_request_exception = False
    response = client.get("/accounts/login/?next=%00")
    assert response.status_code == 400
    assert not Session.objects.exists()


def test_nul_in_a_visit_note_is_refused_at_the_field(pages, course):
    response = pages.post(
        f"/clinician/courses/{course.pk}/visits/new/",
        {
            "recorded_at": "",
            "heart_rate": "80",
            "notes": f"a{NUL}b",
            "ae-TOTAL_FORMS": "0",
            "ae-INITIAL_FORMS": "0",
            "dose-TOTAL_FORMS": "0",
            "dose-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["notes"] == ["Null characters are not allowed."]
    assert not Visit.objects.exists()


def test_nul_in_api_text_is_refused_at_the_field(api, course):
    response = api.post(
        f"/api/v1/courses/{course.pk}/visits/",
        {"heart_rate": 80, "notes": f"a{NUL}b"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["notes"] == ["Must not contain NUL characters."]
    assert not Visit.objects.exists()


# --- Year-1 timestamps ----------------------------------------------------------------------------


def visit_form(**fields):
    return {
        "recorded_at": "",
        "heart_rate": "80",
        "ae-TOTAL_FORMS": "0",
        "ae-INITIAL_FORMS": "0",
        "dose-TOTAL_FORMS": "0",
        "dose-INITIAL_FORMS": "0",
        **fields,
    }


@pytest.mark.parametrize("when", [YEAR_ONE_LOCAL, "0001-01-01T00:00:00", "0001-01-01 00:00"])
def test_year_one_visit_on_the_page_is_refused_at_the_field(pages, course, when):
    response = pages.post(
        f"/clinician/courses/{course.pk}/visits/new/", visit_form(recorded_at=when)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["recorded_at"]
    assert not Visit.objects.exists()


@pytest.mark.parametrize("when", [YEAR_ONE_LOCAL, "0001-01-01T00:00:00"])
def test_year_one_report_on_the_page_is_refused_at_the_field(pages, course, when):
    response = pages.post(
        f"/clinician/courses/{course.pk}/reports/new/",
        {"reported_at": when, "recall_period": "7d", "heart_rate": "80"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reported_at"]
    assert not SymptomReport.objects.exists()


@pytest.mark.parametrize("field", ["scheduled_at", "administered_at"])
def test_year_one_dose_on_the_page_is_refused_at_the_field(pages, course, field):
    dose = {
        "dose-TOTAL_FORMS": "1",
        "dose-0-dose_number": "1",
        "dose-0-status": "given",
        "dose-0-scheduled_at": "2026-01-01T08:00",
        "dose-0-administered_at": "",
        f"dose-0-{field}": YEAR_ONE_LOCAL,
    }
    response = pages.post(f"/clinician/courses/{course.pk}/visits/new/", visit_form(**dose))
    assert response.status_code == 200
    (row,) = response.context["dose_formset"].forms
    assert row.errors[field]
    assert saved() == (0, 0, 0, 0)


def test_year_one_correction_of_a_visit_is_refused_at_the_field(pages, course, clinician):
    from tracker import services

    visit = services.record_visit(
        course=course, by=clinician, measurements={"heart_rate": 80}
    ).visit
    response = pages.post(
        reverse("tracker:record-correct", args=["visit", visit.pk]),
        {"recorded_at": YEAR_ONE_LOCAL, "heart_rate": "81", "reason": "typo"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["recorded_at"]
    visit.refresh_from_db()
    assert visit.heart_rate == 80


@pytest.mark.parametrize(
    "when", [YEAR_ONE, "0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00-05:00"]
)
def test_year_one_visit_in_the_api_is_refused_at_the_field(api, course, when):
    response = api.post(
        f"/api/v1/courses/{course.pk}/visits/",
        {"recorded_at": when, "heart_rate": 80},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["recorded_at"]
    assert not Visit.objects.exists()


def test_year_one_onset_in_the_api_is_kept_as_a_date(api, course):
    # A date (no time zone) holds year 1 without overflowing: what matters is no 500.
    response = api.post(
        f"/api/v1/courses/{course.pk}/visits/",
        {
            "heart_rate": 80,
            "adverse_events": [{"ctcae_term": "Nausea", "grade": 1, "onset_date": "0001-01-01"}],
        },
        format="json",
    )
    assert response.status_code < 500


def test_year_one_course_start_is_refused_on_the_page_and_in_the_api(pages, api, patient):
    course = factories.CourseFactory.build(patient=patient)
    page = pages.post(
        reverse("tracker:course-create", args=[patient.pk]),
        {
            "therapy": course.therapy.pk,
            "status": "active",
            "start_date": "0001-01-01",
            "care_team": patient.care_team.pk,
        },
    )
    assert page.status_code == 200
    assert page.context["form"].errors["start_date"]
    response = api.post(
        "/api/v1/courses/",
        {"patient": str(patient.pk), "therapy": "anakinra", "start_date": "0001-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["start_date"]


def test_nul_in_a_report_step_field_name_or_value_is_dropped_from_the_draft(
    client, patient, course
):
    from tracker.models import ReportDraft

    client.force_login(patient.user)
    response = client.post(
        reverse("tracker:patient-report-measurements", args=[course.pk]),
        {f"temperature{NUL}_0": f"38{NUL}.5", "temperature_1": "C", "action": "autosave"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    kept = ReportDraft.objects.get().data["measurements"]
    assert kept["temperature_0"] == ["38.5"]
    assert NUL not in repr(kept)
