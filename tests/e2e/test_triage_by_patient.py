"""The triage queue by patient in Chromium at 1280 px, in English and French: overdue patients
stand out in words, expected flags are acknowledged together, and an urgent flag is resolved
only with its outcome, after a confirmation. axe finds no serious or critical violation."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e import support
from tests.e2e.support import DESKTOP, assert_accessible
from tests.tracker.clinician.conftest import make_flag
from tracker import demo
from tracker.models import Course, Flag, FlagLevel, FlagStatus

pytestmark = pytest.mark.e2e

# What the pages say, in each language (the French from locale/fr/LC_MESSAGES/django.po).
WORDS = {
    "en": {
        "overdue": "Overdue: past the response target",
        "together": r"Acknowledge all \d+ expected flags",
        "acknowledged": r"\d+ expected flags acknowledged\.",
        "resolve": "Resolve…",
        "confirm": "Confirm: resolve the flag",
        "need_outcome": "Choose what was done about this urgent flag.",
        "called": "Called the patient",
        "resolved": "Flag resolved.",
    },
    "fr": {
        "overdue": "En retard : délai de réponse dépassé",
        "together": r"Prendre en compte les \d+ alertes attendues",
        "acknowledged": r"\d+ alertes attendues prises en compte\.",
        "resolve": "Résoudre…",
        "confirm": "Confirmer : résoudre l’alerte",
        "need_outcome": "Choisissez ce qui a été fait pour cette alerte urgente.",
        "called": "Patient appelé",
        "resolved": "Alerte résolue.",
    },
}


@pytest.fixture
def demo_clinic(live_server):
    demo.build()


@pytest.fixture
def marc():
    """The demo's aldesleukin patient, with a phone, an urgent flag two hours old (past its
    30 min target) and two expected flags."""
    course = Course.objects.get(therapy__slug="aldesleukin-high-dose")
    course.patient.phone = "+33 6 12 34 56 78"
    course.patient.save()
    raised = timezone.now() - datetime.timedelta(hours=2)
    urgent = make_flag(course, FlagLevel.URGENT, "fever", created_at=raised)
    info = [
        make_flag(course, FlagLevel.INFO, slug, created_at=raised) for slug in ("chills", "nausea")
    ]
    return course, urgent, info


def log_in(page: Page, live_server, language: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/accounts/login/?next=/clinician/")
    page.get_by_label("Username").fill("dr.martin")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.locator("main").get_by_role("button").click()
    expect(page.locator("#triage-queue")).to_be_visible()
    if language == "fr":
        page.locator("#language-select").select_option("fr")
        page.locator("#language-select").locator("xpath=ancestor::form").get_by_role(
            "button"
        ).click()
        expect(page.locator("html")).to_have_attribute("lang", "fr")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_queue_by_patient_overdue_then_together_then_urgent_resolved_with_an_outcome(
    page: Page, live_server, demo_clinic, marc, language
):
    course, urgent, info = marc
    words = WORDS[language]
    log_in(page, live_server, language)

    # One row for the patient, their flags inside, marked overdue in words.
    row = page.locator(f"#patient-{course.patient_id}")
    expect(row).to_have_count(1)
    expect(row.locator(f"#flag-{urgent.pk}")).to_be_visible()
    expect(row.locator(".patient-overdue-badge")).to_have_text(f"⚠ {words['overdue']}")
    expect(row.locator("a.patient-phone")).to_have_attribute("href", "tel:+33612345678")
    # The most urgent and longest waiting patient comes first.
    expect(page.locator("#triage-queue > tbody > tr").first).to_have_id(
        f"patient-{course.patient_id}"
    )
    row.scroll_into_view_if_needed()
    support.screenshot(page, f"triage-by-patient-{language}")
    assert_accessible(page)

    # Expected flags acknowledged together, with one note.
    row.locator(f"#together-note-{course.patient_id}").fill("Known with aldesleukin")
    together = row.locator('button[name="patient"]')
    expect(together).to_have_text(re.compile(words["together"]))
    together.click()
    expect(page.get_by_text(re.compile(words["acknowledged"]))).to_be_visible()
    for flag in info:
        flag.refresh_from_db()
        assert flag.status == FlagStatus.ACKNOWLEDGED
        assert flag.acknowledged_note == "Known with aldesleukin"

    # Resolving asks for confirmation, and the outcome of an urgent flag.
    row = page.locator(f"#patient-{course.patient_id}")
    row.locator(f"#flag-{urgent.pk}").get_by_role(
        "link", name=re.compile(re.escape(words["resolve"]))
    ).click()
    confirm = page.get_by_role("button", name=words["confirm"])
    expect(confirm).to_be_visible()
    assert_accessible(page)
    confirm.click()
    expect(page.get_by_text(words["need_outcome"])).to_be_visible()
    support.screenshot(page, f"triage-resolve-needs-outcome-{language}")
    urgent.refresh_from_db()
    assert urgent.status == FlagStatus.OPEN
    page.get_by_label(words["called"]).check()
    page.locator("#id_note").fill("Paracetamol, temperature back to 37.8")
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.get_by_text(words["resolved"])).to_be_visible()
    expect(page.locator(f"#flag-{urgent.pk}")).to_have_count(0)
    urgent.refresh_from_db()
    assert (urgent.status, urgent.outcome) == (FlagStatus.RESOLVED, "called_patient")


def test_a_patient_with_many_flags_shows_the_most_pressing_and_links_to_the_rest(
    page: Page, live_server, demo_clinic, marc
):
    course, urgent, info = marc
    old = timezone.now() - datetime.timedelta(days=2)
    reviews = [
        make_flag(
            course, FlagLevel.REVIEW, "nausea", created_at=old + datetime.timedelta(minutes=i)
        )
        for i in range(12)
    ]
    waiting = Flag.objects.filter(course__patient=course.patient).unresolved()
    open_reviews = waiting.filter(level=FlagLevel.REVIEW, status=FlagStatus.OPEN).count()
    assert open_reviews >= 12
    log_in(page, live_server, "en")
    row = page.locator(f"#patient-{course.patient_id}")
    # The urgent flag first, then review flags; the rest counted and linked.
    expect(row.locator("tr.flag-row")).to_have_count(5)
    expect(row.locator("tr.flag-row").first).to_have_id(f"flag-{urgent.pk}")
    expect(row.locator(".patient-open-count-review")).to_have_text(f"{open_reviews} Review today")
    more = row.get_by_role("link", name=re.compile(rf"^and {waiting.count() - 5} more flags"))
    expect(more).to_be_visible()
    support.screenshot(page, "triage-bounded-row-en")
    assert_accessible(page)
    more.click()
    expect(page.locator(f"#flag-{reviews[-1].pk}")).to_be_visible()
    expect(page.locator(f"#patient-{course.patient_id} tr.flag-row")).to_have_count(waiting.count())
