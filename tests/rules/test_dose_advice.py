"""High-dose IL-2 dose advice, judged on the course at dose time (domain.md §4 and §4.6).

Expected values come from the sources: Proleukin label 2023, Table 2 (withhold triggers:
SBP < 90 mmHg, SpO₂ < 90 %, any mental status change); the 2012 label (moderate to severe
somnolence withholds; dialysis stops); Dutcher et al. 2014, Table 3 (relative and absolute
criteria); SpringerPlus 2015, Table 1 (any absolute or >= 3 relative criteria, pressors, or a
third held dose discontinue); CTCAE v5.0 grade definitions for evidence recorded as a grade.
"""

import datetime

import pytest

from tracker.rules import (
    ABSOLUTE,
    RELATIVE,
    WITHHOLD,
    AdviceItem,
    Assessment,
    Baseline,
    Measurements,
    Override,
    dose_advice,
    dose_advice_timeline,
)

from .support import ALDESLEUKIN, ANAKINRA, adverse_event

GIVE, HOLD, DISCONTINUE, INCOMPLETE = "give", "hold", "discontinue", "incomplete"
DOSE_TIME = datetime.datetime(2026, 12, 6, 10, 0, tzinfo=datetime.UTC)
BASELINE = Baseline(weight_kg=100.0)
HOUR = datetime.timedelta(hours=1)

# Every core criterion assessed and none met: SBP, heart rate, SpO₂, urine over 8 h, weight,
# mental status (PRODUCT.md §4).
NORMAL = {
    "systolic_bp": 118,
    "heart_rate": 88,
    "spo2": 97.0,
    "urine_output_ml_8h": 400.0,
    "weight_kg": 101.0,
}
# The core criteria by their ids in the rules.
CORE = (
    "systolic_bp",
    "heart_rate",
    "spo2",
    "urine_output",
    "weight_gain",
    "mental_status",
)
# Source ids (tracker.rules.ADVICE_SOURCES).
LABEL_2023 = "proleukin_2023_table_2"
DUTCHER = "dutcher_2014_table_3"
SPRINGERPLUS = "springerplus_2015_table_1"


def assessment(at=DOSE_TIME, events=(), mental_status="normal", complete=True, **values):
    """A visit at `at`: by default a complete, normal assessment, with `values` on top."""
    extra = {
        name: values.pop(name)
        for name in (
            "vasopressor",
            "vasopressor_dose_ug_kg_min",
            "oxygen_l_min",
            "heart_rate_persists_after_correction",
        )
        if name in values
    }
    measured = {**(NORMAL if complete else {}), **values}
    return Assessment(
        at=at,
        measurements=Measurements(**measured),
        adverse_events=tuple(events),
        mental_status=mental_status if complete or mental_status != "normal" else None,
        **extra,
    )


def advise(*assessments, held=(), overrides=(), at=DOSE_TIME, therapy=ALDESLEUKIN, base=BASELINE):
    return dose_advice(
        therapy=therapy,
        baseline=base,
        assessments=list(assessments),
        held_doses=list(held),
        overrides=list(overrides),
        at=at,
    )


def not_assessed_names(advice):
    return {item.criterion for item in advice.not_assessed}


def met(kind, criterion, key, sources, **params):
    return AdviceItem(criterion, key, kind, params, tuple(sources))


def test_only_high_dose_il2_gets_dose_advice():
    assert advise(assessment(heart_rate=140), therapy=ANAKINRA) is None


def test_a_complete_normal_assessment_gives_the_dose_and_lists_what_it_checked():
    advice = advise(assessment())
    assert advice.decision == GIVE
    assert advice.criteria == ()
    assert AdviceItem("systolic_bp", "systolic_bp", params={"value": 118, "unit": "mmHg"}) in (
        advice.checked
    )
    assert AdviceItem("mental_status", "mental_status_normal") in advice.checked
    assert not not_assessed_names(advice) & set(CORE)


def test_what_the_app_cannot_see_is_listed_as_not_assessed_even_when_giving():
    names = not_assessed_names(advise(assessment()))
    assert {
        "vasopressors",
        "oxygen_flow",
        "heart_rhythm",
        "bicarbonate",
        "stool_occult_blood",
        "skin",
    } <= names


# --- No data, no "give" (domain.md §4.6) -------------------------------------------------------


def test_a_visit_with_only_a_note_is_incomplete_not_give():
    advice = advise(Assessment(at=DOSE_TIME))
    assert advice.decision == INCOMPLETE
    for core in CORE:
        assert core in not_assessed_names(advice), core


def test_no_assessment_at_all_is_incomplete():
    assert advise().decision == INCOMPLETE


@pytest.mark.parametrize(
    ("missing", "name"),
    [
        ("systolic_bp", "systolic_bp"),
        ("heart_rate", "heart_rate"),
        ("spo2", "spo2"),
        ("urine_output_ml_8h", "urine_output"),
        ("weight_kg", "weight_gain"),
    ],
)
def test_each_core_measurement_missing_makes_the_advice_incomplete(missing, name):
    values = {k: v for k, v in NORMAL.items() if k != missing}
    advice = advise(assessment(complete=False, mental_status="normal", **values))
    assert advice.decision == INCOMPLETE
    assert name in not_assessed_names(advice)


def test_no_mental_status_check_makes_the_advice_incomplete():
    advice = advise(
        Assessment(at=DOSE_TIME, measurements=Measurements(**NORMAL), mental_status=None)
    )
    assert advice.decision == INCOMPLETE
    assert "mental_status" in not_assessed_names(advice)


def test_a_course_without_baseline_weight_cannot_assess_weight_gain():
    advice = advise(assessment(), base=Baseline())
    assert advice.decision == INCOMPLETE
    assert AdviceItem("weight_gain", "no_baseline_weight") in advice.not_assessed


def test_a_met_criterion_decides_hold_even_when_core_criteria_are_missing():
    advice = advise(Assessment(at=DOSE_TIME, measurements=Measurements(systolic_bp=85)))
    assert advice.decision == HOLD
    assert "urine_output" in not_assessed_names(advice)
    # Not assessed in its window: urine output is judged per 8-hour shift (Dutcher 2014).
    urine = next(i for i in advice.not_assessed if i.criterion == "urine_output")
    assert urine.window_hours == 8


# --- Each criterion at its boundaries, from the sources ------------------------------------------


@pytest.mark.parametrize(
    ("values", "decision"),
    [
        ({"systolic_bp": 89}, HOLD),  # Proleukin 2023, Table 2: SBP < 90 withhold
        ({"systolic_bp": 90}, GIVE),
        ({"spo2": 89.9}, HOLD),  # Proleukin 2023, Table 2: SpO2 < 90 % withhold
        ({"spo2": 90.0}, GIVE),
        ({"heart_rate": 99}, GIVE),  # Dutcher 2014: sinus tachycardia 100-130 relative
        ({"heart_rate": 100}, HOLD),
        ({"heart_rate": 130}, HOLD),
        ({"urine_output_ml_8h": 79.9}, DISCONTINUE),  # Dutcher 2014: < 80 mL/shift absolute
        ({"urine_output_ml_8h": 80.0}, HOLD),  # 80-160 mL/shift relative
        ({"urine_output_ml_8h": 160.0}, HOLD),
        ({"urine_output_ml_8h": 160.1}, GIVE),
        ({"creatinine_mg_dl": 2.49}, GIVE),  # Dutcher 2014: creatinine 2.5-2.9 relative
        ({"creatinine_mg_dl": 2.5}, HOLD),
        ({"creatinine_mg_dl": 2.99}, HOLD),
        ({"creatinine_mg_dl": 3.0}, DISCONTINUE),  # >= 3 mg/dL absolute
        ({"platelets_10e9_per_l": 29.9}, DISCONTINUE),  # Dutcher 2014: < 30,000 absolute
        ({"platelets_10e9_per_l": 30.0}, HOLD),  # 30,000-50,000 relative
        ({"platelets_10e9_per_l": 50.0}, HOLD),
        ({"platelets_10e9_per_l": 50.1}, GIVE),
        ({"weight_kg": 115.0}, GIVE),  # Dutcher 2014: weight gain > 15 % relative
        ({"weight_kg": 115.1}, HOLD),
        ({"oxygen_l_min": 2.9}, GIVE),  # Dutcher 2014: 3-4 L/min relative, > 4 absolute
        ({"oxygen_l_min": 3.0}, HOLD),
        ({"oxygen_l_min": 4.0}, HOLD),
        ({"oxygen_l_min": 4.1}, DISCONTINUE),
        ({"vasopressor": "none"}, GIVE),  # SpringerPlus 2015: pressors -> discontinue
        ({"vasopressor": "phenylephrine", "vasopressor_dose_ug_kg_min": 0.1}, DISCONTINUE),
        ({"vasopressor": "norepinephrine"}, DISCONTINUE),
    ],
)
def test_each_recorded_criterion_at_its_boundaries(values, decision):
    assert advise(assessment(**values)).decision == decision


@pytest.mark.parametrize(
    ("persists", "decision"),
    [(True, DISCONTINUE), (False, HOLD), (None, HOLD)],
)
def test_heart_rate_over_130_stops_only_when_it_persists_after_correction(persists, decision):
    # Dutcher 2014, Table 3 footnote: assessed after correcting hypotension and fever and
    # stopping dopamine; a single reading before correction is a hold and recheck.
    advice = advise(assessment(heart_rate=131, heart_rate_persists_after_correction=persists))
    assert advice.decision == decision


def test_heart_rate_130_is_relative_even_when_it_persists():
    advice = advise(assessment(heart_rate=130, heart_rate_persists_after_correction=True))
    assert advice.decision == HOLD


# --- Evidence recorded as a CTCAE grade counts as the number it states --------------------------


@pytest.mark.parametrize(
    ("slug", "grade", "decision"),
    [
        ("oliguria", 3, DISCONTINUE),  # CTCAE: < 80 mL in 8 h = Dutcher's absolute criterion
        ("oliguria", 4, DISCONTINUE),  # anuria
        ("platelets_decreased", 4, DISCONTINUE),  # CTCAE G4 < 25 ×10⁹/L < Dutcher's 30
        ("platelets_decreased", 3, HOLD),  # CTCAE G3 < 50-25: at least the relative range
        ("platelets_decreased", 2, GIVE),  # < 75-50: no criterion
        ("hypoxia", 3, HOLD),  # CTCAE G3: SpO2 < 88 % at rest, so < 90 % (label withhold)
        ("hypoxia", 4, DISCONTINUE),  # intubation: Dutcher absolute
        ("hypoxia", 2, GIVE),  # with exercise only
        ("hypotension", 3, HOLD),  # medical intervention: counts as SBP < 90 (label)
        ("hypotension", 4, DISCONTINUE),  # urgent intervention: pressors (SpringerPlus)
        ("hypotension", 2, GIVE),
        ("acute_kidney_injury", 4, DISCONTINUE),  # dialysis: Proleukin 2012 discontinue
        ("weight_gain", 3, HOLD),  # CTCAE G3 >= 20 % > Dutcher's 15 %
        ("shortness_of_breath", 3, HOLD),  # CTCAE G3 breathless at rest = resting dyspnea
        ("shortness_of_breath", 2, GIVE),
    ],
)
def test_a_grade_recorded_by_the_clinician_meets_the_criterion_its_definition_states(
    slug, grade, decision
):
    assert advise(assessment(events=[adverse_event(slug, grade)])).decision == decision


def test_a_grade_counts_even_when_the_number_was_not_recorded():
    advice = advise(
        Assessment(at=DOSE_TIME, adverse_events=(adverse_event("oliguria", 3),)),
    )
    assert advice.decision == DISCONTINUE


# --- Neurologic (Proleukin 2023 Table 2; 2012 boxed warning; Dutcher; SpringerPlus) ------------


@pytest.mark.parametrize(
    ("slug", "grade", "decision"),
    [
        ("confusion", 1, HOLD),  # any mental status change withholds
        ("confusion", 2, HOLD),
        ("confusion", 3, DISCONTINUE),  # severe disorientation
        ("agitation", 1, HOLD),
        ("somnolence", 1, GIVE),  # mild drowsiness: below "moderate to severe"
        ("somnolence", 2, HOLD),  # 2012 label: moderate to severe somnolence withholds
        ("hallucinations", 1, DISCONTINUE),  # Dutcher 2014: absolute at any grade
    ],
)
def test_neurologic_events(slug, grade, decision):
    assert advise(assessment(events=[adverse_event(slug, grade)])).decision == decision


def test_a_mental_status_change_withholds():
    advice = advise(assessment(mental_status="changed"))
    assert advice.decision == HOLD
    assert advice.criteria == (
        met(WITHHOLD, "mental_status", "mental_status_changed", [LABEL_2023]),
    )


@pytest.mark.parametrize(
    "slug", ["atrial_fibrillation", "supraventricular_tachycardia", "ventricular_arrhythmia"]
)
def test_arrhythmia_stops_and_says_the_more_cautious_source_is_followed(slug):
    advice = advise(assessment(events=[adverse_event(slug, 1)]))
    assert advice.decision == DISCONTINUE
    assert advice.criteria[0].criterion == "heart_rhythm"
    assert advice.criteria[0].kind == ABSOLUTE
    assert advice.criteria[0].sources == ("arrhythmia_more_cautious",)


@pytest.mark.parametrize("slug", ["bleeding", "sepsis", "infection"])
def test_frank_blood_and_infection_stop_at_any_grade(slug):
    assert advise(assessment(events=[adverse_event(slug, 1)])).decision == DISCONTINUE


# --- Combining (SpringerPlus 2015, Table 1) ---------------------------------------------------


@pytest.mark.parametrize(
    ("values", "decision"),
    [
        ({"heart_rate": 110}, HOLD),
        ({"heart_rate": 110, "urine_output_ml_8h": 120.0}, HOLD),
        ({"heart_rate": 110, "urine_output_ml_8h": 120.0, "creatinine_mg_dl": 2.6}, DISCONTINUE),
    ],
)
def test_three_relative_criteria_discontinue(values, decision):
    assert advise(assessment(**values)).decision == decision


def test_label_withhold_triggers_count_towards_the_three_relative_criteria():
    advice = advise(assessment(systolic_bp=85, spo2=88.0, heart_rate=110))
    assert advice.decision == DISCONTINUE
    assert advice.criteria[-1] == AdviceItem(
        "course",
        "relative_criteria_count",
        params={"count": 3, "threshold": 3},
        sources=(SPRINGERPLUS,),
    )


def test_two_withhold_triggers_hold():
    assert advise(assessment(systolic_bp=85, spo2=88.0)).decision == HOLD


def test_every_criterion_met_is_listed_with_value_threshold_and_source():
    advice = advise(
        assessment(
            events=[adverse_event("atrial_fibrillation", 2, "Atrial fibrillation")],
            systolic_bp=84,
            heart_rate=110,
            platelets_10e9_per_l=40.0,
        )
    )
    assert advice.decision == DISCONTINUE
    assert advice.criteria[:3] == (
        met(
            WITHHOLD,
            "systolic_bp",
            "systolic_bp_below",
            [LABEL_2023],
            value=84,
            threshold=90,
            unit="mmHg",
        ),
        met(
            RELATIVE,
            "heart_rate",
            "heart_rate_in_range",
            [DUTCHER],
            value=110,
            low=100,
            high=130,
            unit="bpm",
        ),
        met(
            ABSOLUTE,
            "heart_rhythm",
            "arrhythmia",
            ["arrhythmia_more_cautious"],
            term="atrial_fibrillation",
            term_en="Atrial fibrillation",
            grade=2,
        ),
    )
    assert (
        met(
            RELATIVE,
            "platelets",
            "platelets_in_range",
            [DUTCHER],
            value=40,
            low=30,
            high=50,
            unit="10⁹/L",
        )
        in advice.criteria
    )


# --- Held doses (SpringerPlus 2015: a dose held 3 times discontinues) ---------------------------


def held_before(count):
    return [DOSE_TIME - (n + 1) * 8 * HOUR for n in range(count)]


@pytest.mark.parametrize(("holds", "decision"), [(0, HOLD), (1, HOLD), (2, DISCONTINUE)])
def test_the_third_held_dose_discontinues(holds, decision):
    advice = advise(assessment(heart_rate=110), held=held_before(holds))
    assert advice.decision == decision


def test_the_third_hold_is_given_as_the_reason_to_discontinue():
    advice = advise(assessment(heart_rate=110), held=held_before(2))
    assert advice.criteria[-1] == AdviceItem(
        "course",
        "would_be_held_dose",
        params={"number": 3, "held": 2, "threshold": 3},
        sources=(SPRINGERPLUS,),
    )


def test_two_earlier_holds_do_not_matter_when_no_criterion_is_met():
    assert advise(assessment(), held=held_before(2)).decision == GIVE


def test_three_held_doses_discontinue_the_course_from_the_third():
    holds = held_before(3)
    advice = advise(assessment(), held=holds)
    assert advice.decision == DISCONTINUE
    assert advice.permanent
    assert advice.since == max(holds)


def test_doses_held_after_the_advice_time_are_not_counted():
    later = [DOSE_TIME + HOUR, DOSE_TIME + 2 * HOUR]
    assert advise(assessment(heart_rate=110), held=later).decision == HOLD


# --- The course at dose time: windows and the latest assessment --------------------------------


def urine_below(ml):
    # Dutcher 2014, Table 3: urine < 80 mL per 8-hour shift is an absolute criterion.
    return met(
        ABSOLUTE, "urine_output", "urine_below", [DUTCHER], value=ml, threshold=80, unit="mL/8 h"
    )


def test_urine_from_an_earlier_visit_still_counts_when_a_later_visit_records_only_vitals():
    # The review's case: a discontinue for urine 60 mL/8 h, then two minutes later a visit with
    # only BP and heart rate: not "give".
    earlier = assessment(at=DOSE_TIME - datetime.timedelta(minutes=2), urine_output_ml_8h=60.0)
    later = Assessment(at=DOSE_TIME, measurements=Measurements(systolic_bp=120, heart_rate=80))
    advice = advise(earlier, later)
    assert advice.decision == DISCONTINUE
    assert urine_below(60) in advice.criteria


def test_the_latest_assessment_within_the_window_speaks_for_the_criterion():
    low = assessment(at=DOSE_TIME - 3 * HOUR, systolic_bp=85)
    recovered = assessment(at=DOSE_TIME - HOUR, systolic_bp=110)
    assert advise(low, recovered).decision == GIVE


def test_the_worst_of_two_assessments_at_the_same_time_counts():
    first = assessment(systolic_bp=110)
    second = assessment(systolic_bp=85)
    assert advise(first, second).decision == HOLD


@pytest.mark.parametrize(("hours_before", "decision"), [(8, GIVE), (8.02, INCOMPLETE)])
def test_vitals_count_for_one_dosing_interval(hours_before, decision):
    # Proleukin: every 8 hours; the criteria are assessed at each dose (Dutcher 2014).
    old = assessment(at=DOSE_TIME - datetime.timedelta(hours=hours_before))
    assert advise(old).decision == decision


@pytest.mark.parametrize(("hours_before", "decision"), [(24, HOLD), (24.02, GIVE)])
def test_labs_count_for_a_day(hours_before, decision):
    lab = Assessment(
        at=DOSE_TIME - datetime.timedelta(hours=hours_before),
        measurements=Measurements(platelets_10e9_per_l=40.0),
    )
    assert advise(lab, assessment()).decision == decision


def test_a_neurologic_event_is_superseded_by_a_later_normal_check():
    confused = assessment(at=DOSE_TIME - 4 * HOUR, events=[adverse_event("confusion", 1)])
    assert advise(confused, assessment()).decision == GIVE


# --- Discontinuation is permanent until a physician's override -------------------------------


def test_a_discontinuation_stands_at_every_later_dose():
    stop = assessment(at=DOSE_TIME - 16 * HOUR, urine_output_ml_8h=60.0)
    advice = advise(stop, assessment(at=DOSE_TIME - 8 * HOUR), assessment())
    assert advice.decision == DISCONTINUE
    assert advice.permanent
    assert advice.since == DOSE_TIME - 16 * HOUR
    assert advice.criteria[0] == AdviceItem(
        "course", "still_discontinued", sources=("proleukin_2023_table_2_permanent",)
    )
    assert urine_below(60) in advice.criteria


def test_an_override_lifts_the_discontinuation_and_only_later_assessments_count():
    stop = assessment(at=DOSE_TIME - 16 * HOUR, urine_output_ml_8h=60.0)
    lifted = Override(at=DOSE_TIME - 12 * HOUR, by="Dr Martin", reason="Oliguria corrected")
    assert advise(stop, overrides=[lifted]).decision == INCOMPLETE
    advice = advise(stop, assessment(), overrides=[lifted])
    assert advice.decision == GIVE
    assert advice.checked[0] == AdviceItem(
        "course",
        "discontinuation_lifted",
        params={"by": "Dr Martin", "reason": "Oliguria corrected"},
    )


def test_an_override_before_the_discontinuation_does_not_lift_it():
    early = Override(at=DOSE_TIME - 20 * HOUR, by="Dr Martin", reason="n/a")
    stop = assessment(at=DOSE_TIME - 16 * HOUR, urine_output_ml_8h=60.0)
    assert advise(stop, assessment(), overrides=[early]).decision == DISCONTINUE


def test_the_timeline_judges_each_time_as_a_single_advice_would():
    visits = [
        assessment(at=DOSE_TIME - 16 * HOUR),
        assessment(at=DOSE_TIME - 8 * HOUR, heart_rate=110),
        assessment(at=DOSE_TIME, urine_output_ml_8h=60.0),
        assessment(at=DOSE_TIME + 8 * HOUR),
    ]
    times = [v.at for v in visits]
    timeline = dose_advice_timeline(
        therapy=ALDESLEUKIN, baseline=BASELINE, assessments=visits, times=times
    )
    assert [a.decision for a in timeline] == [GIVE, HOLD, DISCONTINUE, DISCONTINUE]
    for at, expected in zip(times, timeline, strict=True):
        assert advise(*visits, at=at) == expected
