"""Outpatients whose expected symptom report is overdue (tracker/schedule.py)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from therapies.models import Therapy
from tracker.models import CourseStatus, SymptomReport
from tracker.views.clinician import PAGE_SIZE

pytestmark = pytest.mark.django_db

NOT_REPORTED = reverse("tracker:not-reported")


def overdue_courses(response):
    return [row.course for row in response.context["overdue"]]


def report(course, days_ago, **fields):
    return SymptomReport.objects.create(
        course=course,
        reported_at=timezone.now() - datetime.timedelta(days=days_ago),
        temperature_c=37,
        **fields,
    )


@pytest.fixture
def outpatient_course(patient):
    # Anakinra (outpatient), started 30 days ago: weekly reports expected by now.
    return factories.CourseFactory(
        patient=patient, start_date=timezone.localdate() - datetime.timedelta(days=30)
    )


def test_a_course_without_a_report_for_eight_days_is_overdue(client, clinician, outpatient_course):
    report(outpatient_course, days_ago=8)
    client.force_login(clinician)
    response = client.get(NOT_REPORTED)
    assert overdue_courses(response) == [outpatient_course]
    assert response.context["overdue"][0].days_late == 1


def test_a_course_that_reported_this_week_is_not_listed(client, clinician, outpatient_course):
    report(outpatient_course, days_ago=3)
    client.force_login(clinician)
    assert overdue_courses(client.get(NOT_REPORTED)) == []


def test_a_report_entered_in_error_does_not_count(client, clinician, outpatient_course):
    report(outpatient_course, days_ago=8)
    report(outpatient_course, days_ago=1, entered_in_error=True, entered_in_error_reason="test")
    client.force_login(clinician)
    assert overdue_courses(client.get(NOT_REPORTED)) == [outpatient_course]


def test_inpatient_and_finished_courses_are_not_listed(client, clinician, patient):
    factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="aldesleukin-high-dose"),
        start_date=timezone.localdate() - datetime.timedelta(days=30),
    )
    factories.CourseFactory(
        patient=patient,
        status=CourseStatus.COMPLETED,
        start_date=timezone.localdate() - datetime.timedelta(days=30),
    )
    client.force_login(clinician)
    assert overdue_courses(client.get(NOT_REPORTED)) == []


def test_other_teams_courses_are_not_listed(client, clinician, other_course):
    client.force_login(clinician)
    assert overdue_courses(client.get(NOT_REPORTED)) == []


@pytest.mark.parametrize("rows", [2, 5])
def test_query_count_does_not_grow_with_rows(
    client, clinician, care_team, rows, django_assert_num_queries
):
    for _ in range(rows):
        course = factories.CourseFactory(
            patient=factories.PatientFactory(care_team=care_team),
            start_date=timezone.localdate() - datetime.timedelta(days=30),
        )
        report(course, days_ago=9)
    client.force_login(clinician)
    # 1 session, 2 user, 3 the active outpatient courses' start and latest report time (to
    # find and order the overdue ones), 4 the page's courses with their patient and therapy,
    # 5 the navigation's count of open urgent flags.
    with django_assert_num_queries(5):
        response = client.get(NOT_REPORTED)
    assert len(response.context["overdue"]) == rows


def test_the_list_shows_a_page_at_a_time_longest_overdue_first(client, clinician, care_team):
    # Started 60 days ago, so weekly: a report N days ago was due again 7 days later, and
    # is N - 7 days late (tracker/schedule.py).
    for days_ago in range(8, 8 + PAGE_SIZE + 3):
        course = factories.CourseFactory(
            patient=factories.PatientFactory(care_team=care_team),
            start_date=timezone.localdate() - datetime.timedelta(days=60),
        )
        report(course, days_ago=days_ago)
    client.force_login(clinician)
    first = client.get(NOT_REPORTED)
    assert [row.days_late for row in first.context["overdue"]] == list(range(PAGE_SIZE + 3, 3, -1))
    assert "?page=2" in first.content.decode()
    second = client.get(NOT_REPORTED, {"page": 2})
    assert [row.days_late for row in second.context["overdue"]] == [3, 2, 1]


def _row(response, course):
    html = response.content.decode()
    start = html.index(f'href="{reverse("tracker:course-detail", args=[course.pk])}"')
    return html[html.rindex("<tr>", 0, start) : html.index("</tr>", start)]


def test_a_row_links_the_patient_course_and_phone_report(client, clinician, outpatient_course):
    patient = outpatient_course.patient
    patient.family_name, patient.phone = "O'Brien <b>", "+33 6 12 34 56 78"
    patient.save()
    report(outpatient_course, days_ago=8)
    client.force_login(clinician)
    row = _row(client.get(NOT_REPORTED), outpatient_course)
    assert f'href="{reverse("tracker:patient-detail", args=[patient.pk])}"' in row
    assert "O&#x27;Brien &lt;b&gt;" in row and "<b>" not in row  # escaped, as in a template
    assert f"MRN {patient.mrn}" in row
    assert '<a href="tel:+33612345678" class="text-nowrap">+33 6 12 34 56 78</a>' in row
    assert f'href="{reverse("tracker:report-create", args=[outpatient_course.pk])}"' in row
    assert "<td>1</td>" in row  # days late
    assert "<time datetime=" in row


def test_a_row_without_report_or_phone_says_so(client, clinician, outpatient_course):
    outpatient_course.patient.phone = ""
    outpatient_course.patient.save()
    client.force_login(clinician)
    row = _row(client.get(NOT_REPORTED, HTTP_ACCEPT_LANGUAGE="fr"), outpatient_course)
    assert "<td>Jamais</td>" in row
    assert "<td>—</td>" in row
    assert "tel:" not in row
