"""CTCAE v5.0 grades of measurements, on both sides of every boundary."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.rules import (
    creatinine_grade,
    fever_grade,
    platelet_count_grade,
    urine_output_grade,
    weight_gain_grade,
    weight_gain_percent,
)


@pytest.mark.parametrize(
    ("temperature_c", "grade"),
    [(37.9, 0), (38.0, 1), (39.0, 1), (39.1, 2), (40.0, 2), (40.1, 3), (42.5, 3)],
)
def test_fever_grade_follows_ctcae_temperature_bands(temperature_c, grade):
    assert fever_grade(temperature_c) == grade


@given(st.floats(30, 45), st.floats(30, 45))
def test_a_higher_temperature_never_gives_a_lower_fever_grade(a, b):
    low, high = sorted((a, b))
    assert fever_grade(low) <= fever_grade(high)


@pytest.mark.parametrize(
    ("platelets", "grade"),
    [(150.0, 0), (149.9, 1), (75.0, 1), (74.9, 2), (50.0, 2), (49.9, 3), (25.0, 3), (24.9, 4)],
)
def test_platelet_count_grade_follows_ctcae_bands(platelets, grade):
    assert platelet_count_grade(platelets) == grade


@pytest.mark.parametrize(("platelets", "grade"), [(140.0, 0), (139.9, 1)])
def test_platelet_grade_1_starts_below_the_labs_own_lower_limit(platelets, grade):
    assert platelet_count_grade(platelets, lln=140.0) == grade


@pytest.mark.parametrize(
    ("percent", "grade"),
    [(4.9, 0), (5.0, 1), (9.9, 1), (10.0, 2), (19.9, 2), (20.0, 3), (35.0, 3), (-3.0, 0)],
)
def test_weight_gain_grade_follows_ctcae_bands(percent, grade):
    assert weight_gain_grade(percent) == grade


def test_weight_gain_percent_is_relative_to_the_baseline_weight():
    assert weight_gain_percent(84.0, 80.0) == 5.0


def test_an_exact_5_percent_gain_is_not_lost_to_float_rounding():
    assert weight_gain_percent(65.1, 62.0) == 5.0
    assert weight_gain_grade(weight_gain_percent(65.1, 62.0)) == 1


@pytest.mark.parametrize(("ml_8h", "grade"), [(79.9, 3), (80.0, 0), (0.0, 3)])
def test_urine_output_below_80_ml_in_8_hours_is_ctcae_grade_3(ml_8h, grade):
    assert urine_output_grade(ml_8h) == grade


@pytest.mark.parametrize(
    ("creatinine", "grade"),
    [
        (1.2, 0),
        (1.21, 1),  # > ULN
        (1.8, 1),
        (1.81, 2),  # > 1.5 × ULN
        (3.6, 2),
        (3.61, 3),  # > 3.0 × ULN
        (7.2, 3),
        (7.21, 4),  # > 6.0 × ULN
    ],
)
def test_creatinine_grade_by_upper_limit_of_normal(creatinine, grade):
    assert creatinine_grade(creatinine, baseline=None, uln=1.2) == grade


@pytest.mark.parametrize(
    ("creatinine", "grade"),
    [
        (1.2, 0),
        (1.21, 2),  # > 1.5 × baseline 0.8
        (2.4, 2),
        (2.41, 3),  # > 3.0 × baseline 0.8
    ],
)
def test_creatinine_grade_by_baseline(creatinine, grade):
    # A high ULN keeps the ULN rule out of the way.
    assert creatinine_grade(creatinine, baseline=0.8, uln=10.0) == grade


def test_creatinine_grade_is_the_worse_of_the_baseline_and_uln_rules():
    # 1.0 mg/dL: 2.0 × baseline 0.5 is grade 2; it is below the ULN of 1.2 (grade 0).
    assert creatinine_grade(1.0, baseline=0.5, uln=1.2) == 2
    # 4.0 mg/dL: 3.3 × ULN is grade 3; 2 × baseline 2.0 is grade 2.
    assert creatinine_grade(4.0, baseline=2.0, uln=1.2) == 3
