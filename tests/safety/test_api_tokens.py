"""API tokens: kept hashed, expiring, and revoked with the password or the account.

A token is a password that skips two-factor authentication: a copy of the database or of a
backup must not hold a usable one, a token must stop working after API_TOKEN_TTL_DAYS, and a
password reset or deactivation (what a clinic does when a laptop is stolen or someone leaves)
must end it.
"""

import datetime

import pytest
import time_machine
from django.contrib.auth.forms import SetPasswordForm
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tracker.api.tokens import issue_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/therapies/"


def api_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def command_token(username, capsys):
    call_command("api_token", username)
    out = capsys.readouterr()
    return out.out.strip(), out.err


def test_the_printed_token_works_with_the_token_header(clinician, capsys):
    key, _note = command_token(clinician.username, capsys)
    assert api_with(key).get(URL).status_code == 200


def test_the_command_says_when_the_token_expires(clinician, capsys, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    with time_machine.travel(datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)):
        _key, note = command_token(clinician.username, capsys)
    assert "Expires 2025-03-31" in note


def test_the_database_holds_no_usable_token(clinician, capsys):
    key, _note = command_token(clinician.username, capsys)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        rows = cursor.fetchall()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0])
    assert key not in stored
    # The stored prefix (used to find the row) is too short to sign in with.
    assert api_with(key[:15]).get(URL).status_code == 401


def test_the_old_plain_token_table_is_gone():
    assert "authtoken_token" not in connection.introspection.table_names()


def test_a_token_works_until_its_expiry_and_not_after(clinician, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    start = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        _token, key = issue_token(clinician)
    with time_machine.travel(start + datetime.timedelta(days=29, hours=23), tick=False):
        assert api_with(key).get(URL).status_code == 200
    with time_machine.travel(start + datetime.timedelta(days=30, minutes=1), tick=False):
        response = api_with(key).get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_an_expired_token_is_refused_without_writing(clinician):
    token, key = issue_token(clinician)
    AuthToken.objects.filter(pk=token.pk).update(
        expiry=timezone.now() - datetime.timedelta(seconds=1)
    )
    with CaptureQueriesContext(connection) as queries:
        assert api_with(key).get(URL).status_code == 401
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []  # an expired token is refused as it is: nothing written


def test_a_password_change_revokes_the_token(clinician):
    _token, key = issue_token(clinician)
    form = SetPasswordForm(
        clinician,
        {"new_password1": "a-new-Long-passphrase", "new_password2": "a-new-Long-passphrase"},
    )
    assert form.is_valid(), form.errors
    form.save()  # what the password reset and change pages do
    assert api_with(key).get(URL).status_code == 401
    assert not AuthToken.objects.filter(user=clinician).exists()


def test_deactivating_the_account_revokes_the_token(clinician):
    _token, key = issue_token(clinician)
    clinician.is_active = False
    clinician.save()
    assert not AuthToken.objects.filter(user=clinician).exists()
    clinician.is_active = True
    clinician.save()  # reactivated later: the old token does not come back
    assert api_with(key).get(URL).status_code == 401


def test_other_saves_of_the_user_keep_the_token(clinician):
    _token, key = issue_token(clinician)
    clinician.last_login = timezone.now()
    clinician.save(update_fields=["last_login"])
    clinician.first_name = "Alicia"
    clinician.save()
    assert api_with(key).get(URL).status_code == 200


def test_a_stronger_hash_of_the_same_password_keeps_the_token(clinician, settings):
    clinician.set_password("the-same-Long-passphrase")
    clinician.save()
    _token, key = issue_token(clinician)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    # Signing in with the password rehashes it with the preferred hasher and saves it.
    assert clinician.check_password("the-same-Long-passphrase")
    clinician.refresh_from_db()
    assert clinician.password.startswith("argon2")
    assert api_with(key).get(URL).status_code == 200


def test_a_token_of_undecodable_bytes_is_refused_with_401():
    client = APIClient()
    response = client.get(URL, HTTP_AUTHORIZATION="Token \xff\xfe")
    assert response.status_code == 401
