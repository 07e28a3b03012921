"""The course summary as a printable PDF (WeasyPrint), for the patient's chart.

`document_context(summary, printed_by=…)` adds what the summary lacks (the care team's members:
one query) and shapes rows for the print template; `render_pdf(context, language=…)` renders
it in the requester's language and runs no query. Charts are the course page's own SVG
(tracker/charts.py) as PNG pictures, handed to the renderer from memory (`picture:` URLs, not
data: URLs it would have to parse out of the HTML and decode); every chart has its data table
beside it. WeasyPrint loads nothing but those pictures, data: URLs and static files
(fetcher.py).
"""

import threading
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .. import charts, rules
from ..models import FlagLevel, ReportPhoto
from .codes import MEASUREMENTS
from .fetcher import PICTURE_SCHEME, StaticOnlyURLFetcher, static_file_url

TEMPLATE = "tracker/exports/summary_pdf.html"
# Dates written out with the month's name: "9 March 1968" cannot be misread as 3 September,
# whatever the reader's country (the month's name follows the language). "N" abbreviates
# without ambiguity in French too ("juin", "juil.", where "M" prints "jun" and "jui").
DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y, H:i"
# The date of birth, identifying the patient on every printed page: the month in full.
BIRTH_DATE_FORMAT = "j F Y"
STYLESHEET = "css/summary-pdf.css"

# How many rows each listing prints: the latest ones, then a line saying how many more are
# in the CSV export. WeasyPrint takes about 0.17 s a page; listing every record made 51 pages
# for a 500-answer course. Tables that summarise the whole course (side effects, dose counts)
# are printed in full; urgent flags and held doses too, up to a ceiling, so that a course of
# any size (a patient's script once made 2,800 urgent flags) prints in a few pages.
FLAG_ROWS = 6  # besides the urgent flags
URGENT_FLAG_ROWS = 40  # the latest urgent flags, at most
DOSE_ROWS = 10  # besides the held doses
HELD_DOSE_ROWS = 40  # the latest held doses, at most
NOTE_ROWS = 5
GRADE_ROWS = 10
VITAL_ROWS = 10
PHOTO_ROWS = 10  # photos are listed (what, when), never embedded


@dataclass
class Listing:
    """The rows a listing prints and how many the course has; `cut` when rows of the kind
    always printed in full (urgent flags, held doses) were left out too."""

    rows: list
    total: int
    cut: bool = False

    @property
    def more(self):
        return self.total - len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def _latest(rows, count) -> Listing:
    """The last `count` of `rows` (oldest first), still oldest first."""
    return Listing(rows[-count:] if len(rows) > count else list(rows), len(rows))


def _newest(rows, count, when):
    return {r.pk for r in sorted(rows, key=when)[-count:]} if count else set()


def _flags(summary) -> Listing:
    """The latest URGENT_FLAG_ROWS urgent flags (every one, in a course of ordinary size),
    then the latest FLAG_ROWS others; in the summary's order (most urgent first, newest first
    within a level)."""
    urgent = [f for f in summary.flags if f.level == FlagLevel.URGENT]
    others = [f for f in summary.flags if f.level != FlagLevel.URGENT]
    keep = _newest(urgent, URGENT_FLAG_ROWS, lambda f: f.created_at) | _newest(
        others, FLAG_ROWS, lambda f: f.created_at
    )
    rows = [f for f in summary.flags if f.pk in keep]
    return Listing(rows, len(summary.flags), cut=len(urgent) > URGENT_FLAG_ROWS)


def _doses(summary) -> Listing:
    """The held doses (with their reason; the latest HELD_DOSE_ROWS at most) and the latest
    DOSE_ROWS, by dose number."""
    held = [d for d in summary.doses if d.status == "held"]
    keep = {d.pk for d in held[-HELD_DOSE_ROWS:]} | {d.pk for d in summary.doses[-DOSE_ROWS:]}
    rows = [d for d in summary.doses if d.pk in keep]
    return Listing(rows, len(summary.doses), cut=len(held) > HELD_DOSE_ROWS)


@dataclass
class VitalRow:
    when: object
    source: str
    by: object
    values: dict = field(default_factory=dict)
    weight_change: float | None = None


def _vital_rows(summary):
    course = summary.course
    baseline = float(course.baseline_weight_kg) if course.baseline_weight_kg else None
    records = [(r, r.reported_at, "report", r.submitted_by) for r in summary.reports] + [
        (v, v.recorded_at, "visit", v.recorded_by) for v in summary.visits
    ]
    rows = []
    for record, when, source, by in sorted(records, key=lambda r: r[1]):
        values = {m.field: getattr(record, m.field, None) for m in MEASUREMENTS}
        if all(value is None for value in values.values()):
            continue
        row = VitalRow(when=when, source=source, by=by, values=values)
        if baseline and record.weight_kg is not None:
            row.weight_change = round(
                rules.weight_gain_percent(float(record.weight_kg), baseline), 1
            )
        rows.append(row)
    return rows


def _notes(summary):
    notes = [
        (r.reported_at, "report", r.submitted_by, r.note) for r in summary.reports if r.note
    ] + [(v.recorded_at, "visit", v.recorded_by, v.notes) for v in summary.visits if v.notes]
    return sorted(notes, key=lambda n: n[0])


def document_context(summary, *, printed_by, printed_at=None) -> dict:
    """Everything the print template shows. Two queries: the care team's members and the
    photos the patient sent (listed, not printed: they are seen on the course page)."""
    course = summary.course
    members = list(course.care_team.members.order_by("last_name", "first_name"))
    photos = list(
        ReportPhoto.objects.filter(report__course=course)
        .current()
        .select_related("report")
        .order_by("uploaded_at")
    )
    return {
        "summary": summary,
        "course": course,
        "patient": summary.patient,
        "therapy": summary.therapy,
        "care_team": course.care_team,
        "care_team_members": members,
        "printed_by": printed_by,
        "printed_at": printed_at or timezone.now(),
        "vital_rows": _latest(_vital_rows(summary), VITAL_ROWS),
        "grade_rows": _latest(
            [(p, summary.day_of_course(p.when)) for p in summary.grade_points], GRADE_ROWS
        ),
        "notes": _latest(_notes(summary), NOTE_ROWS),
        "flags": _flags(summary),
        "doses": _doses(summary),
        "photos": _latest(photos, PHOTO_ROWS),
        "open_urgent": sum(1 for f in summary.open_flags if f.level == FlagLevel.URGENT),
        "open_review": sum(1 for f in summary.open_flags if f.level == FlagLevel.REVIEW),
        "open_info": sum(1 for f in summary.open_flags if f.level == FlagLevel.INFO),
    }


def _page_strings(context):
    """The running header and footer (CSS page margins take text only from attributes)."""
    marker_page, marker_pages = "\x00PAGE\x00", "\x00PAGES\x00"
    # Translators: the footer of every PDF page, e.g. "Page 2 of 5".
    pattern = _("Page %(page)s of %(pages)s") % {"page": marker_page, "pages": marker_pages}
    before, _sep, rest = pattern.partition(marker_page)
    between, _sep, after = rest.partition(marker_pages)
    patient = context["patient"]
    printed_by = context["printed_by"]
    if hasattr(printed_by, "get_full_name"):
        printed_by = printed_by.get_full_name() or printed_by.get_username()
    printed_at = timezone.localtime(context["printed_at"])
    if printed_by:
        # Translators: the running footer of a PDF printed for one person.
        printed = _("Printed %(when)s by %(who)s") % {
            "when": _datetime(printed_at),
            "who": printed_by,
        }
    else:
        # Translators: the running footer of a PDF rendered ahead, served to whoever may read
        # the course (each download is logged with who asked).
        printed = _("Generated %(when)s") % {"when": _datetime(printed_at)}
    return {
        "page_before": before,
        "page_between": between,
        "page_after": after,
        "running_patient": f"{patient.family_name.upper()} {patient.given_name} · "
        + _("MRN %(mrn)s") % {"mrn": patient.mrn}
        + " · "
        + _("born %(date)s") % {"date": date_format(patient.birth_date, BIRTH_DATE_FORMAT)},
        "running_title": _("Course summary: %(therapy)s")
        % {"therapy": context["therapy"].display_name},
        "running_printed": printed,
    }


def _date(value):
    return date_format(value, DATE_FORMAT)


def _datetime(value):
    return date_format(timezone.localtime(value), DATETIME_FORMAT)


# The course's charts, by the URL the print template gives them.
CHART_PICTURES = {"timeline": "grade_chart", "vitals": "vitals_chart"}


def _charts(summary) -> dict[str, bytes]:
    """The course's charts as PNG (in the active language), by their picture: URL."""
    pictures = {}
    for kind in CHART_PICTURES:
        png = charts.print_chart_png(kind, summary)
        if png:
            pictures[f"{PICTURE_SCHEME}:{kind}.png"] = png
    return pictures


def _html(context, *, language) -> tuple[str, dict[str, bytes]]:
    """The print template as HTML in `language`, and the chart pictures its URLs name."""
    with translation.override(language):
        pictures = _charts(context["summary"])
        page = {
            **context,
            **_page_strings(context),
            "language": translation.get_language(),
            "date_format": DATE_FORMAT,
            "datetime_format": DATETIME_FORMAT,
            "birth_date_format": BIRTH_DATE_FORMAT,
            "stylesheet_url": static_file_url(STYLESHEET),
            "decision_label": {
                "give": pgettext("dose advice", "Give the dose"),
                "hold": pgettext("dose advice", "Hold the dose"),
                "discontinue": pgettext("dose advice", "Discontinue the course"),
                "incomplete": pgettext("dose advice", "Incomplete: assess before dosing"),
            },
        }
        for kind, name in CHART_PICTURES.items():
            url = f"{PICTURE_SCHEME}:{kind}.png"
            page[name] = url if url in pictures else None
        return render_to_string(TEMPLATE, page), pictures


def render_html(context, *, language) -> str:
    """The print template as HTML, in `language` (its charts are picture: URLs)."""
    return _html(context, language=language)[0]


_fonts = threading.local()


def _font_config():
    """This thread's WeasyPrint font configuration, kept between renders: a new one loads
    the fonts again through Pango (measured at about a sixth of a render). One per thread,
    as Pango's font maps are not shared between threads."""
    from weasyprint.text.fonts import FontConfiguration

    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def render_pdf(context, *, language) -> bytes:
    """The PDF bytes. Runs no query (everything is in `context`)."""
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    html, pictures = _html(context, language=language)
    document = HTML(
        string=html,
        base_url=static_file_url(STYLESHEET),
        url_fetcher=StaticOnlyURLFetcher(pictures=pictures),
    )
    return document.write_pdf(font_config=_font_config())
