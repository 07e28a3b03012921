"""The portal as an installable web app, and a report sent again by a phone that was offline:
the manifest and the service worker, the pages the phone keeps, the sending key (client_id on
the review page, Idempotency-Key on the API) that records a report once, and the thresholds the
phone's urgent guidance uses.

Thresholds from their sources: NCI CTCAE v5.0 "Fever" grade 3 is >40.0 °C; the Proleukin label
(2023, Table 2) withholds at SpO₂ <90 % and systolic BP <90 mmHg; PRO-CTCAE composite grade 3
(Basch 2021) is "severe": for a severity-only item, severity 3 ("severe") or 4 ("very severe").
"""

import json
import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from therapies.models import Therapy
from tracker import offline_guidance, services
from tracker.models import ReportDraft, SymptomReport

from .support import post_measurements, post_symptoms, step_url

pytestmark = pytest.mark.django_db


def api_reports_url(course):
    return f"/api/v1/courses/{course.pk}/symptom-reports/"


# --- Installable ------------------------------------------------------------------------------


def test_the_manifest_names_the_app_in_the_language_asked_and_opens_on_my_page(client):
    english = client.get(reverse("tracker:patient-manifest") + "?lang=en")
    french = client.get(reverse("tracker:patient-manifest") + "?lang=fr")
    assert english.status_code == french.status_code == 200
    assert english["Content-Type"] == "application/manifest+json"
    data, data_fr = english.json(), french.json()
    assert data["name"] == "Interleukin Therapy Tracker"
    assert data_fr["name"] != data["name"] and data_fr["lang"] == "fr"
    assert data["start_url"] == data["scope"] == "/my/"
    assert data["display"] == "standalone" and data["theme_color"].startswith("#")
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}


@pytest.mark.parametrize("size", [192, 512])
def test_the_icons_are_square_pngs_of_their_size(size):
    from django.conf import settings
    from PIL import Image

    with Image.open(settings.BASE_DIR / "static" / "icons" / f"portal-{size}.png") as icon:
        assert icon.format == "PNG" and icon.size == (size, size)


def test_an_unknown_manifest_language_falls_back_to_the_visitors(client):
    response = client.get(reverse("tracker:patient-manifest") + "?lang=xx")
    assert response.status_code == 200
    assert response.json()["lang"] == "en"


def test_the_patient_pages_link_the_manifest(patient_client):
    page = patient_client.get(reverse("tracker:patient-home")).content.decode()
    assert 'rel="manifest"' in page and "/my/manifest.webmanifest?lang=en" in page


def test_the_service_worker_is_served_from_the_portals_root(client):
    response = client.get(reverse("tracker:patient-service-worker"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/my/"
    assert reverse("tracker:patient-service-worker") == "/my/service-worker.js"


# --- The thresholds shipped to the phone ------------------------------------------------------


def test_the_offline_thresholds_are_the_emergency_signs_of_the_sources():
    thresholds = services.offline_guidance_thresholds()
    emergency = thresholds["emergency"]
    assert emergency["temperature_above_c"] == 40.0  # CTCAE v5.0 fever grade 3: >40.0 °C
    assert emergency["spo2_below_pct"] == 90  # Proleukin Table 2: SpO₂ <90 %
    assert emergency["systolic_bp_below_mmhg"] == 90  # Proleukin Table 2: SBP <90
    assert thresholds["urgent"]["composite_grade"] == 3  # Basch 2021: composite 3 = severe


def test_the_offline_composite_scores_reach_grade_3_at_severe():
    scores = services.offline_guidance_thresholds()["urgent_scores"]
    # Severity only: 3 "severe" and 4 "very severe" are composite 3; 2 "moderate" is not.
    assert scores["severity"] == ["3", "4"]
    # Shortness of breath (severity, interference): very severe and very much (4, 4) is 3, as
    # in the emergency page's browser test; mild with a little interference (1, 1) is not.
    assert "4,4" in scores["severity,interference"]
    assert "1,1" not in scores["severity,interference"]
    # A first answer "never"/"none" (0) is composite 0, whatever follows.
    assert not any(s.startswith("0") for values in scores.values() for s in values)


def test_the_report_pages_ship_the_thresholds_as_json(patient_client, course):
    response = patient_client.get(step_url("measurements", course))
    page = response.content.decode()
    start = page.index('<script id="offline-config" type="application/json">')
    config = json.loads(page[start:].split(">", 1)[1].split("</script>", 1)[0])
    assert config["thresholds"]["emergency"]["temperature_above_c"] == 40.0
    assert config["courses"][0]["id"] == str(course.pk)
    assert config["emergency_number"]
    assert config["messages"]["queued"] == "Not sent yet — will send when you are back online."


def test_the_offline_il6_blocker_signs_are_those_of_the_sources():
    """domain.md §5.3: on an IL-6 blocker a fever (CTCAE fever floor, 38.0 °C) is urgent, and an
    emergency with breathlessness, confusion or dizziness at composite grade 2 or more (Basch
    2021 "moderate"; a yes/no item: present)."""
    il6 = offline_guidance.thresholds()["il6_blocker"]
    assert il6["fever_at_or_above_c"] == il6["emergency_fever_at_or_above_c"] == 38.0
    assert set(il6["companion_terms"]) == {"shortness_of_breath", "confusion", "dizziness"}
    scores = il6["companion_scores"]
    # Dizziness (severity, interference), Basch 2021: moderate and somewhat (2, 2) is composite
    # 2; moderate and a little bit (2, 1) is 1; severe without interference (3, 0) is 1.
    assert "2,2" in scores["severity,interference"]
    assert "2,1" not in scores["severity,interference"]
    assert "3,0" not in scores["severity,interference"]
    assert scores["severity"] == ["2", "3", "4"]  # severity alone: moderate or worse


def test_the_report_pages_say_which_courses_are_on_an_il6_blocker(patient_client, course):
    def shipped():
        page = patient_client.get(step_url("measurements", course)).content.decode()
        start = page.index('<script id="offline-config" type="application/json">')
        return json.loads(page[start:].split(">", 1)[1].split("</script>", 1)[0])

    assert shipped()["courses"][0]["il6_blocker"] is False  # anakinra blocks IL-1
    course.therapy = Therapy.objects.get(slug="tocilizumab")
    course.save()
    config = shipped()
    assert config["courses"][0]["il6_blocker"] is True
    assert config["thresholds"]["il6_blocker"]["emergency_fever_at_or_above_c"] == 38.0


# --- The pages the phone keeps ----------------------------------------------------------------


def test_the_kept_questions_page_asks_about_every_symptom(patient_client, course):
    response = patient_client.get(step_url("questions", course) + "?offline=1")
    assert response.status_code == 200
    slugs = {term.slug for term, _fields in response.context["groups"]}
    assert {"nausea", "vomiting", "shortness_of_breath"} <= slugs
    assert not ReportDraft.objects.exists()  # nothing written by fetching it


def test_the_kept_last_step_holds_no_answers_and_no_sending_key(patient_client, course):
    post_symptoms(patient_client, course, "vomiting", note="since Tuesday")
    post_measurements(patient_client, course, temperature_0="37.6")
    response = patient_client.get(step_url("measurements", course) + "?offline=1")
    assert response.status_code == 200
    assert response.context["answers"] == [] and response.context["note"] == ""
    page = response.content.decode()
    assert "since Tuesday" not in page and "37.6" not in page
    # The phone makes a sending key for each report it keeps: none is kept in the page.
    assert 'name="client_id"' not in page


def test_without_the_offline_copy_the_questions_page_still_needs_symptoms(patient_client, course):
    response = patient_client.get(step_url("questions", course))
    assert response.status_code == 302


# --- Sent once ----------------------------------------------------------------------------------


def _fill(client, course):
    post_symptoms(client, course, action="none")
    post_measurements(client, course, temperature_0="40.3")


def test_the_review_page_records_a_report_once_per_sending_key(patient_client, course):
    key = str(uuid.uuid4())
    _fill(patient_client, course)
    first = patient_client.post(step_url("review", course), {"client_id": key})
    report = SymptomReport.objects.get()
    assert first["Location"] == reverse("tracker:patient-report-detail", args=[report.pk])
    assert report.client_id == uuid.UUID(key)
    # The phone never got the answer: it posts the steps and "Send" again with the same key.
    _fill(patient_client, course)
    again = patient_client.post(step_url("review", course), {"client_id": key})
    assert again["Location"] == first["Location"]
    assert SymptomReport.objects.count() == 1
    assert not ReportDraft.objects.exists()


def test_another_sending_key_is_another_report(patient_client, course):
    for _ in range(2):
        _fill(patient_client, course)
        patient_client.post(step_url("review", course), {"client_id": str(uuid.uuid4())})
    assert SymptomReport.objects.count() == 2


def test_a_sending_key_that_is_not_a_uuid_sends_the_report_without_one(patient_client, course):
    _fill(patient_client, course)
    response = patient_client.post(step_url("review", course), {"client_id": "not-a-uuid"})
    assert response.status_code == 302
    assert SymptomReport.objects.get().client_id is None


def test_the_same_key_on_another_course_is_not_that_courses_report(patient, course):
    from tests import factories

    second = factories.CourseFactory(patient=patient)
    key = uuid.uuid4()
    services.submit_report_once(
        course=course,
        client_id=key,
        by=patient.user,
        answers=[],
        measurements={"temperature_c": 37.0},
    )
    submitted = services.submit_report_once(
        course=second,
        client_id=key,
        by=patient.user,
        answers=[],
        measurements={"temperature_c": 37.0},
    )
    assert submitted.created and SymptomReport.objects.count() == 2


def test_the_api_answers_the_same_report_for_a_repeated_idempotency_key(patient, course):
    client = APIClient()
    client.force_authenticate(patient.user)
    key = str(uuid.uuid4())
    payload = {"temperature_c": 40.3}
    first = client.post(api_reports_url(course), payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(api_reports_url(course), payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert SymptomReport.objects.count() == 1
    without = client.post(api_reports_url(course), payload, format="json")
    assert without.status_code == 201 and SymptomReport.objects.count() == 2


def test_the_api_refuses_an_idempotency_key_that_is_not_a_uuid(patient, course):
    client = APIClient()
    client.force_authenticate(patient.user)
    response = client.post(
        api_reports_url(course), {"temperature_c": 37.0}, format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not SymptomReport.objects.exists()


def test_the_api_does_not_answer_another_patients_report_for_their_key(
    patient, course, other_patient, other_course
):
    key = uuid.uuid4()
    services.submit_report_once(
        course=other_course,
        client_id=key,
        by=other_patient.user,
        answers=[],
        measurements={"temperature_c": 37.0},
    )
    client = APIClient()
    client.force_authenticate(patient.user)
    response = client.post(
        api_reports_url(other_course),
        {"temperature_c": 37.0},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(key),
    )
    assert response.status_code == 404


def test_a_race_on_the_same_key_records_one_report(patient, course, monkeypatch):
    """Two sendings that both found no report with the key: the unique constraint refuses the
    second INSERT, which answers the first one's report."""
    key = uuid.uuid4()
    first = services.submit_report_once(
        course=course,
        client_id=key,
        by=patient.user,
        answers=[],
        measurements={"temperature_c": 37.0},
    )
    assert first.created
    looked = []

    def not_found_first(course_, client_id):
        looked.append(client_id)
        if len(looked) == 1:
            return None  # as if the other sending had not committed yet
        return SymptomReport.objects.filter(course=course_, client_id=client_id).first()

    monkeypatch.setattr(services.records, "report_sent_with", not_found_first)
    again = services.submit_report_once(
        course=course,
        client_id=key,
        by=patient.user,
        answers=[],
        measurements={"temperature_c": 37.0},
    )
    assert not again.created and again.report.pk == first.report.pk
    assert (again.answers_saved, again.flags_raised) == ([], [])
    assert SymptomReport.objects.count() == 1


def test_a_repeat_the_caller_did_not_see_yet_still_records_one_report(patient, course):
    """The pages and the API look the key up before sending (`looked_up`): a repeat that
    arrives after that look-up is still refused by the unique constraint and answered."""
    key = uuid.uuid4()
    report = {"by": patient.user, "answers": [], "measurements": {"temperature_c": 37.0}}
    first = services.submit_report_once(course=course, client_id=key, **report)
    again = services.submit_report_once(course=course, client_id=key, looked_up=True, **report)
    assert not again.created and again.report.pk == first.report.pk
    assert SymptomReport.objects.count() == 1
