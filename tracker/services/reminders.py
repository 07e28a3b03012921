"""Reporting reminders (patient portal)."""

import datetime
import logging
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from therapies.models import Setting

from .. import emails
from ..models import (
    Course,
    ReminderLog,
)

if TYPE_CHECKING:
    from ..models import CourseQuerySet, User

log = logging.getLogger(__name__)


# Reminders go out in the daytime only (local time of the clinic): a product choice, so that a
# cron job every 15 minutes never wakes anyone up.
REMINDER_FROM_HOUR = 9
REMINDER_UNTIL_HOUR = 20


def _courses_to_remind(today: datetime.date) -> "CourseQuerySet[Course]":
    courses: CourseQuerySet[Course] = (
        Course.objects.active()
        .filter(
            therapy__setting=Setting.OUTPATIENT,
            start_date__lte=today,
            patient__user__is_active=True,
        )
        .exclude(patient__user__email="")
        # Not before the patient has chosen a password: they could not sign in to report.
        .exclude(patient__user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .select_related("patient__user", "therapy", "care_team")
        .with_last_report()
    )
    return courses


def send_due_reminders(*, now: datetime.datetime | None = None, site_url: str = "") -> int:
    """E-mail each outpatient whose report is due today (or overdue) once per due date.

    Idempotent, for cron: the ReminderLog row of (course, due date) is inserted in the same
    transaction that sends the e-mail, so a second or concurrent run finds it and skips; a
    failed send rolls the row back and the next run tries again. Returns how many were sent.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    if not REMINDER_FROM_HOUR <= local.hour < REMINDER_UNTIL_HOUR:
        return 0
    today = local.date()
    site_url = site_url or getattr(settings, "SITE_URL", "http://127.0.0.1:8000")
    sent = 0
    for course in _courses_to_remind(today):
        due = course.report_due()
        if due <= today and _send_reminder(course, due, now, site_url):
            sent += 1
    return sent


def _send_reminder(
    course: Course, due: datetime.date, now: datetime.datetime, site_url: str
) -> bool:
    user = cast("User", course.patient.user)  # only patients with an account are reminded
    due_from = timezone.make_aware(datetime.datetime.combine(due, datetime.time.min))
    try:
        with transaction.atomic():
            # A report that came in since the list was read answers this due date already.
            if course.reports.current().filter(reported_at__gte=due_from).exists():
                return False
            ReminderLog.objects.create(course=course, due_date=due, sent_at=now)
            emails.send_now(
                "report_reminder",
                to=user.email,
                context={
                    "user": user,
                    "course": course,
                    "due_date": due,
                    "overdue": due < timezone.localtime(now).date(),
                    "link": site_url.rstrip("/")
                    + reverse("tracker:patient-report-create", args=[course.pk]),
                    "phone": course.care_team.phone_for_patients,
                    "out_of_hours_phone": course.care_team.out_of_hours_phone_for_patients,
                    "care_team": course.care_team,
                },
                language=user.preferred_language,
            )
    except IntegrityError:
        return False  # another run sent it
    except Exception:
        log.exception("reminder not sent course=%s due=%s; next run retries", course.pk, due)
        return False
    log.info("reminder sent course=%s due=%s", course.pk, due)
    return True
