"""Login lockout, the security headers every page carries, and CSRF on forms."""

import pytest
from django.test import Client

from tests.signin import password_step

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's password


def attempt(client, username, password):
    return client.post(LOGIN, password_step(username, password))


def test_five_wrong_passwords_lock_the_account_for_that_address(clinician, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, clinician.username, "wrong").status_code == 200
    assert attempt(client, clinician.username, "wrong").status_code == 429
    locked = attempt(client, clinician.username, PASSWORD)
    assert locked.status_code == 429
    assert "Too many attempts" in locked.text
    assert "_auth_user_id" not in client.session


def test_a_correct_password_before_the_limit_resets_the_count(clinician, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, clinician.username, "wrong")
    assert attempt(client, clinician.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, clinician.username, "wrong")
    assert attempt(client, clinician.username, PASSWORD).status_code == 302


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get(LOGIN)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in policy
    assert directives["frame-ancestors"] == "'none'"


def test_chart_images_relax_only_their_own_style_policy(client, clinician, course):
    from tracker import services

    services.submit_report(
        course=course, by=course.patient.user, measurements={"temperature_c": 38.5}
    )
    client.force_login(clinician)
    page = client.get(f"/clinician/courses/{course.pk}/")
    chart = client.get(f"/clinician/courses/{course.pk}/charts/timeline.svg")
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
    assert "'unsafe-inline'" in chart["Content-Security-Policy"]
    assert "script-src 'self'" in chart["Content-Security-Policy"]
    assert "unsafe" not in page["Content-Security-Policy"]


def test_forms_refuse_a_post_without_a_csrf_token(clinician):
    client = Client(enforce_csrf_checks=True)
    assert attempt(client, clinician.username, PASSWORD).status_code == 403


def test_session_cookie_is_http_only_and_expires(client, clinician, settings):
    attempt(client, clinician.username, PASSWORD)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
