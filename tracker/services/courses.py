"""Courses started by a clinician, from the page or the API: one rule for the care team, one
history reason."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import CareTeam, Course, Patient
from .history import _save_with_history

log = logging.getLogger(__name__)


def course_care_team(*, patient: Patient, by, care_team: CareTeam | None = None) -> CareTeam:
    """The care team a new course belongs to: one of the clinician's own teams; when none is
    named, the patient's team if the clinician is on it."""
    teams = {team.pk: team for team in by.care_teams.all()}
    if care_team is None:
        if patient.care_team_id in teams:
            return teams[patient.care_team_id]
        raise ValidationError({"care_team": _("Choose one of your care teams for this course.")})
    if care_team.pk not in teams:
        raise ValidationError({"care_team": _("A course is started for one of your care teams.")})
    return care_team


@transaction.atomic
def start_course(*, patient: Patient, by, care_team: CareTeam | None = None, **fields) -> Course:
    """Start a course of a therapy for a patient, recorded in its history as created by `by`.
    Left empty, the regimen is the therapy's labelled one."""
    course = Course(
        patient=patient,
        care_team=course_care_team(patient=patient, by=by, care_team=care_team),
        created_by=by,
        **fields,
    )
    if not (course.regimen or "").strip():
        course.regimen = course.therapy.regimen
    # The fields given, and the rules across fields (Course.clean); the model's defaults are
    # not checked again.
    given = {"patient", "care_team", "created_by", "regimen", *fields}
    course.full_clean(exclude=[f.name for f in Course._meta.fields if f.name not in given])
    _save_with_history(course, by=by, reason=_("Course created"))
    log.info("course started id=%s by=%s", course.pk, by.pk)
    return course
