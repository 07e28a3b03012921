# ruff: noqa: E501, W291 (the chart below is Matplotlib's output as it writes it)
"""A chart's SVG made fit for the course page (tracker/inline_svg.py): no style the site's
policy blocks (style-src 'self', config/settings.py), ids unique in the page, named by a title."""

import re

from tracker.inline_svg import inline

# As Matplotlib writes it (the same shapes as its output, shortened).
CHART = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="400pt" height="200pt" viewBox="0 0 400 200" xmlns="http://www.w3.org/2000/svg" version="1.1">
 <metadata><rdf:RDF><dc:title>Matplotlib</dc:title></rdf:RDF></metadata>
 <defs>
  <style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>
 </defs>
 <g id="figure_1">
  <g id="patch_1">
   <path d="M 0 200.123456 
L 400 200.123456 
z
" style="fill: #ffffff"/>
  </g>
  <g id="grade-point">
   <g clip-path="url(#p0123456789)">
    <defs>
     <path id="m9876543210" d="M 0 -3 L 3 0" style="stroke: #555555; stroke-width: 0.6"/>
    </defs>
    <use xlink:href="#m9876543210" x="12.345678" y="20.5" style="fill: #9ecae1; stroke: #555555; stroke-width: 0.6; stroke-linejoin: miter"/>
   </g>
  </g>
  <g id="grade-point">
   <g id="text_1">
    <text style="font-size: 9px; font-family: 'DejaVu Sans'; text-anchor: middle" x="10" y="20" transform="rotate(-0 10 20)">2 &lt; 3</text>
   </g>
  </g>
 </g>
 <defs>
  <clipPath id="p0123456789">
   <rect x="0" y="0" width="400" height="200"/>
  </clipPath>
 </defs>
</svg>
"""


def test_styles_become_presentation_attributes():
    page = inline(CHART, prefix="timeline-chart", width=800)
    text = page.start + page.rest
    assert "style" not in text
    assert 'fill="#9ecae1" stroke="#555555" stroke-width="0.6" stroke-linejoin="miter"' in text
    assert 'font-size="9px" font-family="\'DejaVu Sans\'" text-anchor="middle"' in text
    # The <style> element's one rule (*{…}) on the root, and on the marks <use> draws, which
    # it reached by matching them and inheritance from the root would not.
    assert 'stroke-linejoin="round" stroke-linecap="butt">' in page.start
    assert re.search(
        r'<path id="timeline-chart-m9876543210" [^>]*stroke-linejoin="round" stroke-linecap="butt"',
        text,
    )


def test_ids_are_prefixed_where_referenced_and_marks_become_classes():
    page = inline(CHART, prefix="timeline-chart", width=800)
    text = page.rest
    assert 'clip-path="url(#timeline-chart-p0123456789)"' in text
    assert '<clipPath id="timeline-chart-p0123456789">' in text
    assert 'xlink:href="#timeline-chart-m9876543210"' in text
    # A mark's name repeats within a chart: a class, never an id twice in the page.
    assert text.count('class="grade-point"') == 2
    assert "figure_1" not in text and "text_1" not in text
    assert re.findall(r'id="([^"]+)"', text) == [
        "timeline-chart-m9876543210",
        "timeline-chart-p0123456789",
    ]


def test_the_root_is_named_by_the_pages_title_and_drawn_at_the_given_width():
    page = inline(CHART, prefix="vitals-chart", width=800)
    assert page.title_id == "vitals-chart-title"
    assert page.start == (
        '<svg viewBox="0 0 400 200" width="800" height="400" class="img-fluid border rounded'
        ' chart" role="img" aria-labelledby="vitals-chart-title" stroke-linejoin="round"'
        ' stroke-linecap="butt">'
    )
    assert "<?xml" not in page.rest and "DOCTYPE" not in page.rest
    assert "metadata" not in page.rest
    assert page.rest.endswith("</svg>")


def test_coordinates_are_rounded_and_text_is_left_as_written():
    text = inline(CHART, prefix="timeline-chart", width=800).rest
    assert 'd="M 0 200.12 L 400 200.12 z"' in text
    assert 'x="12.35"' in text
    assert "transform" not in text  # rotate(-0 …) turns nothing
    assert ">2 &lt; 3</text>" in text


def test_a_style_without_a_presentation_attribute_gives_none():
    # `white-space` has no presentation attribute: the page would need a style for it.
    assert inline(CHART.replace("fill: #ffffff", "white-space: pre"), prefix="c", width=800) is None


def test_another_style_rule_gives_none():
    other = CHART.replace("*{stroke-linejoin", "path{stroke-linejoin")
    assert inline(other, prefix="c", width=800) is None
