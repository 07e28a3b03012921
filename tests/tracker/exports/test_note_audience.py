"""A patient's own exports show only the notes their care team shared with them; the care
team's internal notes stay in the clinician's copy."""

import pytest
from django.urls import reverse

from tracker import services
from tracker.models import Flag

pytestmark = pytest.mark.django_db

INTERNAL = "Seen at bedside; dose held."  # the filled course's acknowledgement (conftest)


def download(client, user, name, course):
    client.force_login(user)
    response = client.get(reverse(name, args=[course.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content if response.streaming else [response.content])


@pytest.mark.parametrize("name", ["tracker:export-course-fhir"])  # the CSV has no notes
def test_an_internal_note_is_in_the_clinicians_export_not_the_patients(
    client, filled_course, patient, clinician, name
):
    assert INTERNAL.encode() in download(client, clinician, name, filled_course)
    assert INTERNAL.encode() not in download(client, patient.user, name, filled_course)


@pytest.mark.parametrize("name", ["tracker:export-course-fhir"])  # the CSV has no notes
def test_a_shared_note_reaches_the_patient(client, filled_course, patient, clinician, name):
    flag = Flag.objects.get(course=filled_course, acknowledged_note=INTERNAL)
    services.resolve_flag(
        flag=flag,
        by=clinician,
        note="Blood pressure back to normal, next dose tomorrow",
        outcome="dose_held",
        shared=True,
    )
    mine = download(client, patient.user, name, filled_course)
    assert b"Blood pressure back to normal, next dose tomorrow" in mine
    assert INTERNAL.encode() not in mine
    # The summary built for the patient changed nothing stored.
    flag.refresh_from_db()
    assert flag.acknowledged_note == INTERNAL


def test_the_api_export_hides_internal_notes_from_the_patient(filled_course, patient):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(patient.user)
    response = client.get(f"/api/v1/courses/{filled_course.pk}/summary.fhir.json")
    assert response.status_code == 200
    assert INTERNAL.encode() not in b"".join(
        response.streaming_content if response.streaming else [response.content]
    )
