"""'How are you today?': the steps, PRO-CTCAE branching, validation, and sending."""

from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tracker.models import CourseStatus, Flag, FlagLevel, FlagStatus, ReportDraft, SymptomReport

from .support import (
    post_measurements,
    post_questions,
    post_symptoms,
    report,
    send,
    step_url,
)

pytestmark = pytest.mark.django_db


# --- Step 1: which symptoms -----------------------------------------------------------------------


def test_the_courses_expected_side_effects_are_offered_first(patient_client, course):
    response = patient_client.get(step_url("symptoms", course))
    expected = [c.data["value"] for c in response.context["expected_choices"]]
    other = [c.data["value"] for c, _words in response.context["other_choices"]]
    # Anakinra's reportable expected side effects (therapy catalog: the RA, NOMID and DIRA
    # tables of the Kineret label, a course without an indication taking them all), in
    # vocabulary order.
    assert expected == [
        "nausea",
        "vomiting",
        "diarrhea",
        "abdominal_pain",
        "headache",
        "joint_aches",
        "rash",
        "injection_site_reaction",
    ]
    assert "cough" in other and not set(expected) & set(other)
    assert len(expected) + len(other) == 24


def test_choosing_symptoms_leads_to_their_questions(patient_client, course):
    response = post_symptoms(patient_client, course, "nausea")
    assert response.status_code == 302
    assert response["Location"] == step_url("questions", course)


def test_none_of_these_goes_straight_to_the_measurements(patient_client, course):
    response = post_symptoms(patient_client, course, "nausea", action="none")
    assert response["Location"] == step_url("measurements", course)
    assert ReportDraft.objects.get().data["symptoms"]["symptoms"] == []


def test_an_unknown_symptom_is_refused_at_the_field(patient_client, course):
    response = post_symptoms(patient_client, course, "fever")  # measured, not asked
    assert response.status_code == 200
    assert response.context["form"].errors["symptoms"]


def test_something_else_is_kept_in_the_patients_words(patient_client, course):
    post_symptoms(patient_client, course, note="Tingling in my fingers")
    post_measurements(patient_client, course)
    send(patient_client, course)
    assert SymptomReport.objects.get().note == "Tingling in my fingers"


# --- Step 2: the questions ------------------------------------------------------------------------


def test_questions_follow_the_items_attributes_in_order(patient_client, course):
    post_symptoms(patient_client, course, "abdominal_pain", "rash")
    response = patient_client.get(step_url("questions", course))
    names = [[f.name for f in fields] for _term, fields in response.context["form"].groups()]
    assert names == [
        ["abdominal_pain-frequency", "abdominal_pain-severity", "abdominal_pain-interference"],
        ["rash-present"],
    ]


def test_questions_use_the_pro_ctcae_stems_and_the_patient_wording(patient_client, course):
    post_symptoms(patient_client, course, "vomiting")
    response = patient_client.get(step_url("questions", course))
    assert "In the last 7 days, how OFTEN did you have vomiting?" in response.text
    assert "what was the SEVERITY of your vomiting at its WORST?" in response.text
    for option in ("Never", "Rarely", "Occasionally", "Frequently", "Almost constantly"):
        assert option in response.text
    for option in ("Mild", "Moderate", "Severe", "Very severe"):
        assert option in response.text


def test_questions_name_the_symptom_in_french_for_a_french_patient(patient_client, course):
    post_symptoms(patient_client, course, "vomiting")
    form = patient_client.get(step_url("questions", course), HTTP_ACCEPT_LANGUAGE="fr")
    assert "vomissements" in form.text


def test_never_skips_the_later_questions(patient_client, course):
    post_symptoms(patient_client, course, "headache")
    # Severity and interference were ticked but are not asked after "never" (PRO-CTCAE).
    response = post_questions(
        patient_client,
        course,
        {"headache-frequency": 0, "headache-severity": 3, "headache-interference": 4},
    )
    assert response["Location"] == step_url("measurements", course)
    post_measurements(patient_client, course)
    send(patient_client, course)
    answer = SymptomReport.objects.get().answers.get()
    assert (answer.frequency, answer.severity, answer.interference) == (0, None, None)
    assert answer.composite_grade == 0


def test_a_later_question_is_required_when_the_first_is_not_never(patient_client, course):
    post_symptoms(patient_client, course, "vomiting")
    response = post_questions(patient_client, course, {"vomiting-frequency": 3})
    assert response.status_code == 200
    assert response.context["form"].errors == {"vomiting-severity": ["This answer is required."]}
    assert 'id="form-errors"' in response.text


def test_a_presence_item_is_answered_yes_or_no(patient_client, course):
    post_symptoms(patient_client, course, "rash")
    response = post_questions(patient_client, course, {})
    assert response.context["form"].errors == {"rash-present": ["Answer yes or no."]}
    post_questions(patient_client, course, {"rash-present": "yes"})
    post_measurements(patient_client, course)
    send(patient_client, course)
    assert SymptomReport.objects.get().answers.get().present is True


def test_a_score_outside_the_scale_is_refused(patient_client, course):
    post_symptoms(patient_client, course, "diarrhea")
    response = post_questions(patient_client, course, {"diarrhea-frequency": 7})
    assert "diarrhea-frequency" in response.context["form"].errors


def test_questions_without_chosen_symptoms_go_back_to_step_one(patient_client, course):
    response = patient_client.get(step_url("questions", course))
    assert response["Location"] == step_url("symptoms", course)


# --- Step 3: measurements -------------------------------------------------------------------------


def test_measurements_are_optional(patient_client, course):
    post_symptoms(patient_client, course, action="none")
    response = post_measurements(patient_client, course)
    assert response["Location"] == step_url("review", course)


def test_an_implausible_temperature_is_refused_at_the_field(patient_client, course):
    post_symptoms(patient_client, course, action="none")
    response = post_measurements(patient_client, course, temperature_0="385")
    assert response.status_code == 200
    assert "385 °C is not a body temperature. Was it in °F?" in str(
        response.context["form"].errors["temperature"]
    )


def test_a_blood_pressure_out_of_range_is_refused_at_the_field(patient_client, course):
    post_symptoms(patient_client, course, action="none")
    response = post_measurements(patient_client, course, systolic_bp="1200")
    assert "systolic_bp" in response.context["form"].errors


def test_a_bottom_number_above_the_top_number_is_questioned(patient_client, course):
    post_symptoms(patient_client, course, action="none")
    response = post_measurements(patient_client, course, systolic_bp="80", diastolic_bp="120")
    assert "diastolic_bp" in response.context["form"].errors


def test_fahrenheit_and_pounds_are_stored_in_si(patient_client, course):
    post_symptoms(patient_client, course, action="none")
    post_measurements(
        patient_client,
        course,
        temperature_0="101.3",
        temperature_1="F",
        weight_0="154",
        weight_1="lb",
    )
    send(patient_client, course)
    saved = SymptomReport.objects.get()
    assert (saved.temperature_c, saved.weight_kg) == (Decimal("38.5"), Decimal("69.9"))


def test_a_french_decimal_comma_is_understood(patient_client, course, settings):
    settings.LANGUAGE_CODE = "fr"
    patient_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    post_symptoms(patient_client, course, action="none")
    post_measurements(patient_client, course, temperature_0="38,5")
    send(patient_client, course)
    assert SymptomReport.objects.get().temperature_c == Decimal("38.5")


# --- Step 3: the summary above "Send", and sending ------------------------------------------------


def test_nothing_is_recorded_before_send(patient_client, course):
    post_symptoms(patient_client, course, "vomiting")
    post_questions(patient_client, course, {"vomiting-frequency": 3, "vomiting-severity": 3})
    post_measurements(patient_client, course, temperature_0="38.5")
    # The last step sums up the report above "Send": nothing is recorded until it is pressed.
    last = patient_client.get(step_url("measurements", course))
    assert last.status_code == 200
    assert "Frequently, Severe" in last.text
    assert last.context["form"]["temperature"].value()[0] == "38.5"
    assert 'name="action" value="send"' in last.text
    assert not SymptomReport.objects.exists()
    assert not Flag.objects.exists()


def test_send_records_the_report_and_opens_its_flags_for_the_care_team(
    patient_client, course, clinician
):
    response = report(
        patient_client,
        course,
        "vomiting",
        answers={"vomiting-frequency": 3, "vomiting-severity": 3},
        temperature_0="38.5",
    )
    saved = SymptomReport.objects.get()
    assert response["Location"] == reverse("tracker:patient-report-detail", args=[saved.pk])
    assert saved.submitted_by == course.patient.user
    answer = saved.answers.get()
    assert (answer.term.slug, answer.frequency, answer.severity) == ("vomiting", 3, 3)
    assert answer.composite_grade == 3
    # What the clinician's triage reads: open flags of the report, in the clinician's scope.
    flags = Flag.objects.visible_to(clinician).open().filter(report=saved)
    assert {f.term.slug for f in flags} >= {"vomiting", "fever"}
    assert FlagLevel.URGENT in {f.level for f in flags}
    assert {f.status for f in flags} == {FlagStatus.OPEN}


def test_the_draft_is_gone_once_sent(patient_client, course):
    report(patient_client, course, "rash", answers={"rash-present": "no"})
    assert not ReportDraft.objects.exists()


def test_sending_twice_records_one_report(patient_client, course):
    report(patient_client, course, "rash", answers={"rash-present": "yes"})
    again = send(patient_client, course)
    assert again["Location"] == reverse("tracker:patient-reports")
    assert SymptomReport.objects.count() == 1


def test_the_review_page_is_not_reached_by_skipping_steps(patient_client, course):
    post_symptoms(patient_client, course, "nausea")
    response = patient_client.get(step_url("review", course))
    assert response["Location"] == step_url("measurements", course)
    assert send(patient_client, course)["Location"] == step_url("measurements", course)
    assert not SymptomReport.objects.exists()


def test_an_invalid_step_sends_the_patient_back_to_it(patient_client, course):
    post_symptoms(patient_client, course, "nausea")
    post_questions(patient_client, course, {"nausea-frequency": 2})  # severity missing
    post_measurements(patient_client, course)
    assert send(patient_client, course)["Location"] == step_url("questions", course)
    assert not SymptomReport.objects.exists()


def test_a_report_with_no_symptoms_is_recorded(patient_client, course):
    post_symptoms(patient_client, course, action="none")
    post_measurements(patient_client, course)
    send(patient_client, course)
    saved = SymptomReport.objects.get()
    assert not saved.answers.exists() and not saved.flags.exists()


def test_a_finished_course_takes_no_report(patient_client, course):
    course.status = CourseStatus.COMPLETED
    course.save()
    response = patient_client.get(step_url("symptoms", course))
    assert response["Location"] == reverse("tracker:patient-home")


def test_a_refusal_by_the_model_saves_nothing_and_keeps_the_draft(patient_client, course):
    post_symptoms(patient_client, course, action="none")
    post_measurements(patient_client, course, temperature_0="38.1")
    with mock.patch(
        "tracker.services.records.SymptomReport.full_clean", side_effect=ValidationError("refused")
    ):
        response = post_measurements(patient_client, course, action="send", temperature_0="38.3")
    assert response["Location"] == step_url("measurements", course)
    assert not SymptomReport.objects.exists()
    # The draft is kept, with the measurements just posted with "Send", to correct them.
    assert ReportDraft.objects.get().data["measurements"]["temperature_0"] == ["38.3"]


def test_sending_from_the_last_step_takes_a_fixed_number_of_queries(
    patient_client, course, django_assert_num_queries
):
    post_symptoms(patient_client, course)
    post_measurements(patient_client, course, action="send", temperature_0="38.6")
    post_symptoms(patient_client, course)
    # 1 session, 2 user, 3 the course; the rate limit's count: 4 the user's row for reports
    # read, 5 stored with this report; in a transaction (SAVEPOINT/RELEASE here, inside the
    # test's own): the draft locked, with the fields posted with "Send" (not saved first,
    # since it is deleted once sent), the answers' terms, then the report's own transaction
    # (SAVEPOINT/RELEASE): the therapy's expected terms with the earlier temperatures (one
    # query), report and its history, the flags' term (fever), flags and their history; then
    # the draft deleted.
    with django_assert_num_queries(3 + 2 + 2 + 2 + 7 + 2):
        response = post_measurements(patient_client, course, action="send", temperature_0="38.6")
    assert response.status_code == 302
    assert SymptomReport.objects.count() == 2
    assert not ReportDraft.objects.exists()


# --- "Something else?" and "Nothing new today" ---------------------------------------------------


def test_the_other_symptoms_wait_behind_something_else_with_both_wordings(patient_client, course):
    response = patient_client.get(step_url("symptoms", course))
    assert response.context["other_open"] is False
    words = dict((c.data["value"], w) for c, w in response.context["other_choices"])
    # Searched in both languages (the page's script folds accents and capitals).
    assert words["dizziness"] == "Dizziness Étourdissements"
    assert 'data-search="Dizziness Étourdissements"' in response.text
    assert '<details class="mb-3 something-else" id="something-else">' in response.text


def test_something_else_stays_open_when_one_of_its_symptoms_was_ticked(patient_client, course):
    post_symptoms(patient_client, course, "cough", action="autosave")
    response = patient_client.get(step_url("symptoms", course))
    assert response.context["other_open"] is True
    assert 'id="something-else" open' in response.text


def test_an_expected_symptom_alone_keeps_something_else_closed(patient_client, course):
    post_symptoms(patient_client, course, "nausea", action="autosave")
    assert patient_client.get(step_url("symptoms", course)).context["other_open"] is False


def test_nothing_new_today_from_my_page_goes_to_the_measurements_then_sends(patient_client, course):
    home = patient_client.get(reverse("tracker:patient-home"))
    assert f'action="{step_url("symptoms", course)}"' in home.text
    assert "Nothing new today" in home.text
    # The home page's button posts only the token and action=none.
    response = patient_client.post(step_url("symptoms", course), {"action": "none"})
    assert response["Location"] == step_url("measurements", course)
    response = post_measurements(patient_client, course)
    assert response["Location"] == step_url("review", course)
    send(patient_client, course)
    saved = SymptomReport.objects.get()
    assert saved.answers.count() == 0 and saved.note == ""


def test_a_double_tap_on_send_records_one_report(patient_client, course):
    post_symptoms(patient_client, course, action="none")
    page = patient_client.get(step_url("measurements", course))
    client_id = str(page.context["client_id"])
    assert f'name="client_id" value="{client_id}"' in page.text
    first = post_measurements(
        patient_client, course, action="send", temperature_0="37.3", client_id=client_id
    )
    second = post_measurements(
        patient_client, course, action="send", temperature_0="37.3", client_id=client_id
    )
    saved = SymptomReport.objects.get()
    assert first.url == second.url == reverse("tracker:patient-report-detail", args=[saved.pk])
    assert not ReportDraft.objects.exists()  # the second tap leaves no new draft behind
    # Without a sending key (no JavaScript, an old page), the draft's lock still sends one.
    third = post_measurements(patient_client, course, action="send", temperature_0="37.3")
    assert third.url == reverse("tracker:patient-reports")
    assert SymptomReport.objects.count() == 1 and not ReportDraft.objects.exists()
