"""One set of validation rules for the pages and the API: the same input gets the same answer.

Each row of a table goes through the clinician's (or patient's) page and through the JSON API;
both accept it, or both refuse it at the same field and save nothing. The date rules are
plausibility checks (tracker/validators.py): no visit in the future or more than a year
before the course started, a course starting from 1992 (the first interleukin therapy,
aldesleukin, was approved then) to a year ahead, no adverse-event onset in the future.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tracker.models import AdverseEvent, Course, CourseStatus, ReportDraft, SymptomReport, Visit

pytestmark = pytest.mark.django_db

PAGE_FORMAT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">


@pytest.fixture
def api(clinician):
    client = APIClient()
    client.force_authenticate(clinician)
    return client


@pytest.fixture
def pages(client, clinician):
    client.force_login(clinician)
    return client


def _visit_page(pages, course, *, recorded_at=None, onset=None):
    data = {
        "recorded_at": (recorded_at or _now()).strftime(PAGE_FORMAT),
        "heart_rate": "80",
        "ae-TOTAL_FORMS": "0" if onset is None else "1",
        "ae-INITIAL_FORMS": "0",
        "dose-TOTAL_FORMS": "0",
        "dose-INITIAL_FORMS": "0",
    }
    if onset is not None:
        data.update(
            {
                "ae-0-term": "nausea",
                "ae-0-grade": "1",
                "ae-0-attribution": "possible",
                "ae-0-action": "none",
                "ae-0-onset_date": onset.isoformat(),
            }
        )
    response = pages.post(reverse("tracker:visit-create", args=[course.pk]), data)
    if response.status_code == 302:
        return "accepted", None
    errors = dict(response.context["form"].errors)
    for form in response.context["ae_formset"].forms:
        errors.update(form.errors)
    return "refused", errors


def _visit_api(api, course, *, recorded_at=None, onset=None):
    body = {"heart_rate": 80}
    if recorded_at is not None:
        body["recorded_at"] = recorded_at.isoformat()
    if onset is not None:
        body["adverse_events"] = [
            {
                "ctcae_term": "Nausea",
                "grade": 1,
                "attribution": "possible",
                "action": "none",
                "onset_date": onset.isoformat(),
            }
        ]
    response = api.post(f"/api/v1/courses/{course.pk}/visits/", body, format="json")
    if response.status_code == 201:
        return "accepted", None
    assert response.status_code == 400, response.content
    errors = response.json()
    if "adverse_events" in errors:  # {"adverse_events": {"0": {"onset_date": [...]}}}
        (row,) = dict(errors.pop("adverse_events")).values()
        errors.update(row)
    return "refused", errors


def _now():
    return timezone.localtime().replace(second=0, microsecond=0)


def _days_before_start(course, days):
    start = datetime.datetime.combine(course.start_date, datetime.time(12, 0))
    return timezone.make_aware(start - datetime.timedelta(days=days))


VISIT_CASES = [
    # (what, recorded_at from (course), onset from (course), expected, field)
    ("now", lambda c: _now(), None, "accepted", None),
    ("tomorrow", lambda c: _now() + datetime.timedelta(days=1), None, "refused", "recorded_at"),
    (
        "an hour ahead",
        lambda c: _now() + datetime.timedelta(hours=1),
        None,
        "refused",
        "recorded_at",
    ),
    ("364 days before start", lambda c: _days_before_start(c, 364), None, "accepted", None),
    ("366 days before start", lambda c: _days_before_start(c, 366), None, "refused", "recorded_at"),
    (
        "ten years before start",
        lambda c: _days_before_start(c, 3650),
        None,
        "refused",
        "recorded_at",
    ),
    ("onset today", None, lambda c: timezone.localdate(), "accepted", None),
    (
        "onset tomorrow",
        None,
        lambda c: timezone.localdate() + datetime.timedelta(days=1),
        "refused",
        "onset_date",
    ),
]


@pytest.mark.parametrize(
    ("recorded_at", "onset", "expected", "field"),
    [case[1:] for case in VISIT_CASES],
    ids=[case[0] for case in VISIT_CASES],
)
@pytest.mark.parametrize("way", ["page", "api"])
def test_visit_dates_get_the_same_answer_on_the_page_and_in_the_api(
    pages, api, course, way, recorded_at, onset, expected, field
):
    kwargs = {
        "recorded_at": recorded_at(course) if recorded_at else None,
        "onset": onset(course) if onset else None,
    }
    if way == "page":
        answer, errors = _visit_page(pages, course, **kwargs)
    else:
        answer, errors = _visit_api(api, course, **kwargs)
    assert answer == expected, errors
    if expected == "refused":
        assert field in errors, errors
        assert not Visit.objects.exists()
        assert not AdverseEvent.objects.exists()
    else:
        assert Visit.objects.count() == 1


def _course_page(pages, patient, start):
    response = pages.post(
        reverse("tracker:course-create", args=[patient.pk]),
        {
            "therapy": _anakinra().pk,
            "status": "planned",
            "start_date": start.isoformat(),
            "care_team": patient.care_team.pk,
            "creatinine_uln_mg_dl": "1.2",
            "platelets_lln_10e9_per_l": "150",
        },
    )
    if response.status_code == 302:
        return "accepted", None
    return "refused", response.context["form"].errors


def _course_api(api, patient, start):
    response = api.post(
        "/api/v1/courses/",
        {
            "patient": str(patient.pk),
            "therapy": "anakinra",
            "status": "planned",
            "start_date": start.isoformat(),
        },
        format="json",
    )
    if response.status_code == 201:
        return "accepted", None
    assert response.status_code == 400, response.content
    return "refused", response.json()


def _anakinra():
    from therapies.models import Therapy

    return Therapy.objects.get(slug="anakinra")


COURSE_CASES = [
    ("1991-12-31", lambda: datetime.date(1991, 12, 31), "refused"),
    ("1992-01-01", lambda: datetime.date(1992, 1, 1), "accepted"),
    ("year 1", lambda: datetime.date(1, 1, 1), "refused"),
    ("today", lambda: timezone.localdate(), "accepted"),
    ("in 365 days", lambda: timezone.localdate() + datetime.timedelta(days=365), "accepted"),
    ("in 366 days", lambda: timezone.localdate() + datetime.timedelta(days=366), "refused"),
    ("year 9999", lambda: datetime.date(9999, 12, 31), "refused"),
]


@pytest.mark.parametrize(
    ("start", "expected"), [c[1:] for c in COURSE_CASES], ids=[c[0] for c in COURSE_CASES]
)
@pytest.mark.parametrize("way", ["page", "api"])
def test_course_start_gets_the_same_answer_on_the_page_and_in_the_api(
    pages, api, patient, way, start, expected
):
    before = Course.objects.count()
    ask = _course_page if way == "page" else _course_api
    answer, errors = ask(pages if way == "page" else api, patient, start())
    assert answer == expected, errors
    if expected == "refused":
        assert "start_date" in errors, errors
        assert Course.objects.count() == before
    else:
        assert Course.objects.count() == before + 1


# --- A report on a course that is not running ----------------------------------------------------


@pytest.mark.parametrize(
    "status", [CourseStatus.STOPPED, CourseStatus.COMPLETED, CourseStatus.PLANNED]
)
def test_patient_report_on_a_course_not_running_is_refused_by_portal_and_api(
    client, patient, course, status
):
    course.status = status
    course.save()
    client.force_login(patient.user)
    page = client.post(
        reverse("tracker:patient-report-create", args=[course.pk]),
        {"symptoms": ["nausea"], "note": "", "action": "next"},
        follow=True,
    )
    assert "This treatment is not running now" in page.content.decode()
    assert not ReportDraft.objects.exists()

    api = APIClient()
    api.force_authenticate(patient.user)
    response = api.post(
        f"/api/v1/courses/{course.pk}/symptom-reports/",
        {"answers": [{"term": "nausea", "frequency": 1, "severity": 1}]},
        format="json",
    )
    assert response.status_code == 400
    assert "This treatment is not running now" in response.json()["non_field_errors"][0]
    assert not SymptomReport.objects.exists()


def test_patient_report_on_a_running_course_is_taken_by_the_api(patient, course):
    api = APIClient()
    api.force_authenticate(patient.user)
    response = api.post(
        f"/api/v1/courses/{course.pk}/symptom-reports/",
        {"answers": [{"term": "nausea", "frequency": 1, "severity": 1}]},
        format="json",
    )
    assert response.status_code == 201


def test_clinician_may_still_record_a_phone_report_on_a_stopped_course_both_ways(
    pages, api, course
):
    # The clinician's page takes a report on a stopped course (late side effects are reported
    # by phone); so does the API, for a clinician.
    course.status = CourseStatus.STOPPED
    course.save()
    page = pages.post(
        reverse("tracker:report-create", args=[course.pk]),
        {
            "reported_at": _now().strftime(PAGE_FORMAT),
            "recall_period": "7d",
            "heart_rate": "80",
        },
    )
    assert page.status_code == 302
    response = api.post(
        f"/api/v1/courses/{course.pk}/symptom-reports/", {"heart_rate": 80}, format="json"
    )
    assert response.status_code == 201


# --- A body too large -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["symptom-reports/", "visits/"])
def test_a_10_mb_body_is_answered_413_in_json(api, course, path):
    body = '{"note": "' + "x" * (10 * 1024 * 1024) + '"}'
    response = api.post(
        f"/api/v1/courses/{course.pk}/{path}", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The request is too large."}
    assert not SymptomReport.objects.exists()
    assert not Visit.objects.exists()


def test_a_10_mb_body_on_the_page_is_refused_and_saves_nothing(pages, course):
    pages.raise_request_exception = False
    response = pages.post(
        reverse("tracker:report-create", args=[course.pk]),
        {"note": "x" * (10 * 1024 * 1024), "recall_period": "7d", "heart_rate": "80"},
    )
    assert response.status_code in (400, 413)
    assert not SymptomReport.objects.exists()
