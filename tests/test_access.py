"""Who may open what: every named route of the site and the API × six roles → the status.

The routes come from the URL configuration itself, so a new route without an entry here fails
`test_every_route_has_an_entry_in_the_matrix`. Out of scope answers 404 (never another
patient's data), a role that may not use a page answers 403, a visitor who is not signed in
is sent to the login page (pages) or gets 401 (API).
"""

import io

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image
from rest_framework.test import APIClient

from tracker import services
from tracker.models import Flag
from tracker.photos import clean_photo

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "patient", "other_patient", "clinician", "other_clinician", "administrator")

# Expected status per role, in the order of ROLES.
LOGIN = 302  # pages send visitors to the login page
PUBLIC = (200, 200, 200, 200, 200, 200)
SIGNED_IN = (LOGIN, 200, 200, 200, 200, 200)
CLINICIAN_PAGE = (LOGIN, 403, 403, 200, 200, 403)  # a clinician's own list or queue
CLINICIAN_OBJECT = (LOGIN, 403, 403, 200, 404, 403)  # an object of the clinician's team
CLINICIAN_ACTION = (LOGIN, 403, 403, 302, 404, 403)  # a POST that redirects when it succeeds
PATIENT_PAGE = (LOGIN, 200, 200, 403, 403, 403)  # a patient's own page
PATIENT_OBJECT = (LOGIN, 200, 404, 403, 403, 403)  # an object of the patient's own
SHARED_EXPORT = (LOGIN, 200, 404, 200, 404, 200)  # the patient, their team, administrators
# Only a physician lifts a discontinuation: the team's nurse is refused (403), like a patient.
PHYSICIAN_ACTION = (LOGIN, 403, 403, 403, 404, 403)
API_LIST = (401, 200, 200, 200, 200, 200)
API_OBJECT = (401, 200, 404, 200, 404, 200)
API_CLINICIAN_ACTION = (401, 403, 403, 200, 404, 403)

# route name → (method, which object fills the URL, expected statuses)
MATRIX = {
    "login": ("get", None, (200, 302, 302, 302, 302, 302)),
    "logout": ("post", None, (302,) * 6),
    "set_language": ("post", None, (302,) * 6),
    "tracker:home": ("get", None, (LOGIN, 302, 302, 302, 302, 200)),
    # The administration signs in through the site's page; others signed in may not enter.
    "admin-login": ("get", None, (LOGIN, 403, 403, 403, 403, 302)),
    # Two-factor authentication: for clinicians and administrators (patients: not found). The
    # QR code exists only during setup; the pages after setup need a session verified with a
    # code (the matrix's sessions are not), so they send to the sign-in page.
    "two_factor:login": ("get", None, (302,) * 6),
    "two_factor:profile": ("get", None, (LOGIN, 404, 404, 200, 200, 200)),
    "two_factor:setup": ("get", None, (LOGIN, 404, 404, 200, 200, 200)),
    "two_factor:qr": ("get", None, (LOGIN, 404, 404, 404, 404, 404)),
    "two_factor:setup_complete": ("get", None, (LOGIN, 404, 404, 302, 302, 302)),
    "two_factor:backup_tokens": ("get", None, (LOGIN, 404, 404, 302, 302, 302)),
    "two_factor:disable": ("get", None, (LOGIN, 404, 404, 302, 302, 302)),
    # Clinician pages
    "tracker:triage": ("get", None, CLINICIAN_PAGE),
    "tracker:triage-new-urgent": ("get", None, CLINICIAN_PAGE),
    "tracker:not-reported": ("get", None, CLINICIAN_PAGE),
    "tracker:patient-list": ("get", None, CLINICIAN_PAGE),
    "tracker:therapy-regimen": ("get", None, CLINICIAN_PAGE),
    "tracker:ctcae-definitions": ("get", None, CLINICIAN_PAGE),
    "tracker:flag-acknowledge": ("post", "flag", CLINICIAN_ACTION),
    # Resolving is confirmed on a page of its own first (an urgent flag asks for its outcome).
    "tracker:flag-resolve": ("get", "flag", CLINICIAN_OBJECT),
    # Expected flags acknowledged together: only the clinician's own are touched, so a
    # clinician of another team is sent back with "nothing changed" like anyone of the team.
    "tracker:flags-acknowledge-together": ("post", None, (LOGIN, 403, 403, 302, 302, 403)),
    "tracker:patient-detail": ("get", "patient", CLINICIAN_OBJECT),
    "tracker:patient-create": ("get", None, CLINICIAN_PAGE),
    # Another team's clinician gets "not found", never the patient's record.
    "tracker:patient-edit": ("get", "patient", CLINICIAN_OBJECT),
    "tracker:course-create": ("get", "patient", CLINICIAN_OBJECT),
    "tracker:course-detail": ("get", "course", CLINICIAN_OBJECT),
    "tracker:course-edit": ("get", "course", CLINICIAN_OBJECT),
    "tracker:dose-advice-override": ("post", "course", PHYSICIAN_ACTION),
    # The installable portal's manifest and service worker hold no patient data; a browser
    # fetches them without the session.
    "tracker:patient-manifest": ("get", None, PUBLIC),
    "tracker:patient-service-worker": ("get", None, PUBLIC),
    "tracker:course-chart-timeline": ("get", "course", CLINICIAN_OBJECT),
    "tracker:course-chart-vitals": ("get", "course", CLINICIAN_OBJECT),
    "tracker:visit-create": ("get", "course", CLINICIAN_OBJECT),
    "tracker:report-create": ("get", "course", CLINICIAN_OBJECT),
    "tracker:visit-detail": ("get", "visit", CLINICIAN_OBJECT),
    "tracker:report-detail": ("get", "report", CLINICIAN_OBJECT),
    "tracker:photo": ("get", "photo", CLINICIAN_OBJECT),
    "tracker:photo-entered-in-error": ("get", "photo", CLINICIAN_OBJECT),
    "tracker:record-correct": ("get", "visit-record", CLINICIAN_OBJECT),
    "tracker:record-entered-in-error": ("get", "visit-record", CLINICIAN_OBJECT),
    "tracker:record-history": ("get", "visit-record", CLINICIAN_OBJECT),
    # An empty invitation is refused at its fields (400); another team's patient is not found.
    "tracker:patient-invite": ("post", "patient", (LOGIN, 403, 403, 400, 404, 403)),
    # Patient portal
    "tracker:patient-home": ("get", None, PATIENT_PAGE),
    "tracker:patient-reports": ("get", None, PATIENT_PAGE),
    "tracker:patient-treatment": ("get", None, PATIENT_PAGE),
    "tracker:patient-report-detail": ("get", "report", PATIENT_OBJECT),
    "tracker:patient-report-photos": ("get", "report", PATIENT_OBJECT),
    "tracker:patient-photo": ("get", "photo", PATIENT_OBJECT),
    "tracker:patient-photo-remove": ("post", "photo", (LOGIN, 302, 404, 403, 403, 403)),
    "tracker:patient-grade-chart": ("get", "course", PATIENT_OBJECT),
    "tracker:patient-report-create": ("get", "course", PATIENT_OBJECT),
    "tracker:patient-report-questions": ("get", "course", (LOGIN, 302, 404, 403, 403, 403)),
    "tracker:patient-report-measurements": ("get", "course", PATIENT_OBJECT),
    # With no answers yet, the review step sends the patient back to the first step.
    "tracker:patient-report-review": ("get", "course", (LOGIN, 302, 404, 403, 403, 403)),
    "tracker:patient-report-discard": ("post", "course", (LOGIN, 302, 404, 403, 403, 403)),
    # Exports
    "tracker:export-course-pdf": ("get", "course", SHARED_EXPORT),
    "tracker:export-course-csv": ("get", "course", SHARED_EXPORT),
    "tracker:export-course-fhir": ("get", "course", SHARED_EXPORT),
    "tracker:export-codebook": ("get", None, SIGNED_IN),
    "tracker:export-cohort": ("get", None, (LOGIN, 403, 403, 200, 200, 200)),
    # Accounts (open to visitors: setting and resetting a password)
    "tracker:password-reset": ("get", None, PUBLIC),
    "tracker:password-reset-done": ("get", None, PUBLIC),
    "tracker:password-reset-complete": ("get", None, PUBLIC),
    "tracker:password-reset-confirm": ("get", "token", PUBLIC),
    "tracker:password-set": ("get", "token", PUBLIC),
    "tracker:password-set-complete": ("get", None, PUBLIC),
    # JSON API
    "api:schema": ("get", None, PUBLIC),
    "api:therapy-list": ("get", None, API_LIST),
    "api:therapy-detail": ("get", "therapy", API_LIST),
    "api:course-list": ("get", None, API_LIST),
    "api:course-detail": ("get", "course", API_OBJECT),
    "api:course-flags": ("get", "course", API_OBJECT),
    "api:report-photo": ("get", "photo", API_OBJECT),
    "api:course-symptom-reports": ("get", "course-pk", API_OBJECT),
    "api:course-visits": ("get", "course-pk", API_OBJECT),
    "api:course-doses": ("get", "course-pk", API_OBJECT),
    "api:course-summary-pdf": ("get", "course", API_OBJECT),
    "api:course-summary-csv": ("get", "course", API_OBJECT),
    "api:course-summary-fhir": ("get", "course", API_OBJECT),
    "api:flag-list": ("get", None, API_LIST),
    "api:flag-detail": ("get", "flag", API_OBJECT),
    "api:flag-acknowledge": ("post", "flag", API_CLINICIAN_ACTION),
    "api:flag-resolve": ("post", "flag", API_CLINICIAN_ACTION),
}


# The record pages take a kind slug: every kind a route accepts, as the matrix's roles see it.
RECORD_KIND_ROUTES = {
    "tracker:record-correct": ("visit", "report", "adverse-event", "dose"),
    "tracker:record-entered-in-error": ("visit", "report", "adverse-event", "dose", "course"),
    "tracker:record-history": ("visit", "report", "adverse-event", "dose", "course"),
}
RECORD_KIND_CASES = [
    (name, kind, role)
    for name, kinds in RECORD_KIND_ROUTES.items()
    for kind in kinds
    for role in ROLES
]


def _named_routes(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the admin has its own staff permissions, tested in tests/therapies
            yield from _named_routes(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_route_has_an_entry_in_the_matrix():
    routes = set(_named_routes(get_resolver().url_patterns))
    assert routes - MATRIX.keys() == set(), "add these routes to the access matrix"
    assert MATRIX.keys() - routes == set(), "these matrix entries name no route"


@pytest.fixture
def world(patient, other_patient, clinician, other_clinician, admin_user, course, other_course):
    """The patient's course with a report (and its flag) and a visit, seen from six roles."""
    from therapies.models import SideEffectTerm

    report = services.submit_report(
        course=course,
        by=patient.user,
        answers=[
            services.AnswerInput(
                term=SideEffectTerm.objects.get(slug="nausea"), frequency=2, severity=2
            )
        ],
        measurements={"temperature_c": 38.3},
    ).report
    visit = services.record_visit(
        course=course,
        by=clinician,
        measurements={"systolic_bp": 118},
        adverse_events=[
            services.AdverseEventEntry(term=SideEffectTerm.objects.get(slug="nausea"), grade=1)
        ],
    ).visit
    dose = services.record_dose(
        course=course,
        by=clinician,
        dose_number=1,
        scheduled_at=visit.recorded_at,
        status="given",
        administered_at=visit.recorded_at,
    )
    photo = services.add_report_photo(
        report=report,
        by=patient.user,
        subject="rash",
        photo=clean_photo(ContentFile(_png_bytes(), name="rash.png")),
    )
    return {
        "users": {
            "anonymous": None,
            "patient": patient.user,
            "other_patient": other_patient.user,
            "clinician": clinician,
            "other_clinician": other_clinician,
            "administrator": admin_user,
        },
        "patient": patient,
        "course": course,
        "report": report,
        "visit": visit,
        "dose": dose,
        "flag": Flag.objects.filter(report=report).first(),
        "photo": photo,
    }


def _png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="PNG")
    return out.getvalue()


def _kwargs(kind, world):
    course, report = world["course"], world["report"]
    return {
        None: {},
        "patient": {"pk": world["patient"].pk},
        "course": {"pk": course.pk},
        "course-pk": {"course_pk": course.pk},
        "report": {"pk": report.pk},
        "visit": {"pk": world["visit"].pk},
        "visit-record": {"kind": "visit", "pk": world["visit"].pk},
        "flag": {"pk": world["flag"].pk},
        "photo": {"pk": world["photo"].pk},
        "therapy": {"slug": course.therapy.slug},
        "token": {"uidb64": "MQ", "token": "set-password"},
    }[kind]


def _url(name, kind, world):
    return reverse(name, kwargs=_kwargs(kind, world))


CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.mark.parametrize("name, role", CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_access(world, name, role):
    method, kind, expected = MATRIX[name]
    user = world["users"][role]
    client = APIClient()
    if user is not None:
        client.force_login(user)
    data = {"language": "fr", "next": "/"} if name == "set_language" else {}
    extra = {"format": "json"} if name.startswith("api:") and method == "post" else {}
    response = getattr(client, method)(_url(name, kind, world), data, **extra)
    assert response.status_code == expected[ROLES.index(role)], f"{method.upper()} {name} as {role}"


@pytest.mark.parametrize(
    "name, kind, role", RECORD_KIND_CASES, ids=[f"{n}-{k}-{r}" for n, k, r in RECORD_KIND_CASES]
)
def test_record_pages_of_every_kind(world, name, kind, role):
    """A GET of each kind's record page: the form or history for the team, 404 to another
    team's clinician (the kind's records are scoped like the others), 403 to other roles."""
    records = {
        "visit": world["visit"],
        "report": world["report"],
        "adverse-event": world["visit"].adverse_events.get(),
        "dose": world["dose"],
        "course": world["course"],
    }
    user = world["users"][role]
    client = APIClient()
    if user is not None:
        client.force_login(user)
    response = client.get(reverse(name, kwargs={"kind": kind, "pk": records[kind].pk}))
    assert response.status_code == CLINICIAN_OBJECT[ROLES.index(role)], f"{name} {kind} as {role}"
