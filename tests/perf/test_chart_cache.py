"""Course charts are drawn once per course version and language (tracker/charts.py)."""

import pytest
from django.core.cache import cache
from django.utils import translation

from therapies.models import SideEffectTerm
from tracker import charts, services
from tracker.summary import build_summary

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def draws(monkeypatch):
    """How many times each chart was really drawn."""
    counted = {"timeline": 0, "vitals": 0}
    for kind, name in (("timeline", "_draw_grade_timeline"), ("vitals", "_draw_vitals")):
        real = getattr(charts, name)

        def counting(summary, real=real, kind=kind):
            counted[kind] += 1
            return real(summary)

        monkeypatch.setattr(charts, name, counting)
    return counted


def report(course, by, grade=2, temperature="37.9"):
    nausea = SideEffectTerm.objects.get(slug="nausea")
    return services.submit_report(
        course=course,
        by=by,
        answers=[services.AnswerInput(term=nausea, frequency=grade, severity=grade)],
        measurements={"temperature_c": temperature},
    )


def test_an_unchanged_course_is_drawn_once(course, clinician, draws):
    report(course, clinician)
    first = charts.grade_timeline_svg(build_summary(course))
    second = charts.grade_timeline_svg(build_summary(course))
    assert first == second
    assert draws["timeline"] == 1


def test_vitals_are_drawn_once_too(course, clinician, draws):
    report(course, clinician)
    charts.vitals_svg(build_summary(course))
    assert charts.vitals_svg(build_summary(course)) is not None
    assert draws["vitals"] == 1


def test_a_new_report_draws_the_chart_again(course, clinician, draws):
    report(course, clinician)
    before = charts.grade_timeline_svg(build_summary(course))
    report(course, clinician, grade=3)
    after = charts.grade_timeline_svg(build_summary(course))
    assert draws["timeline"] == 2
    assert after != before


def test_a_report_entered_in_error_leaves_the_chart(course, clinician, draws):
    first = report(course, clinician, grade=1)
    report(course, clinician, grade=3)
    with_both = charts.grade_timeline_svg(build_summary(course))
    services.mark_entered_in_error(record=first, by=clinician, reason="wrong patient")
    without = charts.grade_timeline_svg(build_summary(course))
    assert without != with_both


def test_each_language_has_its_own_chart(course, clinician, draws):
    report(course, clinician)
    with translation.override("en"):
        english = charts.grade_timeline_svg(build_summary(course))
    with translation.override("fr"):
        french = charts.grade_timeline_svg(build_summary(course))
    assert draws["timeline"] == 2
    assert english != french


def test_no_chart_is_remembered_as_no_chart(course, draws):
    assert charts.grade_timeline_svg(build_summary(course)) is None
    assert charts.grade_timeline_svg(build_summary(course)) is None
    assert draws["timeline"] == 1


def test_two_courses_with_different_data_do_not_share_a_chart(
    course, other_course, clinician, other_clinician, draws
):
    report(course, clinician, grade=1)
    report(other_course, other_clinician, grade=3)
    assert charts.grade_timeline_svg(build_summary(course)) != charts.grade_timeline_svg(
        build_summary(other_course)
    )
