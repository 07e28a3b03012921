"""Who may open the patient pages: anonymous → sign in, staff → 403, another patient → 404."""

import pytest
from django.urls import reverse

from tracker import services

from .support import report

pytestmark = pytest.mark.django_db

COURSE_PAGES = [
    "tracker:patient-report-create",
    "tracker:patient-report-measurements",
    "tracker:patient-grade-chart",
]
PAGES = ["tracker:patient-home", "tracker:patient-reports", "tracker:patient-treatment"]


def _graded_report(course):
    from therapies.models import SideEffectTerm

    nausea = SideEffectTerm.objects.get(slug="nausea")
    return services.submit_report(
        course=course,
        by=course.patient.user,
        answers=[services.AnswerInput(term=nausea, frequency=2, severity=2)],
    ).report


def _url(name, course, report=None):
    if name == "tracker:patient-report-detail":
        return reverse(name, args=[report.pk])
    if name in COURSE_PAGES:
        return reverse(name, args=[course.pk])
    return reverse(name)


ALL = [*PAGES, *COURSE_PAGES, "tracker:patient-report-detail"]


@pytest.mark.parametrize("name", ALL)
def test_anonymous_is_sent_to_sign_in(client, course, name):
    url = _url(name, course, _graded_report(course))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("name", ALL)
def test_clinician_is_refused(client, clinician, course, name):
    url = _url(name, course, _graded_report(course))
    client.force_login(clinician)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("name", ALL)
def test_administrator_is_refused(client, admin_user, course, name):
    url = _url(name, course, _graded_report(course))
    client.force_login(admin_user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("name", [*COURSE_PAGES, "tracker:patient-report-detail"])
def test_another_patients_course_or_report_is_not_found(client, other_patient, course, name):
    url = _url(name, course, _graded_report(course))
    client.force_login(other_patient.user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", ALL)
def test_own_pages_open(patient_client, course, name):
    url = _url(name, course, _graded_report(course))
    assert patient_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "tracker:patient-report-questions",
        "tracker:patient-report-review",
        "tracker:patient-report-discard",
    ],
)
def test_another_patients_report_steps_are_not_found(client, other_patient, course, name):
    client.force_login(other_patient.user)
    assert client.post(reverse(name, args=[course.pk])).status_code == 404


def test_a_patient_cannot_send_a_report_on_another_patients_course(
    client, patient, other_patient, other_course
):
    client.force_login(patient.user)
    assert report(client, other_course, "nausea").status_code == 404
    assert not other_course.reports.exists()


def test_my_reports_lists_only_the_patients_own_reports(patient_client, course, other_course):
    own = _graded_report(course)
    _graded_report(other_course)
    response = patient_client.get(reverse("tracker:patient-reports"))
    assert [r.pk for r in response.context["reports"]] == [own.pk]


def test_my_page_lists_only_the_patients_own_courses(patient_client, course, other_course):
    response = patient_client.get(reverse("tracker:patient-home"))
    assert [c.pk for c in response.context["courses"]] == [course.pk]


def test_my_treatment_lists_only_the_patients_own_courses(patient_client, course, other_course):
    response = patient_client.get(reverse("tracker:patient-treatment"))
    assert [c.pk for c in response.context["courses"]] == [course.pk]
