"""My page, my reports (chart and table) and my treatment."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from therapies.models import SideEffectTerm, Therapy
from tracker import services
from tracker.models import Flag

pytestmark = pytest.mark.django_db

REPORTS = reverse("tracker:patient-reports")


def submit(course, days_ago=0, **answers):
    terms = SideEffectTerm.objects.in_bulk(list(answers), field_name="slug")
    return services.submit_report(
        course=course,
        by=course.patient.user,
        reported_at=timezone.now() - datetime.timedelta(days=days_ago),
        answers=[
            services.AnswerInput(term=terms[slug], **scores) for slug, scores in answers.items()
        ],
        measurements={"temperature_c": Decimal("37.9")},
    ).report


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_my_reports_take_the_same_queries_for_2_or_5_reports(patient_client, course):
    for day in range(2):
        submit(course, days_ago=day, nausea={"frequency": 1, "severity": 1})
    two = queries_for(patient_client, REPORTS)
    for day in range(2, 5):
        submit(course, days_ago=day, nausea={"frequency": 2, "severity": 1}, rash={"present": True})
    # session, user, reports, their answers (with terms), their flags
    assert queries_for(patient_client, REPORTS) == two == 5


def test_my_reports_show_answers_in_words_and_grades(patient_client, course):
    submit(course, nausea={"frequency": 3, "severity": 2})
    response = patient_client.get(REPORTS)
    assert "Frequently, Moderate" in response.text
    assert "grade 2 of 3" in response.text
    assert "37.9\u00a0°C" in response.text


def test_my_reports_show_the_grade_chart_as_an_image(patient_client, course):
    submit(course, nausea={"frequency": 3, "severity": 2})
    response = patient_client.get(REPORTS)
    chart = reverse("tracker:patient-grade-chart", args=[course.pk])
    assert f'src="{chart}"' in response.text
    assert "<svg" not in response.text


def test_the_chart_is_served_as_svg(patient_client, course):
    submit(course, nausea={"frequency": 3, "severity": 2})
    response = patient_client.get(reverse("tracker:patient-grade-chart", args=[course.pk]))
    assert response["Content-Type"] == "image/svg+xml"
    assert 'id="grade-point' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_there_is_no_chart_before_anything_is_graded(patient_client, course):
    response = patient_client.get(reverse("tracker:patient-grade-chart", args=[course.pk]))
    assert response.status_code == 404
    assert "grade-chart" not in patient_client.get(REPORTS).text


def test_my_treatment_lists_the_expected_side_effects_in_patient_words(patient_client, course):
    response = patient_client.get(reverse("tracker:patient-treatment"))
    (shown,) = response.context["courses"]
    assert [t.slug for t in shown.noticed] == [
        "nausea",
        "vomiting",
        "diarrhea",
        "abdominal_pain",
        "headache",
        "joint_aches",
        "rash",
        "injection_site_reaction",
    ]
    assert "Pain, swelling or redness where the drug went in" in response.text
    assert "Trouble breathing" in response.text  # when to call emergency services


def test_my_treatment_warns_about_any_fever_on_an_il6_blocker(patient_client, course):
    course.therapy = Therapy.objects.get(slug="tocilizumab")
    course.save()
    response = patient_client.get(reverse("tracker:patient-treatment"))
    assert "Any fever: a temperature of 38\u00a0°C (100.4\u00a0°F) or more" in response.text


def test_my_page_has_the_report_button_and_the_due_date(patient_client, course):
    response = patient_client.get(reverse("tracker:patient-home"))
    assert reverse("tracker:patient-report-create", args=[course.pk]) in response.text
    assert "How are you today?" in response.text
    # Started 10 days ago, nothing reported: the start day was the due day.
    assert "A report was due on" in response.text


def test_my_page_shows_the_call_now_panel_while_an_urgent_flag_is_open(
    care_team_open, patient_client, course, clinician
):
    saved = submit(course, vomiting={"frequency": 4, "severity": 4})
    assert "call your care team now" in patient_client.get(reverse("tracker:patient-home")).text
    for flag in Flag.objects.filter(report=saved):
        flag.resolve(by=clinician)
    assert "call your care team now" not in patient_client.get(reverse("tracker:patient-home")).text


def _chart(client, course, **headers):
    response = client.get(reverse("tracker:patient-grade-chart", args=[course.pk]), **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_my_chart_names_the_side_effects_in_the_words_i_ticked(patient_client, course):
    submit(
        course,
        joint_aches={"frequency": 2, "severity": 2, "interference": 1},
        shortness_of_breath={"severity": 2, "interference": 1},
    )
    svg = _chart(patient_client, course)
    assert "Aching joints" in svg and "Shortness of breath" in svg
    assert "Arthralgia" not in svg and "Dyspnea" not in svg


def test_my_chart_in_french_uses_the_french_words(patient_client, course, patient):
    patient.user.preferred_language = "fr"
    patient.user.save()
    submit(course, joint_aches={"frequency": 2, "severity": 2, "interference": 1})
    svg = _chart(patient_client, course, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Douleurs articulaires" in svg and "Arthralgia" not in svg


def test_the_clinicians_chart_keeps_the_ctcae_terms(client, clinician, course):
    submit(course, joint_aches={"frequency": 2, "severity": 2, "interference": 1})
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-chart-timeline", args=[course.pk]))
    svg = response.content.decode()
    assert "Arthralgia" in svg and "Aching joints" not in svg


def test_my_reports_open_on_the_newest_report(patient_client, course):
    submit(course, days_ago=3, nausea={"frequency": 1, "severity": 1})
    submit(course, days_ago=0, diarrhea={"frequency": 3})
    text = patient_client.get(REPORTS).text
    latest = text[text.index('id="latest-report"') : text.index("</section>")]
    assert "Loose or watery stools" in latest and "Nausea" not in latest
    # The newest report comes before the chart and the list of all reports.
    assert text.index('id="latest-report"') < text.index("grade-chart")
    assert text.index('id="latest-report"') < text.index('id="my-reports"')
