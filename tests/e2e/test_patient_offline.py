"""The report flow without a connection, in Chromium on a 360 px phone, in English and French:
a report filled in offline is kept on the phone with a banner saying it is not sent yet, and is
sent exactly once when the connection returns; urgent guidance is given offline at once.

Threshold from its source: NCI CTCAE v5.0 "Fever" grade 3 is >40.0 °C (an emergency sign,
PRODUCT.md §4): 40.3 °C sends the patient to the emergency number, 40.0 °C does not.
The live server runs on http://localhost, a secure context, so the service worker runs.
Screenshots land in test-artifacts/patient-offline-*.png.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import support
from tests.e2e.support import assert_accessible
from tracker import demo
from tracker.models import Course, SymptomReport

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
EMERGENCY = "15"  # settings.EMERGENCY_NUMBER's default
QUEUED = {
    "en": "Not sent yet — will send when you are back online.",
    "fr": "Pas encore envoyé — il sera envoyé dès le retour de la connexion.",
}
SENT = {"en": "Your report was sent.", "fr": "Votre signalement a été envoyé."}
CALL_EMERGENCY = {"en": "Call the emergency number now", "fr": "Appelez le numéro d’urgence"}


@pytest.fixture
def demo_clinic(live_server, care_team_open):
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


def open_something_else(page: Page) -> None:
    """The symptoms not expected with the treatment are behind "Something else?"."""
    details = page.locator("#something-else")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def choose_language(page: Page, language: str) -> None:
    support.open_menu(page)
    page.locator("#language-select").select_option(language)
    page.locator("#language-select").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def open_report_then_go_offline(page: Page, live_server, language: str) -> Course:
    """Signed in and on step 1 with the pages kept on the phone, then the connection goes."""
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "ahmed.benali")
    page.goto(f"{live_server.url}/my/")
    choose_language(page, language)
    course = Course.objects.get(patient__user__username="ahmed.benali", status="active")
    page.goto(f"{live_server.url}/my/courses/{course.pk}/report/")
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "true", timeout=30_000)
    page.context.set_offline(True)
    return course


def next_step(page: Page) -> None:
    page.locator("main button[name=action][value=next]").click()


def send(page: Page) -> None:
    """ "Send my report", on the last step (the measurements, with the report summed up)."""
    page.locator("main button[name=action][value=send]").click()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_report_filled_in_offline_is_sent_once_when_back_online(
    page: Page, live_server, demo_clinic, language
):
    course = open_report_then_go_offline(page, live_server, language)
    before = SymptomReport.objects.filter(course=course).count()

    open_something_else(page)  # nausea is not expected with tocilizumab
    page.locator("input[name=symptoms][value=nausea]").check()
    next_step(page)
    expect(page).to_have_url(re.compile(r"/report/questions/$"))
    # The phone's copy asks about every symptom; only the one ticked offline is shown.
    expect(page.locator("section[aria-labelledby=symptom-nausea]")).to_be_visible()
    expect(page.locator("section[aria-labelledby=symptom-vomiting]")).to_be_hidden()
    page.locator("input[name='nausea-frequency'][value='2']").check()
    page.locator("input[name='nausea-severity'][value='1']").check()
    next_step(page)
    expect(page).to_have_url(re.compile(r"/report/measurements/$"))
    page.locator("#id_temperature_0").fill("37,2" if language == "fr" else "37.2")
    # The answers kept on the phone are summed up above "Send".
    kept = page.locator("section[aria-labelledby=review-symptoms] li")
    expect(kept).to_have_count(1)
    expect(kept).to_contain_text("Nausées" if language == "fr" else "Nausea")

    send(page)
    banner = page.get_by_role("status").filter(has_text=QUEUED[language])
    expect(banner).to_be_visible()
    expect(page.get_by_text(SENT[language])).to_have_count(0)
    support.screenshot(page, f"patient-offline-queued-{language}")
    assert_accessible(page)
    assert SymptomReport.objects.filter(course=course).count() == before  # nothing reached it

    page.context.set_offline(False)
    expect(page.get_by_role("status").filter(has_text=SENT[language])).to_be_visible(timeout=20_000)
    support.screenshot(page, f"patient-offline-sent-{language}")
    reports = SymptomReport.objects.filter(course=course)
    assert reports.count() == before + 1
    sent = reports.order_by("-reported_at").first()
    assert sent.client_id is not None
    assert float(sent.temperature_c) == 37.2
    assert [(a.term.slug, a.frequency, a.severity) for a in sent.answers.all()] == [
        ("nausea", 2, 1)
    ]

    # Losing and finding the connection again, or opening another page, sends nothing more.
    page.context.set_offline(True)
    page.context.set_offline(False)
    page.goto(f"{live_server.url}/my/")
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "true", timeout=30_000)
    assert SymptomReport.objects.filter(course=course).count() == before + 1


@pytest.mark.parametrize("language", ["en", "fr"])
def test_urgent_guidance_is_given_offline_at_once(page: Page, live_server, demo_clinic, language):
    course = open_report_then_go_offline(page, live_server, language)
    page.locator("main button[name=action][value=none]").click()
    expect(page).to_have_url(re.compile(r"/report/measurements/$"))

    temperature = page.locator("#id_temperature_0")
    call = page.locator("#offline-guidance a.call-emergency")
    temperature.fill("40,0" if language == "fr" else "40.0")  # grade 3 is above 40.0 °C
    expect(call).to_have_count(0)
    temperature.fill("40,3" if language == "fr" else "40.3")
    expect(page.get_by_role("alert").filter(has_text=CALL_EMERGENCY[language])).to_be_visible()
    expect(call).to_be_visible()
    expect(call).to_have_attribute("href", f"tel:{EMERGENCY}")
    expect(page.locator("#offline-guidance a.call-care-team")).to_be_visible()
    support.screenshot(page, f"patient-offline-emergency-{language}")

    send(page)
    expect(page.get_by_role("status").filter(has_text=QUEUED[language])).to_be_visible()
    expect(call).to_be_visible()
    assert_accessible(page)
    assert not SymptomReport.objects.filter(course=course, temperature_c__gt=40).exists()


def test_a_kept_report_is_never_called_sent_when_the_server_did_not_take_it(
    page: Page, live_server, demo_clinic
):
    """Back online but signed out meanwhile (the session ended): the report stays on the
    phone, the banner asks to sign in, and nothing is recorded; after signing in it is sent."""
    course = open_report_then_go_offline(page, live_server, "en")
    before = SymptomReport.objects.filter(course=course).count()
    page.locator("main button[name=action][value=none]").click()
    page.locator("#id_temperature_0").fill("37.4")
    send(page)
    expect(page.get_by_role("status").filter(has_text=QUEUED["en"])).to_be_visible()

    page.context.clear_cookies()
    page.context.set_offline(False)
    status = page.get_by_role("status")
    expect(status).to_contain_text("Your report is not sent yet: sign in to send it.")
    expect(page.get_by_text(SENT["en"])).to_have_count(0)
    assert SymptomReport.objects.filter(course=course).count() == before

    status.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("ahmed.benali")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.locator("main").get_by_role("button").click()
    expect(page.get_by_role("status").filter(has_text=SENT["en"])).to_be_visible(timeout=20_000)
    reports = SymptomReport.objects.filter(course=course)
    assert reports.count() == before + 1
    assert float(reports.order_by("-reported_at").first().temperature_c) == 37.4


CALL_CARE_TEAM = {
    "en": "This may need care now: call your care team",
    "fr": "Cela peut demander des soins maintenant : appelez votre équipe de soins",
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_fever_with_dizziness_on_tocilizumab_is_an_emergency_offline(
    page: Page, live_server, demo_clinic, language
):
    """domain.md §5.3: on an IL-6 blocker (Ahmed takes tocilizumab) a fever from 38.0 °C (the
    CTCAE fever floor) is urgent, and an emergency with dizziness at PRO-CTCAE composite grade
    2 or more (Basch 2021: severity "moderate" with interference "somewhat" is 2; with "a
    little bit" it is 1). Judged on the phone, offline, on both sides of each boundary."""
    course = open_report_then_go_offline(page, live_server, language)
    page.locator("input[name=symptoms][value=dizziness]").check()  # expected with tocilizumab
    next_step(page)
    page.locator("input[name='dizziness-severity'][value='2']").check()  # moderate
    page.locator("input[name='dizziness-interference'][value='1']").check()  # a little bit: 1
    next_step(page)
    expect(page).to_have_url(re.compile(r"/report/measurements/$"))

    temperature = page.locator("#id_temperature_0")
    emergency = page.locator("#offline-guidance a.call-emergency")
    care_team = page.locator("#offline-guidance a.call-care-team")
    temperature.fill("37,9" if language == "fr" else "37.9")  # below the fever floor
    expect(page.locator("#offline-guidance")).to_be_empty()
    temperature.fill("38,0" if language == "fr" else "38.0")  # a fever: urgent on tocilizumab
    expect(page.get_by_role("alert").filter(has_text=CALL_CARE_TEAM[language])).to_be_visible()
    expect(care_team).to_be_visible()
    expect(emergency).to_have_count(0)  # dizziness at composite 1 is not a companion sign

    # Back to the questions (the answers stay on the phone): dizziness now at composite 2.
    page.locator("main button[name=action][value=back]").click()
    expect(page).to_have_url(re.compile(r"/report/questions/$"))
    page.locator("input[name='dizziness-interference'][value='2']").check()  # somewhat: 2
    next_step(page)
    expect(page).to_have_url(re.compile(r"/report/measurements/$"))
    expect(temperature).to_have_value("38,0" if language == "fr" else "38.0")
    expect(page.get_by_role("alert").filter(has_text=CALL_EMERGENCY[language])).to_be_visible()
    expect(emergency).to_have_attribute("href", f"tel:{EMERGENCY}")
    support.screenshot(page, f"patient-offline-il6-emergency-{language}")
    assert_accessible(page)
    temperature.fill("37,9" if language == "fr" else "37.9")  # no fever: no emergency
    expect(emergency).to_have_count(0)
    expect(page.locator("#offline-guidance")).to_be_empty()
    temperature.fill("38,0" if language == "fr" else "38.0")
    expect(emergency).to_be_visible()

    send(page)
    expect(page.get_by_role("status").filter(has_text=QUEUED[language])).to_be_visible()
    expect(emergency).to_be_visible()  # still said once the report is kept to send

    # The server judges it the same once the connection returns.
    page.context.set_offline(False)
    expect(page.get_by_role("status").filter(has_text=SENT[language])).to_be_visible(timeout=20_000)
    sent = SymptomReport.objects.filter(course=course).latest("reported_at")
    assert [sign["sign"] for sign in sent.emergency_signs] == ["fever_on_il6_blocker"]


def sign_out(page: Page) -> None:
    support.open_menu(page)
    page.get_by_role("button", name=re.compile("Log out|Se déconnecter")).click()
    expect(page.locator("input[type=password]")).to_be_visible()  # back on the sign-in page


def portal_copies(page: Page) -> list[str]:
    return page.evaluate(
        "() => caches.keys().then(names => names.filter(n => n.startsWith('portal-pages-')))"
    )


def test_signing_out_removes_the_copy_of_the_portal_pages_from_the_phone(
    page: Page, live_server, demo_clinic
):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "ahmed.benali")
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "true", timeout=20_000)
    assert portal_copies(page) == ["portal-pages-v2"]

    sign_out(page)
    expect(page.locator("html")).to_have_attribute("data-portal-copy-removed", "true")
    assert portal_copies(page) == []


def test_signing_out_does_not_wait_on_a_phone_slow_to_remove_its_copy(
    page: Page, live_server, demo_clinic
):
    # A phone busy writing its copy of the pages can take seconds to delete it: here it never
    # answers. Signing out still goes through at once.
    page.add_init_script("CacheStorage.prototype.delete = () => new Promise(() => {});")
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "ahmed.benali")
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "true", timeout=20_000)

    sign_out(page)
    page.goto(f"{live_server.url}/my/")  # signed out: the portal asks to sign in again
    expect(page.locator("input[type=password]")).to_be_visible()
