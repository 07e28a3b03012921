"""Schemathesis drives the JSON API from its own OpenAPI schema: generated requests (valid and
invalid) must never produce a server error, and every response must match the schema.

The number of generated cases is bounded per operation so the suite stays fast; the requests
go through the real WSGI application with a real token, against real course and flag ids.
"""

import hashlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application
from tracker import services
from tracker.api.tokens import issue_token
from tracker.models import Course, Flag, SymptomReport, Visit

MAX_EXAMPLES = 25


# Loaded at collection: the schema view reads no data.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    # Raw WSGI calls fire Django's request signals, which close "old" connections; inside a
    # test that would close the test's own transaction. Django's test client does the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(clinician, course, patient, settings):
    """A clinician with a token, one of their courses with a report, and its flag. Writes are
    not rate-limited here, so that every generated case reaches the code behind the limit
    (test_rate_limits.py tests the limit)."""
    settings.WRITE_RATE_LIMITS = {scope: "1000000/hour" for scope in settings.WRITE_RATE_LIMITS}
    services.submit_report(course=course, by=patient.user, measurements={"temperature_c": 38.4})
    _token, key = issue_token(clinician)
    return {"token": key, "course": course, "flag": course.flags.get()}


def _point_at_real_objects(case, world):
    # Random UUIDs only ever reach the 404 branch; aim half of the ids at real objects.
    params = case.path_parameters or {}
    if "course_pk" in params or ("pk" in params and "/courses/" in case.path):
        key = "course_pk" if "course_pk" in params else "pk"
        params[key] = str(world["course"].pk)
    elif "id" in params and "/flags/" in case.path:
        params["id"] = str(world["flag"].pk)
    elif "slug" in params:
        params["slug"] = "anakinra"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI must not be flaky
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_has_no_server_errors_and_answers_match_the_schema(case, world):
    # A stable hash: the same half of the cases point at real objects on every run and machine
    # (Python's hash() of a string changes with each process).
    if hashlib.sha256(repr(case.body).encode()).digest()[0] % 2 == 0:
        _point_at_real_objects(case, world)
    case.call_and_validate(
        headers={"Authorization": f"Token {world['token']}"},
        # A schema-valid body may still name a therapy or patient that does not exist (or is
        # out of scope): refusing it with 400/404 is right, so "valid data accepted" can't hold.
        excluded_checks=[positive_data_acceptance],
    )


def test_fuzzing_covers_every_operation():
    operations = {
        f"{op.method.upper()} {op.path}" for op in (r.ok() for r in schema.get_all_operations())
    }
    assert "POST /api/v1/courses/{course_pk}/symptom-reports/" in operations
    assert "POST /api/v1/courses/{course_pk}/visits/" in operations
    assert "POST /api/v1/flags/{id}/acknowledge/" in operations


# --- Hostile inputs found by hand: each answers 400 (never 500) and saves nothing ----------------

NUL = "\x00"
HOSTILE_BODIES = {
    "nested lists": "[" * 100_000 + "]" * 100_000,
    "nested objects": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "NUL in text": {
        "note": NUL,
        "notes": f"a{NUL}b",
        "indication": NUL,
        "patient": NUL,
        "therapy": NUL,
        "answers": [{"term": NUL}],
    },
    "year-1 time": {"recorded_at": "0001-01-01T00:00:00+05:00", "heart_rate": 80, "note": "x"},
}
# A year-1 time goes to the operations with a time field; the others would ignore the field.
TIME_FIELDS = {"POST /api/v1/courses/{course_pk}/visits/"}


def _post_operations():
    return sorted(
        f"{op.method.upper()} {op.path}"
        for op in (r.ok() for r in schema.get_all_operations())
        if op.method.upper() == "POST"
    )


def _filled(path, world):
    return (
        path.replace("{course_pk}", str(world["course"].pk))
        .replace("{id}", str(world["flag"].pk))
        .replace("{slug}", "anakinra")
    )


def _records():
    return (
        Course.objects.count(),
        SymptomReport.objects.count(),
        Visit.objects.count(),
        list(Flag.objects.values_list("status", flat=True)),
    )


HOSTILE_CASES = [
    (operation, body)
    for operation in _post_operations()
    for body in HOSTILE_BODIES
    if body != "year-1 time" or operation in TIME_FIELDS
]


@pytest.mark.parametrize(
    ("operation", "body"), HOSTILE_CASES, ids=[f"{o}-{b}" for o, b in HOSTILE_CASES]
)
@pytest.mark.django_db
def test_hostile_bodies_on_every_post_operation_answer_400(world, operation, body):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {world['token']}")
    path = _filled(operation.split(" ", 1)[1], world)
    before = _records()
    content = HOSTILE_BODIES[body]
    if isinstance(content, str):
        response = client.post(path, content, content_type="application/json")
    else:
        response = client.post(path, content, format="json")
    assert response.status_code == 400, (operation, body, response.content[:300])
    assert response["Content-Type"] == "application/json"
    assert _records() == before


HOSTILE_ADDRESSES = [
    "/api/v1/therapies/%00/",
    "/api/v1/courses/%00/",
    "/api/v1/courses/{course}/?x=%00",
    "/api/v1/flags/?status=%00",
    "/api/v1/flags/?level=urgent%00",
    "/api/v1/flags/{flag}/%00/",
]


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
@pytest.mark.django_db
def test_nul_in_any_api_address_answers_400(world, address):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {world['token']}")
    url = address.format(course=world["course"].pk, flag=world["flag"].pk)
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
