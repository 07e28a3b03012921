"""User actions that write several models at once.

Each runs in one transaction: a record and the flags it raises are saved together or not at all.
The clinical judgement itself is in `tracker.rules` (pure Python); this module gathers its
inputs from the database and stores its outputs.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from therapies.models import SideEffectTerm

from . import rules
from .models import (
    AdverseEvent,
    Course,
    DoseAdministration,
    DoseStatus,
    Flag,
    ReportSource,
    SymptomAnswer,
    SymptomReport,
    Visit,
)

log = logging.getLogger(__name__)

REPORT_MEASUREMENTS = ("temperature_c", "systolic_bp", "diastolic_bp", "heart_rate", "weight_kg")
VISIT_MEASUREMENTS = (
    "systolic_bp",
    "diastolic_bp",
    "heart_rate",
    "temperature_c",
    "spo2",
    "weight_kg",
    "urine_output_ml_8h",
    "platelets_10e9_per_l",
    "creatinine_mg_dl",
)


# --- Inputs for the rules, read from the database ---------------------------------------------


def term_info(term: SideEffectTerm) -> rules.TermInfo:
    return rules.TermInfo(
        slug=term.slug,
        ctcae_term=term.ctcae_term,
        attributes=term.attributes,
        presence=term.is_presence,
    )


def therapy_profile(course: Course) -> rules.TherapyProfile:
    """One query: the slugs of the therapy's expected side effects."""
    therapy = course.therapy
    expected = therapy.expected.values_list("term__slug", flat=True)
    return rules.TherapyProfile(
        name=therapy.name, drug_class=therapy.drug_class, expected_terms=frozenset(expected)
    )


def baseline(course: Course) -> rules.Baseline:
    return rules.Baseline(
        weight_kg=_float(course.baseline_weight_kg),
        creatinine_mg_dl=_float(course.baseline_creatinine_mg_dl),
        creatinine_uln_mg_dl=float(course.creatinine_uln_mg_dl),
        platelets_lln_10e9_per_l=float(course.platelets_lln_10e9_per_l),
    )


def _float(value):
    return None if value is None else float(value)


def _measurements(values: Mapping, names: Iterable[str]) -> rules.Measurements:
    return rules.Measurements(**{name: _float(values.get(name)) for name in names})


def _previous_answer_grades(course: Course, terms, before) -> dict[str, int]:
    """The latest composite grade of each term in the course's earlier reports (one query)."""
    rows = (
        SymptomAnswer.objects.current()
        .filter(
            report__course=course,
            report__reported_at__lt=before,
            term__in=terms,
            composite_grade__isnull=False,
        )
        .order_by("term_id", "-report__reported_at")
        .values_list("term__slug", "composite_grade")
    )
    latest = {}
    for slug, grade in rows:
        latest.setdefault(slug, grade)
    return latest


def _previous_ae_grades(course: Course, terms, before) -> dict[str, int]:
    rows = (
        AdverseEvent.objects.current()
        .filter(visit__course=course, visit__recorded_at__lt=before, term__in=terms)
        .order_by("term_id", "-visit__recorded_at")
        .values_list("term__slug", "grade")
    )
    latest = {}
    for slug, grade in rows:
        latest.setdefault(slug, grade)
    return latest


def _save_flags(course, findings, *, report=None, visit=None) -> list[Flag]:
    terms = SideEffectTerm.objects.in_bulk([f.term for f in findings], field_name="slug")
    flags = []
    for finding in findings:
        flag = Flag(
            course=course,
            report=report,
            visit=visit,
            level=finding.level,
            rule=finding.rule,
            term=terms[finding.term],
            ctcae_grade=finding.ctcae_grade,
            composite_grade=finding.composite_grade,
            expected=finding.expected,
            value=finding.value,
            threshold=finding.threshold,
            message=finding.message,
            source=finding.source,
        )
        flag._change_reason = "raised"
        flag.save()
        # No clinical content or names in the log: ids, level and rule only.
        log.info(
            "flag raised id=%s course=%s level=%s rule=%s",
            flag.pk,
            course.pk,
            flag.level,
            flag.rule,
        )
        flags.append(flag)
    return flags


# --- Actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerInput:
    term: SideEffectTerm
    frequency: int | None = None
    severity: int | None = None
    interference: int | None = None
    present: bool | None = None


@transaction.atomic
def submit_report(
    *,
    course: Course,
    by,
    answers: Iterable[AnswerInput] = (),
    measurements: Mapping | None = None,
    note: str = "",
    reported_at=None,
    recall_period: str = SymptomReport._meta.get_field("recall_period").default,
) -> SymptomReport:
    """Store a symptom report, grade its answers and raise its flags, all or nothing.

    The inputs are already validated (forms and API serializers use SymptomAnswer.clean and the
    model field validators); the returned report carries `.flags_raised`.
    """
    answers = list(answers)
    measurements = dict(measurements or {})
    report = SymptomReport(
        course=course,
        submitted_by=by,
        source=ReportSource.PATIENT if by.is_patient else ReportSource.CLINICIAN,
        reported_at=reported_at or timezone.now(),
        recall_period=recall_period,
        note=note,
        **{name: measurements.get(name) for name in REPORT_MEASUREMENTS},
    )
    report.full_clean()
    report.save()

    evaluation = rules.evaluate_report(
        therapy=therapy_profile(course),
        answers=[
            rules.Answer(
                term=term_info(a.term),
                frequency=a.frequency,
                severity=a.severity,
                interference=a.interference,
                present=a.present,
            )
            for a in answers
        ],
        measurements=_measurements(measurements, REPORT_MEASUREMENTS),
        baseline=baseline(course),
        previous_grades=_previous_answer_grades(
            course, [a.term for a in answers], report.reported_at
        ),
    )
    graded = {g.term: g for g in evaluation.graded_answers}
    for a in answers:
        answer = SymptomAnswer(
            report=report,
            term=a.term,
            frequency=a.frequency,
            severity=a.severity,
            interference=a.interference,
            present=a.present,
            composite_grade=graded[a.term.slug].composite_grade,
            expected=graded[a.term.slug].expected,
        )
        answer.full_clean(exclude=["report"])
        answer.save()
    report.flags_raised = _save_flags(course, evaluation.findings, report=report)
    return report


@dataclass(frozen=True)
class AdverseEventInput:
    term: SideEffectTerm
    grade: int
    attribution: str = "possible"
    action: str = "none"
    onset_date: object = None


@transaction.atomic
def record_visit(
    *,
    course: Course,
    by,
    measurements: Mapping | None = None,
    adverse_events: Iterable[AdverseEventInput] = (),
    notes: str = "",
    recorded_at=None,
) -> Visit:
    """Store a clinician's visit with its adverse events, flags and (high-dose IL-2) dose advice."""
    adverse_events = list(adverse_events)
    measurements = dict(measurements or {})
    visit = Visit(
        course=course,
        recorded_by=by,
        recorded_at=recorded_at or timezone.now(),
        notes=notes,
        **{name: measurements.get(name) for name in VISIT_MEASUREMENTS},
    )
    visit.full_clean()

    profile = therapy_profile(course)
    events = [
        rules.AdverseEventInput(term=term_info(ae.term), grade=ae.grade) for ae in adverse_events
    ]
    rule_measurements = _measurements(measurements, VISIT_MEASUREMENTS)
    course_baseline = baseline(course)
    advice = rules.dose_advice(
        therapy=profile,
        measurements=rule_measurements,
        adverse_events=events,
        baseline=course_baseline,
        holds_so_far=course.doses.current().filter(status=DoseStatus.HELD).count(),
    )
    if advice is not None:
        visit.dose_advice = {"decision": advice.decision, "criteria": list(advice.criteria)}
    visit.save()

    for ae in adverse_events:
        event = AdverseEvent(
            visit=visit,
            term=ae.term,
            grade=ae.grade,
            attribution=ae.attribution,
            action=ae.action,
            onset_date=ae.onset_date,
            expected=ae.term.slug in profile.expected_terms,
        )
        event.full_clean(exclude=["visit"])
        event.save()

    evaluation = rules.evaluate_visit(
        therapy=profile,
        measurements=rule_measurements,
        adverse_events=events,
        baseline=course_baseline,
        previous_grades=_previous_ae_grades(
            course, [ae.term for ae in adverse_events], visit.recorded_at
        ),
    )
    visit.flags_raised = _save_flags(course, evaluation.findings, visit=visit)
    return visit


@transaction.atomic
def record_dose(
    *,
    course: Course,
    by,
    dose_number: int,
    scheduled_at,
    status: str,
    reason: str = "",
    administered_at=None,
    dose_amount=None,
    dose_unit: str = "",
) -> DoseAdministration:
    dose = DoseAdministration(
        course=course,
        recorded_by=by,
        dose_number=dose_number,
        scheduled_at=scheduled_at,
        status=status,
        reason=reason,
        administered_at=administered_at,
        dose_amount=dose_amount,
        dose_unit=dose_unit,
    )
    dose.full_clean()
    dose.save()
    return dose


def _transition(flag: Flag, action: str, *, by, note: str) -> Flag:
    # Lock the row so that two clinicians acting at once are serialised: the second one
    # sees the first one's change and is told (FlagTransitionError) instead of overwriting it.
    with transaction.atomic():
        locked = Flag.objects.select_for_update().get(pk=flag.pk)
        getattr(locked, action)(by=by, note=note)
    log.info("flag %s id=%s by=%s", locked.status, locked.pk, by.pk)
    return locked


def acknowledge_flag(*, flag: Flag, by, note: str = "") -> Flag:
    return _transition(flag, "acknowledge", by=by, note=note)


def resolve_flag(*, flag: Flag, by, note: str = "") -> Flag:
    return _transition(flag, "resolve", by=by, note=note)
