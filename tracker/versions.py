"""A course's version: a digest that changes whenever anything drawn or printed from it changes.

Three things are kept by course version: the charts (tracker/charts.py), the PDFs rendered
ahead (tracker/exports/ahead.py) and the course page's body (tracker/course_page.py). Each
reads its version here, in one query, before the data it draws (a write between the two then
only makes what is kept newer than its version, never older):

- CHARTS: per history table of the records a chart draws from (the course, its reports and
  their answers, visits and their adverse events, doses, flags), how many history rows and the
  newest (a count cannot go back, so a write that commits after a newer one still changes it);
  plus the term catalog's ids, order and names in both languages. Every write to one of these
  records (a new record, a correction, a record entered in error, a flag acknowledged) leaves a
  history row;
- PDF: CHARTS, plus what only the PDF prints: the dose advice overrides, the photos, the
  patient and the care team (their history rows), the care team's members' names and the
  therapy's names and regimens (no history rows follow those);
- PAGE: PDF, plus the therapy's expected side effects (the page's "Expected" column; a catalog
  load may change them, and they have no history rows).

Each part's query is the one before it with rows added, so one query answers every part it
covers: `CourseVersion.charts` is the charts' digest read with the page's or the PDF's query,
equal to what `course_version(course)` alone gives. The course page keeps the charts it draws
under it, and a chart link carrying it (`?v=`) need not read the version again.

The code that draws or prints each part has its digest here too (CHARTS_CODE, PDF_CODE,
PAGE_CODE): a new version of the code makes new keys.
"""

import functools
import hashlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.db import connection

from therapies.models import ExpectedSideEffect, SideEffectTerm, Therapy

from . import internals
from .models import (
    AdverseEvent,
    CareTeam,
    Course,
    DoseAdministration,
    DoseAdviceOverride,
    Flag,
    Patient,
    ReportPhoto,
    SymptomAnswer,
    SymptomReport,
    User,
    Visit,
)

CHARTS = "charts"
PDF = "pdf"
PAGE = "page"
PARTS = (CHARTS, PDF, PAGE)

# Every record a chart draws from, with how its history rows are found from the course.
CHART_HISTORIES = (
    (Course, "id = %s"),
    (SymptomReport, "course_id = %s"),
    (Visit, "course_id = %s"),
    (DoseAdministration, "course_id = %s"),
    (Flag, "course_id = %s"),
    (SymptomAnswer, "report_id IN (SELECT id FROM {reports} WHERE course_id = %s)"),
    (AdverseEvent, "visit_id IN (SELECT id FROM {visits} WHERE course_id = %s)"),
)
# The records the PDF (and the page) prints besides: the charts' own list first, so that a
# row's index names the same table in every part's query.
PDF_HISTORIES = (
    *CHART_HISTORIES,
    (DoseAdviceOverride, "course_id = %s"),
    (ReportPhoto, "report_id IN (SELECT id FROM {reports} WHERE course_id = %s)"),
    (Patient, "id = (SELECT patient_id FROM {courses} WHERE id = %s)"),
    (CareTeam, "id = (SELECT care_team_id FROM {courses} WHERE id = %s)"),
)

# Rows of the catalog (-1, in every part), the care team's members' names (-2), the
# therapy's names (-3) and the therapy's expected side effects (-4).
_CATALOG_ROW = -1

_ROOT = Path(settings.BASE_DIR)


def files_digest(paths) -> bytes:
    """The bytes of the code and translation files that print a kept thing (each file's
    contents, in the order given): part of its key, so a new version of the code makes new
    keys."""
    return b"".join(path.read_bytes() for path in paths if path.exists())


# What draws the charts besides the data: how the summary gathers it, the rules' thresholds.
CHARTS_CODE = hashlib.sha256(
    files_digest(_ROOT / "tracker" / name for name in ("charts.py", "summary.py", "rules.py"))
    + metadata.version("matplotlib").encode()
).hexdigest()

# What prints the PDF besides the data (and its charts).
PDF_CODE = hashlib.sha256(
    files_digest(
        (
            _ROOT / "tracker" / "exports" / "pdf.py",
            _ROOT / "templates" / "tracker" / "exports" / "summary_pdf.html",
            _ROOT / "static" / "css" / "summary-pdf.css",
            # The citations of the catalog's source keys in the regimen and the flags' sources.
            _ROOT / "therapies" / "citations.py",
            # The flags' and the dose advice's words (sources by id, numbers in the language).
            _ROOT / "tracker" / "flag_text.py",
            _ROOT / "tracker" / "source_text.py",
            _ROOT / "tracker" / "advice_text.py",
            _ROOT / "therapies" / "data" / "catalog.json",
            *sorted((_ROOT / "locale").glob("*/LC_MESSAGES/django.po")),
        )
    )
    + CHARTS_CODE.encode()
).hexdigest()

# What prints the course page's kept body besides the data.
PAGE_CODE = hashlib.sha256(
    files_digest(
        sorted(
            [
                _ROOT / "tracker" / "course_page.py",
                # The page's own copy of its charts.
                _ROOT / "tracker" / "inline_svg.py",
                _ROOT / "tracker" / "summary.py",
                _ROOT / "tracker" / "flag_text.py",
                # The citations of the catalog's source keys, from its sources table.
                _ROOT / "therapies" / "citations.py",
                _ROOT / "therapies" / "data" / "catalog.json",
                *(_ROOT / "tracker" / "templatetags").glob("*.py"),
                *(_ROOT / "templates" / "tracker" / "clinician").glob("_*.html"),
                *(_ROOT / "templates" / "tracker" / "partials").glob("*.html"),
                *(_ROOT / "locale").glob("*/LC_MESSAGES/django.po"),
            ]
        )
    )
    + PDF_CODE.encode()
).hexdigest()


def _tables():
    return {
        "reports": SymptomReport._meta.db_table,
        "visits": Visit._meta.db_table,
        "courses": Course._meta.db_table,
    }


@functools.cache
def _sql(part: str) -> tuple[str, int]:
    """The query of `part` and how many times it takes the course's id. Built once per
    process: reading `Model.history` makes a manager class each time (milliseconds). Table
    and column names come from the models, never from input."""
    catalog = SideEffectTerm._meta.db_table
    if part == CHARTS:
        sql = internals.history_version_sql(CHART_HISTORIES, _tables(), catalog)
        return sql, len(CHART_HISTORIES)
    courses = _tables()["courses"]
    histories = internals.history_version_sql(PDF_HISTORIES, _tables(), catalog)
    members = CareTeam.members.through._meta
    member_column = members.get_field("user").column
    team_column = members.get_field("careteam").column
    # The names printed that no history row follows: the care team's members, the therapy.
    names = (
        "SELECT -2, u.id, 0, "  # noqa: S608
        "u.first_name || '|' || u.last_name || '|' || u.profession "
        f"FROM {User._meta.db_table} u "
        f"JOIN {members.db_table} m ON m.{member_column} = u.id "
        f"WHERE m.{team_column} = (SELECT care_team_id FROM {courses} WHERE id = %s) "
        # The therapy's names and regimens in both languages (the catalog reloads them).
        "UNION ALL SELECT -3, t.id, 0, "
        "t.name || '|' || t.name_fr || '|' || t.regimen || '|' || t.regimen_fr "
        f"FROM {Therapy._meta.db_table} t "
        f"WHERE t.id = (SELECT therapy_id FROM {courses} WHERE id = %s)"
    )
    sql = f"{histories} UNION ALL {names}"
    if part == PDF:
        return sql, len(PDF_HISTORIES) + 2
    if part != PAGE:
        raise ValueError(f"unknown course version part: {part!r}")
    # Which side effects the therapy lists decides the page's "Expected" column.
    expected = (
        "SELECT -4, e.id, e.term_id, NULL "  # noqa: S608
        f"FROM {ExpectedSideEffect._meta.db_table} e "
        f"WHERE e.therapy_id = (SELECT therapy_id FROM {courses} WHERE id = %s)"
    )
    return f"{sql} UNION ALL {expected}", len(PDF_HISTORIES) + 3


def _digest(rows) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _is_chart_row(row) -> bool:
    return row[0] == _CATALOG_ROW or 0 <= row[0] < len(CHART_HISTORIES)


@dataclass(frozen=True)
class CourseVersion:
    """A course's version for `part`, read in one query."""

    part: str
    rows: tuple  # the query's rows, sorted: what the digest is made of
    digest: str  # changes whenever anything of `part` changes
    charts: str  # the charts' own digest (what `course_version(course).digest` gives)


def course_version(course, *, part: str = CHARTS) -> CourseVersion:
    """The course's version for `part` (CHARTS, PDF or PAGE). One query.

    Read it *before* the data it stands for: a write between the two then only makes what is
    kept under it newer than its version, never older."""
    sql, uses = _sql(part)
    pk = Course._meta.pk.get_db_prep_value(course.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk] * uses)
        rows = tuple(sorted(cursor.fetchall(), key=lambda row: (row[0], row[1])))
    digest = _digest(list(rows))
    charts = digest if part == CHARTS else _digest([row for row in rows if _is_chart_row(row)])
    return CourseVersion(part=part, rows=rows, digest=digest, charts=charts)
