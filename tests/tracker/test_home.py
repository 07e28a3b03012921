"""The first page after login: courses and open flags in the user's scope."""

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


def test_clinician_sees_their_teams_course_and_not_another_teams(
    client, clinician, course, other_course
):
    client.force_login(clinician)
    response = client.get(HOME)
    assert response.status_code == 200
    assert list(response.context["courses"]) == [course]
    assert course.patient.mrn in response.text
    assert other_course.patient.mrn not in response.text


def test_clinician_sees_their_teams_open_flags_most_urgent_first(
    client, clinician, course, other_course
):
    info = make_flag(course, level=FlagLevel.INFO, term="chills")
    urgent = make_flag(course, level=FlagLevel.URGENT)
    review = make_flag(course, level=FlagLevel.REVIEW, term="nausea")
    make_flag(other_course, level=FlagLevel.URGENT)
    client.force_login(clinician)
    response = client.get(HOME)
    assert response.context["flags"] == [urgent, review, info]
    assert "May need hospitalization" in response.text
    assert "Review today" in response.text
    assert "Expected, logged" in response.text


def test_clinician_does_not_see_acknowledged_or_resolved_flags(client, clinician, course):
    make_flag(course, status=FlagStatus.ACKNOWLEDGED)
    make_flag(course, status=FlagStatus.RESOLVED)
    client.force_login(clinician)
    response = client.get(HOME)
    assert response.context["flags"] == []
    assert "No open flags." in response.text


def test_course_row_counts_open_flags_by_level(client, clinician, course):
    make_flag(course, level=FlagLevel.URGENT)
    make_flag(course, level=FlagLevel.URGENT, term="hypotension")
    make_flag(course, level=FlagLevel.INFO, term="chills")
    make_flag(course, level=FlagLevel.REVIEW, status=FlagStatus.RESOLVED)
    client.force_login(clinician)
    (row,) = client.get(HOME).context["courses"]
    assert (row.open_urgent, row.open_review, row.open_info) == (2, 0, 1)


def test_clinician_home_lists_only_active_courses(client, clinician, course):
    completed = factories.CourseFactory(patient=course.patient, status="completed")
    client.force_login(clinician)
    courses = list(client.get(HOME).context["courses"])
    assert courses == [course]
    assert completed not in courses


def test_patient_sees_only_their_own_course_and_flags(client, patient, course, other_course):
    own = make_flag(course, level=FlagLevel.REVIEW, term="nausea")
    make_flag(other_course)
    client.force_login(patient.user)
    response = client.get(HOME)
    assert response.context["audience"] == "patient"
    assert list(response.context["courses"]) == [course]
    assert response.context["flags"] == [own]
    assert other_course.patient.mrn not in response.text
    assert "Your care team will look at this today." in response.text


def test_patient_with_an_urgent_flag_is_told_to_call_their_care_team(
    client, patient, course, care_team
):
    make_flag(course)
    client.force_login(patient.user)
    response = client.get(HOME)
    assert "Call your care team now" in response.text
    assert care_team.phone in response.text
    assert 'role="alert"' in response.text


def test_administrator_sees_every_course_and_a_link_to_the_admin(
    client, admin_user, course, other_course
):
    client.force_login(admin_user)
    response = client.get(HOME)
    assert response.context["audience"] == "clinician"
    assert {c.pk for c in response.context["courses"]} == {course.pk, other_course.pk}
    assert reverse("admin:index") in response.text


def test_home_page_is_in_french_when_french_is_chosen(client, clinician, course):
    client.force_login(clinician)
    client.post(reverse("set_language"), {"language": "fr", "next": HOME})
    response = client.get(HOME)
    assert '<html lang="fr">' in response.text
    assert "Vos équipes de soins" in response.text


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


def test_home_query_count_does_not_grow_with_courses_and_flags(
    client, clinician, care_team, django_assert_num_queries
):
    client.force_login(clinician)
    _courses_with_flags(care_team, 2)
    with_two = _home_queries(client)
    _courses_with_flags(care_team, 3)
    with_five = _home_queries(client)
    assert with_two == with_five

    # 1. the session, 2. the user, 3. the courses with their open-flag counts,
    # 4. the open flags with course, patient, therapy, care team and term.
    with django_assert_num_queries(4):
        client.get(HOME)


def test_patient_home_query_count_does_not_grow_with_flags(
    client, patient, course, django_assert_num_queries
):
    client.force_login(patient.user)
    make_flag(course)
    make_flag(course, level=FlagLevel.REVIEW, term="nausea")
    with_two = _home_queries(client)
    for term in ("chills", "headache", "fatigue"):
        make_flag(course, level=FlagLevel.INFO, term=term)
    factories.CourseFactory(patient=patient)
    assert _home_queries(client) == with_two

    # 1. the session, 2. the user, 3. the courses, 4. the open flags.
    with django_assert_num_queries(4):
        client.get(HOME)
