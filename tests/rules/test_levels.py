"""Flag levels from grades (PRODUCT.md §4)."""

import pytest

from tracker.rules import (
    LEVEL_INFO,
    LEVEL_REVIEW,
    LEVEL_URGENT,
    Finding,
    level_for_composite,
    level_for_ctcae,
    worst_level,
)


@pytest.mark.parametrize(
    ("grade", "expected", "level"),
    [
        (0, True, None),
        (0, False, None),
        (1, True, LEVEL_INFO),
        (1, False, LEVEL_REVIEW),
        (2, True, LEVEL_REVIEW),
        (2, False, LEVEL_REVIEW),
        (3, True, LEVEL_URGENT),
        (3, False, LEVEL_URGENT),
    ],
)
def test_level_for_composite_grade(grade, expected, level):
    assert level_for_composite(grade, expected) == level


@pytest.mark.parametrize(
    ("grade", "expected", "level"),
    [
        (0, True, None),
        (0, False, None),
        (1, True, LEVEL_INFO),
        (1, False, LEVEL_REVIEW),
        (2, True, LEVEL_REVIEW),
        (2, False, LEVEL_REVIEW),
        (3, True, LEVEL_URGENT),
        (4, True, LEVEL_URGENT),
        (5, False, LEVEL_URGENT),
    ],
)
def test_level_for_ctcae_grade(grade, expected, level):
    assert level_for_ctcae(grade, expected) == level


def _finding(level):
    return Finding(
        level=level,
        rule="ctcae_grade",
        term="fever",
        ctcae_term="Fever",
        ctcae_grade=1,
        composite_grade=None,
        expected=True,
        value="38.5 °C",
        threshold="≥ 38.0 °C",
        message="",
        source="",
    )


def test_worst_level_is_the_highest_level_among_findings():
    findings = [_finding(LEVEL_INFO), _finding(LEVEL_URGENT), _finding(LEVEL_REVIEW)]
    assert worst_level(findings) == LEVEL_URGENT


def test_worst_level_of_no_findings_is_none():
    assert worst_level([]) is None
