"""Reporting reminders: one e-mail per course and due date, never after the report is in."""

import datetime
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError

from tests import factories
from therapies.models import Therapy
from tracker import services
from tracker.models import CourseStatus, ReminderLog

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
START = datetime.date(2026, 3, 2)


def at(day, hour=10, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def outpatient_course(patient):
    """Anakinra (outpatient), started on START: daily reports for two weeks, then weekly."""
    return factories.CourseFactory(patient=patient, start_date=START)


def report_on(course, when):
    return services.submit_report(course=course, by=course.patient.user, reported_at=when).report


def send(when):
    with time_machine.travel(when, tick=False):
        return services.send_due_reminders(site_url="https://tracker.example.org")


def test_a_due_report_gets_one_reminder(outpatient_course, mailoutbox):
    assert send(at(START)) == 1
    (email,) = mailoutbox
    assert email.to == [outpatient_course.patient.user.email]
    link = f"https://tracker.example.org/my/courses/{outpatient_course.pk}/report/"
    assert link in email.body
    assert ReminderLog.objects.get().due_date == START


def test_running_again_sends_nothing_more(outpatient_course, mailoutbox):
    send(at(START, 10))
    assert send(at(START, 10, 15)) == 0
    assert send(at(START, 18)) == 0
    assert len(mailoutbox) == 1


def test_no_reminder_once_the_report_is_in(outpatient_course, mailoutbox):
    report_on(outpatient_course, at(START, 8))
    assert send(at(START, 10)) == 0
    assert not mailoutbox


def test_the_next_due_date_gets_its_own_reminder(outpatient_course, mailoutbox):
    send(at(START))
    report_on(outpatient_course, at(START, 11))
    assert send(at(START + datetime.timedelta(days=1))) == 1
    assert [r.due_date for r in ReminderLog.objects.order_by("due_date")] == [
        START,
        START + datetime.timedelta(days=1),
    ]


def test_an_overdue_report_is_reminded_once_not_every_day(outpatient_course, mailoutbox):
    assert send(at(START)) == 1
    assert send(at(START + datetime.timedelta(days=1))) == 0
    assert send(at(START + datetime.timedelta(days=3))) == 0


def test_weekly_after_two_weeks(outpatient_course, mailoutbox):
    day_20 = START + datetime.timedelta(days=20)
    report_on(outpatient_course, at(day_20, 9))
    assert send(at(day_20 + datetime.timedelta(days=6))) == 0
    assert send(at(day_20 + datetime.timedelta(days=7))) == 1


def test_nobody_is_woken_at_night(outpatient_course, mailoutbox):
    assert send(at(START, 3)) == 0
    assert send(at(START, 21)) == 0
    assert send(at(START, 9)) == 1


def test_the_reminder_is_in_the_patients_language(outpatient_course, mailoutbox):
    user = outpatient_course.patient.user
    user.preferred_language = "fr"
    user.save()
    send(at(START))
    assert '<html lang="fr">' in mailoutbox[0].alternatives[0][0]


@pytest.mark.parametrize(
    "change",
    [
        "inpatient",
        "completed",
        "no_email",
        "no_password_yet",
        "not_started",
    ],
)
def test_who_gets_no_reminder(outpatient_course, mailoutbox, change):
    user = outpatient_course.patient.user
    if change == "inpatient":
        outpatient_course.therapy = Therapy.objects.get(slug="aldesleukin-high-dose")
    elif change == "completed":
        outpatient_course.status = CourseStatus.COMPLETED
    elif change == "no_email":
        user.email = ""
    elif change == "no_password_yet":
        user.set_unusable_password()
    elif change == "not_started":
        outpatient_course.start_date = START + datetime.timedelta(days=5)
    outpatient_course.save()
    user.save()
    assert send(at(START)) == 0


def test_a_failed_send_is_tried_again_on_the_next_run(outpatient_course, mailoutbox):
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError):
        assert send(at(START, 10)) == 0
    assert not ReminderLog.objects.exists()
    assert send(at(START, 10, 15)) == 1


def test_a_concurrent_run_that_sent_first_wins(outpatient_course, mailoutbox):
    def other_run_first(**fields):
        ReminderLog.objects.bulk_create([ReminderLog(**fields)])
        raise IntegrityError("one_reminder_per_due_date")

    with mock.patch.object(ReminderLog.objects, "create", side_effect=other_run_first):
        assert send(at(START)) == 0
    assert not mailoutbox


def test_the_command_reports_how_many_it_sent(outpatient_course, mailoutbox):
    out = StringIO()
    with time_machine.travel(at(START), tick=False):
        call_command("send_reminders", "--site-url", "https://tracker.example.org", stdout=out)
    assert out.getvalue().strip() == "1 reminder(s) sent."


def test_the_reminder_gives_the_out_of_hours_number_with_the_teams_hours(
    outpatient_course, mailoutbox
):
    team = outpatient_course.care_team
    team.out_of_hours_phone = "+33 1 45 00 00 00"
    team.save()
    send(at(START))
    body = mailoutbox[0].body
    assert "+33 1 23 45 67 89 (Monday to Friday, 08:00 to 18:00)" in body
    assert "the out-of-hours number +33 1 45 00 00 00 at other times" in body
    assert "today" not in body.replace("How are you today?", "")
