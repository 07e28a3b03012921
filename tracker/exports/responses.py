"""HTTP responses of the exports, shared by the web pages (tracker/views/exports.py) and the API.

The caller has fetched the course through `Course.objects.visible_to(user)` (404 otherwise).
Every response is a download (Content-Disposition: attachment) that no cache may keep: these
are patient records. Each export is logged with ids only (who, which course, which format),
never with clinical content or names.
"""

import logging

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.text import slugify

from . import fhir, pdf, tabular
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
    patient = summary.patient
    stamp = timezone.localtime(summary.generated_at).strftime("%Y%m%d")
    name = slugify(f"{patient.mrn} {summary.therapy.slug}") or "course"
    return f"course-summary-{name}-{stamp}.{extension}"


def _log(kind, user, summary):
    log.info("export %s course=%s by=%s", kind, summary.course.pk, getattr(user, "pk", None))


def pdf_response(summary, *, user, language) -> HttpResponse:
    context = pdf.document_context(summary, printed_by=user)
    body = pdf.render_pdf(context, language=language)
    _log("pdf", user, summary)
    return _download(HttpResponse(body, content_type=PDF), summary_filename(summary, "pdf"))


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
