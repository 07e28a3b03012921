"""Patients registered and corrected by their care team, and possible duplicates."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import (
    CareTeam,
    Patient,
)
from .accounts import may_invite
from .corrections import Correction
from .history import _required_reason

# --- Patients registered and corrected by their care team --------------------------------------

# What a care team may write on a patient's record (the team itself and the portal account are
# not changed here).
PATIENT_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "mrn",
    "phone",
    "preferred_language",
)


def normalised_mrn(mrn: str) -> str:
    return " ".join((mrn or "").split())


@dataclass(frozen=True)
class PossibleDuplicates:
    """Whether another patient, in any team, has the same MRN or the same name and date of
    birth. Says only that one exists: another team's patient is not shown."""

    mrn: bool = False
    name_and_birth_date: bool = False


def possible_duplicates(
    *, mrn="", given_name="", family_name="", birth_date=None, exclude=None
) -> PossibleDuplicates:
    others = Patient.objects.all()
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    mrn = normalised_mrn(mrn)
    same_mrn = bool(mrn) and others.filter(mrn__iexact=mrn).exists()
    same_person = (
        bool(given_name and family_name and birth_date)
        and others.filter(
            given_name__iexact=given_name.strip(),
            family_name__iexact=family_name.strip(),
            birth_date=birth_date,
        ).exists()
    )
    return PossibleDuplicates(mrn=same_mrn, name_and_birth_date=same_person)


def may_edit_patient(user, patient: Patient) -> bool:
    """A patient's record is registered and corrected by their own care team (like the portal
    invitation): a team that shares one course sees the patient but does not change them."""
    return may_invite(user, patient)


@transaction.atomic
def register_patient(*, by, care_team: CareTeam, **fields) -> Patient:
    """Register a patient for one of `by`'s care teams; the history keeps who registered them.

    The MRN is unique across the installation (ValidationError at "mrn" otherwise); the same
    name and date of birth is the form's warning to confirm, not refused here."""
    if not (by.is_clinician and care_team.members.filter(pk=by.pk).exists()):
        raise PermissionDenied(_("Patients are registered for your own care team."))
    unknown = set(fields) - set(PATIENT_FIELDS)
    if unknown:
        raise ValueError(f"not a patient field: {sorted(unknown)}")
    fields["mrn"] = normalised_mrn(fields.get("mrn", ""))
    if possible_duplicates(mrn=fields["mrn"]).mrn:
        raise ValidationError({"mrn": _("A patient with this MRN already exists.")})
    patient = Patient(care_team=care_team, **fields)
    patient.full_clean()
    patient._history_user = by
    patient._change_reason = _("Patient registered")
    patient.save()
    return patient


@transaction.atomic
def update_patient(*, patient: Patient, by, changes: Mapping, reason: str) -> Correction:
    """Correct a patient's record with the reason in its history (no flag changes)."""
    reason = _required_reason(reason)
    patient = Patient.objects.select_for_update().select_related("care_team").get(pk=patient.pk)
    if not may_edit_patient(by, patient):
        raise PermissionDenied(_("Only the patient's care team can change their record."))
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise ValueError(f"not a patient field: {sorted(unknown)}")
    changes = dict(changes)
    if "mrn" in changes:
        changes["mrn"] = normalised_mrn(changes["mrn"])
        if possible_duplicates(mrn=changes["mrn"], exclude=patient).mrn:
            raise ValidationError({"mrn": _("A patient with this MRN already exists.")})
    changed = {name: value for name, value in changes.items() if getattr(patient, name) != value}
    if not changed:
        return Correction.of(patient, [])
    for name, value in changed.items():
        setattr(patient, name, value)
    patient.full_clean()
    patient._history_user = by
    patient._change_reason = reason
    patient.save()
    return Correction.of(patient, changed)
