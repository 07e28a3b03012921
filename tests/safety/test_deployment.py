"""Production settings pass Django's deployment checks; refused access is logged without names."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import identify_hasher

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7#kq-production-like-secret-key-with-enough-length-and-entropy-93jf02",
    "ALLOWED_HOSTS": "tracker.clinic.example",
    "DATABASE_URL": "postgres://tracker@db.clinic.example:5432/tracker",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
    "SITE_URL": "https://tracker.clinic.example",
}


def run_check(env):
    # The test run's own variables (async-unsafe mode for the browser tests) are not production's.
    dropped = {*PRODUCTION, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_check(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "override, error",
    [
        ({"SECRET_KEY": ""}, "tracker.E001"),
        ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "tracker.E002"),
    ],
)
def test_check_deploy_refuses_development_defaults(override, error):
    env = {**PRODUCTION, **override}
    if not override.get("SECRET_KEY", True):
        env.pop("SECRET_KEY")
    result = run_check(env)
    assert result.returncode != 0
    assert error in result.stdout + result.stderr


@pytest.mark.django_db
def test_new_passwords_are_hashed_with_argon2(settings):
    from tests.factories import UserFactory

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    user = UserFactory(password="a long enough password")
    assert identify_hasher(user.password).algorithm == "argon2"


def test_refused_access_is_logged_with_ids_not_names(client, other_course, patient, caplog):
    client.force_login(patient.user)
    with caplog.at_level(logging.WARNING, logger="tracker.access"):
        response = client.get(f"/api/v1/courses/{other_course.pk}/")
    assert response.status_code == 404
    [record] = [r for r in caplog.records if r.name == "tracker.access"]
    line = record.getMessage()
    assert f"user={patient.user.pk}" in line and str(other_course.pk) in line
    assert other_course.patient.family_name not in line
    assert patient.user.username not in line
