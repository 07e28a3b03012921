"""visible_to(user): the one place that decides who sees which record."""

import pytest

from tests import factories
from tracker import services
from tracker.models import Course, Flag, Patient, SymptomReport

pytestmark = pytest.mark.django_db


def test_clinician_sees_patients_of_their_care_teams_only(clinician, patient, other_patient):
    assert list(Patient.objects.visible_to(clinician)) == [patient]


def test_clinician_sees_a_patient_whose_course_their_team_runs(clinician, care_team, other_patient):
    factories.CourseFactory(patient=other_patient, care_team=care_team)
    assert list(Patient.objects.visible_to(clinician)) == [other_patient]


def test_patient_sees_only_their_own_record(patient, other_patient, course, other_course):
    assert list(Patient.objects.visible_to(patient.user)) == [patient]
    assert list(Course.objects.visible_to(patient.user)) == [course]


def test_a_clinician_on_two_teams_sees_each_course_once(
    clinician, course, other_course, other_care_team
):
    other_care_team.members.add(clinician)
    second = factories.CourseFactory(patient=course.patient)
    visible = list(Course.objects.visible_to(clinician))
    assert sorted(c.pk for c in visible) == sorted([course.pk, other_course.pk, second.pk])


def test_anonymous_and_unknown_roles_see_nothing(course):
    from django.contrib.auth.models import AnonymousUser

    assert not Course.objects.visible_to(AnonymousUser()).exists()
    assert not Course.objects.visible_to(None).exists()


def test_administrator_sees_everything(admin_user, course, other_course):
    assert Course.objects.visible_to(admin_user).count() == 2


def test_reports_and_flags_are_scoped_through_their_course(
    clinician, patient, course, other_patient, other_course
):
    services.submit_report(course=course, by=patient.user, measurements={"temperature_c": 38.2})
    services.submit_report(
        course=other_course, by=other_patient.user, measurements={"temperature_c": 38.2}
    )
    assert {r.course for r in SymptomReport.objects.visible_to(clinician)} == {course}
    assert {f.course for f in Flag.objects.visible_to(clinician)} == {course}


def test_a_flag_judgement_cannot_be_edited(patient, course):
    from tracker.models import FlagTransitionError

    report = services.submit_report(
        course=course, by=patient.user, measurements={"temperature_c": 38.2}
    ).report
    flag = Flag.objects.get(report=report)
    judged = flag.level
    flag.level = "urgent" if judged != "urgent" else "info"
    with pytest.raises(FlagTransitionError):
        flag.save()
    assert Flag.objects.get(pk=flag.pk).level == judged


def test_a_flag_is_never_deleted(patient, course):
    from django.core.exceptions import ValidationError

    services.submit_report(course=course, by=patient.user, measurements={"temperature_c": 38.2})
    with pytest.raises(ValidationError):
        Flag.objects.get().delete()
    assert Flag.objects.count() == 1


def test_a_patient_appears_once_for_a_clinician_whose_team_has_several_members(
    clinician, care_team, patient
):
    care_team.members.add(factories.ClinicianFactory(), factories.ClinicianFactory())
    factories.CourseFactory(patient=patient)
    assert Patient.objects.visible_to(clinician).get() == patient
