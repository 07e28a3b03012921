"""The patient portal in Chromium at 360 px: report from a phone and know at once what to do.

Built on the demo clinic (tracker.demo.build()). Screenshots of every portal page land in
test-artifacts/patient-portal-*.png; axe checks each page for serious or critical violations.
"""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e import support
from tests.e2e.support import DESKTOP, assert_accessible
from tracker import demo
from tracker.models import CareTeam, SymptomReport

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}


def screenshot(page: Page, name: str) -> None:
    support.screenshot(page, f"patient-portal-{name}")


def look(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    screenshot(page, name)
    assert_accessible(page)


def open_something_else(page: Page) -> None:
    """The symptoms not expected with the treatment are behind "Something else?"."""
    details = page.locator("#something-else")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.locator("main").get_by_role("button").click()
    # On a phone the log-out button is in the collapsed menu: there, but not on screen.
    expect(
        page.get_by_role("button", name=re.compile("Log out|Se déconnecter"), include_hidden=True)
    ).to_have_count(1)


def in_english(page: Page) -> None:
    """The demo patient prefers French; these checks read the English wording."""
    support.open_menu(page)
    page.locator("#language-select").select_option("en")
    page.locator("#language-select").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.fixture
def demo_clinic(live_server):
    demo.build()


def test_tocilizumab_patient_reports_severe_vomiting_with_fever_and_is_told_to_call_now(
    page: Page, live_server, care_team_open, demo_clinic
):
    # A weekday morning: the care team is open, so its own number is the one to call.
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "ahmed.benali")
    page.goto(f"{live_server.url}/my/")
    in_english(page)
    look(page, "1-home")

    page.get_by_role("link", name="How are you today?").click()
    expect(page.get_by_role("heading", name="How are you today?")).to_be_visible()
    look(page, "2-symptoms")
    open_something_else(page)  # vomiting is not expected with tocilizumab
    page.get_by_label("Vomiting", exact=True).check()
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Vomiting")).to_be_visible()
    page.get_by_role("group", name=re.compile("how OFTEN")).get_by_label("Frequently").check()
    severity = page.get_by_role("group", name=re.compile("SEVERITY"))
    expect(severity).to_be_visible()
    severity.get_by_label("Severe", exact=True).check()
    look(page, "3-questions")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Home measurements")).to_be_visible()
    page.get_by_label("Temperature", exact=True).fill("38.5")
    # The last step sums up the report right above "Send": no separate page to check it.
    expect(page.locator("section.report-summary")).to_contain_text("Vomiting: Frequently, Severe")
    look(page, "4-measurements-and-send")
    page.get_by_role("button", name="Send my report").click()

    panel = page.get_by_role("alert").filter(has_text="may need hospitalization")
    expect(panel).to_contain_text("This may need hospitalization: call your care team now")
    expect(panel.get_by_role("link", name=re.compile("Call your care team"))).to_have_attribute(
        "href", "tel:+33142001234"
    )
    expect(panel.get_by_role("link", name="15").first).to_have_attribute("href", "tel:15")
    expect(panel).to_contain_text("Trouble breathing")
    look(page, "6-answer-urgent")

    page.goto(f"{live_server.url}/my/reports/")
    expect(page.locator("#my-reports")).to_contain_text("Vomiting: Frequently, Severe")
    expect(page.locator("img.grade-chart")).to_be_visible()
    look(page, "7-my-reports")
    page.goto(f"{live_server.url}/my/treatment/")
    expect(page.locator("main")).to_contain_text("Any fever")
    look(page, "8-my-treatment")

    support.open_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("input[type='password']")).to_be_visible()  # back on the sign-in page
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "dr.martin")
    page.goto(f"{live_server.url}/clinician/")  # the triage queue
    queue = page.locator("#triage-queue")
    vomiting = queue.locator("tr").filter(has_text="Ahmed Benali").filter(has_text="Vomiting")
    expect(vomiting.first).to_contain_text("May need hospitalization")
    screenshot(page, "9-clinician-sees-the-flag")


def test_skipped_questions_are_hidden_when_the_answer_is_never(
    page: Page, live_server, demo_clinic
):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "sophie.girard")
    course = SymptomReport.objects.filter(submitted_by__username="sophie.girard").first().course
    page.goto(f"{live_server.url}/my/courses/{course.pk}/report/")
    page.get_by_label("Headache", exact=True).check()
    page.locator("main").get_by_role("button", name="Next").click()
    severity = page.get_by_role("group", name=re.compile("SEVERITY"))
    page.get_by_role("group", name=re.compile("how OFTEN")).get_by_label("Never").check()
    expect(severity).to_be_hidden()
    page.get_by_role("group", name=re.compile("how OFTEN")).get_by_label("Rarely").check()
    expect(severity).to_be_visible()


def test_ticks_are_kept_as_they_are_made(page: Page, live_server, demo_clinic):
    """With JavaScript, htmx saves each step in the background: a closed tab loses nothing."""
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "lucie.moreau")
    course = SymptomReport.objects.filter(submitted_by__username="lucie.moreau").first().course
    url = f"{live_server.url}/my/courses/{course.pk}/report/"
    page.goto(url)
    open_something_else(page)  # nosebleeds are not expected with ustekinumab
    with page.expect_response(lambda response: response.status == 204):
        page.get_by_label("Nosebleeds", exact=True).check()
    page.goto(f"{live_server.url}/my/")
    page.get_by_role("link", name="Continue my report").click()
    expect(page.get_by_label("Nosebleeds", exact=True)).to_be_checked()


def test_a_patient_cannot_open_another_patients_report(page: Page, live_server, demo_clinic):
    sophies = SymptomReport.objects.filter(submitted_by__username="sophie.girard").first()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "ahmed.benali")
    response = page.goto(f"{live_server.url}/my/reports/{sophies.pk}/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Sophie")
    screenshot(page, "10-another-patients-report")


def test_a_clinician_invites_a_patient_who_chooses_a_password_on_a_phone(
    page: Page, live_server, demo_clinic, browser, mailoutbox
):
    team = CareTeam.objects.get(name=demo.TEAM_NAME)
    newcomer = factories.PatientFactory(
        care_team=team,
        user=None,
        given_name="Nora",
        family_name="Petit",
        birth_date=datetime.date(1971, 3, 8),
    )
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "dr.martin")
    page.goto(f"{live_server.url}/clinician/patients/{newcomer.pk}/")
    account = page.locator(".patient-account")
    expect(account).to_contain_text("The patient has no account yet.")
    screenshot(page, "13-invite-on-the-patient-page")
    account.get_by_label("Patient's e-mail address").fill("nora.petit@example.org")
    account.get_by_label("Language").select_option("en")
    account.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("heading", name="Invitation sent")).to_be_visible()
    look(page, "14-invitation-sent")
    # The link goes to the patient's mailbox only, never on the clinician's page.
    (email,) = mailoutbox
    link = re.search(r"https?://\S+/accounts/set-password/\S+/", email.body).group(0)
    assert link.rsplit("/", 2)[-2] not in page.content()

    phone = browser.new_page(viewport=PHONE)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Choose your password")).to_be_visible()
    look(phone, "15-choose-your-password")
    phone.get_by_label("Your date of birth").fill("1971-08-03")  # day and month swapped
    phone.locator("#id_new_password1").fill("Nora's own password 2026")
    phone.locator("#id_new_password2").fill("Nora's own password 2026")
    phone.get_by_role("button", name="Save my password").click()
    expect(phone.locator("#id_birth_date").locator("..")).to_contain_text(
        "This is not the date of birth your care team has for you. 4 tries left."
    )
    phone.get_by_label("Your date of birth").fill("1971-03-08")
    phone.locator("#id_new_password1").fill("Nora's own password 2026")
    phone.locator("#id_new_password2").fill("Nora's own password 2026")
    phone.get_by_role("button", name="Save my password").click()
    expect(phone.get_by_role("heading", name="Password saved")).to_be_visible()
    # Not signed in by the link: the patient signs in with the new password.
    phone.get_by_role("link", name="Sign in").click()
    phone.get_by_label("Username").fill("nora.petit@example.org")
    phone.get_by_label("Password").fill("Nora's own password 2026")
    phone.locator("main").get_by_role("button").click()
    expect(phone.get_by_role("heading", name="Hello, Nora")).to_be_visible()
    phone.goto(link)
    expect(phone.locator("#invalid-link")).to_contain_text("already been used")
    phone.close()


def test_sign_in_and_password_pages_are_accessible_on_a_phone(page: Page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/password-reset/")
    look(page, "16-forgotten-password")
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    look(page, "17-check-your-email")
