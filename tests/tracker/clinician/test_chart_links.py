"""The course page links to its charts with the charts' version (`?v=`); a chart request then
serves the chart kept for that version after the scoped lookup alone (tracker/charts.py)."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from therapies.models import SideEffectTerm
from tracker import charts, services, versions

pytestmark = pytest.mark.django_db


def report(course, by, grade):
    nausea = SideEffectTerm.objects.get(slug="nausea")
    services.submit_report(
        course=course,
        by=by,
        answers=[services.AnswerInput(term=nausea, frequency=grade, severity=grade)],
        measurements={"temperature_c": "37.4"},
    )


def timeline_link(client, course):
    text = client.get(reverse("tracker:course-detail", args=[course.pk])).text
    base = reverse("tracker:course-chart-timeline", args=[course.pk])
    found = re.search(rf'src="({re.escape(base)}\?v=([0-9a-f]{{64}}))"', text)
    assert found, "the page links to its timeline with a version"
    return found.group(1), found.group(2)


def test_the_page_version_carries_the_charts_version(course, clinician):
    report(course, clinician, grade=2)
    page = versions.course_version(course, part=versions.PAGE)
    pdf = versions.course_version(course, part=versions.PDF)
    assert page.charts == pdf.charts == charts.course_version(course)
    assert page.digest != page.charts  # the page's version covers more than the charts'


def test_a_chart_link_after_a_write_shows_the_new_data(client, course, clinician):
    report(course, clinician, grade=1)
    client.force_login(clinician)
    before_url, before_version = timeline_link(client, course)
    before = client.get(before_url)
    assert before.status_code == 200

    report(course, clinician, grade=3)
    after_url, after_version = timeline_link(client, course)
    assert after_version != before_version
    after = client.get(after_url)
    assert after.status_code == 200
    assert after.content != before.content
    # The same picture as the chart drawn afresh from the course's current data.
    assert after.content.decode() == charts.course_chart("timeline", course)


def test_an_old_link_never_gets_a_chart_older_than_its_version(client, course, clinician):
    report(course, clinician, grade=1)
    client.force_login(clinician)
    old_url, _version = timeline_link(client, course)
    report(course, clinician, grade=3)
    cache.clear()
    charts.kept.clear()  # nothing kept for the old version (another process, a restart)
    response = client.get(old_url)
    assert response.status_code == 200
    assert response.content.decode() == charts.course_chart("timeline", course)


def test_a_made_up_version_gets_the_current_chart(client, course, clinician):
    report(course, clinician, grade=2)
    client.force_login(clinician)
    url = reverse("tracker:course-chart-timeline", args=[course.pk])
    response = client.get(f"{url}?v={'0' * 64}")
    assert response.status_code == 200
    assert response.content.decode() == charts.course_chart("timeline", course)


def test_a_kept_chart_costs_the_scoped_lookup_alone(
    client, course, clinician, django_assert_num_queries
):
    report(course, clinician, grade=2)
    client.force_login(clinician)
    url, _version = timeline_link(client, course)
    client.get(url)
    # Session, user (as every signed-in page) and the scoped course: no version query.
    with django_assert_num_queries(3):
        assert client.get(url).status_code == 200


def test_another_teams_clinician_gets_404_on_a_versioned_chart_link(
    client, course, clinician, other_clinician
):
    report(course, clinician, grade=2)
    client.force_login(clinician)
    url, _version = timeline_link(client, course)
    assert client.get(url).status_code == 200  # the chart is kept for this version
    client.force_login(other_clinician)
    assert client.get(url).status_code == 404
