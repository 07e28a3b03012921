"""Logging a visit: vitals and labs, adverse events and doses, saved all or nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tracker import services
from tracker.models import AdverseEvent, DoseAdministration, DoseStatus, Flag, FlagLevel, Visit

from .conftest import htmx, term

pytestmark = pytest.mark.django_db


def visit_data(**fields):
    """An empty visit form as the browser sends it, with three adverse-event rows and one dose
    row left untouched, plus the given fields."""
    data = {
        "recorded_at": "",
        "temperature_c_0": "",
        "temperature_c_1": "C",
        "weight_kg_0": "",
        "weight_kg_1": "kg",
        "notes": "",
        "ae-TOTAL_FORMS": "3",
        "ae-INITIAL_FORMS": "0",
        "ae-MIN_NUM_FORMS": "0",
        "ae-MAX_NUM_FORMS": "30",
        "dose-TOTAL_FORMS": "1",
        "dose-INITIAL_FORMS": "0",
        "dose-MIN_NUM_FORMS": "0",
        "dose-MAX_NUM_FORMS": "10",
    }
    for index in range(3):
        data.update(
            {
                f"ae-{index}-term": "",
                f"ae-{index}-grade": "",
                # No default: an untouched row sends empty choices.
                f"ae-{index}-attribution": "",
                f"ae-{index}-action": "",
                f"ae-{index}-outcome": "",
                f"ae-{index}-onset_date": "",
                f"ae-{index}-end_date": "",
            }
        )
        if fields.get(f"ae-{index}-term"):
            # A row the clinician fills: attribution and action are chosen (the tests of
            # their being required leave them out explicitly).
            data[f"ae-{index}-attribution"] = "possible"
            data[f"ae-{index}-action"] = "none"
    data.update(
        {
            "dose-0-dose_number": "1",
            "initial-dose-0-dose_number": "1",
            "dose-0-status": "",
            "dose-0-scheduled_at": "",
        }
    )
    data.update(fields)
    return data


def post_visit(client, course, page=None, **fields):
    """Send the visit form as the browser would from `page` (by default, the form just got)."""
    page = page or client.get(reverse("tracker:visit-create", args=[course.pk]))
    initial = page.context["dose_formset"].forms[0].initial
    shown = {
        "dose_number": str(initial["dose_number"]),
        "scheduled_at": initial["scheduled_at"].strftime("%Y-%m-%dT%H:%M"),
        "dose_amount": "" if initial["dose_amount"] is None else str(initial["dose_amount"]),
        "dose_unit": initial["dose_unit"],
    }
    defaults = {
        "recorded_at": page.context["form"]["recorded_at"].value().strftime("%Y-%m-%dT%H:%M"),
        **{f"dose-0-{name}": value for name, value in shown.items()},
        # As the browser sends them: the values the row was shown with (hidden inputs).
        **{f"initial-dose-0-{name}": value for name, value in shown.items()},
    }
    return client.post(
        reverse("tracker:visit-create", args=[course.pk]), visit_data(**{**defaults, **fields})
    )


def test_low_blood_pressure_on_high_dose_il2_raises_an_urgent_flag_and_hold_advice(
    client, clinician, il2_course
):
    client.force_login(clinician)
    response = post_visit(client, il2_course, systolic_bp="82")
    visit = Visit.objects.get(course=il2_course)
    assert response["Location"] == reverse("tracker:visit-detail", args=[visit.pk]) + "?saved=1"
    flag = Flag.objects.get(visit=visit)
    assert (flag.level, flag.term.slug) == (FlagLevel.URGENT, "hypotension")
    assert visit.dose_advice["decision"] == "hold"

    result = client.get(response["Location"])
    assert "Saved. What the rules found" in result.text
    assert "May need hospitalization" in result.text
    assert 'id="dose-advice"' in result.text


def test_temperature_in_fahrenheit_and_weight_in_pounds_are_stored_in_si(
    client, clinician, il2_course
):
    client.force_login(clinician)
    post_visit(
        client,
        il2_course,
        temperature_c_0="101.3",
        temperature_c_1="F",
        weight_kg_0="176",
        weight_kg_1="lb",
    )
    visit = Visit.objects.get()
    assert (visit.temperature_c, visit.weight_kg) == (Decimal("38.5"), Decimal("79.8"))


def test_french_decimals_with_a_comma(client, clinician, il2_course):
    client.cookies["django_language"] = "fr"
    client.force_login(clinician)
    post_visit(client, il2_course, temperature_c_0="37,5", creatinine_mg_dl="1,25")
    visit = Visit.objects.get()
    assert (visit.temperature_c, visit.creatinine_mg_dl) == (Decimal("37.5"), Decimal("1.25"))


def test_bad_input_is_refused_at_the_field_nothing_saved_and_everything_typed_kept(
    client, clinician, il2_course
):
    client.force_login(clinician)
    response = post_visit(
        client,
        il2_course,
        systolic_bp="82",
        heart_rate="900",
        notes="Rigors after dose",
        **{"ae-0-term": "chills", "ae-0-grade": "2"},
    )
    assert response.status_code == 200
    assert "heart_rate" in response.context["form"].errors
    assert "Nothing was saved." in response.text
    assert not Visit.objects.exists()
    assert not Flag.objects.exists()
    assert 'value="82"' in response.text
    assert "Rigors after dose" in response.text
    assert '<option value="chills" selected>' in response.text


def test_an_adverse_event_without_a_grade_is_refused_at_the_grade(client, clinician, il2_course):
    client.force_login(clinician)
    response = post_visit(client, il2_course, systolic_bp="120", **{"ae-0-term": "chills"})
    assert response.context["ae_formset"].forms[0].errors["grade"] == ["Choose the grade."]
    assert not Visit.objects.exists()


def test_the_same_adverse_event_twice_is_refused(client, clinician, il2_course):
    client.force_login(clinician)
    response = post_visit(
        client,
        il2_course,
        **{"ae-0-term": "chills", "ae-0-grade": "1", "ae-1-term": "chills", "ae-1-grade": "2"},
    )
    assert "already on another row" in response.text
    assert not Visit.objects.exists()


def test_an_empty_visit_is_refused(client, clinician, il2_course):
    client.force_login(clinician)
    response = post_visit(client, il2_course)
    context = response.context
    assert "Give at least one measurement, adverse event or note." in response.text, [
        context[name].errors for name in ("form", "ae_formset", "dose_formset") if name in context
    ]
    assert not Visit.objects.exists()


def test_an_untouched_dose_row_is_skipped_even_when_the_minute_has_changed(
    client, clinician, il2_course, time_machine
):
    # The dose row is pre-filled with "now" (no dose yet); the visit is sent a minute later.
    time_machine.move_to("2026-11-21 03:00:50+01:00")
    client.force_login(clinician)
    page = client.get(reverse("tracker:visit-create", args=[il2_course.pk]))
    assert 'name="initial-dose-0-scheduled_at"' in page.text
    time_machine.shift(datetime.timedelta(seconds=30))
    response = post_visit(client, il2_course, page, systolic_bp="118")
    assert response.status_code == 302, response.context["dose_formset"].errors
    assert Visit.objects.filter(course=il2_course).count() == 1
    assert not il2_course.doses.exists()


def test_adverse_events_and_a_held_dose_are_saved_with_the_visit(client, clinician, il2_course):
    client.force_login(clinician)
    post_visit(
        client,
        il2_course,
        systolic_bp="85",
        **{
            "ae-0-term": "hypotension",
            "ae-0-grade": "3",
            "ae-0-action": "dose_held",
            "dose-0-status": "held",
            "dose-0-reason": "SBP 85",
        },
    )
    event = AdverseEvent.objects.get()
    assert (event.term.slug, event.grade, event.action, event.expected) == (
        "hypotension",
        3,
        "dose_held",
        True,
    )
    dose = DoseAdministration.objects.get()
    assert (dose.dose_number, dose.status, dose.reason) == (1, DoseStatus.HELD, "SBP 85")


def test_an_untouched_dose_row_records_no_dose(client, clinician, il2_course):
    client.force_login(clinician)
    post_visit(client, il2_course, systolic_bp="120")
    assert Visit.objects.exists()
    assert not DoseAdministration.objects.exists()


def test_a_held_dose_without_reason_is_refused_and_nothing_saved(client, clinician, il2_course):
    client.force_login(clinician)
    response = post_visit(client, il2_course, systolic_bp="85", **{"dose-0-status": "held"})
    errors = response.context["dose_formset"].forms[0].errors
    assert errors["reason"] == ["Say why the dose was held."]
    assert not Visit.objects.exists()


def test_a_dose_number_already_recorded_is_refused(client, clinician, il2_course):
    services.record_dose(
        course=il2_course,
        by=clinician,
        dose_number=1,
        scheduled_at="2026-03-01T08:00Z",
        status=DoseStatus.GIVEN,
    )
    client.force_login(clinician)
    response = post_visit(
        client,
        il2_course,
        systolic_bp="120",
        **{"dose-0-dose_number": "1", "dose-0-status": "given"},
    )
    assert "Dose 1 is already recorded." in response.text
    assert not Visit.objects.exists()


def test_the_next_dose_is_prefilled(client, clinician, il2_course):
    services.record_dose(
        course=il2_course,
        by=clinician,
        dose_number=1,
        scheduled_at="2026-03-01T08:00Z",
        status=DoseStatus.GIVEN,
        dose_amount=Decimal("2.886"),
        dose_unit="mg",
    )
    client.force_login(clinician)
    page = client.get(reverse("tracker:visit-create", args=[il2_course.pk]))
    initial = page.context["dose_formset"].forms[0].initial
    assert initial["dose_number"] == 2
    assert (initial["dose_amount"], initial["dose_unit"]) == (Decimal("2.886"), "mg")
    assert initial["scheduled_at"].hour == 17  # 8 h after 09:00 in Paris (08:00 UTC)


def test_a_failing_dose_rolls_back_the_visit(client, clinician, il2_course, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError("The dose could not be saved.")

    monkeypatch.setattr(services.records, "record_dose", refuse)
    client.force_login(clinician)
    response = post_visit(client, il2_course, systolic_bp="82", **{"dose-0-status": "given"})
    assert "The dose could not be saved." in response.text
    assert not Visit.objects.exists()
    assert not Flag.objects.exists()


def test_the_grade_definitions_of_a_term(client, clinician):
    client.force_login(clinician)
    response = client.get(
        reverse("tracker:ctcae-definitions"), {"ae-1-term": "hypotension"}, **htmx()
    )
    assert "CTCAE v5.0 grades of Hypotension" in response.text
    assert "Medical intervention; hospitalization indicated" in response.text


def test_a_term_without_definitions_points_to_ctcae(client, clinician):
    client.force_login(clinician)
    response = client.get(reverse("tracker:ctcae-definitions"), {"ae-0-term": "sepsis"})
    assert "Sepsis: see CTCAE v5.0" in response.text


def test_definitions_are_shown_again_when_the_form_comes_back(client, clinician, il2_course):
    client.force_login(clinician)
    response = post_visit(client, il2_course, heart_rate="900", **{"ae-0-term": "chills"})
    assert "CTCAE v5.0 grades of Chills" in response.text


def test_visit_form_loads_its_script_from_a_file(client, clinician, il2_course):
    client.force_login(clinician)
    text = client.get(reverse("tracker:visit-create", args=[il2_course.pk])).text
    assert 'src="/static/js/clinician.js"' in text
    assert 'id="ae-empty-form"' in text


# --- CTCAE grades a term does not define ----------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "grade", "message"),
    [
        # NCI CTCAE v5.0: Nausea 1-3, Hypoxia 2-5, Urine output decreased 3-4.
        ("nausea", "4", "Nausea has CTCAE v5.0 grades 1–3."),
        ("hypoxia", "1", "Hypoxia has CTCAE v5.0 grades 2–5."),
        ("oliguria", "2", "Urine output decreased has CTCAE v5.0 grades 3–4."),
    ],
)
def test_a_grade_the_term_does_not_define_is_refused_at_the_grade_and_nothing_saved(
    client, clinician, il2_course, slug, grade, message
):
    client.force_login(clinician)
    response = post_visit(
        client, il2_course, systolic_bp="120", **{"ae-0-term": slug, "ae-0-grade": grade}
    )
    assert response.status_code == 200
    assert response.context["ae_formset"].forms[0].errors["grade"] == [message]
    assert message in response.text
    assert not Visit.objects.exists()
    assert not AdverseEvent.objects.exists()


def test_a_grade_the_term_defines_is_accepted_on_the_form(client, clinician, il2_course):
    client.force_login(clinician)
    post_visit(client, il2_course, **{"ae-0-term": "oliguria", "ae-0-grade": "3"})
    assert AdverseEvent.objects.get().grade == 3


def test_the_service_refuses_a_grade_the_term_does_not_define(clinician, il2_course):
    with pytest.raises(ValidationError) as error:
        services.record_visit(
            course=il2_course,
            by=clinician,
            measurements={"systolic_bp": 120},
            adverse_events=[services.AdverseEventEntry(term=term("nausea"), grade=4)],
        )
    assert error.value.message_dict == {"grade": ["Nausea has CTCAE v5.0 grades 1–3."]}
    assert not Visit.objects.exists()
    assert not Flag.objects.exists()


# --- Worsening of measured grades across the course -----------------------------------------


def at(hours_ago):
    return timezone.now() - datetime.timedelta(hours=hours_ago)


def platelet_visit(course, by, value, hours_ago, **extra):
    return services.record_visit(
        course=course,
        by=by,
        recorded_at=at(hours_ago),
        measurements={"platelets_10e9_per_l": Decimal(value)},
        **extra,
    ).visit


def flag_on(visit, slug):
    return Flag.objects.get(visit=visit, term__slug=slug)


def test_platelets_grade_1_then_grade_3_at_the_next_visit_is_a_worsening(clinician, course):
    # The course's LLN is 150 ×10⁹/L (CTCAE: G1 <LLN-75, G3 <50-25).
    platelet_visit(course, clinician, "100", hours_ago=24)
    later = platelet_visit(course, clinician, "40", hours_ago=1)
    flag = flag_on(later, "platelets_decreased")
    assert flag.level == FlagLevel.URGENT
    assert "Worsening: grade 1 → 3" in flag.message


def test_the_latest_earlier_measurement_is_the_one_compared(clinician, course):
    platelet_visit(course, clinician, "100", hours_ago=48)  # G1
    platelet_visit(course, clinician, "60", hours_ago=24)  # G2
    later = platelet_visit(course, clinician, "40", hours_ago=1)  # G3: one grade worse
    assert "Worsening" not in flag_on(later, "platelets_decreased").message


def test_a_measurement_entered_in_error_is_not_compared(clinician, course):
    platelet_visit(course, clinician, "100", hours_ago=48)  # G1
    wrong = platelet_visit(course, clinician, "60", hours_ago=24)  # G2, entered in error
    services.mark_entered_in_error(record=wrong, by=clinician, reason="Other patient's sample")
    later = platelet_visit(course, clinician, "40", hours_ago=1)
    assert "Worsening: grade 1 → 3" in flag_on(later, "platelets_decreased").message


def test_a_clinicians_earlier_grade_of_a_measured_term_is_compared(clinician, course):
    services.record_visit(
        course=course,
        by=clinician,
        recorded_at=at(24),
        adverse_events=[services.AdverseEventEntry(term=term("platelets_decreased"), grade=1)],
    )
    later = platelet_visit(course, clinician, "40", hours_ago=1)
    assert "Worsening: grade 1 → 3" in flag_on(later, "platelets_decreased").message


def test_a_later_clinicians_grade_of_a_measured_term_is_compared_with_the_measurement(
    clinician, course
):
    platelet_visit(course, clinician, "100", hours_ago=24)  # G1
    later = services.record_visit(
        course=course,
        by=clinician,
        recorded_at=at(1),
        adverse_events=[services.AdverseEventEntry(term=term("platelets_decreased"), grade=3)],
    ).visit
    assert "Worsening: grade 1 → 3" in flag_on(later, "platelets_decreased").message


def test_a_temperature_reported_at_home_is_compared_with_the_next_visit(clinician, patient, course):
    services.submit_report(
        course=course,
        by=patient.user,
        measurements={"temperature_c": Decimal("36.9")},
        reported_at=at(24),
    )
    later = services.record_visit(
        course=course,
        by=clinician,
        recorded_at=at(1),
        measurements={"temperature_c": Decimal("39.5")},
    ).visit
    # CTCAE fever: 36.9 °C is below grade 1 (0); 39.5 °C is grade 2 (>39.0-40.0).
    assert "Worsening: grade 0 → 2" in flag_on(later, "fever").message


def test_a_visit_is_judged_again_with_the_previous_measured_grade_when_corrected(clinician, course):
    platelet_visit(course, clinician, "100", hours_ago=24)  # G1
    later = platelet_visit(course, clinician, "70", hours_ago=1)  # G2
    corrected = services.correct_record(
        record=later,
        by=clinician,
        changes={"platelets_10e9_per_l": Decimal("40")},
        reason="Lab re-run",
    )
    [flag] = corrected.flags_raised
    assert flag.level == FlagLevel.URGENT
    assert "Worsening: grade 1 → 3" in flag.message


@pytest.mark.parametrize("earlier_visits", [1, 12])
def test_the_previous_measured_grades_take_one_query_however_long_the_course(
    clinician, course, earlier_visits, django_assert_num_queries
):
    for hours in range(earlier_visits):
        platelet_visit(course, clinician, "100", hours_ago=48 + hours)
    baseline = services.baseline(course)
    with django_assert_num_queries(1):
        grades = services._previous_measured_grades(
            course, {"platelets_decreased", "fever", "creatinine_increased"}, at(1), baseline
        )
    assert grades == {"platelets_decreased": 1}


@pytest.mark.parametrize(
    ("report_hours_ago", "visit_hours_ago", "worsening"),
    # Earlier: a home temperature of 36.9 °C (no fever, grade 0) and a visit at 39.5 °C
    # (CTCAE fever grade 2); the later of the two is compared with 39.5 °C now.
    [(24, 48, True), (48, 24, False)],
)
def test_the_later_of_an_earlier_report_and_visit_is_compared(
    clinician, patient, course, report_hours_ago, visit_hours_ago, worsening
):
    services.submit_report(
        course=course,
        by=patient.user,
        measurements={"temperature_c": Decimal("36.9")},
        reported_at=at(report_hours_ago),
    )
    services.record_visit(
        course=course,
        by=clinician,
        recorded_at=at(visit_hours_ago),
        measurements={"temperature_c": Decimal("39.5")},
    )
    later = services.record_visit(
        course=course,
        by=clinician,
        recorded_at=at(1),
        measurements={"temperature_c": Decimal("39.5")},
    ).visit
    assert ("Worsening: grade 0 → 2" in flag_on(later, "fever").message) is worsening
