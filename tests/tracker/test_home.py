"""Where each audience lands after login, and the administrators' overview."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tracker.models import Flag, FlagLevel, FlagStatus

pytestmark = pytest.mark.django_db

HOME = reverse("tracker:home")


def make_flag(course, level=FlagLevel.URGENT, term="fever", **fields):
    """A flag as the rules would raise it (created directly: this page only reads flags)."""
    values = {
        "rule": "fever_above_40",
        "value": "40.3 °C",
        "threshold": "> 40.0 °C",
        "message": "Temperature above 40.0 °C.",
        "source": "CTCAE v5.0, Fever grade 4",
        **fields,
    }
    return Flag.objects.create(
        course=course, level=level, term=factories.TermFactory(slug=term), **values
    )


def test_anonymous_is_redirected_to_login(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={HOME}"


def test_clinician_lands_on_the_triage_queue(client, clinician):
    client.force_login(clinician)
    assert client.get(HOME)["Location"] == reverse("tracker:triage")


def test_patient_lands_on_their_portal(client, patient):
    client.force_login(patient.user)
    assert client.get(HOME)["Location"] == reverse("tracker:patient-home")


def test_administrator_sees_every_running_course_and_open_flag(
    client, admin_user, course, other_course
):
    make_flag(course)
    make_flag(other_course, level=FlagLevel.REVIEW, term="nausea")
    resolved = make_flag(course, term="chills", status=FlagStatus.RESOLVED)
    finished = factories.CourseFactory(patient=course.patient, status="completed")
    client.force_login(admin_user)
    response = client.get(HOME)
    assert {c.pk for c in response.context["courses"]} == {course.pk, other_course.pk}
    assert finished.pk not in {c.pk for c in response.context["courses"]}
    assert [f.level for f in response.context["flags"]] == [FlagLevel.URGENT, FlagLevel.REVIEW]
    assert resolved not in response.context["flags"]
    assert reverse("admin:index") in response.text


def test_course_row_counts_open_flags_by_level(client, admin_user, course):
    make_flag(course)
    make_flag(course, level=FlagLevel.REVIEW, term="nausea")
    make_flag(course, level=FlagLevel.REVIEW, term="chills")
    client.force_login(admin_user)
    [row] = client.get(HOME).context["courses"]
    assert (row.open_urgent, row.open_review, row.open_info) == (1, 2, 0)


def test_language_can_be_chosen_before_signing_in(client):
    response = client.post(reverse("set_language"), {"language": "fr", "next": reverse("login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.cookies["django_language"].value == "fr"


def _home_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    return len(queries)


def _courses_with_flags(care_team, n):
    for _ in range(n):
        course = factories.CourseFactory(patient=factories.PatientFactory(care_team=care_team))
        make_flag(course)
        make_flag(course, level=FlagLevel.REVIEW, term="nausea")


def test_overview_query_count_does_not_grow_with_courses_and_flags(
    client, admin_user, care_team, django_assert_num_queries
):
    client.force_login(admin_user)
    _courses_with_flags(care_team, 2)
    with_two = _home_queries(client)
    _courses_with_flags(care_team, 3)
    assert _home_queries(client) == with_two

    # 1. the session, 2. the user, 3. the courses with their open-flag counts,
    # 4. the open flags with course, patient, therapy, care team and term.
    with django_assert_num_queries(4):
        client.get(HOME)
