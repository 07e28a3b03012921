"""The triage queue's body kept by the version of what it shows (tracker/triage_page.py): an
unchanged queue is served from it, and every write the queue shows appears on the very next
load (a clinical safety requirement for urgent flags: no waiting for a cache to expire)."""

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
from therapies.models import Therapy
from tracker import course_page, services
from tracker.models import Flag, FlagLevel, FlagStatus

from .conftest import make_flag

pytestmark = pytest.mark.django_db

TRIAGE = reverse("tracker:triage")
# What differs between two loads of the same queue: each form's CSRF token (a new mask at each
# request, also in the layout's htmx headers) and the polling's moment.
PER_REQUEST = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|since=)[A-Za-z0-9.]+')


def load(client, path=TRIAGE, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **headers)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def shown(client, **headers):
    return load(client, **headers)[1]


def flag_ids(html):
    return set(re.findall(r'id="flag-([0-9a-f-]{36})"', html))


@pytest.fixture
def nurse(client, clinician):
    client.force_login(clinician)
    return client


def test_an_unchanged_queue_is_served_from_its_kept_body(nurse, course, django_assert_num_queries):
    make_flag(course)
    make_flag(course, FlagLevel.REVIEW, "nausea")
    cold, first = load(nurse)
    # 1 session, 2 user, 3 the queue's version (with the caption's and the badge's counts).
    with django_assert_num_queries(3):
        warm, second = load(nurse)
    assert cold == 8
    assert PER_REQUEST.sub("", first) == PER_REQUEST.sub("", second)
    assert len(flag_ids(second)) == 2


def test_the_kept_page_is_the_page_drawn_afresh(nurse, clinician, course, settings):
    """Served from the kept body, the page is byte for byte the one drawn without it (at the
    same moment, the tokens aside), in both languages, overdue marks included."""
    settings.TRIAGE_RESPONSE_MINUTES = {"urgent": 30, "review": 480, "info": None}
    now = timezone.now()
    make_flag(course, created_at=now - datetime.timedelta(minutes=45))
    make_flag(course, FlagLevel.REVIEW, "nausea", created_at=now - datetime.timedelta(hours=2))
    info = make_flag(course, FlagLevel.INFO, "chills", created_at=now - datetime.timedelta(days=2))
    services.acknowledge_flag(flag=info, by=clinician, note="Seen <b>today</b>")
    with time_machine.travel(now + datetime.timedelta(minutes=1), tick=False):
        for language in ("en", "fr"):
            drawn = shown(nurse, HTTP_ACCEPT_LANGUAGE=language)
            kept = shown(nurse, HTTP_ACCEPT_LANGUAGE=language)
            cache.clear()
            course_page.kept.clear()
            afresh = shown(nurse, HTTP_ACCEPT_LANGUAGE=language)
            assert PER_REQUEST.sub("", kept) == PER_REQUEST.sub("", afresh)
            assert PER_REQUEST.sub("", drawn) == PER_REQUEST.sub("", afresh)
            assert "<!--clock:" not in kept
    assert "Seen &lt;b&gt;today&lt;/b&gt;" in kept


# --- Every write the queue shows appears on the next load -------------------------------------


def test_an_urgent_flag_raised_by_a_report_shows_on_the_next_load(nurse, clinician, course):
    make_flag(course, FlagLevel.REVIEW, "nausea")
    before = flag_ids(shown(nurse))
    submitted = services.submit_report(
        course=course, by=course.patient.user, measurements={"temperature_c": Decimal("40.6")}
    )
    urgent = [flag for flag in submitted.flags_raised if flag.level == FlagLevel.URGENT]
    assert urgent  # CTCAE v5.0 fever grade 3 (> 40.0 °C): urgent (PRODUCT.md §4)
    after = flag_ids(shown(nurse))
    assert {str(flag.pk) for flag in urgent} <= after - before


def test_an_urgent_flag_raised_by_a_visit_shows_on_the_next_load(nurse, clinician, course):
    make_flag(course, FlagLevel.REVIEW, "nausea")
    shown(nurse)
    recorded = services.record_visit(
        course=course,
        by=clinician,
        recorded_at=timezone.now() - datetime.timedelta(minutes=5),
        measurements={"systolic_bp": 84, "diastolic_bp": 50},
    )
    urgent = [flag for flag in recorded.flags_raised if flag.level == FlagLevel.URGENT]
    assert urgent  # systolic BP < 90 mmHg is a red flag (domain.md §5.3; PRODUCT.md §4)
    assert {str(flag.pk) for flag in urgent} <= flag_ids(shown(nurse))


def test_a_flag_acknowledged_shows_who_and_the_note_on_the_next_load(nurse, clinician, course):
    flag = make_flag(course)
    assert "Called the patient" not in shown(nurse)
    services.acknowledge_flag(flag=flag, by=clinician, note="Called the patient")
    page = shown(nurse)
    assert "Acknowledged by" in page and "Called the patient" in page


def test_a_flag_resolved_leaves_the_queue_on_the_next_load(nurse, clinician, course):
    stays = make_flag(course, FlagLevel.REVIEW, "nausea")
    flag = make_flag(course)
    assert str(flag.pk) in flag_ids(shown(nurse))
    services.resolve_flag(flag=flag, by=clinician, note="Admitted", outcome="admitted")
    assert flag_ids(shown(nurse)) == {str(stays.pk)}


def test_a_report_entered_in_error_takes_its_flags_out_on_the_next_load(nurse, clinician, course):
    submitted = services.submit_report(
        course=course, by=course.patient.user, measurements={"temperature_c": Decimal("40.6")}
    )
    raised = {str(flag.pk) for flag in submitted.flags_raised}
    assert raised <= flag_ids(shown(nurse))
    services.mark_entered_in_error(record=submitted.report, by=clinician, reason="Wrong patient")
    assert not raised & flag_ids(shown(nurse))


def test_a_corrected_report_withdraws_and_raises_flags_on_the_next_load(nurse, clinician, course):
    submitted = services.submit_report(
        course=course, by=course.patient.user, measurements={"temperature_c": Decimal("38.2")}
    )
    before = flag_ids(shown(nurse))
    correction = services.correct_record(
        record=submitted.report,
        by=clinician,
        changes={"temperature_c": Decimal("40.6")},
        reason="Misread the thermometer",
    )
    after = flag_ids(shown(nurse))
    assert correction.flags_raised
    assert {str(flag.pk) for flag in correction.flags_raised} <= after
    assert not {str(flag.pk) for flag in correction.flags_withdrawn} & after
    assert after != before


def test_a_patient_renamed_shows_on_the_next_load(nurse, course):
    make_flag(course)
    shown(nurse)
    patient = course.patient
    patient.family_name = "Renamed-Kept"
    patient.save()
    assert "Renamed-Kept" in shown(nurse)


def test_a_therapy_renamed_shows_on_the_next_load(nurse, course):
    make_flag(course)
    shown(nurse)
    # As the catalog's load or the admin writes it (no history row follows a therapy).
    Therapy.objects.filter(pk=course.therapy_id).update(name="Renamed therapy")
    assert "Renamed therapy" in shown(nurse)


def test_a_flag_becomes_overdue_on_the_first_load_past_its_target(nurse, course, settings):
    """The kept body never holds the clock: the same kept body (three queries) says
    "overdue" as soon as the target passes, when the escalation job tells the team."""
    settings.TRIAGE_RESPONSE_MINUTES = {"urgent": 30, "review": 480, "info": None}
    raised = timezone.now()
    make_flag(course, created_at=raised)
    with time_machine.travel(raised + datetime.timedelta(minutes=29), tick=False):
        page = shown(nurse)
        assert "flag-overdue-badge" not in page and "waiting 29 min" in page
    with time_machine.travel(raised + datetime.timedelta(minutes=31), tick=False):
        services.escalate_flags()
        queries, page = load(nurse)
    assert queries == 3
    assert "flag-overdue-badge" in page and "patient-overdue-badge" in page
    assert "waiting 31 min" in page


# --- Never someone else's queue -----------------------------------------------------------------


def test_another_teams_clinician_never_gets_the_kept_queue(
    nurse, other_clinician, course, other_course
):
    mine = make_flag(course)
    theirs = make_flag(other_course)
    assert flag_ids(shown(nurse)) == {str(mine.pk)}
    other = Client()
    other.force_login(other_clinician)
    page = shown(other)
    assert flag_ids(page) == {str(theirs.pk)}
    assert reverse("tracker:patient-detail", args=[course.patient.pk]) not in page
    # The flag's own row answers them 404, kept or not.
    acknowledge = reverse("tracker:flag-acknowledge", args=[mine.pk])
    assert other.post(acknowledge, {"note": ""}).status_code == 404


def test_a_clinician_who_leaves_the_team_no_longer_gets_its_queue(
    nurse, clinician, care_team, course
):
    flag = make_flag(course)
    assert str(flag.pk) in flag_ids(shown(nurse))
    care_team.members.remove(clinician)
    assert not flag_ids(shown(nurse))


def test_french_and_english_are_kept_apart(nurse, course):
    make_flag(course)
    english = shown(nurse, HTTP_ACCEPT_LANGUAGE="en")
    french = shown(nurse, HTTP_ACCEPT_LANGUAGE="fr")
    english_again = shown(nurse, HTTP_ACCEPT_LANGUAGE="en")
    assert "Triage queue" in english and "Triage queue" in english_again
    assert "Triage queue" not in french
    assert 'lang="fr"' in french


def test_each_clinician_gets_their_own_csrf_token_and_it_works(clinician, care_team, course):
    colleague = factories.ClinicianFactory()
    care_team.members.add(colleague)
    flag = make_flag(course)
    first = Client(enforce_csrf_checks=True)
    first.force_login(clinician)
    second = Client(enforce_csrf_checks=True)
    second.force_login(colleague)
    token_pattern = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    shown(first)
    page = shown(second)
    assert course_page.CSRF_PLACEHOLDER not in page
    token = token_pattern.search(page).group(1)
    acknowledge = reverse("tracker:flag-acknowledge", args=[flag.pk])
    response = second.post(acknowledge, {"note": "", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.ACKNOWLEDGED
