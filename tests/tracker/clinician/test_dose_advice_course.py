"""High-dose IL-2 dose advice through the services, the pages, the PDF and the API: a judgement
on the course at dose time (PRODUCT.md §4; domain.md §4 and §4.6).

Expected decisions come from the sources: Proleukin label 2023, Table 2 ("permanently
discontinue"; SBP < 90 mmHg withholds); Dutcher 2014, Table 3 (urine < 80 mL/shift is
absolute); SpringerPlus 2015, Table 1 (a third held dose discontinues); CTCAE v5.0 grade
definitions for evidence recorded as a grade.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from therapies.models import SideEffectTerm
from tracker import services
from tracker.models import DoseAdviceOverride, DoseStatus, Visit
from tracker.summary import build_summary

pytestmark = pytest.mark.django_db

# Every core criterion assessed and none met (baseline weight 78 kg in the il2_course fixture).
COMPLETE = {
    "systolic_bp": 118,
    "diastolic_bp": 70,
    "heart_rate": 84,
    "spo2": Decimal("97"),
    "weight_kg": Decimal("79.0"),
    "urine_output_ml_8h": 420,
}
NORMAL_MIND = {"mental_status": "normal"}


def as_json(values):
    """COMPLETE in the API's JSON types: integers stay integers, decimals become numbers."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def visit(course, by, at, measurements=None, events=(), assessment=None, notes=""):
    return services.record_visit(
        course=course,
        by=by,
        recorded_at=at,
        measurements=measurements or {},
        adverse_events=[
            services.AdverseEventEntry(term=SideEffectTerm.objects.get(slug=slug), grade=grade)
            for slug, grade in events
        ],
        assessment=assessment,
        notes=notes,
    ).visit


def ago(**delta):
    return timezone.now() - datetime.timedelta(**delta)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- The review's cases --------------------------------------------------------------------------


def test_a_vitals_only_visit_after_a_discontinue_does_not_say_give(client, clinician, il2_course):
    stop = visit(
        il2_course,
        clinician,
        ago(minutes=3),
        {**COMPLETE, "urine_output_ml_8h": 60},
        (),
        NORMAL_MIND,
    )
    assert stop.dose_advice["decision"] == "discontinue"
    later = visit(il2_course, clinician, ago(minutes=1), {"systolic_bp": 120, "heart_rate": 80})
    assert later.dose_advice["decision"] == "discontinue"
    assert later.dose_advice["permanent"] is True
    assert later.dose_advice["since"] == stop.recorded_at.isoformat()

    client.force_login(clinician)
    page = client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    assert page.context["dose_advice"]["decision"] == "discontinue"
    text = page.text
    assert "No hold or stop criterion is met" not in text
    # The advice comes first, above the regimen.
    assert text.index('id="dose-advice"') < text.index('id="course-header"')

    pdf_html = build_summary(il2_course).dose_advice
    assert pdf_html["decision"] == "discontinue"


def test_a_visit_with_only_a_note_is_incomplete(clinician, il2_course):
    only_note = visit(il2_course, clinician, ago(minutes=1), notes="Patient asleep.")
    assert only_note.dose_advice["decision"] == "incomplete"
    assert any(item["criterion"] == "systolic_bp" for item in only_note.dose_advice["not_assessed"])


@pytest.mark.parametrize(
    ("slug", "grade", "decision"),
    [
        ("oliguria", 3, "discontinue"),  # CTCAE G3: < 80 mL in 8 h (Dutcher absolute)
        ("platelets_decreased", 4, "discontinue"),  # CTCAE G4: < 25 ×10⁹/L (Dutcher < 30)
        ("hypoxia", 3, "hold"),  # SpO2 < 88 % at rest: label withhold
        ("hypotension", 3, "hold"),  # counts as SBP < 90: label withhold
        ("acute_kidney_injury", 4, "discontinue"),  # dialysis: Proleukin 2012
        ("confusion", 1, "hold"),  # any mental status change (label)
        ("somnolence", 2, "hold"),  # moderate somnolence (2012 label)
        ("confusion", 3, "discontinue"),  # severe disorientation
    ],
)
def test_grades_recorded_without_the_number_count_as_the_criterion(
    clinician, il2_course, slug, grade, decision
):
    recorded = visit(il2_course, clinician, ago(minutes=1), COMPLETE, [(slug, grade)], NORMAL_MIND)
    assert recorded.dose_advice["decision"] == decision


def test_a_complete_normal_assessment_gives_the_dose(clinician, il2_course):
    recorded = visit(il2_course, clinician, ago(minutes=1), COMPLETE, (), NORMAL_MIND)
    assert recorded.dose_advice["decision"] == "give"
    assert recorded.dose_advice["criteria"] == []


# --- Permanence and the physician's override ----------------------------------------------------


def test_discontinue_stays_until_a_physician_overrides_with_a_reason(client, il2_course):
    physician = factories.ClinicianFactory(username="dr.house", is_physician=True)
    nurse = factories.ClinicianFactory(username="nurse.joy")
    il2_course.care_team.members.add(physician, nurse)
    visit(il2_course, nurse, ago(hours=9), {**COMPLETE, "urine_output_ml_8h": 50}, (), NORMAL_MIND)
    quiet = visit(il2_course, nurse, ago(hours=1), COMPLETE, (), NORMAL_MIND)
    assert quiet.dose_advice["decision"] == "discontinue"

    # A nurse may not lift it (403); nothing is recorded.
    client.force_login(nurse)
    url = reverse("tracker:dose-advice-override", args=[il2_course.pk])
    assert client.post(url, {"reason": "Looks fine"}).status_code == 403
    assert not DoseAdviceOverride.objects.exists()
    page = client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    assert page.context["override_form"] is None

    client.force_login(physician)
    page = client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    assert page.context["override_form"] is not None
    client.post(url, {"reason": "Oliguria corrected with fluids; continue per tumour board"})
    override = DoseAdviceOverride.objects.get()
    assert override.recorded_by == physician
    assert override.history.get().history_change_reason.startswith("Oliguria corrected")

    # Only assessments after the override count: none yet.
    assert build_summary(il2_course).dose_advice["decision"] == "incomplete"
    after = visit(il2_course, nurse, timezone.now(), COMPLETE, (), NORMAL_MIND)
    assert after.dose_advice["decision"] == "give"
    assert after.dose_advice["checked"][0]["key"] == "discontinuation_lifted"
    assert after.dose_advice["checked"][0]["params"]["reason"].startswith("Oliguria corrected")


def test_an_override_without_a_reason_records_nothing(client, il2_course):
    physician = factories.ClinicianFactory(username="dr.grey", is_physician=True)
    il2_course.care_team.members.add(physician)
    client.force_login(physician)
    url = reverse("tracker:dose-advice-override", args=[il2_course.pk])
    client.post(url, {"reason": "  "})
    assert not DoseAdviceOverride.objects.exists()


def test_another_teams_course_cannot_be_overridden(client, other_course):
    physician = factories.ClinicianFactory(username="dr.who", is_physician=True)
    client.force_login(physician)
    url = reverse("tracker:dose-advice-override", args=[other_course.pk])
    assert client.post(url, {"reason": "x"}).status_code == 404


# --- Held doses, counted the same way on save and on correction ----------------------------------


def hold(course, by, number, at):
    return services.record_dose(
        course=course,
        by=by,
        dose_number=number,
        scheduled_at=at,
        status=DoseStatus.HELD,
        reason="SBP < 90",
    )


def test_a_third_held_dose_discontinues_on_save_and_after_a_correction(clinician, il2_course):
    hold(il2_course, clinician, 1, ago(hours=20))
    hold(il2_course, clinician, 2, ago(hours=12))
    recorded = visit(
        il2_course, clinician, ago(hours=4), {**COMPLETE, "systolic_bp": 86}, (), NORMAL_MIND
    )
    # SpringerPlus 2015: this would be the third held dose.
    assert recorded.dose_advice["decision"] == "discontinue"
    third = recorded.dose_advice["criteria"][-1]
    assert (third["key"], third["params"]) == (
        "would_be_held_dose",
        {"number": 3, "held": 2, "threshold": 3},
    )

    corrected = services.correct_record(
        record=recorded, by=clinician, changes={"heart_rate": 86}, reason="Typo"
    ).record
    assert corrected.dose_advice["decision"] == "discontinue"
    assert corrected.dose_advice["criteria"] == recorded.dose_advice["criteria"]
    assert {
        "criterion": "heart_rate",
        "key": "heart_rate",
        "kind": None,
        "params": {"value": 86, "unit": "bpm"},
        "sources": [],
        "window_hours": None,
    } in corrected.dose_advice["checked"]


def test_a_held_dose_recorded_late_judges_later_visits_again(clinician, il2_course):
    hold(il2_course, clinician, 1, ago(hours=30))
    later = visit(
        il2_course, clinician, ago(hours=2), {**COMPLETE, "systolic_bp": 86}, (), NORMAL_MIND
    )
    assert later.dose_advice["decision"] == "hold"
    hold(il2_course, clinician, 2, ago(hours=20))  # recorded after the fact, before the visit
    later.refresh_from_db()
    assert later.dose_advice["decision"] == "discontinue"
    assert later.history.first().history_change_reason.startswith("Dose advice judged again")


def test_correcting_the_discontinuing_value_lifts_the_discontinuation_of_later_visits(
    clinician, il2_course
):
    stop = visit(
        il2_course, clinician, ago(hours=3), {**COMPLETE, "urine_output_ml_8h": 60}, (), NORMAL_MIND
    )
    later = visit(il2_course, clinician, ago(hours=1), COMPLETE, (), NORMAL_MIND)
    assert later.dose_advice["decision"] == "discontinue"
    services.correct_record(
        record=stop, by=clinician, changes={"urine_output_ml_8h": 600}, reason="600, not 60"
    )
    stop.refresh_from_db()
    later.refresh_from_db()
    assert stop.dose_advice["decision"] == "give"
    assert later.dose_advice["decision"] == "give"


def test_entering_the_discontinuing_visit_in_error_judges_later_visits_again(clinician, il2_course):
    stop = visit(
        il2_course, clinician, ago(hours=3), {**COMPLETE, "urine_output_ml_8h": 60}, (), NORMAL_MIND
    )
    later = visit(il2_course, clinician, ago(hours=1), COMPLETE, (), NORMAL_MIND)
    services.mark_entered_in_error(record=stop, by=clinician, reason="Wrong patient")
    later.refresh_from_db()
    assert later.dose_advice["decision"] == "give"


# --- The visit form records what the advice needs ------------------------------------------------


def test_the_visit_form_records_mental_status_pressors_and_oxygen(client, clinician, il2_course):
    client.force_login(clinician)
    url = reverse("tracker:visit-create", args=[il2_course.pk])
    form = client.get(url).context["form"]
    assert {"mental_status", "vasopressor", "oxygen_l_min"} <= set(form.fields)
    response = client.post(
        url,
        {
            "recorded_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "systolic_bp": "95",
            "mental_status": "normal",
            "vasopressor": "phenylephrine",
            "vasopressor_dose_ug_kg_min": "0.3",
            "oxygen_l_min": "2",
            "ae-TOTAL_FORMS": "0",
            "ae-INITIAL_FORMS": "0",
            "dose-TOTAL_FORMS": "0",
            "dose-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    stored = Visit.objects.get(course=il2_course)
    assert (stored.mental_status, stored.vasopressor) == ("normal", "phenylephrine")
    assert stored.dose_advice["decision"] == "discontinue"  # pressors: SpringerPlus 2015


def test_the_visit_form_of_other_therapies_does_not_ask_about_pressors(client, clinician, course):
    client.force_login(clinician)
    form = client.get(reverse("tracker:visit-create", args=[course.pk])).context["form"]
    assert "vasopressor" not in form.fields


def test_a_vasopressor_dose_without_the_agent_is_refused_at_the_field(
    client, clinician, il2_course
):
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:visit-create", args=[il2_course.pk]),
        {
            "recorded_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "vasopressor_dose_ug_kg_min": "0.3",
            "ae-TOTAL_FORMS": "0",
            "ae-INITIAL_FORMS": "0",
            "dose-TOTAL_FORMS": "0",
            "dose-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "vasopressor" in response.context["form"].errors
    assert not Visit.objects.exists()


# --- The API gives the same answers ------------------------------------------------------------


def visits_url(course):
    return f"/api/v1/courses/{course.pk}/visits/"


def doses_url(course):
    return f"/api/v1/courses/{course.pk}/doses/"


def test_api_visit_takes_the_assessment_and_answers_the_course_advice(clinician, il2_course):
    client = api(clinician)
    first = client.post(
        visits_url(il2_course),
        {
            **as_json(COMPLETE),
            "mental_status": "normal",
            "urine_output_ml_8h": 60,
            "recorded_at": ago(minutes=3).isoformat(),
        },
        format="json",
    )
    assert first.status_code == 201, first.json()
    assert first.json()["dose_advice"]["decision"] == "discontinue"
    second = client.post(
        visits_url(il2_course),
        {"systolic_bp": 120, "heart_rate": 80, "recorded_at": ago(minutes=1).isoformat()},
        format="json",
    )
    advice = second.json()["dose_advice"]
    assert advice["decision"] == "discontinue"
    assert advice["permanent"] is True
    assert advice["since"] is not None


def test_api_visit_with_pressors_and_persisting_tachycardia(clinician, il2_course):
    body = {
        **as_json(COMPLETE),
        "mental_status": "normal",
        "heart_rate": 135,
        "heart_rate_persists_after_correction": False,
        "vasopressor": "none",
        "oxygen_l_min": 2,
    }
    response = api(clinician).post(visits_url(il2_course), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["dose_advice"]["decision"] == "hold"  # Dutcher footnote: recheck
    body["heart_rate_persists_after_correction"] = True
    body["recorded_at"] = timezone.now().isoformat()
    response = api(clinician).post(visits_url(il2_course), body, format="json")
    assert response.json()["dose_advice"]["decision"] == "discontinue"


def test_api_refuses_an_unknown_mental_status(clinician, il2_course):
    response = api(clinician).post(
        visits_url(il2_course), {"mental_status": "drowsy"}, format="json"
    )
    assert response.status_code == 400
    assert "mental_status" in response.json()
    assert not Visit.objects.exists()


def test_api_doses_are_listed_and_a_held_dose_answers_the_advice(clinician, il2_course):
    client = api(clinician)
    for n, hours in ((1, 20), (2, 12)):
        response = client.post(
            doses_url(il2_course),
            {"scheduled_for": ago(hours=hours).isoformat(), "status": "held", "reason": "SBP 86"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["dose_number"] == n
    third = client.post(
        doses_url(il2_course),
        {"scheduled_for": ago(hours=4).isoformat(), "status": "held", "reason": "SBP 85"},
        format="json",
    )
    # SpringerPlus 2015: a dose held three times discontinues the course.
    assert third.json()["dose_advice"]["decision"] == "discontinue"
    listed = client.get(doses_url(il2_course)).json()
    assert [d["status"] for d in listed] == ["held", "held", "held"]


def test_api_refuses_a_held_dose_without_a_reason(clinician, il2_course):
    response = api(clinician).post(
        doses_url(il2_course),
        {"scheduled_for": ago(hours=1).isoformat(), "status": "held"},
        format="json",
    )
    assert response.status_code == 400
    assert "reason" in response.json()


def test_api_doses_are_scoped_and_only_clinicians_record_them(clinician, other_course, patient):
    assert api(clinician).get(doses_url(other_course)).status_code == 404
    user = factories.PatientUserFactory(username="pat")
    patient.user = user
    patient.save()
    course = factories.CourseFactory(patient=patient)
    response = api(user).post(
        doses_url(course),
        {"scheduled_for": ago(hours=1).isoformat(), "status": "given"},
        format="json",
    )
    assert response.status_code == 403
