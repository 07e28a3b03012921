"""Emergency signs: when a patient is told to call the emergency number first (PRODUCT.md §4).

Thresholds from their sources: NCI CTCAE v5.0 "Fever" grade 3 is >40.0 °C; the Proleukin label
2023, Table 2 withholds at SpO₂ <90 % and systolic BP <90 mmHg (ASTCT hypotension: SBP <90);
PRO-CTCAE composite grade 3 (Basch et al. 2021) is severe; frank blood and new confusion are the
red flags of domain.md §5.3; any fever (CTCAE floor 38.0 °C) on an IL-6 blocker with
breathlessness, confusion or dizziness at grade ≥2 (domain.md §5.3, Actemra/Kevzara boxed
warnings). Composite grades below are read from Basch 2021's table (domain.md §3.3).
"""

import pytest

from tracker.rules import Measurements, emergency_signs

from .support import ALDESLEUKIN, ANAKINRA, OPRELVEKIN, TOCILIZUMAB, answer


def signs(therapy=ANAKINRA, answers=(), **measurements):
    return emergency_signs(
        therapy=therapy, answers=list(answers), measurements=Measurements(**measurements)
    )


def names(therapy=ANAKINRA, answers=(), **measurements):
    return [s.sign for s in signs(therapy, answers, **measurements)]


# --- Temperature > 40.0 °C (CTCAE v5.0 fever grade 3) -----------------------------------------


@pytest.mark.parametrize(
    ("temperature", "is_sign"), [(39.9, False), (40.0, False), (40.1, True), (40.3, True)]
)
def test_a_temperature_above_40_0_is_an_emergency_sign(temperature, is_sign):
    assert names(temperature_c=temperature) == (["high_temperature"] if is_sign else [])


def test_the_high_temperature_sign_names_value_threshold_and_source():
    [sign] = signs(temperature_c=40.3)
    assert (sign.value, sign.threshold, sign.measured, sign.limit) == (
        "40.3 °C",
        "> 40.0 °C",
        40.3,
        40.0,
    )
    assert "CTCAE v5.0" in sign.source and "Fever grade 3" in sign.source


# --- SpO₂ < 90 % (Proleukin Table 2) ----------------------------------------------------------


@pytest.mark.parametrize(("spo2", "is_sign"), [(90.0, False), (89.9, True), (85.0, True)])
def test_spo2_below_90_is_an_emergency_sign(spo2, is_sign):
    assert names(spo2=spo2) == (["low_oxygen"] if is_sign else [])


def test_the_low_oxygen_sign_cites_the_label():
    [sign] = signs(spo2=88)
    assert (sign.value, sign.threshold, sign.limit) == ("88 %", "< 90 %", 90.0)
    assert "Proleukin label 2023, Table 2" in sign.source


# --- Systolic BP < 90 mmHg (Proleukin Table 2; ASTCT) -----------------------------------------


@pytest.mark.parametrize(("systolic", "is_sign"), [(90, False), (89, True), (70, True)])
def test_systolic_bp_below_90_is_an_emergency_sign(systolic, is_sign):
    assert names(systolic_bp=systolic) == (["low_blood_pressure"] if is_sign else [])


def test_the_low_blood_pressure_sign_names_the_value():
    [sign] = signs(systolic_bp=85)
    assert (sign.value, sign.threshold) == ("85 mmHg", "< 90 mmHg")
    assert "ASTCT" in sign.source


# --- Shortness of breath at composite grade 3 (PRO-CTCAE, Basch 2021) -------------------------


@pytest.mark.parametrize(
    ("severity", "interference", "composite", "is_sign"),
    [
        # Basch 2021, severity × interference: severe (3) with "somewhat" (2) is 2 ...
        (3, 2, 2, False),
        # ... very severe (4) with no interference is 2 ...
        (4, 0, 2, False),
        # ... severe (3) with "quite a bit" (3) is 3, very severe with "very much" (4) is 3.
        (3, 3, 3, True),
        (4, 4, 3, True),
    ],
)
def test_shortness_of_breath_is_an_emergency_sign_at_composite_grade_3(
    severity, interference, composite, is_sign
):
    found = signs(
        answers=[answer("shortness_of_breath", severity=severity, interference=interference)]
    )
    assert [s.sign for s in found] == (["severe_shortness_of_breath"] if is_sign else [])
    if is_sign:
        assert found[0].value.startswith(f"composite grade {composite}")
        assert "Basch" in found[0].source


def test_another_symptom_at_composite_grade_3_is_not_an_emergency_sign():
    # Nausea frequency 4 ("almost constantly"), severity 4: composite 3, urgent but not an
    # emergency sign of PRODUCT.md §4.
    assert names(answers=[answer("nausea", 4, 4)]) == []


# --- Bleeding and confusion (presence items) --------------------------------------------------


@pytest.mark.parametrize(("present", "is_sign"), [(False, False), (True, True)])
def test_blood_in_stool_vomit_urine_or_sputum_is_an_emergency_sign(present, is_sign):
    assert names(answers=[answer("bleeding", present=present)]) == (["bleeding"] if is_sign else [])


@pytest.mark.parametrize(("present", "is_sign"), [(False, False), (True, True)])
def test_new_confusion_or_trouble_staying_awake_is_an_emergency_sign(present, is_sign):
    found = names(answers=[answer("confusion", present=present)])
    assert found == (["confusion"] if is_sign else [])


def test_bleeding_is_an_emergency_sign_even_when_expected_with_the_therapy():
    # High-dose IL-2 lists bleeding among its side effects; frank blood still is a red flag.
    assert names(ALDESLEUKIN, [answer("bleeding", present=True)]) == ["bleeding"]


# --- Fever on an IL-6 blocker with breathlessness, confusion or dizziness at grade >= 2 -------


@pytest.mark.parametrize(
    ("severity", "interference", "is_sign"),
    [
        (1, 1, False),  # dizziness composite grade 1 (Basch 2021)
        (2, 2, True),  # dizziness composite grade 2
    ],
)
def test_fever_on_an_il6_blocker_with_dizziness_is_a_sign_from_grade_2(
    severity, interference, is_sign
):
    dizzy = answer("dizziness", severity=severity, interference=interference)
    found = names(TOCILIZUMAB, [dizzy], temperature_c=38.5)
    assert found == (["fever_on_il6_blocker"] if is_sign else [])


@pytest.mark.parametrize(("temperature", "is_sign"), [(37.9, False), (38.0, True)])
def test_the_il6_blocker_fever_starts_at_38_0(temperature, is_sign):
    dizzy = answer("dizziness", severity=2, interference=2)
    found = names(TOCILIZUMAB, [dizzy], temperature_c=temperature)
    assert found == (["fever_on_il6_blocker"] if is_sign else [])


def test_fever_on_an_il6_blocker_with_shortness_of_breath_at_grade_2_is_a_sign():
    breathless = answer("shortness_of_breath", severity=2, interference=2)  # composite 2
    [sign] = signs(TOCILIZUMAB, [breathless], temperature_c=38.2)
    assert (sign.sign, sign.with_terms, sign.measured, sign.limit) == (
        "fever_on_il6_blocker",
        ("shortness_of_breath",),
        38.2,
        38.0,
    )
    assert "Actemra" in sign.source


def test_fever_on_an_il6_blocker_with_confusion_gives_both_signs():
    found = names(TOCILIZUMAB, [answer("confusion", present=True)], temperature_c=38.4)
    assert found == ["confusion", "fever_on_il6_blocker"]


def test_fever_on_an_il6_blocker_alone_is_urgent_but_not_an_emergency_sign():
    assert names(TOCILIZUMAB, temperature_c=38.9) == []


@pytest.mark.parametrize("therapy", [ANAKINRA, ALDESLEUKIN, OPRELVEKIN])
def test_the_same_fever_and_dizziness_on_another_drug_is_not_a_sign(therapy):
    dizzy = answer("dizziness", severity=2, interference=2)
    assert names(therapy, [dizzy], temperature_c=38.5) == []


def test_nothing_reported_means_no_emergency_sign():
    assert signs() == ()


def test_several_signs_are_all_named():
    found = names(
        answers=[answer("shortness_of_breath", severity=4, interference=4)],
        temperature_c=40.3,
        spo2=88,
        systolic_bp=85,
    )
    assert found == [
        "high_temperature",
        "low_oxygen",
        "low_blood_pressure",
        "severe_shortness_of_breath",
    ]
