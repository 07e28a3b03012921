"""Course charts drawn on the server as SVG: the same picture on the course page and in the PDF.

Two charts, both from a `CourseSummary`:
- a timeline of grades per side effect over the days of the course, with doses and flags;
- vital signs over time with their thresholds drawn (values from tracker/rules.py).

Matplotlib's object API (no pyplot global state, safe in threaded servers). Output is
deterministic for the same data (fixed hash salt, no date metadata). Grades are written as
numbers inside the markers so that nothing depends on colour alone, and every chart has a
data table beside it on the page. Marks carry ids (`gid`) that tests look for.

Drawing takes tens to hundreds of milliseconds (more for long courses), so each chart is kept
in Django's cache under the course's version (`course_version`: one query over the history
rows of the course's records and the term catalog) plus the language, the time zone and the
drawing code. Every write to a record the chart draws from leaves a history row, so a new,
corrected or entered-in-error record, an edited course or term, another language or a new
version of the code makes a new key: a cached chart is never stale. The version is read
before the data, so a cached chart is served without gathering the summary at all; unchanged
courses are drawn once (per cache, i.e. per process with the default local-memory cache).
"""

import hashlib
import io
import itertools

import matplotlib

matplotlib.use("Agg")

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.utils.safestring import mark_safe  # noqa: E402
from django.utils.translation import get_language  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from matplotlib import rcParams  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from . import inline_svg, measurements, rules, versions  # noqa: E402
from .cache import KeptByKey  # noqa: E402

rcParams["svg.hashsalt"] = "interleukin-tracker"
rcParams["svg.fonttype"] = "none"  # text stays text: smaller, selectable, page fonts apply
rcParams["font.family"] = "DejaVu Sans"
rcParams["font.size"] = 9

# Matplotlib's SVG styles its marks with a <style> element and style attributes. A chart served
# on its own (the chart links, shown with <img>; it contains no script) allows inline styles in
# its own response only; every page keeps the strict policy: the course page's own copy of its
# charts is written with presentation attributes instead (page_chart, tracker/inline_svg.py).
SVG_RESPONSE_CSP = {"style-src": ["'self'", "'unsafe-inline'"]}

GRADE_COLOURS = {0: "#d9d9d9", 1: "#9ecae1", 2: "#fdae6b", 3: "#e6550d", 4: "#a50f15", 5: "#000000"}
LEVEL_RINGS = {"urgent": "#b00020", "review": "#e08a00"}


# --- Cache ------------------------------------------------------------------------------------

CACHE_SECONDS = 24 * 60 * 60  # keys change with the course's data: the timeout only bounds memory
_NOTHING = ""  # cached "no chart" (None is what a cache miss looks like)


def course_version(course) -> str:
    """A digest that changes whenever anything the course's charts draw changes. One query
    (tracker/versions.py, part CHARTS): the history rows of the course's records and the
    term catalog. Read it *before* the data drawn: a write between the two then only makes
    a chart newer than its key, never older."""
    return versions.course_version(course, part=versions.CHARTS).digest


# The patient's own chart names each side effect in the words they ticked (label_en/label_fr),
# not by its CTCAE term ("Dyspnea", "Arthralgia").
PATIENT_TIMELINE = "patient-timeline"


def _key(kind, course, version):
    parts = (
        kind,
        versions.CHARTS_CODE,
        get_language(),
        settings.TIME_ZONE,
        str(course.pk),
        version,
    )
    return f"tracker:chart:{kind}:{hashlib.sha256(repr(parts).encode()).hexdigest()}"


def _draw(kind, summary, image_format="svg"):
    if kind == PATIENT_TIMELINE:
        fig = _grade_timeline_figure(summary, patient_words=True)
    else:
        figure = _grade_timeline_figure if kind == "timeline" else _vitals_figure
        fig = figure(summary)
    if fig is None:
        return None
    return _svg(fig) if image_format == "svg" else _png(fig)


# 32 MB of charts per process (about a hundred of the largest): the courses opened lately.
kept = KeptByKey(32 * 1024 * 1024)


def _kept(key):
    """The chart kept under `key` (_NOTHING when it has no data), or None when not kept."""
    return kept.get_or_shared(key)


def _cached(key, draw):
    image = _kept(key)
    if image is None:
        image = draw()
        image = _NOTHING if image is None else image
        cache.set(key, image, CACHE_SECONDS)
        kept.set(key, image)
    return image or None


def _summary_for(course):
    from .summary import build_summary  # summary imports nothing from here; kept lazy anyway

    return build_summary(course)


def course_chart(kind, course, *, version=None) -> str | None:
    """The course's chart `kind` ("timeline", PATIENT_TIMELINE or "vitals") as SVG, None when
    it has no data.

    A cached chart costs one query (the course's version, unless given); the summary is
    gathered and the chart drawn only when the course changed since it was last drawn.
    """
    key = _key(kind, course, version or course_version(course))
    return _cached(key, lambda: _draw(kind, _summary_for(course)))


def chart_etag(kind, course, version) -> str:
    """What the chart's ETag is made of: the same as its cache key (kind, code, language,
    time zone, course, version)."""
    return _key(kind, course, version)


def is_version(text) -> bool:
    """Whether `text` looks like a course version (a SHA-256 digest in hex)."""
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def chart_at(kind, course, version: str | None) -> tuple[str | None, str]:
    """The chart `kind` for a link that carries the course's chart version (the course page
    reads it with its own), and the version served: (SVG or None, version).

    The chart kept for that version is served as it is, without a query: it was drawn from
    data at least as new as the version. Otherwise (another process drew it, the cache lost
    it, the link is old or made up) the current version is read and its chart served, drawn
    if need be: never a chart older than the data the page showed."""
    if version and is_version(version):
        image = _kept(_key(kind, course, version))
        if image is not None:
            return image or None, version
    current = course_version(course)
    return course_chart(kind, course, version=current), current


# The width the course page draws its charts at (as its <img> links had), in CSS pixels.
PAGE_CHART_WIDTH = 800


def page_chart(kind, summary, version: str) -> dict | None:
    """The chart `kind` ("timeline" or "vitals") for the course page's own HTML, None when it
    has no data or cannot be written without styles (the page then links to it).

    Drawn from the page's summary, whose data were read after the charts' `version`: it is kept
    under that version as a chart link's would be (`chart_at`), so a link for the same version
    serves the same picture without drawing it again. Returns the <svg> tag (`start`), the id
    its <title> must carry (`title_id`: the page writes the title, in its words) and the rest
    (`rest`), safe to print: Matplotlib escapes its text, tracker/inline_svg.py its own."""
    svg = _cached(_key(kind, summary.course, version), lambda: _draw(kind, summary))
    found = svg and inline_svg.inline(svg, prefix=f"{kind}-chart", width=PAGE_CHART_WIDTH)
    if not found:
        return None
    return {
        "start": mark_safe(found.start),  # noqa: S308 (written by tracker/inline_svg.py)
        "title_id": found.title_id,
        "rest": mark_safe(found.rest),  # noqa: S308 (Matplotlib's escaped SVG)
    }


def _from_summary(kind, summary, image_format="svg"):
    # Cached only when the summary knows the version read before its data (build_summary
    # with chart_version=True): otherwise a write between the two could file an older
    # picture under a newer version.
    version = summary.chart_version
    if version is None:
        return _draw(kind, summary, image_format)
    key = _key(f"{kind}.{image_format}", summary.course, version)
    return _cached(key, lambda: _draw(kind, summary, image_format))


def print_chart_png(kind, summary) -> bytes | None:
    """The chart `kind` as a PNG picture for the PDF, cached like the SVG.

    WeasyPrint lays out every mark and label of an SVG as it draws the page (in a profile of
    the 51-page PDF of a 500-answer course, the two SVG charts were 8 % of its time, about
    0.7 s); a picture is copied as it is."""
    return _from_summary(kind, summary, "png")


# --- Drawing -------------------------------------------------------------------------------------


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


# Print resolution of the PDF's charts: sharp on paper at the width they are printed.
PNG_DPI = 120


def _png(fig) -> bytes:
    # Without an alpha channel: WeasyPrint would otherwise store the picture twice (colours and
    # transparency mask), decoding and encoding each. WeasyPrint decodes the picture and
    # compresses it again for the PDF whatever its compression here, so matplotlib's PNG is
    # left uncompressed and this one barely compressed (the PDF is the same; encoding at
    # zlib's default level was about a fifth of a chart's time).
    fig.set_facecolor("white")
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=PNG_DPI,
        bbox_inches="tight",
        metadata={"Software": None},
        pil_kwargs={"compress_level": 0},
    )
    rgb = io.BytesIO()
    Image.open(buffer).convert("RGB").save(rgb, format="PNG", compress_level=1)
    return rgb.getvalue()


def _day(summary, when) -> float:
    """The day of the course as a fraction: day 1 starts at midnight of the start date."""
    from django.utils import timezone

    local = timezone.localtime(when)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return summary.day_of_course(when) + (local - midnight).total_seconds() / 86400


def _record_time(flag):
    record = flag.report or flag.visit
    return getattr(record, "reported_at", None) or record.recorded_at


def _grade_timeline_figure(summary, patient_words=False) -> Figure | None:
    points = summary.grade_points
    # Flags with no grade of their own: patterns (possible capillary leak) and red flags such
    # as a low blood pressure, drawn as "!" on their term's row.
    alerts = [f for f in summary.flags if f.ctcae_grade is None and f.composite_grade is None]
    if not points and not alerts:
        return None
    terms = []
    marked = [p.term for p in points] + [f.term for f in alerts]
    for term in sorted(marked, key=lambda t: (t.sort_order, t.slug)):
        if term not in terms:
            terms.append(term)
    rows = {term.slug: index + 1 for index, term in enumerate(reversed(terms))}
    height = 1.2 + 0.38 * (len(terms) + 1)
    fig = Figure(figsize=(8, height))
    ax = fig.add_subplot()
    # One collection per run of points with the same marker (in the order drawn), not one per
    # point: a 500-answer course has some 400 points, and each collection costs matplotlib a
    # scatter call, its own limits and its own draw (most of the chart's time). Each point
    # keeps its colours and line width, and marks are drawn in the same order as one by one.
    xs = [_day(summary, point.when) for point in points]
    ys = [rows[point.term.slug] for point in points]
    runs = itertools.groupby(zip(points, xs, ys, strict=True), key=lambda p: p[0].record)
    for record, grouped in runs:
        run = list(grouped)
        rings = [LEVEL_RINGS.get(point.flag_level) for point, _x, _y in run]
        mark = ax.scatter(
            [x for _point, x, _y in run],
            [y for _point, _x, y in run],
            s=190,
            marker="o" if record == "report" else "s",
            c=[GRADE_COLOURS.get(point.grade, "#000000") for point, _x, _y in run],
            edgecolors=[ring or "#555555" for ring in rings],
            linewidths=[2.2 if ring else 0.6 for ring in rings],
            zorder=3,
        )
        mark.set_gid("grade-point")
    for x, y, point in zip(xs, ys, points, strict=True):
        label = ax.text(
            x,
            y,
            str(point.grade),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if point.grade >= 3 else "black",
            zorder=4,
        )
        label.set_gid("grade-label")
        # Inside its marker, itself inside the axes: not measured for the picture's bounds.
        label.set_in_layout(False)
    for level, same_level in itertools.groupby(alerts, key=lambda flag: flag.level):
        flagged = list(same_level)
        ring = LEVEL_RINGS.get(level, "#555555")
        at = [_day(summary, _record_time(flag)) for flag in flagged]
        on = [rows[flag.term.slug] for flag in flagged]
        mark = ax.scatter(
            at, on, s=190, marker="D", c="#ffffff", zorder=3, edgecolors=ring, linewidths=2.2
        )
        mark.set_gid(f"flag-{level}")
        for x, y in zip(at, on, strict=True):
            text = ax.text(
                x,
                y,
                "!",
                ha="center",
                va="center",
                fontsize=9,
                fontweight="bold",
                zorder=4,
                color=ring,
            )
            text.set_in_layout(False)
    doses = [dose for dose in summary.doses if dose.status in ("given", "held")]
    for status, same_status in itertools.groupby(doses, key=lambda dose: dose.status):
        days = [_day(summary, dose.administered_at or dose.scheduled_at) for dose in same_status]
        mark = ax.scatter(
            days,
            [0] * len(days),
            marker="^" if status == "given" else "x",
            c="#2c7fb8" if status == "given" else "#b00020",
            s=40,
            zorder=3,
        )
        mark.set_gid(f"dose-{status}")
    names = [t.label if patient_words else t.clinical_name for t in reversed(terms)]
    ax.set_yticks([0, *rows.values()], [_("Doses"), *names])
    ax.set_ylim(-0.7, len(terms) + 0.7)
    ax.set_xlabel(_("Day of course (day 1 = start date)"))
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    ax.set_title(
        _(
            "Grades by side effect (circle: patient report, PRO-CTCAE 0–3; square: clinician, "
            "CTCAE 1–5; !: flag without a grade; red: may need hospitalization)"
        ),
        fontsize=8,
        loc="left",
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def _vital_thresholds():
    """{series: [(threshold, label)]} from the rules module."""
    return {
        "systolic_bp": [(rules.SYSTOLIC_BP_BELOW_MMHG, "90")],
        "temperature_c": [(rules.FEVER_GRADE_1_C, "38"), (rules.FEVER_GRADE_3_ABOVE_C, "40")],
        "weight_percent": [
            (rules.WEIGHT_GAIN_GRADE_1_PCT, "5"),
            (rules.IL2_WEIGHT_GAIN_ABOVE_PCT, "15"),
            (rules.WEIGHT_GAIN_GRADE_3_PCT, "20"),
        ],
        "platelets_10e9_per_l": [
            (rules.PLATELETS_GRADE_3_BELOW, "50"),
            (rules.IL2_PLATELETS_ABSOLUTE_BELOW, "30"),
        ],
    }


def _vital_panels():
    """(series, title, unit, [(threshold, label)]): the registry's chart panels
    (tracker/measurements.py) with their thresholds from the rules module."""
    thresholds = _vital_thresholds()
    return [
        (chart.series, chart.title, chart.unit, thresholds.get(chart.series, []))
        for chart in measurements.CHARTS
    ]


def _vitals_figure(summary) -> Figure | None:
    panels = [p for p in _vital_panels() if summary.vitals.get(p[0])]
    if not panels:
        return None
    columns = 2 if len(panels) > 1 else 1
    rows = (len(panels) + 1) // 2
    fig = Figure(figsize=(8, 2.6 * rows))
    held = [_day(summary, d.scheduled_at) for d in summary.doses if d.status == "held"]
    days = [_day(summary, p.when) for name, *_rest in panels for p in summary.vitals[name]]
    x_range = (min(0, *days) - 0.2, max(days) + 0.2)
    for index, (name, title, unit, thresholds) in enumerate(panels, start=1):
        ax = fig.add_subplot(rows, columns, index)
        points = summary.vitals[name]
        xs = [_day(summary, p.when) for p in points]
        ys = [p.value for p in points]
        (line,) = ax.plot(xs, ys, marker="o", markersize=4, color="#2c7fb8", linewidth=1.4)
        line.set_gid(f"vital-{name}")
        for value, label in thresholds:
            threshold = ax.axhline(value, color="#b00020", linestyle="--", linewidth=0.9)
            threshold.set_gid(f"threshold-{name}-{label}")
            ax.annotate(
                label,
                xy=(1, value),
                xycoords=("axes fraction", "data"),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                color="#b00020",
                fontsize=7,
            )
        for x in held:
            ax.axvline(x, color="#999999", linestyle=":", linewidth=0.8).set_gid("dose-held")
        low = min([*ys, *(v for v, _label in thresholds)])
        high = max([*ys, *(v for v, _label in thresholds)])
        margin = (high - low) * 0.12 or 1
        ax.set_ylim(low - margin, high + margin)
        ax.set_xlim(*x_range)
        ax.set_title(f"{title} ({unit})", fontsize=9, loc="left")
        ax.set_xlabel(_("Day of course"), fontsize=8)
        ax.grid(color="#eeeeee")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.subplots_adjust(hspace=0.6, wspace=0.3)
    return fig
