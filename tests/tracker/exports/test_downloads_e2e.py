"""The download buttons in Chromium: a clinician on the course page, a patient on their own
treatment page, and the cohort form; each download is opened as its tool would open it."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.support import ARTIFACTS, screenshot

from .conftest import fill, make_il2_course

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's password


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


# Rendering a PDF takes a few seconds, more on a busy machine: wait longer than the default.
DOWNLOAD_TIMEOUT_MS = 90_000


def download(page: Page, link_name: str) -> bytes:
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as info:
        page.get_by_role("link", name=link_name).first.click()
    return Path(info.value.path()).read_bytes()


@pytest.fixture
def printed_course(patient, clinician):
    return fill(make_il2_course(patient), patient, clinician)


def test_clinician_downloads_the_three_formats_from_the_course_page(
    page: Page, live_server, clinician, printed_course
):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, clinician.username)
    page.goto(live_server.url + reverse("tracker:course-detail", args=[printed_course.pk]))
    section = page.get_by_role("region", name="Download the course summary")
    expect(section).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    section.screenshot(path=ARTIFACTS / "exports-course-buttons.png")

    pdf = download(page, "PDF to print")
    assert printed_course.patient.mrn in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    rows = list(csv.DictReader(io.StringIO(download(page, "CSV").decode("utf-8-sig"))))
    assert {row["course_id"] for row in rows} == {str(printed_course.pk)}
    Bundle.model_validate(json.loads(download(page, "FHIR R4")))


def test_patient_downloads_their_summary_from_their_treatment_page(
    page: Page, live_server, patient, printed_course
):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, patient.user.username)
    page.goto(live_server.url + reverse("tracker:patient-treatment"))
    pdf = download(page, "PDF to print")
    assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_clinician_exports_a_cohort_from_the_form(
    page: Page, live_server, clinician, printed_course
):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, clinician.username)
    page.goto(live_server.url + reverse("tracker:export-cohort") + "?therapy=aldesleukin-high-dose")
    page.get_by_label("Courses started from").fill("2026-01-01")
    page.get_by_label("up to").fill("2026-12-31")
    page.get_by_label("Pseudonymise for research").check()
    screenshot(page, "exports-cohort-form")
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as info:
        page.get_by_role("button", name="Download the CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    assert printed_course.patient.mrn not in text
