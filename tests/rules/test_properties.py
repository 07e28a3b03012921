"""Properties the rules must keep for any input (hypothesis): a worse input never gives a
lower level, grades stay in range, and expectedness does not depend on the order of answers."""

from hypothesis import given
from hypothesis import strategies as st

from tests.rules.support import (
    ALDESLEUKIN,
    ANAKINRA,
    OPRELVEKIN,
    PATIENT_TERMS,
    TOCILIZUMAB,
    Baseline,
    answer,
    report,
    visit,
)
from tracker.rules import LEVEL_ORDER, composite_grade, worst_level

THERAPIES = st.sampled_from([ALDESLEUKIN, ANAKINRA, OPRELVEKIN, TOCILIZUMAB])
BASELINE = Baseline(weight_kg=70.0, creatinine_mg_dl=1.0)


def rank(evaluation):
    level = worst_level(evaluation.findings)
    return -1 if level is None else LEVEL_ORDER[level]


# (measurement, plausible range, +1 when a higher value is worse, -1 when a lower one is)
MEASUREMENTS = [
    ("temperature_c", (30.0, 45.0), +1),
    ("systolic_bp", (40, 300), -1),
    ("spo2", (50.0, 100.0), -1),
    ("heart_rate", (20, 250), +1),
    ("weight_kg", (70.0, 200.0), +1),  # gains only: weight loss is not graded here
    ("urine_output_ml_8h", (0, 6000), -1),
    ("platelets_10e9_per_l", (0.0, 2000.0), -1),
    ("creatinine_mg_dl", (0.1, 25.0), +1),
]


@st.composite
def measurement_pair(draw):
    """A measurement and two values of it, the second at least as bad as the first."""
    name, (low, high), worse = draw(st.sampled_from(MEASUREMENTS))
    values = st.integers(low, high) if isinstance(low, int) else st.floats(low, high)
    a, b = sorted([draw(values), draw(values)])
    return (name, a, b) if worse > 0 else (name, b, a)


@given(pair=measurement_pair(), therapy=THERAPIES)
def test_a_worse_measurement_never_gives_a_lower_level(pair, therapy):
    name, better, worse = pair
    for evaluate in (report, visit):
        if evaluate is report and name not in {
            "temperature_c",
            "systolic_bp",
            "heart_rate",
            "weight_kg",
        }:
            continue
        assert rank(evaluate(therapy, baseline=BASELINE, **{name: worse})) >= rank(
            evaluate(therapy, baseline=BASELINE, **{name: better})
        )


GRADED_TERMS = [t for t in PATIENT_TERMS.values() if not t.presence]


@st.composite
def answer_pair(draw):
    """A graded answer and another one scoring every attribute at least as high."""
    term = draw(st.sampled_from(GRADED_TERMS))
    lower = {a: draw(st.integers(0, 4)) for a in term.attributes}
    higher = {a: draw(st.integers(score, 4)) for a, score in lower.items()}
    return term, lower, higher


@given(pair=answer_pair(), therapy=THERAPIES)
def test_a_worse_answer_never_gives_a_lower_grade_or_level(pair, therapy):
    term, lower, higher = pair
    assert composite_grade(term.attributes, **higher) >= composite_grade(term.attributes, **lower)
    assert rank(report(therapy, answers=[answer(term.slug, **higher)])) >= rank(
        report(therapy, answers=[answer(term.slug, **lower)])
    )


@given(pair=answer_pair())
def test_composite_grades_of_answers_stay_between_0_and_3(pair):
    term, lower, _ = pair
    graded = report(ANAKINRA, answers=[answer(term.slug, **lower)]).graded_answers
    assert all(0 <= g.composite_grade <= 3 for g in graded)


@given(
    slugs=st.lists(st.sampled_from(sorted(PATIENT_TERMS)), min_size=1, max_size=8, unique=True),
    therapy=THERAPIES,
    data=st.data(),
)
def test_expectedness_does_not_depend_on_the_order_of_answers(slugs, therapy, data):
    answers = [
        answer(s, present=True)
        if PATIENT_TERMS[s].presence
        else answer(s, **{a: 1 for a in PATIENT_TERMS[s].attributes})
        for s in slugs
    ]
    shuffled = data.draw(st.permutations(answers))
    expected = {g.term: g.expected for g in report(therapy, answers=answers).graded_answers}
    again = {g.term: g.expected for g in report(therapy, answers=shuffled).graded_answers}
    assert expected == again
    assert all(e == (s in therapy.expected_terms) for s, e in expected.items())
