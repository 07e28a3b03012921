"""Many writers at once, through a real server and real database connections.

Runs on the suite's database: SQLite (a file, WAL, immediate transactions) or PostgreSQL.
Every acknowledged write must be there, none may fail with a database error, and flags are
neither lost nor duplicated.
"""

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import factories
from tracker.api.tokens import issue_token
from tracker.models import Flag, FlagStatus, SymptomAnswer, SymptomReport

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 8
REPORTS_PER_WRITER = 5


def post(url, token, body):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_concurrent_reports_to_one_course_are_all_saved_with_their_flags(live_server, settings):
    # 40 reports from one patient at once: more than the hourly limit (test_rate_limits.py).
    settings.WRITE_RATE_LIMITS = {**settings.WRITE_RATE_LIMITS, "report": "1000/hour"}
    course = factories.CourseFactory(patient=factories.PatientFactory())
    token = issue_token(course.patient.user)[1]
    url = f"{live_server.url}/api/v1/courses/{course.pk}/symptom-reports/"
    # Fever 38.2 °C is CTCAE grade 1 and not expected with anakinra: one review flag each,
    # plus an answer row each.
    body = {"temperature_c": 38.2, "answers": [{"term": "nausea", "frequency": 1, "severity": 1}]}

    def writer(_):
        return [post(url, token, body) for _ in range(REPORTS_PER_WRITER)]

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        results = [r for batch in pool.map(writer, range(WRITERS)) for r in batch]

    statuses = [status for status, _ in results]
    assert statuses == [201] * (WRITERS * REPORTS_PER_WRITER), results
    acknowledged = {body["id"] for _, body in results}
    stored = set(SymptomReport.objects.filter(course=course).values_list("id", flat=True))
    assert {str(pk) for pk in stored} == acknowledged
    assert SymptomAnswer.objects.filter(report__course=course).count() == len(acknowledged)
    flags = Flag.objects.filter(course=course)
    assert flags.count() == 2 * len(acknowledged)  # fever + nausea, each report
    assert flags.values("report", "term").distinct().count() == flags.count()


def test_two_clinicians_acknowledging_at_once_one_wins_the_other_is_told(live_server):
    first, second = factories.ClinicianFactory(), factories.ClinicianFactory()
    team = factories.CareTeamFactory(members=[first, second])
    course = factories.CourseFactory(patient=factories.PatientFactory(care_team=team))
    patient_token = issue_token(course.patient.user)[1]
    status, report = post(
        f"{live_server.url}/api/v1/courses/{course.pk}/symptom-reports/",
        patient_token,
        {"temperature_c": 38.2},
    )
    assert status == 201
    flag_id = report["flags"][0]["id"]
    tokens = [issue_token(u)[1] for u in (first, second)]
    barrier = threading.Barrier(2)

    def acknowledge(token):
        barrier.wait()
        return post(
            f"{live_server.url}/api/v1/flags/{flag_id}/acknowledge/", token, {"note": "mine"}
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(acknowledge, tokens))

    assert sorted(status for status, _ in outcomes) == [200, 409]
    winner = first if outcomes[0][0] == 200 else second
    flag = Flag.objects.get(pk=flag_id)
    assert flag.status == FlagStatus.ACKNOWLEDGED
    assert flag.acknowledged_by == winner
    assert flag.history.filter(status=FlagStatus.ACKNOWLEDGED).count() == 1
