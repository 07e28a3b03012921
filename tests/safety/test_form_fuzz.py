"""Random input in every field of the main forms: never a server error, and nothing saved
unless the form accepted the whole submission (a redirect).

Field names are read from the rendered page, so the fuzzing follows the forms as they change.
Values mix plausible numbers, French decimals, empty strings, huge and negative numbers,
markup, formula-like text and control characters.
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.models import Course, SymptomReport, Visit

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI must not be flaky
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Found by hand against a running copy: year-1 and year-9999 times (year 1 in one time zone is
# year 0 in another), NUL inside text, dates out of any plausible range, invisible characters.
HOSTILE = [
    "0001-01-01T00:00",
    "0001-01-01T00:00:00",
    "0001-01-01",
    "9999-12-31T23:59",
    "9999-12-31",
    "1991-12-31",
    "a\x00b",
    "\u200b=1+2",
]

VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "2",
            "4",
            "37.5",
            "37,5",
            "-1",
            "1e309",
            "99999999999",
            "C",
            "F",
            "kg",
            "lb",
            "on",
            "true",
            "nausea",
            "hypotension",
            "given",
            "held",
            "=cmd|' /C calc'!A0",
            "<script>alert(1)</script>",
            "\x00",
            "NaN",
            *HOSTILE,
        ]
    ),
    st.text(max_size=30),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


def field_names(html):
    names = set(re.findall(r'name="([^"]+)"', html)) - {"csrfmiddlewaretoken"}
    return sorted(n for n in names if n not in {"language", "next"})


def fuzz_data(names):
    return st.fixed_dictionaries({}, optional={name: VALUES for name in names})


def check(client, url, count, data):
    before = count()
    response = client.post(url, data)
    assert response.status_code < 500, data
    after = count()
    if response.status_code == 302:
        assert after - before <= 1
    else:
        assert after == before, (response.status_code, data)


@pytest.fixture(autouse=True)
def _no_write_limits(settings):
    """Fuzzing sends hundreds of writes; the limits are tested in test_rate_limits.py."""
    settings.WRITE_RATE_LIMITS = {scope: "1000000/hour" for scope in settings.WRITE_RATE_LIMITS}


@pytest.fixture
def clinician_client(client, clinician):
    client.force_login(clinician)
    return client


def _fuzz(client, url, names, count):
    @FUZZ
    @given(data=fuzz_data(names))
    def run(data):
        check(client, url, count, data)

    run()


def _fuzz_page(client, url, count):
    names = field_names(client.get(url).text)
    assert names, f"no fields found on {url}"
    _fuzz(client, url, names, count)


def test_visit_form(clinician_client, course):
    _fuzz_page(clinician_client, f"/clinician/courses/{course.pk}/visits/new/", Visit.objects.count)


def test_report_by_phone_form(clinician_client, course):
    _fuzz_page(
        clinician_client,
        f"/clinician/courses/{course.pk}/reports/new/",
        SymptomReport.objects.count,
    )


def test_course_form(clinician_client, patient):
    _fuzz_page(
        clinician_client, f"/clinician/patients/{patient.pk}/courses/new/", Course.objects.count
    )


def test_patient_report_steps(client, patient, course):
    client.force_login(patient.user)
    fuzzed = []
    for step in ("report/", "report/questions/", "report/measurements/", "report/review/"):
        url = f"/my/courses/{course.pk}/{step}"
        page = client.get(url, follow=True)
        names = field_names(page.text)
        if names:
            _fuzz(client, url, names, SymptomReport.objects.count)
            fuzzed.append(step)
    # The steps where the patient types answers were found and fuzzed, not skipped.
    assert {"report/questions/", "report/measurements/"} <= set(fuzzed)


# Each hostile value in turn in each date, time and text field of an otherwise valid submission:
# a form refused for another reason never reaches the database, where year 1 overflowed.


def _valid_visit(now, number=1):
    return {
        "recorded_at": now,
        "heart_rate": "80",
        "notes": "",
        "ae-TOTAL_FORMS": "0",
        "ae-INITIAL_FORMS": "0",
        "dose-TOTAL_FORMS": "1",
        "dose-INITIAL_FORMS": "0",
        "dose-0-dose_number": str(number),
        "dose-0-status": "given",
        "dose-0-scheduled_at": now,
        "dose-0-administered_at": now,
        "dose-0-dose_unit": "IU/kg",
        "dose-0-reason": "",
    }


def _each_field(client, url, count, valid, fields):
    """`valid(n)`: the n-th valid submission (a fresh dose number each time)."""
    n = 0
    for name in fields:
        for value in HOSTILE:
            n += 1
            check(client, url, count, {**valid(n), name: value})
    before = count()
    assert client.post(url, valid(n + 1)).status_code == 302  # the base itself is valid
    assert count() == before + 1


def _now():
    from tracker.forms.clinician import now_to_the_minute

    return now_to_the_minute().strftime("%Y-%m-%dT%H:%M")


def test_hostile_values_in_the_fields_of_a_valid_visit(clinician_client, course):
    fields = ["recorded_at", "notes", "heart_rate"]
    fields += [f"dose-0-{name}" for name in ("scheduled_at", "administered_at", "dose_unit")]
    url = f"/clinician/courses/{course.pk}/visits/new/"
    now = _now()
    _each_field(clinician_client, url, Visit.objects.count, lambda n: _valid_visit(now, n), fields)


def test_hostile_values_in_the_fields_of_a_valid_report_by_phone(clinician_client, course):
    valid = {"reported_at": _now(), "recall_period": "7d", "heart_rate": "80", "note": ""}
    url = f"/clinician/courses/{course.pk}/reports/new/"
    _each_field(clinician_client, url, SymptomReport.objects.count, lambda n: valid, list(valid))


def test_hostile_values_in_the_fields_of_a_valid_course(clinician_client, patient):
    from therapies.models import Therapy

    valid = {
        "therapy": Therapy.objects.get(slug="anakinra").pk,
        "status": "planned",
        "start_date": "2026-01-01",
        "end_date": "",
        "indication": "",
        "regimen": "",
        "care_team": patient.care_team.pk,
        "creatinine_uln_mg_dl": "1.2",
        "platelets_lln_10e9_per_l": "150",
    }
    url = f"/clinician/patients/{patient.pk}/courses/new/"
    fields = ["start_date", "end_date", "indication", "regimen"]
    _each_field(clinician_client, url, Course.objects.count, lambda n: valid, fields)
