"""Course PDFs rendered ahead and kept by course version (tracker/exports/ahead.py): a download
of an unchanged course serves the stored file, a changed one is rendered once; the worker
(`render_pdfs`) renders what changed; ETags answer 304 only inside the user's scope.

Rendering is WeasyPrint's own; the tests count its calls by wrapping `pdf.render_pdf`.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from tests import factories
from tracker import services
from tracker.exports import ahead, pdf
from tracker.models import CourseStatus, Flag, PdfRenderClaim, RenderedPdf

from .conftest import add_report

pytestmark = pytest.mark.django_db

INTERNAL = "Seen at bedside; dose held."  # the filled course's acknowledgement (conftest)


@pytest.fixture
def renders(monkeypatch):
    """The languages WeasyPrint rendered, in order (the real rendering runs)."""
    languages = []
    real = pdf.render_pdf

    def counted(context, *, language):
        languages.append(language)
        return real(context, language=language)

    monkeypatch.setattr(pdf, "render_pdf", counted)
    return languages


def url(course):
    return reverse("tracker:export-course-pdf", args=[course.pk])


def get(client, user, course, **headers):
    client.force_login(user)
    return client.get(url(course), **headers)


def text(content):
    """The PDF's words, lines joined (a table cell wraps its text)."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


# --- Downloads ----------------------------------------------------------------------------------


def test_a_second_download_serves_the_stored_pdf_without_rendering(
    client, clinician, filled_course, renders
):
    first = get(client, clinician, filled_course)
    assert first.status_code == 200
    assert renders == ["en"]
    stored = RenderedPdf.objects.get(course=filled_course, language="en")
    assert bytes(stored.content) == first.content

    with CaptureQueriesContext(connection) as queries:
        second = get(client, clinician, filled_course)
    assert renders == ["en"]  # not rendered again
    assert second.content == first.content
    assert filled_course.patient.mrn in text(second.content)
    # The summary is not gathered: no query reads the course's reports or flags (the dose
    # advice of this active high-dose IL-2 course is judged again: its visits and doses).
    assert not [q for q in queries if 'FROM "tracker_symptomreport"' in q["sql"]]
    assert not [q for q in queries if 'FROM "tracker_flag"' in q["sql"]]


def test_a_changed_record_renders_the_pdf_again_once(
    client, clinician, patient, filled_course, renders
):
    before = get(client, clinician, filled_course).content
    add_report(filled_course, patient.user, day=2, note="Headache since this morning.")

    after = get(client, clinician, filled_course)
    again = get(client, clinician, filled_course)

    assert renders == ["en", "en"]
    assert after.content != before
    assert "Headache since this morning." in text(after.content)
    assert again.content == after.content
    # Only the current version is kept.
    assert RenderedPdf.objects.filter(course=filled_course, language="en").count() == 1


def test_each_language_is_rendered_and_kept_on_its_own(client, clinician, filled_course, renders):
    english = get(client, clinician, filled_course).content
    client.cookies["django_language"] = "fr"
    french = client.get(url(filled_course)).content
    french_again = client.get(url(filled_course)).content

    assert renders == ["en", "fr"]
    assert "Course summary" in text(english)
    assert "Synthèse du traitement" in text(french)
    assert french_again == french
    assert set(
        RenderedPdf.objects.filter(course=filled_course).values_list("language", flat=True)
    ) == {"en", "fr"}


def test_the_patients_own_pdf_shows_only_shared_notes(
    client, clinician, patient, filled_course, renders
):
    clinicians = get(client, clinician, filled_course).content
    mine = get(client, patient.user, filled_course).content
    mine_again = get(client, patient.user, filled_course).content

    assert INTERNAL in text(clinicians)
    assert INTERNAL not in text(mine)
    assert mine_again == mine
    assert renders == ["en", "en"]  # one per audience, each once
    audiences = RenderedPdf.objects.filter(course=filled_course).values_list("audience", flat=True)
    assert sorted(audiences) == [ahead.CLINICIAN, ahead.PATIENT]


def test_a_note_shared_with_the_patient_reaches_their_pdf(
    client, clinician, patient, filled_course, renders
):
    flag = Flag.objects.get(course=filled_course, acknowledged_note=INTERNAL)
    services.resolve_flag(
        flag=flag,
        by=clinician,
        note="Blood pressure back to normal, next dose tomorrow",
        outcome="dose_held",
        shared=True,
    )
    mine = text(get(client, patient.user, filled_course).content)
    assert "Blood pressure back to normal, next dose tomorrow" in mine
    assert INTERNAL not in mine


def test_without_hidden_notes_one_pdf_serves_the_care_team_and_the_patient(
    client, clinician, patient, il2_course, renders
):
    add_report(il2_course, patient.user, day=0, note="Tired.")
    clinicians = get(client, clinician, il2_course).content
    mine = get(client, patient.user, il2_course).content

    assert mine == clinicians
    assert renders == ["en"]
    assert RenderedPdf.objects.get(course=il2_course).audience == ahead.ALL


def test_the_api_serves_the_same_stored_pdf(client, clinician, filled_course, renders):
    page = get(client, clinician, filled_course).content
    api = APIClient()
    api.force_authenticate(clinician)
    response = api.get(f"/api/v1/courses/{filled_course.pk}/summary.pdf")
    assert response.status_code == 200
    assert response.content == page
    assert renders == ["en"]


def test_the_pdf_says_when_it_was_generated_not_who_downloads_it(client, clinician, filled_course):
    content = text(get(client, clinician, filled_course).content)
    assert "Generated " in content
    assert clinician.get_full_name() not in content.split("Generated ")[1][:60]


# --- HTTP caching -------------------------------------------------------------------------------


def test_a_client_holding_the_current_pdf_gets_304(
    client, clinician, patient, filled_course, renders
):
    first = get(client, clinician, filled_course)
    etag = first["ETag"]
    assert "private" in first["Cache-Control"]

    unchanged = client.get(url(filled_course), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag

    add_report(filled_course, patient.user, day=2)
    changed = client.get(url(filled_course), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert renders == ["en", "en"]


def test_the_etag_differs_by_language_and_audience(client, clinician, patient, filled_course):
    english = get(client, clinician, filled_course)["ETag"]
    mine = get(client, patient.user, filled_course)["ETag"]
    client.cookies["django_language"] = "fr"
    french = get(client, clinician, filled_course)["ETag"]
    assert len({english, mine, french}) == 3
    # Another audience's or language's ETag does not answer 304.
    assert client.get(url(filled_course), HTTP_IF_NONE_MATCH=english).status_code == 200


def test_another_teams_clinician_gets_404_even_with_the_etag(
    client, clinician, other_clinician, filled_course
):
    etag = get(client, clinician, filled_course)["ETag"]
    response = get(client, other_clinician, filled_course, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 404
    assert "ETag" not in response


def test_another_patient_gets_404_even_with_the_etag(client, patient, other_patient, filled_course):
    etag = get(client, patient.user, filled_course)["ETag"]
    response = get(client, other_patient.user, filled_course, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 404


# --- The worker ---------------------------------------------------------------------------------


def test_the_worker_renders_what_changed_once_and_downloads_serve_it(
    client, clinician, patient, filled_course, renders, capsys
):
    call_command("render_pdfs", "--once")
    # Two languages; the course has a note the patient does not see: two audiences.
    assert sorted(renders) == ["en", "en", "fr", "fr"]
    assert "4 PDF(s) rendered." in capsys.readouterr().out
    assert RenderedPdf.objects.filter(course=filled_course).count() == 4

    call_command("render_pdfs", "--once")  # nothing changed: nothing rendered
    assert len(renders) == 4
    assert "0 PDF(s) rendered." in capsys.readouterr().out

    get(client, clinician, filled_course)
    get(client, patient.user, filled_course)
    client.cookies["django_language"] = "fr"
    get(client, clinician, filled_course)
    assert len(renders) == 4  # every download served a stored file

    add_report(filled_course, patient.user, day=2)
    call_command("render_pdfs", "--once")
    assert len(renders) == 8
    assert RenderedPdf.objects.filter(course=filled_course).count() == 4  # older ones dropped


def test_the_worker_leaves_courses_unchanged_since_its_look_back(filled_course, renders):
    filled_course.status = CourseStatus.COMPLETED
    filled_course.save()
    later = timezone.now() + datetime.timedelta(hours=1)
    assert ahead.render_stale(later) == 0
    assert renders == []


def test_the_worker_looks_at_active_high_dose_il2_courses_whose_advice_moves_with_the_clock(
    filled_course, renders
):
    later = timezone.now() + datetime.timedelta(hours=1)
    assert ahead.render_stale(later) == 4  # not changed since, but its advice is judged now
    assert ahead.render_stale(later) == 0  # the same advice: rendered once


def test_the_worker_skips_a_course_another_host_is_rendering(filled_course, renders):
    PdfRenderClaim.objects.create(course=filled_course, claimed_by="other-host:1")
    assert ahead.render_course(filled_course, worker="this-host:2") == 0
    assert renders == []
    assert PdfRenderClaim.objects.get(course=filled_course).claimed_by == "other-host:1"


def test_the_worker_takes_over_the_claim_of_a_host_that_died(filled_course, renders):
    PdfRenderClaim.objects.create(
        course=filled_course,
        claimed_by="dead-host:1",
        claimed_at=timezone.now() - datetime.timedelta(seconds=ahead.CLAIM_SECONDS + 1),
    )
    assert ahead.render_course(filled_course, worker="this-host:2") == 4
    assert not PdfRenderClaim.objects.filter(course=filled_course).exists()  # released


def test_a_course_of_another_team_is_rendered_by_the_worker_but_never_served_to_others(
    client, other_clinician, filled_course, renders
):
    call_command("render_pdfs", "--once", "--all")
    assert get(client, other_clinician, filled_course).status_code == 404


def test_a_renamed_care_team_member_or_a_new_one_changes_the_version(clinician, filled_course):
    before = ahead.pdf_version(filled_course).digest
    clinician.last_name = "Durand-Martin"  # printed in the care team's box; no history row
    clinician.save()
    renamed = ahead.pdf_version(filled_course).digest
    filled_course.care_team.members.add(factories.ClinicianFactory())
    assert len({before, renamed, ahead.pdf_version(filled_course).digest}) == 3


def test_an_unchanged_course_keeps_its_version(filled_course):
    assert ahead.pdf_version(filled_course).digest == ahead.pdf_version(filled_course).digest
