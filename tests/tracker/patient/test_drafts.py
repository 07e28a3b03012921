"""Nothing typed is lost: after a validation error, going back, or an expired session."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.signin import password_step
from tracker.models import ReportDraft, SymptomReport

from .support import post_measurements, post_questions, post_symptoms, send, step_url

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory


def sign_in(client, user, next_url):
    return client.post(
        f"{reverse('login')}?next={next_url}",
        password_step(user.username, PASSWORD, next=next_url),
    )


def test_what_was_typed_comes_back_after_a_validation_error(patient_client, course):
    post_symptoms(patient_client, course, action="none")
    post_measurements(patient_client, course, temperature_0="385", heart_rate="88")
    # Later (another page, a closed tab): the step shows the typed values and the error again.
    response = patient_client.get(step_url("measurements", course))
    assert 'value="385"' in response.text
    assert 'value="88"' in response.text
    assert "385 °C is not a body temperature" in response.text


def test_answers_come_back_when_returning_to_a_step(patient_client, course):
    post_symptoms(patient_client, course, "vomiting", note="Since Tuesday")
    response = patient_client.get(step_url("symptoms", course))
    form = response.context["form"]
    assert form["symptoms"].value() == ["vomiting"]
    assert form["note"].value() == "Since Tuesday"


def test_back_keeps_the_answers_of_the_page_left(patient_client, course):
    post_symptoms(patient_client, course, "vomiting")
    response = post_questions(patient_client, course, {"vomiting-frequency": 2}, action="back")
    assert response["Location"] == step_url("symptoms", course)
    page = patient_client.get(step_url("questions", course))
    assert page.context["form"]["vomiting-frequency"].value() == "2"


def test_a_draft_of_yesterday_is_not_offered(patient_client, patient, course):
    post_symptoms(patient_client, course, "vomiting")
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        patient_client.force_login(patient.user)
        response = patient_client.get(step_url("symptoms", course))
    assert response.context["form"]["symptoms"].value() in (None, [])


def test_start_again_forgets_the_draft(patient_client, course):
    post_symptoms(patient_client, course, "vomiting")
    response = patient_client.post(reverse("tracker:patient-report-discard", args=[course.pk]))
    assert response["Location"] == step_url("symptoms", course)
    assert not ReportDraft.objects.exists()


def test_my_page_offers_to_continue_a_draft_where_it_was_left(patient_client, course):
    post_symptoms(patient_client, course, "vomiting")
    response = patient_client.get(reverse("tracker:patient-home"))
    (shown,) = response.context["courses"]
    assert shown.draft_url == step_url("questions", course)
    assert "Continue my report" in response.text


def test_a_step_posted_after_the_session_expired_is_kept_and_restored_after_sign_in(
    client, patient, course
):
    client.force_login(patient.user)
    post_symptoms(client, course, "vomiting")
    client.session.flush()  # the session expired: the browser now sends no valid session
    client.cookies.pop("sessionid", None)

    url = step_url("questions", course)
    response = post_questions(client, course, {"vomiting-frequency": 3, "vomiting-severity": 2})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"

    signed_in = sign_in(client, patient.user, url)
    assert signed_in["Location"] == url
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["vomiting-frequency"].value() == "3"
    assert form["vomiting-severity"].value() == "2"
    assert "nothing you typed was lost" in page.text
    # The earlier step, kept on the server, is there too, and the report goes through.
    assert ReportDraft.objects.get().data["symptoms"]["symptoms"] == ["vomiting"]
    post_questions(client, course, {"vomiting-frequency": 3, "vomiting-severity": 2})
    post_measurements(client, course)
    send(client, course)
    assert SymptomReport.objects.get().answers.get().severity == 2


def test_send_after_the_session_expired_asks_again_after_sign_in(client, patient, course):
    client.force_login(patient.user)
    post_symptoms(client, course, action="none")
    client.logout()

    # "Send" on the last step, which holds the measurements: kept while signed out.
    response = post_measurements(client, course, action="send", temperature_0="38.2")
    assert response.status_code == 302 and not SymptomReport.objects.exists()
    url = step_url("measurements", course)
    sign_in(client, patient.user, url)
    page = client.get(url)
    assert "nothing you typed was lost" in page.text
    assert page.context["form"]["temperature"].value()[0] == "38.2"
    assert not SymptomReport.objects.exists()  # sent only when the patient presses Send again
    post_measurements(client, course, action="send", temperature_0="38.2")
    assert float(SymptomReport.objects.get().temperature_c) == 38.2


def test_the_old_review_address_sends_a_report_posted_to_it_and_else_opens_the_last_step(
    patient_client, course
):
    post_symptoms(patient_client, course, action="none")
    post_measurements(patient_client, course, temperature_0="37.1")
    review = patient_client.get(step_url("review", course))
    assert review.status_code == 302 and review.url == step_url("measurements", course)
    sent = send(patient_client, course)
    assert sent.url == reverse(
        "tracker:patient-report-detail", args=[SymptomReport.objects.get().pk]
    )


def test_signed_out_answers_are_not_shown_to_someone_else(client, patient, other_patient, course):
    url = step_url("questions", course)
    post_questions(client, course, {"vomiting-frequency": 3})  # signed out
    sign_in(client, other_patient.user, url)
    assert client.get(url).status_code == 404
    assert not ReportDraft.objects.filter(user=other_patient.user).exists()


def test_htmx_keeps_a_step_as_it_is_filled_in_without_judging_it(patient_client, course):
    response = patient_client.post(
        step_url("measurements", course),
        {"temperature_0": "385", "temperature_1": "C", "action": "autosave"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    draft = ReportDraft.objects.get()
    assert draft.data["measurements"]["temperature_0"] == ["385"]
    assert draft.data["at"] == "measurements"
    assert not SymptomReport.objects.exists()
