"""The clinician's course page, its records part kept by course version.

Profiled on a 500-answer course: half of the page's time gathers the summary (some 2,000 rows
turned into model instances), the other half renders its tables in Django's template engine.
Both depend only on the course's records, so the page's body below the dose advice (flags,
last vital signs, facts, side effects, chart tables, dose log, photos, records) is rendered
once per version and kept in Django's cache; an unchanged course renders only the page's
shell around it, without gathering the summary.

The key (`body_key`) holds:
- the course's version (tracker/versions.py, part PAGE), read *before* the data in one query:
  the history rows of every record the page shows (as the PDF's version: reports, answers,
  visits, adverse events, doses, flags, overrides, photos, the patient, the care team and its
  members' names, the therapy's name, the term catalog), plus the therapy's expected side
  effects. Every write to a record leaves a history row: a new visit, a correction, an
  acknowledged flag or a record entered in error makes a new key, so a kept body is never
  stale. The same query gives the charts' version: the body draws its charts in its own
  HTML (tracker/charts.py `page_chart`) and keeps them under it, so the same page version
  always shows the same charts, and a chart link for it (`?v=`) serves them as drawn;
- the active language and time zone (dates are printed in it), the signed-in user's role
  (the export links differ), the page's path with its query (`?all=1`, the flag forms' `next`);
- the code that prints it (this module, the summary, the templates and translations).

Nothing that depends on the clock or on the person is kept: the dose advice (judged now) and
its physician's override form are rendered at each request, and each flag form's CSRF token
is written in at each request (the kept body holds a placeholder, never someone's token).
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Prefetch
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from . import versions
from .cache import KeptByKey
from .models import AdverseEvent, DoseAdministration, DoseAdviceOverride, Visit
from .summary import CourseSummary

BODY_TEMPLATE = "tracker/clinician/_course_body.html"
CACHE_SECONDS = 24 * 60 * 60  # keys change with the course: the timeout only bounds memory

# Written where {% csrf_token %} puts the token; replaced by the requester's own token.
CSRF_PLACEHOLDER = "csrfPlaceholderCoursePage0000000000000000000000000000000000000000"


def page_version(course) -> versions.CourseVersion:
    """The version of everything the page's body shows (tracker/versions.py, part PAGE), with
    its charts' own version (`.charts`, carried in the chart links). One query."""
    return versions.course_version(course, part=versions.PAGE)


def body_key(request, course, version) -> str:
    user = request.user
    parts = (
        versions.PAGE_CODE,
        str(course.pk),
        version.digest,
        get_language(),
        timezone.get_current_timezone_name(),
        getattr(user, "role", ""),
        bool(getattr(user, "sees_everything", False)),
        request.get_full_path(),
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"tracker:course-page:{digest}"


# 32 MB of kept bodies per process: its key holds the course's version, so a body kept
# under it never changes (tracker/cache.py).
kept = KeptByKey(32 * 1024 * 1024)


def cached_body(key):
    return kept.get_or_shared(key)


@dataclass(frozen=True)
class _PagePath:
    """All of the request the body may read: its path (part of the key)."""

    path: str

    def get_full_path(self):
        return self.path


def render_body(request, context, key) -> str:
    """The body rendered without the request (no context processors, no token), kept."""
    path = request.get_full_path()
    body = render_to_string(
        BODY_TEMPLATE,
        {
            **context,
            "user": request.user,
            "request": _PagePath(path),
            "next": path,
            "csrf_token": CSRF_PLACEHOLDER,
        },
    )
    keep(key, body)
    return body


def keep(key, body: str) -> None:
    """Keep `body` under `key` (which holds the version of what it shows) in the shared cache
    and this process's memory; nothing without a key."""
    if key is None:
        return
    cache.set(key, body, CACHE_SECONDS)
    kept.set(key, body)


def with_token(request, body: str) -> str:
    """The kept body with the requester's CSRF token in its forms."""
    if CSRF_PLACEHOLDER not in body:
        return body
    return body.replace(CSRF_PLACEHOLDER, get_token(request))


def live_dose_advice(course, at=None):
    """The dose advice as the summary gives it (CourseSummary.dose_advice), judged now, from
    only what it reads: the visits with their adverse events, the doses and the overrides
    (four queries, high-dose IL-2 courses only; None and no query for the others)."""
    summary = CourseSummary(
        course=course,
        expected_slugs=frozenset(),
        doses=[],
        reports=[],
        visits=[],
        flags=[],
        side_effects=[],
        grade_points=[],
        vitals={},
        generated_at=at or timezone.now(),
    )
    if not summary.high_dose_il2:
        return None
    summary.doses = list(
        DoseAdministration.objects.current().filter(course=course).order_by("dose_number")
    )
    # As build_summary reads them (services' own reading is private to the services).
    summary.visits = list(
        Visit.objects.current()
        .filter(course=course)
        .prefetch_related(
            Prefetch(
                "adverse_events", queryset=AdverseEvent.objects.current().select_related("term")
            )
        )
        .order_by("recorded_at")
    )
    summary.dose_advice_overrides = list(
        DoseAdviceOverride.objects.filter(course=course).select_related("recorded_by")
    )
    return summary.dose_advice
