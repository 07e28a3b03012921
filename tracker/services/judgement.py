"""Inputs for the rules, read from the database, and the flags their findings raise.

The clinical judgement itself is in `tracker.rules` (pure Python); this module gathers its
inputs from the database and stores its outputs.
"""

import dataclasses
import datetime
import itertools
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, SupportsFloat, cast

from django.db.models import OuterRef, Subquery

from therapies.models import SideEffectTerm, Therapy

from .. import internals, rules
from ..measurements import REPORT_MEASUREMENTS, VISIT_MEASUREMENTS  # what each record measures
from ..models import (
    AdverseEvent,
    ClinicalRecord,
    Course,
    Flag,
    SymptomAnswer,
    SymptomReport,
    Visit,
)
from .history import _create_with_history

if TYPE_CHECKING:
    from .records import AdverseEventEntry, AnswerInput

log = logging.getLogger(__name__)


# --- Inputs for the rules, read from the database ---------------------------------------------


def term_info(term: SideEffectTerm) -> rules.TermInfo:
    return rules.TermInfo(
        slug=term.slug,
        ctcae_term=term.ctcae_term,
        attributes=term.attributes,
        presence=term.is_presence,
    )


def therapy_profile(course: Course) -> rules.TherapyProfile:
    """One query: the slugs of the therapy's expected side effects.

    A side effect the label lists for some indications only (ExpectedFrequency) is expected
    for a course whose indication names one of the therapy's labelled indications only if it
    is listed there; for a course whose indication is unknown or not labelled, the union of
    every indication's side effects is expected.
    """
    rows = course.therapy.expected.values_list("term__slug", "frequencies__indication")
    return _profile(course, rows)


def _profile(course: Course, rows: Iterable[tuple[str | None, str | None]]) -> rules.TherapyProfile:
    """The profile of therapy_profile from the (expected term, labelled indication) rows of
    the course's therapy (a term with no row of its own: None)."""
    therapy = course.therapy
    indications = therapy_indications(therapy, course.indication)
    expected = {
        slug
        for slug, indication in rows
        if slug is not None and (not indications or indication in (None, *indications))
    }
    return rules.TherapyProfile(
        name=therapy.name,
        drug_class=therapy.drug_class,
        expected_terms=frozenset(expected),
        fever_escalation_risk=therapy.fever_escalation_risk,
        fever_escalation_source=therapy.fever_escalation_source,
    )


def therapy_indications(therapy: Therapy, indication: str) -> set[str]:
    """The slugs of the therapy's labelled indications that a course's indication names
    (its name or slug appears in it, case-insensitively), or an empty set."""
    text = " ".join((indication or "").casefold().replace("’", "'").split())
    if not text:
        return set()
    return {
        item["slug"]
        for item in therapy.labelled_indications or ()
        if item["name"].casefold() in text or item["slug"].replace("-", " ") in text
    }


def baseline(course: Course) -> rules.Baseline:
    return rules.Baseline(
        weight_kg=_float(course.baseline_weight_kg),
        creatinine_mg_dl=_float(course.baseline_creatinine_mg_dl),
        creatinine_uln_mg_dl=float(course.creatinine_uln_mg_dl),
        platelets_lln_10e9_per_l=float(course.platelets_lln_10e9_per_l),
    )


def _float(value: SupportsFloat | None) -> float | None:
    return None if value is None else float(value)


def _rule_answers(answers: Iterable["AnswerInput | SymptomAnswer"]) -> list[rules.Answer]:
    """Answers (AnswerInput or stored SymptomAnswer) as the rules read them."""
    return [
        rules.Answer(
            term=term_info(a.term),
            frequency=a.frequency,
            severity=a.severity,
            interference=a.interference,
            present=a.present,
        )
        for a in answers
    ]


def _measurements(values: Mapping[str, Any], names: Iterable[str]) -> rules.Measurements:
    # Floats for every measurement, as the rules compare them (some are declared int there).
    floats: dict[str, Any] = {name: _float(values.get(name)) for name in names}
    return rules.Measurements(**floats)


def _previous_answer_grades(
    course: Course, terms: Iterable[SideEffectTerm], before: datetime.datetime
) -> dict[str, int]:
    """The latest composite grade of each term in the course's earlier reports (one query).

    A subquery per term takes its newest graded answer, walking the course's reports from
    `before` backwards: the cost follows the terms asked, not the length of the course.
    Presence items are never graded (`rules.composite_grade`), so they are not looked for.
    """
    graded = [term.pk for term in terms if not term.is_presence]
    if not graded:
        return {}
    rows = (
        SideEffectTerm.objects.filter(pk__in=graded)
        .annotate(grade=_latest_answer_grade(course, OuterRef("pk"), before))
        .values_list("slug", "grade")
    )
    return {slug: grade for slug, grade in rows if grade is not None}


def _latest_answer_grade(
    course: Course, term: OuterRef | int, before: datetime.datetime
) -> Subquery:
    """The composite grade of the term's newest graded answer in the course before `before`."""
    return Subquery(
        SymptomAnswer.objects.current()
        .filter(
            report__course=course,
            report__reported_at__lt=before,
            term=term,
            composite_grade__isnull=False,
        )
        .order_by("-report__reported_at")
        .values("composite_grade")[:1]
    )


def _report_inputs(
    course: Course,
    terms: Iterable[SideEffectTerm],
    slugs: Iterable[str],
    before: datetime.datetime,
    course_baseline: rules.Baseline,
) -> tuple[rules.TherapyProfile, dict[str, int]]:
    """`therapy_profile(course)` and `_previous_report_grades(...)` in one query: the rows of
    the therapy's expected terms (at least one row: the joins are outer), each with the
    previous grades beside it. Their subqueries name the course by its key, not the outer
    row, so the database evaluates each once, not once per row."""
    answers, measured, annotations = _report_grade_annotations(course, terms, slugs, before)
    expected = ("therapy__expected__term__slug", "therapy__expected__frequencies__indication")
    rows = list(Course.objects.filter(pk=course.pk).values(*expected, **annotations))
    profile = _profile(course, ((row[expected[0]], row[expected[1]]) for row in rows))
    return profile, _report_grades_from_row(rows[0], answers, measured, course_baseline)


def _previous_report_grades(
    course: Course,
    terms: Iterable[SideEffectTerm],
    slugs: Iterable[str],
    before: datetime.datetime,
    course_baseline: rules.Baseline,
) -> dict[str, int]:
    """`_previous_answer_grades(course, terms, before) | _previous_measured_grades(course,
    slugs, before, course_baseline)`, in one query instead of two: the answers' subqueries
    beside the measurements' in the one row of the course; none without anything to look for.
    """
    answers, measured, annotations = _report_grade_annotations(course, terms, slugs, before)
    if not annotations:
        return {}
    row = _course_row(course, annotations)
    return _report_grades_from_row(row, answers, measured, course_baseline)


_AnswerGrades = dict[str, tuple[str, Subquery]]  # key -> (term's slug, its subquery)


def _report_grade_annotations(
    course: Course,
    terms: Iterable[SideEffectTerm],
    slugs: Iterable[str],
    before: datetime.datetime,
) -> tuple[_AnswerGrades, "_MeasuredGrades", dict[str, Subquery]]:
    answers = {
        f"answer_{term.pk}": (term.slug, _latest_answer_grade(course, term.pk, before))
        for term in terms
        if not term.is_presence
    }
    measured = _MeasuredGrades(course, slugs, before)
    annotations = measured.annotations | {key: latest for key, (_slug, latest) in answers.items()}
    return answers, measured, annotations


def _report_grades_from_row(
    row: Mapping[str, Any],
    answers: _AnswerGrades,
    measured: "_MeasuredGrades",
    course_baseline: rules.Baseline,
) -> dict[str, int]:
    previous = {slug: row[key] for key, (slug, _latest) in answers.items() if row[key] is not None}
    return previous | measured.grades(row, course_baseline)


def _previous_ae_grades(
    course: Course, terms: Iterable[SideEffectTerm], before: datetime.datetime
) -> dict[str, int]:
    rows = (
        AdverseEvent.objects.current()
        .filter(visit__course=course, visit__recorded_at__lt=before, term__in=terms)
        .order_by("term_id", "-visit__recorded_at")
        .values_list("term__slug", "grade")
    )
    latest: dict[str, int] = {}
    for slug, grade in rows:
        latest.setdefault(slug, grade)
    return latest


def _measured_slugs(values: Mapping[str, Any], terms: Iterable[SideEffectTerm] = ()) -> set[str]:
    """The measured terms a record grades: by its measurements, or a clinician's grade."""
    measured = {
        slug for name, slug in rules.GRADED_MEASUREMENTS.items() if values.get(name) is not None
    }
    graded = {term.slug for term in terms} & set(rules.GRADED_MEASUREMENTS.values())
    return measured | graded


def _previous_measured_grades(
    course: Course,
    slugs: Iterable[str],
    before: datetime.datetime,
    course_baseline: rules.Baseline,
) -> dict[str, int]:
    """The previous CTCAE grade of each measured term in `slugs` (fever, weight gain, urine
    output, platelets, creatinine), for the worsening rule: the grade of its latest earlier
    measurement in the course's visits and reports, or of a clinician's earlier grade of the
    term when that is later (at the same time, the higher). Records entered in error do not
    count; a normal value is grade 0.

    One query whatever the length of the course: a subquery per measurement and per term
    takes its newest row before `before`, walking the course's records backwards.
    """
    measured = _MeasuredGrades(course, slugs, before)
    if not measured.annotations:
        return {}
    return measured.grades(_course_row(course, measured.annotations), course_baseline)


def _course_row(course: Course, annotations: Mapping[str, Subquery]) -> dict[str, Any]:
    # The plugin types `values(**annotations)` by the names it can see: none here.
    return cast(dict[str, Any], Course.objects.filter(pk=course.pk).values(**annotations).get())


class _MeasuredGrades:
    """The subqueries of `_previous_measured_grades` (annotations of the course's row), and
    the grades read from that row."""

    def __init__(self, course: Course, slugs: Iterable[str], before: datetime.datetime) -> None:
        self.slugs = set(slugs)
        self.annotations: dict[str, Subquery] = {}
        self.sources: list[tuple[str, str]] = []
        if not self.slugs:
            return
        records: tuple[tuple[type[ClinicalRecord], str, tuple[str, ...]], ...] = (
            (Visit, "recorded_at", VISIT_MEASUREMENTS),
            (SymptomReport, "reported_at", REPORT_MEASUREMENTS),
        )
        for model, time_field, names in records:
            for name in names:
                if rules.GRADED_MEASUREMENTS.get(name) not in self.slugs:
                    continue
                before_time: dict[str, Any] = {f"{time_field}__lt": before}
                unmeasured: dict[str, Any] = {name: None}
                measured = (
                    model.objects.current()
                    .filter(course=course.pk, **before_time)
                    .exclude(**unmeasured)
                    .order_by(f"-{time_field}")
                )
                key = f"{model._meta.model_name}_{name}"
                self.annotations[key] = Subquery(measured.values(name)[:1])
                self.annotations[f"{key}_at"] = Subquery(measured.values(time_field)[:1])
                self.sources.append((key, name))
        for slug in sorted(self.slugs):
            graded_events = (
                AdverseEvent.objects.current()
                .filter(visit__course=course.pk, visit__recorded_at__lt=before, term__slug=slug)
                .order_by("-visit__recorded_at", "-grade")
            )
            self.annotations[f"ae_{slug}"] = Subquery(graded_events.values("grade")[:1])
            self.annotations[f"ae_{slug}_at"] = Subquery(
                graded_events.values("visit__recorded_at")[:1]
            )

    def grades(self, row: Mapping[str, Any], course_baseline: rules.Baseline) -> dict[str, int]:
        latest: dict[str, tuple[datetime.datetime, int]] = {}  # slug -> (time, grade)

        def consider(slug: str, at: datetime.datetime | None, grade: int | None) -> None:
            if at is not None and grade is not None and (at, grade) > latest.get(slug, (at, -1)):
                latest[slug] = (at, grade)

        for key, name in self.sources:
            if row[key] is not None:
                value: dict[str, Any] = {name: float(row[key])}
                graded = rules.grade_measurements(rules.Measurements(**value), course_baseline)
                for slug, grade in graded.items():
                    consider(slug, row[f"{key}_at"], grade)
        for slug in self.slugs:
            consider(slug, row[f"ae_{slug}_at"], row[f"ae_{slug}"])
        return {slug: grade for slug, (_at, grade) in latest.items()}


def _save_flags(
    course: Course,
    findings: Sequence[rules.Finding],
    *,
    report: SymptomReport | None = None,
    visit: Visit | None = None,
    known_terms: Iterable[SideEffectTerm] = (),
) -> list[Flag]:
    """Save the findings' flags and their "created" history rows in two INSERTs.

    `known_terms` (terms already loaded, e.g. the report's answers') spare their look-up.
    """
    terms = {term.slug: term for term in known_terms}
    missing = {f.term for f in findings} - terms.keys()
    if missing:
        terms |= SideEffectTerm.objects.in_bulk(missing, field_name="slug")
    flags = [
        Flag(
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
            message_en=finding.message,
            message_parts=list(finding.parts),
            source=finding.source,
            source_ids=list(finding.source_ids),
            catalog_version=course.therapy.catalog_version,
        )
        for finding in findings
    ]
    for flag in flags:
        setattr(flag, "_change_reason", "raised")  # noqa: B010 (read by simple-history)
    _create_with_history(Flag, flags)
    for flag in flags:
        internals.fix_judgement(flag)  # as Flag.save leaves it: fixed from now on
        # No clinical content or names in the log: ids, level and rule only.
        log.info(
            "flag raised id=%s course=%s level=%s rule=%s",
            flag.pk,
            course.pk,
            flag.level,
            flag.rule,
        )
    return flags


def _emergency_signs(
    profile: rules.TherapyProfile,
    answers: Sequence[rules.Answer],
    measurements: rules.Measurements,
) -> list[dict[str, Any]]:
    """The report's emergency signs (rules.emergency_signs) as stored on it, for the answer page
    and the API."""
    signs = rules.emergency_signs(therapy=profile, answers=answers, measurements=measurements)
    return [dataclasses.asdict(sign) | {"with_terms": list(sign.with_terms)} for sign in signs]


def offline_guidance_thresholds() -> dict[str, Any]:
    """The thresholds a phone uses to give urgent guidance at once for answers it cannot send
    yet (the report pages work offline): the emergency signs of tracker.rules.emergency_signs
    among home measurements, and the PRO-CTCAE composite grade that needs the care team now
    (rules.COMPOSITE_URGENT). `urgent_scores` lists, for each set of PRO-CTCAE attributes a
    symptom asks, the scores (joined with ",", in the order asked) whose composite grade
    (rules.composite_grade) reaches it, so the phone needs no copy of the grading table.
    """
    attribute_sets = [
        combo
        for size in (1, 2, 3)
        for combo in itertools.combinations(rules.PRO_CTCAE_ATTRIBUTES, size)
    ]
    urgent_scores: dict[str, list[str]] = {}
    for attributes in attribute_sets:
        urgent_scores[",".join(attributes)] = [
            ",".join(map(str, scores))
            for scores in itertools.product(range(5), repeat=len(attributes))
            if (
                rules.composite_grade(attributes, **dict(zip(attributes, scores, strict=True))) or 0
            )
            >= rules.COMPOSITE_URGENT
        ]
    return {
        "emergency": {
            "temperature_above_c": rules.EMERGENCY_TEMPERATURE_ABOVE_C,
            "spo2_below_pct": rules.EMERGENCY_SPO2_BELOW_PCT,
            "systolic_bp_below_mmhg": rules.EMERGENCY_SYSTOLIC_BP_BELOW_MMHG,
            "composite_grade": rules.EMERGENCY_DYSPNEA_COMPOSITE,
            "composite_terms": ["shortness_of_breath"],
            "present_terms": ["bleeding", "confusion"],
        },
        "urgent": {"composite_grade": rules.COMPOSITE_URGENT},
        "urgent_scores": urgent_scores,
    }


# --- One judgement of a visit and of a report, for new records and corrections -----------------


def visit_rule_events(
    events: Iterable["AdverseEventEntry | AdverseEvent"],
) -> list[rules.AdverseEventInput]:
    """Adverse events (AdverseEventEntry or stored AdverseEvent) as the rules read them."""
    return [rules.AdverseEventInput(term=term_info(e.term), grade=e.grade) for e in events]


def current_adverse_events(visit: Visit) -> list[AdverseEvent]:
    """The visit's adverse events not entered in error, with their terms."""
    return list(AdverseEvent.objects.current().filter(visit=visit).select_related("term"))


def judge_visit(
    visit: Visit,
    *,
    adverse_events: Sequence["AdverseEventEntry | AdverseEvent"] | None = None,
    profile: rules.TherapyProfile | None = None,
) -> rules.Evaluation:
    """The rules' judgement of a visit as it stands: its measurements as set on `visit`, its
    adverse events (`adverse_events`, or its current ones as stored), the course's earlier
    grades. A new visit and a corrected one are judged by this one function."""
    course = visit.course
    if adverse_events is None:
        adverse_events = current_adverse_events(visit)
    terms = [e.term for e in adverse_events]
    values = {name: getattr(visit, name) for name in VISIT_MEASUREMENTS}
    course_baseline = baseline(course)
    return rules.evaluate_visit(
        therapy=profile or therapy_profile(course),
        measurements=_measurements(values, VISIT_MEASUREMENTS),
        adverse_events=visit_rule_events(adverse_events),
        baseline=course_baseline,
        previous_grades=_previous_ae_grades(course, terms, visit.recorded_at)
        | _previous_measured_grades(
            course, _measured_slugs(values, terms), visit.recorded_at, course_baseline
        ),
    )


def current_answers(report: SymptomReport) -> list[SymptomAnswer]:
    """The report's answers not entered in error, with their terms."""
    return list(SymptomAnswer.objects.current().filter(report=report).select_related("term"))


def judge_report(
    report: SymptomReport,
    *,
    answers: Sequence["AnswerInput | SymptomAnswer"] | None = None,
    profile: rules.TherapyProfile | None = None,
    previous_grades: Mapping[str, int] | None = None,
) -> rules.Evaluation:
    """The rules' judgement of a symptom report as it stands: its measurements as set on
    `report`, its answers (`answers`: AnswerInput or SymptomAnswer, or its current ones as
    stored), the course's earlier grades (`previous_grades` when read already, as
    `report_inputs` reads them). A new report and a corrected one are judged by this one
    function."""
    course = report.course
    if answers is None:
        answers = current_answers(report)
    values = {name: getattr(report, name) for name in REPORT_MEASUREMENTS}
    course_baseline = baseline(course)
    if previous_grades is None:
        previous_grades = _previous_report_grades(
            course,
            [a.term for a in answers],
            _measured_slugs(values),
            report.reported_at,
            course_baseline,
        )
    return rules.evaluate_report(
        therapy=profile or therapy_profile(course),
        answers=_rule_answers(answers),
        measurements=_measurements(values, REPORT_MEASUREMENTS),
        baseline=course_baseline,
        previous_grades=dict(previous_grades),
    )


def report_inputs(
    report: SymptomReport, answers: Sequence["AnswerInput | SymptomAnswer"]
) -> tuple[rules.TherapyProfile, dict[str, int]]:
    """What judge_report reads from the database for a new report (its course's therapy
    profile and earlier grades), in one query."""
    course = report.course
    values = {name: getattr(report, name) for name in REPORT_MEASUREMENTS}
    return _report_inputs(
        course,
        [a.term for a in answers],
        _measured_slugs(values),
        report.reported_at,
        baseline(course),
    )


def report_emergency_signs(
    report: SymptomReport,
    *,
    answers: Sequence["AnswerInput | SymptomAnswer"] | None = None,
    profile: rules.TherapyProfile | None = None,
) -> list[dict[str, Any]]:
    """The emergency signs of a report as it stands (its answers and measurements), as stored
    on it for the answer page and the API."""
    if answers is None:
        answers = current_answers(report)
    values = {name: getattr(report, name) for name in REPORT_MEASUREMENTS}
    return _emergency_signs(
        profile or therapy_profile(report.course),
        _rule_answers(answers),
        _measurements(values, REPORT_MEASUREMENTS),
    )
