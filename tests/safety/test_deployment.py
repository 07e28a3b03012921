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
    "EMAIL_URL": "smtp+tls://tracker:mail-password@smtp.clinic.example:587",
    "TWO_FACTOR_REQUIRED": "true",
}


def run_check(env, fail_level="WARNING"):
    # The test run's own variables (async-unsafe mode for the browser tests) are not production's.
    dropped = {*PRODUCTION, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", fail_level],
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
        # Mail that is not sent but printed or kept on the server, with its one-time links.
        ({"EMAIL_URL": ""}, "tracker.E004"),
        ({"EMAIL_URL": "consolemail://"}, "tracker.E004"),
        ({"EMAIL_URL": "filemail:///tmp/tracker-mail"}, "tracker.E004"),
        ({"ALLOWED_HOSTS": "*"}, "tracker.E005"),
        ({"ALLOWED_HOSTS": "tracker.clinic.example,*"}, "tracker.E005"),
    ],
)
def test_check_deploy_refuses_development_defaults(override, error):
    env = {**PRODUCTION, **override}
    if not override.get("SECRET_KEY", True):
        env.pop("SECRET_KEY")
    result = run_check(env)
    assert result.returncode != 0
    assert error in result.stdout + result.stderr


def test_check_deploy_warns_when_two_factor_is_not_required():
    result = run_check({**PRODUCTION, "TWO_FACTOR_REQUIRED": "false"}, fail_level="ERROR")
    assert result.returncode == 0, result.stdout + result.stderr  # a warning, not an error
    assert "tracker.W001" in result.stdout + result.stderr
    assert run_check({**PRODUCTION, "TWO_FACTOR_REQUIRED": "false"}).returncode != 0


# --- No secrets in the console or the logs ------------------------------------------------------


def test_by_default_e_mails_are_written_to_a_private_directory_not_the_console():
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); "
            "print(settings.EMAIL_BACKEND); print(settings.EMAIL_FILE_PATH)",
        ],
        cwd=ROOT,
        env={**clean, "EMAIL_URL": "", "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    backend, path = result.stdout.split()
    assert backend == "tracker.mail.PrivateFileBackend"
    assert Path(path) == ROOT / "var" / "mail"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "var/mail/message.log"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, "var/ must be git-ignored"


@pytest.mark.django_db
def test_an_invitation_prints_no_link_and_no_name_and_is_kept_private(
    client,
    clinician,
    care_team,
    settings,
    tmp_path,
    capfd,
    caplog,
    django_capture_on_commit_callbacks,
):
    from tests.factories import PatientFactory

    settings.EMAIL_BACKEND = "tracker.mail.PrivateFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "var" / "mail")
    patient = PatientFactory(
        care_team=care_team, user=None, given_name="Zéphyrine", family_name="Quillebœuf"
    )
    client.force_login(clinician)
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/accounts/patients/{patient.pk}/invite/",
            {"email": "zephyrine@example.org", "preferred_language": "en"},
        )
    assert response.status_code == 200
    out, err = capfd.readouterr()
    printed = out + err + caplog.text
    for secret in ("Zéphyrine", "Quillebœuf", "zephyrine@example.org", care_team.name):
        assert secret not in printed, secret
    assert "/accounts/set-password/" not in printed

    directory = tmp_path / "var" / "mail"
    assert directory.stat().st_mode & 0o777 == 0o700
    (message,) = directory.iterdir()
    assert message.stat().st_mode & 0o777 == 0o600
    assert "/accounts/set-password/" in message.read_text()


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
