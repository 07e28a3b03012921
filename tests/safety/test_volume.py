"""What one course page or PDF shows is bounded, whatever the course's size.

A patient's script once made 1,400 reports and 2,800 urgent flags in a minute: the course page
grew to 6.5 MB and the PDF ran past the server's timeout. Each list of the page shows at most
MAX_ROWS rows (the latest, urgent flags first), `?all=1` included, with a "showing the latest N
of M" line; the PDF prints at most its own few rows a listing. The limits are lowered here so
that a small course goes past them; the rows counted are those the HTML and PDF show.
"""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tracker.exports import pdf
from tracker.models import Flag, FlagLevel
from tracker.summary import build_summary
from tracker.views import clinician as clinician_views

pytestmark = pytest.mark.django_db

REPORTS = 8
# 40.5 °C is CTCAE v5.0 fever grade 3 (> 40.0 °C): an urgent flag each.
URGENT_REPORT = {"temperature_c": 40.5}


@pytest.fixture
def busy_course(course, patient, settings):
    settings.WRITE_RATE_LIMITS = {**settings.WRITE_RATE_LIMITS, "report": "1000/hour"}
    api = APIClient()
    api.force_authenticate(patient.user)
    for _ in range(REPORTS):
        assert (
            api.post(
                f"/api/v1/courses/{course.pk}/symptom-reports/", URGENT_REPORT, format="json"
            ).status_code
            == 201
        )
    urgent = Flag.objects.filter(course=course, level=FlagLevel.URGENT).count()
    assert urgent >= REPORTS
    return course


def rows_of(html, table_id):
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    body = re.search(r"<tbody.*?</tbody>", table, re.S).group(0)
    return len(re.findall(r"<tr\b", body))


def test_the_course_page_shows_at_most_max_rows_of_urgent_flags(
    client, clinician, busy_course, monkeypatch
):
    monkeypatch.setattr(clinician_views, "RECENT_ROWS", 2)
    monkeypatch.setattr(clinician_views, "MAX_ROWS", 5)
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-detail", args=[busy_course.pk]))
    total = Flag.objects.filter(course=busy_course).exclude(status="resolved").count()
    assert rows_of(response.text, "course-flags") == 5
    assert f"5 of {total} shown." in response.text


def test_every_record_on_request_is_still_at_most_max_rows(
    client, clinician, busy_course, monkeypatch
):
    monkeypatch.setattr(clinician_views, "RECENT_ROWS", 2)
    monkeypatch.setattr(clinician_views, "MAX_ROWS", 5)
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-detail", args=[busy_course.pk]), {"all": "1"})
    text = response.text
    assert rows_of(text, "course-flags") == 5
    assert len(response.context["records"]) == 5
    assert f"Showing the latest 5 of {REPORTS}." in text
    assert "Lists below show at most the latest 5 rows each" in text
    assert "Every record of the course is listed below." not in text


def test_the_latest_of_m_line_groups_thousands(client, clinician, course, monkeypatch):
    """The count reads as "1,400", as the clinician would write it."""
    from django.template.loader import render_to_string

    html = render_to_string(
        "tracker/clinician/_more_rows.html",
        {"count": {"shown": 200, "total": 1400}, "show_all": True, "course": course},
    )
    assert "Showing the latest 200 of 1,400." in " ".join(html.split())


def test_the_pdf_prints_a_bounded_number_of_urgent_flags(clinician, busy_course, monkeypatch):
    monkeypatch.setattr(pdf, "URGENT_FLAG_ROWS", 3)
    context = pdf.document_context(build_summary(busy_course), printed_by=clinician)
    flags = context["flags"]
    assert len(flags) <= 3 + pdf.FLAG_ROWS
    assert len([f for f in flags if f.level == FlagLevel.URGENT]) == 3
    assert flags.total == Flag.objects.filter(course=busy_course).count()
    html = pdf.render_html(context, language="en")
    text = " ".join(html.split())
    assert f"The latest {len(flags)} of {flags.total} flags are printed" in text
