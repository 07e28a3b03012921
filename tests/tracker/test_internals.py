"""The private parts of Django, DRF and django-simple-history that tracker/internals.py leans
on still exist and behave as it expects: these fail on an upgrade that changes them, before a
clinician meets a wrong answer or a stale chart."""

import django
import pytest
import rest_framework
import simple_history
from rest_framework import serializers

from tests.tracker.exports.conftest import fill, make_il2_course
from tracker import internals
from tracker.api.serializers import RecordSerializer
from tracker.charts import course_version
from tracker.models import Course, Flag, FlagTransitionError, SymptomReport

pytestmark = pytest.mark.django_db


def _major_minor(version):
    return tuple(int(part) for part in str(version).split(".")[:2])


def test_reviewed_with_the_installed_versions():
    installed = (
        tuple(django.VERSION[:2]),
        _major_minor(rest_framework.VERSION),
        _major_minor(simple_history.__version__),
    )
    assert installed == internals.REVIEWED_WITH, (
        "Django, DRF or django-simple-history changed: review tracker/internals.py against "
        "the new version, then update REVIEWED_WITH."
    )


def test_djangos_prefetch_cache_is_where_with_prefetched_writes(course):
    fetched = Course.objects.prefetch_related("reports").get(pk=course.pk)
    assert "reports" in fetched._prefetched_objects_cache
    queryset = fetched._prefetched_objects_cache["reports"]
    assert queryset._prefetch_done is True
    assert queryset._result_cache == []


def test_with_prefetched_objects_are_read_without_a_query(
    course, patient, django_assert_num_queries
):
    reports = [SymptomReport(course=course, submitted_by=patient.user)]
    internals.with_prefetched(course, reports=reports)
    with django_assert_num_queries(0):
        assert list(course.reports.all()) == reports


class _CourseFields(RecordSerializer):
    class Meta:
        model = Course
        fields = ["id", "start_date", "indication"]


def test_drf_builds_fields_through_get_fields():
    built = []

    class Counting(serializers.ModelSerializer):
        class Meta:
            model = Course
            fields = ["id", "start_date"]

        def get_fields(self):
            built.append(1)
            return super().get_fields()

    assert list(Counting().fields) == ["id", "start_date"]
    assert built == [1]


def test_fields_are_built_once_per_class_and_copied_per_instance():
    first, second = _CourseFields(), _CourseFields()
    assert list(first.fields) == list(second.fields) == ["id", "start_date", "indication"]
    assert first.fields["start_date"] is not second.fields["start_date"]
    assert "_built_fields" in _CourseFields.__dict__
    assert "_built_fields" not in RecordSerializer.__dict__


def test_a_flag_raised_in_bulk_refuses_a_new_judgement(patient, clinician):
    course = fill(make_il2_course(patient), patient, clinician)
    flag = Flag.objects.filter(course=course).first()
    assert flag is not None
    vars(flag).pop("_judgement")  # as a bulk insert leaves it: Flag.save never ran
    internals.fix_judgement(flag)
    flag.level = "info" if flag.level != "info" else "urgent"
    with pytest.raises(FlagTransitionError):
        flag.save()


def test_history_tables_are_keyed_by_history_id():
    assert Course.history.model._meta.pk.name == "history_id"
    assert SymptomReport.history.model._meta.pk.name == "history_id"


def test_course_version_changes_with_a_write(course, clinician):
    before = course_version(course)
    course.indication = "Metastatic melanoma"
    course.save()
    assert course_version(course) != before
