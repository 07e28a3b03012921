"""What the browser tests share: screenshots for a person to look at, and the axe check."""

import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

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


def open_menu(page: Page) -> None:
    """On a phone the header is one line: open its menu (the language, log out) and wait until
    it has opened, as a person waits for it. Bootstrap animates the menu's height (0.35 s); a
    click on one of its buttons while it is still opening was seen to be lost under load, so
    the menu counts as open once the animation has ended (`#main-menu.show`)."""
    page.wait_for_load_state("load")  # the menu opens once Bootstrap's script has run
    if page.locator("#menu-button").is_visible():
        page.locator("#menu-button").click()
        expect(page.locator("#main-menu")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
        expect(page.locator("#language-select")).to_be_visible()
