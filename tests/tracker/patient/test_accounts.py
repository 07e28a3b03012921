"""Patient accounts: a clinician's invitation, the one-time set-password link, password reset."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from tests import factories
from tracker.models import Role

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "a long new password 2026"


@pytest.fixture
def unlinked_patient(care_team):
    return factories.PatientFactory(care_team=care_team, user=None)


def invite(client, patient, **data):
    return client.post(
        reverse("tracker:patient-invite", args=[patient.pk]),
        {"email": "Ana.Silva@Example.org", "preferred_language": "fr", "next": "/back/", **data},
    )


def link_path(text):
    return re.search(r"https?://[^/\s\"]+(/accounts/[^\s\"<]+/)", text).group(1)


def partial(patient, user):
    request = RequestFactory().get("/clinician/patients/x/")
    request.user = user
    return render_to_string(
        "tracker/partials/_patient_account.html", {"patient": patient}, request=request
    )


# --- The clinician's side -------------------------------------------------------------------------


def test_the_patient_page_offers_an_invitation_when_there_is_no_account(
    unlinked_patient, clinician
):
    html = partial(unlinked_patient, clinician)
    assert reverse("tracker:patient-invite", args=[unlinked_patient.pk]) in html
    assert "The patient has no account yet." in html


def test_the_patient_page_shows_an_existing_account(patient, clinician):
    html = partial(patient, clinician)
    assert f"signs in as <strong>{patient.user.username}</strong>" in html
    assert "tracker:patient-invite" not in html and "Invite" not in html


def test_inviting_creates_a_patient_account_without_a_usable_password(
    client, clinician, unlinked_patient, django_capture_on_commit_callbacks
):
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, unlinked_patient)
    assert response.status_code == 200
    unlinked_patient.refresh_from_db()
    account = unlinked_patient.user
    assert account.username == account.email == "ana.silva@example.org"
    assert account.role == Role.PATIENT and account.preferred_language == "fr"
    assert not account.has_usable_password()
    assert unlinked_patient.history.first().history_change_reason == "patient account opened"


def test_the_link_is_e_mailed_and_shown_to_the_clinician(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, unlinked_patient)
    (email,) = mailoutbox
    assert email.to == ["ana.silva@example.org"]
    path = link_path(email.body)
    assert path.startswith("/accounts/set-password/")
    assert path in response.text
    assert path in email.alternatives[0][0]
    assert '<html lang="fr">' in email.alternatives[0][0]  # in the patient's language


def test_an_e_mail_address_already_in_use_is_refused_at_the_field(
    client, clinician, unlinked_patient, patient, mailoutbox
):
    client.force_login(clinician)
    response = invite(client, unlinked_patient, email=patient.user.email.upper())
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "Another account already uses this e-mail address."
    ]
    unlinked_patient.refresh_from_db()
    assert unlinked_patient.user is None and not mailoutbox


def test_an_invalid_e_mail_address_is_refused(client, clinician, unlinked_patient):
    client.force_login(clinician)
    response = invite(client, unlinked_patient, email="not an address")
    assert response.status_code == 400
    assert "email" in response.context["form"].errors


def test_a_new_link_can_be_sent_until_the_password_is_chosen(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, unlinked_patient)
        unlinked_patient.refresh_from_db()
        again = client.post(reverse("tracker:patient-invite", args=[unlinked_patient.pk]))
    assert again.status_code == 200 and len(mailoutbox) == 2
    assert "Send a new link" in partial(unlinked_patient, clinician)


def test_no_link_is_made_for_an_account_in_use(client, clinician, patient, mailoutbox):
    client.force_login(clinician)
    response = client.post(reverse("tracker:patient-invite", args=[patient.pk]))
    assert response.status_code == 400
    assert "already chosen a password" in response.text
    assert not mailoutbox


def test_another_teams_clinician_cannot_invite(client, other_clinician, unlinked_patient):
    client.force_login(other_clinician)
    assert invite(client, unlinked_patient).status_code == 404
    assert User.objects.filter(email="ana.silva@example.org").count() == 0


def test_a_patient_cannot_invite(client, patient, unlinked_patient):
    client.force_login(patient.user)
    assert invite(client, unlinked_patient).status_code == 403


def test_inviting_needs_a_sign_in(client, unlinked_patient):
    response = invite(client, unlinked_patient)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- The patient's side ---------------------------------------------------------------------------


def _invited(client, clinician, patient, callbacks, mailoutbox):
    client.force_login(clinician)
    with callbacks(execute=True):
        invite(client, patient)
    client.logout()
    return link_path(mailoutbox[-1].body)


def test_the_link_lets_the_patient_choose_a_password_and_signs_them_in(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    path = _invited(
        client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox
    )
    form_page = client.get(path, follow=True)
    assert "Choose your password" in form_page.text
    assert "ana.silva@example.org" in form_page.text
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    # Signed in, the page switches to the language chosen at the invitation (French).
    assert "Vous êtes connecté." in done.text
    assert client.get(reverse("tracker:patient-home")).status_code == 200
    unlinked_patient.refresh_from_db()
    assert unlinked_patient.user.check_password(NEW_PASSWORD)


def test_the_link_works_only_once(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    path = _invited(
        client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox
    )
    form_page = client.get(path, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    client.logout()
    again = client.get(path, follow=True)
    assert not again.context["validlink"]
    assert "This link has already been used or is too old." in again.text


def test_forgotten_password_sends_a_one_time_link(
    client, patient, mailoutbox, django_capture_on_commit_callbacks
):
    page = client.get(reverse("tracker:password-reset"))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("tracker:password-reset"), {"email": patient.user.email})
    assert sent["Location"] == reverse("tracker:password-reset-done")
    (email,) = mailoutbox
    path = link_path(email.body)
    assert path.startswith("/accounts/password-reset/")
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.text
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    patient.user.refresh_from_db()
    assert patient.user.check_password(NEW_PASSWORD)
    client.logout()
    assert not client.get(path, follow=True).context["validlink"]


def test_the_reset_e_mail_is_in_the_accounts_language(
    client, patient, mailoutbox, django_capture_on_commit_callbacks
):
    patient.user.preferred_language = "fr"
    patient.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("tracker:password-reset"), {"email": patient.user.email})
    assert '<html lang="fr">' in mailoutbox[0].alternatives[0][0]


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(client, mailoutbox):
    sent = client.post(reverse("tracker:password-reset"), {"email": "nobody@example.org"})
    assert sent["Location"] == reverse("tracker:password-reset-done")
    assert not mailoutbox
