"""Patient accounts: a clinician's invitation, the one-time set-password link, password reset."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from tests import factories
from tests.signin import password_step
from tracker import services
from tracker.models import AccountEvent, Role

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "a long new password 2026"
BIRTH_DATE = "1965-04-12"  # tests.factories.PatientFactory
WRONG_BIRTH_DATE = "1965-12-04"  # the same digits, day and month swapped


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
    context = {"patient": patient, "can_invite": services.may_invite(user, patient)}
    return render_to_string("tracker/partials/_patient_account.html", context, request=request)


@pytest.fixture
def shared_course(unlinked_patient, other_care_team):
    """Team A's patient has one course with team B: team B's clinicians see the patient."""
    return factories.CourseFactory(patient=unlinked_patient, care_team=other_care_team)


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


def test_the_link_is_e_mailed_and_never_shown_to_the_clinician(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, unlinked_patient)
    (email,) = mailoutbox
    assert email.to == ["ana.silva@example.org"]
    path = link_path(email.body)
    assert path.startswith("/accounts/set-password/")
    assert path in email.alternatives[0][0]
    assert '<html lang="fr">' in email.alternatives[0][0]  # in the patient's language
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert "Invitation sent" in response.text
    assert token not in response.text and "set-password-link" not in response.text
    page = client.get(reverse("tracker:patient-detail", args=[unlinked_patient.pk]))
    assert page.status_code == 200 and token not in page.text


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


def test_a_clinician_who_shares_a_course_cannot_invite_the_patient(
    client, other_clinician, unlinked_patient, shared_course, mailoutbox
):
    """The attack: team B sees team A's patient through one course, invites them with an
    address of their own, and would then read the patient's other courses as the patient."""
    client.force_login(other_clinician)
    assert (
        client.get(reverse("tracker:patient-detail", args=[unlinked_patient.pk])).status_code == 200
    )
    response = invite(client, unlinked_patient, email="mallory@example.org")
    assert response.status_code == 403
    assert "/accounts/set-password/" not in response.text
    unlinked_patient.refresh_from_db()
    assert unlinked_patient.user is None
    assert not User.objects.filter(email="mallory@example.org").exists() and not mailoutbox


def test_a_clinician_who_shares_a_course_cannot_send_a_new_link(
    client,
    clinician,
    other_clinician,
    unlinked_patient,
    shared_course,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, unlinked_patient)
    client.force_login(other_clinician)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tracker:patient-invite", args=[unlinked_patient.pk]),
            {"email": "mallory@example.org"},
        )
    assert response.status_code == 403
    unlinked_patient.refresh_from_db()
    assert unlinked_patient.user.email == "ana.silva@example.org"
    assert len(mailoutbox) == 1


def test_the_invitation_is_offered_to_the_home_team_only(
    unlinked_patient, shared_course, clinician, other_clinician
):
    assert "tracker:patient-invite" not in partial(unlinked_patient, other_clinician)
    html = partial(unlinked_patient, other_clinician)
    assert reverse("tracker:patient-invite", args=[unlinked_patient.pk]) not in html
    assert "Only the patient's care team" in html
    assert reverse("tracker:patient-invite", args=[unlinked_patient.pk]) in partial(
        unlinked_patient, clinician
    )


def test_the_service_refuses_anyone_but_the_home_team(
    other_clinician, unlinked_patient, shared_course
):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.invite_patient(
            patient=unlinked_patient,
            by=other_clinician,
            site_url="https://tracker.example",
            email="mallory@example.org",
        )
    unlinked_patient.refresh_from_db()
    assert unlinked_patient.user is None


def test_a_new_address_is_recorded_in_the_patients_history_and_kills_the_old_link(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    old_path = _invited(
        client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox
    )
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tracker:patient-invite", args=[unlinked_patient.pk]),
            {"email": "Ana.Silva@Other.example"},
        )
    assert response.status_code == 200
    assert mailoutbox[-1].to == ["ana.silva@other.example"]
    unlinked_patient.refresh_from_db()
    account = unlinked_patient.user
    assert account.email == account.username == "ana.silva@other.example"
    latest = unlinked_patient.history.latest()
    assert latest.history_user == clinician
    assert latest.history_change_reason == (
        "invitation e-mail changed: ana.silva@example.org → ana.silva@other.example"
    )
    client.logout()
    assert not client.get(old_path, follow=True).context["validlink"]
    new_path = link_path(mailoutbox[-1].body)
    assert client.get(new_path, follow=True).context["validlink"]


def test_a_new_address_already_in_use_is_refused_at_the_field(
    client, clinician, unlinked_patient, patient, mailoutbox, django_capture_on_commit_callbacks
):
    _invited(client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:patient-invite", args=[unlinked_patient.pk]),
        {"email": patient.user.email},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "Another account already uses this e-mail address."
    ]
    unlinked_patient.refresh_from_db()
    assert unlinked_patient.user.email == "ana.silva@example.org"


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


def _choose(client, path, birth_date=BIRTH_DATE, follow=False):
    form_page = client.get(path, follow=True)
    return client.post(
        form_page.redirect_chain[-1][0],
        {"birth_date": birth_date, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=follow,
    )


def test_the_link_lets_the_patient_choose_a_password_then_sign_in(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    path = _invited(
        client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox
    )
    form_page = client.get(path, follow=True)
    assert "Choose your password" in form_page.text
    assert "ana.silva@example.org" in form_page.text
    assert "birth_date" in form_page.context["form"].fields
    done = _choose(client, path, follow=True)
    # Not signed in by the link; the page is in the language chosen at the invitation (French).
    assert "Mot de passe enregistré" in done.text
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("tracker:patient-home")).status_code == 302
    unlinked_patient.refresh_from_db()
    assert unlinked_patient.user.check_password(NEW_PASSWORD)
    signed_in = client.post(reverse("login"), password_step("ana.silva@example.org", NEW_PASSWORD))
    assert signed_in.status_code == 302
    assert client.get(reverse("tracker:patient-home")).status_code == 200


def test_a_wrong_date_of_birth_is_refused_at_the_field(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    path = _invited(
        client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox
    )
    response = _choose(client, path, birth_date=WRONG_BIRTH_DATE)
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == [
        "This is not the date of birth your care team has for you. 4 tries left."
    ]
    unlinked_patient.refresh_from_db()
    assert not unlinked_patient.user.has_usable_password()
    assert "_auth_user_id" not in client.session


def test_after_five_wrong_dates_of_birth_the_link_is_dead_until_the_team_sends_a_new_one(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    path = _invited(
        client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox
    )
    for tries_left in (4, 3, 2):
        wrong = _choose(client, path, birth_date=WRONG_BIRTH_DATE)
        assert f"{tries_left} tries left." in wrong.context["form"].errors["birth_date"][0]
    fourth = _choose(client, path, birth_date=WRONG_BIRTH_DATE)
    assert fourth.context["form"].errors["birth_date"] == [
        "This is not the date of birth your care team has for you. 1 try left."
    ]
    fifth = _choose(client, path, birth_date=WRONG_BIRTH_DATE)
    assert "Too many wrong dates of birth: this link no longer works." in fifth.text
    assert not fifth.context["validlink"]
    # The right date no longer helps: the link is dead.
    assert not client.get(path, follow=True).context["validlink"]
    unlinked_patient.refresh_from_db()
    assert not unlinked_patient.user.has_usable_password()
    refused = AccountEvent.Kind.BIRTH_DATE_REFUSED
    assert unlinked_patient.user.account_events.filter(kind=refused).count() == 5
    # The care team sends a new link: five tries again.
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("tracker:patient-invite", args=[unlinked_patient.pk]))
    client.logout()
    _choose(client, link_path(mailoutbox[-1].body))
    unlinked_patient.refresh_from_db()
    assert unlinked_patient.user.check_password(NEW_PASSWORD)


def test_the_link_works_only_once(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    path = _invited(
        client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox
    )
    _choose(client, path)
    client.cookies.pop("django_language")  # set to the patient's French by the page
    again = client.get(path, follow=True)
    assert not again.context["validlink"]
    assert "This link has already been used or is too old." in again.text


def test_a_new_link_kills_the_previous_one(
    client, clinician, unlinked_patient, mailoutbox, django_capture_on_commit_callbacks
):
    first = _invited(
        client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox
    )
    second = _invited(
        client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox
    )
    assert not client.get(first, follow=True).context["validlink"]
    assert client.get(second, follow=True).context["validlink"]


def test_an_invitation_link_is_no_password_reset_link_and_the_reverse(
    client, clinician, unlinked_patient, patient, mailoutbox, django_capture_on_commit_callbacks
):
    """The date of birth cannot be skipped by opening the invitation's token on the reset page,
    and a reset link (for an account with a password) does not open the invitation's page."""
    invitation = _invited(
        client, clinician, unlinked_patient, django_capture_on_commit_callbacks, mailoutbox
    )
    as_reset = invitation.replace("/set-password/", "/password-reset/")
    assert not client.get(as_reset, follow=True).context["validlink"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("tracker:password-reset"), {"email": patient.user.email})
    reset = link_path(mailoutbox[-1].body)
    as_invitation = reset.replace("/password-reset/", "/set-password/")
    assert not client.get(as_invitation, follow=True).context["validlink"]


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
