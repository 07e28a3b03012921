"""The cast every test can ask for: two patients, two clinicians on different care teams, and a
course for each patient, on the real therapy catalog (loaded once per test database)."""

import datetime
import os
import zoneinfo

import pytest
from django.core.management import call_command
from hypothesis import settings as hypothesis_settings

from tests import factories

# Property tests judge behaviour, never speed: on a loaded two-core CI machine one example can
# take longer than Hypothesis's 200 ms default deadline, which would fail a correct rule.
hypothesis_settings.register_profile("tracker", deadline=None)
hypothesis_settings.load_profile("tracker")

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# ORM calls from the test body ("You cannot call this from an async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_catalog", verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_local_cache(settings):
    """Each test starts with an empty in-process cache (and no chart kept by the process): no
    chart or write count carried over from another test."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    from django.core.cache import cache

    from tracker import charts, course_page, frame

    cache.clear()
    charts.kept.clear()
    course_page.kept.clear()
    frame.kept.clear()
    yield
    cache.clear()
    charts.kept.clear()
    course_page.kept.clear()
    frame.kept.clear()


@pytest.fixture(autouse=True)
def photos_dir(settings, tmp_path):
    """Each test keeps the patients' photos in its own private directory, never in var/."""
    location = tmp_path / "photos"
    settings.STORAGES = {
        **settings.STORAGES,
        "photos": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(location),
                "base_url": None,
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            },
        },
    }
    return location


@pytest.fixture
def clinician(db):
    return factories.ClinicianFactory(username="alice")


@pytest.fixture
def other_clinician(db):
    return factories.ClinicianFactory(username="charlie")


@pytest.fixture
def care_team(clinician):
    return factories.CareTeamFactory(name="Oncology day unit", members=[clinician])


@pytest.fixture
def other_care_team(other_clinician):
    return factories.CareTeamFactory(name="Rheumatology clinic", members=[other_clinician])


@pytest.fixture
def patient(care_team):
    """The patient record (its login is `patient.user`)."""
    return factories.PatientFactory(care_team=care_team, user__username="bob")


@pytest.fixture
def other_patient(other_care_team):
    return factories.PatientFactory(care_team=other_care_team, user__username="dana")


@pytest.fixture
def course(patient):
    return factories.CourseFactory(patient=patient)


@pytest.fixture
def other_course(other_patient):
    return factories.CourseFactory(patient=other_patient)


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(
        username="root", role="administrator", is_staff=True, is_superuser=True
    )


# --- Browser tests (pytest-playwright driving Debian's Chromium; mark them @pytest.mark.e2e) ---


@pytest.fixture(scope="session", autouse=True)
def _browser_expectations_wait_for_a_loaded_machine():
    """CI runs the suite on two cores with two test workers, each with its live server and its
    Chromium: a page can take longer than Playwright's default 5 s to answer there. An
    expectation waits up to 15 s (it still passes as soon as the page is right)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use Debian's /usr/bin/chromium: `playwright install` downloads browsers, which fails here.

    The background-networking flags keep Chromium from calling Google's hosts, which this
    closed network refuses (and which would slow every start).
    """
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _catalog_after_flush(request):
    """Load the therapy catalog again for live-server and other transactional tests.

    Transactional tests truncate every table when they finish (the session-wide catalog
    included), so the next one would find no therapies. Autouse, so the catalog is there
    before any factory (CourseFactory needs it) runs.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if not (
        transactional
        or "live_server" in request.fixturenames
        or "transactional_db" in request.fixturenames
    ):
        return
    request.getfixturevalue("transactional_db")
    call_command("load_catalog", verbosity=0)


@pytest.fixture(autouse=True)
def _no_content_security_policy_violations(request):
    """Every browser test also proves the page runs under the strict CSP: a blocked script,
    style or image (or any uncaught page error) fails the test that caused it."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield
    assert not problems, "\n".join(problems)


def latest_weekday_morning(now: datetime.datetime, tz_name: str) -> datetime.datetime:
    """10:00 clinic time on the latest weekday at or before `now`'s day: inside the care teams'
    default opening hours (Monday-Friday 08:00-18:00)."""
    local = now.astimezone(zoneinfo.ZoneInfo(tz_name))
    day = local.date()
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=local.tzinfo)


@pytest.fixture
def care_team_open(time_machine, settings):
    """The clock at 10:00 on a weekday (running on from there), when care teams are open."""
    destination = latest_weekday_morning(datetime.datetime.now(datetime.UTC), settings.TIME_ZONE)
    time_machine.move_to(destination, tick=True)
    return destination
