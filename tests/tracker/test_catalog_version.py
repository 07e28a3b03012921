"""Which therapy catalog version judged each flag, and judging old records again only when
someone asks (issue 14: catalog version bumps are visible, never silent)."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests import factories
from therapies.catalog import DEFAULT_PATH, load_catalog
from therapies.models import ExpectedSideEffect, SideEffectTerm, Therapy
from tracker import services
from tracker.models import Flag

pytestmark = pytest.mark.django_db

VERSION = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))["version"]


@pytest.fixture
def psoriasis_course(patient):
    return factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="ustekinumab"),
        indication="Plaque psoriasis",
    )


def report_headache(course, by):
    headache = SideEffectTerm.objects.get(slug="headache")
    return services.submit_report(
        course=course,
        by=by,
        answers=[services.AnswerInput(term=headache, frequency=3, severity=3, interference=3)],
    )


def headache_flags(course):
    return list(Flag.objects.filter(course=course, term__slug="headache").order_by("created_at"))


def test_a_flag_records_the_catalog_version_that_judged_it(psoriasis_course, clinician):
    report = report_headache(psoriasis_course, clinician)

    assert report.flags_raised
    assert {flag.catalog_version for flag in report.flags_raised} == {VERSION}


def test_course_page_shows_the_catalog_version_on_each_flag_row(
    client, clinician, psoriasis_course
):
    report_headache(psoriasis_course, clinician)
    client.force_login(clinician)

    response = client.get(reverse("tracker:course-detail", args=[psoriasis_course.pk]))

    assert f"Judged with therapy catalog version {VERSION}" in response.text


def old_catalog_without_psoriasis_headache(therapy):
    """The catalog as it stood before the psoriasis table was added: no headache."""
    ExpectedSideEffect.objects.filter(therapy=therapy, term__slug="headache").delete()
    Therapy.objects.filter(pk=therapy.pk).update(catalog_version="2026.1")


def test_a_new_catalog_does_not_judge_old_flags_again_silently(psoriasis_course, clinician):
    old_catalog_without_psoriasis_headache(psoriasis_course.therapy)
    psoriasis_course.refresh_from_db()
    (before,) = [
        f
        for f in report_headache(psoriasis_course, clinician).flags_raised
        if f.term.slug == "headache"
    ]
    assert (before.expected, before.catalog_version) == (False, "2026.1")

    load_catalog()

    (still,) = headache_flags(psoriasis_course)
    assert (still.pk, still.expected, still.catalog_version, still.withdrawn) == (
        before.pk,
        False,
        "2026.1",
        False,
    )


def test_rejudge_course_command_judges_again_with_the_current_catalog(psoriasis_course, clinician):
    old_catalog_without_psoriasis_headache(psoriasis_course.therapy)
    psoriasis_course.refresh_from_db()
    report_headache(psoriasis_course, clinician)
    load_catalog()

    call_command("rejudge_course", "--course", str(psoriasis_course.pk), "--by", clinician.username)

    old, *new = headache_flags(psoriasis_course)
    old.refresh_from_db()
    assert old.withdrawn is True
    assert VERSION in old.resolved_note
    # Headache is in Stelara's psoriasis table: now expected, judged by the new version.
    assert [(f.expected, f.catalog_version) for f in new] == [(True, VERSION)]


def test_rejudge_course_needs_a_course_or_all(clinician):
    with pytest.raises(CommandError, match="--course ID"):
        call_command("rejudge_course", "--by", clinician.username)


def test_rejudge_course_refuses_an_unknown_course(clinician):
    with pytest.raises(CommandError, match="No such course"):
        call_command(
            "rejudge_course",
            "--course",
            "00000000-0000-0000-0000-000000000000",
            "--by",
            clinician.username,
        )
