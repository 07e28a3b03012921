"""The queries several pages share live on the models' querysets: the latest report and the
next due date (patient home, not-reported list, reminders), the open flags per level (home
overview, patient page), the flags that count (course summary, cohort export)."""

import datetime

import pytest
from django.utils import timezone

from tests import factories
from tracker import summary
from tracker.models import Course, Flag, FlagLevel, FlagStatus, Patient, SymptomReport, Visit

from .conftest import make_flag

pytestmark = pytest.mark.django_db


def _report(course, days_ago, **fields):
    return SymptomReport.objects.create(
        course=course,
        reported_at=timezone.now() - datetime.timedelta(days=days_ago),
        temperature_c=37,
        **fields,
    )


def _with_last_report(course):
    return Course.objects.with_last_report().get(pk=course.pk)


def test_the_last_report_is_the_latest_not_entered_in_error(patient):
    course = factories.CourseFactory(
        patient=patient, start_date=timezone.localdate() - datetime.timedelta(days=30)
    )
    kept = _report(course, days_ago=8)
    _report(course, days_ago=10)
    _report(course, days_ago=1, entered_in_error=True, entered_in_error_reason="wrong patient")
    found = _with_last_report(course)
    assert found.last_reported_at == kept.reported_at
    assert found.last_report_on == timezone.localtime(kept.reported_at).date()


def test_after_the_first_two_weeks_the_next_report_is_due_a_week_after_the_last(patient):
    # tracker/schedule.py: daily reports for the first 14 days of a course, then weekly.
    today = timezone.localdate()
    course = factories.CourseFactory(patient=patient, start_date=today - datetime.timedelta(30))
    last = _report(course, days_ago=8)
    found = _with_last_report(course)
    last_day = timezone.localtime(last.reported_at).date()
    assert found.report_due() == last_day + datetime.timedelta(days=7)
    assert found.report_overdue(today) is (last_day + datetime.timedelta(days=7) < today)


def test_before_any_report_the_first_is_due_on_the_start_day(patient):
    today = timezone.localdate()
    course = factories.CourseFactory(patient=patient, start_date=today - datetime.timedelta(3))
    found = _with_last_report(course)
    assert found.last_reported_at is None and found.last_report_on is None
    assert found.report_due() == today - datetime.timedelta(3)
    assert found.report_overdue(today)
    assert not found.report_overdue(today - datetime.timedelta(3))  # the due day is not late


def test_each_course_counts_its_open_flags_per_level(course, other_course):
    make_flag(course, FlagLevel.URGENT)
    make_flag(course, FlagLevel.URGENT)
    make_flag(course, FlagLevel.REVIEW)
    make_flag(course, FlagLevel.INFO, status=FlagStatus.ACKNOWLEDGED)
    make_flag(other_course, FlagLevel.INFO)
    counts = {
        c.pk: (c.open_urgent, c.open_review, c.open_info)
        for c in Course.objects.with_open_flag_counts()
    }
    assert counts == {course.pk: (2, 1, 0), other_course.pk: (0, 0, 1)}


def test_the_flags_that_count_leave_out_those_of_records_entered_in_error_and_withdrawn(course):
    standing = make_flag(course)
    make_flag(course, withdrawn=True)
    wrong_report = SymptomReport.objects.create(
        course=course, temperature_c=40.3, entered_in_error=True, entered_in_error_reason="typo"
    )
    make_flag(course, report=wrong_report)
    wrong_visit = Visit.objects.create(
        course=course, temperature_c=40.3, entered_in_error=True, entered_in_error_reason="typo"
    )
    make_flag(course, report=None, visit=wrong_visit)
    assert list(Flag.objects.filter(course=course).current()) == [standing]
    assert Flag.objects.filter(course=course).count() == 4


def test_the_course_summary_shows_only_the_flags_that_count(course):
    standing = make_flag(course)
    make_flag(course, withdrawn=True)
    assert [f.pk for f in summary.build_summary(course).flags] == [standing.pk]


def test_a_patient_is_listed_once_however_many_team_members_and_courses(patient, clinician):
    colleague = factories.ClinicianFactory(username="colleague")
    patient.care_team.members.add(colleague, factories.ClinicianFactory(username="third"))
    factories.CourseFactory(patient=patient)
    factories.CourseFactory(patient=patient)
    assert list(Patient.objects.visible_to(clinician)) == [patient]
    assert list(Patient.objects.visible_to(colleague)) == [patient]


def test_the_worst_level_of_flags_is_the_most_serious(course):
    flags = [make_flag(course, level) for level in (FlagLevel.INFO, FlagLevel.URGENT)]
    assert summary.worst_level(flags) == FlagLevel.URGENT
    assert summary.worst_level(flags[:1]) == FlagLevel.INFO
    assert summary.worst_level([]) is None
