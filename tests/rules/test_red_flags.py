"""Red flags that "expected" cannot lower, fever on agents with a neutropenic or early-escalation
fever risk, worsening of measured grades, and citations of the therapy's own sources
(reference/domain.md §4.7, §5.3; PRODUCT.md §4)."""

import pytest

from tracker.rules import (
    LEVEL_INFO,
    LEVEL_ORDER,
    LEVEL_REVIEW,
    LEVEL_URGENT,
    Baseline,
    Measurements,
    TherapyProfile,
    grade_measurements,
)

from .support import (
    ALDESLEUKIN,
    ALDESLEUKIN_LOW_DOSE,
    ANAKINRA,
    INTERLEUKIN_12,
    OPRELVEKIN,
    SARILUMAB,
    TOCILIZUMAB,
    adverse_event,
    answer,
    finding_for,
    report,
    visit,
)

EVERY_COURSE = [
    ALDESLEUKIN,
    ALDESLEUKIN_LOW_DOSE,
    ANAKINRA,
    INTERLEUKIN_12,
    OPRELVEKIN,
    SARILUMAB,
    TOCILIZUMAB,
]
NOT_HIGH_DOSE_IL2 = [t for t in EVERY_COURSE if t is not ALDESLEUKIN]


def ids(therapies):
    return [t.name for t in therapies]


# --- Red flags at any grade, expected or not (domain.md §4.7) ----------------------------------

# CTCAE v5.0 defines Hallucinations grades 1-5; the vocabulary's bleeding term is graded under
# the site-specific hemorrhage terms, grades 1-5.


@pytest.mark.parametrize("therapy", EVERY_COURSE, ids=ids(EVERY_COURSE))
@pytest.mark.parametrize("grade", [1, 2, 3, 4, 5])
@pytest.mark.parametrize(
    ("slug", "rule"),
    [("hallucinations", "hallucinations_recorded"), ("bleeding", "bleeding_recorded")],
)
def test_hallucinations_and_frank_blood_graded_by_a_clinician_are_urgent_at_any_grade(
    therapy, grade, slug, rule
):
    finding = finding_for(visit(therapy, [adverse_event(slug, grade)]), slug)
    assert (finding.level, finding.rule, finding.ctcae_grade) == (LEVEL_URGENT, rule, grade)


def test_hallucinations_grade_1_on_high_dose_il2_is_urgent_although_expected():
    # The catalog lists hallucinations as expected on high-dose IL-2 (domain.md §1.2); Dutcher
    # 2014, Table 3 makes them an absolute criterion, and §4.7 a red flag whatever is expected.
    assert "hallucinations" in ALDESLEUKIN.expected_terms
    finding = finding_for(
        visit(ALDESLEUKIN, [adverse_event("hallucinations", 1)]), "hallucinations"
    )
    assert (finding.level, finding.rule, finding.expected) == (
        LEVEL_URGENT,
        "hallucinations_recorded",
        True,
    )
    assert finding.ctcae_grade == 1
    assert "Dutcher" in finding.source


def test_bleeding_grade_1_recorded_by_a_clinician_is_urgent_even_when_expected():
    expecting_bleeding = TherapyProfile(
        name="Aldesleukin (high dose)",
        drug_class="il2_high_dose",
        expected_terms=ALDESLEUKIN.expected_terms | {"bleeding"},
    )
    finding = finding_for(visit(expecting_bleeding, [adverse_event("bleeding", 1)]), "bleeding")
    assert (finding.level, finding.rule) == (LEVEL_URGENT, "bleeding_recorded")
    assert "at any grade" in finding.message


@pytest.mark.parametrize("therapy", EVERY_COURSE, ids=ids(EVERY_COURSE))
def test_bleeding_reported_by_the_patient_stays_urgent_on_every_course(therapy):
    finding = finding_for(report(therapy, [answer("bleeding", present=True)]), "bleeding")
    assert (finding.level, finding.rule) == (LEVEL_URGENT, "bleeding_present")


@pytest.mark.parametrize("therapy", [TOCILIZUMAB, SARILUMAB], ids=["tocilizumab", "sarilumab"])
@pytest.mark.parametrize("grade", [1, 2, 3, 4, 5])
def test_the_adverse_event_fever_on_an_il6_blocker_is_urgent_at_any_grade(therapy, grade):
    finding = finding_for(visit(therapy, [adverse_event("fever", grade, "Fever")]), "fever")
    assert finding.level == LEVEL_URGENT
    assert "an IL-6 blocker can mask serious infection" in finding.message


def test_fever_grade_1_on_tocilizumab_cites_the_boxed_warning():
    finding = finding_for(visit(TOCILIZUMAB, [adverse_event("fever", 1, "Fever")]), "fever")
    assert (finding.level, finding.rule, finding.threshold) == (
        LEVEL_URGENT,
        "fever_on_il6_blocker",
        "any grade",
    )
    assert "Actemra and Kevzara boxed warnings" in finding.source


def test_the_adverse_event_fever_grade_1_on_an_il1_blocker_is_not_urgent():
    # Anakinra is not an IL-6 blocker: fever is not in its expected set, so review (PRODUCT.md §4).
    finding = finding_for(visit(ANAKINRA, [adverse_event("fever", 1, "Fever")]), "fever")
    assert finding.level == LEVEL_REVIEW


@pytest.mark.parametrize(("temperature", "flagged"), [(37.9, False), (38.0, True)])
def test_temperature_on_sarilumab_is_urgent_from_38_0(temperature, flagged):
    evaluation = report(SARILUMAB, temperature_c=temperature)
    levels = [f.level for f in evaluation.findings if f.term == "fever"]
    assert levels == ([LEVEL_URGENT] if flagged else [])


# --- Fever on agents with a neutropenic / early-escalation risk (catalog attribute) ----------


@pytest.mark.parametrize("therapy", [OPRELVEKIN, INTERLEUKIN_12], ids=["oprelvekin", "il-12"])
@pytest.mark.parametrize("evaluate", [report, visit], ids=["report", "visit"])
def test_38_5_on_an_agent_with_fever_risk_is_review_today_never_only_logged(therapy, evaluate):
    # 38.5 °C is CTCAE fever grade 1 and fever is expected on both agents: without the risk
    # it would be "info". domain.md §4.7: at least "review today".
    assert "fever" in therapy.expected_terms
    finding = finding_for(evaluate(therapy, temperature_c=38.5), "fever")
    assert (finding.level, finding.rule, finding.ctcae_grade) == (
        LEVEL_REVIEW,
        "fever_escalation_risk",
        1,
    )
    assert "review today" in finding.message
    assert "neutropenic fever" in finding.message
    assert "Febrile neutropenia" in finding.source
    assert therapy.fever_escalation_source in finding.source


def test_the_fever_risk_cites_the_neumega_label_on_oprelvekin_and_the_il12_source_on_il12():
    oprelvekin = finding_for(report(OPRELVEKIN, temperature_c=38.5), "fever")
    il12 = finding_for(report(INTERLEUKIN_12, temperature_c=38.5), "fever")
    assert "Neumega" in oprelvekin.source and "IL-12" not in oprelvekin.source
    assert "IL-12" in il12.source and "Neumega" not in il12.source


@pytest.mark.parametrize(
    ("temperature", "level"),
    [(37.9, None), (38.0, LEVEL_REVIEW), (39.0, LEVEL_REVIEW), (39.1, LEVEL_REVIEW)],
)
def test_fever_risk_boundary_at_the_ctcae_floor_of_38_0(temperature, level):
    evaluation = report(OPRELVEKIN, temperature_c=temperature)
    assert [f.level for f in evaluation.findings if f.term == "fever"] == ([level] if level else [])


def test_fever_above_40_on_an_agent_with_fever_risk_is_still_urgent():
    finding = finding_for(report(OPRELVEKIN, temperature_c=40.5), "fever")
    assert (finding.level, finding.ctcae_grade) == (LEVEL_URGENT, 3)


@pytest.mark.parametrize("therapy", [OPRELVEKIN, INTERLEUKIN_12], ids=["oprelvekin", "il-12"])
def test_the_adverse_event_fever_grade_1_on_an_agent_with_fever_risk_is_review(therapy):
    finding = finding_for(visit(therapy, [adverse_event("fever", 1, "Fever")]), "fever")
    assert (finding.level, finding.rule, finding.threshold) == (
        LEVEL_REVIEW,
        "fever_escalation_risk",
        "any grade",
    )


def test_the_fever_risk_is_the_catalog_attribute_not_the_drug_class():
    # Same class and expected set as oprelvekin, without the catalog's fever attribute: an
    # expected grade-1 fever is logged (PRODUCT.md §4 "info").
    without_risk = TherapyProfile(
        name="Oprelvekin", drug_class="il11", expected_terms=OPRELVEKIN.expected_terms
    )
    assert finding_for(report(without_risk, temperature_c=38.5), "fever").level == LEVEL_INFO
    # And any therapy with the attribute gets the review, whatever its class.
    with_risk = TherapyProfile(
        name="Some agent",
        drug_class="il1_blocker",
        expected_terms=frozenset({"fever"}),
        fever_escalation_risk=True,
        fever_escalation_source="A cited reason",
    )
    assert finding_for(report(with_risk, temperature_c=38.5), "fever").level == LEVEL_REVIEW


# --- Worsening by >= 2 grades of measured terms ----------------------------------------------

LLN_150 = Baseline(platelets_lln_10e9_per_l=150.0)


@pytest.mark.parametrize(
    ("platelets", "grade"),
    # NCI CTCAE v5.0 Platelet count decreased: G1 <LLN-75, G2 <75-50, G3 <50-25, G4 <25 ×10⁹/L
    [(150.0, 0), (149.0, 1), (100.0, 1), (75.0, 1), (74.9, 2), (50.0, 2), (49.9, 3), (40.0, 3)],
)
def test_measured_platelet_grades(platelets, grade):
    assert grade_measurements(Measurements(platelets_10e9_per_l=platelets), LLN_150) == {
        "platelets_decreased": grade
    }


def test_measured_grades_cover_each_graded_measurement_and_say_0_when_normal():
    grades = grade_measurements(
        Measurements(
            temperature_c=37.0,  # CTCAE fever starts at 38.0 °C
            weight_kg=77.0,  # +10 % over 70 kg: CTCAE weight gain G2 (10-<20 %)
            urine_output_ml_8h=79.0,  # < 80 mL in 8 h: CTCAE urine output decreased G3
            platelets_10e9_per_l=24.0,  # < 25 ×10⁹/L: G4
            creatinine_mg_dl=3.7,  # > 3.0 × ULN 1.2 = 3.6 mg/dL: G3
            systolic_bp=80,  # not a CTCAE grade
        ),
        Baseline(weight_kg=70.0),
    )
    assert grades == {
        "fever": 0,
        "weight_gain": 2,
        "oliguria": 3,
        "platelets_decreased": 4,
        "creatinine_increased": 3,
    }


def test_weight_gain_has_no_grade_without_a_baseline_weight():
    assert grade_measurements(Measurements(weight_kg=90.0), Baseline()) == {}


def test_platelets_from_grade_1_to_grade_3_is_a_worsening_and_the_flag_says_so():
    finding = finding_for(
        visit(
            ANAKINRA,
            platelets_10e9_per_l=40.0,
            previous={"platelets_decreased": 1},
            baseline=LLN_150,
        ),
        "platelets_decreased",
    )
    assert finding.level == LEVEL_URGENT  # CTCAE grade 3
    assert "Worsening: grade 1 → 3" in finding.message


def test_platelets_from_grade_1_to_grade_2_is_not_a_worsening():
    finding = finding_for(
        visit(
            ANAKINRA,
            platelets_10e9_per_l=60.0,
            previous={"platelets_decreased": 1},
            baseline=LLN_150,
        ),
        "platelets_decreased",
    )
    assert "Worsening" not in finding.message


def test_a_normal_temperature_then_39_5_is_a_worsening_of_2_grades_in_a_report():
    finding = finding_for(report(ALDESLEUKIN, temperature_c=39.5, previous={"fever": 0}), "fever")
    # CTCAE fever G2 (>39.0-40.0 °C) is review; a rise of 2 grades adds the worsening.
    assert finding.level == LEVEL_REVIEW
    assert "Worsening: grade 0 → 2" in finding.message


def test_creatinine_worsening_against_a_previous_grade_1():
    # ULN 1.2: 1.3 mg/dL is G1; 3.7 mg/dL is > 3.0 × ULN, G3.
    finding = finding_for(
        visit(ANAKINRA, creatinine_mg_dl=3.7, previous={"creatinine_increased": 1}),
        "creatinine_increased",
    )
    assert "Worsening: grade 1 → 3" in finding.message


# --- Each flag cites its own therapy's sources (domain.md §4.7) --------------------------------

BATTERY_EVENTS = [
    adverse_event("bleeding", 1),
    adverse_event("hallucinations", 1),
    adverse_event("fever", 1, "Fever"),
    adverse_event("confusion", 3, "Confusion"),
    adverse_event("hypotension", 3, "Hypotension"),
    adverse_event("platelets_decreased", 4, "Platelet count decreased"),
    adverse_event("somnolence", 2, "Somnolence"),
]
BATTERY_VISIT = {
    "systolic_bp": 80,
    "spo2": 85.0,
    "heart_rate": 140,
    "temperature_c": 40.5,
    "weight_kg": 90.0,
    "urine_output_ml_8h": 60.0,
    "platelets_10e9_per_l": 20.0,
    "creatinine_mg_dl": 5.0,
}
BATTERY_BASELINE = Baseline(weight_kg=70.0, creatinine_mg_dl=1.0)


def battery(therapy):
    """Every red flag we know, as measurements, clinician grades and patient answers, on one
    course; with and without the capillary-leak pattern."""
    return [
        visit(therapy, BATTERY_EVENTS, baseline=BATTERY_BASELINE, **BATTERY_VISIT),
        *(
            visit(therapy, baseline=BATTERY_BASELINE, **{name: value})
            for name, value in BATTERY_VISIT.items()
        ),
        *(visit(therapy, [event]) for event in BATTERY_EVENTS),
        report(
            therapy,
            [
                answer("bleeding", present=True),
                answer("confusion", present=True),
                answer("swelling", 2, 2, 1),
                answer("shortness_of_breath", severity=3, interference=3),
            ],
            baseline=BATTERY_BASELINE,
            temperature_c=40.5,
            systolic_bp=80,
            heart_rate=140,
            weight_kg=90.0,
        ),
        report(therapy, [answer("bleeding", present=True)]),
        report(therapy, [answer("confusion", present=True)]),
        report(therapy, systolic_bp=80),
        report(therapy, heart_rate=140),
    ]


@pytest.mark.parametrize("therapy", NOT_HIGH_DOSE_IL2, ids=ids(NOT_HIGH_DOSE_IL2))
def test_no_flag_on_another_course_cites_the_proleukin_label_or_dutcher(therapy):
    findings = [f for evaluation in battery(therapy) for f in evaluation.findings]
    assert {f.level for f in findings} >= {LEVEL_URGENT}
    for finding in findings:
        cited = f"{finding.source} {finding.message} {finding.threshold}"
        assert "Proleukin" not in cited, finding
        assert "Dutcher" not in cited, finding


@pytest.mark.parametrize("therapy", NOT_HIGH_DOSE_IL2, ids=ids(NOT_HIGH_DOSE_IL2))
def test_red_flag_measurements_on_another_course_cite_ctcae_astct_and_the_home_thresholds(
    therapy,
):
    low_bp = finding_for(visit(therapy, systolic_bp=80), "hypotension")
    assert "ASTCT" in low_bp.source and "§5.3" in low_bp.source
    fast = finding_for(visit(therapy, heart_rate=140), "tachycardia")
    assert "CTCAE v5.0 – Sinus tachycardia" in fast.source and "derived" in fast.source
    low_o2 = finding_for(visit(therapy, spo2=85.0), "hypoxia")
    assert "CTCAE v5.0 – Hypoxia" in low_o2.source and "§5.3" in low_o2.source


def test_high_dose_il2_keeps_the_proleukin_and_dutcher_citations():
    assert "Proleukin label 2023, Table 2" in (
        finding_for(visit(ALDESLEUKIN, systolic_bp=80), "hypotension").source
    )
    assert "Proleukin label 2023, Table 2" in (
        finding_for(visit(ALDESLEUKIN, spo2=85.0), "hypoxia").source
    )
    assert "Dutcher" in finding_for(visit(ALDESLEUKIN, heart_rate=140), "tachycardia").source
    assert "Dutcher" in (
        finding_for(report(ALDESLEUKIN, [answer("bleeding", present=True)]), "bleeding").source
    )
    assert "Proleukin" in (
        finding_for(report(ALDESLEUKIN, [answer("confusion", present=True)]), "confusion").source
    )


@pytest.mark.parametrize("therapy", EVERY_COURSE, ids=ids(EVERY_COURSE))
def test_each_red_flag_measurement_alone_is_urgent_on_every_course(therapy):
    # domain.md §5.3: SBP < 90, SpO₂ < 90 %, heart rate > 130, temperature > 40.0 °C, weight
    # gain >= 20 % (CTCAE G3), urine < 80 mL in 8 h, platelets < 50 ×10⁹/L; creatinine 5.0 is
    # > 3.0 × baseline 1.0 (CTCAE G3).
    for name, value in BATTERY_VISIT.items():
        evaluation = visit(therapy, baseline=BATTERY_BASELINE, **{name: value})
        worst = max(LEVEL_ORDER[f.level] for f in evaluation.findings)
        assert worst == LEVEL_ORDER[LEVEL_URGENT], (therapy.name, name)


@pytest.mark.parametrize("therapy", EVERY_COURSE, ids=ids(EVERY_COURSE))
def test_the_flags_grades_are_the_measured_grades_the_worsening_rule_compares(therapy):
    evaluation = visit(therapy, baseline=BATTERY_BASELINE, **BATTERY_VISIT)
    graded = grade_measurements(Measurements(**BATTERY_VISIT), BATTERY_BASELINE)
    assert evaluation.measured_grades == {slug: g for slug, g in graded.items() if g}
