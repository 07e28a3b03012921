"""A realistic demo clinic, built through the same services as real use.

One oncology and immunotherapy unit (a physician and a nurse) follows four patients:
- an inpatient on high-dose aldesleukin for kidney cancer whose capillary leak (falling blood
  pressure, weight gain, low urine output) leads to a held dose and then to discontinuation;
- an anakinra patient with rheumatoid arthritis: injection-site reactions and one unexpected
  symptom;
- a tocilizumab patient with a fever at home (urgent on an IL-6 blocker);
- a ustekinumab patient with Crohn's disease and mild expected symptoms.
A second team (dermatology) has its own clinician and patient, to show that teams do not see
each other's patients.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from therapies.models import SideEffectTerm, Therapy

from . import services
from .models import CareTeam, Course, DoseStatus, Patient, Role, Sex, User

DEMO_PASSWORD = "demo-tracker-2026"  # noqa: S105 (the demo clinic's published sign-in)
TEAM_NAME = "Oncology & Immunotherapy Unit"


def _user(
    username, first, last, role, *, profession="", language="en", staff=False, physician=False
):
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "role": role,
            "profession": profession,
            "is_physician": physician,
            "preferred_language": language,
            "email": f"{username}@demo.invalid",
            "is_staff": staff,
            "is_superuser": staff,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _patient(team, mrn, given, family, birth, sex, username, language="en"):
    account = _user(username, given, family, Role.PATIENT, language=language)
    return Patient.objects.create(
        mrn=mrn,
        given_name=given,
        family_name=family,
        birth_date=birth,
        sex=sex,
        care_team=team,
        user=account,
    )


def _course(patient, slug, start, by, **baselines):
    therapy = Therapy.objects.get(slug=slug)
    return Course.objects.create(
        patient=patient,
        therapy=therapy,
        care_team=patient.care_team,
        regimen=therapy.regimen,
        start_date=start,
        created_by=by,
        **baselines,
    )


def _answers(**spec):
    """answers(nausea=(2, 1), rash=True): scores in the item's asked order, or yes/no."""
    terms = SideEffectTerm.objects.in_bulk(list(spec), field_name="slug")
    answers = []
    for slug, value in spec.items():
        term = terms[slug]
        if term.is_presence:
            answers.append(services.AnswerInput(term=term, present=value))
        else:
            scores = dict(zip(term.attributes, value, strict=True))
            answers.append(services.AnswerInput(term=term, **scores))
    return answers


def _ae(slug, grade, **extra):
    return services.AdverseEventEntry(
        term=SideEffectTerm.objects.get(slug=slug), grade=grade, **extra
    )


def _at(day, hour, minute=0):
    local = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
    return local


def exists():
    return CareTeam.objects.filter(name=TEAM_NAME).exists()


@transaction.atomic
def build():
    """Create the demo clinic. Call only when `exists()` is False."""
    today = timezone.localdate()
    physician = _user(
        "dr.martin",
        "Claire",
        "Martin",
        Role.CLINICIAN,
        profession="Physician (oncology)",
        physician=True,
    )
    nurse = _user(
        "nurse.dubois", "Julien", "Dubois", Role.CLINICIAN, profession="Nurse", language="fr"
    )
    dermatologist = _user(
        "dr.bernard",
        "Hélène",
        "Bernard",
        Role.CLINICIAN,
        profession="Physician (dermatology)",
        physician=True,
    )
    _user("admin", "Site", "Administrator", Role.ADMINISTRATOR, staff=True)

    # Open Monday to Friday, 08:00-18:00 (the model's defaults); the ward answers out of hours.
    team = CareTeam.objects.create(
        name=TEAM_NAME, phone="+33 1 42 00 12 34", out_of_hours_phone="+33 1 42 00 99 00"
    )
    team.members.add(physician, nurse)
    derm = CareTeam.objects.create(
        name="Dermatology clinic", phone="+33 1 42 00 56 78", out_of_hours_phone="+33 1 42 00 99 00"
    )
    derm.members.add(dermatologist)

    _aldesleukin(team, physician, nurse, today)
    _anakinra(team, physician, nurse, today)
    _tocilizumab(team, nurse, today)
    _ustekinumab(team, physician, today)
    _secukinumab(derm, dermatologist, today)


def _aldesleukin(team, physician, nurse, today):
    marc = _patient(
        team,
        "RCC-20417",
        "Marc",
        "Lefèvre",
        datetime.date(1968, 3, 9),
        Sex.MALE,
        "marc.lefevre",
        language="fr",
    )
    start = today - datetime.timedelta(days=3)
    course = _course(
        marc,
        "aldesleukin-high-dose",
        start,
        physician,
        indication="Metastatic clear-cell renal cell carcinoma",
        baseline_weight_kg=Decimal("78.0"),
        baseline_systolic_bp=128,
        baseline_diastolic_bp=78,
        baseline_heart_rate=76,
        baseline_temperature_c=Decimal("36.7"),
        baseline_creatinine_mg_dl=Decimal("1.00"),
    )
    first_dose = _at(start, 8)
    weight_mg = Decimal("78.0") * Decimal("0.037")  # 600,000 IU/kg = 0.037 mg/kg (label)
    for n in range(1, 7):
        when = first_dose + datetime.timedelta(hours=8 * (n - 1))
        services.record_dose(
            course=course,
            by=nurse,
            dose_number=n,
            scheduled_at=when,
            status=DoseStatus.GIVEN,
            administered_at=when + datetime.timedelta(minutes=15),
            dose_amount=weight_mg.quantize(Decimal("0.001")),
            dose_unit="mg",
        )

    # Evening of day 1: chills an hour after dose 2, reported by the nurse for the patient.
    services.submit_report(
        course=course,
        by=nurse,
        reported_at=first_dose + datetime.timedelta(hours=9),
        answers=_answers(chills=(3, 2), nausea=(2, 1)),
        measurements={"temperature_c": Decimal("38.6")},
        note="Rigors 1 h after dose 2, settled with pethidine.",
    )
    # Before dose 7: blood pressure falling, weight up, urine down -> hold (SBP < 90 withholds,
    # urine 80-160 mL/8 h is relative: two criteria, under the three that discontinue).
    dose7 = first_dose + datetime.timedelta(hours=48)
    first = services.record_visit(
        course=course,
        by=physician,
        recorded_at=dose7 - datetime.timedelta(hours=1),
        measurements={
            "systolic_bp": 88,
            "diastolic_bp": 52,
            "heart_rate": 96,
            "temperature_c": Decimal("37.9"),
            "spo2": Decimal("95"),
            "weight_kg": Decimal("85.5"),
            "urine_output_ml_8h": 140,
            "platelets_10e9_per_l": Decimal("96"),
            "creatinine_mg_dl": Decimal("1.90"),
        },
        adverse_events=[_ae("chills", 2), _ae("swelling", 1)],
        assessment={"mental_status": "normal", "vasopressor": "none", "oxygen_l_min": 0},
        notes="Bolus 500 mL given. Ankles swollen. Reassess before next dose.",
    )
    services.record_dose(
        course=course,
        by=nurse,
        dose_number=7,
        scheduled_at=dose7,
        status=DoseStatus.HELD,
        reason="Held per protocol: SBP 88 mmHg, urine 140 mL/8 h.",
    )
    for flag in first.flags_raised:
        services.acknowledge_flag(flag=flag, by=physician, note="Seen at bedside; dose 7 held.")
    # Before dose 8: worse -> discontinue.
    dose8 = dose7 + datetime.timedelta(hours=8)
    services.record_visit(
        course=course,
        by=physician,
        recorded_at=dose8 - datetime.timedelta(hours=1),
        measurements={
            "systolic_bp": 82,
            "diastolic_bp": 48,
            "heart_rate": 118,
            "temperature_c": Decimal("38.2"),
            "spo2": Decimal("93"),
            "weight_kg": Decimal("90.5"),
            "urine_output_ml_8h": 70,
            "platelets_10e9_per_l": Decimal("62"),
            "creatinine_mg_dl": Decimal("2.70"),
        },
        adverse_events=[
            _ae("hypotension", 3, action="discontinued"),
            _ae("swelling", 2),
            _ae("shortness_of_breath", 2),
        ],
        assessment={
            "mental_status": "normal",
            "vasopressor": "phenylephrine",
            "vasopressor_dose_ug_kg_min": Decimal("0.5"),
            "oxygen_l_min": Decimal("2"),
        },
        notes="Fluid-refractory hypotension despite 2 boluses. Phenylephrine started.",
    )
    services.record_dose(
        course=course,
        by=nurse,
        dose_number=8,
        scheduled_at=dose8,
        status=DoseStatus.HELD,
        reason="Course discontinued: urine output < 80 mL/8 h, hypotension needing pressors.",
    )


def _anakinra(team, physician, nurse, today):
    sophie = _patient(
        team,
        "RA-11852",
        "Sophie",
        "Girard",
        datetime.date(1979, 11, 23),
        Sex.FEMALE,
        "sophie.girard",
    )
    start = today - datetime.timedelta(days=40)
    course = _course(
        sophie,
        "anakinra",
        start,
        physician,
        indication="Rheumatoid arthritis",
        baseline_weight_kg=Decimal("64.0"),
        baseline_systolic_bp=118,
        baseline_diastolic_bp=74,
        baseline_heart_rate=70,
    )
    for days, spec in (
        (4, {"injection_site_reaction": True}),
        (11, {"injection_site_reaction": True, "headache": (1, 1, 0)}),
        (18, {"injection_site_reaction": True, "joint_aches": (2, 1, 1)}),
        (32, {"injection_site_reaction": False, "nausea": (1, 0)}),
    ):
        submitted = services.submit_report(
            course=course,
            by=sophie.user,
            reported_at=_at(start + datetime.timedelta(days=days), 19),
            answers=_answers(**spec),
        )
        for flag in submitted.flags_raised:
            services.resolve_flag(flag=flag, by=nurse, note="Expected; advice on rotating sites.")
    # Two days ago: something not expected with anakinra.
    services.submit_report(
        course=course,
        by=sophie.user,
        reported_at=_at(today - datetime.timedelta(days=2), 20),
        answers=_answers(injection_site_reaction=True, palpitations=(2, 1)),
        note="Heart racing in the evenings this week.",
    )


def _tocilizumab(team, nurse, today):
    ahmed = _patient(
        team,
        "RA-12093",
        "Ahmed",
        "Benali",
        datetime.date(1957, 6, 2),
        Sex.MALE,
        "ahmed.benali",
        language="fr",
    )
    course = _course(
        ahmed,
        "tocilizumab",
        today - datetime.timedelta(days=63),
        nurse,
        indication="Rheumatoid arthritis",
        baseline_weight_kg=Decimal("82.0"),
        baseline_systolic_bp=132,
        baseline_diastolic_bp=82,
        baseline_heart_rate=74,
    )
    services.submit_report(
        course=course,
        by=ahmed.user,
        reported_at=_at(today - datetime.timedelta(days=21), 18),
        answers=_answers(headache=(1, 1, 0)),
    )
    services.submit_report(
        course=course,
        by=ahmed.user,
        reported_at=timezone.now() - datetime.timedelta(hours=3),
        answers=_answers(fatigue=(2, 2), cough=(1, 0)),
        measurements={"temperature_c": Decimal("38.4"), "heart_rate": 98},
        note="Feverish since last night, a bit of a cough.",
    )


def _ustekinumab(team, physician, today):
    lucie = _patient(
        team, "GI-30551", "Lucie", "Moreau", datetime.date(1991, 1, 17), Sex.FEMALE, "lucie.moreau"
    )
    course = _course(
        lucie,
        "ustekinumab",
        today - datetime.timedelta(days=90),
        physician,
        indication="Crohn's disease",
        baseline_weight_kg=Decimal("58.0"),
        baseline_systolic_bp=112,
        baseline_diastolic_bp=70,
        baseline_heart_rate=68,
    )
    for days_ago, spec in ((60, {"itching": (1,)}), (5, {"vomiting": (1, 1), "itching": (1,)})):
        services.submit_report(
            course=course,
            by=lucie.user,
            reported_at=_at(today - datetime.timedelta(days=days_ago), 9),
            answers=_answers(**spec),
        )


def _secukinumab(team, dermatologist, today):
    paul = _patient(
        team, "DER-40782", "Paul", "Rousseau", datetime.date(1984, 9, 30), Sex.MALE, "paul.rousseau"
    )
    course = _course(
        paul,
        "secukinumab",
        today - datetime.timedelta(days=30),
        dermatologist,
        indication="Plaque psoriasis",
        baseline_weight_kg=Decimal("88.0"),
    )
    services.submit_report(
        course=course,
        by=paul.user,
        reported_at=_at(today - datetime.timedelta(days=3), 21),
        answers=_answers(diarrhea=(2,)),
    )


def logins():
    """(username, role, who) for every demo account, in the order they are printed."""
    rows = []
    for user in User.objects.filter(email__endswith="@demo.invalid").order_by("role", "username"):
        if user.is_patient:
            course = Course.objects.filter(patient__user=user).select_related("therapy").first()
            who = f"patient, {course.therapy.name}" if course else "patient"
        elif user.role == Role.ADMINISTRATOR:
            who = "administrator (Django admin at /admin/)"
        else:
            teams = ", ".join(user.care_teams.values_list("name", flat=True))
            who = f"{user.profession}, {teams}"
        rows.append((user.username, who))
    return rows
