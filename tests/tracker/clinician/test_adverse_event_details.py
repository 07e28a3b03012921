"""Adverse events as a research coordinator reads them: seriousness (ICH E2A criteria), outcome,
onset and end or ongoing; attribution and action chosen by the clinician, never defaulted."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tracker.forms.clinician import AdverseEventForm
from tracker.models import AdverseEvent

from .conftest import term
from .test_visits import post_visit

pytestmark = pytest.mark.django_db

ROW = {"ae-0-term": "hypotension", "ae-0-grade": "3"}


def row_errors(response):
    return response.context["ae_formset"].forms[0].errors


def test_the_form_offers_no_attribution_or_action_by_default():
    form = AdverseEventForm(terms={"fever": term("fever")}, prefix="ae-0")
    for name in ("attribution", "action"):
        assert form[name].value() in (None, "")
        assert form.fields[name].choices[0][0] == ""


@pytest.mark.parametrize(
    ("left_out", "message"),
    [("attribution", "Choose the attribution."), ("action", "Choose the action taken.")],
)
def test_attribution_and_action_must_be_chosen(client, clinician, il2_course, left_out, message):
    client.force_login(clinician)
    response = post_visit(client, il2_course, systolic_bp="85", **ROW, **{f"ae-0-{left_out}": ""})
    assert row_errors(response)[left_out] == [message]
    assert not AdverseEvent.objects.exists()


def test_seriousness_outcome_and_dates_are_saved(client, clinician, il2_course):
    client.force_login(clinician)
    onset = il2_course.start_date
    response = post_visit(
        client,
        il2_course,
        systolic_bp="85",
        **ROW,
        **{
            "ae-0-attribution": "probable",
            "ae-0-action": "dose_held",
            "ae-0-seriousness": ["hospitalization", "life_threatening"],
            "ae-0-outcome": "recovered_with_sequelae",
            "ae-0-onset_date": onset.isoformat(),
            "ae-0-end_date": (onset + datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 302
    event = AdverseEvent.objects.get()
    assert sorted(event.seriousness) == ["hospitalization", "life_threatening"]
    assert event.is_serious
    assert (event.outcome, event.attribution, event.action) == (
        "recovered_with_sequelae",
        "probable",
        "dose_held",
    )
    assert event.end_date == onset + datetime.timedelta(days=1)
    assert event.ongoing is False


def test_no_criterion_means_not_serious(client, clinician, il2_course):
    client.force_login(clinician)
    post_visit(client, il2_course, systolic_bp="85", **ROW, **{"ae-0-ongoing": "on"})
    event = AdverseEvent.objects.get()
    assert event.seriousness == []
    assert not event.is_serious
    assert event.ongoing is True


def test_an_unknown_criterion_is_refused(client, clinician, il2_course):
    client.force_login(clinician)
    response = post_visit(client, il2_course, **ROW, **{"ae-0-seriousness": ["bad luck"]})
    assert "seriousness" in row_errors(response)


def test_ongoing_with_an_end_date_is_refused(client, clinician, il2_course):
    client.force_login(clinician)
    response = post_visit(
        client,
        il2_course,
        **ROW,
        **{"ae-0-ongoing": "on", "ae-0-end_date": il2_course.start_date.isoformat()},
    )
    assert row_errors(response)["end_date"] == [
        "An ongoing adverse event has no end date: choose one or the other."
    ]


@pytest.mark.parametrize(("days_after_onset", "accepted"), [(-1, False), (0, True)])
def test_the_end_is_not_before_the_onset(client, clinician, il2_course, days_after_onset, accepted):
    client.force_login(clinician)
    onset = il2_course.start_date + datetime.timedelta(days=1)
    response = post_visit(
        client,
        il2_course,
        systolic_bp="85",
        **ROW,
        **{
            "ae-0-onset_date": onset.isoformat(),
            "ae-0-end_date": (onset + datetime.timedelta(days=days_after_onset)).isoformat(),
        },
    )
    assert (response.status_code == 302) is accepted
    if not accepted:
        assert row_errors(response)["end_date"] == ["The end date is before the onset."]


def test_a_correction_changes_seriousness_and_outcome_with_its_reason(
    client, clinician, il2_course
):
    client.force_login(clinician)
    post_visit(client, il2_course, systolic_bp="85", **ROW, **{"ae-0-ongoing": "on"})
    event = AdverseEvent.objects.get()
    response = client.post(
        reverse("tracker:record-correct", args=["adverse-event", event.pk]),
        {
            "grade": "3",
            "attribution": "possible",
            "action": "none",
            "seriousness": ["hospitalization"],
            "outcome": "recovered",
            "onset_date": "",
            "end_date": il2_course.start_date.isoformat(),
            "reason": "Admitted overnight, discharged well",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.seriousness, event.outcome, event.ongoing) == (
        ["hospitalization"],
        "recovered",
        False,
    )
    assert event.history.first().history_change_reason == "Admitted overnight, discharged well"


def test_the_course_csv_carries_seriousness_outcome_and_dates(client, clinician, il2_course):
    client.force_login(clinician)
    onset = il2_course.start_date
    post_visit(
        client,
        il2_course,
        systolic_bp="85",
        **ROW,
        **{
            "ae-0-seriousness": ["hospitalization", "other_important"],
            "ae-0-outcome": "recovering",
            "ae-0-onset_date": onset.isoformat(),
            "ae-0-ongoing": "on",
        },
    )
    response = client.get(reverse("tracker:export-course-csv", args=[il2_course.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["kind"] == "adverse_event"]
    (row,) = rows
    assert row["seriousness"] == "hospitalization|other_important"
    assert (row["outcome"], row["onset_date"], row["end_date"], row["ongoing"]) == (
        "recovering",
        onset.isoformat(),
        "",
        "true",
    )


# --- API -----------------------------------------------------------------------------------------


def api_post(user, course, event):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(
        f"/api/v1/courses/{course.pk}/visits/",
        {"systolic_bp": 85, "adverse_events": [event]},
        format="json",
    )


@pytest.mark.parametrize("left_out", ["attribution", "action"])
def test_the_api_requires_attribution_and_action(clinician, il2_course, left_out):
    event = {"ctcae_term": "Hypotension", "grade": 3, "attribution": "possible", "action": "none"}
    del event[left_out]
    response = api_post(clinician, il2_course, event)
    assert response.status_code == 400
    assert left_out in response.json()["adverse_events"]["0"]
    assert not AdverseEvent.objects.exists()


def test_the_api_records_seriousness_outcome_and_dates(clinician, il2_course):
    onset = il2_course.start_date
    response = api_post(
        clinician,
        il2_course,
        {
            "ctcae_term": "Hypotension",
            "grade": 3,
            "attribution": "definite",
            "action": "dose_held",
            "seriousness": ["hospitalization"],
            "outcome": "not_recovered",
            "onset_date": onset.isoformat(),
            "ongoing": True,
        },
    )
    assert response.status_code == 201, response.json()
    (body,) = response.json()["adverse_events"]
    assert (body["seriousness"], body["outcome"], body["onset_date"], body["ongoing"]) == (
        ["hospitalization"],
        "not_recovered",
        onset.isoformat(),
        True,
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"seriousness": ["bad luck"]}, "seriousness"),
        ({"seriousness": "death"}, "seriousness"),
        ({"outcome": "cured"}, "outcome"),
        ({"ongoing": True, "end_date": "2026-01-01"}, "end_date"),
    ],
)
def test_the_api_refuses_bad_details_at_the_field(clinician, il2_course, fields, field):
    event = {
        "ctcae_term": "Hypotension",
        "grade": 3,
        "attribution": "possible",
        "action": "none",
        **fields,
    }
    response = api_post(clinician, il2_course, event)
    assert response.status_code == 400
    assert field in response.json()["adverse_events"]["0"]
