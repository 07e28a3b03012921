"""The demo clinic that `make run` shows: realistic, built by the real rules, idempotent."""

import pytest
from django.core.management import call_command

from tests.signin import password_step
from tracker.models import Course, Flag, FlagLevel, User, Visit
from tracker.summary import build_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(capsys):
    call_command("demo")
    return capsys.readouterr().out


def test_demo_prints_every_login_with_the_password(demo):
    for username in (
        "dr.martin",
        "nurse.dubois",
        "marc.lefevre",
        "sophie.girard",
        "ahmed.benali",
        "lucie.moreau",
        "admin",
    ):
        assert username in demo
    assert "demo-tracker-2026" in demo


def test_demo_logins_work(demo, client):
    response = client.post("/accounts/login/", password_step("nurse.dubois", "demo-tracker-2026"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed in: sent on to the triage queue


def test_demo_is_idempotent(demo, capsys):
    counts = (User.objects.count(), Course.objects.count(), Flag.objects.count())
    call_command("demo")
    assert "already there" in capsys.readouterr().out
    assert (User.objects.count(), Course.objects.count(), Flag.objects.count()) == counts


def test_aldesleukin_capillary_leak_gives_hold_then_discontinue(demo):
    course = Course.objects.get(therapy__slug="aldesleukin-high-dose")
    advice = [
        v.dose_advice["decision"]
        for v in Visit.objects.filter(course=course).order_by("recorded_at")
    ]
    assert advice == ["hold", "discontinue"]
    assert course.flags.filter(rule="possible_capillary_leak", level=FlagLevel.URGENT).exists()


def test_aldesleukin_course_stays_discontinued_on_the_course_page_days_later(demo):
    # Proleukin label 2023, Table 2: "permanently discontinue"; no later quiet day undoes it.
    course = Course.objects.get(therapy__slug="aldesleukin-high-dose")
    advice = build_summary(course).dose_advice
    assert advice["decision"] == "discontinue"
    assert advice["permanent"]
    last_visit = Visit.objects.filter(course=course).latest("recorded_at")
    assert advice["since"] == last_visit.recorded_at


def test_demo_physicians_may_lift_a_discontinuation_and_nurses_may_not(demo):
    assert User.objects.get(username="dr.martin").is_physician
    assert not User.objects.get(username="nurse.dubois").is_physician


def test_anakinra_patient_has_one_unexpected_symptom_for_review(demo):
    course = Course.objects.get(therapy__slug="anakinra")
    unexpected = course.flags.filter(expected=False)
    assert [f.term.slug for f in unexpected] == ["palpitations"]
    assert unexpected.get().level == FlagLevel.REVIEW


def test_tocilizumab_fever_is_urgent(demo):
    course = Course.objects.get(therapy__slug="tocilizumab")
    assert course.flags.filter(term__slug="fever", level=FlagLevel.URGENT).exists()


def test_ustekinumab_symptoms_are_expected_and_mild(demo):
    course = Course.objects.get(therapy__slug="ustekinumab")
    assert set(course.flags.values_list("level", flat=True)) == {FlagLevel.INFO}
