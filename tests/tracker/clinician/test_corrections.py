"""Corrections with a reason kept in history; records entered in error leave the summary."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tracker import services
from tracker.models import Flag, FlagLevel, FlagStatus, Visit
from tracker.summary import build_summary

from .conftest import term

pytestmark = pytest.mark.django_db


def a_visit(course, by, **measurements):
    return services.record_visit(
        course=course,
        by=by,
        recorded_at=timezone.now() - datetime.timedelta(hours=1),
        measurements=measurements or {"systolic_bp": 118},
        adverse_events=[services.AdverseEventInput(term=term("chills"), grade=1)],
    )


def correction_data(visit, **fields):
    data = {
        "recorded_at": timezone.localtime(visit.recorded_at).strftime("%Y-%m-%dT%H:%M"),
        "temperature_c_0": "",
        "temperature_c_1": "C",
        "weight_kg_0": "",
        "weight_kg_1": "kg",
        "systolic_bp": visit.systolic_bp or "",
        "notes": visit.notes,
        "reason": "",
    }
    data.update(fields)
    return data


# --- The service ------------------------------------------------------------------------------


def test_correction_stores_the_reason_and_who_in_history(clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    services.correct_record(
        record=visit, by=clinician, changes={"systolic_bp": 128}, reason="Typo: 118 for 128"
    )
    latest = visit.history.latest()
    assert latest.systolic_bp == 128
    assert latest.history_change_reason == "Typo: 118 for 128"
    assert latest.history_user == clinician


def test_correction_needs_a_reason(clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    with pytest.raises(ValidationError):
        services.correct_record(
            record=visit, by=clinician, changes={"systolic_bp": 128}, reason=" "
        )
    visit.refresh_from_db()
    assert visit.systolic_bp == 118


def test_correction_to_a_red_flag_value_raises_a_new_flag_and_dose_advice(clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    assert Flag.objects.filter(visit=visit, term__slug="hypotension").count() == 0
    corrected = services.correct_record(
        record=visit, by=clinician, changes={"systolic_bp": 82}, reason="Misread the monitor"
    )
    (flag,) = [f for f in corrected.flags_raised if f.term.slug == "hypotension"]
    assert flag.level == FlagLevel.URGENT
    visit.refresh_from_db()
    assert visit.dose_advice["decision"] == "hold"


def test_correction_does_not_raise_what_is_already_flagged(clinician, il2_course):
    visit = a_visit(il2_course, clinician, systolic_bp=82)
    existing = list(Flag.objects.filter(visit=visit).values_list("pk", "level", "status"))
    corrected = services.correct_record(
        record=visit, by=clinician, changes={"systolic_bp": 80}, reason="Second reading"
    )
    assert corrected.flags_raised == []
    assert list(Flag.objects.filter(visit=visit).values_list("pk", "level", "status")) == existing


def test_a_worse_adverse_event_grade_raises_a_higher_flag(clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    event = visit.adverse_events.get()
    first = Flag.objects.get(visit=visit, term__slug="chills")
    assert first.level == FlagLevel.INFO
    corrected = services.correct_record(
        record=event, by=clinician, changes={"grade": 3}, reason="Rigors, unresponsive"
    )
    assert [(f.term.slug, f.level) for f in corrected.flags_raised] == [("chills", "urgent")]
    first.refresh_from_db()
    assert first.level == FlagLevel.INFO  # the existing flag never changes


def test_correcting_nothing_saves_no_version(clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    versions = visit.history.count()
    corrected = services.correct_record(
        record=visit, by=clinician, changes={"systolic_bp": 118}, reason="checking"
    )
    assert corrected.changed_fields == []
    assert visit.history.count() == versions


def test_a_report_correction_is_judged_again(clinician, course):
    report = services.submit_report(
        course=course, by=clinician, measurements={"temperature_c": Decimal("37.0")}
    )
    corrected = services.correct_record(
        record=report,
        by=clinician,
        changes={"temperature_c": Decimal("40.5")},
        reason="Patient read it again",
    )
    assert [f.term.slug for f in corrected.flags_raised] == ["fever"]


def test_entered_in_error_resolves_its_flags_with_the_reason(clinician, il2_course):
    visit = a_visit(il2_course, clinician, systolic_bp=82)
    flags = list(Flag.objects.filter(visit=visit))
    assert flags
    services.acknowledge_flag(flag=flags[0], by=clinician)
    marked = services.mark_entered_in_error(record=visit, by=clinician, reason="Wrong patient")
    assert len(marked.flags_resolved) == len(flags)
    for flag in Flag.objects.filter(visit=visit):
        assert flag.status == FlagStatus.RESOLVED
        assert flag.resolved_note == "Record entered in error: Wrong patient"
        assert flag.resolved_by == clinician


def test_entered_in_error_leaves_the_summary_but_stays_in_history(clinician, il2_course):
    visit = a_visit(il2_course, clinician, systolic_bp=82)
    services.mark_entered_in_error(record=visit, by=clinician, reason="Wrong patient")
    summary = build_summary(il2_course)
    assert summary.visits == []
    assert summary.grade_points == []
    assert Visit.objects.filter(pk=visit.pk).exists()
    assert visit.history.latest().history_change_reason == "Wrong patient"


def test_an_adverse_event_in_error_resolves_its_flag_but_not_the_visits_others(
    clinician, il2_course
):
    visit = a_visit(il2_course, clinician, systolic_bp=82)
    event = visit.adverse_events.get()
    services.mark_entered_in_error(record=event, by=clinician, reason="Other patient's chills")
    assert Flag.objects.get(visit=visit, term__slug="chills").status == FlagStatus.RESOLVED
    assert Flag.objects.get(visit=visit, term__slug="hypotension").status == FlagStatus.OPEN


def test_an_adverse_event_in_error_leaves_grades_side_effects_and_exports(
    client, clinician, il2_course
):
    visit = a_visit(il2_course, clinician, systolic_bp=82)
    assert "chills" in {p.term.slug for p in build_summary(il2_course).grade_points}
    services.mark_entered_in_error(
        record=visit.adverse_events.get(), by=clinician, reason="Other patient's chills"
    )
    summary = build_summary(il2_course)
    assert "chills" not in {p.term.slug for p in summary.grade_points}
    assert "chills" not in {row.term.slug for row in summary.side_effects}
    assert "hypotension" in {f.term.slug for f in summary.flags}  # the visit's own, kept
    assert Flag.objects.get(visit=visit, term__slug="chills").withdrawn
    assert not Flag.objects.get(visit=visit, term__slug="hypotension").withdrawn
    client.force_login(clinician)
    response = client.get(reverse("tracker:export-course-csv", args=[il2_course.pk]))
    csv = b"".join(response.streaming_content).decode()
    assert "chills" not in csv
    assert "hypotension" in csv


def test_an_adverse_event_in_error_withdraws_its_flag_even_when_already_resolved(
    clinician, other_clinician, il2_course
):
    visit = a_visit(il2_course, clinician, systolic_bp=118)
    flag = Flag.objects.get(visit=visit, term__slug="chills")
    services.resolve_flag(flag=flag, by=clinician, note="Warm blanket")
    marked = services.mark_entered_in_error(
        record=visit.adverse_events.get(), by=clinician, reason="Other patient's chills"
    )
    assert marked.flags_resolved == []  # nothing was waiting
    flag.refresh_from_db()
    assert flag.withdrawn
    assert (flag.resolved_by, flag.resolved_note) == (clinician, "Warm blanket")
    assert flag.history.latest().history_change_reason == "withdrawn"
    assert "chills" not in {p.term.slug for p in build_summary(il2_course).grade_points}


def test_a_record_in_error_is_not_corrected(clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    services.mark_entered_in_error(record=visit, by=clinician, reason="Duplicate")
    with pytest.raises(ValidationError):
        services.correct_record(
            record=visit, by=clinician, changes={"systolic_bp": 120}, reason="x"
        )


def test_marking_twice_is_refused(clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    services.mark_entered_in_error(record=visit, by=clinician, reason="Duplicate")
    with pytest.raises(ValidationError):
        services.mark_entered_in_error(record=visit, by=clinician, reason="Again")


# --- The pages --------------------------------------------------------------------------------


def test_correction_page_refuses_without_a_reason(client, clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    client.force_login(clinician)
    url = reverse("tracker:record-correct", args=["visit", visit.pk])
    response = client.post(url, correction_data(visit, systolic_bp="128"))
    assert "reason" in response.context["form"].errors
    visit.refresh_from_db()
    assert visit.systolic_bp == 118


def test_correction_page_saves_and_reports_new_flags(client, clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    client.force_login(clinician)
    url = reverse("tracker:record-correct", args=["visit", visit.pk])
    response = client.post(
        url, correction_data(visit, systolic_bp="82", reason="Misread"), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("tracker:visit-detail", args=[visit.pk])
    assert "Correction saved. It raised 1 new flag." in response.text
    visit.refresh_from_db()
    assert visit.systolic_bp == 82


def test_correction_page_refuses_a_bad_value_at_the_field(client, clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    client.force_login(clinician)
    url = reverse("tracker:record-correct", args=["visit", visit.pk])
    response = client.post(url, correction_data(visit, systolic_bp="1200", reason="x"))
    assert "systolic_bp" in response.context["form"].errors
    visit.refresh_from_db()
    assert visit.systolic_bp == 118


def test_adverse_event_correction_page(client, clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    event = visit.adverse_events.get()
    client.force_login(clinician)
    client.post(
        reverse("tracker:record-correct", args=["adverse-event", event.pk]),
        {
            "grade": "2",
            "attribution": "probable",
            "action": "none",
            "onset_date": "",
            "reason": "x",
        },
    )
    event.refresh_from_db()
    assert (event.grade, event.attribution) == (2, "probable")


def test_entered_in_error_page(client, clinician, il2_course):
    visit = a_visit(il2_course, clinician, systolic_bp=82)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:record-entered-in-error", args=["visit", visit.pk]),
        {"reason": "Wrong patient"},
        follow=True,
    )
    assert "Marked entered in error" in response.text
    visit.refresh_from_db()
    assert (visit.entered_in_error, visit.entered_in_error_reason) == (True, "Wrong patient")


def test_entered_in_error_page_needs_a_reason(client, clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:record-entered-in-error", args=["visit", visit.pk]), {"reason": ""}
    )
    assert "reason" in response.context["form"].errors
    visit.refresh_from_db()
    assert not visit.entered_in_error


def test_history_page_shows_who_when_what_and_why(client, clinician, il2_course):
    visit = a_visit(il2_course, clinician)
    services.correct_record(record=visit, by=clinician, changes={"systolic_bp": 128}, reason="Typo")
    services.mark_entered_in_error(record=visit, by=clinician, reason="Wrong patient")
    client.force_login(clinician)
    response = client.get(reverse("tracker:record-history", args=["visit", visit.pk]))
    entries = response.context["entries"]
    assert len(entries) == 3  # recorded, corrected, entered in error
    newest, corrected, recorded = entries
    assert newest.version.history_change_reason == "Wrong patient"
    assert ("systolic BP (mmHg)", "118", "128") in corrected.changes
    assert recorded.changes == []
    assert "Why:" in response.text and "Typo" in response.text
    assert clinician.get_full_name() in response.text


def test_a_correction_to_a_grade_ctcae_does_not_define_is_refused_and_nothing_saved(
    clinician, il2_course
):
    # NCI CTCAE v5.0 Chills: grades 1-3 only.
    event = a_visit(il2_course, clinician).adverse_events.get()
    with pytest.raises(ValidationError) as error:
        services.correct_record(record=event, by=clinician, changes={"grade": 4}, reason="Worse")
    assert error.value.message_dict == {"grade": ["Chills has CTCAE v5.0 grades 1–3."]}
    event.refresh_from_db()
    assert event.grade == 1
    assert event.history.count() == 1


def test_the_adverse_event_correction_page_shows_the_allowed_grades_at_the_field(
    client, clinician, il2_course
):
    event = a_visit(il2_course, clinician).adverse_events.get()
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:record-correct", args=["adverse-event", event.pk]),
        {
            "grade": "4",
            "attribution": "possible",
            "action": "none",
            "onset_date": "",
            "reason": "Worse",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["grade"] == ["Chills has CTCAE v5.0 grades 1–3."]
    event.refresh_from_db()
    assert event.grade == 1
