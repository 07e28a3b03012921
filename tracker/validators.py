"""Date and time checks shared by the pages' forms, the API's serializers and the models, so
that the same input gets the same answer whichever way it comes in.

These are plausibility checks on what was typed (a wrong year, a date in the future), not
clinical rules: each refuses with a message at the field.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A few minutes' grace for clocks that disagree; beyond that it is a typing mistake.
CLOCK_SKEW = datetime.timedelta(minutes=5)
# A visit may be logged after the fact, and a baseline visit may precede the first dose; more
# than a year before the course started is a wrong date.
BEFORE_COURSE = datetime.timedelta(days=365)
# The first interleukin therapy was approved in 1992 (aldesleukin, FDA): no course starts before.
EARLIEST_COURSE_START = datetime.date(1992, 1, 1)
# A course is planned at most a year ahead, and so is a dose.
COURSE_START_AHEAD = datetime.timedelta(days=365)
SCHEDULED_AHEAD = datetime.timedelta(days=365)


def representable(value):
    """A time that the database and every time zone can hold: year 1 in one zone is year 0 in
    another (Python's OverflowError), so such a time is refused as not a real one."""
    if value is None:
        return value
    try:
        value.astimezone(datetime.UTC)
        timezone.localtime(value)
    except (OverflowError, ValueError) as exc:
        raise ValidationError(_("Enter a real date and time."), code="out_of_range") from exc
    return value


def not_in_the_future(value):
    """A time that has happened (a visit, a report, a dose given)."""
    representable(value)
    if value is not None and value > timezone.now() + CLOCK_SKEW:
        raise ValidationError(_("This time is in the future."), code="future")
    return value


def date_not_in_the_future(value):
    """A date that has happened (the onset of an adverse event)."""
    if value is not None and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")
    return value


def not_long_before_course(value, course):
    """A time of the course's record: at most a year before the course started."""
    representable(value)
    if value is None or course is None or course.start_date is None:
        return value
    if timezone.localtime(value).date() < course.start_date - BEFORE_COURSE:
        raise ValidationError(
            _("This is more than a year before the course started; check the date."),
            code="before_course",
        )
    return value


def record_time(value, course):
    """When a visit or report happened: not in the future, at most a year before the course."""
    not_in_the_future(value)
    return not_long_before_course(value, course)


def dose_schedule(value, course):
    """When a dose was scheduled: at most a year before the course started, at most a year
    from now (the next dose's time is computed from it)."""
    not_long_before_course(value, course)
    if value is not None and value > timezone.now() + SCHEDULED_AHEAD:
        raise ValidationError(
            _("This is more than a year from now; check the date."), code="too_late"
        )
    return value


def course_start(value):
    """A course's start date: from 1992 (the first interleukin therapy) to a year from today."""
    if value is None:
        return value
    if value < EARLIEST_COURSE_START:
        raise ValidationError(
            _("A course cannot start before %(date)s; check the year.")
            % {"date": EARLIEST_COURSE_START.isoformat()},
            code="too_early",
        )
    if value > timezone.localdate() + COURSE_START_AHEAD:
        raise ValidationError(
            _("A course is planned at most a year ahead; check the year."), code="too_late"
        )
    return value
