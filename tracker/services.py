"""User actions that write several models at once.

Each runs in one transaction: a record and the flags it raises are saved together or not at all.
The clinical judgement itself is in `tracker.rules` (pure Python); this module gathers its
inputs from the database and stores its outputs.
"""

import dataclasses
import datetime
import functools
import itertools
import json
import logging
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from therapies.models import Setting, SideEffectTerm

from . import emails, internals, photos, rules, schedule
from .models import (
    AccountEvent,
    AdverseEvent,
    CareTeam,
    Course,
    DoseAdministration,
    DoseAdviceOverride,
    DoseStatus,
    EscalationChannel,
    EscalationLog,
    EscalationStep,
    Flag,
    FlagLevel,
    FlagOutcome,
    FlagStatus,
    FlagTransitionError,
    Patient,
    ReminderLog,
    ReportPhoto,
    ReportSource,
    Role,
    SymptomAnswer,
    SymptomReport,
    User,
    Visit,
)

log = logging.getLogger(__name__)

REPORT_MEASUREMENTS = (
    "temperature_c",
    "systolic_bp",
    "diastolic_bp",
    "heart_rate",
    "spo2",
    "weight_kg",
)
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
    """One query: the slugs of the therapy's expected side effects.

    A side effect the label lists for some indications only (ExpectedFrequency) is expected
    for a course whose indication names one of the therapy's labelled indications only if it
    is listed there; for a course whose indication is unknown or not labelled, the union of
    every indication's side effects is expected.
    """
    therapy = course.therapy
    indications = therapy_indications(therapy, course.indication)
    rows = therapy.expected.values_list("term__slug", "frequencies__indication")
    expected = {
        slug for slug, indication in rows if not indications or indication in (None, *indications)
    }
    return rules.TherapyProfile(
        name=therapy.name,
        drug_class=therapy.drug_class,
        expected_terms=frozenset(expected),
        fever_escalation_risk=therapy.fever_escalation_risk,
        fever_escalation_source=therapy.fever_escalation_source,
    )


def therapy_indications(therapy, indication: str) -> set[str]:
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


def _measured_slugs(values: Mapping, terms=()) -> set[str]:
    """The measured terms a record grades: by its measurements, or a clinician's grade."""
    measured = {
        slug for name, slug in rules.GRADED_MEASUREMENTS.items() if values.get(name) is not None
    }
    graded = {term.slug for term in terms} & set(rules.GRADED_MEASUREMENTS.values())
    return measured | graded


def _previous_measured_grades(course: Course, slugs, before, course_baseline) -> dict[str, int]:
    """The previous CTCAE grade of each measured term in `slugs` (fever, weight gain, urine
    output, platelets, creatinine), for the worsening rule: the grade of its latest earlier
    measurement in the course's visits and reports, or of a clinician's earlier grade of the
    term when that is later (at the same time, the higher). Records entered in error do not
    count; a normal value is grade 0.

    One query whatever the length of the course: a subquery per measurement and per term
    takes its newest row before `before`, walking the course's records backwards.
    """
    slugs = set(slugs)
    if not slugs:
        return {}
    annotations, sources = {}, []
    for model, time_field, names in (
        (Visit, "recorded_at", VISIT_MEASUREMENTS),
        (SymptomReport, "reported_at", REPORT_MEASUREMENTS),
    ):
        for name in names:
            if rules.GRADED_MEASUREMENTS.get(name) not in slugs:
                continue
            latest = (
                model.objects.current()
                .filter(course=OuterRef("pk"), **{f"{time_field}__lt": before})
                .exclude(**{name: None})
                .order_by(f"-{time_field}")
            )
            key = f"{model._meta.model_name}_{name}"
            annotations[key] = Subquery(latest.values(name)[:1])
            annotations[f"{key}_at"] = Subquery(latest.values(time_field)[:1])
            sources.append((key, name))
    for slug in sorted(slugs):
        latest = (
            AdverseEvent.objects.current()
            .filter(visit__course=OuterRef("pk"), visit__recorded_at__lt=before, term__slug=slug)
            .order_by("-visit__recorded_at", "-grade")
        )
        annotations[f"ae_{slug}"] = Subquery(latest.values("grade")[:1])
        annotations[f"ae_{slug}_at"] = Subquery(latest.values("visit__recorded_at")[:1])
    row = Course.objects.filter(pk=course.pk).values(**annotations).get()

    latest = {}  # slug -> (time, grade)

    def consider(slug, at, grade):
        if at is not None and grade is not None and (at, grade) > latest.get(slug, (at, -1)):
            latest[slug] = (at, grade)

    for key, name in sources:
        if row[key] is not None:
            graded = rules.grade_measurements(
                rules.Measurements(**{name: float(row[key])}), course_baseline
            )
            for slug, grade in graded.items():
                consider(slug, row[f"{key}_at"], grade)
    for slug in slugs:
        consider(slug, row[f"ae_{slug}_at"], row[f"ae_{slug}"])
    return {slug: grade for slug, (_at, grade) in latest.items()}


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
            message_en=finding.message,
            message_parts=list(finding.parts),
            source=finding.source,
            catalog_version=course.therapy.catalog_version,
        )
        for finding in findings
    ]
    for flag in flags:
        flag._change_reason = "raised"
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


def _emergency_signs(profile: rules.TherapyProfile, answers, measurements) -> list[dict]:
    """The report's emergency signs (rules.emergency_signs) as stored on it, for the answer page
    and the API."""
    signs = rules.emergency_signs(therapy=profile, answers=answers, measurements=measurements)
    return [dataclasses.asdict(sign) | {"with_terms": list(sign.with_terms)} for sign in signs]


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
    client_id=None,
) -> SymptomReport:
    """Store a symptom report, grade its answers and raise its flags, all or nothing.

    `client_id` is the report's sending key (see submit_report_once): saved with it, unique
    per course.

    The inputs are already validated (forms and API serializers use SymptomAnswer.clean and the
    model field validators); the returned report carries `.flags_raised`, and its
    `emergency_signs` (saved with it) name what should send the patient to the emergency number.
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
    profile = therapy_profile(course)
    rule_answers = _rule_answers(answers)
    rule_measurements = _measurements(measurements, REPORT_MEASUREMENTS)
    report.emergency_signs = _emergency_signs(profile, rule_answers, rule_measurements)
    _create_with_history(SymptomReport, [report])

    course_baseline = baseline(course)
    evaluation = rules.evaluate_report(
        therapy=profile,
        answers=rule_answers,
        measurements=rule_measurements,
        baseline=course_baseline,
        previous_grades=_previous_answer_grades(course, terms, report.reported_at)
        | _previous_measured_grades(
            course, _measured_slugs(measurements), report.reported_at, course_baseline
        ),
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


def report_sent_with(course, client_id):
    """The course's report sent with this sending key, or None."""
    return SymptomReport.objects.filter(course=course, client_id=client_id).first()


def submit_report_once(*, course: Course, client_id=None, **report) -> tuple[SymptomReport, bool]:
    """(report, created): submit_report, unless a report of this course was already sent with
    this sending key (a phone sending again a report filled in offline after a lost answer, an
    API client retrying): then that report, and nothing new is recorded.

    Two sendings at the same moment: the unique constraint on (course, client_id) refuses the
    second INSERT, which then answers the first one's report.
    """
    if client_id is None:
        return submit_report(course=course, **report), True
    if existing := report_sent_with(course, client_id):
        return existing, False
    try:
        with transaction.atomic():
            return submit_report(course=course, client_id=client_id, **report), True
    except IntegrityError:
        existing = report_sent_with(course, client_id)
        if existing is None:  # another constraint: not a repeat
            raise
        return existing, False


def offline_guidance_thresholds() -> dict:
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
    urgent_scores = {}
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


@dataclass(frozen=True)
class AdverseEventEntry:
    term: SideEffectTerm
    grade: int
    # The visit form and the API require attribution and action to be chosen; these defaults
    # serve records written by code (demo data, imports).
    attribution: str = "possible"
    action: str = "none"
    onset_date: object = None
    seriousness: tuple = ()
    outcome: str = ""
    end_date: object = None
    ongoing: bool = False


@transaction.atomic
def record_visit(
    *,
    course: Course,
    by,
    measurements: Mapping | None = None,
    adverse_events: Iterable[AdverseEventEntry] = (),
    notes: str = "",
    recorded_at=None,
    assessment: Mapping | None = None,
) -> Visit:
    """Store a clinician's visit with its adverse events, flags and (high-dose IL-2) dose advice.

    `assessment` holds what the dose advice needs beyond the numbers (VISIT_ASSESSMENT_FIELDS:
    mental status, vasopressor and its dose, oxygen flow, heart rate persisting after
    correction). The dose advice is judged on the course at the visit's time (rules.dose_advice):
    this visit and the earlier ones in their windows, the doses held before it.
    """
    adverse_events = list(adverse_events)
    measurements = dict(measurements or {})
    assessment = dict(assessment or {})
    visit = Visit(
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
    events = [
        rules.AdverseEventInput(term=term_info(ae.term), grade=ae.grade) for ae in adverse_events
    ]
    rule_measurements = _measurements(measurements, VISIT_MEASUREMENTS)
    course_baseline = baseline(course)
    later = _judge_dose_advice(course, profile, pending=(visit, events))
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

    evaluation = rules.evaluate_visit(
        therapy=profile,
        measurements=rule_measurements,
        adverse_events=events,
        baseline=course_baseline,
        previous_grades=_previous_ae_grades(
            course, [ae.term for ae in adverse_events], visit.recorded_at
        )
        | _previous_measured_grades(
            course,
            _measured_slugs(measurements, [ae.term for ae in adverse_events]),
            visit.recorded_at,
            course_baseline,
        ),
    )
    visit.flags_raised = _save_flags(course, evaluation.findings, visit=visit)
    return visit


# --- High-dose IL-2 dose advice: a judgement on the course at a time ------------------------------

# Beyond the measurements, what a visit records for the dose advice (PRODUCT.md §7).
VISIT_ASSESSMENT_FIELDS = (
    "mental_status",
    "vasopressor",
    "vasopressor_dose_ug_kg_min",
    "oxygen_l_min",
    "heart_rate_persists_after_correction",
)


def _assessment(visit: Visit, events) -> rules.Assessment:
    """A visit as the dose advice reads it; `events` are rules.AdverseEventInput."""
    return rules.Assessment(
        at=visit.recorded_at,
        measurements=_measurements(
            {name: getattr(visit, name) for name in VISIT_MEASUREMENTS}, VISIT_MEASUREMENTS
        ),
        adverse_events=tuple(events),
        mental_status=visit.mental_status or None,
        vasopressor=visit.vasopressor or None,
        vasopressor_dose_ug_kg_min=_float(visit.vasopressor_dose_ug_kg_min),
        oxygen_l_min=_float(visit.oxygen_l_min),
        heart_rate_persists_after_correction=visit.heart_rate_persists_after_correction,
    )


def assessments_of(visits) -> list[rules.Assessment]:
    """Visits whose current adverse events are prefetched (or loaded) as `adverse_events`."""
    return [
        _assessment(
            visit,
            [
                rules.AdverseEventInput(term=term_info(e.term), grade=e.grade)
                for e in visit.adverse_events.all()
                if not e.entered_in_error
            ],
        )
        for visit in visits
    ]


def _current_visits(course):
    return list(
        Visit.objects.current()
        .filter(course=course)
        .prefetch_related(
            Prefetch(
                "adverse_events", queryset=AdverseEvent.objects.current().select_related("term")
            )
        )
        .order_by("recorded_at")
    )


def held_dose_times(doses) -> list:
    return [d.scheduled_at for d in doses if d.status == DoseStatus.HELD and not d.entered_in_error]


def overrides_of(overrides) -> list[rules.Override]:
    return [
        rules.Override(
            at=o.recorded_at,
            by=o.recorded_by.get_full_name() or o.recorded_by.get_username(),
            reason=o.reason,
        )
        for o in overrides
    ]


def _course_overrides(course):
    return DoseAdviceOverride.objects.filter(course=course).select_related("recorded_by")


def advice_as_json(advice: rules.DoseAdvice | None) -> dict | None:
    """How a visit stores its advice (PRODUCT.md §7): its lines as parts, worded when shown
    (tracker/advice_text.py)."""
    if advice is None:
        return None
    return {
        "decision": advice.decision,
        "criteria": [item.as_json() for item in advice.criteria],
        "checked": [item.as_json() for item in advice.checked],
        "not_assessed": [item.as_json() for item in advice.not_assessed],
        "since": advice.since.astimezone(datetime.UTC).isoformat() if advice.since else None,
        "permanent": advice.permanent,
    }


def _judge_dose_advice(course, profile, *, pending=None, since=None) -> list[Visit]:
    """Judge again the stored dose advice of the course's visits from `since` on.

    `pending` is a visit about to be saved with its rules.AdverseEventInput list: its advice
    is set on it and it is judged with the others. Returns the stored visits whose advice
    changed (set on them, not saved).
    """
    if profile.drug_class != rules.IL2_HIGH_DOSE:
        return []
    visits = [v for v in _current_visits(course) if pending is None or v.pk != pending[0].pk]
    assessments = assessments_of(visits)
    if pending is not None:
        visit, events = pending
        assessments.append(_assessment(visit, events))
        since = visit.recorded_at if since is None else min(since, visit.recorded_at)
    targets = [v for v in visits if since is None or v.recorded_at >= since]
    if pending is not None:
        targets.append(pending[0])
    advices = rules.dose_advice_timeline(
        therapy=profile,
        baseline=baseline(course),
        assessments=assessments,
        held_doses=held_dose_times(DoseAdministration.objects.current().filter(course=course)),
        overrides=overrides_of(_course_overrides(course)),
        times=[v.recorded_at for v in targets],
    )
    changed = []
    for visit, advice in zip(targets, advices, strict=True):
        stored = advice_as_json(advice)
        if pending is not None and visit is pending[0]:
            visit.dose_advice = stored
        elif visit.dose_advice != stored:
            visit.dose_advice = stored
            changed.append(visit)
    return changed


def _save_judged_again(visits, *, by, reason):
    for visit in visits:
        _save_with_history(visit, by=by, reason=reason)


def refresh_dose_advice(course: Course, *, since=None, by=None, reason: str = "") -> list[Visit]:
    """After a record of the course changed (a visit, adverse event or dose corrected or
    entered in error, a dose recorded): judge again every visit's advice from `since` on,
    saving those that changed with the reason in their history. Returns them."""
    changed = _judge_dose_advice(course, therapy_profile(course), since=since)
    _save_judged_again(
        changed, by=by, reason=reason or _("Dose advice judged again: a record was corrected")
    )
    return changed


def course_dose_advice(course: Course, *, visits, doses, overrides, at) -> dict | None:
    """The advice for the next dose judged on the course at `at`, from records already loaded
    (current visits with their current adverse events, doses, overrides); None on other
    therapies. The course page, the PDF and the API's dose answer all read this."""
    therapy = course.therapy
    if therapy.drug_class != rules.IL2_HIGH_DOSE:
        return None
    # The dose advice reads the therapy's drug class only, not its expected side effects.
    profile = rules.TherapyProfile(
        name=therapy.name, drug_class=therapy.drug_class, expected_terms=frozenset()
    )
    advice = rules.dose_advice(
        therapy=profile,
        baseline=baseline(course),
        assessments=assessments_of(visits),
        held_doses=held_dose_times(doses),
        overrides=overrides_of(overrides),
        at=at,
    )
    return advice_as_json(advice)


def current_dose_advice(course: Course, *, at=None) -> dict | None:
    """The advice for the next dose judged now (or at `at`), read from the database."""
    if course.therapy.drug_class != rules.IL2_HIGH_DOSE:
        return None
    at = at or timezone.now()
    advice = course_dose_advice(
        course,
        visits=_current_visits(course),
        doses=DoseAdministration.objects.current().filter(course=course),
        overrides=_course_overrides(course),
        at=at,
    )
    return {**advice, "judged_at": at.isoformat()}


@transaction.atomic
def override_discontinuation(*, course: Course, by, reason: str) -> DoseAdviceOverride:
    """A physician lifts the course's discontinuation; only later assessments count."""
    if not getattr(by, "is_physician", False):
        raise PermissionDenied(_("Only a physician can lift a discontinuation."))
    reason = _required_reason(reason)
    course = Course.objects.select_for_update().get(pk=course.pk)
    override = DoseAdviceOverride(course=course, recorded_by=by, reason=reason)
    override.full_clean(exclude=["course", "recorded_by"])
    override._change_reason = reason
    override.save()
    log.info("dose advice override course=%s by=%s", course.pk, by.pk)
    return override


def next_dose_number(course: Course) -> int:
    """One more than the highest number of the course's current doses (1 for the first): a
    number entered in error is free again."""
    last = course.doses.current().aggregate(last=Max("dose_number"))["last"]
    return (last or 0) + 1


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
    if status == DoseStatus.HELD:
        refresh_dose_advice(
            course,
            since=scheduled_at,
            by=by,
            reason=_("Dose advice judged again: a dose held before this visit was recorded"),
        )
    return dose


def _transition(flag: Flag, action: str, *, by, note: str, **options) -> Flag:
    # Lock the row so that two clinicians acting at once are serialised: the second one
    # sees the first one's change and is told (FlagTransitionError) instead of overwriting it.
    with transaction.atomic():
        locked = Flag.objects.select_for_update().get(pk=flag.pk)
        if action == "resolve" and locked.level == FlagLevel.URGENT and not options["outcome"]:
            raise FlagTransitionError(
                _("Choose the outcome of this urgent flag before resolving it.")
            )
        getattr(locked, action)(by=by, note=note, **options)
    log.info("flag %s id=%s by=%s", locked.status, locked.pk, by.pk)
    return locked


def acknowledge_flag(*, flag: Flag, by, note: str = "", shared: bool = False) -> Flag:
    return _transition(flag, "acknowledge", by=by, note=note, shared=shared)


def resolve_flag(
    *, flag: Flag, by, note: str = "", outcome: str = "", shared: bool = False
) -> Flag:
    """Resolve with a note; an urgent flag also needs its outcome (what was done)."""
    if outcome and outcome not in FlagOutcome.values:
        raise FlagTransitionError(_("Choose an outcome from the list."))
    return _transition(flag, "resolve", by=by, note=note, outcome=outcome, shared=shared)


def acknowledge_flags(*, flags, by, note: str = "", shared: bool = False) -> list[Flag]:
    """Acknowledge several "expected, logged" flags at once with one note, all or nothing.

    Only info flags: an urgent or review flag is looked at on its own. Flags someone else
    acknowledged a moment ago are left as they are (not an error: the work is done).
    """
    if any(flag.level != FlagLevel.INFO for flag in flags):
        raise FlagTransitionError(_("Only “expected, logged” flags are acknowledged together."))
    done = []
    with transaction.atomic():
        locked = Flag.objects.select_for_update().filter(
            pk__in=[flag.pk for flag in flags], status=FlagStatus.OPEN
        )
        for flag in locked:
            flag.acknowledge(by=by, note=note, shared=shared)
            done.append(flag)
    log.info("flags acknowledged together count=%s by=%s", len(done), by.pk)
    return done


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


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why.")})
    return reason


def _locked(record):
    # Two clinicians correcting the same record at once are serialised: the second one works
    # on the first one's saved values instead of overwriting them with stale ones.
    return type(record).objects.select_for_update().get(pk=record.pk)


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


def _save_with_history(record, *, by, reason):
    record._change_reason = reason
    record._history_user = by
    record.save()


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


# --- Photos of a report (patient portal) -------------------------------------------------------


def add_report_photo(*, report: SymptomReport, by, subject: str, photo: photos.CleanPhoto):
    """Keep a photo (already re-encoded by tracker.photos.clean_photo) with a report.

    At most MAX_PHOTOS_PER_REPORT photos per report (those entered in error do not count); the
    report is locked so that two uploads at once cannot both be the third. If the record cannot
    be saved, the stored file is removed again: nothing is half-saved.
    """
    with transaction.atomic():
        report = SymptomReport.objects.select_for_update().get(pk=report.pk)
        if report.entered_in_error:
            raise ValidationError(_("This report is marked entered in error."))
        kept = ReportPhoto.objects.filter(report=report, entered_in_error=False).count()
        if kept >= photos.MAX_PHOTOS_PER_REPORT:
            raise ValidationError(
                {
                    "photo": _("This report already has %(count)d photos, the most it can have.")
                    % {"count": photos.MAX_PHOTOS_PER_REPORT}
                }
            )
        record = ReportPhoto(
            report=report,
            subject=subject,
            content_type=photo.content_type,
            size=len(photo.content),
            width=photo.width,
            height=photo.height,
            uploaded_by=by,
        )
        record.full_clean(exclude=["file"])
        try:
            record.file.save("photo.jpg", ContentFile(photo.content), save=False)
        except Exception:  # a full disk, a bucket out of reach: nothing is kept, say so
            log.exception("photo not stored report=%s", report.pk)
            raise ValidationError(
                {"photo": _("The photo could not be kept just now. Try again in a few minutes.")}
            ) from None
        stored = record.file.name
        try:
            record._history_user = by
            record.save()
        except Exception:
            record.file.storage.delete(stored)
            raise
    log.info("photo added report=%s photo=%s bytes=%d", report.pk, record.pk, record.size)
    return record


@transaction.atomic
def mark_photo_entered_in_error(*, photo: ReportPhoto, by, reason: str) -> ReportPhoto:
    """A photo added by mistake leaves the report's pages and the PDF; the record and its file
    stay, with the history of who marked it and why."""
    reason = _required_reason(reason)
    photo = _locked(photo)
    if photo.entered_in_error:
        raise ValidationError(_("This record is already marked entered in error."))
    photo.entered_in_error = True
    photo.entered_in_error_reason = reason
    _save_with_history(photo, by=by, reason=reason)
    return photo


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


# --- Patients registered and corrected by their care team --------------------------------------

# What a care team may write on a patient's record (the team itself and the portal account are
# not changed here).
PATIENT_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "mrn",
    "phone",
    "preferred_language",
)


def normalised_mrn(mrn: str) -> str:
    return " ".join((mrn or "").split())


@dataclass(frozen=True)
class PossibleDuplicates:
    """Whether another patient, in any team, has the same MRN or the same name and date of
    birth. Says only that one exists: another team's patient is not shown."""

    mrn: bool = False
    name_and_birth_date: bool = False


def possible_duplicates(
    *, mrn="", given_name="", family_name="", birth_date=None, exclude=None
) -> PossibleDuplicates:
    others = Patient.objects.all()
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    mrn = normalised_mrn(mrn)
    same_mrn = bool(mrn) and others.filter(mrn__iexact=mrn).exists()
    same_person = (
        bool(given_name and family_name and birth_date)
        and others.filter(
            given_name__iexact=given_name.strip(),
            family_name__iexact=family_name.strip(),
            birth_date=birth_date,
        ).exists()
    )
    return PossibleDuplicates(mrn=same_mrn, name_and_birth_date=same_person)


def may_edit_patient(user, patient: Patient) -> bool:
    """A patient's record is registered and corrected by their own care team (like the portal
    invitation): a team that shares one course sees the patient but does not change them."""
    return may_invite(user, patient)


@transaction.atomic
def register_patient(*, by, care_team: CareTeam, **fields) -> Patient:
    """Register a patient for one of `by`'s care teams; the history keeps who registered them.

    The MRN is unique across the installation (ValidationError at "mrn" otherwise); the same
    name and date of birth is the form's warning to confirm, not refused here."""
    if not (by.is_clinician and care_team.members.filter(pk=by.pk).exists()):
        raise PermissionDenied(_("Patients are registered for your own care team."))
    unknown = set(fields) - set(PATIENT_FIELDS)
    if unknown:
        raise ValueError(f"not a patient field: {sorted(unknown)}")
    fields["mrn"] = normalised_mrn(fields.get("mrn", ""))
    if possible_duplicates(mrn=fields["mrn"]).mrn:
        raise ValidationError({"mrn": _("A patient with this MRN already exists.")})
    patient = Patient(care_team=care_team, **fields)
    patient.full_clean()
    patient._history_user = by
    patient._change_reason = _("Patient registered")
    patient.save()
    return patient


@transaction.atomic
def update_patient(*, patient: Patient, by, changes: Mapping, reason: str) -> Patient:
    """Correct a patient's record with the reason in its history. Returns the patient with
    `.changed_fields`."""
    reason = _required_reason(reason)
    patient = Patient.objects.select_for_update().select_related("care_team").get(pk=patient.pk)
    if not may_edit_patient(by, patient):
        raise PermissionDenied(_("Only the patient's care team can change their record."))
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise ValueError(f"not a patient field: {sorted(unknown)}")
    changes = dict(changes)
    if "mrn" in changes:
        changes["mrn"] = normalised_mrn(changes["mrn"])
        if possible_duplicates(mrn=changes["mrn"], exclude=patient).mrn:
            raise ValidationError({"mrn": _("A patient with this MRN already exists.")})
    changed = {name: value for name, value in changes.items() if getattr(patient, name) != value}
    patient.changed_fields = list(changed)
    if not changed:
        return patient
    for name, value in changed.items():
        setattr(patient, name, value)
    patient.full_clean()
    patient._history_user = by
    patient._change_reason = reason
    patient.save()
    patient.changed_fields = list(changed)
    return patient


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
        due = schedule.next_report_due(start_date=course.start_date, last_report_on=last)
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
                    "out_of_hours_phone": course.care_team.out_of_hours_phone_for_patients,
                    "care_team": course.care_team,
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


# --- Escalation of urgent flags nobody has acknowledged -----------------------------------------


def _escalation_after(step) -> datetime.timedelta | None:
    """How long after it was raised an open urgent flag reaches `step` (settings)."""
    target = settings.TRIAGE_RESPONSE_MINUTES.get(FlagLevel.URGENT)
    if target is None:
        return None
    after = datetime.timedelta(minutes=target)
    if step == EscalationStep.PHYSICIANS:
        after += datetime.timedelta(minutes=settings.ESCALATION_PHYSICIANS_AFTER_MINUTES)
    return after


def _escalation_recipients(team, step) -> list[tuple[str, str]]:
    """(address, language) of whom a step tells: the on-call contacts, then the physicians."""
    if step == EscalationStep.ON_CALL:
        return [(address, settings.LANGUAGE_CODE) for address in team.on_call_addresses]
    return [
        (user.email, user.preferred_language)
        for user in team.members.filter(is_physician=True, is_active=True).exclude(email="")
    ]


def escalate_flags(*, now=None, site_url: str = "") -> int:
    """Tell the care team about urgent flags still open past their response target.

    First the team's on-call contacts (e-mail, and the team's webhook when it has one), then,
    after a second interval, the team's physicians. Idempotent, for cron every minute and for
    several hosts at once: the EscalationLog row of (flag, step, channel) is inserted in the
    same transaction that sends, so a re-run or a concurrent run finds it and skips; a failed
    send rolls the row back and the next run tries again. A flag acknowledged in the meantime
    is skipped. Returns how many sends were made (e-mails to a step's people count as one).
    """
    now = now or timezone.now()
    site_url = site_url or getattr(settings, "SITE_URL", "http://127.0.0.1:8000")
    sent = 0
    for step in EscalationStep:
        after = _escalation_after(step)
        if after is None:
            continue
        flags = (
            Flag.objects.open()
            .filter(level=FlagLevel.URGENT, withdrawn=False, created_at__lte=now - after)
            .select_related("course__care_team")
        )
        for flag in flags:
            team = flag.course.care_team
            channels = [EscalationChannel.EMAIL]
            if team.escalation_webhook_url:
                channels.append(EscalationChannel.WEBHOOK)
            for channel in channels:
                if _send_escalation(flag, step, channel, now=now, site_url=site_url):
                    sent += 1
    return sent


def _send_escalation(flag, step, channel, *, now, site_url) -> bool:
    if EscalationLog.objects.filter(flag=flag, step=step, channel=channel).exists():
        return False
    team = flag.course.care_team
    link = site_url.rstrip("/") + reverse("tracker:triage") + f"#flag-{flag.pk}"
    try:
        with transaction.atomic():
            # Acknowledged since the list was read: nobody needs telling any more.
            # Locked, as acknowledging locks it: one or the other goes first.
            if Flag.objects.select_for_update().filter(pk=flag.pk).open().first() is None:
                return False
            recipients = (
                _escalation_recipients(team, step) if channel == EscalationChannel.EMAIL else []
            )
            if channel == EscalationChannel.EMAIL and not recipients:
                return False
            EscalationLog.objects.create(
                flag=flag, step=step, channel=channel, recipients=len(recipients), sent_at=now
            )
            if channel == EscalationChannel.EMAIL:
                waited = int((now - flag.created_at).total_seconds() // 60)
                for address, language in recipients:
                    emails.send_now(
                        "flag_escalation",
                        to=address,
                        context={
                            "care_team": team,
                            "step": step,
                            "minutes": waited,
                            "link": link,
                        },
                        language=language,
                    )
            else:
                _post_webhook(team.escalation_webhook_url, flag, step, link)
    except IntegrityError:
        return False  # another run sent it
    except Exception:
        # No values, names or addresses in the log: the flag's id, the step and the channel.
        log.exception(
            "escalation not sent flag=%s step=%s channel=%s; next run retries",
            flag.pk,
            step,
            channel,
        )
        return False
    log.info("escalation sent flag=%s step=%s channel=%s", flag.pk, step, channel)
    return True


def _post_webhook(url, flag, step, link):
    """POST the flag's id, level, step and link (nothing clinical) as JSON; an error or a
    non-2xx answer raises, so that the caller rolls back and the next run tries again."""
    body = json.dumps(
        {"flag": str(flag.pk), "level": flag.level, "step": str(step), "link": link}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (an administrator sets the URL)
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(  # noqa: S310 (the URL is set by an administrator)
        request, timeout=settings.ESCALATION_WEBHOOK_TIMEOUT_SECONDS
    ) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"webhook answered {response.status}")
