"""The course page draws its charts in its own HTML, from the data it shows, and keeps them under
the charts' version; a chart link with that version (`?v=`: PDFs, bookmarks, the page's
fallback) then serves the chart kept for it after the scoped lookup alone (tracker/charts.py)."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from therapies.models import SideEffectTerm
from tracker import charts, inline_svg, services, versions

pytestmark = pytest.mark.django_db


def report(course, by, grade):
    nausea = SideEffectTerm.objects.get(slug="nausea")
    services.submit_report(
        course=course,
        by=by,
        answers=[services.AnswerInput(term=nausea, frequency=grade, severity=grade)],
        measurements={"temperature_c": "37.4"},
    )


def page_timeline(client, course):
    """The timeline as the course page draws it (its marks, in the page's copy)."""
    text = client.get(reverse("tracker:course-detail", args=[course.pk])).text
    found = re.search(r'<svg [^>]*aria-labelledby="timeline-chart-title".*?</svg>', text, re.S)
    assert found, "the page draws its timeline"
    return found.group()


def timeline_link(course):
    """A link to the timeline for the course's current charts' version."""
    base = reverse("tracker:course-chart-timeline", args=[course.pk])
    return f"{base}?v={charts.course_version(course)}"


def as_drawn_now(course):
    """The page's copy of the timeline drawn afresh from the course's current data."""
    svg = charts.course_chart("timeline", course)
    return inline_svg.inline(svg, prefix="timeline-chart", width=charts.PAGE_CHART_WIDTH).rest


def test_the_page_version_carries_the_charts_version(course, clinician):
    report(course, clinician, grade=2)
    page = versions.course_version(course, part=versions.PAGE)
    pdf = versions.course_version(course, part=versions.PDF)
    assert page.charts == pdf.charts == charts.course_version(course)
    assert page.digest != page.charts  # the page's version covers more than the charts'


def test_the_page_after_a_write_draws_the_new_data(client, course, clinician):
    report(course, clinician, grade=1)
    client.force_login(clinician)
    before = page_timeline(client, course)
    assert before.endswith(as_drawn_now(course))

    report(course, clinician, grade=3)
    after = page_timeline(client, course)
    assert after != before
    assert after.endswith(as_drawn_now(course))
    # The link for the new version serves the chart the page drew, as drawn afresh.
    link = client.get(timeline_link(course))
    assert link.status_code == 200
    assert link.content.decode() == charts.course_chart("timeline", course)


def test_an_old_link_never_gets_a_chart_older_than_its_version(client, course, clinician):
    report(course, clinician, grade=1)
    client.force_login(clinician)
    page_timeline(client, course)
    old_url = timeline_link(course)
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
    page_timeline(client, course)  # the page drew and kept it: the link need not draw it
    url = timeline_link(course)
    # Session, user (as every signed-in page) and the scoped course: no version query.
    with django_assert_num_queries(3):
        assert client.get(url).status_code == 200


def test_another_teams_clinician_gets_404_on_a_versioned_chart_link(
    client, course, clinician, other_clinician
):
    report(course, clinician, grade=2)
    client.force_login(clinician)
    page_timeline(client, course)
    url = timeline_link(course)
    assert client.get(url).status_code == 200  # the chart is kept for this version
    client.force_login(other_clinician)
    assert client.get(url).status_code == 404
