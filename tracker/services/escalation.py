"""Escalation of urgent flags nobody has acknowledged."""

import datetime
import json
import logging
import urllib.request

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from .. import emails
from ..models import (
    CareTeam,
    EscalationChannel,
    EscalationLog,
    EscalationStep,
    Flag,
    FlagLevel,
)

log = logging.getLogger(__name__)


# --- Escalation of urgent flags nobody has acknowledged -----------------------------------------


def _escalation_after(step: EscalationStep) -> datetime.timedelta | None:
    """How long after it was raised an open urgent flag reaches `step` (settings)."""
    target = settings.TRIAGE_RESPONSE_MINUTES.get(FlagLevel.URGENT)
    if target is None:
        return None
    after = datetime.timedelta(minutes=target)
    if step == EscalationStep.PHYSICIANS:
        after += datetime.timedelta(minutes=settings.ESCALATION_PHYSICIANS_AFTER_MINUTES)
    return after


def _escalation_recipients(team: CareTeam, step: EscalationStep) -> list[tuple[str, str]]:
    """(address, language) of whom a step tells: the on-call contacts, then the physicians."""
    if step == EscalationStep.ON_CALL:
        return [(address, settings.LANGUAGE_CODE) for address in team.on_call_addresses]
    return [
        (user.email, user.preferred_language)
        for user in team.members.filter(is_physician=True, is_active=True).exclude(email="")
    ]


def escalate_flags(*, now: datetime.datetime | None = None, site_url: str = "") -> int:
    """Tell the care team about urgent flags still open past their response target.

    First the team's on-call contacts (e-mail, and the team's webhook when it has one), then,
    after a second interval, the team's physicians. Idempotent, for cron every minute and for
    several hosts at once: the EscalationLog row of (flag, step, channel) is inserted in the
    same transaction that sends, so a re-run or a concurrent run finds it and skips; a failed
    send rolls the row back and the next run tries again. A flag acknowledged in the meantime
    is skipped. Returns how many sends were made (e-mails to a step's people count as one).
    """
    now = now or timezone.now()
    site_url = site_url or getattr(settings, "SITE_URL", "http://127.0.0.1:8000")
    sent = 0
    for step in EscalationStep:
        after = _escalation_after(step)
        if after is None:
            continue
        for flag in _due(step, raised_by=now - after):
            team = flag.course.care_team
            channels = [EscalationChannel.EMAIL]
            if team.escalation_webhook_url:
                channels.append(EscalationChannel.WEBHOOK)
            for channel in channels:
                if _send_escalation(flag, step, channel, now=now, site_url=site_url):
                    sent += 1
    return sent


def _due(step: EscalationStep, *, raised_by: datetime.datetime) -> QuerySet[Flag]:
    """The open urgent flags raised by `raised_by` that may still need `step`: a channel of
    the step not yet logged for them that someone can receive. One query; the flags already
    told (every open urgent flag of a team, minute after minute) or with nobody to tell are
    left out by the database, so a run costs what the flags still to tell cost, not every open
    urgent flag. What is left is checked flag by flag as before (_send_escalation)."""
    logged = EscalationLog.objects.filter(flag=OuterRef("pk"), step=step)
    team = "course__care_team__"
    # A superset of whom _escalation_recipients tells (its exact list is read when sending).
    if step == EscalationStep.ON_CALL:
        someone_to_email = ~Q(**{f"{team}on_call_emails": ""})
    else:
        someone_to_email = Q(
            Exists(
                CareTeam.members.through.objects.filter(
                    careteam=OuterRef("course__care_team"),
                    user__is_physician=True,
                    user__is_active=True,
                ).exclude(user__email="")
            )
        )
    due: QuerySet[Flag] = (
        Flag.objects.open()
        .filter(level=FlagLevel.URGENT, withdrawn=False, created_at__lte=raised_by)
        .filter(
            (someone_to_email & ~Exists(logged.filter(channel=EscalationChannel.EMAIL)))
            | (
                ~Q(**{f"{team}escalation_webhook_url": ""})
                & ~Exists(logged.filter(channel=EscalationChannel.WEBHOOK))
            )
        )
        .select_related("course__care_team")
    )
    return due


def _send_escalation(
    flag: Flag,
    step: EscalationStep,
    channel: EscalationChannel,
    *,
    now: datetime.datetime,
    site_url: str,
) -> bool:
    if EscalationLog.objects.filter(flag=flag, step=step, channel=channel).exists():
        return False
    team = flag.course.care_team
    link = site_url.rstrip("/") + reverse("tracker:triage") + f"#flag-{flag.pk}"
    try:
        with transaction.atomic():
            # Acknowledged since the list was read: nobody needs telling any more.
            # Locked, as acknowledging locks it: one or the other goes first.
            if Flag.objects.select_for_update().filter(pk=flag.pk).open().first() is None:
                return False
            recipients = (
                _escalation_recipients(team, step) if channel == EscalationChannel.EMAIL else []
            )
            if channel == EscalationChannel.EMAIL and not recipients:
                return False
            EscalationLog.objects.create(
                flag=flag, step=step, channel=channel, recipients=len(recipients), sent_at=now
            )
            if channel == EscalationChannel.EMAIL:
                waited = int((now - flag.created_at).total_seconds() // 60)
                for address, language in recipients:
                    emails.send_now(
                        "flag_escalation",
                        to=address,
                        context={
                            "care_team": team,
                            "step": step,
                            "minutes": waited,
                            "link": link,
                        },
                        language=language,
                    )
            else:
                _post_webhook(team.escalation_webhook_url, flag, step, link)
    except IntegrityError:
        return False  # another run sent it
    except Exception:
        # No values, names or addresses in the log: the flag's id, the step and the channel.
        log.exception(
            "escalation not sent flag=%s step=%s channel=%s; next run retries",
            flag.pk,
            step,
            channel,
        )
        return False
    log.info("escalation sent flag=%s step=%s channel=%s", flag.pk, step, channel)
    return True


def _post_webhook(url: str, flag: Flag, step: EscalationStep, link: str) -> None:
    """POST the flag's id, level, step and link (nothing clinical) as JSON; an error or a
    non-2xx answer raises, so that the caller rolls back and the next run tries again."""
    body = json.dumps(
        {"flag": str(flag.pk), "level": flag.level, "step": str(step), "link": link}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (an administrator sets the URL)
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(  # noqa: S310 (the URL is set by an administrator)
        request, timeout=settings.ESCALATION_WEBHOOK_TIMEOUT_SECONDS
    ) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"webhook answered {response.status}")
