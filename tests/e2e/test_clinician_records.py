"""Patients and adverse events recorded by the care team, and forms whose every message is seen.

In Chromium at 1280 px on the demo clinic: a nurse (French) registers a patient; a physician
(English) records an adverse event with its seriousness and outcome, found by typing "fiè" in
the term search, and finds both in the FHIR export; every clinician form refused with errors
shows each message beside its field (visible, not only present) and a summary that links to it.
axe finds no serious or critical violation; screenshots go to test-artifacts/.
"""

import json

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import support
from tests.e2e.support import DESKTOP, assert_accessible
from tracker import demo
from tracker.models import AdverseEvent, Course, Patient

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_clinic(live_server):
    demo.build()


def log_in(page: Page, live_server, username: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/accounts/login/?next=/clinician/")
    page.locator("main input[name$=username]").fill(username)
    page.locator("main input[type=password]").fill(demo.DEMO_PASSWORD)
    page.locator("main").get_by_role("button").click()
    expect(page.locator("#clinician-nav")).to_be_visible()


def in_french(page: Page) -> None:
    page.locator("#language-select").select_option("fr")
    page.locator("#language-select").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def course():
    return Course.objects.get(therapy__slug="aldesleukin-high-dose")


def assert_every_error_visible(page: Page, form_selector: str) -> int:
    """Each field message of the form is visible, and the summary links to each field."""
    messages = page.locator(f"{form_selector} .invalid-feedback")
    # The submit reloads the page: wait for the answer's error summary before counting.
    expect(page.locator("#form-errors")).to_be_visible()
    expect(messages.first).to_be_visible()
    count = messages.count()
    assert count > 0
    for index in range(count):
        expect(messages.nth(index)).to_be_visible()
    links = page.locator("#form-errors a")
    assert links.count() == count
    for index in range(links.count()):
        target = links.nth(index).get_attribute("href")
        expect(page.locator(target)).to_be_attached()
    return count


def test_a_nurse_registers_a_patient_in_french(page: Page, live_server, demo_clinic):
    log_in(page, live_server, "nurse.dubois")
    in_french(page)
    page.goto(f"{live_server.url}/clinician/patients/")
    page.locator("#register-patient").click()
    expect(page.locator("#patient-form")).to_be_visible()
    assert_accessible(page)

    page.locator("#patient-form button[type=submit]").click()
    assert assert_every_error_visible(page, "#patient-form") >= 4
    expect(page.locator("#form-errors")).to_contain_text("Rien n’a été enregistré")
    support.screenshot(page, "clinician-records-patient-errors-fr")
    assert_accessible(page)

    page.locator("#id_given_name").fill("Léa")
    page.locator("#id_family_name").fill("Moreau")
    page.locator("#id_birth_date").fill("1968-02-14")
    page.locator("#id_sex").select_option("female")
    page.locator("#id_mrn").fill("ONC-77001")
    page.locator("#id_phone").fill("+33 6 11 22 33 44")
    page.locator("#id_preferred_language").select_option("fr")
    page.locator("#patient-form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Léa Moreau")
    expect(page.locator("#demographics")).to_contain_text("ONC-77001")
    support.screenshot(page, "clinician-records-patient-registered-fr")
    patient = Patient.objects.get(mrn="ONC-77001")
    assert patient.history.first().history_user.username == "nurse.dubois"
    # The invitation offers the patient's language.
    expect(page.locator(f"#invite-language-{patient.pk}")).to_have_value("fr")


def test_an_adverse_event_with_seriousness_and_outcome_reaches_fhir(
    page: Page, live_server, demo_clinic
):
    c = course()
    log_in(page, live_server, "dr.martin")
    page.goto(f"{live_server.url}/clinician/courses/{c.pk}/visits/new/")
    search = page.locator("#id_ae-0-term-search")
    search.fill("fiè")
    expect(page.locator("#id_ae-0-term")).to_have_value("fever")
    expect(page.locator("#ae-0-definitions")).to_contain_text("38.0")
    search.fill("")
    search.fill("feb")
    expect(page.locator("#id_ae-0-term")).to_have_value("fever")
    page.locator("#id_ae-0-grade").select_option("3")
    page.locator("#id_ae-0-attribution").select_option("probable")
    page.locator("#id_ae-0-action").select_option("dose_held")
    page.locator("#id_ae-0-seriousness_2").check()  # hospitalization
    page.locator("#id_ae-0-outcome").select_option("recovering")
    page.locator("#id_ae-0-ongoing").check()
    support.screenshot(page, "clinician-records-visit-adverse-event")
    assert_accessible(page)
    page.locator("#visit-form button[type=submit]").first.click()
    expect(page.locator("#visit-events")).to_contain_text("Hospitalization or its prolongation")
    event = AdverseEvent.objects.get(visit__course=c, term__slug="fever", grade=3)
    assert event.seriousness == ["hospitalization"]

    response = page.request.get(f"{live_server.url}/exports/courses/{c.pk}/summary.fhir.json")
    assert response.ok
    bundle = json.loads(response.text())
    fevers = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "AdverseEvent"
        and e["resource"]["event"].get("text", "").startswith("Fever")
        and "outcome" in e["resource"]
    ]
    (fever,) = fevers
    assert fever["seriousness"]["coding"][0]["code"] == "serious"
    assert fever["outcome"]["coding"][0]["code"] == "recovering"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_error_of_every_clinician_form_is_visible(
    page: Page, live_server, demo_clinic, language
):
    c = course()
    visit = c.visits.order_by("recorded_at").first()
    log_in(page, live_server, "dr.martin")
    if language == "fr":
        in_french(page)
    base = live_server.url

    # The visit: a temperature and a weight out of range (number and unit in one group), an
    # adverse-event row without attribution or action.
    page.goto(f"{base}/clinician/courses/{c.pk}/visits/new/")
    page.locator("#id_temperature_c_0").fill("50")
    page.locator("#id_weight_kg_0").fill("900")
    page.locator("#id_ae-0-term").select_option("chills")
    page.locator("#id_ae-0-grade").select_option("1")
    page.locator("#visit-form button[type=submit]").first.click()
    assert assert_every_error_visible(page, "#visit-form") >= 4
    expect(page.locator("#div_id_temperature_c .invalid-feedback")).to_be_visible()
    expect(page.locator("#div_id_weight_kg .invalid-feedback")).to_be_visible()
    support.screenshot(page, f"clinician-records-visit-errors-{language}")
    assert_accessible(page)

    # A report by phone with an impossible heart rate.
    page.goto(f"{base}/clinician/courses/{c.pk}/reports/new/")
    page.locator("#id_heart_rate").fill("900")
    page.locator("#report-form button[type=submit]").first.click()
    assert_every_error_visible(page, "#report-form")
    assert_accessible(page)

    # A new course with nothing filled in.
    page.goto(f"{base}/clinician/patients/{c.patient.pk}/courses/new/")
    page.locator("#id_start_date").fill("")
    page.locator("#course-form button[type=submit]").click()
    assert_every_error_visible(page, "#course-form")
    assert_accessible(page)

    # A visit corrected without a reason and with a temperature out of range.
    page.goto(f"{base}/clinician/records/visit/{visit.pk}/edit/")
    page.locator("#id_temperature_c_0").fill("20")
    page.locator("#id_reason").fill("")
    page.locator("main form button[type=submit]").first.click()
    assert_every_error_visible(page, "main form")
    assert_accessible(page)

    # A patient registered with nothing filled in.
    page.goto(f"{base}/clinician/patients/new/")
    page.locator("#patient-form button[type=submit]").click()
    assert_every_error_visible(page, "#patient-form")


def test_the_course_page_opens_on_what_matters_now(page: Page, live_server, demo_clinic):
    c = course()
    log_in(page, live_server, "dr.martin")
    page.goto(f"{live_server.url}/clinician/courses/{c.pk}/")
    expect(page.locator("#last-vitals")).to_be_visible()
    expect(page.locator("#course-regimen")).not_to_have_attribute("open", "")
    edit = page.locator("#edit-course")
    expect(edit).to_have_class("btn btn-secondary")
    # Flags and the last vitals come before the course facts.
    order = page.evaluate(
        "() => ['course-flags-heading', 'last-vitals', 'course-header']"
        ".map(id => document.getElementById(id).getBoundingClientRect().top)"
    )
    assert order == sorted(order)
    support.screenshot(page, "clinician-records-course-page")
    assert_accessible(page)
