"""The clinician's working day in Chromium at 1280 px, on the demo clinic.

Log a visit with a systolic BP of 82 on the aldesleukin course, see the urgent flag on the
triage queue and acknowledge it in place; open the course page and check that the charts
drew their marks. axe finds no serious or critical violation on the main pages, and every main
page is saved to test-artifacts/clinician-app-*.png for a reviewer.
"""

import re

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from tests.e2e import support
from tests.e2e.support import DESKTOP, assert_accessible
from therapies.models import Therapy
from tracker import demo
from tracker.models import Course, Flag, FlagLevel, FlagStatus, Patient

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_clinic(live_server):
    demo.build()


def screenshot(page: Page, name: str) -> None:
    support.screenshot(page, f"clinician-app-{name}")


def look(page: Page, name: str, *, axe: bool = True) -> None:
    page.wait_for_load_state("load")
    screenshot(page, name)
    if axe:
        assert_accessible(page)


def log_in(page: Page, live_server, username: str = "dr.martin") -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/accounts/login/?next=/clinician/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.locator("main").get_by_role("button").click()
    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()


def aldesleukin_course():
    return Course.objects.get(therapy__slug="aldesleukin-high-dose")


def test_log_a_low_blood_pressure_see_it_on_the_queue_and_acknowledge_it(
    page: Page, live_server, demo_clinic
):
    log_in(page, live_server)
    look(page, "1-triage-queue")

    nav = page.locator("#clinician-nav")
    badge_before = nav.locator("#nav-urgent-count").inner_text()
    nav.get_by_role("link", name="Patients").click()
    page.get_by_label("Search by name or MRN").fill("RCC-20417")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="LEFÈVRE, Marc").click()
    page.get_by_role("link", name="Aldesleukin, high dose").first.click()
    page.get_by_role("link", name="Log a visit").click()
    expect(page.get_by_role("heading", name=re.compile("Log a visit"))).to_be_visible()
    look(page, "4-visit-form")

    # Keyboard first: the cursor starts in the temperature.
    expect(page.get_by_label("Temperature", exact=True)).to_be_focused()
    page.get_by_role("button", name="Add an adverse event row").click()
    expect(page.locator(".ae-row")).to_have_count(4)
    page.get_by_label("Systolic BP (mmHg)").fill("82")
    page.get_by_label("Diastolic BP (mmHg)").fill("50")
    page.get_by_label("Heart rate (/min)").fill("104")
    first_row = page.locator(".ae-row").first
    first_row.get_by_label("Adverse event (CTCAE term)").select_option("hypotension")
    # The CTCAE definitions of the chosen term arrive from the server (htmx).
    expect(first_row.locator(".ctcae-definitions")).to_contain_text(
        "Medical intervention; hospitalization indicated"
    )
    first_row.get_by_label("CTCAE grade").select_option("3")
    # Attribution and action are chosen, never defaulted.
    first_row.get_by_label("Attribution").select_option("probable")
    first_row.get_by_label("Action taken").select_option("dose_held")
    screenshot(page, "5-visit-form-filled")
    page.get_by_role("button", name="Save the visit").click()

    expect(page.get_by_role("heading", name="Saved. What the rules found")).to_be_visible()
    result = page.locator("#visit-result")
    expect(result).to_contain_text("May need hospitalization")
    expect(result).to_contain_text("Hypotension")
    expect(page.locator("#dose-advice")).to_contain_text("Discontinue")
    look(page, "6-visit-saved")

    flag = Flag.objects.get(
        visit__course=aldesleukin_course(),
        visit__systolic_bp=82,
        visit__diastolic_bp=50,
        term__slug="hypotension",
    )
    assert flag.level == FlagLevel.URGENT

    page.get_by_role("link", name=re.compile("Triage queue")).click()
    page.wait_for_url(f"{live_server.url}/clinician/")
    row = page.locator(f"#flag-{flag.pk}")
    expect(row).to_be_visible()
    expect(nav.locator("#nav-urgent-count")).not_to_have_text(badge_before)
    expect(row).to_contain_text("May need hospitalization")
    # One row per patient, the flag inside it.
    expect(page.locator(f"#patient-{flag.course.patient_id}")).to_contain_text("Marc Lefèvre")
    expect(row).to_contain_text("Open")
    row.get_by_label("Note on Hypotension").fill("Phenylephrine started, ICU informed")
    row.get_by_role("button", name="Acknowledge").click()
    # The row is swapped in place (htmx): no page load, the queue keeps its place.
    expect(row).to_contain_text("Flag acknowledged.")
    expect(row).to_contain_text("Acknowledged by Claire Martin")
    expect(row).to_contain_text("Phenylephrine started, ICU informed")
    expect(row.get_by_role("button", name="Acknowledge")).to_have_count(0)
    # The navigation's count of open urgent flags follows (out-of-band swap).
    expect(nav.locator("#nav-urgent-count")).to_have_text(badge_before)
    screenshot(page, "7-triage-acknowledged")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.ACKNOWLEDGED
    assert flag.acknowledged_by.username == "dr.martin"


def test_course_page_charts_draw_their_marks(page: Page, live_server, demo_clinic):
    course = aldesleukin_course()
    log_in(page, live_server)
    # The site's policy (style-src 'self') would refuse a style in the page's own charts.
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    chart_requests = []
    page.on("request", lambda r: chart_requests.append(r.url) if "/charts/" in r.url else None)
    page.goto(f"{live_server.url}/clinician/courses/{course.pk}/")
    expect(
        page.get_by_role("heading", name=re.compile("Aldesleukin, high dose for"))
    ).to_be_visible()
    page.wait_for_load_state("load")
    assert chart_requests == []  # the charts came with the page
    for chart, name in (("timeline", "Timeline of side-effect grades"), ("vitals", "Systolic")):
        # Drawn in the page, named for assistive technology, as wide as the pictures were.
        drawing = page.locator(f"#{chart}-chart").get_by_role("img", name=re.compile(name))
        expect(drawing).to_be_visible()
        assert drawing.evaluate("svg => svg.getBoundingClientRect().width") == 800
        if chart == "timeline":
            assert drawing.locator(".grade-point use").count() >= 5  # one mark per grade
            assert drawing.locator(".dose-given").count() >= 1
            assert drawing.locator(".dose-held").count() >= 1
        else:
            assert drawing.locator("[class^=threshold-]").count() >= 5
            assert drawing.locator(".threshold-systolic_bp-90").count() == 1
        # The chart's own address still serves it (exports, links).
        address = f"{live_server.url}/clinician/courses/{course.pk}/charts/{chart}.svg"
        svg = page.request.get(address)
        assert svg.headers["content-type"] == "image/svg+xml"
    assert refused == []
    expect(page.locator("#side-effects")).to_contain_text("Capillary leak syndrome")
    expect(page.locator("#dose-advice")).to_contain_text("Discontinue")
    look(page, "3-course")
    page.goto(f"{live_server.url}/clinician/courses/{course.pk}/?all=1")
    expect(page.locator("#showing-all")).to_be_visible()
    look(page, "3-course-every-record")


def test_the_other_main_pages(page: Page, live_server, demo_clinic):
    course = aldesleukin_course()
    visit = course.visits.order_by("recorded_at").first()
    log_in(page, live_server)
    pages = [
        ("2-patients", "/clinician/patients/", "Patients"),
        ("8-patient", f"/clinician/patients/{course.patient.pk}/", "Marc Lefèvre"),
        ("9-not-reported", "/clinician/not-reported/", "Not reported yet"),
        ("10-report-by-phone", f"/clinician/courses/{course.pk}/reports/new/", "Symptom report"),
        ("11-visit", f"/clinician/visits/{visit.pk}/", "Visit of"),
        ("12-correct-visit", f"/clinician/records/visit/{visit.pk}/edit/", "Correct"),
        ("13-history", f"/clinician/records/visit/{visit.pk}/history/", "History"),
        ("14-course-edit", f"/clinician/courses/{course.pk}/edit/", "Edit course"),
    ]
    for name, path, heading in pages:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        look(page, name)


def test_a_bad_value_is_refused_at_the_field_and_kept(page: Page, live_server, demo_clinic):
    course = aldesleukin_course()
    visits_before = course.visits.count()
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clinician/courses/{course.pk}/visits/new/")
    page.get_by_label("Temperature", exact=True).fill("101")
    page.get_by_label("Systolic BP (mmHg)").fill("84")
    page.get_by_role("button", name="Save the visit").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved.")
    expect(page.locator("#visit-form")).to_contain_text("Was it in °F?")
    expect(page.get_by_label("Systolic BP (mmHg)")).to_have_value("84")
    screenshot(page, "15-visit-form-error")
    assert course.visits.count() == visits_before


def test_queue_in_french(page: Page, live_server, demo_clinic):
    log_in(page, live_server)
    page.locator("#language-select").select_option("fr")
    page.locator("#language-select").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#triage-queue")).to_contain_text("Peut nécessiter une hospitalisation")
    screenshot(page, "16-triage-queue-fr")


def test_new_course_with_the_regimen_filled_from_the_therapy(page: Page, live_server, demo_clinic):
    patient = Patient.objects.get(mrn="GI-30551")
    tocilizumab = Therapy.objects.get(slug="tocilizumab")
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clinician/patients/{patient.pk}/")
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Therapy").select_option(label=tocilizumab.name)
    # The regimen arrives from the catalog (htmx) when the therapy is chosen, its source keys
    # read as the citations they stand for ("(Actemra label)", not "[ACT-LBL]").
    with translation.override("en"):
        regimen = tocilizumab.regimen_text
    assert "[" not in regimen
    expect(page.get_by_label("Regimen")).to_have_value(regimen)
    page.get_by_label("Weight", exact=True).fill("132")
    page.get_by_label("Weight unit").select_option("lb")
    look(page, "17-new-course")
    page.get_by_role("button", name="Create the course").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tocilizumab for Lucie Moreau")
    course = Course.objects.get(patient=patient, therapy=tocilizumab)
    assert str(course.baseline_weight_kg) == "59.9"


def test_a_corrected_low_blood_pressure_withdraws_its_flag(page: Page, live_server, demo_clinic):
    from tracker import services

    course = aldesleukin_course()
    visit = services.record_visit(
        course=course,
        by=course.care_team.members.get(username="dr.martin"),
        measurements={"systolic_bp": 78, "diastolic_bp": 50},
    )
    (flag,) = [f for f in visit.flags_raised if f.term.slug == "hypotension"]
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clinician/records/visit/{visit.visit.pk}/edit/")
    page.get_by_label("Systolic BP (mmHg)").fill("118")
    page.get_by_label("Reason for the correction").fill("Cuff too small; 118 on repeat")
    page.get_by_role("button", name="Save the correction").click()

    expect(page.get_by_text("Correction saved: 1 flag withdrawn.")).to_be_visible()
    row = page.locator(f"#flag-{flag.pk}")
    expect(row.locator(".flag-withdrawn")).to_have_text("Withdrawn")
    expect(row).to_contain_text("Withdrawn because the record was corrected")
    expect(row).to_contain_text("Cuff too small; 118 on repeat")
    look(page, "18-visit-corrected")

    page.get_by_role("link", name="Back to the course").click()
    expect(page.get_by_role("heading", name="Flags to look at")).to_be_visible()
    expect(page.locator(f"#flag-{flag.pk}")).to_have_count(0)
