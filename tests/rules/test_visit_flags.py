"""Flags from a clinician's visit: CTCAE-graded adverse events, vitals and labs."""

import pytest

from tracker.rules import LEVEL_INFO, LEVEL_REVIEW, LEVEL_URGENT, Baseline

from .support import ALDESLEUKIN, ANAKINRA, adverse_event, finding_for, visit


@pytest.mark.parametrize(
    ("grade", "level"),
    [(1, LEVEL_INFO), (2, LEVEL_REVIEW), (3, LEVEL_URGENT), (4, LEVEL_URGENT), (5, LEVEL_URGENT)],
)
def test_an_expected_adverse_event_is_flagged_by_its_ctcae_grade(grade, level):
    finding = finding_for(visit(ALDESLEUKIN, [adverse_event("chills", grade)]), "chills")
    assert (finding.level, finding.rule, finding.ctcae_grade) == (level, "ctcae_grade", grade)


def test_an_adverse_event_finding_names_grade_threshold_and_source():
    finding = finding_for(visit(ALDESLEUKIN, [adverse_event("chills", 3, "Chills")]), "chills")
    assert (finding.value, finding.threshold, finding.source) == (
        "CTCAE grade 3",
        "CTCAE grade ≥ 3",
        "NCI CTCAE v5.0 – Chills",
    )


def test_an_unexpected_adverse_event_at_grade_1_needs_review():
    finding = finding_for(visit(ANAKINRA, [adverse_event("hypertension", 1)]), "hypertension")
    assert (finding.level, finding.rule, finding.expected) == (
        LEVEL_REVIEW,
        "unexpected_side_effect",
        False,
    )


def test_an_adverse_event_at_grade_0_raises_no_flag():
    assert visit(ALDESLEUKIN, [adverse_event("chills", 0)]).findings == ()


def test_an_adverse_event_2_grades_worse_than_at_the_last_visit_is_flagged_as_worsening():
    finding = finding_for(
        visit(ALDESLEUKIN, [adverse_event("chills", 3)], previous={"chills": 1}), "chills"
    )
    assert (
        "Worsening: grade 1 → 3, 2 grades worse than its previous grade in this course."
        in finding.message
    )


def test_an_adverse_event_1_grade_worse_adds_nothing():
    finding = finding_for(
        visit(ALDESLEUKIN, [adverse_event("chills", 2)], previous={"chills": 1}), "chills"
    )
    assert "Worse" not in finding.message


def test_an_adverse_event_and_a_measurement_of_the_same_term_give_one_finding():
    evaluation = visit(ALDESLEUKIN, [adverse_event("fever", 2)], temperature_c=38.5)
    finding = finding_for(evaluation, "fever")
    assert (finding.level, finding.ctcae_grade) == (LEVEL_REVIEW, 2)
    assert evaluation.measured_grades == {"fever": 1}


def test_a_clinicians_capillary_leak_is_graded_like_any_adverse_event():
    finding = finding_for(
        visit(ALDESLEUKIN, [adverse_event("capillary_leak", 2)]), "capillary_leak"
    )
    assert (finding.level, finding.rule, finding.ctcae_grade) == (LEVEL_REVIEW, "ctcae_grade", 2)


@pytest.mark.parametrize(
    ("creatinine", "level", "grade"),
    [
        (1.2, None, None),
        (1.21, LEVEL_INFO, 1),
        (1.8, LEVEL_INFO, 1),
        (1.81, LEVEL_REVIEW, 2),
        (3.6, LEVEL_REVIEW, 2),
        (3.61, LEVEL_URGENT, 3),
        (7.21, LEVEL_URGENT, 4),
    ],
)
def test_creatinine_is_flagged_by_its_ctcae_grade_against_the_uln(creatinine, level, grade):
    evaluation = visit(
        ALDESLEUKIN, creatinine_mg_dl=creatinine, baseline=Baseline(creatinine_uln_mg_dl=1.2)
    )
    if level is None:
        assert evaluation.findings == ()
    else:
        finding = finding_for(evaluation, "creatinine_increased")
        assert (finding.level, finding.ctcae_grade) == (level, grade)


def test_a_creatinine_rise_against_the_baseline_says_so_in_its_threshold():
    evaluation = visit(
        ALDESLEUKIN,
        creatinine_mg_dl=1.0,
        baseline=Baseline(creatinine_mg_dl=0.5, creatinine_uln_mg_dl=1.2),
    )
    finding = finding_for(evaluation, "creatinine_increased")
    assert (finding.ctcae_grade, finding.threshold) == (2, "> 1.5 × baseline (0.75 mg/dL)")


def test_platelets_are_graded_against_the_courses_lower_limit_of_normal():
    evaluation = visit(
        ALDESLEUKIN, platelets_10e9_per_l=145.0, baseline=Baseline(platelets_lln_10e9_per_l=140.0)
    )
    assert evaluation.findings == ()


def test_a_visit_returns_no_graded_answers():
    assert visit(ALDESLEUKIN, [adverse_event("chills", 1)]).graded_answers == ()
