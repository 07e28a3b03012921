"""Escalation of urgent flags nobody acknowledged: the on-call contacts at the response
target, the care team's physicians a second interval later; once per step, never after an
acknowledgement, nothing clinical in the message, the log or the webhook."""

import datetime
import json
import logging
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tracker import services
from tracker.models import EscalationChannel, EscalationLog, EscalationStep, FlagLevel

from .clinician.conftest import make_flag

pytestmark = pytest.mark.django_db

TRIAGE = reverse("tracker:triage")
RAISED = datetime.datetime(2026, 11, 24, 2, 0, tzinfo=datetime.UTC)  # a Tuesday, at night


@pytest.fixture(autouse=True)
def _targets(settings):
    settings.TRIAGE_RESPONSE_MINUTES = {"urgent": 30, "review": 480, "info": None}
    settings.ESCALATION_PHYSICIANS_AFTER_MINUTES = 30
    settings.SITE_URL = "https://tracker.example"


@pytest.fixture
def team(care_team):
    care_team.on_call_emails = "oncall@example.org\nward@example.org"
    care_team.save()
    return care_team


@pytest.fixture
def physician(team):
    doctor = factories.ClinicianFactory(is_physician=True, email="doctor@example.org")
    team.members.add(doctor)
    return doctor


@pytest.fixture
def urgent(course, team, time_machine):
    time_machine.move_to(RAISED, tick=False)
    return make_flag(course, FlagLevel.URGENT, created_at=RAISED)


def at(time_machine, minutes):
    time_machine.move_to(RAISED + datetime.timedelta(minutes=minutes), tick=False)
    return services.escalate_flags()


def test_nothing_before_the_target_then_the_on_call_contacts_at_it(
    urgent, time_machine, mailoutbox
):
    assert at(time_machine, 29) == 0
    assert mailoutbox == []
    assert at(time_machine, 30) == 1
    assert sorted(m.to[0] for m in mailoutbox) == ["oncall@example.org", "ward@example.org"]
    assert "waited 30 minutes" in mailoutbox[0].body
    assert f"https://tracker.example{TRIAGE}#flag-{urgent.pk}" in mailoutbox[0].body
    # Nothing clinical: no value, no term, no patient's name.
    for withheld in ("40.3", "Fever", urgent.course.patient.family_name):
        assert withheld not in mailoutbox[0].body
        assert withheld not in mailoutbox[0].subject


def test_sent_once_per_step_however_often_the_job_runs(urgent, time_machine, mailoutbox):
    at(time_machine, 31)
    assert at(time_machine, 32) == 0
    assert at(time_machine, 33) == 0
    assert len(mailoutbox) == 2
    assert EscalationLog.objects.filter(flag=urgent).count() == 1


def test_not_sent_once_acknowledged(urgent, time_machine, mailoutbox, clinician):
    time_machine.move_to(RAISED + datetime.timedelta(minutes=20), tick=False)
    services.acknowledge_flag(flag=urgent, by=clinician)
    assert at(time_machine, 30) == 0
    assert at(time_machine, 120) == 0
    assert mailoutbox == []


def test_physicians_after_the_second_interval_and_stops_on_acknowledgement(
    urgent, physician, time_machine, mailoutbox, clinician
):
    at(time_machine, 30)
    assert "doctor@example.org" not in [m.to[0] for m in mailoutbox]
    assert at(time_machine, 59) == 0
    assert at(time_machine, 60) == 1
    assert mailoutbox[-1].to == ["doctor@example.org"]
    assert "Still unacknowledged" in mailoutbox[-1].subject
    steps = set(EscalationLog.objects.filter(flag=urgent).values_list("step", flat=True))
    assert steps == {EscalationStep.ON_CALL, EscalationStep.PHYSICIANS}


def test_a_nurse_is_not_a_physician(urgent, team, time_machine, mailoutbox, clinician):
    at(time_machine, 30)
    assert at(time_machine, 60) == 0  # no physician in the team: nobody to tell
    assert clinician.email not in [m.to[0] for m in mailoutbox]


def test_acknowledged_between_the_steps_the_physicians_are_not_told(
    urgent, physician, time_machine, mailoutbox, clinician
):
    at(time_machine, 30)
    services.acknowledge_flag(flag=urgent, by=clinician)
    assert at(time_machine, 60) == 0
    assert "doctor@example.org" not in [m.to[0] for m in mailoutbox]


def test_review_and_info_flags_are_not_escalated(course, team, time_machine, mailoutbox):
    time_machine.move_to(RAISED, tick=False)
    make_flag(course, FlagLevel.REVIEW, "nausea", created_at=RAISED)
    make_flag(course, FlagLevel.INFO, "chills", created_at=RAISED)
    assert at(time_machine, 600) == 0
    assert mailoutbox == []


def test_a_concurrent_run_that_inserted_first_wins(urgent, time_machine, mailoutbox):
    """Two hosts at once: the second insert of (flag, step, channel) fails, nothing is sent."""
    time_machine.move_to(RAISED + datetime.timedelta(minutes=30), tick=False)
    duplicate = IntegrityError("duplicate key value violates unique constraint")
    with mock.patch.object(EscalationLog.objects, "create", side_effect=duplicate):
        assert services.escalate_flags() == 0
    assert mailoutbox == []
    # The other host's row, committed a moment earlier: later runs see it too.
    EscalationLog.objects.create(
        flag=urgent, step=EscalationStep.ON_CALL, channel=EscalationChannel.EMAIL
    )
    assert at(time_machine, 31) == 0
    assert mailoutbox == []
    assert EscalationLog.objects.filter(flag=urgent).count() == 1


def test_the_unique_constraint_holds(urgent):
    EscalationLog.objects.create(
        flag=urgent, step=EscalationStep.ON_CALL, channel=EscalationChannel.EMAIL
    )
    with pytest.raises(IntegrityError):
        EscalationLog.objects.create(
            flag=urgent, step=EscalationStep.ON_CALL, channel=EscalationChannel.EMAIL
        )


def test_a_failed_e_mail_is_tried_again_next_run(urgent, time_machine, mailoutbox, caplog):
    with mock.patch("tracker.emails.EmailMultiAlternatives.send", side_effect=OSError("down")):
        assert at(time_machine, 30) == 0
    assert not EscalationLog.objects.exists()
    assert at(time_machine, 31) == 1
    assert len(mailoutbox) == 2


class _Answer:
    status = 204

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_webhook_gets_id_level_and_link_only(urgent, team, time_machine, mailoutbox):
    team.escalation_webhook_url = "https://pager.example/hook"
    team.save()
    with mock.patch("urllib.request.urlopen", return_value=_Answer()) as urlopen:
        assert at(time_machine, 30) == 2  # the e-mails and the webhook
    request = urlopen.call_args.args[0]
    assert urlopen.call_args.kwargs["timeout"] == 5
    assert request.full_url == "https://pager.example/hook"
    assert request.get_method() == "POST"
    body = json.loads(request.data)
    assert body == {
        "flag": str(urgent.pk),
        "level": "urgent",
        "step": "on_call",
        "link": f"https://tracker.example{TRIAGE}#flag-{urgent.pk}",
    }
    assert "40.3" not in request.data.decode()


def test_a_failed_webhook_is_logged_and_tried_again(urgent, team, time_machine, caplog):
    team.escalation_webhook_url = "https://pager.example/hook"
    team.save()
    with (
        mock.patch("urllib.request.urlopen", side_effect=TimeoutError("timed out")),
        caplog.at_level(logging.ERROR, logger="tracker.services"),
    ):
        assert at(time_machine, 30) == 1  # the e-mails went
    assert "escalation not sent" in caplog.text
    assert "40.3" not in caplog.text
    with mock.patch("urllib.request.urlopen", return_value=_Answer()) as urlopen:
        assert at(time_machine, 31) == 1  # only the webhook, again
    assert urlopen.call_count == 1


def test_the_log_has_no_clinical_values(urgent, time_machine, caplog):
    with caplog.at_level(logging.INFO, logger="tracker.services"):
        at(time_machine, 30)
    assert f"escalation sent flag={urgent.pk} step=on_call channel=email" in caplog.text
    for withheld in ("40.3", "Fever", "oncall@example.org"):
        assert withheld not in caplog.text


def test_the_command_runs_the_escalation(urgent, time_machine, mailoutbox):
    time_machine.move_to(RAISED + datetime.timedelta(minutes=45), tick=False)
    out = StringIO()
    call_command("escalate_flags", stdout=out)
    assert out.getvalue().strip() == "1 escalation(s) sent."
    assert len(mailoutbox) == 2
    assert timezone.now() == RAISED + datetime.timedelta(minutes=45)


@pytest.mark.parametrize("told", [1, 4])
def test_flags_already_told_cost_the_job_nothing(
    course, team, physician, time_machine, mailoutbox, told, django_assert_num_queries
):
    """Cron runs the job every minute while urgent flags wait: those whose every step was
    sent, and those with nobody to tell, are left out by one query per step, however many."""
    time_machine.move_to(RAISED, tick=False)
    flags = [make_flag(course, FlagLevel.URGENT, created_at=RAISED) for _ in range(told)]
    at(time_machine, 60)
    assert EscalationLog.objects.filter(flag__in=flags).count() == 2 * told
    time_machine.move_to(RAISED + datetime.timedelta(minutes=61), tick=False)
    with django_assert_num_queries(2):  # the flags still to tell, for each of the two steps
        assert services.escalate_flags() == 0


def test_a_team_with_nobody_to_tell_costs_one_query_per_step(
    course, care_team, time_machine, django_assert_num_queries
):
    time_machine.move_to(RAISED, tick=False)
    make_flag(course, FlagLevel.URGENT, created_at=RAISED)
    time_machine.move_to(RAISED + datetime.timedelta(minutes=60), tick=False)
    with django_assert_num_queries(2):
        assert services.escalate_flags() == 0
    assert not EscalationLog.objects.exists()
