"""The site's header is kept per kind of page (tracker/frame.py): what users see is the same as
a plain rendering of it, and the navigation's urgent badge is counted on every request."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import get_template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.tracker.clinician.conftest import make_flag
from tracker import frame
from tracker.models import FlagLevel, FlagStatus


def _plain_header(context):
    """The header as base.html drew it before it was kept: its template in the page's context."""
    return get_template(frame.HEADER).render(context.flatten())


def _same_token(html):
    """The page with its CSRF token (masked anew for each page) written as one value."""
    html = re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="T"', html
    )
    return re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": "T"', html)


def _get(client, url, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.text
    assert f'<html lang="{language}">' in html
    return html


def _pages_by_way(client, user, urls, monkeypatch):
    """Each page in English and French as a plain rendering draws it, then as the kept header
    draws it (twice: when it is kept, and from what is kept)."""
    client.force_login(user)
    drawn = {}
    for language in ("en", "fr"):
        for url in urls:
            with monkeypatch.context() as plain:
                plain.setattr(frame, "header", _plain_header)
                expected = _same_token(_get(client, url, language))
            kept = [_same_token(_get(client, url, language)) for _ in range(2)]
            drawn[language, url] = (expected, kept)
    return drawn


@pytest.fixture
def flagged_course(course):
    make_flag(course, FlagLevel.URGENT)
    make_flag(course, FlagLevel.URGENT, "hypotension")
    make_flag(course, FlagLevel.REVIEW, "nausea")
    return course


def test_clinician_pages_are_as_drawn_plainly(client, clinician, flagged_course, monkeypatch):
    urls = [
        reverse("tracker:patient-list"),
        reverse("tracker:patient-detail", args=[flagged_course.patient.pk]),
        reverse("tracker:export-cohort"),
        reverse("tracker:not-reported"),
        reverse("tracker:course-detail", args=[flagged_course.pk]),
        reverse("tracker:patient-list") + "?q=a&b=<x>",
    ]
    drawn = _pages_by_way(client, clinician, urls, monkeypatch)
    for (language, url), (expected, kept) in drawn.items():
        assert kept == [expected, expected], (language, url)
    # What differs between them is in the header: the open section, the way back after a
    # change of language (escaped), the badge in each language.
    en_list, _kept = drawn["en", reverse("tracker:patient-list")]
    assert 'class="nav-link active" href="/clinician/patients/" aria-current="page"' in en_list
    query, _kept = drawn["en", reverse("tracker:patient-list") + "?q=a&b=<x>"]
    assert 'name="next" value="/clinician/patients/?q=a&amp;b=%3Cx%3E"' in query
    assert '<span class="badge text-bg-danger ms-1">2 urgent</span>' in en_list
    fr_list, _kept = drawn["fr", reverse("tracker:patient-list")]
    assert "Se déconnecter" in fr_list or "Déconnexion" in fr_list


def test_the_triage_queue_header_is_as_drawn_plainly(
    client, clinician, flagged_course, monkeypatch
):
    triage = reverse("tracker:triage")
    drawn = _pages_by_way(client, clinician, [triage], monkeypatch)
    for (language, _url), (expected, kept) in drawn.items():
        header = re.search(r"<header>.*</header>", expected, re.S).group(0)
        assert header in kept[0] and header in kept[1], language
        assert f'href="{triage}" aria-current="page"' in header


def test_patient_pages_are_as_drawn_plainly(client, patient, course, monkeypatch):
    urls = [
        reverse("tracker:patient-home"),
        reverse("tracker:patient-reports"),
        reverse("tracker:patient-treatment"),
    ]
    drawn = _pages_by_way(client, patient.user, urls, monkeypatch)
    for (language, url), (expected, kept) in drawn.items():
        assert kept == [expected, expected], (language, url)
        assert "nav-urgent-count" not in expected
    reports, _kept = drawn["en", reverse("tracker:patient-reports")]
    assert 'class="nav-link active" href="/my/reports/" aria-current="page"' in reports


def test_administrator_pages_are_as_drawn_plainly(client, admin_user, monkeypatch):
    urls = [reverse("tracker:home"), reverse("tracker:export-cohort")]
    drawn = _pages_by_way(client, admin_user, urls, monkeypatch)
    for (language, url), (expected, kept) in drawn.items():
        assert kept == [expected, expected], (language, url)
    home, _kept = drawn["en", reverse("tracker:home")]
    assert 'href="/admin/"' in home


def test_signed_out_pages_are_as_drawn_plainly(client, monkeypatch):
    login = reverse("login")
    for language in ("en", "fr"):
        with monkeypatch.context() as plain:
            plain.setattr(frame, "header", _plain_header)
            expected = _same_token(_get(client, login, language))
        assert _same_token(_get(client, login, language)) == expected
        assert _same_token(_get(client, login, language)) == expected


def test_the_badge_counts_open_urgent_flags_on_every_request(client, clinician, course):
    """The header is kept, its badge is not: a flag raised, acknowledged or resolved shows at
    the next page."""
    client.force_login(clinician)
    patients = reverse("tracker:patient-list")
    assert '<span id="nav-urgent-count"></span>' in client.get(patients).text
    first = make_flag(course, FlagLevel.URGENT)
    assert '<span class="badge text-bg-danger ms-1">1 urgent</span>' in client.get(patients).text
    make_flag(course, FlagLevel.URGENT, "hypotension")
    make_flag(course, FlagLevel.REVIEW, "nausea")
    assert '<span class="badge text-bg-danger ms-1">2 urgent</span>' in client.get(patients).text
    first.status = FlagStatus.ACKNOWLEDGED
    first.save()
    assert '<span class="badge text-bg-danger ms-1">1 urgent</span>' in client.get(patients).text


def test_the_badge_counts_only_the_clinicians_teams(client, clinician, other_clinician, course):
    make_flag(course, FlagLevel.URGENT)
    client.force_login(other_clinician)
    assert '<span id="nav-urgent-count"></span>' in client.get(reverse("tracker:patient-list")).text
    client.force_login(clinician)
    html = client.get(reverse("tracker:patient-list")).text
    assert '<span class="badge text-bg-danger ms-1">1 urgent</span>' in html


def test_a_new_name_shows_at_the_next_page(client, clinician):
    client.force_login(clinician)
    patients = reverse("tracker:patient-list")
    assert "Ada Okafor" not in client.get(patients).text
    clinician.first_name, clinician.last_name = "Ada", "Okafor"
    clinician.save()
    assert "Ada Okafor" in client.get(patients).text


def test_the_kept_header_asks_the_database_what_the_plain_one_did(
    client, clinician, patient, course, monkeypatch
):
    """One query for the badge on a clinician's page, as before; none on a patient's."""
    make_flag(course, FlagLevel.URGENT)
    patients = reverse("tracker:patient-list")
    client.force_login(clinician)
    with monkeypatch.context() as plain:
        plain.setattr(frame, "header", _plain_header)
        with CaptureQueriesContext(connection) as plainly:
            client.get(patients)
    client.get(patients)
    with CaptureQueriesContext(connection) as kept:
        client.get(patients)
    assert len(kept) == len(plainly)
    assert sum("open_urgent" in query["sql"] for query in kept) == 1
    client.force_login(patient.user)
    client.get(reverse("tracker:patient-home"))
    with CaptureQueriesContext(connection) as patient_page:
        client.get(reverse("tracker:patient-home"))
    assert not any("open_urgent" in query["sql"] for query in patient_page)
