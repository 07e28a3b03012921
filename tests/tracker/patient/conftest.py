"""Fixtures of the patient portal tests."""

import pytest

LANGUAGE_MIDDLEWARE = "tracker.middleware.PreferredLanguageMiddleware"


@pytest.fixture
def language_middleware(settings):
    """The preferred-language middleware in place (after AuthenticationMiddleware)."""
    middleware = list(settings.MIDDLEWARE)
    if LANGUAGE_MIDDLEWARE not in middleware:
        index = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
        middleware.insert(index + 1, LANGUAGE_MIDDLEWARE)
        settings.MIDDLEWARE = middleware
    return settings


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient.user)
    return client
