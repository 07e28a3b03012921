"""A patient adds a photo to a report on a 360 px phone and their care team sees it; another
patient and another team do not; a file that is not a photo is refused with a visible message
(in French). Screenshots land in test-artifacts/patient-photo-*.png."""

import io
import re

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e import support
from tracker import demo, services
from tracker.models import Course, ReportPhoto

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def report(live_server):
    demo.build()
    course = Course.objects.get(patient__user__username="ahmed.benali", status="active")
    return services.submit_report(
        course=course, by=course.patient.user, answers=[], measurements={"temperature_c": 37.2}
    ).report


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name$=username]").fill(username)  # in any language
    page.locator("input[name$=password]").fill(demo.DEMO_PASSWORD)
    page.locator("main").get_by_role("button").click()
    # On a phone the log-out button is in the collapsed menu: there, but not on screen.
    expect(
        page.get_by_role("button", name=re.compile("Log out|Se déconnecter"), include_hidden=True)
    ).to_have_count(1)


def choose_language(page: Page, language: str) -> None:
    support.open_menu(page)
    page.locator("#language-select").select_option(language)
    page.locator("#language-select").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def log_out(page: Page) -> None:
    support.open_menu(page)
    page.get_by_role("button", name=re.compile("Log out|Se déconnecter")).click()
    expect(page.locator("input[type='password']")).to_be_visible()  # back on the sign-in page


def rash_photo() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    Image.new("RGB", (1200, 900), (190, 70, 70)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def expect_loaded_image(page: Page, alt_start: str):
    image = page.locator(f"img[alt^='{alt_start}']").first
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()  # thumbnails load lazily
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=10_000
    )
    return image


def test_a_photo_sent_from_the_phone_is_seen_by_the_care_team_only(page: Page, live_server, report):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "ahmed.benali")
    choose_language(page, "en")
    page.goto(live_server.url + reverse("tracker:patient-report-detail", args=[report.pk]))
    page.get_by_role("link", name="Add a photo").click()
    expect(page.get_by_role("heading", name="Add a photo")).to_be_visible()
    field = page.locator("input[type=file]")
    assert field.get_attribute("accept") == "image/*"
    assert field.get_attribute("capture") == "environment"

    page.get_by_label("A rash or skin change").check()
    field.set_input_files(
        {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": rash_photo()}
    )
    page.get_by_role("button", name="Send the photo").click()
    expect(page.get_by_text("Your photo is added to your report.")).to_be_visible()
    expect_loaded_image(page, "Photo sent by the patient: a rash or skin change")
    support.screenshot(page, "patient-photo-1-added")
    support.assert_accessible(page)

    page.get_by_role("link", name="Back to my report").click()
    expect_loaded_image(page, "Photo sent by the patient: a rash or skin change")
    support.screenshot(page, "patient-photo-2-report")
    photo = ReportPhoto.objects.get(report=report)
    log_out(page)

    # The care team's nurse sees it on the report's page, on a phone as at the desk.
    log_in(page, live_server, "nurse.dubois")
    page.goto(live_server.url + reverse("tracker:report-detail", args=[report.pk]))
    expect_loaded_image(page, "Photo envoyée par le patient : une éruption")
    support.screenshot(page, "patient-photo-3-clinician")
    support.assert_accessible(page)
    log_out(page)

    # Another patient, another team: not found.
    log_in(page, live_server, "lucie.moreau")
    url = live_server.url + reverse("tracker:patient-photo", args=[photo.pk])
    assert page.request.get(url).status == 404
    log_out(page)
    log_in(page, live_server, "dr.bernard")
    url = live_server.url + reverse("tracker:photo", args=[photo.pk])
    assert page.request.get(url).status == 404


def test_a_file_that_is_not_a_photo_is_refused_at_the_field_in_french(
    page: Page, live_server, report
):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "ahmed.benali")
    choose_language(page, "fr")
    page.goto(live_server.url + reverse("tracker:patient-report-photos", args=[report.pk]))

    page.get_by_label("Le point d’injection").check()
    page.locator("input[type=file]").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"%PDF-1.7\n%%EOF\n"}
    )
    page.get_by_role("button", name="Envoyer la photo").click()
    message = "Ce fichier n’est pas une photo. Choisissez une image JPEG, PNG ou HEIC."
    expect(
        page.locator(".invalid-feedback, .invalid-feedback *").filter(has_text=message).first
    ).to_be_visible()
    expect(page.locator("#form-errors")).to_be_visible()
    support.screenshot(page, "patient-photo-4-refused-fr")
    support.assert_accessible(page)
    assert ReportPhoto.objects.count() == 0


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_care_team_marks_a_photo_entered_in_error_and_the_patient_no_longer_sees_it(
    page: Page, live_server, report, language
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tracker import photos

    upload = SimpleUploadedFile("p.jpg", rash_photo(), content_type="image/jpeg")
    photo = services.add_report_photo(
        report=report,
        by=report.course.patient.user,
        subject="rash",
        photo=photos.clean_photo(upload),
    )
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "nurse.dubois")
    choose_language(page, language)
    page.goto(live_server.url + reverse("tracker:report-detail", args=[report.pk]))
    expect_loaded_image(page, "Photo")
    page.locator("a.photo-entered-in-error").click()
    reason = page.locator("#id_reason")
    expect(reason).to_be_visible()
    support.screenshot(page, f"patient-photo-5-mark-entered-in-error-{language}")
    support.assert_accessible(page)
    reason.fill("Photo d’un autre patient" if language == "fr" else "Another patient's photo")
    page.locator("#photo-entered-in-error-form button[type=submit]").click()

    marked = {
        "en": "The photo is marked entered in error: the patient no longer sees it.",
        "fr": "La photo est marquée comme saisie par erreur : le patient ne la voit plus.",
    }
    expect(page.get_by_text(marked[language])).to_be_visible()
    in_error = page.locator("#photos-in-error")
    expect(in_error).to_contain_text("autre patient" if language == "fr" else "Another patient")
    expect(page.locator("#report-photos img")).to_have_count(0)  # listed, not shown
    support.screenshot(page, f"patient-photo-6-entered-in-error-{language}")
    support.assert_accessible(page)
    log_out(page)

    log_in(page, live_server, "ahmed.benali")
    page.goto(live_server.url + reverse("tracker:patient-report-detail", args=[report.pk]))
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main img[alt^='Photo']")).to_have_count(0)
    url = live_server.url + reverse("tracker:patient-photo", args=[photo.pk])
    assert page.request.get(url).status == 404
