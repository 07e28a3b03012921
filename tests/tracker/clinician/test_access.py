"""Who may open each clinician page: anonymous → login, patient or administrator → 403,
a clinician of another care team → 404, a clinician of the patient's team → 200."""

import pytest
from django.urls import reverse

from tracker import services

from .conftest import make_flag, term

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(clinician, course):
    visit = services.record_visit(
        course=course,
        by=clinician,
        measurements={"systolic_bp": 120, "temperature_c": 37},
        adverse_events=[services.AdverseEventEntry(term=term("nausea"), grade=1)],
    ).visit
    report = services.submit_report(
        course=course,
        by=clinician,
        answers=[services.AnswerInput(term=term("nausea"), frequency=1, severity=1)],
    ).report
    dose = services.record_dose(
        course=course,
        by=clinician,
        dose_number=1,
        scheduled_at=visit.recorded_at,
        status="given",
        administered_at=visit.recorded_at,
    )
    return {
        "course": course,
        "patient": course.patient,
        "visit": visit,
        "report": report,
        "event": visit.adverse_events.get(),
        "dose": dose,
        "flag": make_flag(course),
    }


# (url name, kwargs built from the records, method): object pages answer 404 out of scope.
OBJECT_PAGES = [
    ("tracker:patient-detail", lambda r: {"pk": r["patient"].pk}),
    ("tracker:course-create", lambda r: {"pk": r["patient"].pk}),
    ("tracker:course-detail", lambda r: {"pk": r["course"].pk}),
    ("tracker:course-edit", lambda r: {"pk": r["course"].pk}),
    ("tracker:course-chart-timeline", lambda r: {"pk": r["course"].pk}),
    ("tracker:course-chart-vitals", lambda r: {"pk": r["course"].pk}),
    ("tracker:visit-create", lambda r: {"pk": r["course"].pk}),
    ("tracker:report-create", lambda r: {"pk": r["course"].pk}),
    ("tracker:visit-detail", lambda r: {"pk": r["visit"].pk}),
    ("tracker:report-detail", lambda r: {"pk": r["report"].pk}),
    ("tracker:record-correct", lambda r: {"kind": "visit", "pk": r["visit"].pk}),
    ("tracker:record-correct", lambda r: {"kind": "report", "pk": r["report"].pk}),
    ("tracker:record-correct", lambda r: {"kind": "adverse-event", "pk": r["event"].pk}),
    ("tracker:record-correct", lambda r: {"kind": "dose", "pk": r["dose"].pk}),
    ("tracker:record-entered-in-error", lambda r: {"kind": "visit", "pk": r["visit"].pk}),
    ("tracker:record-entered-in-error", lambda r: {"kind": "report", "pk": r["report"].pk}),
    ("tracker:record-entered-in-error", lambda r: {"kind": "adverse-event", "pk": r["event"].pk}),
    ("tracker:record-entered-in-error", lambda r: {"kind": "dose", "pk": r["dose"].pk}),
    ("tracker:record-entered-in-error", lambda r: {"kind": "course", "pk": r["course"].pk}),
    ("tracker:record-history", lambda r: {"kind": "visit", "pk": r["visit"].pk}),
    ("tracker:record-history", lambda r: {"kind": "dose", "pk": r["dose"].pk}),
    ("tracker:record-history", lambda r: {"kind": "course", "pk": r["course"].pk}),
]
LIST_PAGES = [
    "tracker:triage",
    "tracker:triage-new-urgent",
    "tracker:not-reported",
    "tracker:patient-list",
    "tracker:therapy-regimen",
    "tracker:ctcae-definitions",
]
FLAG_ACTIONS = ["tracker:flag-acknowledge", "tracker:flag-resolve"]


def object_url(name, kwargs, records):
    return reverse(name, kwargs=kwargs(records))


def all_urls(records):
    return [
        *(object_url(name, kwargs, records) for name, kwargs in OBJECT_PAGES),
        *(reverse(name) for name in LIST_PAGES),
    ]


def test_anonymous_is_sent_to_the_login_page(client, records):
    for url in all_urls(records):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_a_patient_is_refused(client, records):
    client.force_login(records["patient"].user)
    for url in all_urls(records):
        assert client.get(url).status_code == 403, url
    for name in FLAG_ACTIONS:
        assert client.post(reverse(name, args=[records["flag"].pk])).status_code == 403


def test_an_administrator_is_refused(client, records, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("tracker:triage")).status_code == 403


@pytest.mark.parametrize(("name", "kwargs"), OBJECT_PAGES)
def test_a_clinician_of_another_team_gets_404(client, records, other_clinician, name, kwargs):
    client.force_login(other_clinician)
    assert client.get(object_url(name, kwargs, records)).status_code == 404


@pytest.mark.parametrize("name", FLAG_ACTIONS)
def test_a_clinician_of_another_team_cannot_act_on_the_flag(client, records, other_clinician, name):
    client.force_login(other_clinician)
    assert client.post(reverse(name, args=[records["flag"].pk])).status_code == 404


@pytest.mark.parametrize(("name", "kwargs"), OBJECT_PAGES)
def test_a_clinician_of_the_team_opens_the_page(client, records, clinician, name, kwargs):
    client.force_login(clinician)
    assert client.get(object_url(name, kwargs, records)).status_code == 200


@pytest.mark.parametrize("name", LIST_PAGES)
def test_a_clinician_opens_the_list_pages(client, records, clinician, name):
    client.force_login(clinician)
    assert client.get(reverse(name)).status_code == 200


def test_an_unknown_record_kind_is_404(client, records, clinician):
    client.force_login(clinician)
    # A course is corrected on its edit page, not as a record.
    url = reverse("tracker:record-correct", kwargs={"kind": "course", "pk": records["course"].pk})
    assert client.get(url).status_code == 404
    url = reverse("tracker:record-correct", kwargs={"kind": "doses", "pk": records["dose"].pk})
    assert client.get(url).status_code == 404


def test_a_kind_slug_does_not_reach_another_kinds_record(client, records, clinician):
    """The pk is looked for among the records of the named kind only."""
    client.force_login(clinician)
    url = reverse("tracker:record-correct", kwargs={"kind": "dose", "pk": records["visit"].pk})
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "name", ["tracker:record-correct", "tracker:record-entered-in-error"], ids=["correct", "error"]
)
def test_a_clinician_of_another_team_cannot_post_to_a_dose(client, records, other_clinician, name):
    client.force_login(other_clinician)
    url = reverse(name, kwargs={"kind": "dose", "pk": records["dose"].pk})
    assert client.post(url, {"reason": "x", "correction_reason": "x"}).status_code == 404
    records["dose"].refresh_from_db()
    assert not records["dose"].entered_in_error


def test_a_flag_action_is_post_only(client, records, clinician):
    client.force_login(clinician)
    url = reverse("tracker:flag-acknowledge", args=[records["flag"].pk])
    assert client.get(url).status_code == 405
