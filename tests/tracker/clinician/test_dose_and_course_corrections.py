"""Doses and courses are corrected and marked entered in error like the other records: the
reason is kept in history, nothing is deleted, and what the rules read is judged again."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tracker import course_page, services
from tracker.exports.cohort import cohort_courses
from tracker.models import (
    Course,
    DoseAdministration,
    DoseStatus,
    Flag,
    FlagLevel,
    FlagStatus,
)
from tracker.summary import build_summary

from .conftest import term

pytestmark = pytest.mark.django_db


def a_dose(course, by, number, hours_ago, status=DoseStatus.GIVEN, **fields):
    scheduled = timezone.now() - datetime.timedelta(hours=hours_ago)
    if status == DoseStatus.GIVEN:
        fields.setdefault("administered_at", scheduled)
    return services.record_dose(
        course=course,
        by=by,
        dose_number=number,
        scheduled_at=scheduled,
        status=status,
        **fields,
    )


def dose_form(dose, **fields):
    data = {
        "dose_number": dose.dose_number,
        "status": dose.status,
        "scheduled_at": timezone.localtime(dose.scheduled_at).strftime("%Y-%m-%dT%H:%M"),
        "administered_at": (
            timezone.localtime(dose.administered_at).strftime("%Y-%m-%dT%H:%M")
            if dose.administered_at
            else ""
        ),
        "dose_amount": "",
        "dose_unit": dose.dose_unit,
        "reason": dose.reason,
        "correction_reason": "",
    }
    data.update(fields)
    return data


# --- Doses --------------------------------------------------------------------------------------


def test_a_wrong_dose_number_is_corrected_with_the_reason_in_history(clinician, il2_course):
    a_dose(il2_course, clinician, 1, hours_ago=9)
    wrong = a_dose(il2_course, clinician, 3, hours_ago=1)  # the second dose, typed as 3
    corrected = services.correct_record(
        record=wrong, by=clinician, changes={"dose_number": 2}, reason="Second dose, not third"
    )
    assert corrected.changed_fields == ["dose_number"]
    latest = wrong.history.latest()
    assert (latest.dose_number, latest.history_change_reason) == (2, "Second dose, not third")
    assert latest.history_user == clinician
    # The third dose can now be recorded with its right number.
    a_dose(il2_course, clinician, 3, hours_ago=0)
    assert list(il2_course.doses.values_list("dose_number", flat=True)) == [1, 2, 3]


def test_a_dose_number_already_recorded_is_refused_at_the_field(clinician, il2_course):
    a_dose(il2_course, clinician, 1, hours_ago=9)
    second = a_dose(il2_course, clinician, 2, hours_ago=1)
    with pytest.raises(ValidationError) as error:
        services.correct_record(record=second, by=clinician, changes={"dose_number": 1}, reason="x")
    assert "dose_number" in error.value.message_dict
    second.refresh_from_db()
    assert second.dose_number == 2


def test_a_dose_entered_in_error_gives_its_number_back(clinician, il2_course):
    wrong = a_dose(il2_course, clinician, 2, hours_ago=1)  # the first dose, typed as 2
    marked = services.mark_entered_in_error(
        record=wrong, by=clinician, reason="First dose, numbered 2 by mistake"
    ).record
    assert marked.entered_in_error
    assert a_dose(il2_course, clinician, 1, hours_ago=1).dose_number == 1
    assert a_dose(il2_course, clinician, 2, hours_ago=0).dose_number == 2
    assert DoseAdministration.objects.filter(pk=wrong.pk, entered_in_error=True).exists()
    assert [d.dose_number for d in build_summary(il2_course).doses] == [1, 2]


def test_two_current_doses_cannot_share_a_number(clinician, il2_course):
    a_dose(il2_course, clinician, 1, hours_ago=2)
    with pytest.raises(ValidationError):
        a_dose(il2_course, clinician, 1, hours_ago=1)


def test_the_visit_form_offers_the_number_of_a_dose_entered_in_error(client, clinician, il2_course):
    wrong = a_dose(il2_course, clinician, 1, hours_ago=1)
    services.mark_entered_in_error(record=wrong, by=clinician, reason="Wrong course")
    client.force_login(clinician)
    response = client.get(reverse("tracker:visit-create", args=[il2_course.pk]))
    (row,) = response.context["dose_formset"].forms
    assert row.initial["dose_number"] == 1
    assert 1 not in row.taken_numbers


def _three_doses_held_then_a_visit(course, clinician):
    """Doses 1 and 2 held, then a visit with SBP 85: a relative criterion (Dutcher 2014,
    Table 3: SBP < 90 mmHg), which would hold the third dose; a dose held the third time
    means discontinue (SpringerPlus 2015, Table 1)."""
    first = a_dose(course, clinician, 1, hours_ago=20, status=DoseStatus.HELD, reason="SBP 86")
    second = a_dose(course, clinician, 2, hours_ago=12, status=DoseStatus.HELD, reason="SBP 84")
    visit = services.record_visit(
        course=course,
        by=clinician,
        recorded_at=timezone.now() - datetime.timedelta(hours=2),
        measurements={"systolic_bp": 85},
    )
    assert visit.dose_advice["decision"] == "discontinue"
    return first, second, visit.visit


def test_a_held_dose_corrected_to_given_recomputes_the_later_dose_advice(clinician, il2_course):
    _first, second, visit = _three_doses_held_then_a_visit(il2_course, clinician)
    services.correct_record(
        record=second,
        by=clinician,
        changes={
            "status": DoseStatus.GIVEN,
            "administered_at": second.scheduled_at,
            "reason": "",
        },
        reason="Given after the fluid bolus; recorded as held by mistake",
    )
    visit.refresh_from_db()
    assert visit.dose_advice["decision"] == "hold"  # one held dose before it, not two
    assert "dose corrected" in visit.history.latest().history_change_reason


def test_a_held_dose_entered_in_error_recomputes_the_later_dose_advice(clinician, il2_course):
    first, _second, visit = _three_doses_held_then_a_visit(il2_course, clinician)
    services.mark_entered_in_error(record=first, by=clinician, reason="Other patient's dose")
    visit.refresh_from_db()
    assert visit.dose_advice["decision"] == "hold"


def test_refresh_dose_advice_leaves_the_visits_before_since(clinician, il2_course):
    first, _second, visit = _three_doses_held_then_a_visit(il2_course, clinician)
    DoseAdministration.objects.filter(pk=first.pk).update(status=DoseStatus.GIVEN, reason="")
    assert services.refresh_dose_advice(il2_course, since=timezone.now()) == []
    visit.refresh_from_db()
    assert visit.dose_advice["decision"] == "discontinue"
    (changed,) = services.refresh_dose_advice(
        il2_course, since=visit.recorded_at, by=clinician, reason="checked"
    )
    assert changed.pk == visit.pk and changed.dose_advice["decision"] == "hold"
    assert visit.history.latest().history_change_reason == "checked"


def test_a_visit_moved_earlier_recomputes_the_advice_from_its_old_time(clinician, il2_course):
    _first, _second, visit = _three_doses_held_then_a_visit(il2_course, clinician)
    # Moved before both held doses: none was held before it, so SBP 85 holds, not stops.
    services.correct_record(
        record=visit,
        by=clinician,
        changes={"recorded_at": timezone.now() - datetime.timedelta(hours=22)},
        reason="Assessed before the first dose",
    )
    visit.refresh_from_db()
    assert visit.dose_advice["decision"] == "hold"


def test_dose_correction_page_saves_with_the_reason(client, clinician, il2_course):
    dose = a_dose(il2_course, clinician, 3, hours_ago=1)
    client.force_login(clinician)
    url = reverse("tracker:record-correct", args=["dose", dose.pk])
    response = client.post(url, dose_form(dose, dose_number="1"))
    assert "correction_reason" in response.context["form"].errors
    response = client.post(
        url, dose_form(dose, dose_number="1", correction_reason="First dose"), follow=True
    )
    assert response.redirect_chain[-1][0].startswith(
        reverse("tracker:course-detail", args=[il2_course.pk])
    )
    dose.refresh_from_db()
    assert dose.dose_number == 1
    assert dose.history.latest().history_change_reason == "First dose"


def test_dose_correction_page_refuses_a_number_already_recorded_at_the_field(
    client, clinician, il2_course
):
    a_dose(il2_course, clinician, 1, hours_ago=9)
    dose = a_dose(il2_course, clinician, 2, hours_ago=1)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:record-correct", args=["dose", dose.pk]),
        dose_form(dose, dose_number="1", correction_reason="x"),
    )
    assert response.context["form"].errors["dose_number"] == ["Dose 1 is already recorded."]


def test_dose_correction_page_needs_the_reason_a_dose_was_held(client, clinician, il2_course):
    dose = a_dose(il2_course, clinician, 1, hours_ago=1)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:record-correct", args=["dose", dose.pk]),
        dose_form(dose, status="held", administered_at="", reason="", correction_reason="x"),
    )
    assert "reason" in response.context["form"].errors
    dose.refresh_from_db()
    assert dose.status == DoseStatus.GIVEN


def test_course_page_links_each_dose_and_lists_the_dose_in_error(client, clinician, il2_course):
    kept = a_dose(il2_course, clinician, 1, hours_ago=2)
    wrong = a_dose(il2_course, clinician, 2, hours_ago=1)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:record-entered-in-error", args=["dose", wrong.pk]),
        {"reason": "Duplicate of dose 1"},
        follow=True,
    )
    assert "Marked entered in error" in response.text
    # The page rendered afresh, with its context (not the body kept after the POST).
    cache.clear()
    course_page.kept.clear()
    page = client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    assert page.context["doses"] == [kept]
    assert page.context["in_error"] == [wrong]
    assert reverse("tracker:record-correct", args=["dose", kept.pk]) in page.text
    assert reverse("tracker:record-history", args=["dose", wrong.pk]) in page.text
    assert "Duplicate of dose 1" in page.text


def test_dose_history_page_shows_the_reasons(client, clinician, il2_course):
    dose = a_dose(il2_course, clinician, 3, hours_ago=1)
    services.correct_record(record=dose, by=clinician, changes={"dose_number": 2}, reason="Typo")
    services.mark_entered_in_error(record=dose, by=clinician, reason="Wrong patient")
    client.force_login(clinician)
    response = client.get(reverse("tracker:record-history", args=["dose", dose.pk]))
    assert len(response.context["entries"]) == 3
    assert ("dose number", "3", "2") in response.context["entries"][1].changes
    assert "Typo" in response.text and "Wrong patient" in response.text


# --- Courses: corrections -----------------------------------------------------------------------


def test_a_baseline_weight_correction_judges_the_weight_gain_again(clinician, course):
    # CTCAE v5.0 Weight gain: grade 3 is >= 20 % from baseline, grade 1 is 5-<10 %.
    visit = services.record_visit(
        course=course, by=clinician, measurements={"weight_kg": Decimal("84.0")}
    )  # 84 kg on a 70 kg baseline: +20 %
    (old,) = [f for f in visit.flags_raised if f.term.slug == "weight_gain"]
    assert (old.ctcae_grade, old.level) == (3, FlagLevel.URGENT)
    corrected = services.correct_course(
        course=course,
        by=clinician,
        changes={"baseline_weight_kg": Decimal("80.0")},
        reason="Baseline weight was from another visit; 80 kg at screening",
    )  # 84 kg on 80 kg: +5 %
    assert corrected.flags_withdrawn == [old]
    (new,) = corrected.flags_raised
    assert (new.term.slug, new.ctcae_grade) == ("weight_gain", 1)
    assert new.level != FlagLevel.URGENT
    old.refresh_from_db()
    assert old.withdrawn and "80 kg at screening" in old.resolved_note
    latest = course.history.latest()
    assert latest.history_change_reason == (
        "Baseline weight was from another visit; 80 kg at screening"
    )


def test_a_course_correction_outside_the_rules_changes_no_flag(clinician, course):
    visit = services.record_visit(
        course=course, by=clinician, measurements={"systolic_bp": 78}
    ).visit
    corrected = services.correct_course(
        course=course, by=clinician, changes={"indication": "Still's disease"}, reason="Typo"
    )
    assert (corrected.flags_raised, corrected.flags_withdrawn) == ([], [])
    assert Flag.objects.get(visit=visit).status == FlagStatus.OPEN


def test_the_course_edit_page_keeps_the_reason_and_shows_it_in_history(
    client, clinician, course, care_team
):
    client.force_login(clinician)
    form = client.get(reverse("tracker:course-edit", args=[course.pk])).context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(
        {
            "therapy": course.therapy.pk,
            "care_team": care_team.pk,
            "start_date": (course.start_date - datetime.timedelta(days=1)).isoformat(),
            "baseline_weight_kg_0": "72.0",
            "baseline_weight_kg_1": "kg",
            "baseline_temperature_c_0": "36.8",
            "baseline_temperature_c_1": "C",
            "reason": "",
        }
    )
    url = reverse("tracker:course-edit", args=[course.pk])
    assert "reason" in client.post(url, data).context["form"].errors
    course.refresh_from_db()
    assert course.baseline_weight_kg == Decimal("70.0")
    client.post(url, {**data, "reason": "Weighed again at the first infusion"})
    course.refresh_from_db()
    assert course.baseline_weight_kg == Decimal("72.0")
    history = client.get(reverse("tracker:record-history", args=["course", course.pk]))
    assert "Weighed again at the first infusion" in history.text
    changed = {name for name, _old, _new in history.context["entries"][0].changes}
    assert {"baseline weight (kg)", "start date"} <= changed


# --- Courses: entered in error ------------------------------------------------------------------


@pytest.fixture
def wrong_course(patient, clinician):
    """A course created for the wrong patient, with an urgent flag and a reported symptom."""
    course = factories.CourseFactory(
        patient=patient, start_date=timezone.localdate() - datetime.timedelta(days=30)
    )
    services.record_visit(course=course, by=clinician, measurements={"systolic_bp": 78})
    services.submit_report(
        course=course,
        by=patient.user,
        answers=[services.AnswerInput(term=term("nausea"), frequency=3, severity=3)],
        reported_at=timezone.now() - datetime.timedelta(days=9),
    )
    return course


REASON = "Created for the wrong patient"


def test_a_course_entered_in_error_withdraws_every_flag_with_the_reason(clinician, wrong_course):
    flags = list(wrong_course.flags.all())
    assert len(flags) >= 2
    marked = services.mark_entered_in_error(record=wrong_course, by=clinician, reason=REASON)
    assert {f.pk for f in marked.flags_withdrawn} == {f.pk for f in flags}
    for flag in Flag.objects.filter(course=wrong_course):
        assert flag.withdrawn and flag.status == FlagStatus.RESOLVED
        assert flag.resolved_note == f"Record entered in error: {REASON}"
    wrong_course.refresh_from_db()
    assert (wrong_course.entered_in_error, wrong_course.entered_in_error_reason) == (True, REASON)
    assert wrong_course.history.latest().history_change_reason == REASON
    assert Course.objects.filter(pk=wrong_course.pk).exists()


def test_a_course_needs_a_reason_to_be_entered_in_error(clinician, wrong_course):
    with pytest.raises(ValidationError):
        services.mark_entered_in_error(record=wrong_course, by=clinician, reason="  ")
    wrong_course.refresh_from_db()
    assert not wrong_course.entered_in_error


def test_a_course_entered_in_error_leaves_the_active_lists(
    client, clinician, patient, wrong_course
):
    services.mark_entered_in_error(record=wrong_course, by=clinician, reason=REASON)
    assert not Course.objects.active().filter(pk=wrong_course.pk).exists()
    client.force_login(clinician)
    assert client.get(reverse("tracker:triage")).context["flags"] == []
    assert client.get(reverse("tracker:not-reported")).context["overdue"] == []
    courses = cohort_courses(
        Course.objects.visible_to(clinician),
        therapy=wrong_course.therapy,
        start_from=wrong_course.start_date,
        start_to=timezone.localdate(),
    )
    assert list(courses) == []
    client.force_login(patient.user)
    assert client.get(reverse("tracker:patient-home")).context["courses"] == []
    assert client.get(reverse("tracker:patient-treatment")).context["courses"] == []
    report = reverse("tracker:patient-report-create", args=[wrong_course.pk])
    assert client.get(report).status_code == 404


def test_a_course_entered_in_error_gets_no_reminder(clinician, wrong_course, mailoutbox):
    noon = timezone.localtime().replace(hour=12, minute=0)
    with time_machine.travel(noon, tick=False):
        assert services.send_due_reminders(site_url="https://tracker.example.org") == 1
    services.mark_entered_in_error(record=wrong_course, by=clinician, reason=REASON)
    with time_machine.travel(noon + datetime.timedelta(days=1), tick=False):
        assert services.send_due_reminders(site_url="https://tracker.example.org") == 0


def test_a_course_entered_in_error_stays_on_the_patients_page_marked(
    client, clinician, patient, wrong_course
):
    services.mark_entered_in_error(record=wrong_course, by=clinician, reason=REASON)
    client.force_login(clinician)
    page = client.get(reverse("tracker:patient-detail", args=[patient.pk]))
    assert [c.pk for c in page.context["courses"]] == [wrong_course.pk]
    assert "course-in-error" in page.text and REASON in page.text
    course_page = client.get(reverse("tracker:course-detail", args=[wrong_course.pk]))
    assert course_page.status_code == 200
    assert REASON in course_page.text
    assert reverse("tracker:visit-create", args=[wrong_course.pk]) not in course_page.text
    history = client.get(reverse("tracker:record-history", args=["course", wrong_course.pk]))
    assert REASON in history.text


def test_a_course_entered_in_error_takes_no_new_visit_or_change(client, clinician, wrong_course):
    services.mark_entered_in_error(record=wrong_course, by=clinician, reason=REASON)
    client.force_login(clinician)
    for name in ("tracker:visit-create", "tracker:report-create", "tracker:course-edit"):
        response = client.get(reverse(name, args=[wrong_course.pk]))
        assert response.status_code == 302, name
        assert response["Location"] == reverse("tracker:course-detail", args=[wrong_course.pk])
    visit = wrong_course.visits.get()
    with pytest.raises(ValidationError):
        services.correct_record(
            record=visit, by=clinician, changes={"systolic_bp": 120}, reason="x"
        )


def test_the_course_entered_in_error_page(client, clinician, wrong_course):
    client.force_login(clinician)
    url = reverse("tracker:record-entered-in-error", args=["course", wrong_course.pk])
    assert "reason" in client.post(url, {"reason": ""}).context["form"].errors
    response = client.post(url, {"reason": REASON}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "tracker:course-detail", args=[wrong_course.pk]
    )
    assert "Marked entered in error" in response.text
    wrong_course.refresh_from_db()
    assert wrong_course.entered_in_error
