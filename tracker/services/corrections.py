"""Corrections of records and records entered in error: kept with their history, judged again."""

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import (
    AdverseEvent,
    Course,
    DoseAdministration,
    Flag,
    FlagStatus,
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
    _save_flags,
    current_adverse_events,
    current_answers,
    judge_report,
    judge_visit,
    report_emergency_signs,
    therapy_profile,
    visit_rule_events,
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


@dataclass
class Rejudged:
    """What judging a record again changed: flags raised, flags withdrawn, and of those
    withdrawn the ones that were still waiting (open or acknowledged), now resolved."""

    raised: list = dataclasses.field(default_factory=list)
    withdrawn: list = dataclasses.field(default_factory=list)
    resolved: list = dataclasses.field(default_factory=list)

    def add(self, other: "Rejudged") -> None:
        self.raised += other.raised
        self.withdrawn += other.withdrawn
        self.resolved += other.resolved


@dataclass(frozen=True)
class Correction:
    """A record corrected (or marked entered in error): the fields that changed, and the flags
    the rules raised and withdrawn on judging it again; `flags_resolved` are those withdrawn
    that were still waiting (open or acknowledged)."""

    record: object
    changed_fields: list[str] = dataclasses.field(default_factory=list)
    flags_raised: list[Flag] = dataclasses.field(default_factory=list)
    flags_withdrawn: list[Flag] = dataclasses.field(default_factory=list)
    flags_resolved: list[Flag] = dataclasses.field(default_factory=list)

    @classmethod
    def of(cls, record, changed_fields, rejudged: Rejudged | None = None) -> "Correction":
        rejudged = rejudged or Rejudged()
        return cls(
            record=record,
            changed_fields=list(changed_fields),
            flags_raised=rejudged.raised,
            flags_withdrawn=rejudged.withdrawn,
            flags_resolved=rejudged.resolved,
        )


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
def correct_record(*, record, by, changes: Mapping, reason: str) -> Correction:
    """Correct a visit, a symptom report, an adverse event or a dose, with the reason in its
    history.

    The corrected record (for an adverse event, its visit) is judged again by the rules: flags
    whose finding no longer holds are withdrawn with the reason, new findings raise new flags
    (`_rejudge`), and the dose advice of the visits from the corrected time on is recomputed.
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
    if not changed:
        return Correction.of(record, [])
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
        events = current_adverse_events(record)
        evaluation = judge_visit(record, adverse_events=events)
        # The corrected visit's own advice is judged before it is saved (one history row);
        # the visits from its old or new time on are judged again with it.
        later = _judge_dose_advice(
            course,
            therapy_profile(course),
            pending=(record, visit_rule_events(events)),
            since=min(before.get("recorded_at", record.recorded_at), record.recorded_at),
        )
        _save_with_history(record, by=by, reason=reason)
        rejudged = _rejudge(course, evaluation.findings, visit=record, by=by, note=note)
        _save_judged_again(
            later, by=by, reason=_("Dose advice updated: visit corrected (%s)") % reason
        )
    elif isinstance(record, SymptomReport):
        answers = current_answers(record)
        record.emergency_signs = report_emergency_signs(record, answers=answers)
        _save_with_history(record, by=by, reason=reason)
        rejudged = _rejudge(
            course, judge_report(record, answers=answers).findings, report=record, by=by, note=note
        )
    elif isinstance(record, AdverseEvent):  # its visit is judged again with the corrected grade
        _save_with_history(record, by=by, reason=reason)
        visit = _locked(record.visit)
        evaluation = judge_visit(visit)
        rejudged = _rejudge(course, evaluation.findings, visit=visit, by=by, note=note)
        since = visit.recorded_at
        advice_reason = _("Dose advice updated: adverse event corrected (%s)") % reason
    else:  # a dose: the advice of the visits from its (old or new) scheduled time on
        _save_with_history(record, by=by, reason=reason)
        since = min(before.get("scheduled_at", record.scheduled_at), record.scheduled_at)
        advice_reason = _("Dose advice updated: dose corrected (%s)") % reason
    correction = Correction.of(record, changed, rejudged)
    if since is not None:
        refresh_dose_advice(course, since=since, by=by, reason=advice_reason)
    log.info(
        "record corrected %s id=%s fields=%s flags raised=%d withdrawn=%d",
        type(record).__name__,
        record.pk,
        ",".join(changed),
        len(correction.flags_raised),
        len(correction.flags_withdrawn),
    )
    return correction


@transaction.atomic
def correct_course(*, course: Course, by, changes: Mapping, reason: str) -> Correction:
    """Correct a course (its edit page), with the reason in its history.

    When a field the rules read changes (therapy, baselines, laboratory limits), every current
    visit and report of the course is judged again as in `correct_record`, and the dose advice
    of the whole course recomputed.
    """
    reason = _required_reason(reason)
    course = _locked(course)
    if course.entered_in_error:
        raise ValidationError(_("This record was marked entered in error; it is not corrected."))
    changed = {name: value for name, value in changes.items() if getattr(course, name) != value}
    if not changed:
        return Correction.of(course, [])
    for name, value in changed.items():
        setattr(course, name, value)
    course.full_clean(exclude=_BOOKKEEPING)
    _save_with_history(course, by=by, reason=reason)
    if not set(changed) & set(COURSE_RULE_FIELDS):
        return Correction.of(course, changed)
    total = rejudge_course_records(course, by=by, note=CORRECTED_NOTE.format(reason=reason))
    refresh_dose_advice(
        course, by=by, reason=_("Dose advice updated: course corrected (%s)") % reason
    )
    log.info(
        "course corrected id=%s fields=%s flags raised=%d withdrawn=%d",
        course.pk,
        ",".join(changed),
        len(total.raised),
        len(total.withdrawn),
    )
    return Correction.of(course, changed, total)


def rejudge_course_records(course: Course, *, by, note: str, before_each=None) -> Rejudged:
    """Judge every current visit and report of the course again (`_rejudge`), oldest first;
    `before_each(findings, visit=..., report=...)`, when given, runs before each record's flags
    are brought in line and returns what it changed itself (a Rejudged)."""
    total = Rejudged()
    for visit in Visit.objects.current().filter(course=course).order_by("recorded_at"):
        visit.course = course
        findings = judge_visit(visit).findings
        if before_each is not None:
            total.add(before_each(findings, visit=visit))
        total.add(_rejudge(course, findings, visit=visit, by=by, note=note))
    for report in SymptomReport.objects.current().filter(course=course).order_by("reported_at"):
        report.course = course
        findings = judge_report(report).findings
        if before_each is not None:
            total.add(before_each(findings, report=report))
        total.add(_rejudge(course, findings, report=report, by=by, note=note))
    return total


@transaction.atomic
def mark_entered_in_error(*, record, by, reason: str) -> Correction:
    """Mark a visit, report, adverse event, dose or course as entered in error.

    The record stays (history, exports) but leaves grades, side effects and charts. Flags that
    no longer hold are withdrawn (Flag.withdraw), those open or acknowledged resolved with the
    reason: every flag of a visit, report or course; for an adverse event, its visit is judged
    again without it (`_rejudge`). The dose advice of the visits from the record's time on is
    recomputed.
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
    since = None
    if isinstance(record, AdverseEvent):
        visit = _locked(record.visit)
        evaluation = judge_visit(visit)
        rejudged = _rejudge(course, evaluation.findings, visit=visit, by=by, note=note)
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
        withdrawn, resolved = _withdraw(
            flags.filter(withdrawn=False).select_for_update(), by=by, note=note
        )
        rejudged = Rejudged(withdrawn=withdrawn, resolved=resolved)
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
        len(rejudged.withdrawn),
        len(rejudged.resolved),
    )
    return Correction.of(record, ["entered_in_error", "entered_in_error_reason"], rejudged)
