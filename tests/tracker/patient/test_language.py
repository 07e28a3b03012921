"""The preferred language is remembered on the account and used from the next sign-in."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.signin import password_step

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory


def test_switching_language_is_remembered_on_the_account(client, patient, language_middleware):
    client.force_login(patient.user)
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/my/"})
    assert response.status_code == 302
    patient.user.refresh_from_db()
    assert patient.user.preferred_language == "fr"


def test_signing_in_switches_to_the_accounts_language(client, patient, language_middleware):
    patient.user.preferred_language = "fr"
    patient.user.save()
    response = client.post(reverse("login"), password_step(patient.user.username, PASSWORD))
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = client.get(reverse("tracker:patient-home"))
    assert '<html lang="fr">' in page.text


def test_the_accounts_language_wins_over_the_sign_in_page_choice(
    client, patient, language_middleware
):
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})  # signed out
    client.post(reverse("login"), password_step(patient.user.username, PASSWORD))
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    patient.user.refresh_from_db()
    assert patient.user.preferred_language == "en"


def test_a_failed_sign_in_changes_nothing(client, patient, language_middleware):
    response = client.post(reverse("login"), password_step(patient.user.username, "wrong"))
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
