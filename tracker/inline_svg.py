"""A chart's SVG (as Matplotlib writes it) made fit to sit inside an HTML page.

The course page shows its charts in its own HTML instead of as <img> links, so that the
browser makes no request per chart. Served on its own, the SVG may style its marks with a
<style> element and `style` attributes (tracker/charts.py relaxes the policy for that response
only); inside the page, the site's Content-Security-Policy (`style-src 'self'`) blocks both.
So the page's copy:

- styles its marks with presentation attributes (`fill="#fff"`, the same properties), the
  <style> element's one rule (`*{...}`) written on the root and on the paths defined in
  <defs> (the marks <use> draws: `*` matched them, inheritance from the root would not reach
  them when the <use> sets its own value);
- has ids unique in the page: the ids that are referenced (clip paths, markers) get the
  chart's prefix, the marks' own names (grade-point, threshold-…, which repeat within a chart)
  become classes, Matplotlib's own ids (figure_1, text_12, …) are left out;
- is named for assistive technology: role="img" and aria-labelledby a <title> the page writes
  (`InlineSvg.start` + title + `InlineSvg.rest`), drawn at the width the <img> had;
- leaves out the XML declaration, the DOCTYPE and the metadata, rounds coordinates to
  hundredths of a point and drops the indentation (a third of the size).

Anything this module does not know (a style property with no presentation attribute, another
<style> rule) gives None: the page then links to the chart as before, never a chart drawn
differently or blocked.
"""

import re
from dataclasses import dataclass

# The SVG presentation attributes (SVG 1.1 §6.4 / SVG 2 §6.6) Matplotlib's styles may use.
PRESENTATION_ATTRIBUTES = frozenset(
    {
        "clip-path",
        "clip-rule",
        "color",
        "display",
        "dominant-baseline",
        "fill",
        "fill-opacity",
        "fill-rule",
        "font-family",
        "font-size",
        "font-stretch",
        "font-style",
        "font-variant",
        "font-weight",
        "letter-spacing",
        "opacity",
        "paint-order",
        "shape-rendering",
        "stroke",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-opacity",
        "stroke-width",
        "text-anchor",
        "text-decoration",
        "visibility",
        "word-spacing",
    }
)

# Attributes whose numbers are coordinates (rounded to hundredths of a point).
_GEOMETRY = frozenset({"d", "x", "y", "width", "height", "transform", "points", "viewBox"})

_TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]*)((?:\s+[^\s=>/]+=(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>")
_ATTRIBUTE = re.compile(r"([^\s=>/]+)=(\"[^\"]*\"|'[^']*')")
_REFERENCE = re.compile(r"url\(#([^)]+)\)|href=\"#([^\"]+)\"")
_LONG_NUMBER = re.compile(r"-?\d+\.\d{3,}")
_NO_TURN = re.compile(r"rotate\(-?0 [-\d.]+ [-\d.]+\)")
_GLOBAL_STYLE = re.compile(r"<style[^>]*>\s*\*\s*\{([^}]*)\}\s*</style>")


@dataclass(frozen=True)
class InlineSvg:
    """The chart for the page: `start` (the <svg> tag), then the page's <title>, then `rest`."""

    start: str
    rest: str
    title_id: str

    def __len__(self):
        return len(self.start) + len(self.rest)


class _Unknown(Exception):
    """Something the page's copy could not say without a style the policy blocks."""


def _declarations(style: str) -> list[tuple[str, str]]:
    pairs = []
    for declaration in style.split(";"):
        if not declaration.strip():
            continue
        name, colon, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or name not in PRESENTATION_ATTRIBUTES or not value:
            raise _Unknown(declaration)
        pairs.append((name, value))
    return pairs


def _rounded(value: str) -> str:
    def short(match):
        text = f"{float(match.group()):.2f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text

    return " ".join(_LONG_NUMBER.sub(short, value).split())


class _Writer:
    """One pass over the SVG's tags (tag by tag: Matplotlib writes one per line, escapes its
    text and its attributes' `<` and `>`)."""

    def __init__(self, prefix, referenced, defaults):
        self.prefix = prefix
        self.referenced = referenced
        self.defaults = defaults
        self.defs = 0  # how deep in <defs>
        self.groups = []  # for each open <g>: whether it was written (not when bare)
        self.root = None

    def linked(self, key, value):
        """References to the ids kept (clip paths, markers) carry the prefix too."""
        if key.endswith("href") and value.startswith("#"):
            return f"#{self.prefix}-{value[1:]}"
        return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{self.prefix}-{m.group(1)})", value)

    def attribute(self, written, key, value):
        if key == "style":
            for prop, prop_value in _declarations(value):
                written[prop] = self.linked(prop, prop_value)
        elif key == "id":
            if value in self.referenced:
                written["id"] = f"{self.prefix}-{value}"
            elif "-" in value:  # the charts' own marks (set_gid): grade-point, dose-held…
                written["class"] = value
            # else Matplotlib's own (figure_1, text_12): unused, and they would repeat
        elif key == "transform" and _NO_TURN.fullmatch(value):
            pass  # rotate(-0 x y): Matplotlib's unrotated labels
        elif key in _GEOMETRY:
            written[key] = _rounded(value)
        else:
            written[key] = self.linked(key, value)

    def closing(self, name):
        if name == "defs":
            self.defs -= 1
        if name == "g" and not self.groups.pop():
            return ""
        return f"</{name}>"

    def tag(self, match):
        closing, name, attributes, empty = match.groups()
        if closing:
            return self.closing(name)
        if name == "style":
            raise _Unknown("a <style> element")
        if name == "defs":
            self.defs += 1
            return "<defs>"
        written = {}
        for key, quoted in _ATTRIBUTE.findall(attributes):
            value = quoted[1:-1]
            if quoted[0] == "'":
                value = value.replace('"', "&quot;")
            self.attribute(written, key, value)
        if name == "svg" and self.root is None:
            self.root = written
            return "\0root\0"
        if self.defs and name == "path":  # the marks <use> draws, hatches
            for prop, value in self.defaults:
                written.setdefault(prop, value)
        if name == "g" and not empty:
            # A group with nothing of its own (its id left out) draws nothing: left out.
            self.groups.append(bool(written))
            if not written:
                return ""
        text = "".join(f' {key}="{value}"' for key, value in written.items())
        return f"<{name}{text}{'/' if empty else ''}>"


def inline(svg: str, *, prefix: str, width: int) -> InlineSvg | None:
    """The page's copy of `svg` (Matplotlib's output), its ids prefixed with `prefix`, drawn
    `width` pixels wide (no wider than its container); None when it cannot be written
    without styles (the page then links to the chart)."""
    start = svg.find("<svg")
    if start < 0:
        return None
    body = re.sub(r"<metadata>.*?</metadata>", "", svg[start:], flags=re.S)
    try:
        defaults = []
        found = _GLOBAL_STYLE.search(body)
        if found:
            defaults = _declarations(found.group(1))
            body = body[: found.start()] + body[found.end() :]
        writer = _Writer(prefix, {a or b for a, b in _REFERENCE.findall(body)}, defaults)
        body = _TAG.sub(writer.tag, body)
    except _Unknown:
        return None
    root = writer.root
    if root is None or "viewBox" not in root:
        return None
    _x, _y, view_width, view_height = (float(n) for n in root["viewBox"].split())
    body = re.sub(r">\s+<", "><", body)
    body = body.replace("<defs></defs>", "").replace("\0root\0", "", 1).strip()
    title_id = f"{prefix}-title"
    height = round(width * view_height / view_width)
    attributes = "".join(f' {prop}="{value}"' for prop, value in defaults)
    start_tag = (
        f'<svg viewBox="{root["viewBox"]}" width="{width}" height="{height}"'
        f' class="img-fluid border rounded chart" role="img" aria-labelledby="{title_id}"'
        f"{attributes}>"
    )
    return InlineSvg(start=start_tag, rest=body, title_id=title_id)
