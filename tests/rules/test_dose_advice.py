"""High-dose IL-2 dose advice: label withhold triggers, Dutcher 2014 relative and absolute
criteria, and the SpringerPlus 2015 combining rule (domain.md §4)."""

import pytest

from tracker.rules import Baseline, DoseAdvice, Measurements, dose_advice

from .support import ALDESLEUKIN, ANAKINRA, NO_BASELINE, adverse_event

GIVE, HOLD, DISCONTINUE = "give", "hold", "discontinue"


def advise(events=(), holds_so_far=0, baseline=NO_BASELINE, therapy=ALDESLEUKIN, **measurements):
    return dose_advice(
        therapy=therapy,
        measurements=Measurements(**measurements),
        adverse_events=list(events),
        baseline=baseline,
        holds_so_far=holds_so_far,
    )


def test_only_high_dose_il2_gets_dose_advice():
    assert advise(therapy=ANAKINRA, heart_rate=140) is None


def test_a_dose_is_given_when_no_criterion_is_met():
    assert advise(heart_rate=90, systolic_bp=110, spo2=97.0) == DoseAdvice(GIVE, ())


@pytest.mark.parametrize(
    ("measurements", "decision"),
    [
        ({"systolic_bp": 89}, HOLD),
        ({"systolic_bp": 90}, GIVE),
        ({"spo2": 89.0}, HOLD),
        ({"spo2": 90.0}, GIVE),
        ({"heart_rate": 99}, GIVE),
        ({"heart_rate": 100}, HOLD),
        ({"heart_rate": 130}, HOLD),
        ({"heart_rate": 131}, DISCONTINUE),
        ({"urine_output_ml_8h": 79.9}, DISCONTINUE),
        ({"urine_output_ml_8h": 80.0}, HOLD),
        ({"urine_output_ml_8h": 160.0}, HOLD),
        ({"urine_output_ml_8h": 160.1}, GIVE),
        ({"creatinine_mg_dl": 2.49}, GIVE),
        ({"creatinine_mg_dl": 2.5}, HOLD),
        ({"creatinine_mg_dl": 2.99}, HOLD),
        ({"creatinine_mg_dl": 3.0}, DISCONTINUE),
        ({"platelets_10e9_per_l": 29.9}, DISCONTINUE),
        ({"platelets_10e9_per_l": 30.0}, HOLD),
        ({"platelets_10e9_per_l": 50.0}, HOLD),
        ({"platelets_10e9_per_l": 50.1}, GIVE),
        ({"weight_kg": 115.0}, GIVE),
        ({"weight_kg": 115.1}, HOLD),
    ],
)
def test_each_measured_criterion_at_its_boundaries(measurements, decision):
    assert advise(baseline=Baseline(weight_kg=100.0), **measurements).decision == decision


@pytest.mark.parametrize(
    ("slug", "grade", "decision"),
    [
        ("confusion", 1, GIVE),
        ("confusion", 2, HOLD),
        ("agitation", 2, HOLD),
        ("shortness_of_breath", 2, GIVE),
        ("shortness_of_breath", 3, HOLD),
        ("atrial_fibrillation", 1, DISCONTINUE),
        ("supraventricular_tachycardia", 1, DISCONTINUE),
        ("ventricular_arrhythmia", 1, DISCONTINUE),
        ("hallucinations", 1, DISCONTINUE),
        ("bleeding", 1, DISCONTINUE),
        ("sepsis", 1, DISCONTINUE),
        ("infection", 1, DISCONTINUE),
        ("nausea", 3, GIVE),
    ],
)
def test_each_adverse_event_criterion(slug, grade, decision):
    assert advise([adverse_event(slug, grade)]).decision == decision


@pytest.mark.parametrize(
    ("measurements", "decision"),
    [
        ({}, GIVE),
        ({"heart_rate": 110}, HOLD),
        ({"heart_rate": 110, "urine_output_ml_8h": 120.0}, HOLD),
        ({"heart_rate": 110, "urine_output_ml_8h": 120.0, "creatinine_mg_dl": 2.6}, DISCONTINUE),
    ],
)
def test_three_relative_criteria_discontinue(measurements, decision):
    assert advise(**measurements).decision == decision


def test_the_count_of_relative_criteria_is_given_as_the_reason_to_discontinue():
    advice = advise(heart_rate=110, urine_output_ml_8h=120.0, creatinine_mg_dl=2.6)
    assert advice.criteria[-1] == (
        "3 relative criteria ≥ 3: discontinue (SpringerPlus 2015, Table 1)"
    )


def test_label_withhold_triggers_do_not_count_towards_three_relative_criteria():
    assert advise(systolic_bp=85, spo2=88.0, heart_rate=110).decision == HOLD


def test_one_absolute_criterion_discontinues():
    assert advise(heart_rate=135).decision == DISCONTINUE


@pytest.mark.parametrize(("holds_so_far", "decision"), [(0, HOLD), (1, HOLD), (2, DISCONTINUE)])
def test_the_third_held_dose_discontinues(holds_so_far, decision):
    assert advise(heart_rate=110, holds_so_far=holds_so_far).decision == decision


def test_the_third_hold_is_given_as_the_reason_to_discontinue():
    advice = advise(heart_rate=110, holds_so_far=2)
    assert advice.criteria[-1] == (
        "This would be held dose 3 (2 held so far) ≥ 3: discontinue (SpringerPlus 2015, Table 1)"
    )


def test_earlier_holds_do_not_matter_when_no_criterion_is_met():
    assert advise(holds_so_far=2).decision == GIVE


def test_every_criterion_met_is_listed_with_value_threshold_and_source():
    advice = advise(
        [adverse_event("atrial_fibrillation", 2, "Atrial fibrillation")],
        systolic_bp=84.0,
        heart_rate=110.0,
        platelets_10e9_per_l=40.0,
    )
    assert advice == DoseAdvice(
        DISCONTINUE,
        (
            "Systolic BP 84 mmHg < 90 mmHg: withhold (Proleukin label 2023, Table 2)",
            "Heart rate 110 bpm in 100–130 bpm: relative criterion "
            "(Dutcher et al., J Immunother Cancer 2014;2:26, Table 3)",
            "Platelets 40 ×10⁹/L in 30–50 ×10⁹/L: relative criterion "
            "(Dutcher et al., J Immunother Cancer 2014;2:26, Table 3)",
            "Atrial fibrillation CTCAE grade 2 (any grade): absolute criterion "
            "(Dutcher et al., J Immunother Cancer 2014;2:26, Table 3)",
        ),
    )
