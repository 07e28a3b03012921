"""Corrections with a reason kept in history; records entered in error leave the summary."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from tracker import services
from tracker.exports import pdf
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
        adverse_events=[services.AdverseEventEntry(term=term("chills"), grade=1)],
    ).visit


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


def test_a_correction_leaves_the_flags_whose_finding_still_holds(clinician, il2_course):
    visit = a_visit(il2_course, clinician, systolic_bp=82)
    hypotension = Flag.objects.get(visit=visit, term__slug="hypotension")
    services.acknowledge_flag(flag=hypotension, by=clinician, note="Fluids started")
    existing = list(Flag.objects.filter(visit=visit).values_list("pk", "level", "status"))
    # The notes are not read by the rules: every finding still holds, workflow state kept.
    corrected = services.correct_record(
        record=visit, by=clinician, changes={"notes": "Seen on the ward"}, reason="Note added"
    )
    assert (corrected.flags_raised, corrected.flags_withdrawn) == ([], [])
    assert list(Flag.objects.filter(visit=visit).values_list("pk", "level", "status")) == existing
    assert ("urgent", "acknowledged") in [(level, st) for _pk, level, st in existing]


def test_a_changed_value_withdraws_the_old_flag_and_raises_one_with_the_new_value(
    clinician, il2_course
):
    # SBP 82 and 80 are both below 90 mmHg (Proleukin label, Table 2; ASTCT): still urgent,
    # but the flag that says "82 mmHg" no longer describes the record.
    visit = a_visit(il2_course, clinician, systolic_bp=82)
    old = Flag.objects.get(visit=visit, term__slug="hypotension")
    corrected = services.correct_record(
        record=visit, by=clinician, changes={"systolic_bp": 80}, reason="Second reading"
    )
    assert corrected.flags_withdrawn == [old]
    (new,) = corrected.flags_raised
    assert (new.term.slug, new.level) == ("hypotension", FlagLevel.URGENT)
    assert "80" in new.value and "82" not in new.value
    old.refresh_from_db()
    assert old.withdrawn and "82" in old.value  # the old judgement is kept as it was


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
    # The grade 1 flag no longer holds: withdrawn, its judgement kept as it was.
    assert (first.level, first.ctcae_grade, first.withdrawn) == (FlagLevel.INFO, 1, True)


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
    ).report
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
    assert (
        flag.history.latest().history_change_reason
        == "withdrawn: Record entered in error: Other patient's chills"
    )
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
    assert "Correction saved: 1 flag raised." in response.text
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


# --- A correction judges the record again: SBP 78 was 118 -------------------------------------
# Systolic BP < 90 mmHg is a red flag (domain.md §5.3; Proleukin label 2023, Table 2; ASTCT):
# 78 mmHg raises an urgent flag, 118 mmHg raises none.

SBP_REASON = "Cuff too small; 118 mmHg on repeat with the right cuff"


def _sbp_78_corrected_to_118(course, clinician):
    visit = services.record_visit(
        course=course,
        by=clinician,
        recorded_at=timezone.now() - datetime.timedelta(hours=2),
        measurements={"systolic_bp": 78, "diastolic_bp": 50, "heart_rate": 88},
    )
    (flag,) = [f for f in visit.flags_raised if f.term.slug == "hypotension"]
    assert (flag.level, flag.status) == (FlagLevel.URGENT, FlagStatus.OPEN)
    assert "78" in flag.value
    corrected = services.correct_record(
        record=visit.visit, by=clinician, changes={"systolic_bp": 118}, reason=SBP_REASON
    )
    flag.refresh_from_db()
    return corrected, flag


def test_sbp_corrected_out_of_range_withdraws_the_urgent_flag_with_the_reason(clinician, course):
    corrected, flag = _sbp_78_corrected_to_118(course, clinician)
    assert corrected.flags_withdrawn == [flag] and corrected.flags_resolved == [flag]
    assert corrected.flags_raised == []
    assert flag.withdrawn
    assert (flag.status, flag.resolved_by) == (FlagStatus.RESOLVED, clinician)
    assert flag.resolved_note == f"Withdrawn because the record was corrected: {SBP_REASON}"
    assert SBP_REASON in flag.history.latest().history_change_reason
    assert Flag.objects.filter(pk=flag.pk).exists()  # kept, never deleted
    assert not Flag.objects.filter(course=course, level=FlagLevel.URGENT).unresolved().exists()


def test_after_the_sbp_correction_the_summary_shows_no_hypotension(clinician, course):
    _sbp_78_corrected_to_118(course, clinician)
    summary = build_summary(course)
    assert summary.flags == []
    assert "hypotension" not in {row.term.slug for row in summary.side_effects}
    assert "hypotension" not in {p.term.slug for p in summary.grade_points}
    assert [p.value for p in summary.vitals["systolic_bp"]] == [118.0]


def test_after_the_sbp_correction_the_course_page_and_queue_show_no_hypotension(
    client, clinician, course
):
    _sbp_78_corrected_to_118(course, clinician)
    client.force_login(clinician)
    page = client.get(reverse("tracker:course-detail", args=[course.pk]))
    assert page.context["unresolved_flags"] == []
    assert page.context["summary"].side_effects == []
    assert [row.record.systolic_bp for row in page.context["vitals_rows"]] == [118]
    assert "Hypotension" not in page.text
    queue = client.get(reverse("tracker:triage"))
    assert queue.context["flags"] == []
    assert queue.context["open_urgent_flag_count"] == 0


def test_after_the_sbp_correction_the_charts_show_no_hypotension(client, clinician, course):
    client.force_login(clinician)
    timeline = reverse("tracker:course-chart-timeline", args=[course.pk])
    visit = services.record_visit(
        course=course,
        by=clinician,
        recorded_at=timezone.now() - datetime.timedelta(hours=2),
        measurements={"systolic_bp": 78},
    ).visit
    assert 'id="flag-urgent' in client.get(timeline).text  # the "!" of the low blood pressure
    services.correct_record(
        record=visit, by=clinician, changes={"systolic_bp": 118}, reason=SBP_REASON
    )
    # Nothing graded and no flag left: the timeline has nothing to draw.
    assert client.get(timeline).status_code == 404
    vitals = client.get(reverse("tracker:course-chart-vitals", args=[course.pk]))
    assert vitals.status_code == 200


def test_after_the_sbp_correction_the_csv_shows_no_hypotension(client, clinician, course):
    _sbp_78_corrected_to_118(course, clinician)
    client.force_login(clinician)
    response = client.get(reverse("tracker:export-course-csv", args=[course.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows
    assert not [row for row in rows if row["term"] == "hypotension"]
    assert not [row for row in rows if row["flag_level"]]
    systolic = [row["value"] for row in rows if row["term"] == "systolic_bp"]
    assert systolic == ["118"]


def test_after_the_sbp_correction_the_pdf_shows_no_hypotension(clinician, course):
    _sbp_78_corrected_to_118(course, clinician)
    context = pdf.document_context(build_summary(course), printed_by=clinician)
    reader = PdfReader(io.BytesIO(pdf.render_pdf(context, language="en")))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert "Hypotension" not in text
    assert "118" in text


def test_after_the_sbp_correction_the_fhir_export_shows_no_hypotension(client, clinician, course):
    _sbp_78_corrected_to_118(course, clinician)
    client.force_login(clinician)
    response = client.get(reverse("tracker:export-course-fhir", args=[course.pk]))
    body = b"".join(getattr(response, "streaming_content", [response.content])).decode()
    assert "Hypotension" not in body and "hypotension" not in body


def test_after_the_sbp_correction_the_api_has_no_open_flag_and_marks_it_withdrawn(
    clinician, course
):
    _corrected, flag = _sbp_78_corrected_to_118(course, clinician)
    api = APIClient()
    api.force_login(clinician)
    assert api.get("/api/v1/flags/", {"status": "open"}).json()["results"] == []
    (shown,) = api.get(f"/api/v1/courses/{course.pk}/flags/").json()
    assert (shown["id"], shown["status"], shown["withdrawn"]) == (str(flag.pk), "resolved", True)
    assert SBP_REASON in shown["resolved_note"]


def test_the_visit_page_keeps_the_withdrawn_flag_marked_withdrawn(client, clinician, course):
    corrected, flag = _sbp_78_corrected_to_118(course, clinician)
    client.force_login(clinician)
    page = client.get(reverse("tracker:visit-detail", args=[corrected.record.pk]))
    assert page.context["flags"] == [flag]
    assert "Withdrawn" in page.text and SBP_REASON in page.text


def test_the_correction_page_says_how_many_flags_were_withdrawn_and_raised(
    client, clinician, course
):
    visit = services.record_visit(
        course=course,
        by=clinician,
        recorded_at=timezone.now() - datetime.timedelta(hours=2),
        measurements={"systolic_bp": 78},
    ).visit
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:record-correct", args=["visit", visit.pk]),
        correction_data(visit, systolic_bp="118", reason=SBP_REASON),
        follow=True,
    )
    assert "Correction saved: 1 flag withdrawn." in response.text
    response = client.post(
        reverse("tracker:record-correct", args=["visit", visit.pk]),
        correction_data(visit, systolic_bp="84", reason="The first reading was right"),
        follow=True,
    )
    assert "Correction saved: 1 flag raised." in response.text


def test_correcting_the_high_dose_il2_visit_recomputes_its_dose_advice(clinician, il2_course):
    # SBP < 90 mmHg is a relative criterion to hold (Dutcher 2014, Table 3; domain.md §4).
    corrected, _flag = _sbp_78_corrected_to_118(il2_course, clinician)
    visit = corrected.record
    advice_history = [v.dose_advice["decision"] for v in visit.history.order_by("history_id")]
    assert advice_history[0] == "hold"
    visit.refresh_from_db()
    assert visit.dose_advice["decision"] != "hold"


# --- Reports and adverse events -----------------------------------------------------------------


def test_report_temperature_corrected_to_a_red_flag_withdraws_the_old_fever_flag(clinician, course):
    # CTCAE v5.0 Fever: grade 1 is 38.0-39.0 °C; > 40.0 °C is a red flag (domain.md §5.3).
    report = services.submit_report(
        course=course, by=clinician, measurements={"temperature_c": Decimal("38.5")}
    )
    (old,) = report.flags_raised
    assert (old.term.slug, old.ctcae_grade) == ("fever", 1)
    assert old.level != FlagLevel.URGENT
    corrected = services.correct_record(
        record=report.report,
        by=clinician,
        changes={"temperature_c": Decimal("40.5")},
        reason="Patient read the thermometer again",
    )
    (new,) = corrected.flags_raised
    assert (new.term.slug, new.level, new.status) == ("fever", FlagLevel.URGENT, FlagStatus.OPEN)
    assert "40.5" in new.value
    assert corrected.flags_withdrawn == [old]
    old.refresh_from_db()
    assert old.withdrawn and old.status == FlagStatus.RESOLVED
    assert "Patient read the thermometer again" in old.resolved_note
    assert [f.pk for f in build_summary(course).flags] == [new.pk]


def test_adverse_event_grade_corrected_down_withdraws_the_urgent_flag(clinician, il2_course):
    # CTCAE grade >= 3 is urgent; chills is expected on high-dose aldesleukin, so grade 1 is
    # "expected, logged" (PRODUCT.md §4).
    visit = services.record_visit(
        course=il2_course,
        by=clinician,
        recorded_at=timezone.now() - datetime.timedelta(hours=1),
        measurements={"systolic_bp": 118},
        adverse_events=[services.AdverseEventEntry(term=term("chills"), grade=3)],
    ).visit
    urgent = Flag.objects.get(visit=visit, term__slug="chills")
    assert urgent.level == FlagLevel.URGENT
    services.acknowledge_flag(flag=urgent, by=clinician, note="Pethidine given")
    corrected = services.correct_record(
        record=visit.adverse_events.get(),
        by=clinician,
        changes={"grade": 1},
        reason="Mild shivering only; grade 3 was a slip",
    )
    (raised,) = corrected.flags_raised
    assert (raised.term.slug, raised.level, raised.ctcae_grade) == ("chills", FlagLevel.INFO, 1)
    assert corrected.flags_withdrawn == [urgent]
    assert corrected.flags_resolved == [urgent]  # it was acknowledged, not yet resolved
    urgent.refresh_from_db()
    assert urgent.withdrawn and urgent.status == FlagStatus.RESOLVED
    assert "Mild shivering only" in urgent.resolved_note
    points = [(p.term.slug, p.grade) for p in build_summary(il2_course).grade_points]
    assert points == [("chills", 1)]


def test_a_flag_already_resolved_is_withdrawn_without_losing_who_resolved_it(clinician, course):
    visit = services.record_visit(course=course, by=clinician, measurements={"systolic_bp": 78})
    (flag,) = visit.flags_raised
    # An urgent flag is resolved with its outcome.
    services.resolve_flag(flag=flag, by=clinician, note="Fluids, BP back to 110", outcome="other")
    corrected = services.correct_record(
        record=visit.visit, by=clinician, changes={"systolic_bp": 118}, reason=SBP_REASON
    )
    assert corrected.flags_withdrawn == [flag] and corrected.flags_resolved == []
    flag.refresh_from_db()
    assert flag.withdrawn
    assert flag.resolved_note == "Fluids, BP back to 110"
    assert SBP_REASON in flag.history.latest().history_change_reason


def test_the_patients_pages_no_longer_show_a_withdrawn_flag(client, clinician, patient, course):
    report = services.submit_report(
        course=course, by=patient.user, measurements={"systolic_bp": 78, "diastolic_bp": 50}
    )
    assert [f.level for f in report.flags_raised] == [FlagLevel.URGENT]
    services.correct_record(
        record=report.report, by=clinician, changes={"systolic_bp": 118}, reason=SBP_REASON
    )
    client.force_login(patient.user)
    answer = client.get(reverse("tracker:patient-report-detail", args=[report.report.pk]))
    assert (answer.context["level"], answer.context["seen"]) == (None, False)
    (listed,) = client.get(reverse("tracker:patient-reports")).context["reports"]
    assert listed.level is None
    home = client.get(reverse("tracker:patient-home"))
    assert home.context["urgent_course"] is None
