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
from tracker.models import Course, Flag, Visit

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


# --- One table of inputs, the same answer from the page and the API (issue 13 §1) -------------
#
# Each row goes through the clinician's page and the JSON API and must be accepted by both, or
# refused by both with nothing saved. The rules are the services' (tracker/services/), which the
# form and the serializer only adapt: a visit holds a measurement, an assessment, an adverse
# event or a note (services.record_visit); a visit is at most a year before its course started
# (tracker/validators.py, validators.BEFORE_COURSE); a new course belongs to one of the
# clinician's care teams, the patient's by default (services.start_course), and its history
# says who created it and why.

NOTHING_GIVEN = "Give at least one measurement, adverse event or note."
BEFORE_COURSE = "This is more than a year before the course started; check the date."


def _visit_page(client, course, *, notes="", recorded_at=None, **values):
    form = {
        "recorded_at": timezone.localtime(recorded_at or timezone.now()).strftime("%Y-%m-%dT%H:%M"),
        "notes": notes,
        "ae-TOTAL_FORMS": "0",
        "ae-INITIAL_FORMS": "0",
        "dose-TOTAL_FORMS": "0",
        "dose-INITIAL_FORMS": "0",
        **{name: str(value) for name, value in values.items()},
    }
    response = client.post(reverse("tracker:visit-create", args=[course.pk]), form)
    if response.status_code == 302:
        return "accepted", ""
    errors = response.context["form"].errors
    return "refused", " ".join(str(m) for messages in errors.values() for m in messages)


def _visit_api(clinician, course, *, notes="", recorded_at=None, **values):
    client = APIClient()
    client.force_authenticate(clinician)
    body = {**values, "notes": notes}
    if recorded_at is not None:
        body["recorded_at"] = recorded_at.isoformat()
    response = client.post(f"/api/v1/courses/{course.pk}/visits/", body, format="json")
    if response.status_code == 201:
        return "accepted", ""
    assert response.status_code == 400, response.content
    return "refused", str(response.json())


def _a_year_and_two_days_before(course):
    start = datetime.datetime.combine(course.start_date, datetime.time(10))
    return timezone.make_aware(start) - datetime.timedelta(days=367)


VISIT_INPUTS = [
    # (case, input, expected answer, message when refused)
    ("only a note", {"notes": "Asleep, not woken."}, "accepted", ""),
    ("nothing at all", {}, "refused", NOTHING_GIVEN),
    ("only blanks in the note", {"notes": "   "}, "refused", NOTHING_GIVEN),
    (
        "a year and two days before the course",
        {"heart_rate": 80, "recorded_at": _a_year_and_two_days_before},
        "refused",
        BEFORE_COURSE,
    ),
]


@pytest.mark.parametrize("way", ["page", "api"])
@pytest.mark.parametrize(
    ("case", "given", "expected", "message"), VISIT_INPUTS, ids=[row[0] for row in VISIT_INPUTS]
)
def test_a_visit_gets_the_same_answer_from_the_page_and_the_api(
    client, clinician, il2_course, way, case, given, expected, message
):
    given = dict(given)
    if callable(given.get("recorded_at")):
        given["recorded_at"] = given["recorded_at"](il2_course)
    if way == "page":
        client.force_login(clinician)
        answer, said = _visit_page(client, il2_course, **given)
    else:
        answer, said = _visit_api(clinician, il2_course, **given)
    assert answer == expected, said
    assert message in said
    assert Visit.objects.filter(course=il2_course).count() == (answer == "accepted")


def _course_page(client, patient, team):
    form = {
        "therapy": Therapy.objects.get(slug="anakinra").pk,
        "status": "planned",
        "start_date": timezone.localdate().isoformat(),
        "creatinine_uln_mg_dl": "1.2",
        "platelets_lln_10e9_per_l": "150",
    }
    if team is not None:
        form["care_team"] = team.pk
    response = client.post(reverse("tracker:course-create", args=[patient.pk]), form)
    return "accepted" if response.status_code == 302 else "refused"


def _course_api(clinician, patient, team):
    client = APIClient()
    client.force_authenticate(clinician)
    body = {
        "patient": str(patient.pk),
        "therapy": "anakinra",
        "status": "planned",
        "start_date": timezone.localdate().isoformat(),
    }
    if team is not None:
        body["care_team"] = team.name
    response = client.post("/api/v1/courses/", body, format="json")
    assert response.status_code in (201, 400), response.content
    return "accepted" if response.status_code == 201 else "refused"


@pytest.mark.parametrize("way", ["page", "api"])
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("the patient's team", "accepted"),
        ("another of the clinician's teams", "accepted"),
        ("a team the clinician is not on", "refused"),
    ],
)
def test_a_course_belongs_to_the_same_care_team_from_the_page_and_the_api(
    client, clinician, other_clinician, patient, other_care_team, way, case, expected
):
    second_team = factories.CareTeamFactory(name="Ward 5", members=[clinician])
    team = {
        "the patient's team": patient.care_team,
        "another of the clinician's teams": second_team,
        "a team the clinician is not on": other_care_team,
    }[case]
    client.force_login(clinician)
    through = _course_page if way == "page" else _course_api
    assert through(client if way == "page" else clinician, patient, team) == expected
    courses = Course.objects.filter(patient=patient)
    if expected == "refused":
        assert not courses.exists()
        return
    (course,) = courses
    assert course.care_team == team
    (created,) = course.history.all()
    assert (created.history_user, created.history_change_reason) == (clinician, "Course created")
    assert course.created_by == clinician


@pytest.mark.parametrize("way", ["page", "api"])
def test_a_course_without_a_team_named_is_the_patients_team_when_the_clinician_is_on_it(
    client, clinician, patient, way
):
    # The page always names one (its list starts on the patient's team); the API may leave it
    # out: the same team either way.
    client.force_login(clinician)
    if way == "page":
        answer = _course_page(client, patient, patient.care_team)
    else:
        answer = _course_api(clinician, patient, None)
    assert answer == "accepted"
    assert Course.objects.get(patient=patient).care_team == patient.care_team
