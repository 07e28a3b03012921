"""The course page's body kept by course version (tracker/course_page.py): an unchanged course
is served without gathering its summary, and any change to the course shows at once."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tracker import services
from tracker.models import Flag, FlagStatus

from .conftest import make_flag

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The layout's htmx headers carry the token too (a new mask at each request).
ANY_TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[A-Za-z0-9]+')


def page(client, course, **headers):
    return client.get(reverse("tracker:course-detail", args=[course.pk]), **headers)


def queries_of(client, course, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = page(client, course, **headers)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def visit(course, by, **measurements):
    return services.record_visit(
        course=course,
        by=by,
        recorded_at=timezone.now() - datetime.timedelta(minutes=5),
        measurements=measurements,
    ).visit


def test_an_unchanged_course_is_served_without_gathering_its_summary(client, clinician, course):
    make_flag(course)
    visit(course, clinician, systolic_bp=121, diastolic_bp=77)
    client.force_login(clinician)
    cold, first = queries_of(client, course)
    warm, second = queries_of(client, course)
    # The summary alone is eight queries; the kept body needs the version and the cache.
    assert warm < cold - 5
    assert "121/77" in second
    assert ANY_TOKEN.sub("", first) == ANY_TOKEN.sub("", second)


def test_every_change_to_the_course_shows_on_the_next_view(client, clinician, course):
    client.force_login(clinician)
    flag = make_flag(course)
    assert "Acknowledged by" not in page(client, course).content.decode()

    # A new visit.
    new = visit(course, clinician, systolic_bp=133, diastolic_bp=81)
    assert "133/81" in page(client, course).content.decode()

    # A correction of it.
    services.correct_record(
        record=new, by=clinician, changes={"systolic_bp": 134}, reason="Misread the cuff"
    )
    body = page(client, course).content.decode()
    assert "134/81" in body and "133/81" not in body

    # A flag acknowledged.
    services.acknowledge_flag(flag=flag, by=clinician, note="Called the patient")
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.ACKNOWLEDGED
    body = page(client, course).content.decode()
    assert "Acknowledged by" in body and "Called the patient" in body

    # The visit entered in error: out of the lists, into the records entered in error.
    services.mark_entered_in_error(record=new, by=clinician, reason="Wrong patient")
    body = page(client, course).content.decode()
    assert "134/81" not in body
    assert 'id="records-in-error"' in body and "Wrong patient" in body


def test_the_patients_name_edited_shows_at_once(client, clinician, course):
    client.force_login(clinician)
    page(client, course)
    patient = course.patient
    patient.family_name = "Renamed-Kept"
    patient.save()
    # In the course's facts (the kept body), not only in the breadcrumbs.
    facts = page(client, course).content.decode().split('id="course-header"')[1]
    assert "Renamed-Kept" in facts


def test_french_and_english_never_mix(client, clinician, course):
    make_flag(course)
    client.force_login(clinician)
    english = page(client, course, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    french = page(client, course, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english_again = page(client, course, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Side effects so far" in english and "Side effects so far" in english_again
    assert "Side effects so far" not in french
    assert "Flags to look at" not in french
    assert 'lang="fr"' in french


def test_another_teams_clinician_still_gets_404_once_the_page_is_kept(
    client, clinician, other_clinician, course
):
    make_flag(course)
    client.force_login(clinician)
    assert page(client, course).status_code == 200
    other = Client()
    other.force_login(other_clinician)
    assert page(other, course).status_code == 404


def test_the_patient_never_gets_the_clinicians_page(client, clinician, course):
    make_flag(course)
    client.force_login(clinician)
    assert page(client, course).status_code == 200
    own = Client()
    own.force_login(course.patient.user)
    response = page(own, course)
    assert response.status_code == 403
    assert 'id="course-flags"' not in response.content.decode()


def test_each_clinician_gets_their_own_csrf_token_and_it_works(clinician, care_team, course):
    colleague = factories.ClinicianFactory()
    care_team.members.add(colleague)
    flag = make_flag(course)
    first = Client(enforce_csrf_checks=True)
    first.force_login(clinician)
    first_token = CSRF_INPUT.search(page(first, course).content.decode()).group(1)
    second = Client(enforce_csrf_checks=True)
    second.force_login(colleague)
    _, body = queries_of(second, course)
    second_token = CSRF_INPUT.search(body).group(1)
    # Never a placeholder, never the other person's token; nothing of a token is kept.
    assert "csrfPlaceholder" not in body
    assert second_token != first_token
    assert not any(first_token in str(value) for value in cache._cache.values())
    response = second.post(
        reverse("tracker:flag-acknowledge", args=[flag.pk]),
        {"csrfmiddlewaretoken": second_token, "layout": "course", "note": "", "next": "/"},
    )
    assert response.status_code in (200, 302), response.status_code
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.ACKNOWLEDGED


def test_the_dose_advice_is_judged_at_each_view(client, clinician, il2_course):
    noon = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time(12, 0))
    )
    with time_machine.travel(noon - datetime.timedelta(hours=1), tick=False):
        services.record_visit(
            course=il2_course,
            by=clinician,
            recorded_at=timezone.now(),
            measurements={"systolic_bp": 118, "weight_kg": Decimal("79.0")},
        )
    client.force_login(clinician)
    with time_machine.travel(noon, tick=False):
        first = page(client, il2_course).content.decode()
    with time_machine.travel(noon + datetime.timedelta(hours=2), tick=False):
        later = page(client, il2_course).content.decode()
    assert 'id="dose-advice"' in first and 'id="dose-advice"' in later
    judged = re.compile(r"Judged on the course at ([^.]+)\.")
    assert judged.search(first).group(1) != judged.search(later).group(1)
