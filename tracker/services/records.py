"""New clinical records: a patient's report, a clinician's visit, a dose given.

Each runs in one transaction: a record and the flags it raises are saved together or not at all.
"""

import dataclasses
import datetime
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from therapies.models import SideEffectTerm

from ..measurements import REPORT_MEASUREMENTS, VISIT_MEASUREMENTS
from ..models import (
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
from .dose_advice import _judge_dose_advice, _save_judged_again, refresh_dose_advice
from .history import _create_with_history
from .judgement import (
    _save_flags,
    judge_report,
    judge_visit,
    report_emergency_signs,
    report_inputs,
    therapy_profile,
    visit_rule_events,
)

if TYPE_CHECKING:
    from ..models import User


@dataclass(frozen=True)
class AnswerInput:
    term: SideEffectTerm
    frequency: int | None = None
    severity: int | None = None
    interference: int | None = None
    present: bool | None = None


@dataclass(frozen=True)
class SubmittedReport:
    """A symptom report recorded (or, with `created` False, found already recorded with the
    same sending key: then nothing new was saved and the lists are empty)."""

    report: SymptomReport
    # The answers saved, in the order the symptoms are listed.
    answers_saved: list[SymptomAnswer] = dataclasses.field(default_factory=list)
    flags_raised: list[Flag] = dataclasses.field(default_factory=list)
    created: bool = True


def _submit_report(
    *,
    course: Course,
    by: "User",
    answers: Iterable[AnswerInput] = (),
    measurements: Mapping[str, Any] | None = None,
    note: str = "",
    reported_at: datetime.datetime | None = None,
    recall_period: str = SymptomReport._meta.get_field("recall_period").default,
    client_id: uuid.UUID | None = None,
) -> SubmittedReport:
    """Store a symptom report, grade its answers and raise its flags, all or nothing.

    `client_id` is the report's sending key (see submit_report_once): saved with it, unique
    per course.

    The inputs are already validated (forms and API serializers use SymptomAnswer.clean and the
    model field validators); the report's `emergency_signs` (saved with it) name what should
    send the patient to the emergency number.
    """
    answers = list(answers)
    measurements = dict(measurements or {})
    terms = [a.term for a in answers]
    if len({term.pk for term in terms}) != len(terms):
        repeated = sorted({t.slug for t in terms if terms.count(t) > 1})
        raise ValidationError(
            _("Each symptom once per report; repeated: %(terms)s.") % {"terms": ", ".join(repeated)}
        )
    report = SymptomReport(
        course=course,
        submitted_by=by,
        source=ReportSource.PATIENT if by.is_patient else ReportSource.CLINICIAN,
        reported_at=reported_at or timezone.now(),
        recall_period=recall_period,
        note=note,
        client_id=client_id,
        **{name: measurements.get(name) for name in REPORT_MEASUREMENTS},
    )
    # The course and the user are loaded objects and the primary key is a new UUID: no
    # look-ups needed for them.
    report.full_clean(exclude=["course", "submitted_by"], validate_unique=False)
    # Earlier reports only (before this one's time): the same whether read before or after
    # this one is saved.
    profile, previous_grades = report_inputs(report, answers)
    report.emergency_signs = report_emergency_signs(report, answers=answers, profile=profile)
    _create_with_history(SymptomReport, [report])

    evaluation = judge_report(
        report, answers=answers, profile=profile, previous_grades=previous_grades
    )
    graded = {g.term: g for g in evaluation.graded_answers}
    saved_answers = []
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
        # The term is a loaded object and each term comes once (checked above): the field
        # checks and the PRO-CTCAE item rules (SymptomAnswer.clean) need no queries.
        answer.full_clean(
            exclude=["report", "term"], validate_unique=False, validate_constraints=False
        )
        saved_answers.append(answer)
    _create_with_history(SymptomAnswer, saved_answers)
    return SubmittedReport(
        report=report,
        answers_saved=sorted(saved_answers, key=lambda answer: answer.term.sort_order),
        flags_raised=_save_flags(course, evaluation.findings, report=report, known_terms=terms),
    )


# Its own transaction; submit_report_once runs the same steps in the transaction it already
# opens for its sending key, without a second (nested: a savepoint) one inside it.
submit_report = transaction.atomic(_submit_report)


def report_sent_with(course: Course, client_id: uuid.UUID) -> SymptomReport | None:
    """The course's report sent with this sending key, or None."""
    return SymptomReport.objects.filter(course=course, client_id=client_id).first()


def submit_report_once(
    *,
    course: Course,
    client_id: uuid.UUID | None = None,
    looked_up: bool = False,
    **report: Any,
) -> SubmittedReport:
    """submit_report, unless a report of this course was already sent with this sending key (a
    phone sending again a report filled in offline after a lost answer, an API client
    retrying): then that report (`created` False), and nothing new is recorded.

    `looked_up`: the caller has just looked the key up (report_sent_with) and found no report,
    so it is not read a second time.

    Two sendings at the same moment: the unique constraint on (course, client_id) refuses the
    second INSERT, which then answers the first one's report.
    """
    if client_id is None:
        return submit_report(course=course, **report)
    if not looked_up and (existing := report_sent_with(course, client_id)):
        return SubmittedReport(report=existing, created=False)
    try:
        with transaction.atomic():
            return _submit_report(course=course, client_id=client_id, **report)
    except IntegrityError:
        existing = report_sent_with(course, client_id)
        if existing is None:  # another constraint: not a repeat
            raise
        return SubmittedReport(report=existing, created=False)


@dataclass(frozen=True)
class AdverseEventEntry:
    term: SideEffectTerm
    grade: int
    # The visit form and the API require attribution and action to be chosen; these defaults
    # serve records written by code (demo data, imports).
    attribution: str = "possible"
    action: str = "none"
    onset_date: datetime.date | None = None
    seriousness: tuple[str, ...] = ()
    outcome: str = ""
    end_date: datetime.date | None = None
    ongoing: bool = False


@dataclass(frozen=True)
class DoseEntry:
    """A dose recorded with a visit (see record_dose)."""

    dose_number: int
    scheduled_at: datetime.datetime
    status: str
    reason: str = ""
    administered_at: datetime.datetime | None = None
    dose_amount: Decimal | None = None
    dose_unit: str = ""


@dataclass(frozen=True)
class RecordedVisit:
    """A visit recorded with its adverse events, the flags they raised, the doses recorded
    with it and (high-dose IL-2) its dose advice."""

    visit: Visit
    flags_raised: list[Flag] = dataclasses.field(default_factory=list)
    doses: list[DoseAdministration] = dataclasses.field(default_factory=list)

    @property
    def dose_advice(self) -> dict[str, Any] | None:
        return self.visit.dose_advice


# What a visit must hold to be recorded (the page and the API ask the same).
NOTHING_RECORDED = _lazy("Give at least one measurement, adverse event or note.")


@transaction.atomic
def record_visit(
    *,
    course: Course,
    by: "User",
    measurements: Mapping[str, Any] | None = None,
    adverse_events: Iterable[AdverseEventEntry] = (),
    notes: str = "",
    recorded_at: datetime.datetime | None = None,
    assessment: Mapping[str, Any] | None = None,
    doses: Iterable[DoseEntry] = (),
) -> RecordedVisit:
    """Store a clinician's visit with its adverse events, flags, (high-dose IL-2) dose advice
    and the doses given or held at it, all or nothing.

    A visit holds at least a measurement, an assessment, an adverse event or a note (a
    note-only visit is recorded; its dose advice says what was not assessed).
    `assessment` holds what the dose advice needs beyond the numbers (VISIT_ASSESSMENT_FIELDS:
    mental status, vasopressor and its dose, oxygen flow, heart rate persisting after
    correction). The dose advice is judged on the course at the visit's time (rules.dose_advice):
    this visit and the earlier ones in their windows, the doses held before it.
    """
    adverse_events = list(adverse_events)
    measurements = dict(measurements or {})
    assessment = dict(assessment or {})
    given = [*measurements.values(), *assessment.values()]
    nothing = not any(value not in (None, "") for value in given) and not adverse_events
    if nothing and not (notes or "").strip():
        raise ValidationError(NOTHING_RECORDED)
    # The plugin takes both assessment fields as NOT NULL: their null=True comes through
    # ranges.field_kwargs(), which it cannot read.
    visit = Visit(  # type: ignore[misc]
        course=course,
        recorded_by=by,
        recorded_at=recorded_at or timezone.now(),
        notes=notes,
        **{name: measurements.get(name) for name in VISIT_MEASUREMENTS},
        mental_status=assessment.get("mental_status") or "",
        vasopressor=assessment.get("vasopressor") or "",
        vasopressor_dose_ug_kg_min=assessment.get("vasopressor_dose_ug_kg_min"),
        oxygen_l_min=assessment.get("oxygen_l_min"),
        heart_rate_persists_after_correction=assessment.get("heart_rate_persists_after_correction"),
    )
    visit.full_clean()

    profile = therapy_profile(course)
    later = _judge_dose_advice(course, profile, pending=(visit, visit_rule_events(adverse_events)))
    visit.save()

    for ae in adverse_events:
        event = AdverseEvent(
            visit=visit,
            term=ae.term,
            grade=ae.grade,
            attribution=ae.attribution,
            action=ae.action,
            onset_date=ae.onset_date,
            seriousness=list(ae.seriousness),
            outcome=ae.outcome,
            end_date=ae.end_date,
            ongoing=ae.ongoing,
            expected=ae.term.slug in profile.expected_terms,
        )
        event.full_clean(exclude=["visit"])
        event.save()
    _save_judged_again(
        later, by=by, reason=_("Dose advice judged again: an earlier visit was recorded")
    )

    evaluation = judge_visit(visit, adverse_events=adverse_events, profile=profile)
    flags = _save_flags(course, evaluation.findings, visit=visit)
    recorded_doses = [
        record_dose(course=course, by=by, **dataclasses.asdict(dose)) for dose in doses
    ]
    return RecordedVisit(visit=visit, flags_raised=flags, doses=recorded_doses)


def next_dose_number(course: Course) -> int:
    """One more than the highest number of the course's current doses (1 for the first): a
    number entered in error is free again."""
    last = course.doses.current().aggregate(last=Max("dose_number"))["last"]
    return (last or 0) + 1


@transaction.atomic
def record_dose(
    *,
    course: Course,
    by: "User",
    dose_number: int,
    scheduled_at: datetime.datetime,
    status: str,
    reason: str = "",
    administered_at: datetime.datetime | None = None,
    dose_amount: Decimal | None = None,
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
    if status == DoseStatus.HELD:
        refresh_dose_advice(
            course,
            since=scheduled_at,
            by=by,
            reason=_("Dose advice judged again: a dose held before this visit was recorded"),
        )
    return dose
