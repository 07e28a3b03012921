"""When an outpatient is expected to report (pure Python: dates in, dates out).

Reporting is denser early in a course and sparser later: NCI's PRO-CTCAE guidance suggests a
baseline, then more frequent reports (for example weekly) during early cycles and longer
intervals later (NCI PRO-CTCAE FAQ); weekly reporting keeps completion around 80-90 % while
daily reporting decays (domain research, ecosystem.md B.1 item 5). Inpatients are assessed on
the ward and get no schedule. The numbers below are a product choice (derived, needs clinical
review), kept in one place so reminders and the "not reported yet" list agree.
"""

import datetime
from dataclasses import dataclass

DAILY_FOR_FIRST_DAYS = 14  # derived: daily reports in the first two weeks of a course
DAILY_INTERVAL_DAYS = 1
LATER_INTERVAL_DAYS = 7  # derived: then weekly (NCI PRO-CTCAE FAQ: e.g. weekly early on)


def interval_on(start_date: datetime.date, day: datetime.date) -> int:
    """Days between reports for a course on a given day."""
    if (day - start_date).days < DAILY_FOR_FIRST_DAYS:
        return DAILY_INTERVAL_DAYS
    return LATER_INTERVAL_DAYS


def next_report_due(
    *, start_date: datetime.date, last_report_on: datetime.date | None
) -> datetime.date:
    """The day the next report is due: the start day when nothing came yet, otherwise one
    interval after the last report (the interval that applies on the day after it)."""
    if last_report_on is None or last_report_on < start_date:
        return start_date
    following = last_report_on + datetime.timedelta(days=1)
    return last_report_on + datetime.timedelta(days=interval_on(start_date, following))


def is_overdue(
    *, start_date: datetime.date, last_report_on: datetime.date | None, today: datetime.date
) -> bool:
    """Overdue once the due day has passed without a report (the due day itself is not late)."""
    if today < start_date:
        return False
    return next_report_due(start_date=start_date, last_report_on=last_report_on) < today


# --- Care team opening hours ---------------------------------------------------------------------
# A care team reads reports during its opening hours; outside them a patient is told when it will
# look and which number to call. Times are wall-clock times in the clinic's time zone: callers
# pass a datetime already in that zone (django.utils.timezone.localtime).

WEEK_DAYS = 7


@dataclass(frozen=True)
class OpeningHours:
    """open_days: weekday numbers as datetime.weekday() gives them (Monday 0 to Sunday 6)."""

    open_days: frozenset[int]
    opens_at: datetime.time
    closes_at: datetime.time


def is_open(hours: OpeningHours, at: datetime.datetime) -> bool:
    """Open from opens_at (included) to closes_at (excluded) on an open day."""
    return at.weekday() in hours.open_days and hours.opens_at <= at.time() < hours.closes_at


def next_opening(hours: OpeningHours, at: datetime.datetime) -> datetime.datetime | None:
    """The first opening strictly after `at` (the same day's if `at` is before it), in `at`'s time
    zone; None when the team has no open day."""
    if not hours.open_days:
        return None
    for days_ahead in range(WEEK_DAYS + 1):
        day = at.date() + datetime.timedelta(days=days_ahead)
        if day.weekday() not in hours.open_days:
            continue
        opening = datetime.datetime.combine(day, hours.opens_at, tzinfo=at.tzinfo)
        if opening > at:
            return opening
    return None
