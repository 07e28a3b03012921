"""Two-factor authentication for clinicians and administrators (django-two-factor-auth):
turning it on, signing in with a code or a backup code, and TWO_FACTOR_REQUIRED, which makes it
compulsory before any page with patients' data."""

import base64
import logging
import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.signin import code_step, current_code, password_step
from tracker.api.tokens import issue_token
from tracker.models import AccountEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory
LOGIN = "/accounts/login/"
SETUP = "/accounts/two-factor/setup/"


@pytest.fixture
def device(clinician):
    return TOTPDevice.objects.create(user=clinician, name="default", confirmed=True)


def sign_in_with_password(client, user, next_url="/clinician/"):
    return client.post(f"{LOGIN}?next={next_url}", password_step(user.username, PASSWORD))


# --- Turning it on -------------------------------------------------------------------------------


def test_a_clinician_turns_it_on_with_a_code_from_the_app(client, clinician, caplog):
    client.force_login(clinician)
    assert "Two-factor authentication is off" in client.get("/accounts/two-factor/").text
    page = client.post(SETUP, {"setup_view-current_step": "welcome"})  # to the app's step
    assert 'id="totp-secret"' in page.text
    assert page.context["issuer"] == "Interleukin Therapy Tracker"
    secret = page.context["secret_key"]
    assert client.get("/accounts/two-factor/setup/qrcode/")["Content-Type"].startswith(
        "image/svg+xml"
    )

    wrong = client.post(
        SETUP, {"setup_view-current_step": "generator", "generator-token": "000000"}
    )
    assert wrong.status_code == 200
    assert not TOTPDevice.objects.filter(user=clinician).exists()

    unsaved = TOTPDevice(user=clinician, key=page.context["wizard"]["form"].key)
    with caplog.at_level(logging.INFO, logger="tracker.access"):
        response = client.post(
            SETUP,
            {"setup_view-current_step": "generator", "generator-token": current_code(unsaved)},
        )
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=clinician)
    assert device.confirmed
    assert base64.b32decode(secret) == device.bin_key  # the key shown to type in by hand
    assert f"two-factor enabled user={clinician.pk}" in caplog.text
    # The session that set it up counts as verified: backup codes can be made at once.
    assert client.get(response["Location"]).status_code == 200
    client.post("/accounts/two-factor/backup-codes/")
    assert StaticDevice.objects.get(user=clinician).token_set.count() == 10
    assert "On." in client.get("/accounts/two-factor/").text


def test_patients_are_not_offered_it(client, patient):
    client.force_login(patient.user)
    assert client.get("/accounts/two-factor/").status_code == 404
    assert client.get(SETUP).status_code == 404
    assert "Account security" not in client.get(reverse("tracker:patient-home")).text


# --- Signing in ----------------------------------------------------------------------------------


def test_with_a_device_the_password_alone_does_not_sign_in(client, clinician, device):
    response = sign_in_with_password(client, clinician)
    assert response.status_code == 200
    assert "authenticator app" in response.text
    assert "_auth_user_id" not in client.session


def test_the_code_completes_the_sign_in_and_goes_to_the_page_asked_for(client, clinician, device):
    sign_in_with_password(client, clinician)
    response = client.post(f"{LOGIN}?next=/clinician/", code_step(current_code(device)))
    assert response.status_code == 302
    assert response["Location"] == "/clinician/"
    assert client.get("/clinician/").status_code == 200


def test_a_wrong_code_is_refused_at_the_field(client, clinician, device):
    sign_in_with_password(client, clinician)
    wrong = str((int(current_code(device)) + 1) % 10**6).zfill(6)
    response = client.post(LOGIN, code_step(wrong))
    assert response.status_code == 200
    assert response.context["wizard"]["form"].errors
    assert "_auth_user_id" not in client.session


def test_a_code_signs_in_once(client, clinician, device):
    code = current_code(device)
    sign_in_with_password(client, clinician)
    assert client.post(LOGIN, code_step(code)).status_code == 302
    client.logout()
    sign_in_with_password(client, clinician)
    assert client.post(LOGIN, code_step(code)).status_code == 200  # replayed: refused
    assert "_auth_user_id" not in client.session


def test_a_backup_code_works_once(client, clinician, device):
    backup = StaticDevice.objects.create(user=clinician, name="backup")
    backup.token_set.create(token="abcd1234")
    sign_in_with_password(client, clinician)
    client.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    assert client.post(LOGIN, code_step("abcd1234", step="backup")).status_code == 302
    client.logout()
    sign_in_with_password(client, clinician)
    client.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    assert client.post(LOGIN, code_step("abcd1234", step="backup")).status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_code_must_follow_the_password_within_the_time_limit(
    client, clinician, device, settings, time_machine
):
    time_machine.move_to("2026-11-21 08:00:00+00:00", tick=False)
    sign_in_with_password(client, clinician)
    time_machine.shift(settings.TWO_FACTOR_LOGIN_TIMEOUT + 1)
    response = client.post(LOGIN, code_step(current_code(device)))
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["wizard"]["steps"].current == "auth"


def test_the_administration_signs_in_through_the_same_page(client):
    response = client.get("/admin/login/?next=/admin/therapies/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/therapies/"


def test_the_administration_sign_in_never_sends_on_to_another_site(client):
    response = client.get("/admin/login/?next=https://evil.example/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"


# --- Required by the clinic ----------------------------------------------------------------------


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


def test_required_a_clinician_without_a_device_is_sent_to_set_it_up(client, clinician, required):
    assert sign_in_with_password(client, clinician).status_code == 302  # password accepted
    response = client.get("/clinician/")
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fclinician%2F"
    assert client.get(SETUP).status_code == 200


def test_required_no_page_with_patients_data_before_it(client, clinician, course, required):
    client.force_login(clinician)
    for url in (
        reverse("tracker:triage"),
        reverse("tracker:course-detail", args=[course.pk]),
        reverse("tracker:export-course-csv", args=[course.pk]),
        "/admin/",
    ):
        assert client.get(url).status_code == 302, url
    api = client.get(f"/api/v1/courses/{course.pk}/")
    assert api.status_code == 403
    assert "Two-factor" in api.json()["detail"]


def test_required_a_session_without_the_code_signs_in_again(client, clinician, device, required):
    client.force_login(clinician)  # a session from before the device, or before the rule
    response = client.get("/clinician/")
    assert response["Location"] == f"{LOGIN}?next=%2Fclinician%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200  # the sign-in page, signed out: password then code
    assert "_auth_user_id" not in client.session


def test_required_after_the_code_every_page_opens(client, clinician, device, required):
    sign_in_with_password(client, clinician)
    client.post(LOGIN, code_step(current_code(device)))
    assert client.get("/clinician/").status_code == 200


def test_required_it_cannot_be_turned_off(client, clinician, device, required):
    sign_in_with_password(client, clinician)
    client.post(LOGIN, code_step(current_code(device)))
    response = client.post("/accounts/two-factor/disable/", {"understand": "on"})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=clinician).exists()
    assert "cannot be turned off" in client.get("/accounts/two-factor/").text


def test_not_required_it_can_be_turned_off(client, clinician, device, caplog):
    sign_in_with_password(client, clinician)
    client.post(LOGIN, code_step(current_code(device)))
    with caplog.at_level(logging.INFO, logger="tracker.access"):
        client.post("/accounts/two-factor/disable/", {"understand": "on"})
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert f"two-factor disabled user={clinician.pk}" in caplog.text


def test_required_patients_and_api_tokens_are_unaffected(client, patient, course, required):
    assert sign_in_with_password(client, patient.user, next_url="/my/").status_code == 302
    assert client.get(reverse("tracker:patient-home")).status_code == 200
    _token, key = issue_token(course.care_team.members.first())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/courses/{course.pk}/").status_code == 200


# --- A password reset never replaces the second factor ------------------------------------------


NEW_PASSWORD = "a long new password 2026"


def reset_password(client, user, mailoutbox, callbacks):
    """Ask for a reset link, open it and choose a new password, as someone holding the mailbox."""
    with callbacks(execute=True):
        client.post(reverse("tracker:password-reset"), {"email": user.email})
    path = re.search(r"https?://[^/\s\"]+(/accounts/[^\s\"<]+/)", mailoutbox[-1].body).group(1)
    form_page = client.get(path, follow=True)
    return client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_a_password_reset_does_not_sign_in_an_account_with_a_device(
    client, clinician, device, course, mailoutbox, django_capture_on_commit_callbacks
):
    response = reset_password(client, clinician, mailoutbox, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    clinician.refresh_from_db()
    assert clinician.check_password(NEW_PASSWORD)
    assert "_auth_user_id" not in client.session
    # Pages and the API answer as to anybody who has not signed in.
    assert client.get("/clinician/")["Location"].startswith(LOGIN)
    assert client.get(reverse("tracker:course-detail", args=[course.pk])).status_code == 302
    assert client.get(f"/api/v1/courses/{course.pk}/").status_code == 401
    # Signing in takes the new password and then the app's code.
    assert client.post(LOGIN, password_step(clinician.username, NEW_PASSWORD)).status_code == 200
    assert "_auth_user_id" not in client.session
    assert (
        client.post(f"{LOGIN}?next=/clinician/", code_step(current_code(device))).status_code == 302
    )
    assert client.get("/clinician/").status_code == 200


def test_a_password_reset_does_not_sign_in_a_patient_either(
    client, patient, mailoutbox, django_capture_on_commit_callbacks
):
    reset_password(client, patient.user, mailoutbox, django_capture_on_commit_callbacks)
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("tracker:patient-home")).status_code == 302


def test_required_a_password_reset_cannot_enrol_a_second_authenticator(
    client, clinician, device, required, mailoutbox, django_capture_on_commit_callbacks
):
    reset_password(client, clinician, mailoutbox, django_capture_on_commit_callbacks)
    response = client.post(SETUP, {"setup_view-current_step": "welcome"})
    assert response.status_code in (302, 403)
    assert "secret_key" not in (response.context or {})
    assert TOTPDevice.objects.filter(user=clinician).count() == 1


# --- One authenticator per account ----------------------------------------------------------------


def test_the_setup_is_refused_on_every_step_when_a_device_exists(client, clinician, device):
    client.force_login(clinician)
    assert client.get(SETUP).status_code == 302
    for data in (
        {"setup_view-current_step": "welcome"},
        {"setup_view-current_step": "generator", "generator-token": current_code(device)},
    ):
        response = client.post(SETUP, data)
        assert response.status_code == 403, data
    assert list(TOTPDevice.objects.filter(user=clinician)) == [device]


def test_a_setup_started_before_a_device_existed_cannot_add_a_second_one(client, clinician):
    """Two tabs: the setup is finished in one, then the other's code is sent."""
    client.force_login(clinician)
    page = client.post(SETUP, {"setup_view-current_step": "welcome"})
    key = page.context["wizard"]["form"].key
    first = TOTPDevice.objects.create(user=clinician, name="default", confirmed=True)
    response = client.post(
        SETUP,
        {
            "setup_view-current_step": "generator",
            "generator-token": current_code(TOTPDevice(user=clinician, key=key)),
        },
    )
    assert response.status_code == 403
    assert list(TOTPDevice.objects.filter(user=clinician)) == [first]


def test_turning_it_on_and_off_is_recorded_without_secrets(client, clinician, caplog):
    client.force_login(clinician)
    page = client.post(SETUP, {"setup_view-current_step": "welcome"})
    unsaved = TOTPDevice(user=clinician, key=page.context["wizard"]["form"].key)
    with caplog.at_level(logging.INFO, logger="tracker.access"):
        client.post(
            SETUP,
            {"setup_view-current_step": "generator", "generator-token": current_code(unsaved)},
        )
        client.post("/accounts/two-factor/disable/", {"understand": "on"})
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    events = AccountEvent.objects.filter(user=clinician).order_by("pk")
    assert [(e.kind, e.by) for e in events] == [
        (AccountEvent.Kind.TWO_FACTOR_ON, clinician),
        (AccountEvent.Kind.TWO_FACTOR_OFF, clinician),
    ]
    lines = [r.getMessage() for r in caplog.records if r.name == "tracker.access"]
    assert f"two-factor enabled user={clinician.pk}" in lines
    assert f"two-factor disabled user={clinician.pk}" in lines
    assert unsaved.key not in caplog.text and clinician.username not in caplog.text


# --- One authenticator per account, however it is added; each change recorded ------------------

ADMIN_DEVICES = "/admin/otp_totp/totpdevice/"
KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, in hex


def admin_device_form(user, *, confirmed=True, adding=True):
    form = {
        "user": str(user.pk),
        "name": "phone",
        "step": "30",
        "t0": "0",
        "digits": "6",
        "tolerance": "1",
        "drift": "0",
        "throttling_failure_count": "0",
    }
    if confirmed:
        form["confirmed"] = "on"
    if adding:
        form["key"] = KEY
    return form


def test_no_second_authenticator_even_outside_the_setup_page(clinician, device):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        TOTPDevice.objects.create(user=clinician, name="second", confirmed=True)
    unconfirmed = TOTPDevice.objects.create(user=clinician, name="later", confirmed=False)
    unconfirmed.confirmed = True
    with pytest.raises(ValidationError):
        unconfirmed.save()
    assert list(TOTPDevice.objects.filter(user=clinician, confirmed=True)) == [device]


def test_the_administration_refuses_a_second_authenticator(client, admin_user, clinician, device):
    client.force_login(admin_user)
    response = client.post(f"{ADMIN_DEVICES}add/", admin_device_form(clinician))
    assert response.status_code == 200
    assert "already has an authenticator" in response.text
    assert list(TOTPDevice.objects.filter(user=clinician)) == [device]


def test_the_administration_records_an_authenticator_added_turned_off_and_removed(
    client, admin_user, clinician
):
    client.force_login(admin_user)
    assert client.post(f"{ADMIN_DEVICES}add/", admin_device_form(clinician)).status_code == 302
    device = TOTPDevice.objects.get(user=clinician)
    change = f"{ADMIN_DEVICES}{device.pk}/change/"
    page = client.get(change)
    assert KEY not in page.text and "qrcode" not in page.text  # the secret is never shown
    off = admin_device_form(clinician, confirmed=False, adding=False)
    assert client.post(change, off).status_code == 302
    assert client.post(change, admin_device_form(clinician, adding=False)).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.post(f"{ADMIN_DEVICES}{device.pk}/delete/", {"post": "yes"})
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    events = AccountEvent.objects.filter(user=clinician).order_by("pk")
    on, off = AccountEvent.Kind.TWO_FACTOR_ON, AccountEvent.Kind.TWO_FACTOR_OFF
    assert [(e.kind, e.by) for e in events] == [
        (on, admin_user),
        (off, admin_user),
        (on, admin_user),
        (off, admin_user),
    ]
