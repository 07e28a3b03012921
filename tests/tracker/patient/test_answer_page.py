"""The answer right after sending: what to do, by the report's most serious open flag."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tracker.models import FlagLevel, SymptomReport

from .support import post_measurements, post_symptoms, report, send

# Inside the care team's opening hours unless a test says otherwise (test_opening_hours.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("care_team_open")]


def answer_page(client, response):
    assert response.status_code == 302
    return client.get(response["Location"])


def test_a_severe_symptom_says_to_call_the_care_team_now(patient_client, course, settings):
    settings.EMERGENCY_NUMBER = "112"
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
    assert "This may need hospitalization: call your care team now" in page.text
    assert 'href="tel:+33123456789"' in page.text  # the care team's phone for patients
    assert 'href="tel:112"' in page.text
    assert "Trouble breathing" in page.text
    assert "top number below 90" in page.text
    assert "A temperature over 40\u00a0°C (104\u00a0°F)" in page.text


def test_a_fever_on_an_il6_blocker_is_urgent_too(patient_client, course):
    from therapies.models import Therapy

    course.therapy = Therapy.objects.get(slug="tocilizumab")
    course.save()
    post_symptoms(patient_client, course, action="none")
    post_measurements(patient_client, course, temperature_0="38.5")
    page = answer_page(patient_client, send(patient_client, course))
    assert page.context["level"] == FlagLevel.URGENT


def test_a_clinic_without_its_own_number_shows_the_clinic_phone(patient_client, course, settings):
    settings.CLINIC_PHONE = "+33 1 99 99 99 99"
    course.care_team.phone = ""
    course.care_team.save()
    page = answer_page(
        patient_client,
        report(patient_client, course, "bleeding", answers={"bleeding-present": "yes"}),
    )
    assert 'href="tel:+33199999999"' in page.text


def test_a_moderate_symptom_says_the_care_team_will_look_today(patient_client, course):
    page = answer_page(
        patient_client,
        report(
            patient_client, course, "nausea", answers={"nausea-frequency": 2, "nausea-severity": 2}
        ),
    )
    assert page.context["level"] == FlagLevel.REVIEW
    assert "Your care team will look at it today" in page.text
    assert "This may need hospitalization" not in page.text


def test_an_expected_mild_symptom_is_recorded_with_self_care_advice(patient_client, course):
    page = answer_page(
        patient_client,
        report(
            patient_client,
            course,
            "injection_site_reaction",
            answers={"injection_site_reaction-present": "yes"},
        ),
    )
    assert page.context["level"] == FlagLevel.INFO
    assert "Recorded: this is expected with your treatment" in page.text
    assert "Use a different place for each injection" in page.text  # self_care.json


def test_no_symptoms_is_recorded_without_alarm(patient_client, course):
    post_symptoms(patient_client, course, action="none")
    post_measurements(patient_client, course)
    page = answer_page(patient_client, send(patient_client, course))
    assert page.context["level"] is None
    assert "Nothing in it needs your care team's attention." in page.text


def test_once_the_care_team_has_dealt_with_it_the_page_says_so(patient_client, course, clinician):
    report(patient_client, course, "nausea", answers={"nausea-frequency": 2, "nausea-severity": 2})
    saved = SymptomReport.objects.get()
    for flag in saved.flags.all():
        flag.resolve(by=clinician, note="Called the patient.")
    page = patient_client.get(reverse("tracker:patient-report-detail", args=[saved.pk]))
    assert "Your care team has looked at this report" in page.text


def test_the_answer_never_gives_dosing_advice(patient_client, course):
    pages = [
        answer_page(
            patient_client,
            report(patient_client, course, slug, answers=answers),
        ).text.lower()
        for slug, answers in [
            ("vomiting", {"vomiting-frequency": 4, "vomiting-severity": 4}),
            (
                "headache",
                {"headache-frequency": 1, "headache-severity": 1, "headache-interference": 0},
            ),
            ("injection_site_reaction", {"injection_site_reaction-present": "yes"}),
        ]
    ]
    for text in pages:
        for word in (" dose", "dosage", " mg", "skip your", "stop taking", "take less"):
            assert word not in text


def test_an_old_report_is_titled_by_its_date(patient_client, course):
    report(patient_client, course, "rash", answers={"rash-present": "no"})
    saved = SymptomReport.objects.get()
    saved.reported_at = timezone.now() - datetime.timedelta(days=3)
    saved.save()
    page = patient_client.get(reverse("tracker:patient-report-detail", args=[saved.pk]))
    assert "Your report of" in page.text


def test_the_page_says_when_the_care_team_saw_the_report(patient_client, course, clinician):
    report(patient_client, course, "nausea", answers={"nausea-frequency": 2, "nausea-severity": 2})
    saved = SymptomReport.objects.get()
    detail = reverse("tracker:patient-report-detail", args=[saved.pk])
    assert "Seen by your care team" not in patient_client.get(detail).text
    seen = timezone.make_aware(datetime.datetime(2026, 11, 24, 14, 5))  # noqa: DTZ001 (made aware)
    flag = saved.flags.get()
    flag.acknowledge(by=clinician, note="Query gastritis, review labs")
    type(flag).objects.filter(pk=flag.pk).update(acknowledged_at=seen)
    page = patient_client.get(detail)
    assert page.context["seen_at"] == seen
    # English pages write dates day first with the month by name (tracker/formats/en).
    assert "Seen by your care team on 24 Nov 2026 14:05." in page.text
    # A care-team note is not shown to the patient.
    assert "gastritis" not in page.text


def test_a_note_shared_with_the_patient_is_shown(patient_client, course, clinician):
    report(patient_client, course, "nausea", answers={"nausea-frequency": 2, "nausea-severity": 2})
    saved = SymptomReport.objects.get()
    saved.flags.get().acknowledge(
        by=clinician, note="Take the anti-nausea tablets before meals.", shared=True
    )
    page = patient_client.get(reverse("tracker:patient-report-detail", args=[saved.pk]))
    assert "From your care team" in page.text
    assert "Take the anti-nausea tablets before meals." in page.text
