"""The combined "possible capillary leak" pattern (domain.md §5.3, derived)."""

import pytest

from tracker.rules import LEVEL_URGENT, Baseline

from .support import (
    ALDESLEUKIN,
    OPRELVEKIN,
    adverse_event,
    answer,
    finding_for,
    flagged_terms,
    report,
    visit,
)

BASELINE = Baseline(weight_kg=100.0)
DIZZY = answer("dizziness", severity=1, interference=0)
BREATHLESS = answer("shortness_of_breath", severity=1, interference=1)


def test_two_signs_raise_no_combined_flag():
    evaluation = report(
        OPRELVEKIN, [answer("swelling", 2, 2, 1)], weight_kg=106.0, baseline=BASELINE
    )
    assert flagged_terms(evaluation) == ["swelling", "weight_gain"]


def test_three_signs_raise_one_urgent_combined_flag():
    evaluation = report(
        OPRELVEKIN,
        [answer("swelling", 2, 2, 1)],
        weight_kg=106.0,
        systolic_bp=85,
        baseline=BASELINE,
    )
    finding = finding_for(evaluation, "capillary_leak")
    assert (finding.level, finding.rule, finding.ctcae_term, finding.expected) == (
        LEVEL_URGENT,
        "possible_capillary_leak",
        "Capillary leak syndrome",
        None,
    )


def test_the_components_are_folded_into_the_combined_flag():
    evaluation = report(
        OPRELVEKIN,
        [answer("swelling", 2, 2, 1), answer("nausea", 1, 1)],
        weight_kg=106.0,
        systolic_bp=85,
        baseline=BASELINE,
    )
    assert flagged_terms(evaluation) == ["capillary_leak", "nausea"]


def test_the_combined_flag_lists_every_sign_with_its_value():
    evaluation = report(
        OPRELVEKIN,
        [answer("swelling", 2, 2, 1)],
        weight_kg=106.0,
        systolic_bp=85,
        urine_output_ml_8h=150.0,
        baseline=BASELINE,
    )
    assert finding_for(evaluation, "capillary_leak").value == (
        "weight gain: Weight gain 6.0 % over baseline (106.0 kg vs 100.0 kg); "
        "swelling: Edema limbs composite grade 2 (frequency 2, severity 2, interference 1); "
        "low urine output: urine output 150 mL in 8 h; "
        "low blood pressure or dizziness: Hypotension 85 mmHg"
    )


def test_the_combined_flag_states_each_folded_findings_own_level_and_rule():
    evaluation = report(
        ALDESLEUKIN,
        [answer("swelling", 2, 2, 1)],
        weight_kg=116.0,
        systolic_bp=85,
        baseline=BASELINE,
    )
    message = finding_for(evaluation, "capillary_leak").message
    assert "(urgent: weight_gain_il2)" in message
    assert "(urgent: systolic_bp_below_90)" in message
    assert "(review: composite_grade)" in message


@pytest.mark.parametrize(("ml_8h", "combined"), [(159.9, True), (160.0, False)])
def test_urine_output_below_160_ml_in_8_hours_is_a_sign(ml_8h, combined):
    evaluation = report(
        OPRELVEKIN,
        [answer("swelling", 2, 2, 1)],
        weight_kg=106.0,
        urine_output_ml_8h=ml_8h,
        baseline=BASELINE,
    )
    assert ("capillary_leak" in flagged_terms(evaluation)) is combined


@pytest.mark.parametrize(("weight_kg", "combined"), [(104.9, False), (105.0, True)])
def test_weight_gain_of_5_percent_is_a_sign(weight_kg, combined):
    evaluation = report(
        OPRELVEKIN,
        [answer("swelling", 2, 2, 1)],
        weight_kg=weight_kg,
        systolic_bp=85,
        baseline=BASELINE,
    )
    assert ("capillary_leak" in flagged_terms(evaluation)) is combined


def test_dizziness_counts_as_the_low_blood_pressure_sign():
    evaluation = report(OPRELVEKIN, [answer("swelling", 1, 1, 0), DIZZY, BREATHLESS])
    assert flagged_terms(evaluation) == ["capillary_leak"]


def test_answers_at_composite_grade_0_are_not_signs():
    evaluation = report(OPRELVEKIN, [answer("swelling", 0), DIZZY, BREATHLESS])
    assert flagged_terms(evaluation) == ["dizziness", "shortness_of_breath"]


def test_clinician_graded_adverse_events_count_as_signs_at_a_visit():
    evaluation = visit(
        ALDESLEUKIN,
        [adverse_event("generalized_edema", 1), adverse_event("shortness_of_breath", 2)],
        systolic_bp=88,
    )
    assert flagged_terms(evaluation) == ["capillary_leak"]


def test_a_clinicians_capillary_leak_grade_joins_the_combined_flag():
    evaluation = visit(
        ALDESLEUKIN,
        [
            adverse_event("generalized_edema", 1),
            adverse_event("shortness_of_breath", 2),
            adverse_event("capillary_leak", 3, "Capillary leak syndrome"),
        ],
        systolic_bp=88,
    )
    finding = finding_for(evaluation, "capillary_leak")
    assert (finding.rule, finding.ctcae_grade) == ("possible_capillary_leak", 3)
    assert "Capillary leak syndrome CTCAE grade 3 (urgent: ctcae_grade)" in finding.message


def test_the_combined_flag_does_not_depend_on_the_order_of_answers():
    answers = [answer("swelling", 1, 1, 0), DIZZY, BREATHLESS]
    assert (
        report(OPRELVEKIN, answers).findings == report(OPRELVEKIN, list(reversed(answers))).findings
    )
