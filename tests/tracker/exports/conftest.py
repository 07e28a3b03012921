"""A high-dose IL-2 course with something of everything: doses given and held, a patient's
report (graded answers, a yes/no answer, a temperature, a note), a clinician's visit (vitals,
labs, adverse events, notes) raising flags, one of them acknowledged with a note."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from therapies.models import SideEffectTerm, Therapy
from tracker import services
from tracker.models import DoseStatus

START = datetime.date(2026, 3, 2)


def at(day, hour, minute=0):
    return timezone.make_aware(
        datetime.datetime.combine(START + datetime.timedelta(days=day), datetime.time(hour, minute))
    )


def term(slug):
    return SideEffectTerm.objects.get(slug=slug)


def answers(**spec):
    result = []
    for slug, value in spec.items():
        t = term(slug)
        if t.is_presence:
            result.append(services.AnswerInput(term=t, present=value))
        else:
            result.append(
                services.AnswerInput(term=t, **dict(zip(t.attributes, value, strict=True)))
            )
    return result


def add_report(course, by, *, day, hour=19, note="", **measurements):
    return services.submit_report(
        course=course,
        by=by,
        reported_at=at(day, hour),
        answers=answers(chills=(3, 2), nausea=(2, 1), bleeding=False),
        measurements=measurements or {"temperature_c": Decimal("38.6")},
        note=note,
    ).report


def make_il2_course(patient):
    return factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="aldesleukin-high-dose"),
        start_date=START,
        indication="Metastatic renal cell carcinoma",
        regimen="600,000 IU/kg IV every 8 hours",
        baseline_weight_kg=Decimal("78.0"),
    )


@pytest.fixture
def il2_course(patient):
    return make_il2_course(patient)


@pytest.fixture
def filled_course(il2_course, patient, clinician):
    """The course with its records."""
    return fill(il2_course, patient, clinician)


def fill(course, patient, clinician):
    """Doses, a report, a visit with adverse events, a held dose, an acknowledged flag."""
    for number in (1, 2):
        services.record_dose(
            course=course,
            by=clinician,
            dose_number=number,
            scheduled_at=at(0, 8) + datetime.timedelta(hours=8 * (number - 1)),
            status=DoseStatus.GIVEN,
            administered_at=at(0, 8, 15) + datetime.timedelta(hours=8 * (number - 1)),
            dose_amount=Decimal("2.886"),
            dose_unit="mg",
        )
    add_report(course, patient.user, day=0, note="Rigors after dose 2.")
    visit = services.record_visit(
        course=course,
        by=clinician,
        recorded_at=at(1, 7),
        measurements={
            "systolic_bp": 88,
            "diastolic_bp": 52,
            "heart_rate": 112,
            "temperature_c": Decimal("37.9"),
            "spo2": Decimal("95"),
            "weight_kg": Decimal("85.5"),
            "urine_output_ml_8h": 140,
            "platelets_10e9_per_l": Decimal("62"),
            "creatinine_mg_dl": Decimal("1.90"),
        },
        adverse_events=[
            services.AdverseEventEntry(term=term("chills"), grade=2),
            services.AdverseEventEntry(
                term=term("hypotension"),
                grade=3,
                action="dose_held",
                seriousness=("hospitalization",),
                outcome="recovering",
                onset_date=START,
                ongoing=True,
            ),
        ],
        notes="Bolus 500 mL given. Reassess before next dose.",
    )
    services.record_dose(
        course=course,
        by=clinician,
        dose_number=3,
        scheduled_at=at(1, 8),
        status=DoseStatus.HELD,
        reason="Held per protocol: SBP 88 mmHg.",
    )
    urgent = next(f for f in visit.flags_raised if f.level == "urgent")
    services.acknowledge_flag(flag=urgent, by=clinician, note="Seen at bedside; dose held.")
    return course
