"""High-dose IL-2 dose advice on the course page, in Chromium at 1280 px, on the demo clinic.

The demo's aldesleukin course was held, then discontinued (urine < 80 mL/8 h and a
vasopressor: Dutcher 2014, SpringerPlus 2015). Days later the course page still says
discontinued (Proleukin label 2023, Table 2: "permanently discontinue"), first on the page;
only a physician can lift it, with a reason, after which only new assessments count.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import support
from tests.e2e.support import DESKTOP, assert_accessible
from tracker import demo
from tracker.models import Course, DoseAdviceOverride

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_clinic(live_server):
    demo.build()


def sign_in(page: Page, live_server, username: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/accounts/login/?next=/clinician/")
    page.locator("input[name$='username']").fill(username)
    page.locator("input[type='password']").fill(demo.DEMO_PASSWORD)
    page.locator("main").get_by_role("button").click()
    expect(page.locator("#clinician-nav")).to_be_visible()


def course_url(live_server) -> str:
    course = Course.objects.get(therapy__slug="aldesleukin-high-dose")
    return f"{live_server.url}/clinician/courses/{course.pk}/"


def test_the_discontinued_course_says_so_first_and_a_physician_lifts_it(
    page: Page, live_server, demo_clinic
):
    sign_in(page, live_server, "dr.martin")
    page.goto(course_url(live_server))
    advice = page.locator("#dose-advice")
    expect(advice).to_be_visible()
    expect(page.locator("#dose-advice-decision")).to_contain_text("Discontinue")
    expect(page.locator("#dose-advice-since")).to_be_visible()
    expect(page.locator("#dose-advice-criteria")).to_contain_text("Urine output 70 mL in 8 h")
    # First on the page: above the course's facts and regimen.
    advice_top = advice.bounding_box()["y"]
    assert advice_top < page.locator("#course-header").bounding_box()["y"]
    support.screenshot(page, "dose-advice-1-discontinued")
    assert_accessible(page)

    override = page.locator("#dose-advice-override")
    override.locator("summary").click()
    override.get_by_role("button").click()  # no reason: refused, nothing recorded
    expect(page.get_by_text("Say why the course may continue")).to_be_visible()
    assert not DoseAdviceOverride.objects.exists()

    page.locator("#dose-advice-override summary").click()
    page.get_by_label("Why the course may continue").fill("Urine output back to 300 mL/8 h")
    page.locator("#dose-advice-override").get_by_role("button").click()
    expect(page.get_by_text("Override recorded")).to_be_visible()
    expect(page.locator("#dose-advice-decision")).to_contain_text("Incomplete")
    expect(page.locator("#dose-advice-not-assessed")).to_contain_text("Systolic BP")
    support.screenshot(page, "dose-advice-2-after-override")


def test_a_nurse_sees_the_advice_in_french_without_the_override(
    page: Page, live_server, demo_clinic
):
    sign_in(page, live_server, "nurse.dubois")  # prefers French
    page.goto(course_url(live_server))
    expect(page.locator("#dose-advice-decision")).to_be_visible()
    expect(page.locator("#dose-advice-heading")).to_have_text("Avis sur la prochaine dose")
    expect(page.locator("#dose-advice-override")).to_have_count(0)
    support.screenshot(page, "dose-advice-3-nurse-fr")
    assert_accessible(page)
