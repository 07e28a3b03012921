"""Nothing a visitor who is not signed in does writes to the database: no session row for
opening the sign-in page (or mistyping a password), no draft and no session for a report step
posted without a session. A step posted after a session expired is still put back after
signing in (tests/tracker/patient/test_drafts.py), from a signed cookie of that page."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.signin import password_step
from tracker.models import ReportDraft, SymptomReport

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory


def stored():
    return Session.objects.count(), ReportDraft.objects.count(), SymptomReport.objects.count()


def test_opening_the_sign_in_page_stores_no_session():
    client = Client()
    for _ in range(3):
        response = client.get(reverse("login"))
        assert response.status_code == 200
    assert stored() == (0, 0, 0)


def test_opening_the_sign_in_page_with_a_next_address_stores_no_session():
    response = Client().get(f"{reverse('login')}?next=/clinician/")
    assert response.status_code == 200
    assert stored() == (0, 0, 0)


def test_a_wrong_password_stores_no_session(patient):
    client = Client()
    response = client.post(reverse("login"), password_step(patient.user.username, "wrong"))
    assert response.status_code == 200
    assert Session.objects.count() == 0


def test_signing_in_still_works_and_stores_the_session(patient):
    client = Client()
    client.get(reverse("login"))
    response = client.post(reverse("login"), password_step(patient.user.username, PASSWORD))
    assert response.status_code == 302
    assert Session.objects.count() == 1
    assert client.get(reverse("tracker:patient-home")).status_code == 200


STEPS = [
    "tracker:patient-report-create",
    "tracker:patient-report-questions",
    "tracker:patient-report-measurements",
    "tracker:patient-report-review",
]


POSTED = {
    "a step": {"vomiting-frequency": "3", "vomiting-severity": "2", "action": "next"},
    # About 19 KB of answers, as in the attack.
    "19 KB": {f"field-{n}": "x" * 180 for n in range(100)} | {"action": "next"},
}


@pytest.mark.parametrize("posted", POSTED)
@pytest.mark.parametrize("step", STEPS)
def test_an_anonymous_post_to_a_report_step_is_sent_to_sign_in_and_stores_nothing(
    course, step, posted
):
    client = Client()
    url = reverse(step, args=[course.pk])
    response = client.post(url, POSTED[posted])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert stored() == (0, 0, 0)


def test_an_anonymous_autosave_stores_nothing(course):
    response = Client().post(
        reverse("tracker:patient-report-measurements", args=[course.pk]),
        {"temperature_0": "38.5", "temperature_1": "C", "action": "autosave"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 302
    assert stored() == (0, 0, 0)


def test_anonymous_pages_that_redirect_to_sign_in_store_nothing(course):
    client = Client()
    for url in ("/", "/clinician/", "/my/", f"/clinician/courses/{course.pk}/"):
        assert client.get(url).status_code == 302
    assert stored() == (0, 0, 0)


def test_clearsessions_is_scheduled_in_the_readme():
    from django.conf import settings

    readme = (settings.BASE_DIR / "README.md").read_text()
    cron = [line for line in readme.splitlines() if "manage.py clearsessions" in line]
    assert cron and cron[0].split()[:5] == ["30", "3", "*", "*", "*"]
