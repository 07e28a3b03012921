"""A patient whose answers meet an emergency sign (PRODUCT.md §4) is sent to the emergency number
first, on a 360 px phone, in English and in French: the call is the first visible action, above
the care team's, and the page names the sign.

Thresholds from their sources: NCI CTCAE v5.0 fever grade 3 is >40.0 °C; PRO-CTCAE composite
grade 3 (Basch 2021) for shortness of breath "very severe" (4) interfering "very much" (4).
Screenshots land in test-artifacts/patient-emergency-*.png.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import support
from tests.e2e.support import assert_accessible
from tracker import demo
from tracker.models import Course, User

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
EMERGENCY = "15"  # settings.EMERGENCY_NUMBER's default
CARE_TEAM = "+33142001234"  # the demo's oncology day unit


@pytest.fixture
def demo_clinic(live_server, care_team_open):
    # Built once the clock is on a weekday morning: the care team is open, its number second.
    demo.build()


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.locator("main").get_by_role("button").click()
    # On a phone the log-out button is in the collapsed menu: there, but not on screen.
    expect(
        page.get_by_role("button", name=re.compile("Log out|Se déconnecter"), include_hidden=True)
    ).to_have_count(1)


def start_report(page: Page, live_server, language: str):
    # The account's language is what the pages use from the sign-in on.
    User.objects.filter(username="ahmed.benali").update(preferred_language=language)
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "ahmed.benali")
    page.goto(f"{live_server.url}/my/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    course = Course.objects.get(patient__user__username="ahmed.benali", status="active")
    page.goto(f"{live_server.url}/my/courses/{course.pk}/report/")


def next_step(page: Page) -> None:
    page.locator("main button[name=action][value=next]").click()


def send(page: Page) -> None:
    """ "Send my report", on the last step (the measurements, with the report summed up)."""
    page.locator("main button[name=action][value=send]").click()


def report_temperature(page: Page, typed: str) -> None:
    page.locator("main button[name=action][value=none]").click()
    page.locator("#id_temperature_0").fill(typed)
    send(page)


def open_something_else(page: Page) -> None:
    """The symptoms not expected with the treatment are behind "Something else?"."""
    details = page.locator("#something-else")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def report_very_severe_shortness_of_breath(page: Page) -> None:
    open_something_else(page)
    page.locator("input[name=symptoms][value=shortness_of_breath]").check()
    next_step(page)
    page.locator("input[name='shortness_of_breath-severity'][value='4']").check()
    page.locator("input[name='shortness_of_breath-interference'][value='4']").check()
    next_step(page)
    send(page)  # no measurements


def assert_emergency_call_comes_first(page: Page, sign: str | re.Pattern) -> None:
    emergency = page.locator("#call-emergency")
    care_team = page.locator("#call-care-team")
    expect(emergency).to_be_visible()
    expect(emergency).to_be_in_viewport()
    expect(emergency).to_have_attribute("href", f"tel:{EMERGENCY}")
    expect(care_team).to_have_attribute("href", f"tel:{CARE_TEAM}")
    # The first call-to-action in the page is the emergency number's; the care team's is below.
    first_tel = page.locator("main a[href^='tel:']").first
    expect(first_tel).to_have_attribute("id", "call-emergency")
    emergency_box, care_team_box = emergency.bounding_box(), care_team.bounding_box()
    assert emergency_box["y"] + emergency_box["height"] <= care_team_box["y"]
    # ... and it is the largest button of the page.
    assert emergency_box["height"] >= care_team_box["height"]
    expect(page.locator("#emergency-signs")).to_contain_text(sign)


def test_a_temperature_of_40_3_sends_the_patient_to_the_emergency_number_first(
    page: Page, live_server, demo_clinic
):
    start_report(page, live_server, "en")
    report_temperature(page, "40.3")
    expect(page.get_by_role("heading", name="Call the emergency number now")).to_be_visible()
    assert_emergency_call_comes_first(page, "Your temperature of 40.3 °C is above 40.0 °C.")
    expect(page.locator("#call-emergency")).to_have_text("Call the emergency number: 15")
    support.screenshot(page, "patient-emergency-1-temperature-en")
    assert_accessible(page)


def test_a_temperature_of_40_3_in_french(page: Page, live_server, demo_clinic):
    start_report(page, live_server, "fr")
    report_temperature(page, "40,3")
    expect(
        page.get_by_role("heading", name="Appelez le numéro d’urgence maintenant")
    ).to_be_visible()
    assert_emergency_call_comes_first(page, "Votre température de 40,3 °C dépasse 40,0 °C.")
    support.screenshot(page, "patient-emergency-2-temperature-fr")
    assert_accessible(page)


def test_very_severe_shortness_of_breath_sends_the_patient_to_the_emergency_number_first(
    page: Page, live_server, demo_clinic
):
    start_report(page, live_server, "en")
    report_very_severe_shortness_of_breath(page)
    assert_emergency_call_comes_first(page, "You are severely short of breath.")
    support.screenshot(page, "patient-emergency-3-breath-en")
    assert_accessible(page)


def test_very_severe_shortness_of_breath_in_french(page: Page, live_server, demo_clinic):
    start_report(page, live_server, "fr")
    report_very_severe_shortness_of_breath(page)
    assert_emergency_call_comes_first(page, "Vous êtes très essoufflé(e).")
    support.screenshot(page, "patient-emergency-4-breath-fr")
    assert_accessible(page)
