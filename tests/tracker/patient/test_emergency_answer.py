"""The answer page when a report meets an emergency sign (PRODUCT.md §4), and when the care team
is closed (its opening hours; the factory's team is open Monday-Friday 08:00-18:00, Paris time).

Thresholds from their sources: CTCAE v5.0 fever grade 3 is >40.0 °C; the Proleukin label 2023,
Table 2 withholds at SpO₂ <90 %; PRO-CTCAE composite grade 3 (Basch 2021) for severity "very
severe" (4) with interference "very much" (4).
"""

import re

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from therapies.models import Therapy
from tracker import services
from tracker.models import Flag, FlagLevel, SymptomReport

from .support import post_measurements, post_symptoms, report, send

pytestmark = pytest.mark.django_db

CARE_TEAM = "+33123456789"  # tests.factories.CareTeamFactory
OUT_OF_HOURS = "+33198765432"
# 2026-12-04 is a Friday, 2026-12-06 a Sunday (Europe/Paris is UTC+1 in December).
WEDNESDAY_MORNING = "2026-12-02 10:00:00+01:00"
FRIDAY_17_59 = "2026-12-04 17:59:00+01:00"
SUNDAY_1_AM = "2026-12-06 01:00:00+01:00"


@pytest.fixture
def at(time_machine, settings, patient_client, patient):
    settings.TIME_ZONE = "Europe/Paris"

    def move(when):
        time_machine.move_to(when, tick=True)
        patient_client.force_login(patient.user)  # a session of that time, not an expired one

    return move


def answer_page(client, response):
    assert response.status_code == 302
    return client.get(response["Location"])


def measured(client, course, **values):
    post_symptoms(client, course, action="none")
    post_measurements(client, course, **values)
    return answer_page(client, send(client, course))


def links(page):
    """The tel: links of the page's guidance, in page order."""
    guidance = page.text[page.text.index('id="guidance"') :]
    return re.findall(r'href="tel:([^"]+)"', guidance)


# --- Emergency signs come first ---------------------------------------------------------------


def test_a_temperature_of_40_3_sends_the_patient_to_the_emergency_number_first(
    at, patient_client, course, settings
):
    at(WEDNESDAY_MORNING)
    settings.EMERGENCY_NUMBER = "15"
    page = measured(patient_client, course, temperature_0="40.3")
    assert page.context["emergency"] == ["Your temperature of 40.3 °C is above 40.0 °C."]
    assert "Call the emergency number now" in page.text
    # The emergency number is the first number to call, the care team's the second.
    assert links(page)[:2] == ["15", CARE_TEAM]
    assert "Call the emergency number: 15" in page.text


def test_40_0_is_not_an_emergency_sign(at, patient_client, course):
    at(WEDNESDAY_MORNING)
    page = measured(patient_client, course, temperature_0="40.0")
    assert page.context["emergency"] == []
    assert "Call the emergency number now" not in page.text


def test_a_temperature_in_fahrenheit_is_named_in_celsius(at, patient_client, course):
    at(WEDNESDAY_MORNING)
    # 104.5 °F = 40.28 °C, above 40.0 °C.
    page = measured(patient_client, course, temperature_0="104.5", temperature_1="F")
    [sentence] = page.context["emergency"]
    assert sentence.startswith("Your temperature of 40.3 °C")


def test_very_severe_shortness_of_breath_sends_the_patient_to_the_emergency_number(
    at, patient_client, course
):
    at(WEDNESDAY_MORNING)
    page = answer_page(
        patient_client,
        report(
            patient_client,
            course,
            "shortness_of_breath",
            answers={"shortness_of_breath-severity": 4, "shortness_of_breath-interference": 4},
        ),
    )
    assert page.context["emergency"] == ["You are severely short of breath."]
    assert links(page)[0] == django_settings.EMERGENCY_NUMBER


def test_shortness_of_breath_at_composite_grade_2_is_not_an_emergency(at, patient_client, course):
    at(WEDNESDAY_MORNING)
    page = answer_page(
        patient_client,
        report(
            patient_client,
            course,
            "shortness_of_breath",
            # Severe (3), interferes "somewhat" (2): composite grade 2 (Basch 2021).
            answers={"shortness_of_breath-severity": 3, "shortness_of_breath-interference": 2},
        ),
    )
    assert page.context["emergency"] == []
    assert page.context["level"] == FlagLevel.REVIEW


def test_home_spo2_below_90_is_an_emergency_and_an_urgent_flag(at, patient_client, course):
    at(WEDNESDAY_MORNING)
    page = measured(patient_client, course, spo2="88")
    assert page.context["emergency"] == ["Your oxygen level of 88 % is below 90 %."]
    flag = Flag.objects.get(report=SymptomReport.objects.get())
    assert (flag.level, flag.rule, flag.term.slug, flag.value) == (
        FlagLevel.URGENT,
        "spo2_below_90",
        "hypoxia",
        "88 %",
    )


def test_home_spo2_of_90_is_neither(at, patient_client, course):
    at(WEDNESDAY_MORNING)
    page = measured(patient_client, course, spo2="90")
    assert page.context["emergency"] == []
    assert not Flag.objects.exists()
    assert "Oxygen level (SpO₂)" in page.text and "90\u00a0%" in page.text


def test_fever_with_dizziness_on_tocilizumab_names_both(at, patient_client, course):
    at(WEDNESDAY_MORNING)
    course.therapy = Therapy.objects.get(slug="tocilizumab")
    course.save()
    page = answer_page(
        patient_client,
        report(
            patient_client,
            course,
            "dizziness",
            # Moderate (2), interferes "somewhat" (2): composite grade 2 (Basch 2021).
            answers={"dizziness-severity": 2, "dizziness-interference": 2},
            temperature_0="38.4",
        ),
    )
    assert page.context["emergency"] == [
        "You have a temperature of 38.4 °C, and you report: dizziness. Tocilizumab can hide a "
        "serious infection."
    ]


def test_the_emergency_page_in_french(at, patient_client, course):
    at(WEDNESDAY_MORNING)
    patient_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"
    post_symptoms(patient_client, course, action="none")
    post_measurements(patient_client, course, temperature_0="40,3")
    page = answer_page(patient_client, send(patient_client, course))
    assert '<html lang="fr">' in page.text
    assert page.context["emergency"] == ["Votre température de 40,3 °C dépasse 40,0 °C."]
    assert "Appelez le numéro d’urgence maintenant" in page.text
    assert links(page)[:2] == [django_settings.EMERGENCY_NUMBER, CARE_TEAM]


def test_the_emergency_page_out_of_hours_gives_the_out_of_hours_number_second(
    at, patient_client, course
):
    at(SUNDAY_1_AM)
    page = measured(patient_client, course, temperature_0="40.3")
    assert links(page)[:2] == [django_settings.EMERGENCY_NUMBER, OUT_OF_HOURS]
    assert "Call the out-of-hours number: +33 1 98 76 54 32" in page.text


def test_a_corrected_temperature_takes_the_emergency_away(at, patient_client, course, clinician):
    at(WEDNESDAY_MORNING)
    measured(patient_client, course, temperature_0="40.3")
    saved = SymptomReport.objects.get()
    assert [s["sign"] for s in saved.emergency_signs] == ["high_temperature"]
    services.correct_record(
        record=saved, by=clinician, changes={"temperature_c": 37.3}, reason="Typed 40.3 for 37.3"
    )
    saved.refresh_from_db()
    assert saved.emergency_signs == []
    page = patient_client.get(reverse("tracker:patient-report-detail", args=[saved.pk]))
    assert page.context["emergency"] == []


# --- Opening hours: no promise of a look "today" when the team is closed ---------------------


def nausea_grade_2(client, course):
    # Frequently (3) and moderate (2): composite grade 2 (Basch 2021) -> review.
    return answer_page(
        client,
        report(client, course, "nausea", answers={"nausea-frequency": 3, "nausea-severity": 2}),
    )


def test_review_on_friday_at_17_59_is_today(at, patient_client, course):
    at(FRIDAY_17_59)
    page = nausea_grade_2(patient_client, course)
    assert page.context["level"] == FlagLevel.REVIEW
    assert "Your care team will look at it today" in page.text
    assert links(page)[0] == CARE_TEAM


def test_review_at_1_am_on_sunday_says_monday_at_08_00(at, patient_client, course):
    at(SUNDAY_1_AM)
    page = nausea_grade_2(patient_client, course)
    assert "Your care team will look at it on Monday at 08:00" in page.text
    assert "today" not in page.text.lower().replace("how are you today", "")
    assert links(page)[0] == OUT_OF_HOURS


def test_review_at_1_am_on_sunday_in_french(at, patient_client, course):
    at(SUNDAY_1_AM)
    patient_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = nausea_grade_2(patient_client, course)
    assert "Votre équipe de soins va le regarder lundi à 08:00" in page.text
    assert "aujourd" not in page.text.lower().replace("comment allez-vous aujourd’hui", "")


def test_review_early_on_monday_is_today_from_opening_time(at, patient_client, course):
    at("2026-12-07 06:30:00+01:00")
    page = nausea_grade_2(patient_client, course)
    assert "Your care team will look at it today from 08:00" in page.text
    assert links(page)[0] == OUT_OF_HOURS


def test_call_now_out_of_hours_uses_the_out_of_hours_number(at, patient_client, course):
    at(SUNDAY_1_AM)
    page = answer_page(
        patient_client,
        report(
            patient_client,
            course,
            "vomiting",
            answers={"vomiting-frequency": 3, "vomiting-severity": 3},
        ),
    )
    assert page.context["level"] == FlagLevel.URGENT
    assert page.context["emergency"] == []
    assert "call the out-of-hours number now" in page.text
    assert "call your care team now" not in page.text
    assert links(page)[0] == OUT_OF_HOURS


def test_my_page_out_of_hours_gives_the_out_of_hours_number(at, patient_client, course):
    at(SUNDAY_1_AM)
    report(
        patient_client,
        course,
        "vomiting",
        answers={"vomiting-frequency": 3, "vomiting-severity": 3},
    )
    page = patient_client.get(reverse("tracker:patient-home"))
    assert "call the out-of-hours number now" in page.text
    assert f'href="tel:{OUT_OF_HOURS}"' in page.text
    assert f'href="tel:{CARE_TEAM}"' not in page.text


def test_my_reports_do_not_promise_a_review_today(at, patient_client, course):
    at(SUNDAY_1_AM)
    nausea_grade_2(patient_client, course)
    page = patient_client.get(reverse("tracker:patient-reports"))
    assert "Review today" not in page.text
    assert "For your care team to review" in page.text


# --- Home SpO₂ on the measurement step and in corrections --------------------------------------


@pytest.mark.parametrize("typed", ["49", "101", "abc"])
def test_implausible_spo2_is_refused_at_the_field(patient_client, course, typed):
    post_symptoms(patient_client, course, action="none")
    response = post_measurements(patient_client, course, spo2=typed)
    assert response.status_code == 200
    assert "spo2" in response.context["form"].errors


def test_spo2_is_typed_with_a_comma_in_french(patient_client, course):
    patient_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"
    post_symptoms(patient_client, course, action="none")
    post_measurements(patient_client, course, spo2="89,5")
    send(patient_client, course)
    assert str(SymptomReport.objects.get().spo2) == "89.5"


def test_a_report_corrected_to_spo2_below_90_raises_the_urgent_flag(patient, course, clinician):
    saved = services.submit_report(course=course, by=patient.user, measurements={"spo2": 96})
    assert saved.flags_raised == [] and saved.report.emergency_signs == []
    corrected = services.correct_record(
        record=saved.report, by=clinician, changes={"spo2": 86}, reason="Read 96 for 86"
    )
    [flag] = corrected.flags_raised
    assert (flag.level, flag.rule) == (FlagLevel.URGENT, "spo2_below_90")
    saved.report.refresh_from_db()
    assert [s["sign"] for s in saved.report.emergency_signs] == ["low_oxygen"]


def test_my_treatment_gives_the_teams_hours_and_out_of_hours_number(patient_client, course):
    page = patient_client.get(reverse("tracker:patient-treatment"))
    assert "Monday to Friday, 08:00 to 18:00" in page.text
    assert f'href="tel:{OUT_OF_HOURS}"' in page.text
