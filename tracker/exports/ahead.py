"""Course summary PDFs rendered ahead of the request and kept by the course's PDF version.

WeasyPrint takes most of a second for a typical course; a download should not. Each course's
PDF is kept per language (settings.LANGUAGES) and audience (models.RenderedPdf): "all" when
the patient's own PDF is the care team's, otherwise "clinician" and "patient" (the patient's
leaves out the notes not shared with them). `pdf_version(course)` is a digest of everything
the PDF prints, read in one query (the history rows of the course's records, as the charts'
version, plus the patient, the care team and its members, the photos, the overrides, the
therapy and term names) and of the code and translations that print it. An active high-dose
IL-2 course prints its dose advice judged now, which changes with the clock (assessments
leave their windows): its version also holds that advice, judged at the request.

- A download finds the stored PDF of the current version (one query besides the version), or
  renders it once, stores it and serves it (`stored_or_rendered`): never more than one render.
- `manage.py render_pdfs` renders ahead what changed (`render_stale`): the courses whose
  records have history rows newer than its last look, and the active high-dose IL-2 courses.
  A claim row per course (models.PdfRenderClaim, its primary key) keeps two hosts from
  rendering one course at once; the unique version row keeps a render stored once.

Nothing here is called when records are saved: the worker and the downloads compare versions.
The PDF's footer says when it was generated, not who downloads it (the download is logged).
"""

import datetime
import hashlib
import logging
import os
import socket
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from .. import rules, services, versions
from ..models import (
    AdverseEvent,
    CareTeam,
    Course,
    CourseStatus,
    DoseAdministration,
    DoseAdviceOverride,
    Flag,
    Patient,
    PdfRenderClaim,
    RenderedPdf,
    ReportPhoto,
    SymptomAnswer,
    SymptomReport,
    Visit,
)
from ..summary import build_summary, hide_internal_notes
from . import pdf

log = logging.getLogger(__name__)

ALL = "all"
CLINICIAN = "clinician"
PATIENT = "patient"

# A claim older than this belongs to a worker that died: another takes the course over.
CLAIM_SECONDS = 5 * 60
# Transactions commit after their history rows are dated: the worker looks back this far
# before its previous look, so a slow commit is not missed (a course seen twice costs a query).
LOOK_BACK = datetime.timedelta(minutes=2)


def _advice_now(course, at):
    """The dose advice an active high-dose IL-2 course prints, judged at `at` (a few
    queries); None for every other course (its PDF changes only with its records)."""
    if course.status != CourseStatus.ACTIVE:
        return None
    advice = services.current_dose_advice(course, at=at)
    if advice is None:
        return None
    return {key: value for key, value in advice.items() if key != "judged_at"}


@dataclass(frozen=True)
class Version:
    digest: str
    at: datetime.datetime  # when it was read: the summary is judged at this time


def pdf_version(course) -> Version:
    """The course's PDF version: one query (a few more for an active high-dose IL-2 course).
    Read it before the data printed: a write between the two makes a PDF newer than its
    version, never older. `course` needs its therapy (select_related keeps it a query)."""
    at = timezone.now()
    rows = list(versions.course_version(course, part=versions.PDF).rows)
    advice = _advice_now(course, at)
    parts = (versions.PDF_CODE, settings.TIME_ZONE, str(course.pk), rows, advice)
    return Version(hashlib.sha256(repr(parts).encode()).hexdigest(), at)


def audience_of(user) -> str:
    return PATIENT if getattr(user, "is_patient", False) else CLINICIAN


def _hides_notes(flags) -> bool:
    """Whether the patient's own PDF differs from the care team's (hide_internal_notes)."""
    return any(
        (f.acknowledged_note and not f.acknowledged_note_shared)
        or (f.resolved_note and not f.resolved_note_shared)
        for f in flags
    )


def stored(course, *, language, audience, version: Version):
    """The stored PDF of this version for `audience` (or for everyone), or None. One query."""
    return (
        RenderedPdf.objects.filter(
            course=course, language=language, version=version.digest, audience__in=(audience, ALL)
        )
        .only("content", "rendered_at", "audience")
        .first()
    )


def _store(course, *, language, audience, version: Version, content, rendered_at):
    """Keep the PDF under its version and drop the older versions of its language. A render
    of the same version stored meanwhile (another worker, another request) is kept."""
    row = RenderedPdf(
        course=course,
        language=language,
        audience=audience,
        version=version.digest,
        content=content,
        rendered_at=rendered_at,
    )
    try:
        with transaction.atomic():
            row.save()
            RenderedPdf.objects.filter(course=course, language=language).exclude(
                version=version.digest
            ).delete()
    except IntegrityError:
        pass
    return row


def _render(course, *, language, audience, version: Version):
    """Render the PDF for `audience` ("all" when the patient's is the care team's) and store
    it. Returns the stored row."""
    summary = build_summary(course, chart_version=True)
    summary.generated_at = version.at  # the dose advice judged when the version was read
    audience_stored = ALL if not _hides_notes(summary.flags) else audience
    if audience_stored == PATIENT:
        hide_internal_notes(summary.flags)
    context = pdf.document_context(summary, printed_by=None, printed_at=version.at)
    content = pdf.render_pdf(context, language=language)
    return _store(
        course,
        language=language,
        audience=audience_stored,
        version=version,
        content=content,
        rendered_at=version.at,
    )


def stored_or_rendered(course, *, language, audience, version: Version | None = None):
    """The PDF of the course's current version: the stored one, else rendered once (and
    stored). `course` was fetched in the user's scope."""
    version = version or pdf_version(course)
    row = stored(course, language=language, audience=audience, version=version)
    if row is None:
        row = _render(course, language=language, audience=audience, version=version)
    return row


# --- The worker (manage.py render_pdfs) ----------------------------------------------------


def _changed_course_ids(since) -> set:
    """The courses with a history row dated after `since` (one query per history table)."""
    ids = set(Course.history.filter(history_date__gt=since).values_list("id", flat=True))
    for of_course in (SymptomReport, Visit, DoseAdministration, Flag, DoseAdviceOverride):
        changed = of_course.history.filter(history_date__gt=since)
        ids.update(changed.values_list("course_id", flat=True))
    for of_report in (SymptomAnswer, ReportPhoto):
        reports = of_report.history.filter(history_date__gt=since).values("report_id")
        ids.update(SymptomReport.objects.filter(id__in=reports).values_list("course_id", flat=True))
    visits = AdverseEvent.history.filter(history_date__gt=since).values("visit_id")
    ids.update(Visit.objects.filter(id__in=visits).values_list("course_id", flat=True))
    patients = Patient.history.filter(history_date__gt=since).values("id")
    teams = CareTeam.history.filter(history_date__gt=since).values("id")
    ids.update(Course.objects.filter(patient__in=patients).values_list("id", flat=True))
    ids.update(Course.objects.filter(care_team__in=teams).values_list("id", flat=True))
    return ids


def _advice_course_ids() -> set:
    """Active high-dose IL-2 courses: their PDF's dose advice changes with the clock."""
    return set(
        Course.objects.filter(
            status=CourseStatus.ACTIVE, therapy__drug_class=rules.IL2_HIGH_DOSE
        ).values_list("id", flat=True)
    )


def _claim(course_id, worker) -> bool:
    """Claim the course for this worker; False when another holds a live claim."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=CLAIM_SECONDS)
    try:
        with transaction.atomic():
            PdfRenderClaim.objects.create(course_id=course_id, claimed_at=now, claimed_by=worker)
        return True
    except IntegrityError:
        taken = PdfRenderClaim.objects.filter(course_id=course_id, claimed_at__lt=stale).update(
            claimed_at=now, claimed_by=worker
        )
        return taken == 1


def _release(course_id, worker):
    PdfRenderClaim.objects.filter(course_id=course_id, claimed_by=worker).delete()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _missing(course, version):
    """The (language, audience) pairs without a stored PDF of `version`."""
    have = set(
        RenderedPdf.objects.filter(course=course, version=version.digest).values_list(
            "language", "audience"
        )
    )
    missing = []
    for language, _name in settings.LANGUAGES:
        if (language, ALL) in have:
            continue
        for audience in (CLINICIAN, PATIENT):
            if (language, audience) not in have:
                missing.append((language, audience))
    return missing


def render_course(course, *, worker=None) -> int:
    """Render what the course lacks for its current version, in every language and
    audience; the number of PDFs rendered (0 when current, or claimed by another worker)."""
    worker = worker or worker_name()
    if not _claim(course.pk, worker):
        return 0
    rendered = 0
    try:
        version = pdf_version(course)
        for language, audience in _missing(course, version):
            # A PDF stored for everyone meanwhile (the clinician's had no hidden note)
            # serves the patient too.
            if stored(course, language=language, audience=audience, version=version):
                continue
            with translation.override(language):
                _render(course, language=language, audience=audience, version=version)
            rendered += 1
    finally:
        _release(course.pk, worker)
    return rendered


def render_stale(since=None, *, worker=None) -> int:
    """Render ahead the PDFs of the courses changed after `since` (every course when None)
    and of the active high-dose IL-2 courses. Safe on several hosts and to run again."""
    if since is None:
        ids = set(Course.objects.values_list("id", flat=True))
    else:
        ids = _changed_course_ids(since - LOOK_BACK) | _advice_course_ids()
    courses = Course.objects.filter(id__in=ids).select_related("therapy").order_by("id")
    rendered = 0
    for course in courses.iterator():
        try:
            rendered += render_course(course, worker=worker)
        except Exception:  # one course's failure must not stop the others
            log.exception("pdf render failed course=%s", course.pk)
    return rendered
