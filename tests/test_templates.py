"""Guards for rules every template keeps: the app works offline, and a strict CSP is coming."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted(
    path
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]
    for path in folder.rglob("*.html")
)

EXTERNAL_ASSET = re.compile(
    r"""<(script|link|img|iframe|source)\b[^>]*\b(src|href)=["']?(https?:)?//""", re.I
)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"""<[^>]*\sstyle\s*=""", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)


def test_there_are_templates_to_check():
    assert ROOT / "templates" / "base.html" in TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_loads_no_asset_from_another_site(template):
    assert not EXTERNAL_ASSET.search(template.read_text()), "serve it from static/ (no CDN)"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_inline_script_or_style(template):
    text = template.read_text()
    assert not INLINE_SCRIPT.search(text), "put scripts in static/ and load them with src="
    assert not STYLE_ATTRIBUTE.search(text), "use a class from static/css/app.css"
    assert not STYLE_ELEMENT.search(text), "use static/css/app.css"
