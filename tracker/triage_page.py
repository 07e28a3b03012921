"""The clinician's triage queue, its page body kept by the version of what it shows.

Profiled at 200 patients: about a fifth of a queue page is its SQL, half building the page's
flags and drawing their rows, the rest the site's frame (docs/benchmarks.md, "Round 3:
triage queue kept by version"). What the body shows depends only on the clinician's care
teams' unresolved flags, their patients, courses and therapies, the people who acted on
them and the catalog's words, so it is rendered once per version and kept, as the course
page's body is (tracker/course_page.py).

The key (`body_key`) holds:
- the queue's version (`queue_version`), read *before* the data in one query, for the
  clinician's care teams: their unresolved flags, read from the partial index
  `flag_unresolved_idx` alone (how many, how many open, and the sum of the moments they were
  raised with open ones counted twice: `_sql` says why any flag raised, acknowledged,
  resolved or withdrawn changes it); the history rows of their patients and of their courses
  (how many, the sum and the newest of their ids: a name, an MRN, a phone, a course moved to
  another team); the names of the teams' members (who acknowledged), the therapies' and the
  terms' names;
- the care teams themselves (a clinician never gets another team's kept body), the role, the
  language, the time zone, the page's path with its query string (filters, page);
- the code that prints it (`TRIAGE_CODE`).

Nothing that depends on the clock is kept: each flag's time waited and every "overdue" mark
are written into the kept body at each request (`flag_row_html.fill_clock`, from markers
that carry the flag's level, status and time raised), so a flag becomes overdue on the
first load past its target. Nothing personal is kept either: each form's CSRF token and the
polling's `since` are written in at each request, and the navigation's badge (open urgent
flags) is counted by the version's query itself. A clinician who sees every team (an
administrator) gets the page drawn at each request.
"""

import functools
import hashlib
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from therapies.models import SideEffectTerm, Therapy

from . import course_page, versions
from .flag_row_html import fill_clock
from .models import CareTeam, Course, Flag, FlagLevel, FlagStatus, Patient, User

BODY_TEMPLATE = "tracker/clinician/_triage_body.html"

# Written where the polling's `since` goes; replaced by this request's moment.
SINCE_PLACEHOLDER = "sincePlaceholderTriageQueue000000000000"

_ROOT = Path(settings.BASE_DIR)
_TEMPLATES = _ROOT / "templates" / "tracker" / "clinician"

# What prints the kept body besides the data.
TRIAGE_CODE = hashlib.sha256(
    versions.files_digest(
        sorted(
            [
                _ROOT / "tracker" / "triage_page.py",
                _ROOT / "tracker" / "flag_row_html.py",
                _ROOT / "tracker" / "flag_text.py",
                _ROOT / "tracker" / "source_text.py",
                _ROOT / "tracker" / "filters.py",
                _ROOT / "tracker" / "views" / "clinician.py",
                _ROOT / "tracker" / "templatetags" / "flag_rows.py",
                _ROOT / "therapies" / "citations.py",
                _ROOT / "therapies" / "data" / "catalog.json",
                _TEMPLATES / "_triage_body.html",
                _TEMPLATES / "_patient_rows.html",
                _TEMPLATES / "_pagination.html",
                *(_ROOT / "locale").glob("*/LC_MESSAGES/django.po"),
            ]
        )
    )
).hexdigest()

# The rows of the version query: the teams, their unresolved flags, the history of their
# patients and courses, the members' names, the therapies' and terms' names.
_TEAM, _FLAGS, _PATIENTS, _COURSES, _MEMBERS, _THERAPIES, _TERMS = range(7)


# Moments are summed as milliseconds since 2020-01-01 UTC: a 64-bit sum (SQLite's SUM fails
# on overflow) then holds millions of flags, where microseconds since 1970 held about 2,600.
_SINCE_2020 = 1577836800


def _milliseconds(column: str) -> str:
    """A datetime column as whole milliseconds since 2020 (UTC), in SQL."""
    if connection.vendor == "postgresql":
        return f"(CAST(EXTRACT(EPOCH FROM {column}) * 1000 AS BIGINT) - {_SINCE_2020 * 1000})"
    # SQLite keeps "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC (Django's format). "%%": the query
    # takes parameters.
    return (
        f"((CAST(strftime('%%s', {column}) AS INTEGER) - {_SINCE_2020}) * 1000 "
        f"+ CAST(substr({column}, 21, 3) AS INTEGER))"
    )


@functools.cache
def _sql() -> tuple[str, int]:
    """The version query and how many times it takes the user's id. Names come from the
    models, never from input."""
    members = CareTeam.members.through._meta
    member_table = members.db_table
    user_column = members.get_field("user").column
    team_column = members.get_field("careteam").column
    course = Course._meta.db_table
    teams = f"SELECT {team_column} FROM {member_table} WHERE {user_column} = %s"  # noqa: S608
    team_courses = f"SELECT id FROM {course} WHERE care_team_id IN ({teams})"  # noqa: S608
    open_, urgent = FlagStatus.OPEN.value, FlagLevel.URGENT.value
    created = _milliseconds("f.created_at")

    def text(value):
        return f"CAST(COALESCE({value}, 0) AS VARCHAR(40))"

    # The unresolved flags, from the partial index `flag_unresolved_idx` alone (its condition
    # stated as FlagQuerySet.unresolved states it): how many, how many open, the sum of the
    # moments they were raised counting open ones twice, and the open urgent ones (the badge).
    # A flag's only changes while unresolved are open → acknowledged (with who, when and the
    # note, set once) and leaving the queue (resolved, or withdrawn, which resolves it); a new
    # flag is raised later than every flag already in the queue. So any writes between two
    # reads change the count, the open count or the sum: with as many flags raised as left,
    # and as many acknowledged as open ones left, the raised ones' moments, counted twice,
    # outweigh those of the flags that left or were acknowledged. (Only app servers whose
    # clocks disagree could raise a flag "earlier" than one already there; the urgent poll,
    # never kept, still shows a new urgent flag within 30 s.)
    flags = (
        f"SELECT {_FLAGS}, COUNT(*), "  # noqa: S608 (names from models)
        f"SUM(CASE WHEN f.status = '{open_}' THEN 2 * {created} ELSE {created} END), "
        + text(f"SUM(CASE WHEN f.status = '{open_}' THEN 1 ELSE 0 END)")
        + " || '|' || "
        + text(f"SUM(CASE WHEN f.status = '{open_}' AND f.level = '{urgent}' THEN 1 ELSE 0 END)")
        + f" FROM {Flag._meta.db_table} f WHERE f.course_id IN ({team_courses}) "
        f"AND NOT (f.status = '{FlagStatus.RESOLVED.value}')"
    )

    def history(index, model, ids):
        table = model.history.model._meta.db_table
        return (
            f"SELECT {index}, COUNT(*), SUM(history_id), "  # noqa: S608 (names from models)
            f"{text('MAX(history_id)')} FROM {table} WHERE id IN ({ids})"
        )

    user = User._meta.db_table
    # Table and column names from the models, never input (S608).
    team_rows = f"SELECT {_TEAM}, {team_column}, 0, NULL FROM {member_table} "  # noqa: S608
    parts = [
        f"{team_rows} WHERE {user_column} = %s",
        flags,
        history(
            _PATIENTS,
            Patient,
            f"SELECT patient_id FROM {course} WHERE id IN ({team_courses})",  # noqa: S608
        ),
        history(_COURSES, Course, team_courses),
        # Who acknowledged: a member of the team when they did (the pages and the API scope
        # the flag to its team's members).
        f"SELECT {_MEMBERS}, u.id, 0, "  # noqa: S608
        "u.first_name || '|' || u.last_name || '|' || u.username "
        f"FROM {user} u WHERE u.id IN (SELECT m.{user_column} FROM {member_table} m "
        f"WHERE m.{team_column} IN ({teams}))",
        f"SELECT {_THERAPIES}, t.id, 0, t.name || '|' || t.name_fr "  # noqa: S608
        f"FROM {Therapy._meta.db_table} t",
        f"SELECT {_TERMS}, id, sort_order, ctcae_term || '|' || ctcae_term_fr "  # noqa: S608
        f"FROM {SideEffectTerm._meta.db_table}",
    ]
    sql = " UNION ALL ".join(parts)
    return sql, sql.count("%s") - sql.count("%%s")


class QueueVersion:
    """The queue's version for one clinician (`digest`), their care teams, and their unresolved
    and open urgent flags counted (the caption and the navigation's badge), read with it."""

    def __init__(self, rows):
        rows = sorted(rows, key=lambda row: (row[0], row[1] or 0))
        self.teams = tuple(row[1] for row in rows if row[0] == _TEAM)
        flags = next(row for row in rows if row[0] == _FLAGS)
        # As FlagQuerySet.waiting_counts counts them.
        self.counts = {"unresolved": flags[1], "open_urgent": int(flags[3].rsplit("|", 1)[1])}
        self.digest = hashlib.sha256(repr(rows).encode()).hexdigest()


def queue_version(user) -> QueueVersion | None:
    """The version of the queue `user` sees (one query), or None when it is not kept (a user
    who sees every team). Read it *before* the data: a write between the two then only makes
    the kept body newer than its version, never older."""
    if user.sees_everything or not user.is_clinician:
        return None
    sql, uses = _sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk] * uses)
        return QueueVersion(cursor.fetchall())


def body_key(request, version: QueueVersion) -> str:
    parts = (
        TRIAGE_CODE,
        version.digest,
        version.teams,
        get_language(),
        timezone.get_current_timezone_name(),
        getattr(request.user, "role", ""),
        request.get_full_path(),
    )
    return "tracker:triage:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def render_body(request, context, key) -> str:
    """The body rendered without the request's person (placeholders
    for the CSRF token and the polling's moment; markers for the clock), kept."""
    body = render_to_string(
        BODY_TEMPLATE,
        {**context, "csrf_token": course_page.CSRF_PLACEHOLDER, "since": SINCE_PLACEHOLDER},
        # For the request's path and query ({% querystring %}, the filters): in the key.
        request=request,
    )
    course_page.keep(key, body)
    return body


def cached_body(key):
    return course_page.kept.get_or_shared(key)


def served(request, body: str, since: str, now=None) -> str:
    """The kept body for this request: its clock, its CSRF token, its polling moment."""
    body = fill_clock(body, now or timezone.now())
    return course_page.with_token(request, body).replace(SINCE_PLACEHOLDER, since)
