"""What the browser tests share: screenshots for a person to look at, and the axe check."""

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}


def screenshot(page: Page, name: str) -> None:
    """The whole page, in test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def assert_accessible(page: Page) -> None:
    """axe finds no serious or critical violation on the page.

    The pointer is moved off the page and Bootstrap's colour fades (0.15 s) are let finish, so
    that axe judges the colours a person sees once a hover has settled, not a frame half-way
    through a fade (the CSP forbids injecting a style that would switch them off)."""
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    results = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{page.url}: {bad}"
