"""One table of clinical cases through the visit page and through the API: the same dose
advice and the same flags (PRODUCT.md §4 and §7; issue "Clinical safety", done-when).

Expected decisions come from the sources: Proleukin label 2023, Table 2 (SBP < 90 mmHg and
SpO₂ < 90 % withhold; any mental status change withholds); Dutcher 2014, Table 3 (urine
< 80 mL/shift, platelets < 30 ×10⁹/L, creatinine >= 3 mg/dL stop; heart rate 100-130 is
relative); SpringerPlus 2015, Table 1 (pressors, or three relative criteria, discontinue).
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from therapies.models import Therapy
from tracker.models import Flag, Visit

pytestmark = pytest.mark.django_db

COMPLETE = {
    "systolic_bp": 118,
    "heart_rate": 84,
    "spo2": 97,
    "weight_kg": 79,
    "urine_output_ml_8h": 420,
    "mental_status": "normal",
}

CASES = [
    ("complete and normal", {}, "give"),
    ("only a note", None, "incomplete"),
    ("SBP 89", {"systolic_bp": 89}, "hold"),
    ("SBP 90", {"systolic_bp": 90}, "give"),
    ("SpO2 89", {"spo2": 89}, "hold"),
    ("mental status changed", {"mental_status": "changed"}, "hold"),
    ("heart rate 100", {"heart_rate": 100}, "hold"),
    ("urine 79 in 8 h", {"urine_output_ml_8h": 79}, "discontinue"),
    ("urine 80 in 8 h", {"urine_output_ml_8h": 80}, "hold"),
    ("platelets 29", {"platelets_10e9_per_l": 29}, "discontinue"),
    ("creatinine 3.0", {"creatinine_mg_dl": 3}, "discontinue"),
    ("phenylephrine", {"vasopressor": "phenylephrine"}, "discontinue"),
    ("oxygen 5 L/min", {"oxygen_l_min": 5}, "discontinue"),
    ("three relative", {"heart_rate": 110, "urine_output_ml_8h": 120, "spo2": 88}, "discontinue"),
]


@pytest.fixture
def il2_course(patient):
    return factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="aldesleukin-high-dose"),
        start_date=timezone.localdate() - datetime.timedelta(days=1),
        baseline_weight_kg=Decimal("78.0"),
    )


def _through_the_page(client, course, values, notes):
    form = {
        "recorded_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "notes": notes,
        "ae-TOTAL_FORMS": "0",
        "ae-INITIAL_FORMS": "0",
        "dose-TOTAL_FORMS": "0",
        "dose-INITIAL_FORMS": "0",
    }
    for name, value in values.items():
        if name == "weight_kg":
            form["weight_kg_0"], form["weight_kg_1"] = str(value), "kg"
        else:
            form[name] = str(value)
    response = client.post(reverse("tracker:visit-create", args=[course.pk]), form)
    assert response.status_code == 302, (
        getattr(response, "context", {}) and response.context["form"].errors
    )
    return Visit.objects.filter(course=course).latest("created_at")


def _through_the_api(clinician, course, values, notes):
    client = APIClient()
    client.force_authenticate(clinician)
    response = client.post(
        f"/api/v1/courses/{course.pk}/visits/", {**values, "notes": notes}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _flags(visit_id):
    return sorted(Flag.objects.filter(visit_id=visit_id).values_list("term__slug", "level"))


@pytest.mark.parametrize(("case", "change", "decision"), CASES, ids=[c[0] for c in CASES])
def test_the_page_and_the_api_give_the_same_advice_and_flags(
    client, clinician, patient, case, change, decision
):
    page_course = factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="aldesleukin-high-dose"),
        start_date=timezone.localdate() - datetime.timedelta(days=1),
        baseline_weight_kg=Decimal("78.0"),
    )
    api_course = factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="aldesleukin-high-dose"),
        start_date=timezone.localdate() - datetime.timedelta(days=1),
        baseline_weight_kg=Decimal("78.0"),
    )
    values = {} if change is None else {**COMPLETE, **change}
    notes = "Asleep, not woken." if change is None else ""
    client.force_login(clinician)
    page_visit = _through_the_page(client, page_course, values, notes)
    api_visit = _through_the_api(clinician, api_course, values, notes)
    assert page_visit.dose_advice["decision"] == decision
    assert api_visit["dose_advice"]["decision"] == decision
    # The lines as the rules found them (criterion, values, thresholds, sources) are the same.
    assert page_visit.dose_advice["criteria"] == api_visit["dose_advice"]["parts"]["criteria"]
    assert (
        page_visit.dose_advice["not_assessed"] == api_visit["dose_advice"]["parts"]["not_assessed"]
    )
    assert _flags(page_visit.pk) == _flags(api_visit["id"])
