"""The course charts carry an ETag made of the course's version: 304 while it holds, a new
file once the course changed, and 404 (never 304) outside the user's scope."""

import pytest
from django.urls import reverse

from .conftest import add_report

pytestmark = pytest.mark.django_db


def chart_url(course, kind="timeline"):
    return reverse(f"tracker:course-chart-{kind}", args=[course.pk])


def test_the_course_chart_answers_304_until_the_course_changes(
    client, clinician, other_clinician, patient, filled_course
):
    client.force_login(clinician)
    first = client.get(chart_url(filled_course))
    assert first.status_code == 200
    etag = first["ETag"]
    assert "private" in first["Cache-Control"]
    assert client.get(chart_url(filled_course), HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Another chart of the same course is another file.
    assert (
        client.get(chart_url(filled_course, "vitals"), HTTP_IF_NONE_MATCH=etag).status_code == 200
    )

    client.force_login(other_clinician)
    assert client.get(chart_url(filled_course), HTTP_IF_NONE_MATCH=etag).status_code == 404

    add_report(filled_course, patient.user, day=2)
    client.force_login(clinician)
    changed = client.get(chart_url(filled_course), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_the_patients_chart_answers_304_and_404_to_another_patient(
    client, patient, other_patient, filled_course
):
    chart = reverse("tracker:patient-grade-chart", args=[filled_course.pk])
    client.force_login(patient.user)
    first = client.get(chart)
    assert first.status_code == 200
    etag = first["ETag"]
    assert client.get(chart, HTTP_IF_NONE_MATCH=etag).status_code == 304
    client.force_login(other_patient.user)
    assert client.get(chart, HTTP_IF_NONE_MATCH=etag).status_code == 404
