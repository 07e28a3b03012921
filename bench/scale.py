"""Realistic data at clinic and network scale, quickly: `python -m bench.seed --patients N`.

What one patient gets (means; each patient draws its own from a seeded generator, so the
data are the same for the same seed and patient number whatever the batch size):

- about 2 courses, one after the other, across the whole catalog (high-dose IL-2 a minority,
  mostly outpatient blockers); the latest one usually active;
- outpatients: doses at the therapy's interval (at most 12 recorded), weekly clinic visits
  with vitals, labs every other visit and, at one visit in four, a clinician-graded adverse
  event; symptom reports on the product's schedule (`tracker.schedule`: daily for two weeks,
  then weekly), with the patient choosing the symptoms they have (the therapy's expected
  ones more often) and answering the PRO-CTCAE questions;
- high-dose IL-2 inpatients: one or two 5-day cycles of a dose every 8 hours, each dose
  preceded by a ward assessment (visit) whose capillary-leak trend drives the dose advice
  (`rules.dose_advice`): given, held (with the reason) or discontinued (the course stops);
  the nurse enters reports on the patient's behalf about once a day.

Grades and flags are never invented: every report and visit goes through the same pure rules
the services use (`rules.evaluate_report`, `rules.evaluate_visit`, `rules.dose_advice`, with
each term's previous grade), and each finding becomes one Flag row. Only the flags' workflow
state is drawn, by age: recent flags of active courses are mostly open, older ones mostly
resolved (with who and when), so that the triage queue looks like a working clinic's.

Rows are inserted in bulk (`Inserter`: one prepared INSERT per table run with `executemany`,
the rows `bulk_create` would send without compiling a statement per batch: three times
faster here), a batch of patients per transaction, on SQLite and PostgreSQL alike;
PostgreSQL's planner statistics are gathered at the end (VACUUM ANALYZE).

History: each seeded clinical row gets its "created" history row (what `services` would have
left), in the same transaction, dated when the record was made and attributed to who made it
(simple-history's `bulk_create_with_history` does the same, through `bulk_create`); so
history pages and the history tables have realistic sizes. `history=False` skips them
(about a third faster) for throwaway data.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from therapies.models import DrugClass, Setting, SideEffectTerm, TermKind, Therapy
from tracker import advice_text, rules, schedule, services
from tracker.models import (
    AdverseEvent,
    CareTeam,
    Course,
    CourseStatus,
    DoseAdministration,
    DoseStatus,
    Flag,
    FlagLevel,
    FlagStatus,
    Patient,
    RecallPeriod,
    ReportSource,
    Role,
    Sex,
    SymptomAnswer,
    SymptomReport,
    User,
    Visit,
)
from tracker.services import advice_as_json

TEAM_PREFIX = "Scale team"
CLINICIAN_PREFIX = "scale.clinician"
PATIENT_PREFIX = "scale.patient"
ADMIN_USERNAME = "scale.admin"
MRN_PREFIX = "SC-"

PATIENTS_PER_CLINICIAN = 100  # N=2,000 -> 20 clinicians
CLINICIANS_PER_TEAM = 4  # N=2,000 -> 5 teams of 4, each following ~400 patients
PATIENT_ACCOUNT_SHARE = 0.85  # patients with a portal login

# Therapy mix, in percent of courses: high-dose IL-2 a minority, mostly outpatient blockers.
THERAPY_MIX = {
    "aldesleukin-high-dose": 5,
    "aldesleukin-low-dose": 8,
    "oprelvekin": 3,
    "interleukin-12": 2,
    "anakinra": 15,
    "tocilizumab": 18,
    "sarilumab": 8,
    "ustekinumab": 15,
    "risankizumab": 12,
    "secukinumab": 14,
}
COURSES_PER_PATIENT = {1: 35, 2: 35, 3: 25, 4: 5}  # weights; mean 2.0
REPORT_COMPLETION = 0.6  # share of due reports actually sent
CHOSEN_SYMPTOMS = {0: 5, 1: 8, 2: 12, 3: 15, 4: 17, 5: 15, 6: 12, 7: 9, 8: 7}  # weights; ~4.1
EXPECTED_SYMPTOM_SHARE = 0.8  # a chosen symptom is one the therapy lists, most of the time
FIRST_SCORE = {0: 8, 1: 45, 2: 30, 3: 13, 4: 4}  # a symptom the patient chose: mostly mild
LATER_SCORE = {0: 25, 1: 40, 2: 22, 3: 10, 4: 3}
AE_SHARE = 0.25  # outpatient visits with a clinician-graded adverse event
AE_GRADE = {1: 65, 2: 27, 3: 7, 4: 1}
MAX_OUTPATIENT_DOSES = 12
IL2_DOSES_PER_CYCLE = 14  # Proleukin label: every 8 hours, up to 14 doses per cycle
IL2_REST_DAYS = 9

GIVEN = [
    "Marie", "Jean", "Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Nathan",
    "Inès", "Karim", "Fatima", "Yasmine", "Thomas", "Sarah", "Élodie", "Mathieu", "Amina",
    "Julien", "Sofia", "Omar", "Claire", "Antoine", "Nadia", "Pierre", "Aïcha", "Luc", "Emma",
    "Mehdi",
]  # fmt: skip
FAMILY = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Benali", "Haddad", "Nguyen", "Traoré", "Diallo", "Rousseau",
    "Blanc", "Guérin", "Muller", "Henry", "Roussel",
]  # fmt: skip
HELD_REASONS = [
    "Patient unwell on the day",
    "Infection under treatment",
    "Abnormal laboratory results",
    "Patient request",
]

BATCH_PATIENTS = 250  # patients per transaction (~500 courses, ~25,000 answers)
INSERT_BATCH = 2000  # rows per executemany call


def _pick(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _uuid(rng) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _dec(value: float, places: int) -> Decimal:
    return Decimal(f"{value:.{places}f}")


# --- The catalog as the generator needs it -------------------------------------------------------


@dataclass
class TherapyInfo:
    therapy: Therapy
    profile: rules.TherapyProfile
    reported_expected: list  # SideEffectTerm
    clinical_expected: list  # SideEffectTerm (adverse events a clinician grades)

    @property
    def inpatient(self):
        return self.therapy.setting == Setting.INPATIENT

    @property
    def high_dose_il2(self):
        return self.therapy.drug_class == DrugClass.IL2_HIGH_DOSE


@dataclass
class Catalog:
    therapies: dict  # slug -> TherapyInfo
    terms: dict  # slug -> SideEffectTerm
    term_infos: dict  # slug -> rules.TermInfo
    reportable: list  # SideEffectTerm
    clinical: list  # SideEffectTerm

    @classmethod
    def load(cls):
        terms = {t.slug: t for t in SideEffectTerm.objects.order_by("sort_order", "slug")}
        infos = {
            slug: rules.TermInfo(
                slug=slug,
                ctcae_term=t.ctcae_term,
                attributes=t.attributes,
                presence=t.is_presence,
            )
            for slug, t in terms.items()
        }
        therapies = {}
        for therapy in Therapy.objects.prefetch_related("expected__term", "expected__frequencies"):
            expected = [e.term for e in therapy.expected.all()]
            therapies[therapy.slug] = TherapyInfo(
                therapy=therapy,
                profile=rules.TherapyProfile(
                    name=therapy.name,
                    drug_class=therapy.drug_class,
                    expected_terms=frozenset(t.slug for t in expected),
                    fever_escalation_risk=therapy.fever_escalation_risk,
                    fever_escalation_source=therapy.fever_escalation_source,
                ),
                reported_expected=[t for t in expected if t.kind == TermKind.REPORTED],
                clinical_expected=[t for t in expected if t.kind != TermKind.MEASURED],
            )
        missing = set(THERAPY_MIX) - set(therapies)
        if missing:
            raise ValueError(f"therapies missing from the catalog: {sorted(missing)}")
        return cls(
            therapies=therapies,
            terms=terms,
            term_infos=infos,
            reportable=[t for t in terms.values() if t.kind == TermKind.REPORTED],
            clinical=[t for t in terms.values() if t.kind == TermKind.CLINICAL],
        )


# --- One batch of rows ---------------------------------------------------------------------------


@dataclass
class Rows:
    users: list = field(default_factory=list)
    patients: list = field(default_factory=list)
    courses: list = field(default_factory=list)
    doses: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    adverse_events: list = field(default_factory=list)
    flags: list = field(default_factory=list)

    # Insert order: every row's foreign keys point at rows inserted before it.
    ORDER = (
        ("users", User),
        ("patients", Patient),
        ("courses", Course),
        ("doses", DoseAdministration),
        ("reports", SymptomReport),
        ("answers", SymptomAnswer),
        ("visits", Visit),
        ("adverse_events", AdverseEvent),
        ("flags", Flag),
    )


@dataclass
class Staff:
    teams: list  # CareTeam
    members: dict  # team pk -> [User]


def _course_profile(info: TherapyInfo, course) -> rules.TherapyProfile:
    """As services.therapy_profile judges the course: a side effect the label lists for some
    indications only is expected when the course's indication is one of them (the union of
    all when the indication names none)."""
    therapy = info.therapy
    indications = services.therapy_indications(therapy, course.indication)
    if not indications:
        return info.profile
    expected = {
        e.term.slug
        for e in therapy.expected.all()
        if not e.frequencies.all() or any(f.indication in indications for f in e.frequencies.all())
    }
    return dataclasses.replace(info.profile, expected_terms=frozenset(expected))


class CourseBuilder:
    """Generates one course's records in time order, judged by the rules as it goes."""

    def __init__(self, rng, rows: Rows, catalog: Catalog, now, course, info: TherapyInfo, members):
        self.rng, self.rows, self.catalog, self.now = rng, rows, catalog, now
        self.course, self.info = course, info
        self.baseline = rules.Baseline(
            weight_kg=float(course.baseline_weight_kg),
            creatinine_mg_dl=float(course.baseline_creatinine_mg_dl),
            creatinine_uln_mg_dl=float(course.creatinine_uln_mg_dl),
            platelets_lln_10e9_per_l=float(course.platelets_lln_10e9_per_l),
        )
        self.members = members
        self.profile = _course_profile(info, course)
        self.answer_grades: dict[str, int] = {}  # latest composite grade per term
        self.ae_grades: dict[str, int] = {}  # latest CTCAE grade per adverse-event term
        self.held_times = []
        self.assessments = []

    # -- helpers

    def clinician(self):
        return self.rng.choice(self.members)

    def _at(self, day: datetime.date, hour: int, minute: int = 0):
        naive = datetime.datetime.combine(day, datetime.time(hour, minute))
        return timezone.make_aware(naive)

    def _history(self, row, when, by, reason=""):
        row._history_date = when
        row._history_user = by
        if reason:
            row._change_reason = reason
        return row

    # -- records

    def dose(self, number, when, status, by, reason=""):
        therapy = self.info.therapy
        given = status == DoseStatus.GIVEN
        amount = None
        unit = therapy.dose_unit
        if given and therapy.dose_value is not None:
            amount = therapy.dose_value
            if unit.endswith("/kg"):
                amount = (therapy.dose_value * self.course.baseline_weight_kg).quantize(
                    Decimal("0.001")
                )
                unit = unit.removesuffix("/kg")
        row = DoseAdministration(
            id=_uuid(self.rng),
            course_id=self.course.pk,
            dose_number=number,
            scheduled_at=when,
            status=status,
            administered_at=when + datetime.timedelta(minutes=15) if given else None,
            dose_amount=amount if given else None,
            dose_unit=unit if given else "",
            reason=reason,
            recorded_by_id=by.pk,
        )
        if status == DoseStatus.HELD:
            self.held_times.append(when)
        self.rows.doses.append(self._history(row, when, by))
        return row

    def report(self, when, *, by, source, measurements: dict, answers: list):
        """answers: [(term, scores dict)]; graded and flagged like services.submit_report."""
        report = SymptomReport(
            id=_uuid(self.rng),
            course_id=self.course.pk,
            submitted_by_id=by.pk if by else None,
            source=source,
            reported_at=when,
            recall_period=RecallPeriod.LAST_7_DAYS,
            **measurements,
        )
        self.rows.reports.append(self._history(report, when, by))
        infos = self.catalog.term_infos
        evaluation = rules.evaluate_report(
            therapy=self.profile,
            answers=[rules.Answer(term=infos[t.slug], **scores) for t, scores in answers],
            measurements=rules.Measurements(**_floats(measurements)),
            baseline=self.baseline,
            previous_grades={
                t.slug: self.answer_grades[t.slug]
                for t, _ in answers
                if t.slug in self.answer_grades
            },
        )
        graded = {g.term: g for g in evaluation.graded_answers}
        for term, scores in answers:
            grade = graded[term.slug]
            answer = SymptomAnswer(
                report_id=report.pk,
                term_id=term.pk,
                composite_grade=grade.composite_grade,
                expected=grade.expected,
                **scores,
            )
            self.rows.answers.append(self._history(answer, when, by))
            if grade.composite_grade is not None:
                self.answer_grades[term.slug] = grade.composite_grade
        self.flags(evaluation.findings, when, report_id=report.pk)
        return report

    def visit(self, when, *, by, measurements: dict, adverse_events: list, notes=""):
        """adverse_events: [(term, grade)]; judged like services.record_visit."""
        infos = self.catalog.term_infos
        profile = self.profile
        events = [rules.AdverseEventInput(term=infos[t.slug], grade=g) for t, g in adverse_events]
        rule_measurements = rules.Measurements(**_floats(measurements))
        assessment = (
            {"mental_status": "normal"} if profile.drug_class == rules.IL2_HIGH_DOSE else {}
        )
        self.assessments.append(
            rules.Assessment(
                at=when,
                measurements=rule_measurements,
                adverse_events=tuple(events),
                mental_status=assessment.get("mental_status"),
            )
        )
        # As services.record_visit judges it: the course at the visit's time.
        advice = rules.dose_advice(
            therapy=profile,
            baseline=self.baseline,
            assessments=self.assessments,
            held_doses=self.held_times,
            at=when,
        )
        visit = Visit(
            id=_uuid(self.rng),
            course_id=self.course.pk,
            recorded_at=when,
            created_at=when,
            recorded_by_id=by.pk,
            notes=notes,
            dose_advice=advice_as_json(advice),
            **assessment,
            **measurements,
        )
        self.rows.visits.append(self._history(visit, when, by))
        for term, grade in adverse_events:
            event = AdverseEvent(
                id=_uuid(self.rng),
                visit_id=visit.pk,
                term_id=term.pk,
                grade=grade,
                attribution=self.rng.choice(["possible", "probable", "possible", "unlikely"]),
                action="none" if grade < 3 else "dose_held",
                onset_date=timezone.localtime(when).date(),
                expected=term.slug in profile.expected_terms,
            )
            self.rows.adverse_events.append(self._history(event, when, by))
        evaluation = rules.evaluate_visit(
            therapy=profile,
            measurements=rule_measurements,
            adverse_events=events,
            baseline=self.baseline,
            previous_grades={
                t.slug: self.ae_grades[t.slug]
                for t, _ in adverse_events
                if t.slug in self.ae_grades
            },
        )
        for term, grade in adverse_events:
            self.ae_grades[term.slug] = grade
        self.flags(evaluation.findings, when, visit_id=visit.pk)
        return advice

    def flags(self, findings, when, *, report_id=None, visit_id=None):
        terms = self.catalog.terms
        for finding in findings:
            status, acted = self.flag_status(finding.level, when)
            flag = Flag(
                id=_uuid(self.rng),
                course_id=self.course.pk,
                report_id=report_id,
                visit_id=visit_id,
                level=finding.level,
                rule=finding.rule,
                term_id=terms[finding.term].pk,
                ctcae_grade=finding.ctcae_grade,
                composite_grade=finding.composite_grade,
                expected=finding.expected,
                value=finding.value,
                threshold=finding.threshold,
                message_en=finding.message,
                message_parts=list(finding.parts),
                source=finding.source,
                status=status,
                created_at=when,
            )
            if status != FlagStatus.OPEN:
                who = self.clinician()
                flag.acknowledged_by_id = who.pk
                flag.acknowledged_at = acted
                flag.acknowledged_note = "Seen; patient called." if self.rng.random() < 0.3 else ""
                if status == FlagStatus.RESOLVED:
                    flag.resolved_by_id = who.pk
                    flag.resolved_at = acted + datetime.timedelta(hours=self.rng.randint(1, 72))
                    flag.resolved_note = "Settled." if self.rng.random() < 0.3 else ""
            self.rows.flags.append(self._history(flag, when, None, "raised"))

    def flag_status(self, level, when):
        """Recent flags of a running course wait for someone; older ones were dealt with."""
        rng = self.rng
        age_days = (self.now - when).total_seconds() / 86400
        minutes = {FlagLevel.URGENT: 30, FlagLevel.REVIEW: 240, FlagLevel.INFO: 1440}[level]
        acted = when + datetime.timedelta(minutes=rng.randint(5, minutes))
        if acted >= self.now:
            return FlagStatus.OPEN, None
        if self.course.status != CourseStatus.ACTIVE:
            p_open, p_ack = 0.002, 0.004
        elif age_days < 3:
            p_open, p_ack = 0.9, 0.07
        elif age_days < 14:
            p_open, p_ack = 0.36, 0.2
        else:
            p_open, p_ack = 0.075, 0.05
        if level == FlagLevel.URGENT:  # urgent flags are seen to first
            p_open /= 3
        draw = rng.random()
        if draw < p_open:
            return FlagStatus.OPEN, None
        if draw < p_open + p_ack:
            return FlagStatus.ACKNOWLEDGED, acted
        return FlagStatus.RESOLVED, acted


def _floats(measurements: dict) -> dict:
    return {k: None if v is None else float(v) for k, v in measurements.items()}


# --- Measurements --------------------------------------------------------------------------------


def _home_measurements(rng, course, *, unwell: bool) -> dict:
    """What a patient measures at home for a report: often a temperature, sometimes more."""
    m = {}
    if rng.random() < 0.7:
        fever = unwell and rng.random() < 0.3 or rng.random() < 0.03
        m["temperature_c"] = _dec(rng.uniform(38.0, 39.6) if fever else rng.gauss(36.8, 0.3), 1)
    if rng.random() < 0.4:
        m["weight_kg"] = _dec(float(course.baseline_weight_kg) * rng.gauss(1.0, 0.015), 1)
    if rng.random() < 0.4:
        m["systolic_bp"] = max(70, int(rng.gauss(course.baseline_systolic_bp, 9)))
        m["diastolic_bp"] = max(40, int(rng.gauss(course.baseline_diastolic_bp, 6)))
        m["heart_rate"] = max(45, int(rng.gauss(course.baseline_heart_rate + 4, 8)))
    return m


def _clinic_measurements(rng, course, *, labs: bool) -> dict:
    m = {
        "systolic_bp": max(75, int(rng.gauss(course.baseline_systolic_bp, 8))),
        "diastolic_bp": max(45, int(rng.gauss(course.baseline_diastolic_bp, 6))),
        "heart_rate": max(45, int(rng.gauss(course.baseline_heart_rate, 7))),
        "temperature_c": _dec(
            rng.uniform(38.0, 39.2) if rng.random() < 0.02 else rng.gauss(36.8, 0.25), 1
        ),
        "spo2": _dec(min(100.0, rng.gauss(97.5, 1.0)), 1),
        "weight_kg": _dec(float(course.baseline_weight_kg) * rng.gauss(1.0, 0.012), 1),
    }
    if labs:
        low = rng.random() < 0.06
        m["platelets_10e9_per_l"] = _dec(rng.uniform(60, 149) if low else rng.gauss(250, 50), 1)
        high = rng.random() < 0.05
        baseline_cr = float(course.baseline_creatinine_mg_dl)
        m["creatinine_mg_dl"] = _dec(
            rng.uniform(1.25, 2.0) if high else baseline_cr * rng.gauss(1.0, 0.06), 2
        )
    return m


def _il2_measurements(rng, course, dose_index: int, frailty: float) -> dict:
    """The ward's assessment before dose `dose_index` (0-based) of a cycle: capillary leak
    builds over the cycle, faster in frailer patients (frailty 0.5-1.6)."""
    k = dose_index * frailty
    return {
        "systolic_bp": max(70, int(course.baseline_systolic_bp - 2.6 * k + rng.gauss(0, 6))),
        "diastolic_bp": max(40, int(course.baseline_diastolic_bp - 1.5 * k + rng.gauss(0, 4))),
        "heart_rate": min(160, int(course.baseline_heart_rate + 3.0 * k + rng.gauss(0, 6))),
        "temperature_c": _dec(
            rng.uniform(38.0, 39.4) if rng.random() < 0.25 else rng.gauss(37.2, 0.3), 1
        ),
        "spo2": _dec(min(100.0, rng.gauss(97 - 0.25 * k, 1.2)), 1),
        "weight_kg": _dec(float(course.baseline_weight_kg) * (1 + 0.008 * k), 1),
        "urine_output_ml_8h": max(40, int(rng.gauss(520 - 32 * k, 70))),
        "platelets_10e9_per_l": _dec(max(20.0, rng.gauss(230 - 12 * k, 25)), 1),
        "creatinine_mg_dl": _dec(
            float(course.baseline_creatinine_mg_dl) * (1 + 0.09 * k) + rng.gauss(0, 0.05), 2
        ),
    }


# --- Patients and their courses ------------------------------------------------------------------


def _patient_rows(index: int, seed: int, rows: Rows, catalog: Catalog, staff: Staff, now):
    rng = random.Random(seed * 1_000_003 + index)
    team = staff.teams[index % len(staff.teams)]
    members = staff.members[team.pk]
    sex = _pick(rng, {Sex.FEMALE: 49, Sex.MALE: 49, Sex.OTHER: 1, Sex.UNKNOWN: 1})
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    account = None
    if rng.random() < PATIENT_ACCOUNT_SHARE:
        account = User(
            username=f"{PATIENT_PREFIX}{index:06d}",
            first_name=given,
            last_name=family,
            email=f"{PATIENT_PREFIX}{index:06d}@scale.invalid",
            role=Role.PATIENT,
            preferred_language="fr" if rng.random() < 0.6 else "en",
            password=UNUSABLE_PASSWORD_PREFIX + "seeded",
            date_joined=now,
        )
        rows.users.append(account)
    patient = Patient(
        id=_uuid(rng),
        mrn=f"{MRN_PREFIX}{index:07d}",
        given_name=given,
        family_name=family,
        birth_date=datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randint(0, 60 * 365)),
        sex=sex,
        phone=f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}",
        care_team_id=team.pk,
        user=account,  # its pk is known once the users of the batch are inserted
    )
    rows.patients.append(patient)

    n_courses = _pick(rng, COURSES_PER_PATIENT)
    today = timezone.localtime(now).date()
    # The latest course first, then the earlier ones back in time.
    plans = []
    last = _pick(
        rng,
        {
            CourseStatus.ACTIVE: 75,
            CourseStatus.COMPLETED: 12,
            CourseStatus.STOPPED: 5,
            CourseStatus.PLANNED: 8,
        },
    )
    if last == CourseStatus.PLANNED:
        start = today + datetime.timedelta(days=rng.randint(1, 21))
        plans.append((last, start, None))
        cursor = today - datetime.timedelta(days=rng.randint(7, 60))
    elif last == CourseStatus.ACTIVE:
        start = today - datetime.timedelta(days=rng.randint(0, 120))
        plans.append((last, start, None))
        cursor = start - datetime.timedelta(days=rng.randint(7, 60))
    else:
        end = today - datetime.timedelta(days=rng.randint(1, 60))
        start = end - datetime.timedelta(days=rng.randint(30, 120))
        plans.append((last, start, end))
        cursor = start - datetime.timedelta(days=rng.randint(7, 60))
    for _ in range(n_courses - 1):
        end = cursor
        start = end - datetime.timedelta(days=rng.randint(30, 120))
        status = CourseStatus.STOPPED if rng.random() < 0.15 else CourseStatus.COMPLETED
        plans.append((status, start, end))
        cursor = start - datetime.timedelta(days=rng.randint(7, 90))

    first_course = None
    for status, start, end in reversed(plans):  # oldest first
        info = catalog.therapies[_pick(rng, THERAPY_MIX)]
        creator = rng.choice(members)
        course = Course(
            id=_uuid(rng),
            patient_id=patient.pk,
            therapy_id=info.therapy.pk,
            care_team_id=team.pk,
            indication=info.therapy.indications.split(";")[0].split(".")[0][:200],
            regimen=info.therapy.regimen,
            status=status,
            start_date=start,
            end_date=end,
            baseline_weight_kg=_dec(rng.uniform(50, 105), 1),
            baseline_systolic_bp=int(rng.gauss(126, 12)),
            baseline_diastolic_bp=int(rng.gauss(78, 7)),
            baseline_heart_rate=int(rng.gauss(74, 8)),
            baseline_temperature_c=_dec(rng.gauss(36.7, 0.2), 1),
            baseline_creatinine_mg_dl=_dec(rng.uniform(0.6, 1.15), 2),
            created_by_id=creator.pk,
        )
        rows.courses.append(course)
        created = timezone.make_aware(datetime.datetime.combine(start, datetime.time(9)))
        course.created_at = course.updated_at = min(created, now) - datetime.timedelta(days=3)
        course._history_date = course.created_at
        course._history_user = creator
        first_course = first_course or course
        if status == CourseStatus.PLANNED:
            continue
        builder = CourseBuilder(rng, rows, catalog, now, course, info, members)
        observed_to = min(end or today, today)
        if info.high_dose_il2:
            _il2_course(builder, account, start, observed_to)
        else:
            _outpatient_course(builder, account, start, observed_to)
    patient.created_at = patient._history_date = first_course.created_at
    patient._history_user = first_course._history_user


def _chosen_answers(rng, catalog: Catalog, info: TherapyInfo, count: int):
    chosen = {}
    while len(chosen) < count:
        pool = info.reported_expected
        if rng.random() > EXPECTED_SYMPTOM_SHARE or all(t.slug in chosen for t in pool):
            pool = catalog.reportable
        term = rng.choice(pool)
        chosen.setdefault(term.slug, term)
    answers = []
    for term in chosen.values():
        if term.is_presence:
            answers.append((term, {"present": rng.random() < 0.85}))
            continue
        first, *later = term.attributes
        scores = {first: _pick(rng, FIRST_SCORE)}
        for name in later:
            scores[name] = 0 if scores[first] == 0 else _pick(rng, LATER_SCORE)
        if scores[first] == 0:  # PRO-CTCAE: the later questions are skipped
            scores = {first: 0}
        answers.append((term, scores))
    return answers


def _outpatient_course(b: CourseBuilder, account, start: datetime.date, last_day: datetime.date):
    rng, course, info = b.rng, b.course, b.info
    therapy = info.therapy
    now = b.now
    # Doses at the therapy's interval, given in clinic or at home (the first dozen recorded).
    interval = datetime.timedelta(hours=therapy.interval_hours or 24 * 7)
    when = b._at(start, 10)
    number = 1
    while number <= MAX_OUTPATIENT_DOSES and when.date() <= last_day and when < now:
        held = rng.random() < 0.03
        b.dose(
            number,
            when,
            DoseStatus.HELD if held else DoseStatus.GIVEN,
            b.clinician(),
            reason=rng.choice(HELD_REASONS) if held else "",
        )
        number += 1
        when += interval
    # Clinic visits about weekly, labs every other visit.
    day, labs = start, True
    while day <= last_day:
        when = b._at(day, rng.randint(8, 16), rng.choice((0, 15, 30, 45)))
        if when >= now:
            break
        events = []
        if rng.random() < AE_SHARE:
            pool = info.clinical_expected if rng.random() < 0.7 else b.catalog.clinical
            events.append((rng.choice(pool or b.catalog.clinical), _pick(rng, AE_GRADE)))
        b.visit(
            when,
            by=b.clinician(),
            measurements=_clinic_measurements(rng, course, labs=labs),
            adverse_events=events,
        )
        labs = not labs
        day += datetime.timedelta(days=rng.randint(5, 9))
    # Reports on the product's schedule (daily, then weekly); some due ones are missed.
    due, unwell_until = start, None
    while due <= last_day:
        when = b._at(due, rng.randint(7, 21), rng.randint(0, 59))
        if when >= now:
            break
        if rng.random() < REPORT_COMPLETION:
            if unwell_until is not None and due > unwell_until:
                unwell_until = None
            if unwell_until is None and rng.random() < 0.08:
                unwell_until = due + datetime.timedelta(days=rng.randint(2, 10))
            unwell = unwell_until is not None
            by, source = account, ReportSource.PATIENT
            if account is None or rng.random() < 0.1:  # taken over the phone
                by, source = b.clinician(), ReportSource.CLINICIAN
            b.report(
                when,
                by=by,
                source=source,
                measurements=_home_measurements(rng, course, unwell=unwell),
                answers=_chosen_answers(
                    rng, b.catalog, info, _pick(rng, CHOSEN_SYMPTOMS) + (2 if unwell else 0)
                ),
            )
        due = schedule.next_report_due(start_date=start, last_report_on=due)


def _il2_course(b: CourseBuilder, account, start: datetime.date, last_day: datetime.date):
    """Inpatient cycles: an assessment before each 8-hourly dose decides give / hold / stop."""
    rng, course, info, now = b.rng, b.course, b.info, b.now
    frailty = rng.uniform(0.5, 1.6)
    cycles = 1 if rng.random() < 0.4 else 2
    number = 0
    cycle_start = b._at(start, 8)
    for _cycle in range(cycles):
        for index in range(IL2_DOSES_PER_CYCLE):
            when = cycle_start + datetime.timedelta(hours=8 * index)
            if when.date() > last_day or when >= now:
                return
            nurse = b.clinician()
            events = []
            if index and rng.random() < 0.3:
                term = rng.choice(info.clinical_expected)
                events.append((term, min(4, 1 + int(rng.random() * (1 + index * frailty / 6)))))
            advice = b.visit(
                when - datetime.timedelta(hours=1),
                by=nurse,
                measurements=_il2_measurements(rng, course, index, frailty),
                adverse_events=events,
            )
            number += 1
            if advice.decision == "give":
                b.dose(number, when, DoseStatus.GIVEN, nurse)
            else:
                why = advice_text.item_text((advice.criteria or advice.not_assessed)[-1].as_json())
                b.dose(number, when, DoseStatus.HELD, nurse, reason=why[:300])
            if advice.decision == "discontinue":
                course.status = CourseStatus.STOPPED
                course.end_date = timezone.localtime(when).date()
                return
            if index % 3 == 1:  # about once a day the nurse enters the patient's symptoms
                b.report(
                    when + datetime.timedelta(hours=3),
                    by=nurse,
                    source=ReportSource.CLINICIAN,
                    measurements={},
                    answers=_chosen_answers(rng, b.catalog, info, _pick(rng, CHOSEN_SYMPTOMS)),
                )
        cycle_start += datetime.timedelta(days=5 + IL2_REST_DAYS)


# --- Staff ---------------------------------------------------------------------------------------


def staff_size(patients: int) -> tuple[int, int]:
    """(clinicians, teams) for a number of patients: 1 clinician per 100 patients, teams of 4."""
    clinicians = max(2, round(patients / PATIENTS_PER_CLINICIAN))
    teams = max(1, clinicians // CLINICIANS_PER_TEAM)
    return clinicians, teams


def _staff(patients: int, now) -> Staff:
    n_clinicians, n_teams = staff_size(patients)
    clinicians = User.objects.bulk_create(
        [
            User(
                username=f"{CLINICIAN_PREFIX}{i:03d}",
                first_name=GIVEN[i % len(GIVEN)],
                last_name=FAMILY[(i * 7) % len(FAMILY)],
                email=f"{CLINICIAN_PREFIX}{i:03d}@scale.invalid",
                role=Role.CLINICIAN,
                profession="Physician" if i % 3 == 0 else "Nurse",
                password=UNUSABLE_PASSWORD_PREFIX + "seeded",
                date_joined=now,
            )
            for i in range(1, n_clinicians + 1)
        ]
    )
    User.objects.create(
        username=ADMIN_USERNAME,
        first_name="Scale",
        last_name="Administrator",
        role=Role.ADMINISTRATOR,
        password=UNUSABLE_PASSWORD_PREFIX + "seeded",
        is_staff=True,
    )
    teams, members = [], {}
    for t in range(n_teams):
        team = CareTeam.objects.create(
            name=f"{TEAM_PREFIX} {t + 1:02d}", phone=f"+33 1 42 00 {t // 100:02d} {t % 100:02d}"
        )
        people = clinicians[t::n_teams]
        team.members.add(*people)
        teams.append(team)
        members[team.pk] = people
    return Staff(teams=teams, members=members)


def already_seeded() -> bool:
    return CareTeam.objects.filter(name__startswith=TEAM_PREFIX).exists()


# --- The run -------------------------------------------------------------------------------------


def _converter(field, connection):
    """What turns a Python value into the database's, for one column (None: as it is)."""
    if field.is_relation:
        return _converter(field.target_field, connection)
    kind = field.get_internal_type()
    if kind == "UUIDField":
        if connection.features.has_native_uuid_field:
            return None
        return lambda value: None if value is None else value.hex
    if kind == "JSONField":
        return lambda value: field.get_db_prep_save(value, connection)
    if connection.vendor == "sqlite":
        # What Django's SQLite backend stores: text, datetimes as naive UTC.
        if kind == "DateTimeField":
            return lambda value: (
                None if value is None else str(value.astimezone(UTC).replace(tzinfo=None))
            )
        if kind == "DateField":
            return lambda value: None if value is None else str(value)
    return None  # decimals are built at their field's precision; drivers adapt them


class Inserter:
    """Multi-row inserts with one prepared statement per table (`executemany`).

    Same rows as `bulk_create`, which spends most of its time compiling an INSERT per batch
    (measured: about 70 % of a seed run); here the statement is built once per table and
    only the values that need it are adapted (UUIDs as text on SQLite, dates, decimals, JSON).
    Model instances are still built the ordinary way, so field defaults apply; auto_now
    fields are set by the generator (created_at is when the record was made).
    """

    def __init__(self, connection):
        self.connection = connection
        self.plans = {}

    def _plan(self, model, columns):
        key = (model, tuple(f.attname for f, _ in columns))
        if key not in self.plans:
            quote = self.connection.ops.quote_name
            sql = "INSERT INTO {} ({}) VALUES ({})".format(
                quote(model._meta.db_table),
                ", ".join(quote(field.column) for field, _ in columns),
                ", ".join(["%s"] * len(columns)),
            )
            converters = [_converter(field, self.connection) for field, _ in columns]
            self.plans[key] = (sql, converters)
        return self.plans[key]

    def rows(self, model, objs):
        fields = [(f, f.attname) for f in model._meta.concrete_fields]
        self._execute(model, fields, ([getattr(o, a) for _, a in fields] for o in objs))

    def history(self, model, objs, reason=""):
        historical = model.history.model
        fields = [
            (f, f.attname) for f in historical._meta.concrete_fields if f.attname != "history_id"
        ]

        def values(obj):
            row = []
            for _, attname in fields:
                if attname == "history_date":
                    row.append(obj._history_date)
                elif attname == "history_user_id":
                    user = getattr(obj, "_history_user", None)
                    row.append(user.pk if user is not None else None)
                elif attname == "history_change_reason":
                    row.append(getattr(obj, "_change_reason", reason))
                elif attname == "history_type":
                    row.append("+")
                else:
                    row.append(getattr(obj, attname))
            return row

        self._execute(historical, fields, (values(o) for o in objs))

    def _execute(self, model, fields, value_rows):
        sql, converters = self._plan(model, fields)
        pairs = [(i, c) for i, c in enumerate(converters) if c is not None]
        params = []
        with self.connection.cursor() as cursor:
            for row in value_rows:
                for i, convert in pairs:
                    row[i] = convert(row[i])
                params.append(row)
                if len(params) >= INSERT_BATCH:
                    cursor.executemany(sql, params)
                    params = []
            if params:
                cursor.executemany(sql, params)


def _insert(rows: Rows, inserter: Inserter, *, history: bool) -> Counter:
    counts = Counter()
    for name, model in Rows.ORDER:
        objs = getattr(rows, name)
        if not objs:
            continue
        if model is User:
            # Few rows, and their ids come from the database: the ordinary bulk_create.
            User.objects.bulk_create(objs, batch_size=INSERT_BATCH)
            for patient in rows.patients:
                if patient.user is not None:
                    patient.user_id = patient.user.pk
        else:
            inserter.rows(model, objs)
        counts[name] += len(objs)
        if history and hasattr(model, "history"):
            inserter.history(model, objs)
            counts["history rows"] += len(objs)
    return counts


class AnswerIds:
    """Answer ids (an auto-increment column) given here, so that their history rows can name
    them; the sequence is moved past them at the end (PostgreSQL)."""

    def __init__(self, last):
        self.last = last

    @classmethod
    def start(cls):
        return cls(SymptomAnswer.objects.aggregate(last=Max("id"))["last"] or 0)

    def next(self):
        self.last += 1
        return self.last

    def finish(self):
        statements = connection.ops.sequence_reset_sql(no_style(), [SymptomAnswer])
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


def seed(
    patients: int,
    seed: int = 1,
    *,
    history: bool = True,
    batch_patients: int = BATCH_PATIENTS,
    now=None,
    progress=None,
) -> dict:
    """Create `patients` patients with their courses and records; return counts and timings.

    `now` anchors every date (default: this hour, so two runs in the same hour with the same
    seed make the same data). `progress(done, total, counts)` is called after each batch.
    """
    started = time.perf_counter()
    now = now or timezone.now().replace(minute=0, second=0, microsecond=0)
    catalog = Catalog.load()
    with transaction.atomic():
        staff = _staff(patients, now)
    counts = Counter(clinicians=sum(len(m) for m in staff.members.values()), teams=len(staff.teams))
    inserter = Inserter(connection)
    ids = AnswerIds.start()
    for first in range(0, patients, batch_patients):
        rows = Rows()
        for index in range(first + 1, min(first + batch_patients, patients) + 1):
            _patient_rows(index, seed, rows, catalog, staff, now)
        for answer in rows.answers:
            answer.id = ids.next()
        with transaction.atomic():
            counts.update(_insert(rows, inserter, history=history))
        if progress:
            progress(min(first + batch_patients, patients), patients, counts)
    ids.finish()
    if connection.vendor == "postgresql":
        # Planner statistics and the visibility map, as autovacuum would have left them on a
        # database that grew over months: without statistics PostgreSQL plans for empty
        # tables, and without the visibility map it cannot answer from an index alone (the
        # triage queue's plan). VACUUM cannot run in a transaction (tests seed inside one).
        # (SQLite keeps no statistics unless someone runs ANALYZE, and Django does not: left
        # as it would be.)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    counts["open flags"] = Flag.objects.filter(
        course__care_team__name__startswith=TEAM_PREFIX, status=FlagStatus.OPEN
    ).count()
    result = dict(counts)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result
