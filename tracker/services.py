"""User actions that write several models at once.

Each runs in one transaction: a record and the flags it raises are saved together or not at all.
The clinical judgement itself is in `tracker.rules` (pure Python); this module gathers its
inputs from the database and stores its outputs.
"""

import datetime
import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from therapies.models import Setting, SideEffectTerm

from . import emails, rules, schedule
from .models import (
    AccountEvent,
    AdverseEvent,
    Course,
    DoseAdministration,
    DoseStatus,
    Flag,
    FlagStatus,
    Patient,
    ReminderLog,
    ReportSource,
    Role,
    SymptomAnswer,
    SymptomReport,
    User,
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


def _rule_answers(answers) -> list[rules.Answer]:
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


def _measurements(values: Mapping, names: Iterable[str]) -> rules.Measurements:
    return rules.Measurements(**{name: _float(values.get(name)) for name in names})


def _previous_answer_grades(course: Course, terms, before) -> dict[str, int]:
    """The latest composite grade of each term in the course's earlier reports (one query).

    A subquery per term takes its newest graded answer, walking the course's reports from
    `before` backwards: the cost follows the terms asked, not the length of the course.
    Presence items are never graded (`rules.composite_grade`), so they are not looked for.
    """
    graded = [term.pk for term in terms if not term.is_presence]
    if not graded:
        return {}
    latest = (
        SymptomAnswer.objects.current()
        .filter(
            report__course=course,
            report__reported_at__lt=before,
            term=OuterRef("pk"),
            composite_grade__isnull=False,
        )
        .order_by("-report__reported_at")
        .values("composite_grade")[:1]
    )
    rows = (
        SideEffectTerm.objects.filter(pk__in=graded)
        .annotate(grade=Subquery(latest))
        .values_list("slug", "grade")
    )
    return {slug: grade for slug, grade in rows if grade is not None}


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


def _save_flags(course, findings, *, report=None, visit=None, known_terms=()) -> list[Flag]:
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
            message=finding.message,
            source=finding.source,
        )
        for finding in findings
    ]
    for flag in flags:
        flag._change_reason = "raised"
    _create_with_history(Flag, flags)
    for flag in flags:
        flag._judgement = flag._current_judgement()  # as Flag.save leaves it: fixed from now on
        # No clinical content or names in the log: ids, level and rule only.
        log.info(
            "flag raised id=%s course=%s level=%s rule=%s",
            flag.pk,
            course.pk,
            flag.level,
            flag.rule,
        )
    return flags


def _create_with_history(model, objects):
    """INSERT the new rows, then their history rows, as `save()` one by one would write them
    (history_type "+", the request's user, each object's `_change_reason`, the time now), in
    two statements instead of two per row. No-op without rows."""
    if not objects:
        return
    model._default_manager.bulk_create(objects)
    _history_manager(model).bulk_history_create(objects, default_change_reason=None)


@functools.cache
def _history_manager(model):
    # simple-history builds a new manager class on every `Model.history` access (0.3 ms); the
    # model's manager holds no state, so one per model serves every call.
    return model.history


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
        **{name: measurements.get(name) for name in REPORT_MEASUREMENTS},
    )
    # The course and the user are loaded objects and the primary key is a new UUID: no
    # look-ups needed for them.
    report.full_clean(exclude=["course", "submitted_by"], validate_unique=False)
    _create_with_history(SymptomReport, [report])

    evaluation = rules.evaluate_report(
        therapy=therapy_profile(course),
        answers=_rule_answers(answers),
        measurements=_measurements(measurements, REPORT_MEASUREMENTS),
        baseline=baseline(course),
        previous_grades=_previous_answer_grades(course, terms, report.reported_at),
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
    report.answers_saved = sorted(saved_answers, key=lambda answer: answer.term.sort_order)
    report.flags_raised = _save_flags(course, evaluation.findings, report=report, known_terms=terms)
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


# --- Corrections ---------------------------------------------------------------------------------

# What a correction may change on each kind of record. Answers of a report are not edited one
# by one: a wrong report is marked entered in error and recorded again.
CORRECTABLE_FIELDS = {
    Visit: ("recorded_at", *VISIT_MEASUREMENTS, "notes"),
    SymptomReport: ("reported_at", "recall_period", *REPORT_MEASUREMENTS, "note"),
    AdverseEvent: ("grade", "attribution", "action", "onset_date"),
}
ENTERED_IN_ERROR_NOTE = "Record entered in error: {reason}"


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why.")})
    return reason


def _locked(record):
    # Two clinicians correcting the same record at once are serialised: the second one works
    # on the first one's saved values instead of overwriting them with stale ones.
    return type(record).objects.select_for_update().get(pk=record.pk)


def _is_in_error(record) -> bool:
    if record.entered_in_error:
        return True
    return isinstance(record, AdverseEvent) and record.visit.entered_in_error


def _visit_evaluation(visit: Visit):
    """The rules' judgement of a visit as it stands (its measurements as set on `visit`, its
    current adverse events as stored), with the dose advice for the next dose."""
    course = visit.course
    profile = therapy_profile(course)
    events = list(AdverseEvent.objects.current().filter(visit=visit).select_related("term"))
    rule_events = [rules.AdverseEventInput(term=term_info(e.term), grade=e.grade) for e in events]
    measurements = _measurements(
        {name: getattr(visit, name) for name in VISIT_MEASUREMENTS}, VISIT_MEASUREMENTS
    )
    course_baseline = baseline(course)
    evaluation = rules.evaluate_visit(
        therapy=profile,
        measurements=measurements,
        adverse_events=rule_events,
        baseline=course_baseline,
        previous_grades=_previous_ae_grades(course, [e.term for e in events], visit.recorded_at),
    )
    advice = rules.dose_advice(
        therapy=profile,
        measurements=measurements,
        adverse_events=rule_events,
        baseline=course_baseline,
        # As when the visit was recorded: the doses held before it.
        holds_so_far=course.doses.current()
        .filter(status=DoseStatus.HELD, scheduled_at__lt=visit.recorded_at)
        .count(),
    )
    stored_advice = (
        None if advice is None else {"decision": advice.decision, "criteria": list(advice.criteria)}
    )
    return evaluation, stored_advice


def _report_evaluation(report: SymptomReport):
    course = report.course
    answers = list(SymptomAnswer.objects.current().filter(report=report).select_related("term"))
    return rules.evaluate_report(
        therapy=therapy_profile(course),
        answers=_rule_answers(answers),
        measurements=_measurements(
            {name: getattr(report, name) for name in REPORT_MEASUREMENTS}, REPORT_MEASUREMENTS
        ),
        baseline=baseline(course),
        previous_grades=_previous_answer_grades(
            course, [a.term for a in answers], report.reported_at
        ),
    )


def _raise_new_findings(course, findings, *, report=None, visit=None) -> list[Flag]:
    """Flags for the findings not already flagged on this record.

    Already flagged means a flag of the record on the same term at the same or a higher level
    (whatever its status). A correction that makes a term worse (grade 2 -> 3) therefore raises
    a new, higher flag; the existing flags are never changed.
    """
    existing = Flag.objects.filter(report=report) if report else Flag.objects.filter(visit=visit)
    flagged = {}
    for slug, level in existing.values_list("term__slug", "level"):
        if slug not in flagged or rules.LEVEL_ORDER[level] > rules.LEVEL_ORDER[flagged[slug]]:
            flagged[slug] = level
    new = [
        f
        for f in findings
        if f.term not in flagged or rules.LEVEL_ORDER[f.level] > rules.LEVEL_ORDER[flagged[f.term]]
    ]
    return _save_flags(course, new, report=report, visit=visit)


def _save_with_history(record, *, by, reason):
    record._change_reason = reason
    record._history_user = by
    record.save()


@transaction.atomic
def correct_record(*, record, by, changes: Mapping, reason: str):
    """Correct a visit, a symptom report or an adverse event, with the reason in its history.

    Visits and reports (and the visit of a corrected adverse event) are judged again by the
    rules: findings not already flagged on the record raise new flags; existing flags never
    change. The returned record carries `.changed_fields` and `.flags_raised`.
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
    record.flags_raised = []
    if not changed:
        return record
    for name, value in changed.items():
        setattr(record, name, value)
    record.full_clean()

    if isinstance(record, Visit):
        evaluation, record.dose_advice = _visit_evaluation(record)
        _save_with_history(record, by=by, reason=reason)
        record.flags_raised = _raise_new_findings(record.course, evaluation.findings, visit=record)
    elif isinstance(record, SymptomReport):
        _save_with_history(record, by=by, reason=reason)
        record.flags_raised = _raise_new_findings(
            record.course, _report_evaluation(record).findings, report=record
        )
    else:  # an adverse event: its visit is judged again with the corrected grade
        _save_with_history(record, by=by, reason=reason)
        visit = _locked(record.visit)
        evaluation, advice = _visit_evaluation(visit)
        if advice != visit.dose_advice:
            visit.dose_advice = advice
            _save_with_history(
                visit, by=by, reason=_("Dose advice updated: adverse event corrected (%s)") % reason
            )
        record.flags_raised = _raise_new_findings(visit.course, evaluation.findings, visit=visit)
    log.info(
        "record corrected %s id=%s fields=%s flags=%d",
        type(record).__name__,
        record.pk,
        ",".join(changed),
        len(record.flags_raised),
    )
    return record


@transaction.atomic
def mark_entered_in_error(*, record, by, reason: str):
    """Mark a visit, report or adverse event as entered in error and resolve its flags.

    The record stays (history, exports) but leaves grades, side effects and charts. Its flags
    are withdrawn (Flag.withdraw), and those open or acknowledged resolved with the reason; for
    an adverse event, the visit's flags on that term (or a capillary-leak pattern) when the
    visit no longer shows them without it. The returned record carries `.flags_resolved`.
    """
    reason = _required_reason(reason)
    record = _locked(record)
    if _is_in_error(record):
        raise ValidationError(_("This record is already marked entered in error."))
    record.entered_in_error = True
    record.entered_in_error_reason = reason
    try:
        record.full_clean()
    except ValidationError as error:
        if "entered_in_error_reason" in error.error_dict:
            raise ValidationError({"reason": error.error_dict["entered_in_error_reason"]}) from None
        raise
    _save_with_history(record, by=by, reason=reason)

    if isinstance(record, AdverseEvent):
        evaluation, _advice = _visit_evaluation(record.visit)
        still_found = {f.term for f in evaluation.findings}
        flags = Flag.objects.filter(visit=record.visit).filter(
            term__slug__in={record.term.slug, rules.CAPILLARY_LEAK.slug} - still_found
        )
    else:
        flags = record.flags.all()
    note = ENTERED_IN_ERROR_NOTE.format(reason=reason)
    record.flags_resolved = []
    # Every flag of the record is withdrawn, even one already resolved: its grade no longer
    # counts. Those still waiting are resolved with the reason.
    for flag in flags.filter(withdrawn=False).select_for_update():
        was_waiting = flag.status != FlagStatus.RESOLVED
        flag.withdraw(by=by, note=note)
        if was_waiting:
            record.flags_resolved.append(flag)
    log.info(
        "record entered in error %s id=%s flags resolved=%d",
        type(record).__name__,
        record.pk,
        len(record.flags_resolved),
    )
    return record


# --- Patient accounts and reporting reminders (patient portal) ---------------------------------


@dataclass(frozen=True)
class Invitation:
    user: object
    link: str  # the one-time set-password link, absolute: for the e-mail only, never a page


# Wrong dates of birth allowed on one invitation's page before its link stops working (a
# product choice: enough for a typing slip, too few to guess a date).
INVITATION_BIRTH_DATE_TRIES = 5


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """The invitation's one-time tokens. Their own salt: a password-reset token does not open
    the invitation's page, and an invitation's token does not open the reset page (which would
    skip the date of birth). Valid only for a patient account whose password was never chosen;
    like Django's, a token dies once the password field changes (a password chosen, a new link
    sent, too many wrong dates of birth) or after PASSWORD_RESET_TIMEOUT."""

    key_salt = "tracker.services.InvitationTokenGenerator"

    def check_token(self, user, token):
        if user is None or not user.is_patient or user.has_usable_password():
            return False
        return super().check_token(user, token)


invitation_tokens = InvitationTokenGenerator()


def _set_password_link(user, site_url: str) -> str:
    path = reverse(
        "tracker:password-set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    return site_url.rstrip("/") + path


def may_invite(user, patient: Patient) -> bool:
    """Only the patient's own care team opens their account or sends a new link. A team that
    shares one course sees the patient, but whoever receives the link reads every course of the
    patient's, and reports as the patient. One query."""
    return (
        user.is_authenticated
        and user.is_clinician
        and patient.care_team.members.filter(pk=user.pk).exists()
    )


@transaction.atomic
def invite_patient(*, patient: Patient, by, site_url: str, email="", language="") -> Invitation:
    """Open a patient's account and e-mail them a link to choose a password.

    Only the patient's care team may (PermissionDenied otherwise). For an account whose
    password was never chosen, sends a new link instead, to `email` when it is a new address
    (the change goes in the patient's history); every earlier link stops working. The account
    is created without a usable password: nobody can sign in with it until the patient has used
    the link and confirmed their date of birth. The e-mail goes once the transaction commits.
    """
    patient = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("user", "care_team")
        .get(pk=patient.pk)
    )
    if not may_invite(by, patient):
        raise PermissionDenied(_("Only the patient's care team can invite them."))
    user = patient.user
    if user is None:
        if not email:
            raise ValidationError({"email": _("Enter the patient's e-mail address.")})
        user = User(
            username=email,
            email=email,
            role=Role.PATIENT,
            first_name=patient.given_name,
            last_name=patient.family_name,
            preferred_language=language or settings.LANGUAGE_CODE,
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
        patient.user = user
        patient._change_reason = "patient account opened"
        patient.save(update_fields=["user"])
    elif user.has_usable_password():
        raise ValidationError(
            _("This patient has already chosen a password; they can reset it when signing in.")
        )
    else:
        if email and email != user.email:
            old = user.email
            user.email = user.username = email
            user.full_clean()
            _save_with_history(patient, by=by, reason=f"invitation e-mail changed: {old} → {email}")
        # A new unusable password: every link sent before this one stops working.
        user.set_unusable_password()
        user.save(update_fields=["password", "email", "username"])
    AccountEvent.objects.create(user=user, kind=AccountEvent.Kind.INVITATION_SENT, by=by)
    link = _set_password_link(user, site_url)
    emails.send(
        "patient_invitation",
        to=user.email,
        context={
            "patient": patient,
            "user": user,
            "link": link,
            "care_team": patient.care_team,
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        },
        language=user.preferred_language,
    )
    log.info("patient account invitation patient=%s user=%s by=%s", patient.pk, user.pk, by.pk)
    return Invitation(user=user, link=link)


def invitation_tries_left(user) -> int:
    """Wrong dates of birth still allowed on the latest invitation's page."""
    events = AccountEvent.objects.filter(user=user)
    latest = (
        events.filter(kind=AccountEvent.Kind.INVITATION_SENT)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    refused = events.filter(kind=AccountEvent.Kind.BIRTH_DATE_REFUSED, pk__gt=latest or 0)
    return max(0, INVITATION_BIRTH_DATE_TRIES - refused.count())


@transaction.atomic
def refuse_invitation_birth_date(*, user) -> int:
    """Record a wrong date of birth on the invitation's page and return the tries left. At
    none, the link stops working; the care team sends a new one."""
    user = User.objects.select_for_update().get(pk=user.pk)  # two tries at once count as two
    AccountEvent.objects.create(user=user, kind=AccountEvent.Kind.BIRTH_DATE_REFUSED)
    left = invitation_tries_left(user)
    if left == 0:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        log.warning("invitation link closed after wrong dates of birth user=%s", user.pk)
    return left


# Reminders go out in the daytime only (local time of the clinic): a product choice, so that a
# cron job every 15 minutes never wakes anyone up.
REMINDER_FROM_HOUR = 9
REMINDER_UNTIL_HOUR = 20


def _courses_to_remind(today):
    return (
        Course.objects.active()
        .filter(
            therapy__setting=Setting.OUTPATIENT,
            start_date__lte=today,
            patient__user__is_active=True,
        )
        .exclude(patient__user__email="")
        # Not before the patient has chosen a password: they could not sign in to report.
        .exclude(patient__user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .select_related("patient__user", "therapy", "care_team")
        .annotate(
            last_reported_at=Max("reports__reported_at", filter=Q(reports__entered_in_error=False))
        )
    )


def send_due_reminders(*, now=None, site_url: str = "") -> int:
    """E-mail each outpatient whose report is due today (or overdue) once per due date.

    Idempotent, for cron: the ReminderLog row of (course, due date) is inserted in the same
    transaction that sends the e-mail, so a second or concurrent run finds it and skips; a
    failed send rolls the row back and the next run tries again. Returns how many were sent.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    if not REMINDER_FROM_HOUR <= local.hour < REMINDER_UNTIL_HOUR:
        return 0
    today = local.date()
    site_url = site_url or getattr(settings, "SITE_URL", "http://127.0.0.1:8000")
    sent = 0
    for course in _courses_to_remind(today):
        last = course.last_reported_at and timezone.localtime(course.last_reported_at).date()
        due = schedule.next_report_due(
            start_date=course.start_date, last_report_on=last, today=today
        )
        if due <= today and _send_reminder(course, due, now, site_url):
            sent += 1
    return sent


def _send_reminder(course, due, now, site_url) -> bool:
    user = course.patient.user
    due_from = timezone.make_aware(datetime.datetime.combine(due, datetime.time.min))
    try:
        with transaction.atomic():
            # A report that came in since the list was read answers this due date already.
            if course.reports.current().filter(reported_at__gte=due_from).exists():
                return False
            ReminderLog.objects.create(course=course, due_date=due, sent_at=now)
            emails.send_now(
                "report_reminder",
                to=user.email,
                context={
                    "user": user,
                    "course": course,
                    "due_date": due,
                    "overdue": due < timezone.localtime(now).date(),
                    "link": site_url.rstrip("/")
                    + reverse("tracker:patient-report-create", args=[course.pk]),
                    "phone": course.care_team.phone_for_patients,
                },
                language=user.preferred_language,
            )
    except IntegrityError:
        return False  # another run sent it
    except Exception:
        log.exception("reminder not sent course=%s due=%s; next run retries", course.pk, due)
        return False
    log.info("reminder sent course=%s due=%s", course.pk, due)
    return True
