"""Creating and editing a course; the course page and its charts."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories
from therapies.models import Therapy
from tracker import charts, services
from tracker.models import Course, DoseStatus
from tracker.views import clinician as clinician_views

from .conftest import htmx, term

pytestmark = pytest.mark.django_db


def course_form_data(therapy, care_team, **overrides):
    return {
        "therapy": therapy.pk,
        "indication": "Rheumatoid arthritis",
        "regimen": "",
        "status": "active",
        "start_date": "2026-03-02",
        "end_date": "",
        "care_team": care_team.pk,
        "baseline_weight_kg_0": "154",
        "baseline_weight_kg_1": "lb",
        "baseline_temperature_c_0": "98.6",
        "baseline_temperature_c_1": "F",
        "baseline_systolic_bp": "124",
        "baseline_diastolic_bp": "78",
        "baseline_heart_rate": "70",
        "baseline_creatinine_mg_dl": "0.9",
        "creatinine_uln_mg_dl": "1.2",
        "platelets_lln_10e9_per_l": "150",
        **overrides,
    }


# --- Create and edit ------------------------------------------------------------------------------


def test_create_a_course_with_the_therapys_regimen_and_baselines_in_si(
    client, clinician, patient, care_team
):
    anakinra = Therapy.objects.get(slug="anakinra")
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:course-create", args=[patient.pk]),
        course_form_data(anakinra, care_team),
    )
    course = Course.objects.get(patient=patient)
    assert response["Location"] == reverse("tracker:course-detail", args=[course.pk])
    assert course.regimen == anakinra.regimen
    assert course.baseline_weight_kg == Decimal("69.9")  # 154 lb
    assert course.baseline_temperature_c == Decimal("37.0")  # 98.6 °F
    assert course.created_by == clinician


def test_a_typed_regimen_is_kept(client, clinician, patient, care_team):
    client.force_login(clinician)
    client.post(
        reverse("tracker:course-create", args=[patient.pk]),
        course_form_data(Therapy.objects.get(slug="anakinra"), care_team, regimen="100 mg daily"),
    )
    assert Course.objects.get(patient=patient).regimen == "100 mg daily"


def test_the_care_team_must_be_one_of_the_clinicians(
    client, clinician, patient, care_team, other_care_team
):
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:course-create", args=[patient.pk]),
        course_form_data(Therapy.objects.get(slug="anakinra"), other_care_team),
    )
    assert response.status_code == 200
    assert "care_team" in response.context["form"].errors
    assert not Course.objects.exists()


def test_a_withdrawn_therapy_is_not_offered(client, clinician, patient, care_team):
    withdrawn = Therapy.objects.get(slug="oprelvekin")
    withdrawn.is_active = False
    withdrawn.save()
    client.force_login(clinician)
    form = client.get(reverse("tracker:course-create", args=[patient.pk])).context["form"]
    assert withdrawn not in form.fields["therapy"].queryset


def test_bad_baselines_are_refused_at_the_field(client, clinician, patient, care_team):
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:course-create", args=[patient.pk]),
        course_form_data(
            Therapy.objects.get(slug="anakinra"),
            care_team,
            baseline_temperature_c_0="98.6",
            baseline_temperature_c_1="C",
            baseline_systolic_bp="1200",
        ),
    )
    errors = response.context["form"].errors
    assert "Was it in °F?" in errors["baseline_temperature_c"][0]
    assert "baseline_systolic_bp" in errors
    assert not Course.objects.exists()
    assert 'value="1200"' in response.text  # what was typed is shown again


def test_regimen_fragment_fills_the_therapys_regimen(client, clinician):
    tocilizumab = Therapy.objects.get(slug="tocilizumab")
    client.force_login(clinician)
    response = client.get(reverse("tracker:therapy-regimen"), {"therapy": tocilizumab.pk}, **htmx())
    assert 'id="div_id_regimen"' in response.text
    assert tocilizumab.regimen.split("\n")[0][:40] in response.text


def test_editing_a_course_needs_a_reason_kept_in_history(client, clinician, course, care_team):
    client.force_login(clinician)
    url = reverse("tracker:course-edit", args=[course.pk])
    data = course_form_data(course.therapy, care_team, status="stopped", start_date="2026-03-01")
    response = client.post(url, data)
    assert "reason" in response.context["form"].errors
    course.refresh_from_db()
    assert course.status == "active"

    client.post(url, {**data, "reason": "Stopped for infection"})
    course.refresh_from_db()
    assert course.status == "stopped"
    latest = course.history.latest()
    assert latest.history_change_reason == "Stopped for infection"
    assert latest.history_user == clinician


def test_editing_nothing_saves_no_version(client, clinician, course, care_team):
    course.regimen = course.therapy.regimen  # an empty regimen would be filled in
    course.save()
    client.force_login(clinician)
    form = client.get(reverse("tracker:course-edit", args=[course.pk])).context["form"]
    versions = course.history.count()
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(
        {
            "therapy": course.therapy.pk,
            "care_team": care_team.pk,
            "start_date": course.start_date.isoformat(),
            "baseline_weight_kg_0": "70.0",
            "baseline_weight_kg_1": "kg",
            "baseline_temperature_c_0": "36.8",
            "baseline_temperature_c_1": "C",
            "reason": "checking",
        }
    )
    response = client.post(reverse("tracker:course-edit", args=[course.pk]), data, follow=True)
    assert "Nothing was changed." in response.text
    assert course.history.count() == versions


# --- Course page ----------------------------------------------------------------------------------


def visit(course, by, hours_ago, **measurements):
    return services.record_visit(
        course=course,
        by=by,
        recorded_at=timezone.now() - datetime.timedelta(hours=hours_ago),
        measurements=measurements,
        adverse_events=[services.AdverseEventEntry(term=term("chills"), grade=2)],
    ).visit


def test_course_page_shows_side_effects_against_the_expected_set(client, clinician, il2_course):
    visit(il2_course, clinician, 2, systolic_bp=118)
    services.submit_report(
        course=il2_course,
        by=clinician,
        answers=[services.AnswerInput(term=term("palpitations"), frequency=2, severity=1)],
    )
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    rows = {row.term.slug: row for row in response.context["summary"].side_effects}
    assert rows["chills"].expected is True
    assert rows["chills"].worst_ctcae_grade == 2
    assert rows["palpitations"].expected is False
    assert "Not expected" in response.text


def test_course_page_shows_the_high_dose_il2_dose_advice(client, clinician, il2_course):
    visit(il2_course, clinician, 1, systolic_bp=82)
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    assert response.context["dose_advice"]["decision"] == "hold"
    assert "Systolic BP 82 mmHg &lt; 90 mmHg" in response.text
    assert 'id="dose-advice"' in response.text


def test_dose_advice_is_not_shown_for_other_therapies(client, clinician, course):
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-detail", args=[course.pk]))
    assert 'id="dose-advice"' not in response.text


def test_course_page_draws_its_charts_named_and_beside_their_tables(client, clinician, il2_course):
    visit(il2_course, clinician, 1, systolic_bp=82, temperature_c=Decimal("38.5"))
    client.force_login(clinician)
    text = client.get(reverse("tracker:course-detail", args=[il2_course.pk])).text
    # Drawn in the page (no request per chart), each named by a title for assistive technology.
    for chart, name in (
        ("timeline", "Timeline of side-effect grades"),
        ("vitals", "Systolic blood pressure (threshold 90 mmHg)"),
    ):
        assert re.search(
            rf'<svg [^>]*role="img" aria-labelledby="{chart}-chart-title"[^>]*>'
            rf'<title id="{chart}-chart-title">{re.escape(name)}',
            text,
        )
    assert "/charts/" not in text
    assert 'class="grade-point"' in text
    assert 'class="threshold-systolic_bp-90"' in text
    # The data stay beside the charts as tables.
    assert 'id="grade-points"' in text
    assert 'id="vitals-table"' in text


def test_course_page_charts_need_no_inline_style_and_repeat_no_id(client, clinician, il2_course):
    # The site's policy is style-src 'self' (config/settings.py): a style attribute or a <style>
    # element in the page would be blocked, and ids must be unique in a document (HTML §3.2.6).
    visit(il2_course, clinician, 1, systolic_bp=82, temperature_c=Decimal("38.5"))
    services.submit_report(
        course=il2_course,
        by=clinician,
        answers=[services.AnswerInput(term=term("nausea"), frequency=2, severity=2)],
    )
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    text = response.text
    assert "style-src 'self';" in response["Content-Security-Policy"] + ";"
    assert "<svg" in text
    assert "<style" not in text
    assert not re.search(r"\sstyle=", text)
    ids = re.findall(r'\sid="([^"]+)"', text)
    assert len(ids) == len(set(ids))
    # Every reference inside the charts (clip paths, markers) points at an id of the page.
    drawn = "".join(re.findall(r"<svg .*?</svg>", text, flags=re.S))
    references = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', drawn)
    assert references
    for in_url, in_href in references:
        assert (in_url or in_href) in ids


def test_a_chart_link_serves_the_chart_the_page_drew(
    client, clinician, il2_course, django_assert_num_queries
):
    visit(il2_course, clinician, 1, systolic_bp=82)
    client.force_login(clinician)
    client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    # The page kept its charts under the charts' version: a link for it (PDF, bookmarks) is
    # served after the session, the user and the scoped lookup alone.
    url = reverse("tracker:course-chart-vitals", args=[il2_course.pk])
    url = f"{url}?v={charts.course_version(il2_course)}"
    with django_assert_num_queries(3):
        response = client.get(url)
    assert response.status_code == 200
    assert 'id="threshold-systolic_bp-90"' in response.text


def test_course_page_without_data_has_no_chart_images(client, clinician, course):
    client.force_login(clinician)
    text = client.get(reverse("tracker:course-detail", args=[course.pk])).text
    assert "/charts/" not in text
    assert "No graded side effect yet." in text


@pytest.mark.parametrize("rows", [2, 5])
def test_course_page_query_count_does_not_grow_with_rows(
    client, clinician, il2_course, rows, django_assert_num_queries
):
    _long_course(il2_course, clinician, visits=rows)
    services.submit_report(
        course=il2_course,
        by=clinician,
        answers=[services.AnswerInput(term=term("nausea"), frequency=2, severity=2)],
    )
    client.force_login(clinician)
    url = reverse("tracker:course-detail", args=[il2_course.pk])
    # 1 session, 2 user, 3 the course with patient, therapy and care team (scoped fetch);
    # 4 the course's version (tracker/course_page.py), then the kept body not found (the
    # tests' cache is in memory: no query); build_summary: 5 the course again, 6 expected
    # terms, 7 doses, 8 reports, 9 their answers, 10 visits, 11 their adverse events, 12
    # flags, 13 dose advice overrides (high-dose IL-2); 14 visits, 15 reports and 16 doses
    # entered in error; 17 the latest photos; 18 the navigation count.
    with django_assert_num_queries(18):
        response = client.get(url)
    assert len(response.context["records"]) == rows + 1
    # Unchanged, the course is served from the kept body: 1 session, 2 user, 3 the course,
    # 4 its version; the dose advice judged now from 5 doses, 6 visits, 7 their adverse
    # events and 8 the overrides; 9 the navigation count.
    with django_assert_num_queries(9):
        client.get(url)


def _long_course(course, clinician, visits=4):
    for index in range(visits):
        visit(course, clinician, visits - index, systolic_bp=100 + index)
        services.record_dose(
            course=course,
            by=clinician,
            dose_number=index + 1,
            scheduled_at=timezone.now() - datetime.timedelta(hours=visits - index),
            status=DoseStatus.GIVEN,
        )


def test_course_page_lists_the_latest_rows_with_their_total(
    client, clinician, il2_course, monkeypatch
):
    monkeypatch.setattr(clinician_views, "RECENT_ROWS", 2)
    _long_course(il2_course, clinician)
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    records = response.context["records"]
    assert len(records) == 2
    assert records[0].recorded_at > records[1].recorded_at  # newest first
    assert response.context["counts"]["records"] == {"shown": 2, "total": 4}
    assert [d.dose_number for d in response.context["doses"]] == [3, 4]
    assert len(response.context["vitals_rows"]) == 2
    text = response.text
    assert "2 of 4 shown." in text
    assert 'href="?all=1#records-heading"' in text
    # The side-effect table still covers the whole course.
    (chills,) = [r for r in response.context["summary"].side_effects if r.term.slug == "chills"]
    assert chills.times_reported == 4


def test_course_page_lists_everything_on_request(client, clinician, il2_course, monkeypatch):
    monkeypatch.setattr(clinician_views, "RECENT_ROWS", 2)
    _long_course(il2_course, clinician)
    client.force_login(clinician)
    url = reverse("tracker:course-detail", args=[il2_course.pk])
    with CaptureQueriesContext(connection) as latest:
        client.get(url)
    with CaptureQueriesContext(connection) as everything:
        response = client.get(url, {"all": "1"})
    assert len(everything) == len(latest)
    assert len(response.context["records"]) == 4
    assert len(response.context["doses"]) == 4
    assert "of 4 shown" not in response.text
    assert 'id="showing-all"' in response.text


def test_course_page_lists_every_urgent_flag_whatever_the_limit(
    client, clinician, il2_course, monkeypatch
):
    monkeypatch.setattr(clinician_views, "RECENT_ROWS", 1)
    for hours_ago in (3, 2, 1):
        visit(il2_course, clinician, hours_ago, systolic_bp=82)  # below 90: urgent
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    unresolved = [f for f in response.context["summary"].flags if f.status != "resolved"]
    urgent = [f for f in unresolved if f.level == "urgent"]
    assert len(urgent) >= 3
    assert set(urgent) <= set(response.context["unresolved_flags"])


@pytest.mark.parametrize("chart", ["timeline", "vitals"])
def test_chart_is_served_as_svg(client, clinician, il2_course, chart):
    visit(il2_course, clinician, 1, systolic_bp=82)
    client.force_login(clinician)
    response = client.get(reverse(f"tracker:course-chart-{chart}", args=[il2_course.pk]))
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<?xml")


def test_timeline_draws_the_grades(client, clinician, il2_course):
    visit(il2_course, clinician, 1, systolic_bp=82)
    client.force_login(clinician)
    svg = client.get(reverse("tracker:course-chart-timeline", args=[il2_course.pk])).text
    assert 'id="grade-point' in svg


def test_vitals_chart_draws_the_thresholds(client, clinician, il2_course):
    visit(il2_course, clinician, 1, systolic_bp=82)
    client.force_login(clinician)
    svg = client.get(reverse("tracker:course-chart-vitals", args=[il2_course.pk])).text
    assert 'id="threshold-systolic_bp-90"' in svg


@pytest.mark.parametrize("chart", ["timeline", "vitals"])
def test_chart_without_data_is_404(client, clinician, course, chart):
    client.force_login(clinician)
    assert client.get(reverse(f"tracker:course-chart-{chart}", args=[course.pk])).status_code == 404


def test_entered_in_error_visits_leave_the_page_but_stay_listed_with_history(
    client, clinician, il2_course
):
    wrong = visit(il2_course, clinician, 1, systolic_bp=82)
    services.mark_entered_in_error(record=wrong, by=clinician, reason="Wrong patient")
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-detail", args=[il2_course.pk]))
    assert response.context["summary"].side_effects == []
    assert response.context["in_error"] == [wrong]
    assert "Wrong patient" in response.text
    assert reverse("tracker:record-history", args=["visit", wrong.pk]) in response.text


def test_other_course_flags_stay_out(client, clinician, course):
    other = factories.CourseFactory(patient=course.patient)
    visit(other, clinician, 1, systolic_bp=82)
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-detail", args=[course.pk]))
    assert response.context["unresolved_flags"] == []


# --- The regimen box reads citations, never the catalog's source keys -----------------------------

# A catalog source key as the catalog's texts cite it ("[PL-DOSE]").
SOURCE_KEY = re.compile(r"\[[A-Z0-9][A-Za-z0-9-]*\]")


def _regimen_box(response):
    """The regimen text box's text as a browser shows it (without the newline after the tag)."""
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", response.text, re.S)[1]
    return html.unescape(text.removeprefix("\n"))


@pytest.mark.parametrize(
    ("language", "opening", "citation"),
    [
        # PL-DOSE: the Proleukin US label revised 2024-12-20 (catalog.json "sources").
        ("en", "600,000 IU/kg (0.037 mg/kg) IV over 15 minutes", "(Proleukin label, 2024)"),
        ("fr", "600 000 UI/kg (0,037 mg/kg) IV en 15 minutes", "(notice de Proleukin, 2024)"),
    ],
)
def test_the_regimen_filled_from_the_catalog_reads_citations_in_the_readers_language(
    client, clinician, language, opening, citation
):
    il2 = Therapy.objects.get(slug="aldesleukin-high-dose")
    assert SOURCE_KEY.search(il2.regimen)  # the keys stay in the data
    client.force_login(clinician)
    response = client.get(
        reverse("tracker:therapy-regimen"),
        {"therapy": il2.pk},
        HTTP_ACCEPT_LANGUAGE=language,
        **htmx(),
    )
    box = _regimen_box(response)
    assert not SOURCE_KEY.search(box), box
    assert box.startswith(opening)
    assert citation in box


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_course_saved_with_the_filled_regimen_keeps_the_catalogs_regimen(
    client, clinician, patient, care_team, language
):
    il2 = Therapy.objects.get(slug="aldesleukin-high-dose")
    client.force_login(clinician)
    filled = _regimen_box(
        client.get(
            reverse("tracker:therapy-regimen"),
            {"therapy": il2.pk},
            HTTP_ACCEPT_LANGUAGE=language,
            **htmx(),
        )
    )
    client.post(
        reverse("tracker:course-create", args=[patient.pk]),
        course_form_data(il2, care_team, regimen=filled.replace("\n", "\r\n")),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    course = Course.objects.get(patient=patient)
    # Kept as the catalog's regimen, so each reader reads it in their own language.
    assert course.regimen == il2.regimen
    with translation.override("fr"):
        assert course.regimen_text.startswith("600 000 UI/kg")
    with translation.override("en"):
        assert course.regimen_text.startswith("600,000 IU/kg")


def test_the_edit_form_shows_the_courses_regimen_with_citations(
    client, clinician, course, care_team
):
    course.regimen = course.therapy.regimen
    course.save()
    assert SOURCE_KEY.search(course.regimen)
    client.force_login(clinician)
    response = client.get(reverse("tracker:course-edit", args=[course.pk]))
    box = _regimen_box(response)
    assert not SOURCE_KEY.search(box), box
    assert box == course.therapy.regimen_text
