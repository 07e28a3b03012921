"""Course charts are drawn once per course version and language (tracker/charts.py)."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from therapies.models import SideEffectTerm
from tracker import charts, services
from tracker.models import Flag
from tracker.summary import build_summary

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def draws(monkeypatch):
    """How many times each chart was really drawn (SVG or PNG)."""
    counted = {"timeline": 0, "vitals": 0}
    real = charts._draw

    def counting(kind, summary, image_format="svg"):
        counted[kind] += 1
        return real(kind, summary, image_format)

    monkeypatch.setattr(charts, "_draw", counting)
    return counted


def report(course, by, grade=2, temperature="37.9"):
    nausea = SideEffectTerm.objects.get(slug="nausea")
    return services.submit_report(
        course=course,
        by=by,
        answers=[services.AnswerInput(term=nausea, frequency=grade, severity=grade)],
        measurements={"temperature_c": temperature},
    ).report


def test_an_unchanged_course_is_drawn_once(course, clinician, draws):
    report(course, clinician)
    first = charts.course_chart("timeline", course)
    second = charts.course_chart("timeline", course)
    assert first == second
    assert draws["timeline"] == 1


def test_vitals_are_drawn_once_too(course, clinician, draws):
    report(course, clinician)
    charts.course_chart("vitals", course)
    assert charts.course_chart("vitals", course) is not None
    assert draws["vitals"] == 1


def test_a_new_report_draws_the_chart_again(course, clinician, draws):
    report(course, clinician)
    before = charts.course_chart("timeline", course)
    report(course, clinician, grade=3)
    after = charts.course_chart("timeline", course)
    assert draws["timeline"] == 2
    assert after != before


def test_a_report_entered_in_error_leaves_the_chart(course, clinician, draws):
    first = report(course, clinician, grade=1)
    report(course, clinician, grade=3)
    with_both = charts.course_chart("timeline", course)
    services.mark_entered_in_error(record=first, by=clinician, reason="wrong patient")
    without = charts.course_chart("timeline", course)
    assert without != with_both


def test_each_language_has_its_own_chart(course, clinician, draws):
    report(course, clinician)
    with translation.override("en"):
        english = charts.course_chart("timeline", course)
    with translation.override("fr"):
        french = charts.course_chart("timeline", course)
    assert draws["timeline"] == 2
    assert english != french


def test_no_chart_is_remembered_as_no_chart(course, draws):
    assert charts.course_chart("timeline", course) is None
    assert charts.course_chart("timeline", course) is None
    assert draws["timeline"] == 1


def test_two_courses_with_different_data_do_not_share_a_chart(
    course, other_course, clinician, other_clinician, draws
):
    report(course, clinician, grade=1)
    report(other_course, other_clinician, grade=3)
    assert charts.course_chart("timeline", course) != charts.course_chart("timeline", other_course)


# --- The course version: a cached chart is found without gathering the summary -----------------


def visit(course, by, grade=2, systolic=120):
    fatigue = SideEffectTerm.objects.get(slug="fatigue")
    return services.record_visit(
        course=course,
        by=by,
        measurements={"systolic_bp": systolic, "temperature_c": "37.2"},
        adverse_events=[services.AdverseEventEntry(term=fatigue, grade=grade)],
    ).visit


def test_a_cached_chart_takes_one_query_and_no_summary(
    course, clinician, draws, django_assert_num_queries, monkeypatch
):
    report(course, clinician)
    charts.course_chart("timeline", course)
    monkeypatch.setattr(charts, "_summary_for", lambda course: pytest.fail("summary gathered"))
    with django_assert_num_queries(1):  # the course's version
        svg = charts.course_chart("timeline", course)
    assert svg is not None
    assert draws["timeline"] == 1


def test_the_pdf_pictures_are_drawn_once_per_version(course, clinician, draws):
    report(course, clinician)
    first = charts.print_chart_png("vitals", build_summary(course, chart_version=True))
    second = charts.print_chart_png("vitals", build_summary(course, chart_version=True))
    assert first == second
    assert draws["vitals"] == 1


def test_a_summary_without_its_version_is_drawn_not_cached(course, clinician, draws):
    report(course, clinician)
    charts.print_chart_png("vitals", build_summary(course))
    charts.print_chart_png("vitals", build_summary(course))
    assert draws["vitals"] == 2


def _changes(course, kind, write):
    """The chart `kind` before and after `write`: it must differ."""
    before = charts.course_chart(kind, course)
    write()
    after = charts.course_chart(kind, course)
    assert after != before
    return after


def test_chart_follows_a_new_report(course, clinician, draws):
    report(course, clinician, grade=1)
    _changes(course, "timeline", lambda: report(course, clinician, grade=3))
    _changes(course, "vitals", lambda: report(course, clinician, temperature="39.1"))


def test_chart_follows_a_new_visit(course, clinician, draws):
    report(course, clinician)
    _changes(course, "timeline", lambda: visit(course, clinician))
    _changes(course, "vitals", lambda: visit(course, clinician, systolic=85))


@pytest.mark.parametrize(
    ("corrected", "kind", "changes"),
    [
        ("report", "vitals", {"temperature_c": 38.6}),
        ("visit", "vitals", {"systolic_bp": 95}),
        ("adverse event", "timeline", {"grade": 3}),
    ],
)
def test_chart_follows_a_correction(course, clinician, draws, corrected, kind, changes):
    if corrected == "report":
        record = report(course, clinician)
    elif corrected == "visit":
        record = visit(course, clinician, grade=1)
    else:
        record = visit(course, clinician, grade=1).adverse_events.get()
    _changes(
        course,
        kind,
        lambda: (
            services.correct_record(
                record=record, by=clinician, changes=changes, reason="misread"
            ).record
        ),
    )


def test_chart_follows_records_entered_in_error(course, clinician, draws):
    wrong_report = report(course, clinician, grade=3)
    wrong_visit = visit(course, clinician, systolic=85)
    kept = visit(course, clinician, grade=2)
    _changes(
        course,
        "timeline",
        lambda: services.mark_entered_in_error(record=wrong_report, by=clinician, reason="x"),
    )
    _changes(
        course,
        "vitals",
        lambda: services.mark_entered_in_error(record=wrong_visit, by=clinician, reason="x"),
    )
    # The adverse event's point may stay drawn from its (now resolved) flag's grade: what
    # matters here is that the chart is drawn again from the records as they now stand.
    charts.course_chart("timeline", course)
    drawn = draws["timeline"]
    services.mark_entered_in_error(record=kept.adverse_events.get(), by=clinician, reason="x")
    charts.course_chart("timeline", course)
    assert draws["timeline"] == drawn + 1


def test_chart_follows_a_recorded_dose(course, clinician, draws):
    report(course, clinician)
    _changes(
        course,
        "timeline",
        lambda: services.record_dose(
            course=course,
            by=clinician,
            dose_number=1,
            scheduled_at=course_time(course),
            administered_at=course_time(course),
            status="given",
        ),
    )


def test_a_flag_workflow_step_makes_a_new_version(course, clinician):
    flag = Flag.objects.get(report=report(course, clinician, grade=3))
    before = charts.course_version(course)
    services.acknowledge_flag(flag=flag, by=clinician)
    assert charts.course_version(course) != before


def test_chart_follows_an_edited_course(course, clinician, draws):
    report(course, clinician)

    def move_start():
        course.start_date -= datetime.timedelta(days=7)
        course.save()

    _changes(course, "timeline", move_start)


def test_chart_follows_a_renamed_term(course, clinician, draws):
    report(course, clinician)

    def rename():
        SideEffectTerm.objects.filter(slug="nausea").update(ctcae_term="Nausea (renamed)")

    assert "Nausea (renamed)" in _changes(course, "timeline", rename)


def test_the_version_is_per_course(course, other_course, clinician):
    before = charts.course_version(other_course)
    report(course, clinician)
    assert charts.course_version(other_course) == before


def course_time(course):
    return timezone.make_aware(
        datetime.datetime.combine(course.start_date, datetime.time(10, 0))
    ) + datetime.timedelta(hours=1)
