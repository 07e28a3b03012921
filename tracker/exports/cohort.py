"""The cohort export: every observation of the courses of one therapy started in a date range.

Streamed as CSV, so memory stays flat whatever the size: the courses are read with
`.iterator(chunk_size=…)` and their records gathered a batch of courses at a time, with the
same querysets as `tracker.summary.build_summary` (so a course's rows here are the rows of its
own CSV). The number of queries depends on the number of batches, never on the number of
observations: one for the courses, then seven per batch.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from django.db.models import Prefetch

from therapies.models import ExpectedSideEffect

from ..models import (
    AdverseEvent,
    Course,
    DoseAdministration,
    Flag,
    SymptomAnswer,
    SymptomReport,
    Visit,
)
from . import tabular

BATCH_SIZE = 200  # courses gathered together; a batch's records are in memory at once


@dataclass
class CourseRecords:
    """What the observation rows of one course need (a subset of `CourseSummary`)."""

    course: Course
    expected_slugs: frozenset
    doses: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    flags: list = field(default_factory=list)


def cohort_courses(scope, *, therapy, start_from: datetime.date, start_to: datetime.date):
    """The courses of `scope` of `therapy` whose start date is in [start_from, start_to].

    `scope` is the caller's already scoped queryset: `Course.objects.visible_to(user)` gives a
    clinician their care teams' courses and an administrator every course. Oldest first.
    """
    return (
        scope.filter(therapy=therapy, start_date__gte=start_from, start_date__lte=start_to)
        .select_related("patient", "therapy")
        .order_by("start_date", "pk")
    )


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def _by_course(rows, key):
    grouped = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


def _attach_records(flags, reports_by_course, visits_by_course):
    """Give each flag its report or visit from the records already loaded (as build_summary
    does), instead of joining them into the flags' query."""
    records = {
        record.pk: record
        for grouped in (reports_by_course, visits_by_course)
        for records_of_course in grouped.values()
        for record in records_of_course
    }
    for flag in flags:
        record = records.get(flag.report_id or flag.visit_id)
        if record is not None and flag.report_id:
            flag.report = record
        elif record is not None:
            flag.visit = record


def gather(courses, *, batch_size: int = BATCH_SIZE):
    """Yield `CourseRecords` for each course of the queryset, gathered batch by batch.

    Seven queries per batch (expected side effects, doses, reports and their answers, visits
    and their adverse events, flags) plus the course query itself; records entered in error
    are left out exactly as `build_summary` does.
    """
    for batch in _batches(courses.iterator(chunk_size=batch_size), batch_size):
        ids = [course.pk for course in batch]
        expected = _by_course(
            ExpectedSideEffect.objects.filter(
                therapy__in={course.therapy_id for course in batch}
            ).values_list("therapy_id", "term__slug"),
            key=lambda row: row[0],
        )
        doses = _by_course(
            DoseAdministration.objects.current()
            .filter(course__in=ids)
            .order_by("course_id", "dose_number"),
            key=lambda dose: dose.course_id,
        )
        reports = _by_course(
            SymptomReport.objects.current()
            .filter(course__in=ids)
            .select_related("submitted_by")
            .prefetch_related(
                Prefetch("answers", queryset=SymptomAnswer.objects.current().select_related("term"))
            )
            .order_by("reported_at"),
            key=lambda report: report.course_id,
        )
        visits = _by_course(
            Visit.objects.current()
            .filter(course__in=ids)
            .select_related("recorded_by")
            .prefetch_related(
                Prefetch(
                    "adverse_events",
                    queryset=AdverseEvent.objects.current().select_related("term"),
                )
            )
            .order_by("recorded_at"),
            key=lambda visit: visit.course_id,
        )
        flags = list(
            Flag.objects.filter(course__in=ids)
            .exclude(report__entered_in_error=True)
            .exclude(visit__entered_in_error=True)
            .select_related("term")
            .by_urgency()
        )
        _attach_records(flags, reports, visits)
        flags = _by_course(flags, key=lambda flag: flag.course_id)
        for course in batch:
            yield CourseRecords(
                course=course,
                expected_slugs=frozenset(slug for _, slug in expected.get(course.therapy_id, [])),
                doses=doses.get(course.pk, []),
                reports=reports.get(course.pk, []),
                visits=visits.get(course.pk, []),
                flags=flags.get(course.pk, []),
            )


def cohort_table(courses, *, pseudonymised: bool = False, batch_size: int = BATCH_SIZE):
    """Header, then every observation of every course (see `tabular.observation_table`)."""
    return tabular.observation_table(
        gather(courses, batch_size=batch_size), pseudonymised=pseudonymised
    )
