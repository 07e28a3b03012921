"""Course charts drawn on the server as SVG: the same picture on the course page and in the PDF.

Two charts, both from a `CourseSummary`:
- a timeline of grades per side effect over the days of the course, with doses and flags;
- vital signs over time with their thresholds drawn (values from tracker/rules.py).

Matplotlib's object API (no pyplot global state, safe in threaded servers). Output is
deterministic for the same data (fixed hash salt, no date metadata). Grades are written as
numbers inside the markers so that nothing depends on colour alone, and every chart has a
data table beside it on the page. Marks carry ids (`gid`) that tests look for.

Drawing takes tens to hundreds of milliseconds (more for long courses), so each chart is kept
in Django's cache under a digest of exactly what it draws (plus the language, the time zone
and this module's code): a new or corrected record, another language or a new version of the
drawing code makes a new key, so a cached chart is never stale; unchanged courses are drawn
once (per cache, i.e. per process with the default local-memory cache).
"""

import hashlib
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.utils.translation import get_language  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from matplotlib import rcParams  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from . import rules  # noqa: E402

rcParams["svg.hashsalt"] = "interleukin-tracker"
rcParams["svg.fonttype"] = "none"  # text stays text: smaller, selectable, page fonts apply
rcParams["font.family"] = "DejaVu Sans"
rcParams["font.size"] = 9

# Matplotlib's SVG styles its marks with a <style> element and style attributes. The chart is
# served on its own (shown with <img>, never inlined, and it contains no script), so only its
# own response allows inline styles; every page keeps the strict policy.
SVG_RESPONSE_CSP = {"style-src": ["'self'", "'unsafe-inline'"]}

GRADE_COLOURS = {0: "#d9d9d9", 1: "#9ecae1", 2: "#fdae6b", 3: "#e6550d", 4: "#a50f15", 5: "#000000"}
LEVEL_RINGS = {"urgent": "#b00020", "review": "#e08a00"}


# --- Cache ------------------------------------------------------------------------------------

CACHE_SECONDS = 24 * 60 * 60  # keys are content digests: the timeout only bounds memory
_CODE = hashlib.sha256(Path(__file__).read_bytes() + matplotlib.__version__.encode()).hexdigest()
_NOTHING = ""  # cached "no chart" (None is what a cache miss looks like)


def _term(term):
    return (term.slug, term.ctcae_term, term.sort_order)


def _record_time(flag):
    record = flag.report or flag.visit
    if record is None:
        return None
    return getattr(record, "reported_at", None) or record.recorded_at


def _timeline_inputs(summary):
    """Everything grade_timeline_svg draws, as plain values."""
    return (
        summary.course.start_date,
        [(p.when, _term(p.term), p.grade, p.record, p.flag_level) for p in summary.grade_points],
        [
            (_record_time(f), _term(f.term), f.level)
            for f in summary.flags
            if f.ctcae_grade is None and f.composite_grade is None
        ],
        [(d.status, d.administered_at, d.scheduled_at) for d in summary.doses],
    )


def _vitals_inputs(summary):
    """Everything vitals_svg draws, as plain values."""
    return (
        summary.course.start_date,
        sorted(
            (name, [(p.when, p.value) for p in points]) for name, points in summary.vitals.items()
        ),
        [d.scheduled_at for d in summary.doses if d.status == "held"],
    )


def _cached(kind, inputs, draw, summary):
    digest = hashlib.sha256(
        repr((kind, _CODE, get_language(), settings.TIME_ZONE, inputs)).encode()
    ).hexdigest()
    key = f"tracker:chart:{kind}:{digest}"
    svg = cache.get(key)
    if svg is None:
        svg = draw(summary)
        cache.set(key, _NOTHING if svg is None else svg, CACHE_SECONDS)
    return svg or None


def grade_timeline_svg(summary) -> str | None:
    """Grades per side effect over the course days; None when nothing was graded yet."""
    return _cached("timeline", _timeline_inputs(summary), _draw_grade_timeline, summary)


def vitals_svg(summary) -> str | None:
    """Small multiples of the vitals that have data, thresholds drawn; None when none do."""
    return _cached("vitals", _vitals_inputs(summary), _draw_vitals, summary)


# --- Drawing -------------------------------------------------------------------------------------


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def _day(summary, when) -> float:
    """Days since the start of the course, as a fraction (day 0 = the start date)."""
    from django.utils import timezone

    local = timezone.localtime(when)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return summary.day_of_course(when) + (local - midnight).total_seconds() / 86400


def _draw_grade_timeline(summary) -> str | None:
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
    for point in points:
        x, y = _day(summary, point.when), rows[point.term.slug]
        marker = "o" if point.record == "report" else "s"
        ring = LEVEL_RINGS.get(point.flag_level)
        mark = ax.scatter(
            [x],
            [y],
            s=190,
            marker=marker,
            c=GRADE_COLOURS.get(point.grade, "#000000"),
            edgecolors=ring or "#555555",
            linewidths=2.2 if ring else 0.6,
            zorder=3,
        )
        mark.set_gid("grade-point")
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
    for flag in alerts:
        record = flag.report or flag.visit
        x = _day(summary, getattr(record, "reported_at", None) or record.recorded_at)
        y = rows[flag.term.slug]
        mark = ax.scatter(
            [x],
            [y],
            s=190,
            marker="D",
            c="#ffffff",
            zorder=3,
            edgecolors=LEVEL_RINGS.get(flag.level, "#555555"),
            linewidths=2.2,
        )
        mark.set_gid(f"flag-{flag.level}")
        ax.text(
            x,
            y,
            "!",
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            zorder=4,
            color=LEVEL_RINGS.get(flag.level, "#555555"),
        )
    for dose in summary.doses:
        if dose.status in ("given", "held"):
            mark = ax.scatter(
                [_day(summary, dose.administered_at or dose.scheduled_at)],
                [0],
                marker="^" if dose.status == "given" else "x",
                c="#2c7fb8" if dose.status == "given" else "#b00020",
                s=40,
                zorder=3,
            )
            mark.set_gid(f"dose-{dose.status}")
    ax.set_yticks([0, *rows.values()], [_("Doses"), *(t.ctcae_term for t in reversed(terms))])
    ax.set_ylim(-0.7, len(terms) + 0.7)
    ax.set_xlabel(_("Day of course (0 = start)"))
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
    return _svg(fig)


def _vital_panels():
    """(series, title, unit, [(threshold, label)]) with thresholds from the rules module."""
    return [
        (
            "systolic_bp",
            _("Systolic blood pressure"),
            "mmHg",
            [(rules.SYSTOLIC_BP_BELOW_MMHG, "90")],
        ),
        (
            "temperature_c",
            _("Temperature"),
            "°C",
            [(rules.FEVER_GRADE_1_C, "38"), (rules.FEVER_GRADE_3_ABOVE_C, "40")],
        ),
        (
            "weight_percent",
            _("Weight change from baseline"),
            "%",
            [
                (rules.WEIGHT_GAIN_GRADE_1_PCT, "5"),
                (rules.IL2_WEIGHT_GAIN_ABOVE_PCT, "15"),
                (rules.WEIGHT_GAIN_GRADE_3_PCT, "20"),
            ],
        ),
        (
            "platelets_10e9_per_l",
            _("Platelets"),
            "×10⁹/L",
            [(rules.PLATELETS_GRADE_3_BELOW, "50"), (rules.IL2_PLATELETS_ABSOLUTE_BELOW, "30")],
        ),
    ]


def _draw_vitals(summary) -> str | None:
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
    return _svg(fig)
