"""Writes are limited per user and kind, through the API and the pages together.

One patient posting in a loop made 1,400 reports and 2,800 urgent flags in a minute; the
default allows 30 symptom reports an hour per user (settings.WRITE_RATE_LIMITS), then answers
429 with Retry-After and saves nothing. Reading is never limited.
"""

import datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from tracker.models import Flag, ReportDraft, SymptomReport

from ..tracker.patient.support import report

pytestmark = pytest.mark.django_db

START = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)
REPORT = {"answers": [{"term": "vomiting", "frequency": 3, "severity": 3}]}


def reports_url(course):
    return f"/api/v1/courses/{course.pk}/symptom-reports/"


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_31st_report_in_an_hour_is_refused_with_retry_after(patient, course):
    api = api_for(patient.user)
    with time_machine.travel(START, tick=False) as clock:
        for minute in range(30):
            clock.move_to(START + datetime.timedelta(minutes=minute))
            assert api.post(reports_url(course), REPORT, format="json").status_code == 201
        flags = Flag.objects.count()
        clock.move_to(START + datetime.timedelta(minutes=30))
        response = api.post(reports_url(course), REPORT, format="json")
    assert response.status_code == 429
    # The first of the 30 leaves the hour at 10:00; it is 09:30.
    assert int(response["Retry-After"]) == 30 * 60
    assert "detail" in response.json()
    assert SymptomReport.objects.filter(course=course).count() == 30
    assert Flag.objects.count() == flags


def test_reports_are_accepted_again_once_the_hour_has_passed(patient, course):
    api = api_for(patient.user)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(30):
            assert api.post(reports_url(course), REPORT, format="json").status_code == 201
        clock.move_to(START + datetime.timedelta(minutes=59, seconds=59))
        assert api.post(reports_url(course), REPORT, format="json").status_code == 429
        clock.move_to(START + datetime.timedelta(hours=1, seconds=1))
        assert api.post(reports_url(course), REPORT, format="json").status_code == 201
    assert SymptomReport.objects.filter(course=course).count() == 31


def test_the_limit_is_per_user(patient, course, other_patient, other_course):
    with time_machine.travel(START, tick=False):
        for _ in range(30):
            api_for(patient.user).post(reports_url(course), REPORT, format="json")
        assert (
            api_for(patient.user).post(reports_url(course), REPORT, format="json").status_code
            == 429
        )
        answer = api_for(other_patient.user).post(reports_url(other_course), REPORT, format="json")
    assert answer.status_code == 201


def test_reading_is_not_limited(patient, course, settings):
    settings.WRITE_RATE_LIMITS = {**settings.WRITE_RATE_LIMITS, "report": "1/hour"}
    api = api_for(patient.user)
    assert api.post(reports_url(course), REPORT, format="json").status_code == 201
    assert api.post(reports_url(course), REPORT, format="json").status_code == 429
    for _ in range(40):
        assert api.get(reports_url(course)).status_code == 200


def test_flag_actions_count_apart_from_reports(clinician, patient, course, settings):
    settings.WRITE_RATE_LIMITS = {
        **settings.WRITE_RATE_LIMITS,
        "report": "1/hour",
        "flag": "2/hour",
    }
    assert api_for(patient.user).post(reports_url(course), REPORT, format="json").status_code == 201
    flag = Flag.objects.filter(course=course).first()
    api = api_for(clinician)
    url = f"/api/v1/flags/{flag.pk}/acknowledge/"
    assert api.post(url, {"note": "seen"}, format="json").status_code == 200
    # the second acknowledgement is refused by the flag itself (already acknowledged)...
    assert api.post(url, {"note": "seen"}, format="json").status_code == 409
    # ...and the third by the limit, before the flag is looked at
    response = api.post(url, {"note": "seen"}, format="json")
    assert response.status_code == 429
    assert "Retry-After" in response


def test_the_portal_shares_the_limit_and_says_so(client, patient, course, settings):
    patient_client = client
    patient_client.force_login(patient.user)
    settings.WRITE_RATE_LIMITS = {**settings.WRITE_RATE_LIMITS, "report": "2/hour"}
    assert api_for(patient.user).post(reports_url(course), REPORT, format="json").status_code == 201
    response = report(patient_client, course, temperature_0="37.2")
    assert response.status_code == 302  # sent: the answer page
    report_count = SymptomReport.objects.filter(course=course).count()

    response = report(patient_client, course, temperature_0="37.4")  # the steps, then "Send"
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    text = response.content.decode()
    assert "Nothing was saved" in text
    assert course.care_team.phone_for_patients in text  # told whom to call meanwhile
    assert SymptomReport.objects.filter(course=course).count() == report_count
    # the draft is kept, with the temperature posted with "Send", to send once the hour has passed
    draft = ReportDraft.objects.get(user=patient.user, course=course)
    assert draft.data["measurements"]["temperature_0"] == ["37.4"]


def test_a_clinicians_page_write_past_the_limit_is_refused(
    client, clinician, patient, course, settings
):
    settings.WRITE_RATE_LIMITS = {**settings.WRITE_RATE_LIMITS, "flag": "1/hour"}
    for _ in range(2):
        api_for(patient.user).post(reports_url(course), REPORT, format="json")
    flags = list(Flag.objects.filter(course=course))[:2]
    assert len(flags) == 2
    client.force_login(clinician)
    first = client.post(reverse("tracker:flag-acknowledge", args=[flags[0].pk]), {"note": "ok"})
    assert first.status_code == 302
    second = client.post(reverse("tracker:flag-acknowledge", args=[flags[1].pk]), {"note": "ok"})
    assert second.status_code == 429
    assert "Retry-After" in second
    flags[1].refresh_from_db()
    assert flags[1].acknowledged_by is None


@pytest.mark.django_db(transaction=True)
def test_writes_sent_at_once_never_get_more_than_the_limit_through(patient, settings, monkeypatch):
    """Twenty writes at once, each from its own thread and database connection (as from several
    app server processes), on a slow server (reading the clock takes 20 ms, between reading the
    count and storing it): exactly the limit's five are counted, the rest refused. On SQLite the
    database takes one writer at a time; on PostgreSQL the user's row is locked while counting."""
    import threading
    import time
    from types import SimpleNamespace

    from django.db import connection

    from tracker.throttling import WriteRateThrottle

    settings.WRITE_RATE_LIMITS = {**settings.WRITE_RATE_LIMITS, "report": "5/hour"}

    def slow_clock(self):
        time.sleep(0.02)
        return time.time()

    monkeypatch.setattr(WriteRateThrottle, "timer", slow_clock)
    request = SimpleNamespace(method="POST", user=patient.user)
    start = threading.Barrier(20)
    answers = []

    def write():
        try:
            start.wait()
            answers.append(WriteRateThrottle("report").allow_request(request, None))
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 20
    assert answers.count(True) == 5
