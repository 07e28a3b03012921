"""Corrections of records and records entered in error: kept with their history, judged again."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import rules
from ..models import (
    AdverseEvent,
    Course,
    DoseAdministration,
    Flag,
    FlagStatus,
    SymptomAnswer,
    SymptomReport,
    Visit,
)
from .dose_advice import (
    VISIT_ASSESSMENT_FIELDS,
    _judge_dose_advice,
    _save_judged_again,
    refresh_dose_advice,
)
from .history import _locked, _required_reason, _save_with_history
from .judgement import (
    REPORT_MEASUREMENTS,
    VISIT_MEASUREMENTS,
    _emergency_signs,
    _measured_slugs,
    _measurements,
    _previous_ae_grades,
    _previous_answer_grades,
    _previous_measured_grades,
    _rule_answers,
    _save_flags,
    baseline,
    term_info,
    therapy_profile,
)

log = logging.getLogger(__name__)


# --- Corrections ---------------------------------------------------------------------------------

# What a correction may change on each kind of record. Answers of a report are not edited one
# by one: a wrong report is marked entered in error and recorded again. A course is corrected
# on its edit page (`correct_course`).
CORRECTABLE_FIELDS = {
    Visit: ("recorded_at", *VISIT_MEASUREMENTS, *VISIT_ASSESSMENT_FIELDS, "notes"),
    SymptomReport: ("reported_at", "recall_period", *REPORT_MEASUREMENTS, "note"),
    AdverseEvent: (
        "grade",
        "attribution",
        "action",
        "seriousness",
        "outcome",
        "onset_date",
        "end_date",
        "ongoing",
    ),
    DoseAdministration: (
        "dose_number",
        "scheduled_at",
        "status",
        "administered_at",
        "dose_amount",
        "dose_unit",
        "reason",
    ),
}
# Stored in the flags' history and resolution note (in the language of the records).
ENTERED_IN_ERROR_NOTE = "Record entered in error: {reason}"
CORRECTED_NOTE = "Withdrawn because the record was corrected: {reason}"
# Course fields the rules read (the therapy's expected set, the baselines and lab limits): a
# change to one of them judges the course's visits and reports again.
COURSE_RULE_FIELDS = (
    "therapy",
    "baseline_weight_kg",
    "baseline_systolic_bp",
    "baseline_diastolic_bp",
    "baseline_heart_rate",
    "baseline_temperature_c",
    "baseline_creatinine_mg_dl",
    "creatinine_uln_mg_dl",
    "platelets_lln_10e9_per_l",
)


# Who created a course is not asked again when it is corrected (older courses have none).
_BOOKKEEPING = ["created_by"]


def _course_of(record) -> Course:
    if isinstance(record, Course):
        return record
    if isinstance(record, AdverseEvent):
        return record.visit.course
    return record.course


def _is_in_error(record) -> bool:
    if record.entered_in_error:
        return True
    if isinstance(record, AdverseEvent) and record.visit.entered_in_error:
        return True
    # The records of a course entered in error are in error with it.
    return not isinstance(record, Course) and _course_of(record).entered_in_error


def _rule_events(visit: Visit) -> list[rules.AdverseEventInput]:
    """The visit's current adverse events as the rules read them."""
    events = AdverseEvent.objects.current().filter(visit=visit).select_related("term")
    return [rules.AdverseEventInput(term=term_info(e.term), grade=e.grade) for e in events]


def _visit_evaluation(visit: Visit):
    """The rules' judgement of a visit as it stands (its measurements as set on `visit`, its
    current adverse events as stored)."""
    course = visit.course
    course_baseline = baseline(course)
    events = list(AdverseEvent.objects.current().filter(visit=visit).select_related("term"))
    rule_events = [rules.AdverseEventInput(term=term_info(e.term), grade=e.grade) for e in events]
    measurements = _measurements(
        {name: getattr(visit, name) for name in VISIT_MEASUREMENTS}, VISIT_MEASUREMENTS
    )
    return rules.evaluate_visit(
        therapy=therapy_profile(course),
        measurements=measurements,
        adverse_events=rule_events,
        baseline=course_baseline,
        previous_grades=_previous_ae_grades(course, [e.term for e in events], visit.recorded_at)
        | _previous_measured_grades(
            course,
            _measured_slugs(
                {name: getattr(visit, name) for name in VISIT_MEASUREMENTS},
                [e.term for e in events],
            ),
            visit.recorded_at,
            course_baseline,
        ),
    )


def _report_evaluation(report: SymptomReport):
    course = report.course
    answers = list(SymptomAnswer.objects.current().filter(report=report).select_related("term"))
    values = {name: getattr(report, name) for name in REPORT_MEASUREMENTS}
    course_baseline = baseline(course)
    return rules.evaluate_report(
        therapy=therapy_profile(course),
        answers=_rule_answers(answers),
        measurements=_measurements(values, REPORT_MEASUREMENTS),
        baseline=course_baseline,
        previous_grades=_previous_answer_grades(
            course, [a.term for a in answers], report.reported_at
        )
        | _previous_measured_grades(
            course, _measured_slugs(values), report.reported_at, course_baseline
        ),
    )


def _report_emergency_signs(report: SymptomReport) -> list[dict]:
    """The emergency signs of a report as it stands (its current answers and measurements)."""
    answers = SymptomAnswer.objects.current().filter(report=report).select_related("term")
    return _emergency_signs(
        therapy_profile(report.course),
        _rule_answers(answers),
        _measurements(
            {name: getattr(report, name) for name in REPORT_MEASUREMENTS}, REPORT_MEASUREMENTS
        ),
    )


@dataclass
class Rejudged:
    """What judging a record again changed: flags raised, flags withdrawn, and of those
    withdrawn the ones that were still waiting (open or acknowledged), now resolved."""

    raised: list
    withdrawn: list
    resolved: list


def _withdraw(flags, *, by, note) -> tuple[list, list]:
    """Withdraw the flags with the note; (withdrawn, of them those that were waiting)."""
    withdrawn, resolved = [], []
    for flag in flags:
        was_waiting = flag.status != FlagStatus.RESOLVED
        flag.withdraw(by=by, note=note)
        withdrawn.append(flag)
        if was_waiting:
            resolved.append(flag)
    return withdrawn, resolved


def _finding_key(term_slug, level, rule, value, threshold):
    return (term_slug, level, rule, value, threshold)


def _rejudge(course, findings, *, by, note, report=None, visit=None) -> Rejudged:
    """Bring the record's flags in line with the rules' findings on it as it now stands.

    A flag whose finding still holds (same term, level, rule, value and threshold) is left as
    it is, with its workflow state. Every other flag of the record is withdrawn with `note`
    (kept with its history; resolved with the note if still waiting), and each finding not
    already flagged raises a new flag: a flag never changes its judgement.
    """
    flags = Flag.objects.filter(report=report) if report else Flag.objects.filter(visit=visit)
    current = list(
        flags.filter(withdrawn=False).select_related("term").select_for_update(of=("self",))
    )
    found = {_finding_key(f.term, f.level, f.rule, f.value, f.threshold): f for f in findings}
    held, gone = set(), []
    for flag in current:
        key = _finding_key(flag.term.slug, flag.level, flag.rule, flag.value, flag.threshold)
        if key in found:
            held.add(key)
        else:
            gone.append(flag)
    withdrawn, resolved = _withdraw(gone, by=by, note=note)
    new = [finding for key, finding in found.items() if key not in held]
    raised = _save_flags(course, new, report=report, visit=visit)
    return Rejudged(raised=raised, withdrawn=withdrawn, resolved=resolved)


def _dose_number_free(dose: DoseAdministration):
    taken = (
        DoseAdministration.objects.current()
        .filter(course_id=dose.course_id, dose_number=dose.dose_number)
        .exclude(pk=dose.pk)
    )
    if taken.exists():
        raise ValidationError(
            {
                "dose_number": _("Dose %(number)s is already recorded.")
                % {"number": dose.dose_number}
            }
        )


@transaction.atomic
def correct_record(*, record, by, changes: Mapping, reason: str):
    """Correct a visit, a symptom report, an adverse event or a dose, with the reason in its
    history.

    The corrected record (for an adverse event, its visit) is judged again by the rules: flags
    whose finding no longer holds are withdrawn with the reason, new findings raise new flags
    (`_rejudge`), and the dose advice of the visits from the corrected time on is recomputed.
    The returned record carries `.changed_fields`, `.flags_raised`, `.flags_withdrawn` and
    `.flags_resolved` (those withdrawn that were still waiting).
    """
    reason = _required_reason(reason)
    allowed = CORRECTABLE_FIELDS[type(record)]
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"not correctable on {type(record).__name__}: {sorted(unknown)}")
    record = _locked(record)
    if _is_in_error(record):
        raise ValidationError(_("This record was marked entered in error; it is not corrected."))
    changed = {name: value for name, value in changes.items() if getattr(record, name) != value}
    record.changed_fields = list(changed)
    record.flags_raised, record.flags_withdrawn, record.flags_resolved = [], [], []
    if not changed:
        return record
    before = {name: getattr(record, name) for name in changed}
    for name, value in changed.items():
        setattr(record, name, value)
    if isinstance(record, DoseAdministration):
        _dose_number_free(record)
    record.full_clean()

    course = _course_of(record)
    note = CORRECTED_NOTE.format(reason=reason)
    rejudged = since = None
    if isinstance(record, Visit):
        evaluation = _visit_evaluation(record)
        # The corrected visit's own advice is judged before it is saved (one history row);
        # the visits from its old or new time on are judged again with it.
        later = _judge_dose_advice(
            course,
            therapy_profile(course),
            pending=(record, _rule_events(record)),
            since=min(before.get("recorded_at", record.recorded_at), record.recorded_at),
        )
        _save_with_history(record, by=by, reason=reason)
        rejudged = _rejudge(course, evaluation.findings, visit=record, by=by, note=note)
        _save_judged_again(
            later, by=by, reason=_("Dose advice updated: visit corrected (%s)") % reason
        )
    elif isinstance(record, SymptomReport):
        record.emergency_signs = _report_emergency_signs(record)
        _save_with_history(record, by=by, reason=reason)
        rejudged = _rejudge(
            course, _report_evaluation(record).findings, report=record, by=by, note=note
        )
    elif isinstance(record, AdverseEvent):  # its visit is judged again with the corrected grade
        _save_with_history(record, by=by, reason=reason)
        visit = _locked(record.visit)
        evaluation = _visit_evaluation(visit)
        rejudged = _rejudge(course, evaluation.findings, visit=visit, by=by, note=note)
        since = visit.recorded_at
        advice_reason = _("Dose advice updated: adverse event corrected (%s)") % reason
    else:  # a dose: the advice of the visits from its (old or new) scheduled time on
        _save_with_history(record, by=by, reason=reason)
        since = min(before.get("scheduled_at", record.scheduled_at), record.scheduled_at)
        advice_reason = _("Dose advice updated: dose corrected (%s)") % reason
    if rejudged is not None:
        record.flags_raised = rejudged.raised
        record.flags_withdrawn = rejudged.withdrawn
        record.flags_resolved = rejudged.resolved
    if since is not None:
        refresh_dose_advice(course, since=since, by=by, reason=advice_reason)
    log.info(
        "record corrected %s id=%s fields=%s flags raised=%d withdrawn=%d",
        type(record).__name__,
        record.pk,
        ",".join(changed),
        len(record.flags_raised),
        len(record.flags_withdrawn),
    )
    return record


@transaction.atomic
def correct_course(*, course: Course, by, changes: Mapping, reason: str) -> Course:
    """Correct a course (its edit page), with the reason in its history.

    When a field the rules read changes (therapy, baselines, laboratory limits), every current
    visit and report of the course is judged again as in `correct_record`, and the dose advice
    of the whole course recomputed. The returned course carries `.changed_fields`,
    `.flags_raised`, `.flags_withdrawn` and `.flags_resolved`.
    """
    reason = _required_reason(reason)
    course = _locked(course)
    if course.entered_in_error:
        raise ValidationError(_("This record was marked entered in error; it is not corrected."))
    changed = {name: value for name, value in changes.items() if getattr(course, name) != value}
    course.changed_fields = list(changed)
    course.flags_raised, course.flags_withdrawn, course.flags_resolved = [], [], []
    if not changed:
        return course
    for name, value in changed.items():
        setattr(course, name, value)
    course.full_clean(exclude=_BOOKKEEPING)
    _save_with_history(course, by=by, reason=reason)
    if not set(changed) & set(COURSE_RULE_FIELDS):
        return course
    note = CORRECTED_NOTE.format(reason=reason)
    for visit in Visit.objects.current().filter(course=course).order_by("recorded_at"):
        visit.course = course
        evaluation = _visit_evaluation(visit)
        _add(course, _rejudge(course, evaluation.findings, visit=visit, by=by, note=note))
    for report in SymptomReport.objects.current().filter(course=course).order_by("reported_at"):
        report.course = course
        evaluation = _report_evaluation(report)
        _add(course, _rejudge(course, evaluation.findings, report=report, by=by, note=note))
    refresh_dose_advice(
        course, by=by, reason=_("Dose advice updated: course corrected (%s)") % reason
    )
    log.info(
        "course corrected id=%s fields=%s flags raised=%d withdrawn=%d",
        course.pk,
        ",".join(changed),
        len(course.flags_raised),
        len(course.flags_withdrawn),
    )
    return course


def _add(target, rejudged: Rejudged):
    target.flags_raised += rejudged.raised
    target.flags_withdrawn += rejudged.withdrawn
    target.flags_resolved += rejudged.resolved


@transaction.atomic
def mark_entered_in_error(*, record, by, reason: str):
    """Mark a visit, report, adverse event, dose or course as entered in error.

    The record stays (history, exports) but leaves grades, side effects and charts. Flags that
    no longer hold are withdrawn (Flag.withdraw), those open or acknowledged resolved with the
    reason: every flag of a visit, report or course; for an adverse event, its visit is judged
    again without it (`_rejudge`). The dose advice of the visits from the record's time on is
    recomputed. The returned record carries `.flags_resolved`, `.flags_withdrawn` and
    `.flags_raised`.
    """
    reason = _required_reason(reason)
    record = _locked(record)
    if _is_in_error(record):
        raise ValidationError(_("This record is already marked entered in error."))
    record.entered_in_error = True
    record.entered_in_error_reason = reason
    try:
        record.full_clean(exclude=_BOOKKEEPING)
    except ValidationError as error:
        if "entered_in_error_reason" in error.error_dict:
            raise ValidationError({"reason": error.error_dict["entered_in_error_reason"]}) from None
        raise
    _save_with_history(record, by=by, reason=reason)

    course = _course_of(record)
    note = ENTERED_IN_ERROR_NOTE.format(reason=reason)
    record.flags_raised = []
    since = None
    if isinstance(record, AdverseEvent):
        visit = _locked(record.visit)
        evaluation = _visit_evaluation(visit)
        rejudged = _rejudge(course, evaluation.findings, visit=visit, by=by, note=note)
        record.flags_raised = rejudged.raised
        record.flags_withdrawn, record.flags_resolved = rejudged.withdrawn, rejudged.resolved
        since = visit.recorded_at
    else:
        # Every flag of the record is withdrawn, even one already resolved: its grade no
        # longer counts. Those still waiting are resolved with the reason.
        if isinstance(record, Course):
            flags = Flag.objects.filter(course=record)
        elif isinstance(record, Visit):
            flags = Flag.objects.filter(visit=record)
        elif isinstance(record, SymptomReport):
            flags = Flag.objects.filter(report=record)
        else:  # a dose raises no flag of its own
            flags = Flag.objects.none()
        record.flags_withdrawn, record.flags_resolved = _withdraw(
            flags.filter(withdrawn=False).select_for_update(), by=by, note=note
        )
        if isinstance(record, Visit):
            since = record.recorded_at
        elif isinstance(record, DoseAdministration):
            since = record.scheduled_at
    if since is not None:
        refresh_dose_advice(
            course,
            since=since,
            by=by,
            reason=_("Dose advice updated: record entered in error (%s)") % reason,
        )
    log.info(
        "record entered in error %s id=%s flags withdrawn=%d resolved=%d",
        type(record).__name__,
        record.pk,
        len(record.flags_withdrawn),
        len(record.flags_resolved),
    )
    return record
