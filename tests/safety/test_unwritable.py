"""A read-only or full disk must not take reads down: pages and the API keep reading, and
every write is answered 503 with a message, nothing half-saved.

What is simulated: the database file opened read-only by SQLite itself (`mode=ro`), as a
read-only mount makes it (file permissions would not do: the tests may run as root, whom
they do not stop). The copy is not in WAL mode, as a file restored from a backup is not: the
old connection set-up switched it to WAL on every connection and failed there, before any read.
A full disk ("database or disk is full") is the same error class and takes the same path.
"""

import contextlib
import sqlite3

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.tracker.clinician.test_reports import report_data
from tracker import services
from tracker.models import SymptomReport

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def read_only_copy(tmp_path):
    """Serve the rest of the test from a read-only database as it is now.

    SQLite: a copy of the file opened read-only by SQLite itself. PostgreSQL: every new
    session starts its transactions read only (`default_transaction_read_only`), as a server
    in recovery or with a full disk refuses writes (SQLSTATE 25006).
    """
    if connection.vendor == "postgresql":
        options = connection.settings_dict.setdefault("OPTIONS", {})
        saved = dict(options)
        connection.close()
        options["options"] = "-c default_transaction_read_only=on"
        try:
            yield None
        finally:
            connection.close()
            options.clear()
            options.update(saved)
        return
    copy = tmp_path / "read-only.sqlite3"
    source = sqlite3.connect(connection.settings_dict["NAME"])
    target = sqlite3.connect(copy)
    source.backup(target)
    target.execute("PRAGMA journal_mode=DELETE")
    source.close()
    target.close()
    name = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = f"file:{copy}?mode=ro"
    try:
        yield copy
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name


def reports_in(path):
    if path is None:  # PostgreSQL: the database itself, read only
        return SymptomReport.objects.count()
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT COUNT(*) FROM tracker_symptomreport").fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def signed_in(clinician, patient, course):
    services.submit_report(course=course, by=patient.user, measurements={"temperature_c": 37})
    web = Client()
    web.force_login(clinician)
    api = APIClient()
    api.force_authenticate(patient.user)
    return web, api


def test_pages_and_the_api_still_read(signed_in, course, tmp_path):
    web, api = signed_in
    with read_only_copy(tmp_path):
        page = web.get(reverse("tracker:course-detail", args=[course.pk]))
        listing = api.get(f"/api/v1/courses/{course.pk}/symptom-reports/")
    assert page.status_code == 200
    assert listing.status_code == 200 and len(listing.json()) == 1


def test_an_api_write_is_answered_503_and_nothing_is_saved(signed_in, course, tmp_path):
    _web, api = signed_in
    with read_only_copy(tmp_path) as copy:
        response = api.post(
            f"/api/v1/courses/{course.pk}/symptom-reports/",
            {"answers": [{"term": "vomiting", "frequency": 3, "severity": 3}]},
            format="json",
        )
        assert reports_in(copy) == 1
    assert response.status_code == 503
    assert "Nothing was saved" in response.json()["detail"]
    assert response["Retry-After"]


def test_a_page_write_is_answered_with_a_503_page(signed_in, course, tmp_path):
    web, _api = signed_in
    with read_only_copy(tmp_path) as copy:
        response = web.post(
            reverse("tracker:report-create", args=[course.pk]),
            report_data(nausea__frequency="3", nausea__severity="3"),
        )
        assert reports_in(copy) == 1
    assert response.status_code == 503
    assert "Changes cannot be saved right now" in response.content.decode()


def test_a_full_disk_is_answered_503_too(signed_in, course, monkeypatch):
    from django.db import OperationalError

    _web, api = signed_in

    def disk_full(**kwargs):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(services.records, "submit_report", disk_full)
    response = api.post(
        f"/api/v1/courses/{course.pk}/symptom-reports/", {"temperature_c": 37.5}, format="json"
    )
    assert response.status_code == 503
    assert SymptomReport.objects.filter(course=course).count() == 1


def test_other_database_errors_are_still_server_errors(signed_in, course, monkeypatch):
    from django.db import OperationalError

    _web, api = signed_in

    def broken(**kwargs):
        raise OperationalError("no such column: nonsense")

    monkeypatch.setattr(services.records, "submit_report", broken)
    with pytest.raises(OperationalError):
        api.post(
            f"/api/v1/courses/{course.pk}/symptom-reports/",
            {"temperature_c": 37.5},
            format="json",
        )


# --- Signing in while the database refuses writes ---------------------------------------------
# At 3 a.m. on a read-only disk a clinician must still sign in to read: the session is held in
# a signed cookie until the database takes writes again (tracker/sessions.py). What protects
# the account still needs its write: a wrong password or code that cannot be counted is 503.

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory
LOGIN = "/accounts/login/?next=/clinician/"


def test_a_clinician_signs_in_and_reads_while_the_database_refuses_writes(
    clinician, course, tmp_path
):
    from django.contrib.sessions.models import Session

    from tests.signin import password_step

    web = Client()
    with read_only_copy(tmp_path):
        response = web.post(LOGIN, password_step(clinician.username, PASSWORD))
        assert response.status_code == 302
        assert response["Location"] == "/clinician/"
        assert web.get(reverse("tracker:course-detail", args=[course.pk])).status_code == 200
    # Writable again: the next request moves the session into a row, with a new key.
    held = web.cookies["sessionid"].value
    assert web.get("/clinician/").status_code == 200
    assert Session.objects.count() == 1
    assert web.cookies["sessionid"].value == Session.objects.get().session_key != held
    web.post(reverse("logout"))
    assert Session.objects.count() == 0


def test_the_authenticators_code_is_accepted_while_the_database_refuses_writes(clinician, tmp_path):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.signin import code_step, current_code, password_step

    device = TOTPDevice.objects.create(user=clinician, name="default", confirmed=True)
    web = Client()
    with read_only_copy(tmp_path):
        assert web.post(LOGIN, password_step(clinician.username, PASSWORD)).status_code == 200
        assert web.get("/clinician/").status_code == 302  # the password alone: not signed in
        response = web.post(LOGIN, code_step(current_code(device)))
        assert response.status_code == 302
        assert response["Location"] == "/clinician/"
        assert web.get("/clinician/").status_code == 200


def test_a_wrong_password_or_code_that_cannot_be_counted_is_refused(clinician, tmp_path):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.signin import code_step, current_code, password_step

    web = Client()
    with read_only_copy(tmp_path):
        wrong = web.post(LOGIN, password_step(clinician.username, "not the password"))
        assert wrong.status_code == 503
        assert web.get("/clinician/").status_code == 302

    device = TOTPDevice.objects.create(user=clinician, name="default", confirmed=True)
    wrong_code = str((int(current_code(device)) + 1) % 10**6).zfill(6)
    web = Client()
    with read_only_copy(tmp_path):
        assert web.post(LOGIN, password_step(clinician.username, PASSWORD)).status_code == 200
        assert web.post(LOGIN, code_step(wrong_code)).status_code == 503
        assert web.get("/clinician/").status_code == 302


def test_a_session_cookie_not_signed_by_the_server_is_refused(clinician, tmp_path):
    from django.core import signing

    from tests.signin import password_step

    web = Client()
    with read_only_copy(tmp_path):
        web.post(LOGIN, password_step(clinician.username, PASSWORD))
        held = web.cookies["sessionid"].value
        assert held.startswith("ro.")
        data = signing.loads(held[3:], salt="tracker.sessions.read-only")
        forged = "ro." + signing.dumps(data, key="another key", salt="tracker.sessions.read-only")
        web.cookies["sessionid"] = forged
        assert web.get("/clinician/").status_code == 302
