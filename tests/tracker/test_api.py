"""The JSON API v1 as an outside system sees it (PRODUCT.md §7)."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from therapies.models import SideEffectTerm, Therapy
from tracker import services
from tracker.models import Course, Flag, FlagStatus, SymptomAnswer, SymptomReport, Visit

# Attribution and action are required on every adverse event (no default is recorded).
CHOSEN = {"attribution": "possible", "action": "none"}

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def reports_url(course):
    return f"/api/v1/courses/{course.pk}/symptom-reports/"


def visits_url(course):
    return f"/api/v1/courses/{course.pk}/visits/"


@pytest.fixture
def il2_course(patient):
    return factories.CourseFactory(
        patient=patient, therapy=Therapy.objects.get(slug="aldesleukin-high-dose")
    )


@pytest.fixture
def tocilizumab_course(patient):
    return factories.CourseFactory(patient=patient, therapy=Therapy.objects.get(slug="tocilizumab"))


# --- Authentication ----------------------------------------------------------------------------


def test_anonymous_request_is_refused_with_401():
    response = APIClient().get("/api/v1/therapies/")
    assert response.status_code == 401


def test_token_from_api_token_command_authenticates(clinician, capsys):
    call_command("api_token", clinician.username)
    key = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/therapies/").status_code == 200


def test_api_token_command_issues_a_new_token_and_the_old_one_stops_working(clinician, capsys):
    call_command("api_token", clinician.username)
    call_command("api_token", clinician.username)
    first, second = capsys.readouterr().out.split()
    assert first != second
    old, new = APIClient(), APIClient()
    old.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    new.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert old.get("/api/v1/therapies/").status_code == 401
    assert new.get("/api/v1/therapies/").status_code == 200


def test_schema_is_served_as_openapi_3(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/courses/{course_pk}/symptom-reports/" in schema["paths"]
    assert "/api/v1/flags/{id}/acknowledge/" in schema["paths"]


# --- Therapies ---------------------------------------------------------------------------------


def test_therapies_list_has_the_contract_fields(patient):
    response = client_for(patient.user).get("/api/v1/therapies/")
    assert response.status_code == 200
    therapies = {t["slug"]: t for t in response.json()}
    assert len(therapies) >= 10
    il2 = therapies["aldesleukin-high-dose"]
    assert {"slug", "name", "target", "expected_side_effects"} <= il2.keys()
    effect = il2["expected_side_effects"][0]
    assert {"term", "ctcae_term", "meddra_code", "frequency_percent", "frequency_band"} <= (
        effect.keys()
    )
    assert "hypotension" in {e["term"] for e in il2["expected_side_effects"]}


def test_therapies_list_query_count_does_not_grow_with_therapies(
    clinician, django_assert_max_num_queries
):
    # therapies, their expected side effects with terms (prefetch): 2 queries (+ auth/session).
    with django_assert_max_num_queries(3):
        client_for(clinician).get("/api/v1/therapies/")


# --- Courses -----------------------------------------------------------------------------------


def test_clinician_lists_only_their_care_teams_courses(clinician, course, other_course):
    ids = {c["id"] for c in client_for(clinician).get("/api/v1/courses/").json()}
    assert ids == {str(course.pk)}


def test_patient_lists_only_their_own_courses(patient, course, other_course):
    ids = {c["id"] for c in client_for(patient.user).get("/api/v1/courses/").json()}
    assert ids == {str(course.pk)}


def test_the_whole_course_list_writes_every_course_as_its_own_answer_does(clinician, course):
    """The whole list is written from column values (serializers.course_rows), a page and a
    course's own answer through the serializer: every field of every course agrees."""
    other_team = factories.CareTeamFactory(members=[clinician])
    ended = factories.CourseFactory(
        patient=factories.PatientFactory(care_team=other_team, given_name="Zoé", family_name="Ń"),
        therapy=Therapy.objects.get(slug="aldesleukin-high-dose"),
        indication="Metastatic melanoma",
        status="stopped",
        start_date=course.start_date + datetime.timedelta(days=1),
        end_date=course.start_date + datetime.timedelta(days=3),
        baseline_weight_kg=None,
        baseline_systolic_bp=None,
        baseline_temperature_c=Decimal("38.25"),
        baseline_creatinine_mg_dl=None,
        creatinine_uln_mg_dl=Decimal("1.3"),
    )
    Course.objects.filter(pk=ended.pk).update(
        entered_in_error=True, entered_in_error_reason="Wrong patient"
    )
    api = client_for(clinician)

    listed = api.get("/api/v1/courses/").json()

    assert [row["id"] for row in listed] == [str(ended.pk), str(course.pk)]  # newest start first
    for row in listed:
        assert row == api.get(f"/api/v1/courses/{row['id']}/").json()
    assert listed == api.get("/api/v1/courses/?limit=200").json()
    assert listed[0]["patient_name"] == "Zoé Ń"
    assert listed[0]["baseline_weight_kg"] is None
    assert listed[0]["entered_in_error"] is True


def test_course_detail_has_patient_therapy_slug_status_and_baselines(clinician, course):
    body = client_for(clinician).get(f"/api/v1/courses/{course.pk}/").json()
    assert body["patient"] == str(course.patient.pk)
    assert body["therapy"] == "anakinra"
    assert body["status"] == "active"
    assert body["start_date"] == course.start_date.isoformat()
    assert body["baseline_weight_kg"] == 70.0


def test_another_teams_course_is_not_found(clinician, other_course):
    assert client_for(clinician).get(f"/api/v1/courses/{other_course.pk}/").status_code == 404


def test_a_malformed_course_id_is_not_found(clinician):
    assert client_for(clinician).get("/api/v1/courses/not-a-uuid/flags/").status_code == 404
    assert client_for(clinician).get("/api/v1/courses/not-a-uuid/visits/").status_code == 404


def test_clinician_creates_a_course_with_the_therapy_regimen(clinician, patient):
    response = client_for(clinician).post(
        "/api/v1/courses/",
        {
            "patient": str(patient.pk),
            "therapy": "tocilizumab",
            "start_date": "2026-11-01",
            "baseline_weight_kg": 81.5,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    course = Course.objects.get(pk=response.json()["id"])
    assert course.care_team == patient.care_team
    assert course.regimen == Therapy.objects.get(slug="tocilizumab").regimen
    assert course.created_by == clinician


def test_clinician_cannot_create_a_course_for_a_patient_outside_their_teams(
    clinician, other_patient
):
    response = client_for(clinician).post(
        "/api/v1/courses/",
        {"patient": str(other_patient.pk), "therapy": "anakinra", "start_date": "2026-11-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "patient" in response.json()
    assert not Course.objects.filter(patient=other_patient).exists()


def test_course_with_an_end_before_its_start_is_refused_at_the_field(clinician, patient):
    response = client_for(clinician).post(
        "/api/v1/courses/",
        {
            "patient": str(patient.pk),
            "therapy": "anakinra",
            "start_date": "2026-11-01",
            "end_date": "2026-10-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "end_date" in response.json()


def test_patient_cannot_create_a_course(patient):
    response = client_for(patient.user).post(
        "/api/v1/courses/",
        {"patient": str(patient.pk), "therapy": "anakinra", "start_date": "2026-11-01"},
        format="json",
    )
    assert response.status_code == 403


# --- Symptom reports ---------------------------------------------------------------------------


def test_patient_report_is_graded_and_flagged(patient, tocilizumab_course):
    response = client_for(patient.user).post(
        reports_url(tocilizumab_course),
        {"answers": [{"term": "vomiting", "frequency": 3, "severity": 3}], "temperature_c": 38.5},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["answers"] == [
        {
            "term": "vomiting",
            "frequency": 3,
            "severity": 3,
            "interference": None,
            "present": None,
            "composite_grade": 3,
            "expected": False,
            "entered_in_error": False,
        }
    ]
    flags = {f["term"]: f for f in body["flags"]}
    assert flags["vomiting"]["level"] == "urgent"
    assert flags["fever"]["level"] == "urgent"
    assert flags["fever"]["rule"] == "fever_on_il6_blocker"
    assert {
        "id",
        "level",
        "rule",
        "term",
        "ctcae_term",
        "ctcae_grade",
        "value",
        "threshold",
        "message",
        "source",
        "status",
    } <= flags["fever"].keys()
    assert flags["fever"]["status"] == "open"


REPORT_WITH_FLAGS = {
    "answers": [
        {"term": "vomiting", "frequency": 3, "severity": 3},
        {"term": "nausea", "frequency": 2, "severity": 1},
        {"term": "rash", "present": True},
    ],
    "temperature_c": 38.5,
}


def test_answer_to_a_report_is_the_report_as_stored(clinician, patient, tocilizumab_course):
    created = client_for(patient.user).post(
        reports_url(tocilizumab_course), REPORT_WITH_FLAGS, format="json"
    )
    assert created.status_code == 201
    assert len(created.json()["flags"]) >= 3
    [listed] = client_for(clinician).get(reports_url(tocilizumab_course)).json()
    assert created.json() == listed


def test_a_report_writes_one_created_history_row_per_row(patient, tocilizumab_course):
    client_for(patient.user).post(reports_url(tocilizumab_course), REPORT_WITH_FLAGS, format="json")
    report = SymptomReport.objects.get()
    rows = [
        *report.history.all(),
        *SymptomAnswer.history.filter(report_id=report.pk),
        *Flag.history.filter(report_id=report.pk),
    ]
    assert len(rows) == 1 + 3 + report.flags.count()
    assert {(row.history_type, row.history_user) for row in rows} == {("+", patient.user)}
    answers = SymptomAnswer.history.filter(report_id=report.pk)
    assert sorted(a.id for a in answers) == sorted(report.answers.values_list("pk", flat=True))
    assert {a.history_change_reason for a in answers} == {None}
    flags = Flag.history.filter(report_id=report.pk)
    assert {f.history_change_reason for f in flags} == {"raised"}
    assert {(f.id, f.level, f.status) for f in flags} == set(
        report.flags.values_list("pk", "level", "status")
    )


def test_report_submission_queries_do_not_grow_with_answers(
    patient, tocilizumab_course, django_assert_num_queries
):
    client = client_for(patient.user)
    # course (scoped, with its patient), the answers' terms, then in the transaction: the
    # therapy's expected terms with the previous grades (the answers' and the measured
    # temperature's) in one query, report and its history, answers and their history, the
    # flags' terms not among the answers (fever), flags and their history; the answer is built
    # from what was saved.
    # Before, the rate limit's count (tracker/throttling.py): the user's row for reports read,
    # then stored with the new count; the user's first report makes the row first (and reads
    # it again).
    with django_assert_num_queries(10 + 2 + 4):  # + SAVEPOINT/RELEASE of the test's transaction
        one = client.post(
            reports_url(tocilizumab_course),
            {
                "answers": [{"term": "vomiting", "frequency": 3, "severity": 3}],
                "temperature_c": 38.5,
            },
            format="json",
        )
    with django_assert_num_queries(10 + 2 + 2):
        three = client.post(reports_url(tocilizumab_course), REPORT_WITH_FLAGS, format="json")
    assert one.status_code == three.status_code == 201


def test_a_report_sent_with_an_idempotency_key_reads_the_key_once_in_one_transaction(
    patient, tocilizumab_course, django_assert_num_queries
):
    client = client_for(patient.user)
    client.post(reports_url(tocilizumab_course), REPORT_WITH_FLAGS, format="json")
    # As without a key (test_report_submission_queries_do_not_grow_with_answers: 10, the
    # rate limit's 2), plus the key looked up once, before the report's transaction (a
    # SAVEPOINT/RELEASE here, inside the test's own; no second one nested in it).
    with django_assert_num_queries(10 + 2 + 1 + 2):
        response = client.post(
            reports_url(tocilizumab_course),
            REPORT_WITH_FLAGS,
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert response.status_code == 201


def test_grades_compare_with_each_terms_latest_earlier_report(patient, tocilizumab_course):
    client = client_for(patient.user)
    for severity in (1, 3, 1):
        client.post(
            reports_url(tocilizumab_course),
            {"answers": [{"term": "nausea", "frequency": 2, "severity": severity}]},
            format="json",
        )
    client.post(
        reports_url(tocilizumab_course),
        {"answers": [{"term": "headache", "frequency": 1, "severity": 1, "interference": 0}]},
        format="json",
    )
    report = SymptomReport.objects.order_by("reported_at").last()
    nausea, headache, rash = (
        SideEffectTerm.objects.get(slug=slug) for slug in ("nausea", "headache", "rash")
    )
    grades = services._previous_answer_grades(
        tocilizumab_course, [nausea, headache, rash], report.reported_at
    )
    latest_nausea = SymptomAnswer.objects.filter(term=nausea).order_by("report__reported_at").last()
    assert grades == {"nausea": latest_nausea.composite_grade}


def test_a_reports_earlier_grades_are_read_in_one_query(
    patient, tocilizumab_course, django_assert_num_queries
):
    """The answers' previous grades and the measured ones, as the two separate reads give
    them (each tested on its own), in one query."""
    client = client_for(patient.user)
    for severity, temperature in ((3, 38.5), (1, 37.0)):
        client.post(
            reports_url(tocilizumab_course),
            {
                "answers": [{"term": "nausea", "frequency": 2, "severity": severity}],
                "temperature_c": temperature,
            },
            format="json",
        )
    now = timezone.now() + datetime.timedelta(seconds=1)
    nausea, rash = (SideEffectTerm.objects.get(slug=slug) for slug in ("nausea", "rash"))
    baseline = services.baseline(tocilizumab_course)
    apart = services._previous_answer_grades(
        tocilizumab_course, [nausea, rash], now
    ) | services._previous_measured_grades(tocilizumab_course, {"fever"}, now, baseline)
    with django_assert_num_queries(1):
        together = services._previous_report_grades(
            tocilizumab_course, [nausea, rash], {"fever"}, now, baseline
        )
    # The latest nausea answer (frequency 2, severity 1: composite grade 1, Basch et al. 2021)
    # and 37.0 °C (no fever: CTCAE v5.0 grade 0).
    assert together == apart == {"nausea": 1, "fever": 0}


def test_expected_mild_symptom_is_info(patient, course):
    body = (
        client_for(patient.user)
        .post(
            reports_url(course),
            {"answers": [{"term": "injection_site_reaction", "present": True}]},
            format="json",
        )
        .json()
    )
    assert body["answers"][0]["expected"] is True
    assert [f["level"] for f in body["flags"]] == ["info"]


def test_clinician_reports_on_the_patients_behalf(clinician, course):
    response = client_for(clinician).post(
        reports_url(course),
        {"answers": [{"term": "nausea", "frequency": 2, "severity": 1}]},
        format="json",
    )
    assert response.status_code == 201
    assert SymptomReport.objects.get(pk=response.json()["id"]).source == "clinician"


def test_patient_cannot_report_on_another_patients_course(patient, other_course):
    response = client_for(patient.user).post(
        reports_url(other_course), {"temperature_c": 37.0}, format="json"
    )
    assert response.status_code == 404
    assert not SymptomReport.objects.exists()


def test_clinician_off_the_team_cannot_report(other_clinician, course):
    response = client_for(other_clinician).post(
        reports_url(course), {"temperature_c": 37.0}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"temperature_c": 52}, "temperature_c"),
        ({"temperature_c": 29.9}, "temperature_c"),
        ({"systolic_bp": 301}, "systolic_bp"),
        ({"heart_rate": "fast"}, "heart_rate"),
        ({"answers": [{"term": "hiccups", "frequency": 1}]}, "answers"),
        ({"answers": [{"term": "fever", "frequency": 1}]}, "answers"),
        ({"answers": [{"term": "nausea", "frequency": 5, "severity": 1}]}, "answers"),
        ({"answers": [{"term": "nausea", "frequency": -1, "severity": 1}]}, "answers"),
        ({"answers": [{"term": "diarrhea", "frequency": 2, "severity": 2}]}, "answers"),
        ({"answers": [{"term": "nausea", "frequency": 2}]}, "answers"),
        ({"answers": [{"term": "rash"}]}, "answers"),
        ({"answers": [{"term": "rash", "present": True, "severity": 2}]}, "answers"),
        ({"answers": [{"term": "nausea", "frequency": 0, "severity": 3}]}, "answers"),
        (
            {
                "answers": [
                    {"term": "cough", "severity": 1, "interference": 0},
                    {"term": "cough", "severity": 2, "interference": 0},
                ]
            },
            "answers",
        ),
        ({}, "non_field_errors"),
        ({"answers": [], "note": "just a note"}, "non_field_errors"),
    ],
)
def test_bad_report_input_is_refused_at_the_field_and_nothing_is_saved(
    patient, course, payload, field
):
    response = client_for(patient.user).post(reports_url(course), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not SymptomReport.objects.exists()
    assert not SymptomAnswer.objects.exists()
    assert not Flag.objects.exists()


def test_an_attribute_the_term_lacks_is_named_in_the_error(patient, course):
    response = client_for(patient.user).post(
        reports_url(course),
        {"answers": [{"term": "diarrhea", "frequency": 2, "severity": 2}]},
        format="json",
    )
    assert response.json()["answers"]["0"]["severity"] == [
        "This symptom has no “severity” question."
    ]


def test_never_skips_the_later_questions(patient, course):
    response = client_for(patient.user).post(
        reports_url(course), {"answers": [{"term": "nausea", "frequency": 0}]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["answers"][0]["composite_grade"] == 0
    assert response.json()["flags"] == []


def test_a_failure_while_saving_flags_leaves_neither_report_nor_flags(patient, course, monkeypatch):
    from tracker import services

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.records, "_save_flags", broken)
    client = client_for(patient.user)
    client.raise_request_exception = False
    response = client.post(
        reports_url(course),
        {"answers": [{"term": "nausea", "frequency": 4, "severity": 4}]},
        format="json",
    )
    assert response.status_code == 500
    assert not SymptomReport.objects.exists()
    assert not SymptomAnswer.objects.exists()


def test_report_list_query_count_does_not_grow_with_reports(
    patient, course, django_assert_num_queries
):
    client = client_for(patient.user)
    for _ in range(2):
        client.post(
            reports_url(course),
            {"answers": [{"term": "injection_site_reaction", "present": True}]},
            format="json",
        )
    # course (scoped), reports, answers+terms, flags+terms+people, photos: 5 queries.
    with django_assert_num_queries(5):
        two = client.get(reports_url(course))
    for _ in range(3):
        client.post(reports_url(course), {"temperature_c": 38.2}, format="json")
    with django_assert_num_queries(5):
        five = client.get(reports_url(course))
    assert len(two.json()) == 2 and len(five.json()) == 5


# --- Visits ------------------------------------------------------------------------------------


def test_visit_on_high_dose_il2_gives_flags_and_dose_advice(clinician, il2_course):
    response = client_for(clinician).post(
        visits_url(il2_course),
        {
            "systolic_bp": 82,
            "heart_rate": 96,
            "spo2": 97,
            "weight_kg": 72,
            "adverse_events": [
                {"ctcae_term": "Chills", "grade": 2, "attribution": "definite", "action": "none"}
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["dose_advice"]["decision"] == "hold"
    assert any("90" in c for c in body["dose_advice"]["criteria"])
    flags = {f["term"]: f for f in body["flags"]}
    assert flags["hypotension"]["level"] == "urgent"
    assert flags["hypotension"]["value"].startswith("82")
    assert body["adverse_events"][0]["ctcae_term"] == "Chills"
    assert body["adverse_events"][0]["expected"] is True


def test_visit_outside_high_dose_il2_has_no_dose_advice(clinician, course):
    body = (
        client_for(clinician)
        .post(visits_url(course), {"systolic_bp": 120, "temperature_c": 36.9}, format="json")
        .json()
    )
    assert body["dose_advice"] is None
    assert body["flags"] == []


def test_patient_cannot_record_a_visit(patient, course):
    response = client_for(patient.user).post(
        visits_url(course), {"systolic_bp": 120}, format="json"
    )
    assert response.status_code == 403
    assert not Visit.objects.exists()


def test_clinician_off_the_team_cannot_record_a_visit(other_clinician, course):
    response = client_for(other_clinician).post(
        visits_url(course), {"systolic_bp": 120}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"spo2": 101}, "spo2"),
        ({"spo2": 49}, "spo2"),
        ({"temperature_c": 45.1}, "temperature_c"),
        ({"systolic_bp": 39}, "systolic_bp"),
        ({"platelets_10e9_per_l": -1}, "platelets_10e9_per_l"),
        ({"adverse_events": [{"ctcae_term": "Hiccups forever", "grade": 2}]}, "adverse_events"),
        ({"adverse_events": [{"ctcae_term": "Hypotension", "grade": 6}]}, "adverse_events"),
        (
            {"adverse_events": [{"ctcae_term": "Hypotension", "grade": 2, "action": "panic"}]},
            "adverse_events",
        ),
        ({}, "non_field_errors"),
    ],
)
def test_bad_visit_input_is_refused_at_the_field_and_nothing_is_saved(
    clinician, course, payload, field
):
    response = client_for(clinician).post(visits_url(course), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Visit.objects.exists()
    assert not Flag.objects.exists()


@pytest.mark.parametrize(
    ("ctcae_term", "grade", "message"),
    [
        # NCI CTCAE v5.0 (CTCAE_v5.0.csv): Nausea grades 1-3, Hypoxia 2-5, Urine output
        # decreased 3-4, Acute kidney injury 3-5.
        ("Nausea", 4, "Nausea has CTCAE v5.0 grades 1–3."),
        ("Hypoxia", 1, "Hypoxia has CTCAE v5.0 grades 2–5."),
        ("urine output decreased", 2, "Urine output decreased has CTCAE v5.0 grades 3–4."),
        ("acute_kidney_injury", 1, "Acute kidney injury has CTCAE v5.0 grades 3–5."),
    ],
)
def test_a_grade_ctcae_does_not_define_for_the_term_is_refused_with_a_400_at_the_grade(
    clinician, course, ctcae_term, grade, message
):
    response = client_for(clinician).post(
        visits_url(course),
        {
            "systolic_bp": 120,
            "adverse_events": [{"ctcae_term": ctcae_term, "grade": grade, **CHOSEN}],
        },
        format="json",
    )
    assert response.status_code == 400
    # The API names the row (its index in the list) and the field.
    assert response.json() == {"adverse_events": {"0": {"grade": [message]}}}
    assert not Visit.objects.exists()
    assert not Flag.objects.exists()


def test_the_highest_grade_ctcae_defines_is_accepted(clinician, course):
    response = client_for(clinician).post(
        visits_url(course),
        {"adverse_events": [{"ctcae_term": "Nausea", "grade": 3, **CHOSEN}]},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_the_adverse_event_fever_on_tocilizumab_is_urgent_at_grade_1(clinician, tocilizumab_course):
    # domain.md §4.7: any fever on an IL-6 blocker, recorded as a temperature or as the
    # adverse event, at any grade.
    body = (
        client_for(clinician)
        .post(
            visits_url(tocilizumab_course),
            {"adverse_events": [{"ctcae_term": "Fever", "grade": 1, **CHOSEN}]},
            format="json",
        )
        .json()
    )
    [flag] = body["flags"]
    assert (flag["term"], flag["level"], flag["rule"]) == (
        "fever",
        "urgent",
        "fever_on_il6_blocker",
    )


def test_hallucinations_grade_1_on_high_dose_il2_is_urgent(clinician, il2_course):
    body = (
        client_for(clinician)
        .post(
            visits_url(il2_course),
            {"adverse_events": [{"ctcae_term": "Hallucinations", "grade": 1, **CHOSEN}]},
            format="json",
        )
        .json()
    )
    [flag] = body["flags"]
    assert (flag["term"], flag["level"], flag["expected"]) == ("hallucinations", "urgent", True)


def test_a_patients_38_5_on_oprelvekin_is_review_today(patient):
    course = factories.CourseFactory(
        patient=patient, therapy=Therapy.objects.get(slug="oprelvekin")
    )
    body = (
        client_for(patient.user)
        .post(reports_url(course), {"answers": [], "temperature_c": 38.5}, format="json")
        .json()
    )
    [flag] = body["flags"]
    assert (flag["term"], flag["level"], flag["rule"]) == (
        "fever",
        "review",
        "fever_escalation_risk",
    )
    assert "Neumega" in flag["source"]
    assert "Proleukin" not in flag["source"]


def test_platelets_from_grade_1_to_grade_3_between_two_visits_is_a_worsening(clinician, course):
    client = client_for(clinician)
    # The course's LLN is 150 ×10⁹/L: 100 is CTCAE grade 1, 40 is grade 3 (<50-25).
    client.post(visits_url(course), {"platelets_10e9_per_l": 100}, format="json")
    body = client.post(visits_url(course), {"platelets_10e9_per_l": 40}, format="json").json()
    [flag] = body["flags"]
    assert flag["level"] == "urgent"
    assert "Worsening: grade 1 → 3" in flag["message"]


# --- Flags -------------------------------------------------------------------------------------


@pytest.fixture
def urgent_flag(patient, tocilizumab_course):
    client_for(patient.user).post(
        reports_url(tocilizumab_course), {"temperature_c": 38.5}, format="json"
    )
    return Flag.objects.get()


def test_course_flags_are_listed_most_urgent_first(clinician, patient, tocilizumab_course):
    client = client_for(patient.user)
    client.post(
        reports_url(tocilizumab_course),
        {"answers": [{"term": "headache", "frequency": 1, "severity": 1, "interference": 0}]},
        format="json",
    )
    client.post(reports_url(tocilizumab_course), {"temperature_c": 38.5}, format="json")
    levels = [
        f["level"]
        for f in client_for(clinician).get(f"/api/v1/courses/{tocilizumab_course.pk}/flags/").json()
    ]
    assert levels == ["urgent", "info"]


def test_clinician_acknowledges_then_resolves_a_flag(clinician, urgent_flag):
    client = client_for(clinician)
    ack = client.post(
        f"/api/v1/flags/{urgent_flag.pk}/acknowledge/", {"note": "Called back"}, format="json"
    )
    assert ack.status_code == 200
    assert ack.json()["status"] == "acknowledged"
    assert ack.json()["acknowledged_note"] == "Called back"
    resolved = client.post(
        f"/api/v1/flags/{urgent_flag.pk}/resolve/",
        {"note": "CRP checked", "outcome": "called_patient"},
        format="json",
    )
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["outcome"] == "called_patient"
    urgent_flag.refresh_from_db()
    assert urgent_flag.resolved_by == clinician
    assert urgent_flag.history.count() == 3


@pytest.mark.parametrize("body", [{"note": "CRP checked"}, {"note": "x", "outcome": ""}])
def test_an_urgent_flag_is_not_resolved_without_its_outcome(clinician, urgent_flag, body):
    response = client_for(clinician).post(
        f"/api/v1/flags/{urgent_flag.pk}/resolve/", body, format="json"
    )
    assert response.status_code == 400
    assert "outcome" in response.json()
    urgent_flag.refresh_from_db()
    assert urgent_flag.status == FlagStatus.OPEN


def test_an_unknown_outcome_is_refused(clinician, urgent_flag):
    response = client_for(clinician).post(
        f"/api/v1/flags/{urgent_flag.pk}/resolve/", {"outcome": "prayed"}, format="json"
    )
    assert response.status_code == 400
    urgent_flag.refresh_from_db()
    assert urgent_flag.status == FlagStatus.OPEN


def test_a_patient_reads_only_the_notes_shared_with_them(clinician, patient, urgent_flag):
    client_for(clinician).post(
        f"/api/v1/flags/{urgent_flag.pk}/acknowledge/",
        {"note": "Query sepsis; ring the registrar"},
        format="json",
    )
    mine = client_for(patient.user).get(f"/api/v1/flags/{urgent_flag.pk}/").json()
    assert mine["acknowledged_note"] == ""
    assert "sepsis" not in str(mine)
    assert client_for(clinician).get(f"/api/v1/flags/{urgent_flag.pk}/").json()[
        "acknowledged_note"
    ] == ("Query sepsis; ring the registrar")
    client_for(clinician).post(
        f"/api/v1/flags/{urgent_flag.pk}/resolve/",
        {"note": "Seen in clinic, all well", "outcome": "called_patient", "shared": True},
        format="json",
    )
    mine = client_for(patient.user).get(f"/api/v1/flags/{urgent_flag.pk}/").json()
    assert mine["resolved_note"] == "Seen in clinic, all well"
    assert mine["acknowledged_note"] == ""


def test_acknowledging_twice_is_a_conflict_and_keeps_the_first(clinician, urgent_flag):
    first = factories.ClinicianFactory(username="first")
    urgent_flag.course.care_team.members.add(first)
    client_for(first).post(
        f"/api/v1/flags/{urgent_flag.pk}/acknowledge/", {"note": "mine"}, format="json"
    )
    second = client_for(clinician).post(
        f"/api/v1/flags/{urgent_flag.pk}/acknowledge/", {"note": "me too"}, format="json"
    )
    assert second.status_code == 409
    urgent_flag.refresh_from_db()
    assert urgent_flag.acknowledged_by == first
    assert urgent_flag.acknowledged_note == "mine"


def test_patient_cannot_acknowledge_a_flag(patient, urgent_flag):
    response = client_for(patient.user).post(
        f"/api/v1/flags/{urgent_flag.pk}/acknowledge/", {}, format="json"
    )
    assert response.status_code == 403
    urgent_flag.refresh_from_db()
    assert urgent_flag.status == FlagStatus.OPEN


def test_clinician_off_the_team_cannot_see_or_acknowledge_a_flag(other_clinician, urgent_flag):
    client = client_for(other_clinician)
    assert client.get(f"/api/v1/flags/{urgent_flag.pk}/").status_code == 404
    assert (
        client.post(f"/api/v1/flags/{urgent_flag.pk}/acknowledge/", {}, format="json").status_code
        == 404
    )


def test_an_unknown_api_path_answers_json_404(clinician):
    response = client_for(clinician).get("/api/v1/courses/null,null/visits/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"temperature_c": "38.5"}, "temperature_c"),
        ({"systolic_bp": 120.5}, "systolic_bp"),
        ({"systolic_bp": True}, "systolic_bp"),
        ({"temperature_c": 37.0, "note": 0}, "note"),
        ({"answers": [{"term": "rash", "present": "yes"}]}, "answers"),
        ({"answers": {"term": "rash", "present": True}}, "answers"),
    ],
)
def test_wrong_json_types_are_refused_not_coerced(patient, course, payload, field):
    response = client_for(patient.user).post(reports_url(course), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not SymptomReport.objects.exists()


@pytest.mark.parametrize("recorded_at", ["2999-01-01T00:00:00Z", "0213-09-10T02:35:31Z"])
def test_a_visit_far_in_the_future_or_past_is_refused(clinician, course, recorded_at):
    response = client_for(clinician).post(
        visits_url(course), {"recorded_at": recorded_at, "systolic_bp": 120}, format="json"
    )
    assert response.status_code == 400
    assert "recorded_at" in response.json()


def test_a_nul_character_is_refused_at_the_field(patient, course):
    response = client_for(patient.user).post(
        reports_url(course), {"answers": [{"term": "na\x00usea", "frequency": 1}]}, format="json"
    )
    assert response.status_code == 400


# --- The flag list (not in the §7 contract: paginated) -----------------------------------------


@pytest.fixture
def three_flags(patient, tocilizumab_course):
    client = client_for(patient.user)
    for temperature in (38.5, 38.6, 38.7):
        client.post(reports_url(tocilizumab_course), {"temperature_c": temperature}, format="json")
    client.post(
        reports_url(tocilizumab_course),
        {"answers": [{"term": "headache", "frequency": 1, "severity": 1, "interference": 0}]},
        format="json",
    )
    return Flag.objects.all()


def test_flag_list_comes_a_page_at_a_time_most_urgent_first(clinician, three_flags):
    client = client_for(clinician)
    first = client.get("/api/v1/flags/?limit=2").json()
    assert first["count"] == 4
    assert [f["level"] for f in first["results"]] == ["urgent", "urgent"]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [f["level"] for f in second["results"]] == ["urgent", "info"]
    assert second["next"] is None
    listed = [f["id"] for f in first["results"] + second["results"]]
    assert sorted(listed) == sorted(str(pk) for pk in three_flags.values_list("pk", flat=True))


def test_flag_list_filters_by_status_and_level(clinician, three_flags):
    client = client_for(clinician)
    flag = three_flags.filter(level="urgent").first()
    client.post(f"/api/v1/flags/{flag.pk}/acknowledge/", {}, format="json")
    assert client.get("/api/v1/flags/?level=info").json()["count"] == 1
    assert client.get("/api/v1/flags/?status=open&level=urgent").json()["count"] == 2
    acknowledged = client.get("/api/v1/flags/?status=acknowledged").json()["results"]
    assert [f["id"] for f in acknowledged] == [str(flag.pk)]


@pytest.mark.parametrize(
    "query", ["status=closed", "level=URGENT", "limit=0", "limit=201", "offset=-1", "limit=ten"]
)
def test_flag_list_refuses_a_bad_query_with_400(clinician, three_flags, query):
    response = client_for(clinician).get(f"/api/v1/flags/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_flag_list_shows_only_the_users_scope(other_clinician, three_flags):
    assert client_for(other_clinician).get("/api/v1/flags/").json()["count"] == 0


def test_course_flags_stay_a_plain_list(clinician, three_flags):
    course = three_flags.first().course
    response = client_for(clinician).get(f"/api/v1/courses/{course.pk}/flags/")
    assert isinstance(response.json(), list)
    assert len(response.json()) == 4


@pytest.mark.parametrize("query", ["level=", "limit=", "status=&limit=5"])
def test_flag_list_refuses_empty_filters_and_limits(clinician, three_flags, query):
    assert client_for(clinician).get(f"/api/v1/flags/?{query}").status_code == 400


def test_report_with_a_term_that_is_not_text_is_refused(patient, course):
    response = client_for(patient.user).post(
        reports_url(course), {"answers": [{"term": {}, "frequency": 0}]}, format="json"
    )
    assert response.status_code == 400
    assert "answers" in response.json()


# --- Home SpO₂ and emergency signs (PRODUCT.md §4 and §7) --------------------------------------


def test_a_report_takes_home_spo2_and_below_90_is_urgent(patient, course):
    # Proleukin label 2023, Table 2: SpO₂ <90 % (domain.md §4.7: home SpO₂ is a red flag).
    response = client_for(patient.user).post(reports_url(course), {"spo2": 89.9}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["spo2"] == 89.9
    [flag] = body["flags"]
    assert (flag["term"], flag["level"], flag["rule"]) == ("hypoxia", "urgent", "spo2_below_90")
    assert [s["sign"] for s in body["emergency_signs"]] == ["low_oxygen"]
    assert SymptomReport.objects.get().spo2 == Decimal("89.9")


def test_home_spo2_of_90_raises_nothing(patient, course):
    response = client_for(patient.user).post(reports_url(course), {"spo2": 90}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["flags"] == []
    assert response.json()["emergency_signs"] == []


@pytest.mark.parametrize("spo2", [49.9, 100.1, "ninety"])
def test_implausible_home_spo2_is_refused_at_the_field(patient, course, spo2):
    # tracker/ranges.py: SpO₂ 50-100 %.
    response = client_for(patient.user).post(reports_url(course), {"spo2": spo2}, format="json")
    assert response.status_code == 400
    assert "spo2" in response.json()
    assert not SymptomReport.objects.exists()


def test_a_report_answers_with_its_emergency_signs(patient, course):
    response = client_for(patient.user).post(
        reports_url(course),
        {
            "answers": [{"term": "shortness_of_breath", "severity": 4, "interference": 4}],
            "temperature_c": 40.3,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    signs = {s["sign"]: s for s in response.json()["emergency_signs"]}
    assert signs.keys() == {"high_temperature", "severe_shortness_of_breath"}
    assert (signs["high_temperature"]["value"], signs["high_temperature"]["threshold"]) == (
        "40.3 °C",
        "> 40.0 °C",
    )
    assert "CTCAE v5.0" in signs["high_temperature"]["source"]
    assert signs["severe_shortness_of_breath"]["value"].startswith("composite grade 3")


def test_a_fever_with_dizziness_on_tocilizumab_is_an_emergency_but_not_on_anakinra(
    patient, course, tocilizumab_course
):
    report = {
        "answers": [{"term": "dizziness", "severity": 2, "interference": 2}],
        "temperature_c": 38.5,
    }
    client = client_for(patient.user)
    on_tocilizumab = client.post(reports_url(tocilizumab_course), report, format="json").json()
    on_anakinra = client.post(reports_url(course), report, format="json").json()
    assert [s["sign"] for s in on_tocilizumab["emergency_signs"]] == ["fever_on_il6_blocker"]
    assert on_anakinra["emergency_signs"] == []
