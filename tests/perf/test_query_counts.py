"""The number of queries of every list page and endpoint does not grow with the data.

Each page is counted on a small seeded database (2 patients) and on a larger one (10
patients, several times the rows): the counts must be equal. The real scales (2,000 and 20,000
patients) are measured by `make bench`; the shape of the queries is what these tests pin.
Pages that do not exist (yet) in this version are skipped.
"""

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from bench import scale
from tracker.models import Course, CourseStatus, Patient, User

pytestmark = pytest.mark.django_db

SMALL, LARGE = 4, 12


def _cast():
    clinician = User.objects.get(username=f"{scale.CLINICIAN_PREFIX}001")
    courses = Course.objects.visible_to(clinician).annotate(n=Count("reports"))
    course = courses.order_by("-n", "pk").first()
    patient = (
        Patient.objects.filter(user__isnull=False, courses__status=CourseStatus.ACTIVE)
        .annotate(n=Count("courses__reports"))
        .order_by("-n", "pk")
        .first()
    )
    own_course = patient.courses.filter(status=CourseStatus.ACTIVE).first()
    return {
        "clinician": clinician,
        "admin": User.objects.get(username=scale.ADMIN_USERNAME),
        "patient": patient.user,
        "course": course,
        "patient_record": course.patient,
        "own_course": own_course,
    }


# (label, who asks, how to build the URL from the cast)
PAGES = [
    ("triage queue", "clinician", lambda c: reverse("tracker:triage")),
    ("triage, urgent only", "clinician", lambda c: reverse("tracker:triage") + "?level=urgent"),
    ("patient list", "clinician", lambda c: reverse("tracker:patient-list")),
    ("not reported", "clinician", lambda c: reverse("tracker:not-reported")),
    (
        "patient page",
        "clinician",
        lambda c: reverse("tracker:patient-detail", args=[c["patient_record"].pk]),
    ),
    ("course page", "clinician", lambda c: reverse("tracker:course-detail", args=[c["course"].pk])),
    (
        "grade timeline chart",
        "clinician",
        lambda c: reverse("tracker:course-chart-timeline", args=[c["course"].pk]),
    ),
    (
        "vitals chart",
        "clinician",
        lambda c: reverse("tracker:course-chart-vitals", args=[c["course"].pk]),
    ),
    ("patient home", "patient", lambda c: reverse("tracker:patient-home")),
    ("patient's reports", "patient", lambda c: reverse("tracker:patient-reports")),
    ("patient's treatment", "patient", lambda c: reverse("tracker:patient-treatment")),
    ("cohort export form", "clinician", lambda c: reverse("tracker:export-cohort")),
    ("API courses", "clinician", lambda c: "/api/v1/courses/"),
    ("API flags", "clinician", lambda c: "/api/v1/flags/"),
    ("API course flags", "clinician", lambda c: f"/api/v1/courses/{c['course'].pk}/flags/"),
    (
        "API symptom reports",
        "clinician",
        lambda c: f"/api/v1/courses/{c['course'].pk}/symptom-reports/",
    ),
    ("API visits", "clinician", lambda c: f"/api/v1/courses/{c['course'].pk}/visits/"),
    (
        "API patient's own reports",
        "patient",
        lambda c: f"/api/v1/courses/{c['own_course'].pk}/symptom-reports/",
    ),
]


def _count(seeded, patients, who, url_for):
    with seeded(patients):
        cast = _cast()
        try:
            url = url_for(cast)
        except NoReverseMatch:
            pytest.skip("this page does not exist in this version")
        client = Client()
        client.force_login(cast[who])
        client.get(url)  # caches that fill once per process (content types, translations)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(captured), [q["sql"] for q in captured]


@pytest.mark.parametrize(("label", "who", "url_for"), PAGES, ids=[p[0] for p in PAGES])
def test_same_number_of_queries_on_more_data(seeded, label, who, url_for):
    small, small_sql = _count(seeded, SMALL, who, url_for)
    large, large_sql = _count(seeded, LARGE, who, url_for)
    assert large == small, "\n".join(
        ["queries on the larger data set:", *large_sql, "", "on the smaller one:", *small_sql]
    )


def test_the_larger_data_set_is_larger(seeded):
    with seeded(SMALL) as small:
        pass
    with seeded(LARGE) as large:
        pass
    assert large["courses"] >= 2 * small["courses"]
    assert large["answers"] >= 2 * small["answers"]
    assert large["flags"] >= 2 * small["flags"]
