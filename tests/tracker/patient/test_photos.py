"""Photos with a report (issue 16 §4): up to three per report, JPEG/PNG/HEIC up to 10 MB, stored
re-encoded without the location or any other metadata, seen only by the patient and their care
team; bad files refused at the field with nothing saved."""

import io
import os
import stat
import struct
import zlib

import pillow_heif
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from therapies.models import SideEffectTerm
from tracker import photos, services
from tracker.exports import pdf
from tracker.models import ReportPhoto
from tracker.summary import build_summary

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825  # EXIF tag of the GPS block (EXIF 2.32, tag GPSInfo)
MAKE = 0x010F


def jpeg_with_gps(size=(3000, 1000)) -> bytes:
    """A phone-like JPEG: GPS position, camera make and a comment in its metadata."""
    image = Image.new("RGB", size, (200, 60, 60))
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"Rue de la Paix, Paris")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the test's own premise
    return data


def png(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG")
    return out.getvalue()


def png_header_claiming(width, height) -> bytes:
    """A small PNG file whose header claims width × height pixels (a decompression bomb)."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def upload(name, content, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def report(course, patient):
    return services.submit_report(
        course=course,
        by=patient.user,
        answers=[services.AnswerInput(term=SideEffectTerm.objects.get(slug="nausea"), frequency=0)],
        measurements={},
    ).report


def send(client, report, content, name="photo.jpg", subject="rash", content_type="image/jpeg"):
    return client.post(
        reverse("tracker:patient-report-photos", args=[report.pk]),
        {"subject": subject, "photo": upload(name, content, content_type)},
    )


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- Upload: re-encoded, metadata gone -----------------------------------------------------------


def test_a_photo_is_stored_without_its_location_or_other_metadata(
    client, patient, report, photos_dir
):
    client.force_login(patient.user)
    response = send(client, report, jpeg_with_gps())
    assert response.status_code == 302

    photo = ReportPhoto.objects.get(report=report)
    assert (photo.subject, photo.uploaded_by, photo.content_type) == (
        "rash",
        patient.user,
        "image/jpeg",
    )
    (path,) = stored_files(photos_dir)
    stored = Image.open(path)
    assert stored.format == "JPEG"
    assert not stored.getexif(), "no EXIF at all, so no GPS position nor camera make"
    assert "exif" not in stored.info and "comment" not in stored.info
    assert "icc_profile" not in stored.info
    assert b"PhoneMaker" not in path.read_bytes() and b"Paix" not in path.read_bytes()
    # Longest side 2048 px, proportions kept (3000 × 1000 → 2048 × 683).
    assert stored.size == (2048, 683) == (photo.width, photo.height)
    assert photo.size == path.stat().st_size
    # Private: the file 0600, its directory 0700; the name says nothing of the patient.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.name == f"{photo.pk}.jpg"


def test_a_small_photo_is_not_enlarged(client, patient, report):
    client.force_login(patient.user)
    send(client, report, png((2048, 100)), name="exact.png", content_type="image/png")
    send(client, report, png((2049, 100)), name="wider.png", content_type="image/png")
    sizes = [(p.width, p.height) for p in ReportPhoto.objects.order_by("uploaded_at")]
    assert sizes == [(2048, 100), (2048, 100)]


def test_a_heic_photo_from_an_iphone_is_accepted_and_kept_as_jpeg(client, patient, report):
    out = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (64, 48), "blue")).save(out, quality=80)
    client.force_login(patient.user)
    response = send(client, report, out.getvalue(), name="IMG_0001.HEIC", content_type="image/heic")
    assert response.status_code == 302
    photo = ReportPhoto.objects.get(report=report)
    assert photo.content_type == "image/jpeg"
    with photo.file.open("rb") as stored:
        assert Image.open(stored).format == "JPEG"


# --- Bad files: refused at the field, nothing saved ----------------------------------------------


def assert_refused(response, message, photos_dir):
    assert response.status_code == 400
    assert response.context["form"].errors["photo"] == [str(message)]
    assert ReportPhoto.objects.count() == 0
    assert stored_files(photos_dir) == []


def test_a_pdf_renamed_jpg_is_refused(client, patient, report, photos_dir):
    client.force_login(patient.user)
    response = send(client, report, b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n", name="rash.jpg")
    assert_refused(response, photos.NOT_AN_IMAGE, photos_dir)
    assert "This file is not a photo" in response.content.decode()


def test_a_gif_is_refused(client, patient, report, photos_dir):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    client.force_login(patient.user)
    response = send(client, report, out.getvalue(), name="a.gif", content_type="image/gif")
    assert_refused(response, photos.NOT_AN_IMAGE, photos_dir)


def padded_jpeg(total_bytes) -> bytes:
    """A valid JPEG padded after its end marker to exactly `total_bytes` (Pillow ignores it)."""
    data = jpeg_with_gps(size=(50, 50))
    return data + b"\x00" * (total_bytes - len(data))


def test_a_photo_of_exactly_10_mb_is_accepted(client, patient, report):
    client.force_login(patient.user)
    response = send(client, report, padded_jpeg(10 * 1024 * 1024))
    assert response.status_code == 302
    assert ReportPhoto.objects.count() == 1


def test_a_photo_over_10_mb_is_refused(client, patient, report, photos_dir):
    client.force_login(patient.user)
    response = send(client, report, padded_jpeg(10 * 1024 * 1024 + 1))
    assert_refused(response, photos.TOO_LARGE, photos_dir)


def test_a_much_larger_upload_is_refused_before_it_is_read(client, patient, report, photos_dir):
    client.force_login(patient.user)
    response = send(client, report, padded_jpeg(12 * 1024 * 1024))
    assert_refused(response, photos.TOO_LARGE, photos_dir)


def test_an_empty_file_is_refused(client, patient, report, photos_dir):
    client.force_login(patient.user)
    response = send(client, report, b"")
    assert response.status_code == 400
    assert ReportPhoto.objects.count() == 0


@pytest.mark.parametrize(
    "width, height",
    [
        (10_000, 5_001),  # 50.01 million pixels: just over the limit, under Pillow's own
        (40_000, 40_000),  # 1.6 billion: Pillow's DecompressionBombError
    ],
)
def test_a_decompression_bomb_is_refused(client, patient, report, photos_dir, width, height):
    client.force_login(patient.user)
    response = send(client, report, png_header_claiming(width, height), name="bomb.png")
    assert_refused(response, photos.TOO_MANY_PIXELS, photos_dir)


def test_the_pixel_limit_is_inclusive(monkeypatch):
    # The limit itself (50 million pixels) is tested on small pictures: a picture of exactly
    # MAX_PIXELS is kept, one more row is refused.
    monkeypatch.setattr(photos, "MAX_PIXELS", 100 * 50)
    assert photos.clean_photo(upload("at.png", png((100, 50)))).width == 100
    with pytest.raises(ValidationError) as refused:
        photos.clean_photo(upload("over.png", png((100, 51))))
    assert refused.value.messages == [str(photos.TOO_MANY_PIXELS)]


def test_a_fourth_photo_is_refused_until_one_is_marked_entered_in_error(
    client, patient, report, photos_dir
):
    client.force_login(patient.user)
    for _ in range(3):
        assert send(client, report, png(), name="p.png").status_code == 302
    before = stored_files(photos_dir)

    response = send(client, report, png(), name="fourth.png")
    assert response.status_code == 400
    assert "already has 3 photos" in response.context["form"].errors["photo"][0]
    assert ReportPhoto.objects.count() == 3
    assert stored_files(photos_dir) == before

    services.mark_photo_entered_in_error(
        photo=ReportPhoto.objects.first(), by=patient.user, reason="Wrong picture"
    )
    assert send(client, report, png(), name="again.png").status_code == 302
    assert ReportPhoto.objects.count() == 4
    assert ReportPhoto.objects.current().count() == 3


def test_a_photo_is_never_deleted(report, patient):
    photo = services.add_report_photo(
        report=report,
        by=patient.user,
        subject="swelling",
        photo=photos.clean_photo(upload("s.png", png())),
    )
    with pytest.raises(ValidationError, match="not deleted"):
        photo.delete()
    services.mark_photo_entered_in_error(photo=photo, by=patient.user, reason="Wrong picture")
    photo.refresh_from_db()
    assert photo.entered_in_error and photo.file.storage.exists(photo.file.name)
    history = list(photo.history.order_by("history_date"))
    assert [h.entered_in_error for h in history] == [False, True]
    assert history[-1].history_change_reason == "Wrong picture"


# --- Who sees the photo --------------------------------------------------------------------------


@pytest.fixture
def photo(report, patient):
    return services.add_report_photo(
        report=report,
        by=patient.user,
        subject="injection_site",
        photo=photos.clean_photo(upload("i.jpg", jpeg_with_gps(size=(300, 200)))),
    )


def test_the_patient_and_their_care_team_see_the_photo_with_private_headers(
    client, patient, clinician, photo
):
    for user, name, kwargs in [
        (patient.user, "tracker:patient-photo", {"pk": photo.pk}),
        (clinician, "tracker:photo", {"pk": photo.pk}),
    ]:
        client.force_login(user)
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        cache = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= cache
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("inline; filename=")
        assert disposition.endswith('-injection_site.jpg"')
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (300, 200)


def test_another_patient_and_another_team_get_not_found(
    client, other_patient, other_clinician, photo, report
):
    client.force_login(other_patient.user)
    assert client.get(reverse("tracker:patient-photo", args=[photo.pk])).status_code == 404
    assert client.get(reverse("tracker:patient-report-photos", args=[report.pk])).status_code == 404
    response = send(client, report, png(), name="x.png")
    assert response.status_code == 404
    assert ReportPhoto.objects.count() == 1
    client.force_login(other_clinician)
    assert client.get(reverse("tracker:photo", args=[photo.pk])).status_code == 404


def test_a_photo_entered_in_error_leaves_the_patients_pages_but_stays_with_the_team(
    client, patient, clinician, photo, report
):
    services.mark_photo_entered_in_error(photo=photo, by=patient.user, reason="Wrong picture")
    client.force_login(patient.user)
    assert client.get(reverse("tracker:patient-photo", args=[photo.pk])).status_code == 404
    page = client.get(reverse("tracker:patient-report-detail", args=[report.pk])).content.decode()
    assert str(photo.pk) not in page
    client.force_login(clinician)
    assert client.get(reverse("tracker:photo", args=[photo.pk])).status_code == 200
    page = client.get(reverse("tracker:report-detail", args=[report.pk])).content.decode()
    assert 'id="photos-in-error"' in page and "Wrong picture" in page


def test_pages_show_thumbnails_with_alt_text(client, patient, clinician, photo, report, course):
    client.force_login(patient.user)
    page = client.get(reverse("tracker:patient-report-detail", args=[report.pk])).content.decode()
    assert reverse("tracker:patient-photo", args=[photo.pk]) in page
    assert 'alt="Photo sent by the patient: the injection site, ' in page
    assert reverse("tracker:patient-report-photos", args=[report.pk]) in page
    client.force_login(clinician)
    for url in (
        reverse("tracker:report-detail", args=[report.pk]),
        reverse("tracker:course-detail", args=[course.pk]),
    ):
        page = client.get(url).content.decode()
        assert reverse("tracker:photo", args=[photo.pk]) in page
        assert 'alt="Photo sent by the patient: the injection site, ' in page


def test_the_pdf_lists_the_photos_without_embedding_them(clinician, photo, course):
    context = pdf.document_context(build_summary(course), printed_by=clinician)
    html = pdf.render_html(context, language="en")
    assert 'id="photos"' in html and "The injection site" in html
    assert str(photo.pk) not in html and photo.file.name not in html
    assert html.count("<img") == pdf.render_html(
        {**context, "photos": pdf._latest([], pdf.PHOTO_ROWS)}, language="en"
    ).count("<img")


def test_the_upload_field_opens_the_phone_camera(client, patient, report):
    client.force_login(patient.user)
    page = client.get(reverse("tracker:patient-report-photos", args=[report.pk])).content.decode()
    assert 'type="file"' in page and 'accept="image/*"' in page
    assert 'capture="environment"' in page


def test_the_photos_directory_is_private_from_the_start(photos_dir, report, patient):
    services.add_report_photo(
        report=report,
        by=patient.user,
        subject="rash",
        photo=photos.clean_photo(upload("r.png", png())),
    )
    assert stat.S_IMODE(os.stat(photos_dir).st_mode) == 0o700


def test_the_patient_takes_back_a_photo_sent_by_mistake(client, patient, clinician, photo, report):
    client.force_login(patient.user)
    page = client.get(reverse("tracker:patient-report-photos", args=[report.pk])).content.decode()
    remove = reverse("tracker:patient-photo-remove", args=[photo.pk])
    assert f'action="{remove}"' in page
    assert client.post(remove).status_code == 302
    photo.refresh_from_db()
    assert photo.entered_in_error and photo.entered_in_error_reason == "Removed by the patient"
    assert photo.history.latest().history_user == patient.user
    assert client.get(reverse("tracker:patient-photo", args=[photo.pk])).status_code == 404
    assert client.post(remove).status_code == 404  # already taken back
    client.force_login(clinician)
    page = client.get(reverse("tracker:course-detail", args=[report.course.pk])).content.decode()
    assert reverse("tracker:photo", args=[photo.pk]) not in page


def test_another_patient_cannot_take_back_the_photo(client, other_patient, photo):
    client.force_login(other_patient.user)
    remove = reverse("tracker:patient-photo-remove", args=[photo.pk])
    assert client.post(remove).status_code == 404
    photo.refresh_from_db()
    assert not photo.entered_in_error


def test_storage_out_of_reach_is_said_at_the_field_and_nothing_is_saved(
    client, patient, report, monkeypatch
):
    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(photos.PhotoStorage, "save", refuse)
    client.force_login(patient.user)
    response = send(client, report, png(), name="p.png")
    assert response.status_code == 400
    assert response.context["form"].errors["photo"] == [
        "The photo could not be kept just now. Try again in a few minutes."
    ]
    assert ReportPhoto.objects.count() == 0


# --- The API: the report's photos, and their scoped download ---------------------------------


def _api_photos(user, course):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    response = api.get(f"/api/v1/courses/{course.pk}/symptom-reports/")
    assert response.status_code == 200
    return api, {str(r["id"]): r["photos"] for r in response.json()}


def test_the_api_lists_a_reports_photos_with_a_scoped_download_never_the_storage_path(
    patient, clinician, other_clinician, photo, report, course
):
    for user in (patient.user, clinician):
        api, listed = _api_photos(user, course)
        (shown,) = listed[str(report.pk)]
        assert shown["id"] == str(photo.pk)
        assert shown["subject"] == "injection_site"
        assert (shown["content_type"], shown["width"], shown["height"]) == ("image/jpeg", 300, 200)
        assert shown["size"] == photo.size and shown["entered_in_error"] is False
        assert shown["download"] == f"/api/v1/photos/{photo.pk}/"
        assert photo.file.name not in str(shown)  # where it is stored is never said
        response = api.get(shown["download"])
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert {"no-store", "private"} <= {p.strip() for p in response["Cache-Control"].split(",")}
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (300, 200)
    from rest_framework.test import APIClient

    stranger = APIClient()
    stranger.force_authenticate(other_clinician)
    assert stranger.get(f"/api/v1/photos/{photo.pk}/").status_code == 404
    assert APIClient().get(f"/api/v1/photos/{photo.pk}/").status_code in (401, 403)


def test_the_api_hides_a_photo_entered_in_error_from_the_patient_only(
    patient, clinician, photo, report, course
):
    services.mark_photo_entered_in_error(photo=photo, by=clinician, reason="Another patient's")
    api, listed = _api_photos(patient.user, course)
    assert listed[str(report.pk)] == []
    assert api.get(f"/api/v1/photos/{photo.pk}/").status_code == 404
    api, listed = _api_photos(clinician, course)
    (shown,) = listed[str(report.pk)]
    assert shown["entered_in_error"] is True
    assert shown["entered_in_error_reason"] == "Another patient's"
    assert api.get(shown["download"]).status_code == 200


# --- The care team marks a photo entered in error ----------------------------------------------


def test_a_clinician_marks_a_photo_entered_in_error_with_a_reason(
    client, patient, clinician, photo, report, course
):
    client.force_login(clinician)
    page = client.get(reverse("tracker:report-detail", args=[report.pk])).content.decode()
    mark = reverse("tracker:photo-entered-in-error", args=[photo.pk])
    assert mark in page
    assert mark in client.get(reverse("tracker:course-detail", args=[course.pk])).content.decode()

    refused = client.post(mark, {"reason": ""})  # a reason is required
    assert refused.status_code == 400
    photo.refresh_from_db()
    assert not photo.entered_in_error

    response = client.post(mark, {"reason": "Another patient's arm"})
    assert response.url == reverse("tracker:report-detail", args=[report.pk])
    photo.refresh_from_db()
    assert photo.entered_in_error and photo.entered_in_error_reason == "Another patient's arm"
    assert photo.history.count() == 2  # added, then marked: the history is kept
    assert photo.history.latest().history_user == clinician
    page = client.get(response.url).content.decode()
    assert 'id="photos-in-error"' in page and "Another patient&#x27;s arm" in page
    assert client.get(reverse("tracker:photo", args=[photo.pk])).status_code == 200
    again = client.post(mark, {"reason": "twice"})  # already marked: nothing changes
    assert again.status_code == 302
    photo.refresh_from_db()
    assert photo.entered_in_error_reason == "Another patient's arm"

    client.force_login(patient.user)
    assert client.get(reverse("tracker:patient-photo", args=[photo.pk])).status_code == 404
    page = client.get(reverse("tracker:patient-report-detail", args=[report.pk])).content.decode()
    assert str(photo.pk) not in page


def test_another_team_cannot_mark_the_photo(client, other_clinician, patient, photo):
    client.force_login(other_clinician)
    mark = reverse("tracker:photo-entered-in-error", args=[photo.pk])
    assert client.post(mark, {"reason": "not mine"}).status_code == 404
    client.force_login(patient.user)
    assert client.post(mark, {"reason": "mine"}).status_code == 403
    photo.refresh_from_db()
    assert not photo.entered_in_error
