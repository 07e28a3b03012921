"""The cohort export: every observation of the courses of one therapy started in a date range.

Streamed as CSV, so memory stays flat whatever the size: the courses are read with
`.iterator(chunk_size=…)` and their records gathered a batch of courses at a time, with the
same filters as `tracker.summary.build_summary` (so a course's rows here are the rows of its
own CSV), as plain rows rather than model instances. The number of queries depends on the
number of batches, never on the number of observations: one for the courses and one for the
side-effect catalog, then seven per batch.
"""

import datetime
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter, itemgetter

from django.db.models import CharField
from django.db.models.functions import Cast

from therapies.models import ExpectedSideEffect, SideEffectTerm

from ..measurements import REPORT_MEASUREMENTS, VISIT_MEASUREMENTS
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
    Courses entered in error (wrong patient or therapy) are left out.
    """
    return (
        scope.current()
        .filter(therapy=therapy, start_date__gte=start_from, start_date__lte=start_to)
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


class Loaded(tuple):
    """Related rows already read, answering `.all()` like the related manager they stand for."""

    def all(self):
        return self


# The fields the observation rows read (tabular.observations), per kind of record.
DOSE_FIELDS = (
    "course_id",
    "dose_number",
    "status",
    "administered_at",
    "scheduled_at",
    "dose_amount",
    "dose_unit",
    "reason",
)
ANSWER_FIELDS = (
    "report_id",
    "term_id",
    "expected",
    "present",
    "frequency",
    "severity",
    "interference",
    "composite_grade",
)
REPORT_FIELDS = ("id", "course_id", "reported_at", "source", "note", *REPORT_MEASUREMENTS)
EVENT_FIELDS = (
    "visit_id",
    "term_id",
    "expected",
    "grade",
    "attribution",
    "action",
    "seriousness",
    "outcome",
    "onset_date",
    "end_date",
    "ongoing",
)
VISIT_FIELDS = ("id", "course_id", "recorded_at", "notes", *VISIT_MEASUREMENTS)
FLAG_FIELDS = (
    "course_id",
    "report_id",
    "visit_id",
    "term_id",
    "expected",
    "level",
    "status",
    "ctcae_grade",
    "composite_grade",
    "value",
    "created_at",
    "catalog_version",
)

# Plain rows with attributes, instead of model instances: building a model instance for each
# of the hundreds of thousands of rows was most of the export's time (docs/benchmarks.md).
DoseRow = namedtuple("DoseRow", DOSE_FIELDS)
AnswerRow = namedtuple("AnswerRow", (*ANSWER_FIELDS, "term"))
ReportRow = namedtuple("ReportRow", (*REPORT_FIELDS, "pk", "answers"))
EventRow = namedtuple("EventRow", (*EVENT_FIELDS, "term"))
VisitRow = namedtuple("VisitRow", (*VISIT_FIELDS, "pk", "adverse_events"))
FlagRow = namedtuple("FlagRow", (*FLAG_FIELDS, "term"))


# Ids that only match rows to each other (a report's answers, a course's records) are read
# as text: turning each into a UUID object was a fifth of the export's time on SQLite.
ID_FIELDS = frozenset({"id", "course_id", "report_id", "visit_id"})


def _columns(fields):
    return [Cast(name, output_field=CharField()) if name in ID_FIELDS else name for name in fields]


def _items_by_record(queryset, fields, row_type, terms):
    """Answers or adverse events (`fields`: their report or visit first, the term second)
    with their term, by report or visit. Unordered: the observation rows are sorted later."""
    return _by_course(
        (
            row_type(*row, terms[row[1]])
            for row in queryset.order_by().values_list(*_columns(fields))
        ),
        key=itemgetter(0),
    )


def _records_with(queryset, fields, row_type, related):
    """Reports or visits (`fields`, the id first) by course, each with its related rows."""
    return _by_course(
        (
            row_type(*row, row[0], Loaded(related.get(row[0], ())))
            for row in queryset.values_list(*_columns(fields))
        ),
        key=attrgetter("course_id"),
    )


def gather(courses, *, batch_size: int = BATCH_SIZE):
    """Yield `CourseRecords` for each course of the queryset, gathered batch by batch.

    One query for the side-effect catalog, then seven per batch (expected side effects,
    doses, answers, reports, adverse events, visits, flags) plus the course query itself;
    records entered in error are left out exactly as `build_summary` does. The records are
    plain rows (`values_list`) with the attributes `tabular.observations` reads.
    """
    terms = SideEffectTerm.objects.in_bulk()
    courses = courses.annotate(key=Cast("pk", output_field=CharField()))  # as the records' ids
    for batch in _batches(courses.iterator(chunk_size=batch_size), batch_size):
        ids = [course.pk for course in batch]
        expected = _by_course(
            ExpectedSideEffect.objects.filter(
                therapy__in={course.therapy_id for course in batch}
            ).values_list("therapy_id", "term__slug"),
            key=lambda row: row[0],
        )
        doses = _by_course(
            map(
                DoseRow._make,
                DoseAdministration.objects.current()
                .filter(course__in=ids)
                .order_by("course_id", "dose_number")
                .values_list(*_columns(DOSE_FIELDS)),
            ),
            key=attrgetter("course_id"),
        )
        answers = _items_by_record(
            SymptomAnswer.objects.current().filter(report__course__in=ids),
            ANSWER_FIELDS,
            AnswerRow,
            terms,
        )
        reports = _records_with(
            SymptomReport.objects.current().filter(course__in=ids).order_by("reported_at"),
            REPORT_FIELDS,
            ReportRow,
            answers,
        )
        events = _items_by_record(
            AdverseEvent.objects.current().filter(visit__course__in=ids),
            EVENT_FIELDS,
            EventRow,
            terms,
        )
        visits = _records_with(
            Visit.objects.current().filter(course__in=ids).order_by("recorded_at"),
            VISIT_FIELDS,
            VisitRow,
            events,
        )
        flags = _by_course(
            (
                FlagRow(*row, terms[row[3]])
                for row in Flag.objects.filter(course__in=ids)
                .current()
                .by_urgency()
                .values_list(*_columns(FLAG_FIELDS))
            ),
            key=attrgetter("course_id"),
        )
        for course in batch:
            yield CourseRecords(
                course=course,
                expected_slugs=frozenset(slug for _, slug in expected.get(course.therapy_id, [])),
                doses=doses.get(course.key, []),
                reports=reports.get(course.key, []),
                visits=visits.get(course.key, []),
                flags=flags.get(course.key, []),
            )


def cohort_table(courses, *, pseudonymised: bool = False, batch_size: int = BATCH_SIZE):
    """Header, then every observation of every course (see `tabular.observation_table`)."""
    return tabular.observation_table(
        gather(courses, batch_size=batch_size), pseudonymised=pseudonymised
    )
