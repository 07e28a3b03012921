"""PRO-CTCAE composite grade (Basch et al., Clin Trials 2021), checked against ProAE's table."""

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.rules import PRO_CTCAE_ATTRIBUTES, composite_grade

COMPOSITE_CSV = Path(__file__).resolve().parent.parent / "data" / "proctcae-composite.csv"


def _table_rows():
    with COMPOSITE_CSV.open(encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    for row in csv.DictReader(lines):
        scores = {name: int(row[name]) for name in PRO_CTCAE_ATTRIBUTES if row[name] != ""}
        label = ",".join(f"{name[:3]}={score}" for name, score in scores.items())
        yield pytest.param(scores, int(row["composite_grade"]), id=label)


TABLE_ROWS = list(_table_rows())


def test_the_table_has_all_179_combinations():
    assert len(TABLE_ROWS) == 179


@pytest.mark.parametrize(("scores", "expected"), TABLE_ROWS)
def test_composite_grade_matches_the_published_table(scores, expected):
    assert composite_grade(tuple(scores), **scores) == expected


@pytest.mark.parametrize(
    ("attributes", "scores"),
    [
        (("frequency", "severity"), {"frequency": 0, "severity": 4}),
        (("frequency", "interference"), {"frequency": 0, "interference": 3}),
        (("severity", "interference"), {"severity": 0, "interference": 4}),
        (
            ("frequency", "severity", "interference"),
            {"frequency": 0, "severity": 4, "interference": 4},
        ),
    ],
)
def test_a_first_attribute_of_zero_makes_the_composite_zero(attributes, scores):
    assert composite_grade(attributes, **scores) == 0


@pytest.mark.parametrize(
    "attributes",
    [
        ("frequency", "severity"),
        ("severity", "interference"),
        ("frequency", "severity", "interference"),
    ],
)
def test_later_attributes_are_imputed_zero_when_the_first_is_zero(attributes):
    assert composite_grade(attributes, **{attributes[0]: 0}) == 0


@pytest.mark.parametrize(
    ("attributes", "scores"),
    [
        (("frequency", "severity"), {"frequency": 3}),
        (("severity", "interference"), {"severity": 2}),
        (("frequency", "severity", "interference"), {"frequency": 2, "severity": 2}),
        (("frequency", "severity", "interference"), {"frequency": 2, "interference": 2}),
    ],
)
def test_a_missing_later_attribute_leaves_the_composite_missing(attributes, scores):
    assert composite_grade(attributes, **scores) is None


def test_an_unanswered_first_attribute_leaves_the_composite_missing():
    assert composite_grade(("frequency", "severity"), severity=3) is None


def test_presence_items_are_not_graded():
    assert composite_grade((), frequency=4, severity=4, interference=4) is None


def test_scores_of_attributes_the_item_does_not_ask_are_ignored():
    assert composite_grade(("frequency",), frequency=3, severity=4, interference=4) == 2


def test_attributes_are_read_in_protocol_order_whatever_order_they_are_given_in():
    assert composite_grade(("severity", "frequency"), frequency=1, severity=3) == 2


@pytest.mark.parametrize("score", [-1, 5])
def test_a_score_outside_0_to_4_is_rejected(score):
    with pytest.raises(ValueError):
        composite_grade(("severity",), severity=score)


def test_an_unknown_attribute_is_rejected():
    with pytest.raises(ValueError):
        composite_grade(("amount",), frequency=1)


_score = st.one_of(st.none(), st.integers(min_value=0, max_value=4))


@given(
    attributes=st.lists(st.sampled_from(PRO_CTCAE_ATTRIBUTES), unique=True, max_size=3),
    frequency=_score,
    severity=_score,
    interference=_score,
)
def test_composite_grade_is_always_0_to_3_or_missing(attributes, frequency, severity, interference):
    grade = composite_grade(tuple(attributes), frequency, severity, interference)
    assert grade is None or 0 <= grade <= 3
