"""Patient accounts (patient portal): invitations, their links and the date-of-birth check."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .. import emails
from ..models import (
    AccountEvent,
    Patient,
    Role,
    User,
)
from .history import _save_with_history

log = logging.getLogger(__name__)


# --- Patient accounts and reporting reminders (patient portal) ---------------------------------


@dataclass(frozen=True)
class Invitation:
    user: User
    link: str  # the one-time set-password link, absolute: for the e-mail only, never a page


# Wrong dates of birth allowed on one invitation's page before its link stops working (a
# product choice: enough for a typing slip, too few to guess a date).
INVITATION_BIRTH_DATE_TRIES = 5


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """The invitation's one-time tokens. Their own salt: a password-reset token does not open
    the invitation's page, and an invitation's token does not open the reset page (which would
    skip the date of birth). Valid only for a patient account whose password was never chosen;
    like Django's, a token dies once the password field changes (a password chosen, a new link
    sent, too many wrong dates of birth) or after PASSWORD_RESET_TIMEOUT."""

    key_salt = "tracker.services.InvitationTokenGenerator"

    def check_token(self, user: User | None, token: str | None) -> bool:
        if user is None or not user.is_patient or user.has_usable_password():
            return False
        return super().check_token(user, token)


invitation_tokens = InvitationTokenGenerator()


def _set_password_link(user: User, site_url: str) -> str:
    path = reverse(
        "tracker:password-set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    return site_url.rstrip("/") + path


def may_invite(user: User, patient: Patient) -> bool:
    """Only the patient's own care team opens their account or sends a new link. A team that
    shares one course sees the patient, but whoever receives the link reads every course of the
    patient's, and reports as the patient. One query."""
    return (
        user.is_authenticated
        and user.is_clinician
        and patient.care_team.members.filter(pk=user.pk).exists()
    )


@transaction.atomic
def invite_patient(
    *, patient: Patient, by: User, site_url: str, email: str = "", language: str = ""
) -> Invitation:
    """Open a patient's account and e-mail them a link to choose a password.

    Only the patient's care team may (PermissionDenied otherwise). For an account whose
    password was never chosen, sends a new link instead, to `email` when it is a new address
    (the change goes in the patient's history); every earlier link stops working. The account
    is created without a usable password: nobody can sign in with it until the patient has used
    the link and confirmed their date of birth. The e-mail goes once the transaction commits.
    """
    patient = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("user", "care_team")
        .get(pk=patient.pk)
    )
    if not may_invite(by, patient):
        raise PermissionDenied(_("Only the patient's care team can invite them."))
    user = patient.user
    if user is None:
        if not email:
            raise ValidationError({"email": _("Enter the patient's e-mail address.")})
        user = User(
            username=email,
            email=email,
            role=Role.PATIENT,
            first_name=patient.given_name,
            last_name=patient.family_name,
            preferred_language=language or settings.LANGUAGE_CODE,
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
        patient.user = user
        setattr(patient, "_change_reason", "patient account opened")  # noqa: B010 (simple-history)
        patient.save(update_fields=["user"])
    elif user.has_usable_password():
        raise ValidationError(
            _("This patient has already chosen a password; they can reset it when signing in.")
        )
    else:
        if email and email != user.email:
            old = user.email
            user.email = user.username = email
            user.full_clean()
            _save_with_history(patient, by=by, reason=f"invitation e-mail changed: {old} → {email}")
        # A new unusable password: every link sent before this one stops working.
        user.set_unusable_password()
        user.save(update_fields=["password", "email", "username"])
    AccountEvent.objects.create(user=user, kind=AccountEvent.Kind.INVITATION_SENT, by=by)
    link = _set_password_link(user, site_url)
    emails.send(
        "patient_invitation",
        to=user.email,
        context={
            "patient": patient,
            "user": user,
            "link": link,
            "care_team": patient.care_team,
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        },
        language=user.preferred_language,
    )
    log.info("patient account invitation patient=%s user=%s by=%s", patient.pk, user.pk, by.pk)
    return Invitation(user=user, link=link)


def invitation_tries_left(user: User) -> int:
    """Wrong dates of birth still allowed on the latest invitation's page."""
    events = AccountEvent.objects.filter(user=user)
    latest = (
        events.filter(kind=AccountEvent.Kind.INVITATION_SENT)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    refused = events.filter(kind=AccountEvent.Kind.BIRTH_DATE_REFUSED, pk__gt=latest or 0)
    return max(0, INVITATION_BIRTH_DATE_TRIES - refused.count())


@transaction.atomic
def refuse_invitation_birth_date(*, user: User) -> int:
    """Record a wrong date of birth on the invitation's page and return the tries left. At
    none, the link stops working; the care team sends a new one."""
    user = User.objects.select_for_update().get(pk=user.pk)  # two tries at once count as two
    AccountEvent.objects.create(user=user, kind=AccountEvent.Kind.BIRTH_DATE_REFUSED)
    left = invitation_tries_left(user)
    if left == 0:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        log.warning("invitation link closed after wrong dates of birth user=%s", user.pk)
    return left
