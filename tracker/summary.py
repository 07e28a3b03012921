"""One course, gathered once: the course page, its charts and every export read this.

`build_summary(course)` runs a fixed number of queries whatever the size of the course, so the
formats (page, PDF, CSV, FHIR) cannot disagree and none of them grows with the rows.
Records marked "entered in error" are left out of grades, side effects and charts; they stay
in history.
"""

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from . import measurements, rules, services
from .models import (
    AdverseEvent,
    Course,
    CourseStatus,
    DoseAdministration,
    DoseAdviceOverride,
    Flag,
    FlagLevel,
    FlagStatus,
    SymptomAnswer,
    SymptomReport,
    Visit,
)


@dataclass
class SideEffectRow:
    """One side effect seen in the course, against the therapy's expected set."""

    term: object  # therapies.SideEffectTerm
    expected: bool
    first_onset: datetime.datetime
    last_seen: datetime.datetime
    worst_composite_grade: int | None = None
    worst_ctcae_grade: int | None = None
    times_reported: int = 0
    open_flags: int = 0
    worst_open_level: str | None = None


@dataclass(frozen=True)
class GradePoint:
    """A grade at a time, for the timeline chart and the CSV."""

    when: datetime.datetime
    term: object  # therapies.SideEffectTerm
    grade: int
    scale: str  # "PRO-CTCAE composite" or "CTCAE v5.0"
    record: str  # "report" or "visit"
    flag_level: str | None = None


@dataclass(frozen=True)
class VitalPoint:
    when: datetime.datetime
    value: float
    record: str


# The series drawn on the vitals chart (tracker/measurements.py), with the thresholds from the
# rules module.
VITAL_SERIES = measurements.CHART_SERIES


@dataclass
class CourseSummary:
    course: Course
    expected_slugs: frozenset
    doses: list
    reports: list
    visits: list
    flags: list
    side_effects: list
    grade_points: list
    vitals: dict
    generated_at: datetime.datetime = field(default_factory=timezone.now)
    # tracker.charts.course_version, read before the data (build_summary(chart_version=True)):
    # the PDF then files and finds its charts in the cache the course page uses.
    chart_version: str | None = None
    dose_advice_overrides: list = field(default_factory=list)

    @property
    def patient(self):
        return self.course.patient

    @property
    def therapy(self):
        return self.course.therapy

    @functools.cached_property
    def dose_advice(self):
        """The advice for the next high-dose IL-2 dose, or None on other therapies.

        For an active course, judged on the course at the summary's time (what is true now:
        an assessment past its window no longer counts); otherwise the latest visit's. Carries
        `judged_at`, `since` (datetimes) and `visit`, the latest assessment.
        """
        if not self.high_dose_il2:
            return None
        latest = max(self.visits, key=lambda v: v.recorded_at, default=None)
        if self.course.status == CourseStatus.ACTIVE:
            advice = services.course_dose_advice(
                self.course,
                visits=self.visits,
                doses=self.doses,
                overrides=self.dose_advice_overrides,
                at=self.generated_at,
            )
            judged_at = self.generated_at
        elif latest is not None and latest.dose_advice:
            advice, judged_at = latest.dose_advice, latest.recorded_at
        else:
            return None
        since = advice.get("since")
        return {
            **advice,
            "judged_at": judged_at,
            "since": datetime.datetime.fromisoformat(since) if since else None,
            "visit": latest,
            # The terms its lines may name, already loaded: worded without a query.
            "terms": {event.term.slug: event.term for event in self.adverse_events},
        }

    @property
    def high_dose_il2(self):
        return self.therapy.drug_class == rules.IL2_HIGH_DOSE

    @property
    def open_flags(self):
        return [f for f in self.flags if f.status == FlagStatus.OPEN]

    @property
    def adverse_events(self):
        """The clinicians' adverse events of the course (not entered in error), oldest first."""
        return [event for visit in self.visits for event in visit.adverse_events.all()]

    @property
    def held_doses(self):
        return sum(1 for d in self.doses if d.status == "held")

    def day_of_course(self, when):
        """The day of the course as regimens number it: day 1 is the start date (the first
        dose), so "cycle 1 on days 1–5" reads the same here as on the label."""
        return (timezone.localtime(when).date() - self.course.start_date).days + 1


def _course_queryset():
    return Course.objects.select_related("patient", "therapy", "care_team")


def build_summary(course: Course, *, chart_version: bool = False) -> CourseSummary:
    """Gather everything about one course (the caller has already scoped `course`).

    chart_version=True reads the course's chart version first (one query more), for the
    documents that embed the charts (PDF).
    """
    version = None
    if chart_version:
        from .charts import course_version  # charts draws summaries: imported when used

        version = course_version(course)
    course = _course_queryset().get(pk=course.pk)
    expected = frozenset(course.therapy.expected.values_list("term__slug", flat=True))
    doses = list(
        DoseAdministration.objects.current()
        .filter(course=course)
        .select_related("recorded_by")
        .order_by("dose_number")
    )
    reports = list(
        SymptomReport.objects.current()
        .filter(course=course)
        .select_related("submitted_by")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=SymptomAnswer.objects.current().select_related("term"),
            )
        )
        .order_by("reported_at")
    )
    visits = list(
        Visit.objects.current()
        .filter(course=course)
        .select_related("recorded_by")
        .prefetch_related(
            Prefetch(
                "adverse_events", queryset=AdverseEvent.objects.current().select_related("term")
            )
        )
        .order_by("recorded_at")
    )
    flags = list(
        Flag.objects.filter(course=course)
        .current()
        .select_related("term", "acknowledged_by", "resolved_by")
        .by_urgency()
    )
    overrides = []
    if course.therapy.drug_class == rules.IL2_HIGH_DOSE:
        overrides = list(
            DoseAdviceOverride.objects.filter(course=course).select_related("recorded_by")
        )
    _attach_records(flags, reports, visits)
    grade_points = _grade_points(reports, visits, flags)
    return CourseSummary(
        course=course,
        expected_slugs=expected,
        doses=doses,
        reports=reports,
        visits=visits,
        flags=flags,
        side_effects=_side_effects(grade_points, reports, flags, expected),
        grade_points=grade_points,
        vitals=_vitals(course, reports, visits),
        chart_version=version,
        dose_advice_overrides=overrides,
    )


def _attach_records(flags, reports, visits):
    """Give each flag its report or visit from the lists already loaded.

    Joining them in the flags' query would load every report and visit a second time, once
    per flag (measured: about a fifth of the summary's time on a 500-answer course).
    """
    reports_by_id = {report.pk: report for report in reports}
    visits_by_id = {visit.pk: visit for visit in visits}
    for flag in flags:
        if flag.report_id in reports_by_id:
            flag.report = reports_by_id[flag.report_id]
        elif flag.visit_id in visits_by_id:
            flag.visit = visits_by_id[flag.visit_id]


def _recorded_at(flag):
    return flag.report.reported_at if flag.report_id else flag.visit.recorded_at


def _grade_points(reports, visits, flags):
    level_of = {(f.report_id or f.visit_id, f.term_id): f.level for f in flags}
    points = {}
    for report in reports:
        for answer in report.answers.all():
            if answer.composite_grade:
                points[(report.pk, answer.term_id)] = GradePoint(
                    report.reported_at,
                    answer.term,
                    answer.composite_grade,
                    "PRO-CTCAE composite",
                    "report",
                    level_of.get((report.pk, answer.term_id)),
                )
    for visit in visits:
        for event in visit.adverse_events.all():
            points[(visit.pk, event.term_id)] = GradePoint(
                visit.recorded_at,
                event.term,
                event.grade,
                "CTCAE v5.0",
                "visit",
                level_of.get((visit.pk, event.term_id)),
            )
    # Graded measurements (fever, weight gain, platelets...) are known from their flags.
    for flag in flags:
        key = (flag.report_id or flag.visit_id, flag.term_id)
        if flag.ctcae_grade and key not in points:
            points[key] = GradePoint(
                _recorded_at(flag),
                flag.term,
                flag.ctcae_grade,
                "CTCAE v5.0",
                "report" if flag.report_id else "visit",
                flag.level,
            )
    return sorted(points.values(), key=lambda p: (p.when, p.term.sort_order, p.term.slug))


def _side_effects(grade_points, reports, flags, expected):
    rows = {}

    def row_for(term, when):
        row = rows.get(term.slug)
        if row is None:
            row = rows[term.slug] = SideEffectRow(
                term=term, expected=term.slug in expected, first_onset=when, last_seen=when
            )
        row.first_onset = min(row.first_onset, when)
        row.last_seen = max(row.last_seen, when)
        return row

    for point in grade_points:
        row = row_for(point.term, point.when)
        row.times_reported += 1
        if point.scale.startswith("PRO"):
            row.worst_composite_grade = max(row.worst_composite_grade or 0, point.grade)
        else:
            row.worst_ctcae_grade = max(row.worst_ctcae_grade or 0, point.grade)
    for report in reports:  # yes/no items have no grade but are side effects all the same
        for answer in report.answers.all():
            if answer.term.is_presence and answer.present:
                row_for(answer.term, report.reported_at).times_reported += 1
    for flag in flags:  # patterns and ungraded red flags (low blood pressure, low SpO2...)
        row = row_for(flag.term, _recorded_at(flag))
        if flag.ctcae_grade is None and flag.composite_grade is None and not flag.term.is_presence:
            row.times_reported += 1
        if flag.status == FlagStatus.OPEN:
            row.open_flags += 1
            if row.worst_open_level is None or (
                rules.LEVEL_ORDER[flag.level] > rules.LEVEL_ORDER[row.worst_open_level]
            ):
                row.worst_open_level = flag.level
    order = {FlagLevel.URGENT: 0, FlagLevel.REVIEW: 1, FlagLevel.INFO: 2, None: 3}
    return sorted(
        rows.values(),
        key=lambda r: (order[r.worst_open_level], r.expected, r.term.sort_order, r.term.slug),
    )


def _vitals(course, reports, visits):
    series = defaultdict(list)
    baseline_weight = float(course.baseline_weight_kg) if course.baseline_weight_kg else None
    for record, when, kind in [
        *((r, r.reported_at, "report") for r in reports),
        *((v, v.recorded_at, "visit") for v in visits),
    ]:
        for name in measurements.BY_NAME:
            value = getattr(record, name, None)
            if value is not None:
                series[name].append(VitalPoint(when, float(value), kind))
        if baseline_weight and record.weight_kg is not None:
            percent = rules.weight_gain_percent(float(record.weight_kg), baseline_weight)
            series["weight_percent"].append(VitalPoint(when, percent, kind))
    return {name: sorted(points, key=lambda p: p.when) for name, points in series.items()}


def hide_internal_notes(flags):
    """What a patient's own export shows of the care team's notes: only those shared with
    them (the flags are changed in memory, never saved)."""
    for flag in flags:
        if not flag.acknowledged_note_shared:
            flag.acknowledged_note = ""
        if not flag.resolved_note_shared:
            flag.resolved_note = ""


# --- What the pages word from the rules ------------------------------------------------------
# The patient's guidance names the emergency thresholds and the clinician's vitals table shows
# weight gain against baseline. The pages take them from here and never import the rules
# themselves (docs/architecture.md); the values and their sources stay in tracker/rules.py.
FEVER_GRADE_3_ABOVE_C = rules.FEVER_GRADE_3_ABOVE_C
SYSTOLIC_BP_BELOW_MMHG = rules.SYSTOLIC_BP_BELOW_MMHG
IL6_BLOCKER = rules.IL6_BLOCKER
IL6_BLOCKER_FEVER_C = rules.IL6_BLOCKER_FEVER_C
LEVEL_ORDER = rules.LEVEL_ORDER
worst_level = rules.worst_level  # of flags or findings: their most serious level, or None
weight_gain_percent = rules.weight_gain_percent
