"""The triage queue: unresolved flags of the clinician's patients, acted on in place."""

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from therapies.models import Therapy
from tracker import services
from tracker.models import FlagLevel, FlagStatus

from .conftest import htmx, make_flag

pytestmark = pytest.mark.django_db

TRIAGE = reverse("tracker:triage")


def flags_on_page(response):
    return list(response.context["flags"])


def test_urgent_first_then_review_then_info_oldest_open_first_within_a_level(
    client, clinician, course
):
    """Within a patient, the flag most in need of attention first: highest level, then the
    open ones before the acknowledged, the one waiting longest first."""
    now = timezone.now()
    info = make_flag(course, FlagLevel.INFO, "chills", created_at=now)
    seen_urgent = make_flag(
        course, status=FlagStatus.ACKNOWLEDGED, created_at=now - datetime.timedelta(hours=3)
    )
    old_urgent = make_flag(course, FlagLevel.URGENT, created_at=now - datetime.timedelta(hours=2))
    new_urgent = make_flag(course, FlagLevel.URGENT, "hypotension", created_at=now)
    review = make_flag(course, FlagLevel.REVIEW, "nausea", created_at=now)
    client.force_login(clinician)
    assert flags_on_page(client.get(TRIAGE)) == [old_urgent, new_urgent, seen_urgent, review, info]


def test_level_is_written_in_words(client, clinician, course):
    make_flag(course, FlagLevel.URGENT)
    client.force_login(clinician)
    assert "May need hospitalization" in client.get(TRIAGE).text


def test_row_explains_the_rule_with_value_threshold_and_source(client, clinician, course):
    make_flag(course)
    client.force_login(clinician)
    text = client.get(TRIAGE).text
    for shown in ("Fever 40.3 °C is CTCAE grade 3.", "40.3 °C", "&gt; 40.0 °C", "NCI CTCAE v5.0"):
        assert shown in text


def test_acknowledged_flags_stay_and_resolved_flags_leave(client, clinician, course):
    acknowledged = make_flag(course, status=FlagStatus.ACKNOWLEDGED, acknowledged_by=clinician)
    make_flag(course, status=FlagStatus.RESOLVED)
    client.force_login(clinician)
    response = client.get(TRIAGE)
    assert flags_on_page(response) == [acknowledged]
    assert f"Acknowledged by {clinician.get_full_name()}" in response.text


def test_other_teams_flags_are_not_shown(client, clinician, course, other_course):
    mine = make_flag(course)
    make_flag(other_course)
    client.force_login(clinician)
    assert flags_on_page(client.get(TRIAGE)) == [mine]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"level": "review"}, ["review"]),
        ({"status": "acknowledged"}, ["acknowledged"]),
        ({"therapy": "tocilizumab"}, ["tocilizumab"]),
        ({"patient": "second"}, ["tocilizumab"]),
    ],
)
def test_filters(client, clinician, course, care_team, query, expected):
    second = factories.PatientFactory(care_team=care_team)
    tocilizumab = factories.CourseFactory(
        patient=second, therapy=Therapy.objects.get(slug="tocilizumab")
    )
    flags = {
        "review": make_flag(course, FlagLevel.REVIEW, "nausea"),
        "acknowledged": make_flag(course, status=FlagStatus.ACKNOWLEDGED),
        "tocilizumab": make_flag(tocilizumab, FlagLevel.INFO, "headache"),
    }
    params = dict(query)
    if "therapy" in params:
        params["therapy"] = Therapy.objects.get(slug=params["therapy"]).pk
    if "patient" in params:
        params["patient"] = second.pk
    client.force_login(clinician)
    assert flags_on_page(client.get(TRIAGE, params)) == [flags[name] for name in expected]


@pytest.mark.parametrize("search", ["mrn", "family", "given family"])
def test_the_patient_is_searched_by_name_or_mrn(client, clinician, course, care_team, search):
    second = factories.PatientFactory(
        care_team=care_team, given_name="Odile", family_name="Marchal"
    )
    wanted = make_flag(factories.CourseFactory(patient=second), FlagLevel.INFO, "headache")
    make_flag(course)
    words = {
        "mrn": second.mrn.lower(),
        "family": "marCHAL",
        "given family": "odile Marchal",
    }[search]
    client.force_login(clinician)
    response = client.get(TRIAGE, {"q": words})
    assert flags_on_page(response) == [wanted]
    assert f'value="{words}"' in response.text


def test_the_search_never_reaches_another_teams_patients(
    client, clinician, course, other_course, other_patient
):
    make_flag(other_course)
    client.force_login(clinician)
    assert flags_on_page(client.get(TRIAGE, {"q": other_patient.mrn})) == []
    assert flags_on_page(client.get(TRIAGE, {"patient": other_patient.pk})) == []


def test_the_filter_lists_no_patients(client, clinician, course, care_team):
    """A team's 400 patients made a select longer to draw than the rest of the page."""
    for _ in range(3):
        factories.PatientFactory(care_team=care_team)
    client.force_login(clinician)
    response = client.get(TRIAGE)
    visible = [field.name for field in response.context["filterset"].form.visible_fields()]
    assert visible == ["level", "status", "therapy", "q"]
    assert '<label class="form-label" for="id_q">Search by name or MRN</label>' in response.text
    assert 'name="patient"' not in response.text


def test_a_patient_link_keeps_its_patient_in_the_form(client, clinician, course):
    make_flag(course)
    client.force_login(clinician)
    response = client.get(TRIAGE, {"patient": course.patient.pk})
    assert f'<input type="hidden" name="patient" value="{course.patient.pk}">' in response.text


def test_the_queue_is_paginated_by_25_patients(client, clinician, course, care_team):
    for _ in range(25):
        make_flag(factories.CourseFactory(patient=factories.PatientFactory(care_team=care_team)))
    for _ in range(3):  # one patient, three flags: one row
        make_flag(course, created_at=timezone.now() - datetime.timedelta(days=1))
    client.force_login(clinician)
    first = client.get(TRIAGE)
    assert len(first.context["rows"]) == 25
    # Whoever waits longest first: the patient whose flags are a day old.
    assert first.context["rows"][0].patient == course.patient
    assert len(first.context["rows"][0].flags) == 3
    assert len(client.get(TRIAGE, {"page": 2}).context["rows"]) == 3 - 2


@pytest.mark.parametrize("rows", [2, 5])
def test_query_count_does_not_grow_with_patients_or_flags(
    client, clinician, course, care_team, rows, django_assert_num_queries
):
    for index in range(rows):
        other = factories.CourseFactory(patient=factories.PatientFactory(care_team=care_team))
        for target in (course, other):
            flag = make_flag(target)
            if index % 2:  # some acknowledged: their row shows who did it
                services.acknowledge_flag(flag=flag, by=clinician, note="seen")
    client.force_login(clinician)
    # Drawn (nothing kept yet): 1 session, 2 user, 3 the queue's version, which also counts
    # the unresolved flags and the open urgent ones (the caption and the navigation's badge),
    # 4 how many patients the queue lists (the paginator: patients, not flags, so it is
    # counted apart), 5 the page's patients in order, 6 their first flags with patient,
    # therapy, term and the people who acted (one join), 7 their open flags counted by level,
    # 8 the filter's therapies. Kept: the first three only (tests/perf, test_triage_kept.py).
    with django_assert_num_queries(8):
        response = client.get(TRIAGE)
    assert len(response.context["rows"]) == rows + 1
    assert len(flags_on_page(response)) == 2 * rows
    # Filtered: the same queries.
    with django_assert_num_queries(8):
        response = client.get(TRIAGE, {"level": "urgent"})
    assert len(flags_on_page(response)) == 2 * rows


def test_the_queue_counts_what_waits_and_the_badge_in_one_query(client, clinician, course):
    make_flag(course, FlagLevel.URGENT)
    make_flag(course, FlagLevel.URGENT, "hypotension", status=FlagStatus.ACKNOWLEDGED)
    make_flag(course, FlagLevel.REVIEW, "nausea")
    make_flag(course, FlagLevel.URGENT, "chills", status=FlagStatus.RESOLVED)
    client.force_login(clinician)
    response = client.get(TRIAGE)
    assert "1 patient with flags to look at (3 flags)." in response.text
    assert '<span class="badge text-bg-danger ms-1">1 urgent</span>' in response.text
    filtered = client.get(TRIAGE, {"level": "review"})
    assert "1 patient with flags matching the filters." in filtered.text
    # The badge still counts every open urgent flag, not only the filtered ones.
    assert '<span class="badge text-bg-danger ms-1">1 urgent</span>' in filtered.text


def test_navigation_counts_open_urgent_flags(client, clinician, course, other_course):
    make_flag(course, FlagLevel.URGENT)
    make_flag(course, FlagLevel.URGENT, "hypotension")
    make_flag(course, FlagLevel.URGENT, status=FlagStatus.ACKNOWLEDGED)
    make_flag(course, FlagLevel.REVIEW, "nausea")
    make_flag(other_course, FlagLevel.URGENT)
    client.force_login(clinician)
    response = client.get(reverse("tracker:patient-list"))
    assert response.context["open_urgent_flag_count"] == 2
    assert '<span class="badge text-bg-danger ms-1">2 urgent</span>' in response.text


def test_the_navigation_count_is_not_computed_for_patients(client, patient, course):
    client.force_login(patient.user)
    response = client.get(reverse("tracker:patient-home"))
    assert response.status_code == 200
    assert "open_urgent_flag_count" not in response.context


# --- Acknowledge and resolve -------------------------------------------------------------------


def test_acknowledge_with_htmx_swaps_the_row(client, clinician, course):
    flag = make_flag(course)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:flag-acknowledge", args=[flag.pk]),
        {"note": "Called the patient", "layout": "queue"},
        **htmx(),
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="flag-{flag.pk}"')
    assert "Flag acknowledged." in response.text
    assert "Called the patient" in response.text
    assert 'id="nav-urgent-count" hx-swap-oob="true"' in response.text
    flag.refresh_from_db()
    assert flag.status == FlagStatus.ACKNOWLEDGED
    assert flag.acknowledged_by == clinician
    assert flag.acknowledged_note == "Called the patient"


def test_a_swapped_row_never_carries_an_address_elsewhere(client, clinician, course):
    flag = make_flag(course)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:flag-acknowledge", args=[flag.pk]),
        {"note": "", "layout": "queue", "next": "https://evil.example/"},
        **htmx(),
    )
    assert response.status_code == 200
    assert "Flag acknowledged." in response.text
    assert "evil.example" not in response.text


def test_acknowledge_without_javascript_comes_back_to_the_page(client, clinician, course):
    flag = make_flag(course)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:flag-acknowledge", args=[flag.pk]),
        {"note": "", "next": f"{TRIAGE}?level=urgent"},
        follow=True,
    )
    assert response.redirect_chain == [(f"{TRIAGE}?level=urgent", 302)]
    assert "Flag acknowledged." in response.text
    flag.refresh_from_db()
    assert flag.status == FlagStatus.ACKNOWLEDGED


def test_a_redirect_elsewhere_is_refused(client, clinician, course):
    flag = make_flag(course)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:flag-acknowledge", args=[flag.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == TRIAGE


def test_resolve_records_who_the_outcome_and_the_note(client, clinician, course):
    flag = make_flag(course)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:flag-resolve", args=[flag.pk]),
        {"note": "Paracetamol", "outcome": "called_patient"},
        **htmx(),
    )
    assert "Flag resolved." in response.text
    assert f"Resolved by {clinician.get_full_name()}" in response.text
    assert "Outcome: Called the patient" in response.text
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by, flag.resolved_note, flag.outcome) == (
        FlagStatus.RESOLVED,
        clinician,
        "Paracetamol",
        "called_patient",
    )


def test_second_acknowledge_is_told_in_the_row(client, clinician, course, care_team):
    """Two nurses click at once: the second sees who did it, not an error page."""
    flag = make_flag(course)
    colleague = factories.ClinicianFactory()
    care_team.members.add(colleague)
    services.acknowledge_flag(flag=flag, by=colleague, note="On it")
    client.force_login(clinician)
    response = client.post(reverse("tracker:flag-acknowledge", args=[flag.pk]), **htmx())
    assert response.status_code == 200
    assert "This flag was already acknowledged." in response.text
    assert f"Acknowledged by {colleague.get_full_name()}" in response.text
    flag.refresh_from_db()
    assert flag.acknowledged_by == colleague


def test_second_acknowledge_without_javascript_is_a_message(client, clinician, course):
    flag = make_flag(course)
    services.acknowledge_flag(flag=flag, by=clinician)
    client.force_login(clinician)
    response = client.post(reverse("tracker:flag-acknowledge", args=[flag.pk]), follow=True)
    assert response.status_code == 200
    assert "This flag was already acknowledged." in response.text


def test_a_note_too_long_is_refused_in_the_row(client, clinician, course):
    flag = make_flag(course)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:flag-acknowledge", args=[flag.pk]), {"note": "x" * 2001}, **htmx()
    )
    assert "at most 2000 characters" in response.text
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


# --- New urgent flags while the page is open ------------------------------------------------------


def test_the_queue_polls_for_new_urgent_flags(client, clinician, course):
    client.force_login(clinician)
    text = client.get(TRIAGE).text
    assert 'hx-trigger="every 30s"' in text
    assert reverse("tracker:triage-new-urgent") in text


def test_poll_without_new_flags_keeps_polling(client, clinician, course):
    make_flag(course)
    client.force_login(clinician)
    response = client.get(
        reverse("tracker:triage-new-urgent"), {"since": f"{time.time() + 1:.6f}"}, **htmx()
    )
    assert response.context["new_flags"] == []
    assert 'hx-trigger="every 30s"' in response.text


def test_poll_shows_urgent_flags_raised_since_and_stops(client, clinician, course, other_course):
    since = f"{time.time() - 60:.6f}"
    new = make_flag(course)
    make_flag(course, FlagLevel.REVIEW, "nausea")
    make_flag(other_course)
    make_flag(course, created_at=timezone.now() - datetime.timedelta(hours=1))
    client.force_login(clinician)
    response = client.get(reverse("tracker:triage-new-urgent"), {"since": since}, **htmx())
    assert response.context["new_flags"] == [new]
    assert "1 new urgent flag since this page was opened" in response.text
    assert "hx-trigger" not in response.text
    # The navigation badge is refreshed out of band.
    assert 'id="nav-urgent-count" hx-swap-oob="true"' in response.text


def test_poll_with_a_bad_since_answers_without_error(client, clinician):
    client.force_login(clinician)
    response = client.get(reverse("tracker:triage-new-urgent"), {"since": "yesterday"})
    assert response.status_code == 200


# --- One row per patient, with a clock ------------------------------------------------------


def test_one_row_per_patient_highest_level_first_then_longest_waiting(
    client, clinician, course, care_team
):
    now = timezone.now()
    review_only = factories.CourseFactory(patient=factories.PatientFactory(care_team=care_team))
    late_urgent = factories.CourseFactory(patient=factories.PatientFactory(care_team=care_team))
    make_flag(review_only, FlagLevel.REVIEW, "nausea", created_at=now - datetime.timedelta(days=2))
    make_flag(course, FlagLevel.URGENT, created_at=now - datetime.timedelta(minutes=10))
    make_flag(course, FlagLevel.INFO, "chills", created_at=now - datetime.timedelta(days=3))
    make_flag(course, FlagLevel.URGENT, "hypotension", created_at=now)
    make_flag(late_urgent, FlagLevel.URGENT, created_at=now - datetime.timedelta(minutes=40))
    client.force_login(clinician)
    rows = client.get(TRIAGE).context["rows"]
    assert [row.patient for row in rows] == [
        late_urgent.patient,  # urgent, waiting 40 min
        course.patient,  # urgent, waiting 10 min (its old info flag does not count)
        review_only.patient,
    ]
    assert [f.level for f in rows[1].flags] == ["urgent", "urgent", "info"]


def test_the_patients_phone_is_a_link_to_call(client, clinician, course):
    course.patient.phone = "+33 6 12 34 56 78"
    course.patient.save()
    make_flag(course)
    client.force_login(clinician)
    assert 'href="tel:+33612345678"' in client.get(TRIAGE).text


@pytest.mark.parametrize(
    ("level", "minutes", "overdue"),
    [
        # TRIAGE_RESPONSE_MINUTES below: both sides of each target.
        (FlagLevel.URGENT, 29, False),
        (FlagLevel.URGENT, 31, True),
        (FlagLevel.REVIEW, 479, False),
        (FlagLevel.REVIEW, 481, True),
        (FlagLevel.INFO, 60 * 24 * 7, False),  # no target
    ],
)
def test_a_flag_past_its_target_is_overdue(
    client, clinician, course, settings, level, minutes, overdue
):
    settings.TRIAGE_RESPONSE_MINUTES = {"urgent": 30, "review": 480, "info": None}
    make_flag(course, level, created_at=timezone.now() - datetime.timedelta(minutes=minutes))
    client.force_login(clinician)
    response = client.get(TRIAGE)
    (row,) = response.context["rows"]
    assert row.overdue is overdue
    # Said in words, not by colour alone.
    assert ("Overdue: past the response target" in response.text) is overdue


def test_an_acknowledged_flag_is_no_longer_overdue(client, clinician, course, settings):
    settings.TRIAGE_RESPONSE_MINUTES = {"urgent": 30, "review": 480, "info": None}
    flag = make_flag(course, created_at=timezone.now() - datetime.timedelta(hours=2))
    services.acknowledge_flag(flag=flag, by=clinician)
    client.force_login(clinician)
    (row,) = client.get(TRIAGE).context["rows"]
    assert row.overdue is False


# --- Expected flags acknowledged together ---------------------------------------------------

TOGETHER = reverse("tracker:flags-acknowledge-together")


def test_ticked_expected_flags_are_acknowledged_with_one_note(client, clinician, course):
    chills = make_flag(course, FlagLevel.INFO, "chills")
    nausea = make_flag(course, FlagLevel.INFO, "nausea")
    left = make_flag(course, FlagLevel.INFO, "fatigue")
    client.force_login(clinician)
    response = client.post(
        TOGETHER,
        {"flag": [chills.pk, nausea.pk], "note": "Expected, advice given", "audience": "shared"},
        follow=True,
    )
    assert "2 expected flags acknowledged." in response.text
    for flag in (chills, nausea):
        flag.refresh_from_db()
        assert (flag.status, flag.acknowledged_note, flag.acknowledged_note_shared) == (
            FlagStatus.ACKNOWLEDGED,
            "Expected, advice given",
            True,
        )
    left.refresh_from_db()
    assert left.status == FlagStatus.OPEN


def test_all_of_a_patients_expected_flags_and_only_those(
    client, clinician, course, care_team, other_course
):
    mine = [make_flag(course, FlagLevel.INFO, slug) for slug in ("chills", "nausea")]
    urgent = make_flag(course, FlagLevel.URGENT)
    other_patient = factories.CourseFactory(patient=factories.PatientFactory(care_team=care_team))
    not_this_patient = make_flag(other_patient, FlagLevel.INFO, "chills")
    client.force_login(clinician)
    client.post(TOGETHER, {"patient": course.patient.pk, "note": "Known, logged"})
    for flag in mine:
        flag.refresh_from_db()
        assert flag.status == FlagStatus.ACKNOWLEDGED
    for flag in (urgent, not_this_patient):
        flag.refresh_from_db()
        assert flag.status == FlagStatus.OPEN


def test_together_never_reaches_urgent_flags_or_another_team(
    client, clinician, course, other_course
):
    urgent = make_flag(course, FlagLevel.URGENT)
    theirs = make_flag(other_course, FlagLevel.INFO, "chills")
    client.force_login(clinician)
    response = client.post(TOGETHER, {"flag": [urgent.pk, theirs.pk, "not-an-id"]}, follow=True)
    assert "nothing changed" in response.text
    for flag in (urgent, theirs):
        flag.refresh_from_db()
        assert flag.status == FlagStatus.OPEN


def test_together_with_nothing_ticked_says_so(client, clinician, course):
    make_flag(course, FlagLevel.INFO, "chills")
    client.force_login(clinician)
    response = client.post(TOGETHER, {"note": "x"}, follow=True)
    assert "Tick the flags to acknowledge." in response.text


def test_the_queue_offers_together_only_for_open_expected_flags(client, clinician, course):
    info = make_flag(course, FlagLevel.INFO, "chills")
    urgent = make_flag(course, FlagLevel.URGENT)
    client.force_login(clinician)
    text = client.get(TRIAGE).text
    assert f'value="{info.pk}" form="together-{course.patient.pk}"' in text
    assert f'value="{urgent.pk}" form="together-' not in text
    assert "Acknowledge the 1 expected flag" in text


# --- Resolve: confirmed, and an urgent flag with its outcome -----------------------------------


def test_resolve_asks_for_confirmation_first(client, clinician, course):
    flag = make_flag(course, FlagLevel.REVIEW, "nausea")
    client.force_login(clinician)
    page = client.get(reverse("tracker:flag-resolve", args=[flag.pk]), {"next": TRIAGE})
    assert page.status_code == 200
    assert "Confirm: resolve the flag" in page.text
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    response = client.post(
        reverse("tracker:flag-resolve", args=[flag.pk]), {"note": "", "next": TRIAGE}
    )
    assert response["Location"] == TRIAGE
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert flag.outcome == ""


def test_an_urgent_flag_is_not_resolved_without_an_outcome_and_a_note(client, clinician, course):
    flag = make_flag(course)
    client.force_login(clinician)
    url = reverse("tracker:flag-resolve", args=[flag.pk])
    response = client.post(url, {"note": "", "next": TRIAGE})
    assert response.status_code == 200
    assert "Choose what was done about this urgent flag." in response.text
    assert "Say in a note what was done or decided." in response.text
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    response = client.post(url, {"note": "Sent to A&E", "outcome": "advised_ed", "next": TRIAGE})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.outcome, flag.resolved_note) == (
        FlagStatus.RESOLVED,
        "advised_ed",
        "Sent to A&E",
    )


def test_an_urgent_flag_resolved_in_the_row_without_outcome_is_told(client, clinician, course):
    flag = make_flag(course)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:flag-resolve", args=[flag.pk]), {"note": "done"}, **htmx()
    )
    assert "Choose what was done about this urgent flag." in response.text
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_the_service_refuses_an_urgent_flag_without_outcome(clinician, course):
    from tracker.models import FlagTransitionError

    flag = make_flag(course)
    with pytest.raises(FlagTransitionError):
        services.resolve_flag(flag=flag, by=clinician, note="x")
    services.resolve_flag(flag=make_flag(course, FlagLevel.REVIEW), by=clinician, note="x")


def test_a_note_is_for_the_care_team_unless_shared(client, clinician, course):
    flag = make_flag(course)
    client.force_login(clinician)
    text = client.get(TRIAGE).text
    assert '<option value="internal" selected>Care team only</option>' in text
    client.post(reverse("tracker:flag-acknowledge", args=[flag.pk]), {"note": "Seen"}, **htmx())
    flag.refresh_from_db()
    assert flag.acknowledged_note_shared is False


# --- A patient with many flags: a bounded row --------------------------------------------------


def many_flags(course, count, level=FlagLevel.REVIEW, slug="nausea", start=None):
    start = start or timezone.now() - datetime.timedelta(days=1)
    return [
        make_flag(course, level, slug, created_at=start + datetime.timedelta(minutes=index))
        for index in range(count)
    ]


def test_a_patient_with_60_flags_draws_5_and_links_to_the_55_others(client, clinician, course):
    flags = many_flags(course, 60)
    client.force_login(clinician)
    response = client.get(TRIAGE)
    (row,) = response.context["rows"]
    # The five waiting longest, oldest first.
    assert row.flags == flags[:5]
    assert response.text.count('class="flag-row ') == 5
    more = f'href="?patient={course.patient.pk}"'
    assert more in response.text
    assert "and 55 more flags" in response.text
    # The row counts all 60 open review flags.
    assert row.open_counts == {FlagLevel.URGENT: 0, FlagLevel.REVIEW: 60, FlagLevel.INFO: 0}
    assert '<span class="badge text-bg-warning">60</span> Review today' in response.text
    # The link leads to the queue narrowed to the patient, which lists all of them.
    everything = client.get(TRIAGE, {"patient": course.patient.pk})
    assert set(flags_on_page(everything)) == set(flags)
    assert everything.text.count('class="flag-row ') == 60
    assert "more flag" not in everything.text


def test_urgent_flags_come_first_even_behind_older_review_flags(
    client, clinician, course, settings
):
    settings.TRIAGE_RESPONSE_MINUTES = {"urgent": 30, "review": 480, "info": None}
    many_flags(course, 20, start=timezone.now() - datetime.timedelta(days=3))
    recent = timezone.now() - datetime.timedelta(minutes=1)
    urgent = many_flags(course, 7, FlagLevel.URGENT, "fever", start=recent)
    client.force_login(clinician)
    response = client.get(TRIAGE)
    (row,) = response.context["rows"]
    assert row.flags == urgent[:5]
    assert row.more == 22
    assert "and 22 more flags" in response.text
    assert '<span class="badge text-bg-danger">7</span> May need hospitalization' in response.text
    assert '<span class="badge text-bg-warning">20</span> Review today' in response.text
    # The review flags drawn nowhere are three days old, past their target: the row says so.
    assert row.overdue
    assert "Overdue: past the response target" in response.text


def test_the_rows_drawn_and_the_queries_stay_the_same_as_flags_grow(
    client, clinician, course, care_team, django_assert_num_queries
):
    other = factories.CourseFactory(patient=factories.PatientFactory(care_team=care_team))
    client.force_login(clinician)
    drawn = []
    for count in (6, 40):
        many_flags(course, count - len(drawn and [0] * 6))  # 6, then 40 in all
        many_flags(other, 3, FlagLevel.INFO, "chills")
        with django_assert_num_queries(8):
            response = client.get(TRIAGE)
        drawn.append(len(flags_on_page(response)))
    # 5 of the first patient's, and all of the other's (3, then 6: under the bound, then 5).
    assert drawn == [5 + 3, 5 + 5]


def test_the_flags_query_is_bounded_in_sql(client, clinician, course):
    """The database returns the rows drawn, not every flag of the page's patients."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    many_flags(course, 30)
    client.force_login(clinician)
    with CaptureQueriesContext(connection) as captured:
        client.get(TRIAGE)
    (flags_sql,) = [q["sql"] for q in captured if "ROW_NUMBER()" in q["sql"].upper()]
    with connection.cursor() as cursor:
        cursor.execute(flags_sql)
        assert len(cursor.fetchall()) == 5


def test_all_of_a_patients_expected_flags_are_acknowledged_beyond_those_drawn(
    client, clinician, course
):
    expected = many_flags(course, 12, FlagLevel.INFO, "chills")
    client.force_login(clinician)
    response = client.get(TRIAGE)
    assert len(response.context["rows"][0].flags) == 5
    assert "Acknowledge all 12 expected flags" in response.text
    client.post(
        reverse("tracker:flags-acknowledge-together"),
        {"patient": course.patient.pk, "note": "Known, expected.", "audience": "internal"},
    )
    for flag in expected:
        flag.refresh_from_db()
        assert flag.status == FlagStatus.ACKNOWLEDGED
        assert flag.acknowledged_note == "Known, expected."


def test_the_more_link_is_in_french(client, clinician, course):
    many_flags(course, 8)
    client.force_login(clinician)
    client.cookies["django_language"] = "fr"
    text = client.get(TRIAGE).text
    assert "et 3 autres alertes" in text
    assert "Alertes ouvertes :" in text
    text = client.get(TRIAGE, {"patient": course.patient.pk}).text
    assert 'class="flag-row ' in text
