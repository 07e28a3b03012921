"""The patient list (search by name and MRN) and the patient page."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

PATIENTS = reverse("tracker:patient-list")


def listed(response):
    return list(response.context["patients"])


@pytest.fixture
def lefevre(care_team):
    return factories.PatientFactory(
        care_team=care_team, given_name="Marc", family_name="Lefevre", mrn="RCC-20417"
    )


@pytest.fixture
def girard(care_team):
    return factories.PatientFactory(
        care_team=care_team, given_name="Sophie", family_name="Girard", mrn="RA-11852"
    )


def test_lists_the_teams_patients_only(client, clinician, lefevre, girard, other_patient):
    client.force_login(clinician)
    assert listed(client.get(PATIENTS)) == [girard, lefevre]


def test_a_patient_is_listed_once_whatever_the_size_of_the_team(
    client, clinician, care_team, lefevre
):
    care_team.members.add(factories.ClinicianFactory(), factories.ClinicianFactory())
    factories.CourseFactory(patient=lefevre)
    client.force_login(clinician)
    assert listed(client.get(PATIENTS)) == [lefevre]


@pytest.mark.parametrize("query", ["lefevre", "MARC", "rcc-204", "marc lef"])
def test_search_by_name_or_mrn(client, clinician, lefevre, girard, query):
    client.force_login(clinician)
    assert listed(client.get(PATIENTS, {"q": query})) == [lefevre]


def test_search_with_no_match_says_so(client, clinician, lefevre):
    client.force_login(clinician)
    assert "No patient matches this search." in client.get(PATIENTS, {"q": "zzz"}).text


@pytest.mark.parametrize("rows", [2, 5])
def test_query_count_does_not_grow_with_rows(
    client, clinician, care_team, rows, django_assert_num_queries
):
    for _ in range(rows):
        factories.CourseFactory(patient=factories.PatientFactory(care_team=care_team))
    client.force_login(clinician)
    # 1 session, 2 user, 3 count of patients (paginator), 4 the page of patients with their
    # care team, 5 their courses in scope with therapies (prefetch), 6 the navigation count.
    with django_assert_num_queries(6):
        response = client.get(PATIENTS)
    assert len(listed(response)) == rows


def test_patient_page_shows_demographics_and_courses(client, clinician, course):
    client.force_login(clinician)
    response = client.get(reverse("tracker:patient-detail", args=[course.patient.pk]))
    assert course.patient.mrn in response.text
    assert list(response.context["courses"]) == [course]
    assert reverse("tracker:course-detail", args=[course.pk]) in response.text
    assert reverse("tracker:course-create", args=[course.patient.pk]) in response.text
