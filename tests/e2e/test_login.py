"""Signing in through the real login form, in Chromium: where each role lands, French, log out.

Screenshots of every page land in test-artifacts/ (clinician pages at 1280 px wide, patient
pages at phone width) so a person can look at what the tests saw.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.support import DESKTOP, assert_accessible, screenshot
from therapies.models import Therapy
from tracker.models import Flag, FlagLevel

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's password
PHONE = {"width": 390, "height": 844}


def log_in(page: Page, live_server, username: str, screenshot_name: str, lands_on: str) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, screenshot_name)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}{lands_on}")


def urgent_fever_flag(course):
    return Flag.objects.create(
        course=course,
        level=FlagLevel.URGENT,
        rule="fever_above_40",
        term=factories.TermFactory(slug="fever"),
        value="40.3 °C",
        threshold="> 40.0 °C",
        message="Temperature above 40.0 °C.",
        source="CTCAE v5.0, Fever grade 4",
    )


def test_clinician_logs_in_sees_courses_and_flags_switches_to_french_and_logs_out(
    page: Page, live_server, clinician, course, other_course
):
    urgent_fever_flag(course)
    page.set_viewport_size(DESKTOP)

    # The clinician's home is the triage queue of their care teams.
    log_in(page, live_server, clinician.username, "clinician-1-login", lands_on="/clinician/")

    expect(page.get_by_role("navigation").first).to_contain_text(clinician.get_full_name())
    main = page.locator("main")
    expect(main).to_contain_text("May need hospitalization")
    expect(main).to_contain_text("40.3 °C")
    expect(main).to_contain_text(course.patient.full_name)
    expect(main).not_to_contain_text(other_course.patient.full_name)
    screenshot(page, "clinician-2-home")

    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("main")).to_contain_text("Peut nécessiter une hospitalisation")
    screenshot(page, "clinician-3-home-fr")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    screenshot(page, "clinician-4-logged-out-fr")

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_patient_logs_in_and_sees_only_their_own_course(
    page: Page, live_server, patient, course, other_patient
):
    other_course = factories.CourseFactory(
        patient=other_patient, therapy=Therapy.objects.get(slug="tocilizumab")
    )
    urgent_fever_flag(course)
    urgent_fever_flag(other_course)
    page.set_viewport_size(PHONE)

    # A patient's home is their portal, with only their own course.
    log_in(page, live_server, patient.user.username, "patient-1-login", lands_on="/my/")

    main = page.locator("main")
    expect(main).to_contain_text(course.therapy.name)
    expect(main).not_to_contain_text(other_course.therapy.name)
    screenshot(page, "patient-2-home")


def test_a_wrong_password_is_announced(page: Page, live_server, clinician):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(clinician.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    screenshot(page, "login-error")


def _app_code(secret: str, *, later: bool = False) -> str:
    """What an authenticator app set up with `secret` shows now (or in the next 30 s)."""
    import base64
    import time

    import django_otp.oath

    totp = django_otp.oath.TOTP(base64.b32decode(secret))
    if later:
        totp.time = time.time() + totp.step
    return str(totp.token()).zfill(6)


def test_clinician_turns_on_two_factor_then_signs_in_with_the_apps_code(
    page: Page, live_server, clinician, course
):
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, clinician.username, "two-factor-login", "/clinician/")

    page.get_by_role("link", name="Account security").click()
    expect(page.get_by_text("Two-factor authentication is off for your account.")).to_be_visible()
    page.get_by_role("link", name="Turn on two-factor authentication").click()
    page.get_by_role("button", name="Continue").click()
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    # Served, and allowed by the content security policy (a blocked image never gets a width).
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    screenshot(page, "two-factor-setup")
    assert_accessible(page)
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code shown by the app").fill(_app_code(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Two-factor authentication is on")).to_be_visible()
    page.get_by_role("link", name="Get backup codes").click()
    page.get_by_role("button", name="Make new backup codes").click()
    expect(page.locator("#backup-codes li")).to_have_count(10)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Password")).to_be_visible()  # back on the sign-in page
    page.goto(f"{live_server.url}/clinician/")
    page.get_by_label("Username").fill(clinician.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    code = page.get_by_label("Code")
    expect(code).to_be_focused()
    screenshot(page, "two-factor-code")
    assert_accessible(page)
    code.fill(_app_code(secret, later=True))  # the setup used this moment's code
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{live_server.url}/clinician/")
