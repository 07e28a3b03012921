"""A symptom report recorded by a clinician on the patient's behalf (a phone call)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tracker.models import Flag, FlagLevel, ReportSource, SymptomReport

pytestmark = pytest.mark.django_db


def report_data(**fields):
    return {
        "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "recall_period": "7d",
        "temperature_c_0": "",
        "temperature_c_1": "C",
        "weight_kg_0": "",
        "weight_kg_1": "kg",
        "note": "",
        **fields,
    }


def post_report(client, course, **fields):
    return client.post(reverse("tracker:report-create", args=[course.pk]), report_data(**fields))


def test_a_report_by_phone_is_graded_and_flagged(client, clinician, course):
    client.force_login(clinician)
    response = post_report(
        client,
        course,
        nausea__frequency="3",
        nausea__severity="3",
        bleeding__present="yes",
        temperature_c_0="38.2",
    )
    report = SymptomReport.objects.get()
    assert response["Location"] == reverse("tracker:report-detail", args=[report.pk]) + "?saved=1"
    assert report.source == ReportSource.CLINICIAN
    assert report.submitted_by == clinician
    nausea = report.answers.get(term__slug="nausea")
    assert nausea.composite_grade == 3
    assert report.answers.get(term__slug="bleeding").present is True
    assert Flag.objects.filter(report=report, level=FlagLevel.URGENT).exists()


def test_the_result_page_shows_the_flags(client, clinician, course):
    client.force_login(clinician)
    response = post_report(client, course, bleeding__present="yes")
    page = client.get(response["Location"])
    assert "Saved. What the rules found" in page.text
    assert "May need hospitalization" in page.text


def test_a_later_question_without_the_first_is_refused_at_the_first(client, clinician, course):
    client.force_login(clinician)
    response = post_report(client, course, nausea__severity="2")
    assert response.context["form"].errors["nausea__frequency"] == ["This answer is required."]
    assert not SymptomReport.objects.exists()
    assert '<option value="2" selected>' in response.text


def test_an_empty_report_is_refused(client, clinician, course):
    client.force_login(clinician)
    response = post_report(client, course)
    assert "Enter at least one answer or measurement." in response.text
    assert not SymptomReport.objects.exists()


def test_a_measurement_alone_is_a_report(client, clinician, course):
    client.force_login(clinician)
    post_report(client, course, systolic_bp="118")
    assert SymptomReport.objects.get().systolic_bp == 118


def test_the_form_asks_each_terms_own_questions(client, clinician, course):
    client.force_login(clinician)
    form = client.get(reverse("tracker:report-create", args=[course.pk])).context["form"]
    assert "rash__present" in form.fields
    assert "rash__severity" not in form.fields
    assert "fatigue__severity" in form.fields
    assert "fatigue__frequency" not in form.fields
