"""Flags from a patient's symptom report: answers and home measurements (PRODUCT.md §4)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.rules import LEVEL_INFO, LEVEL_REVIEW, LEVEL_URGENT, Baseline, GradedAnswer

from .support import (
    ALDESLEUKIN,
    ANAKINRA,
    OPRELVEKIN,
    PATIENT_TERMS,
    TOCILIZUMAB,
    answer,
    finding_for,
    flagged_terms,
    report,
)

# --- Patient answers ---------------------------------------------------------------------------


def test_an_expected_side_effect_at_composite_grade_1_is_info():
    finding = finding_for(report(ANAKINRA, [answer("nausea", 1, 1)]), "nausea")
    assert (finding.level, finding.rule, finding.composite_grade) == (
        LEVEL_INFO,
        "composite_grade",
        1,
    )


def test_an_expected_side_effect_at_composite_grade_2_needs_review():
    finding = finding_for(report(ANAKINRA, [answer("nausea", 2, 2)]), "nausea")
    assert (finding.level, finding.rule, finding.composite_grade) == (
        LEVEL_REVIEW,
        "composite_grade",
        2,
    )


def test_an_unexpected_side_effect_at_composite_grade_1_needs_review():
    finding = finding_for(
        report(ANAKINRA, [answer("fatigue", severity=1, interference=0)]), "fatigue"
    )
    assert (finding.level, finding.rule, finding.expected) == (
        LEVEL_REVIEW,
        "unexpected_side_effect",
        False,
    )


def test_composite_grade_3_is_urgent():
    finding = finding_for(report(ANAKINRA, [answer("nausea", 3, 3)]), "nausea")
    assert (finding.level, finding.rule) == (LEVEL_URGENT, "composite_grade")


def test_composite_grade_0_raises_no_flag():
    assert report(ANAKINRA, [answer("nausea", 0)]).findings == ()


def test_an_unanswered_item_raises_no_flag():
    assert report(ANAKINRA, [answer("nausea", frequency=3)]).findings == ()


def test_a_finding_shows_the_answers_behind_the_composite_grade():
    finding = finding_for(report(ANAKINRA, [answer("nausea", 3, 3)]), "nausea")
    assert finding.value == "composite grade 3 (frequency 3, severity 3)"
    assert finding.threshold == "composite grade 3"
    assert finding.source == "Basch et al., Clin Trials 2021 (PRO-CTCAE composite grading)"


def test_each_answer_is_returned_with_its_composite_grade_and_expectedness():
    evaluation = report(
        ANAKINRA,
        [answer("nausea", 3, 2), answer("fatigue", severity=0), answer("rash", present=True)],
    )
    assert evaluation.graded_answers == (
        GradedAnswer("nausea", 2, True),
        GradedAnswer("fatigue", 0, False),
        GradedAnswer("rash", None, False),
    )


def test_a_rise_of_exactly_2_grades_is_flagged_as_worsening():
    finding = finding_for(
        report(ANAKINRA, [answer("nausea", 2, 2)], previous={"nausea": 0}), "nausea"
    )
    assert finding.level == LEVEL_REVIEW
    assert (
        "Worsening: grade 0 → 2, 2 grades worse than its previous grade in this course."
        in finding.message
    )


def test_a_rise_of_1_grade_adds_nothing():
    finding = finding_for(
        report(ANAKINRA, [answer("nausea", 2, 2)], previous={"nausea": 1}), "nausea"
    )
    assert "Worse" not in finding.message


def test_several_rules_on_one_term_give_one_finding_at_the_highest_level():
    evaluation = report(
        ANAKINRA, [answer("fatigue", severity=4, interference=4)], previous={"fatigue": 1}
    )
    finding = finding_for(evaluation, "fatigue")
    assert (finding.level, finding.rule) == (LEVEL_URGENT, "composite_grade")
    assert finding.message == (
        "Patient reports Fatigue at PRO-CTCAE composite grade 3. "
        "Not an expected side effect of Anakinra. "
        "Worsening: grade 1 → 3, 2 grades worse than its previous grade in this course."
    )


def test_the_same_term_answered_twice_gives_one_finding_for_the_worse_answer():
    evaluation = report(ANAKINRA, [answer("nausea", 1, 1), answer("nausea", 3, 3)])
    assert finding_for(evaluation, "nausea").composite_grade == 3


# --- Presence items ----------------------------------------------------------------------------


def test_bleeding_reported_present_is_urgent():
    finding = finding_for(report(ALDESLEUKIN, [answer("bleeding", present=True)]), "bleeding")
    assert (finding.level, finding.rule, finding.composite_grade) == (
        LEVEL_URGENT,
        "bleeding_present",
        None,
    )


@pytest.mark.parametrize("present", [False, None])
def test_bleeding_not_reported_present_raises_no_flag(present):
    assert report(ALDESLEUKIN, [answer("bleeding", present=present)]).findings == ()


def test_new_confusion_reported_present_is_urgent_even_when_expected():
    finding = finding_for(report(ALDESLEUKIN, [answer("confusion", present=True)]), "confusion")
    assert (finding.level, finding.rule) == (LEVEL_URGENT, "confusion_present")
    assert "derived" in finding.source


def test_an_expected_presence_item_reported_present_is_info():
    finding = finding_for(report(ALDESLEUKIN, [answer("rash", present=True)]), "rash")
    assert (finding.level, finding.rule) == (LEVEL_INFO, "symptom_present")


def test_an_unexpected_presence_item_reported_present_needs_review():
    finding = finding_for(report(ANAKINRA, [answer("bruising", present=True)]), "bruising")
    assert (finding.level, finding.rule) == (LEVEL_REVIEW, "unexpected_side_effect")


# --- Home measurements -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("temperature_c", "level", "grade"),
    [
        (37.9, None, None),
        (38.0, LEVEL_INFO, 1),
        (39.0, LEVEL_INFO, 1),
        (39.1, LEVEL_REVIEW, 2),
        (40.0, LEVEL_REVIEW, 2),
        (40.1, LEVEL_URGENT, 3),
    ],
)
def test_expected_fever_is_flagged_by_its_ctcae_grade(temperature_c, level, grade):
    evaluation = report(ALDESLEUKIN, temperature_c=temperature_c)
    if level is None:
        assert evaluation.findings == ()
    else:
        finding = finding_for(evaluation, "fever")
        assert (finding.level, finding.ctcae_grade, finding.rule) == (level, grade, "ctcae_grade")


def test_a_fever_finding_names_value_threshold_and_source():
    finding = finding_for(report(ALDESLEUKIN, temperature_c=38.5), "fever")
    assert (finding.value, finding.threshold, finding.source) == (
        "38.5 °C",
        "≥ 38.0 °C",
        "NCI CTCAE v5.0 – Fever",
    )


@pytest.mark.parametrize(("temperature_c", "flagged"), [(37.9, False), (38.0, True)])
def test_any_fever_on_an_il6_blocker_is_urgent(temperature_c, flagged):
    evaluation = report(TOCILIZUMAB, temperature_c=temperature_c)
    if flagged:
        finding = finding_for(evaluation, "fever")
        assert (finding.level, finding.rule) == (LEVEL_URGENT, "fever_on_il6_blocker")
    else:
        assert evaluation.findings == ()


def test_fever_on_a_therapy_that_does_not_list_it_needs_review():
    finding = finding_for(report(ANAKINRA, temperature_c=38.5), "fever")
    assert (finding.level, finding.rule, finding.ctcae_grade) == (
        LEVEL_REVIEW,
        "unexpected_side_effect",
        1,
    )


@pytest.mark.parametrize(
    ("measurement", "value", "term", "rule"),
    [
        ("systolic_bp", 89, "hypotension", "systolic_bp_below_90"),
        ("spo2", 89.0, "hypoxia", "spo2_below_90"),
        ("heart_rate", 131, "tachycardia", "heart_rate_above_130"),
    ],
)
def test_a_red_flag_vital_sign_is_urgent(measurement, value, term, rule):
    finding = finding_for(report(ALDESLEUKIN, **{measurement: value}), term)
    assert (finding.level, finding.rule, finding.ctcae_grade) == (LEVEL_URGENT, rule, None)


@pytest.mark.parametrize(
    ("measurement", "value"), [("systolic_bp", 90), ("spo2", 90.0), ("heart_rate", 130)]
)
def test_a_vital_sign_at_the_red_flag_threshold_raises_no_flag(measurement, value):
    assert report(ALDESLEUKIN, **{measurement: value}).findings == ()


def test_a_heart_rate_of_100_is_not_a_flag_outside_dose_advice():
    assert report(ALDESLEUKIN, heart_rate=100).findings == ()


def test_a_low_blood_pressure_finding_names_value_threshold_and_source():
    finding = finding_for(report(ALDESLEUKIN, systolic_bp=84.0), "hypotension")
    assert (finding.value, finding.threshold) == ("84 mmHg", "< 90 mmHg")
    assert "Proleukin label 2023, Table 2" in finding.source


@pytest.mark.parametrize(
    ("weight_kg", "level", "grade"),
    [
        (104.9, None, None),
        (105.0, LEVEL_INFO, 1),
        (109.9, LEVEL_INFO, 1),
        (110.0, LEVEL_REVIEW, 2),
        (119.9, LEVEL_REVIEW, 2),
        (120.0, LEVEL_URGENT, 3),
    ],
)
def test_weight_gain_is_flagged_by_its_ctcae_grade(weight_kg, level, grade):
    evaluation = report(OPRELVEKIN, weight_kg=weight_kg, baseline=Baseline(weight_kg=100.0))
    if level is None:
        assert evaluation.findings == ()
    else:
        finding = finding_for(evaluation, "weight_gain")
        assert (finding.level, finding.ctcae_grade) == (level, grade)


@pytest.mark.parametrize(
    ("weight_kg", "level", "rule"),
    [(115.0, LEVEL_REVIEW, "ctcae_grade"), (115.1, LEVEL_URGENT, "weight_gain_il2")],
)
def test_weight_gain_over_15_percent_is_urgent_on_high_dose_il2(weight_kg, level, rule):
    evaluation = report(ALDESLEUKIN, weight_kg=weight_kg, baseline=Baseline(weight_kg=100.0))
    finding = finding_for(evaluation, "weight_gain")
    assert (finding.level, finding.rule, finding.ctcae_grade) == (level, rule, 2)


def test_weight_is_not_graded_without_a_baseline_weight():
    assert report(OPRELVEKIN, weight_kg=120.0).findings == ()


@pytest.mark.parametrize(("ml_8h", "flagged"), [(79.9, True), (80.0, False)])
def test_urine_output_below_80_ml_in_8_hours_is_urgent(ml_8h, flagged):
    evaluation = report(ALDESLEUKIN, urine_output_ml_8h=ml_8h)
    if flagged:
        finding = finding_for(evaluation, "oliguria")
        assert (finding.level, finding.ctcae_grade) == (LEVEL_URGENT, 3)
    else:
        assert evaluation.findings == ()


@pytest.mark.parametrize(
    ("platelets", "level", "grade"),
    [
        (150.0, None, None),
        (149.9, LEVEL_INFO, 1),
        (75.0, LEVEL_INFO, 1),
        (74.9, LEVEL_REVIEW, 2),
        (50.0, LEVEL_REVIEW, 2),
        (49.9, LEVEL_URGENT, 3),
        (24.9, LEVEL_URGENT, 4),
    ],
)
def test_platelet_count_is_flagged_by_its_ctcae_grade(platelets, level, grade):
    evaluation = report(ALDESLEUKIN, platelets_10e9_per_l=platelets)
    if level is None:
        assert evaluation.findings == ()
    else:
        finding = finding_for(evaluation, "platelets_decreased")
        assert (finding.level, finding.ctcae_grade) == (level, grade)


def test_measured_grades_list_each_graded_measurement_at_grade_1_or_more():
    evaluation = report(
        ALDESLEUKIN,
        temperature_c=38.4,
        weight_kg=111.0,
        platelets_10e9_per_l=200.0,
        systolic_bp=85,
        baseline=Baseline(weight_kg=100.0),
    )
    assert evaluation.measured_grades == {"fever": 1, "weight_gain": 2}


def test_findings_come_most_urgent_first():
    evaluation = report(
        ANAKINRA, [answer("nausea", 1, 1), answer("headache", 2, 2, 2)], systolic_bp=85
    )
    assert [f.level for f in evaluation.findings] == [LEVEL_URGENT, LEVEL_REVIEW, LEVEL_INFO]


# --- Properties --------------------------------------------------------------------------------

_score = st.one_of(st.none(), st.integers(min_value=0, max_value=4))
_answers = st.lists(
    st.builds(
        answer,
        st.sampled_from(sorted(PATIENT_TERMS)),
        _score,
        _score,
        _score,
        st.one_of(st.none(), st.booleans()),
    ),
    max_size=8,
)


@given(answers=_answers, data=st.data())
def test_findings_do_not_depend_on_the_order_of_answers(answers, data):
    shuffled = data.draw(st.permutations(answers))
    assert report(ANAKINRA, shuffled).findings == report(ANAKINRA, answers).findings


@given(answers=_answers)
def test_every_term_that_reached_a_level_has_one_finding_or_is_folded_into_one(answers):
    evaluation = report(ANAKINRA, answers)
    terms = flagged_terms(evaluation)
    assert len(terms) == len(set(terms))
    folded = " ".join(f.message for f in evaluation.findings if f.term == "capillary_leak")
    for a in answers:
        graded = composite_grade_of(evaluation, a.term.slug) or (a.term.presence and a.present)
        if graded:
            assert a.term.slug in terms or a.term.ctcae_term in folded


def composite_grade_of(evaluation, slug):
    return max(g.composite_grade or 0 for g in evaluation.graded_answers if g.term == slug)
