"""A report in a few taps on a 360 px phone, in English and French: the one-line header, the
search behind "Something else?", "Nothing new today" in at most three taps, a typical report
(three symptoms and a temperature) in at most twelve, and the cited self-care advice on the
answer page.

Taps are counted on the page itself: every trusted pointerdown (a finger or a click), kept in
sessionStorage across the pages of the flow. Typing is not a tap, but putting the finger on a
field to type in it is: the tests tap the field first, as a patient would. Screenshots land in
test-artifacts/patient-flow-*.png and axe checks each page.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import support
from tests.e2e.support import assert_accessible
from tracker import demo
from tracker.models import Course, SymptomReport, User

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
NOTHING_NEW_TAPS = 3  # issue 16: "Nothing new today" sends a report in at most 3 taps
TYPICAL_REPORT_TAPS = 12  # issue 16: 3 symptoms and a temperature in at most 12 taps
ONE_LINE_HEADER_PX = 72  # one line: the name and a 48 px menu button, with the bar's padding

COUNT_TAPS = """
document.addEventListener("pointerdown", function (event) {
  if (event.isTrusted) {
    sessionStorage.setItem("taps", String(Number(sessionStorage.getItem("taps") || 0) + 1));
  }
}, true);
"""


@pytest.fixture
def demo_clinic(live_server):
    demo.build()


def look(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    support.screenshot(page, f"patient-flow-{name}")
    assert_accessible(page)


def sign_in(page: Page, live_server, username: str, language: str) -> None:
    """Signed in on a phone, reading the portal in `language`: the account's language is what
    the pages use from the sign-in on (the language menu is tested in test_patient.py)."""
    User.objects.filter(username=username).update(preferred_language=language)
    page.set_viewport_size(PHONE)
    page.add_init_script(COUNT_TAPS)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.locator("main").get_by_role("button").click()
    # Signed in once the log-out button exists (on a phone it is in the collapsed menu: there,
    # but not on screen).
    expect(
        page.get_by_role("button", name=re.compile("Log out|Se déconnecter"), include_hidden=True)
    ).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.goto(f"{live_server.url}/my/")
    expect(page.locator("html")).to_have_attribute("lang", language)


def start_counting(page: Page) -> None:
    page.evaluate("sessionStorage.setItem('taps', '0')")


def taps(page: Page) -> int:
    return int(page.evaluate("sessionStorage.getItem('taps')"))


def next_step(page: Page) -> None:
    page.locator("main button[name=action][value=next]").click()


def send(page: Page) -> None:
    """ "Send my report", on the last step (the measurements, with the report summed up)."""
    page.locator("main button[name=action][value=send]").click()


def report_url(live_server, username: str) -> str:
    course = Course.objects.get(patient__user__username=username, status="active")
    return f"{live_server.url}/my/courses/{course.pk}/report/"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_header_is_one_line_with_a_menu_button(page: Page, live_server, demo_clinic, language):
    sign_in(page, live_server, "ahmed.benali", language)
    page.goto(report_url(live_server, "ahmed.benali"))
    header = page.locator("header")
    support.screenshot(page, f"patient-flow-1-header-{language}")
    assert header.bounding_box()["height"] <= ONE_LINE_HEADER_PX
    menu = page.locator("#menu-button")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#language-select")).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile("Log out|Se déconnecter"))).to_be_hidden()
    look(page, f"1-header-{language}")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name=re.compile("Log out|Se déconnecter"))).to_be_visible()
    expect(page.locator("#main-menu").get_by_role("link").first).to_be_visible()
    look(page, f"2-menu-open-{language}")


@pytest.mark.parametrize(
    ("language", "typed", "found", "not_found"),
    [
        # Accents and capitals do not matter, and either language's words find the symptom.
        ("en", "NAUSEES", "Nausea", "Vomiting"),
        ("fr", "essouffle", "Essoufflement", "Toux"),
        ("fr", "breath", "Essoufflement", "Nausées"),
    ],
)
def test_search_finds_a_symptom_not_expected_with_the_treatment(
    page: Page, live_server, demo_clinic, language, typed, found, not_found
):
    sign_in(page, live_server, "ahmed.benali", language)
    page.goto(report_url(live_server, "ahmed.benali"))
    others = page.locator("#other-symptoms")
    # Tocilizumab's expected symptoms come first; the rest waits behind "Something else?".
    expect(page.locator("#expected-symptoms")).to_be_visible()
    expect(others).to_be_hidden()
    page.locator("#something-else > summary").click()
    search = page.locator("#symptom-search")
    expect(search).to_be_visible()
    search.fill(typed)
    search.press("Enter")  # searches; does not send the step
    expect(others.get_by_label(found, exact=True)).to_be_visible()
    expect(others.get_by_label(not_found, exact=True)).to_be_hidden()
    expect(page.locator("#symptom-search-count")).to_contain_text("1")
    others.get_by_label(found, exact=True).check()
    search.fill("")
    expect(others.get_by_label(not_found, exact=True)).to_be_visible()
    look(page, f"3-search-{language}-{typed.lower()}")
    next_step(page)
    expect(page.locator(".symptom-questions h2")).to_have_text(found)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_nothing_new_today_is_sent_in_three_taps(page: Page, live_server, demo_clinic, language):
    sign_in(page, live_server, "ahmed.benali", language)
    before = SymptomReport.objects.filter(submitted_by__username="ahmed.benali").count()
    look(page, f"4-home-{language}")
    start_counting(page)
    page.locator("main button.nothing-new").click()  # 1
    expect(page.locator("#id_temperature_0")).to_be_visible()
    # The last step says what is sent, right above the button: no symptoms.
    expect(page.locator("section.report-summary")).to_contain_text(NO_SYMPTOMS[language])
    send(page)  # 2
    expect(page).to_have_url(re.compile(r"/my/reports/[0-9a-f-]+/$"))
    assert taps(page) <= NOTHING_NEW_TAPS
    assert taps(page) == 2
    reports = SymptomReport.objects.filter(submitted_by__username="ahmed.benali")
    assert reports.count() == before + 1
    assert not reports.order_by("-reported_at").first().answers.exists()
    look(page, f"5-nothing-new-sent-{language}")


NO_SYMPTOMS = {"en": "No symptoms in the last 7 days.", "fr": "Aucun symptôme"}

ADVICE = {
    "en": ("Eat small meals or snacks often", "Drink plenty of clear liquids"),
    "fr": ("Mangez de petits repas", "Buvez beaucoup de liquides clairs"),
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_typical_report_takes_twelve_taps_and_brings_self_care_advice(
    page: Page, live_server, demo_clinic, language
):
    # Sophie is on anakinra: an injection-site reaction, mild nausea and a few loose stools
    # (all three expected with it) and a temperature taken at home.
    sign_in(page, live_server, "sophie.girard", language)
    start_counting(page)
    page.locator("main a.report-button").click()  # 1
    for slug in ("nausea", "diarrhea", "injection_site_reaction"):  # 2-4
        page.locator(f"input[name=symptoms][value={slug}]").check()
    look(page, f"6-symptoms-{language}")
    next_step(page)  # 5
    # PRO-CTCAE as asked: nausea how often and how severe, loose stools how often, and yes/no.
    page.locator("input[name='nausea-frequency'][value='2']").check()  # 6: occasionally
    page.locator("input[name='nausea-severity'][value='1']").check()  # 7: mild
    page.locator("input[name='diarrhea-frequency'][value='1']").check()  # 8: rarely
    page.locator("input[name='injection_site_reaction-present'][value='yes']").check()  # 9
    look(page, f"7-questions-{language}")
    # Three symptoms' questions fit in about two phone screens.
    assert page.evaluate("document.documentElement.scrollHeight") <= 2.5 * PHONE["height"]
    next_step(page)  # 10
    temperature = page.locator("#id_temperature_0")
    temperature.click()  # 11: the finger on the field, then typing (not a tap)
    page.keyboard.type("37,2" if language == "fr" else "37.2")
    # What is sent, summed up right above "Send": no separate page to check it.
    summary = page.locator("section.report-summary")
    expect(summary.locator("li")).to_have_count(3)
    look(page, f"7b-measurements-and-send-{language}")
    send(page)  # 12
    expect(page).to_have_url(re.compile(r"/my/reports/[0-9a-f-]+/$"))
    assert taps(page) <= TYPICAL_REPORT_TAPS
    assert taps(page) == 12
    saved = SymptomReport.objects.filter(submitted_by__username="sophie.girard").latest(
        "reported_at"
    )
    assert float(saved.temperature_c) == 37.2
    assert saved.answers.count() == 3
    advice = page.locator("#self-care")
    expect(advice).to_be_visible()
    expect(advice.locator("li")).to_have_count(3)
    for words in ADVICE[language]:
        expect(advice).to_contain_text(words)
    expect(advice.locator("a[href^='https://www.cancer.gov/']").first).to_be_visible()
    look(page, f"8-answer-with-advice-{language}")
