"""HTTP responses of the exports, shared by the web pages (tracker/views/exports.py) and the API.

The caller has fetched the course through `Course.objects.visible_to(user)` (404 otherwise).
Every response is a download (Content-Disposition: attachment) that no cache may keep: these
are patient records. The PDF carries an ETag (http_cache.py): a client that keeps the file
itself asks with If-None-Match and gets 304 while the course has not changed. Each export is
logged with ids only (who, which course, which format), never with clinical content or names.
"""

import logging

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.text import slugify

from .. import http_cache
from . import ahead, fhir, tabular
from .cohort import cohort_table

log = logging.getLogger(__name__)

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
FHIR_JSON = "application/fhir+json; charset=utf-8"


def _download(response, filename):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


def summary_filename(summary, extension: str) -> str:
    return course_filename(summary.course, summary.generated_at, extension)


def course_filename(course, when, extension: str) -> str:
    stamp = timezone.localtime(when).strftime("%Y%m%d")
    name = slugify(f"{course.patient.mrn} {course.therapy.slug}") or "course"
    return f"course-summary-{name}-{stamp}.{extension}"


def _log(kind, user, summary):
    log.info("export %s course=%s by=%s", kind, summary.course.pk, getattr(user, "pk", None))


def pdf_response(request, course, *, language) -> HttpResponse:
    """The course's PDF as rendered ahead (tracker/exports/ahead.py): the stored file of the
    course's current version, or rendered once now. `course` was fetched in the user's scope
    (with its patient and therapy). Its ETag is the version, language and audience: a client
    holding the current file gets 304 without the file being looked up."""
    user = request.user
    audience = ahead.audience_of(user)
    version = ahead.pdf_version(course)
    etag = http_cache.etag_of("pdf", version.digest, language, audience)
    if not_modified := http_cache.not_modified(request, etag):
        return not_modified
    row = ahead.stored_or_rendered(course, language=language, audience=audience, version=version)
    log.info("export pdf course=%s by=%s", course.pk, getattr(user, "pk", None))
    response = HttpResponse(bytes(row.content), content_type=PDF)
    response["Content-Disposition"] = (
        f'attachment; filename="{course_filename(course, row.rendered_at, "pdf")}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return http_cache.revalidated(response, etag)


def csv_response(summary, *, user) -> StreamingHttpResponse:
    chunks = tabular.csv_chunks(tabular.observation_table([summary]))
    _log("csv", user, summary)
    return _download(
        StreamingHttpResponse(chunks, content_type=CSV), summary_filename(summary, "csv")
    )


def fhir_response(summary, *, user) -> HttpResponse:
    body = fhir.bundle_json(summary)
    _log("fhir", user, summary)
    return _download(
        HttpResponse(body, content_type=FHIR_JSON), summary_filename(summary, "fhir.json")
    )


def codebook_response() -> HttpResponse:
    body = "".join(tabular.csv_chunks(tabular.codebook_table()))
    return _download(HttpResponse(body, content_type=CSV), "observations-codebook.csv")


def cohort_filename(therapy, start_from, start_to, pseudonymised) -> str:
    suffix = "-pseudonymised" if pseudonymised else ""
    return f"cohort-{therapy.slug}-{start_from:%Y%m%d}-{start_to:%Y%m%d}{suffix}.csv"


def cohort_response(courses, *, user, therapy, start_from, start_to, pseudonymised):
    """Stream every observation of `courses` (already scoped) as CSV, batch by batch."""
    log.info(
        "export cohort therapy=%s from=%s to=%s pseudonymised=%s by=%s",
        therapy.slug,
        start_from,
        start_to,
        pseudonymised,
        getattr(user, "pk", None),
    )
    chunks = tabular.csv_chunks(cohort_table(courses, pseudonymised=pseudonymised))
    return _download(
        StreamingHttpResponse(chunks, content_type=CSV),
        cohort_filename(therapy, start_from, start_to, pseudonymised),
    )
