"""Clinical rules: grade answers, measurements and adverse events; decide flags and dose advice.

Plain values in, decisions out: no Django, no database. Every clinical threshold is a named
constant with its source. Rules marked "derived" are design choices assembled from cited facts
(reference/domain.md) and need clinical review before release.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

LEVEL_INFO, LEVEL_REVIEW, LEVEL_URGENT = "info", "review", "urgent"
LEVEL_ORDER = {LEVEL_INFO: 0, LEVEL_REVIEW: 1, LEVEL_URGENT: 2}

IL2_HIGH_DOSE = "il2_high_dose"
IL6_BLOCKER = "il6_blocker"

# Sources, as a clinician reads them in a flag.
CTCAE = "NCI CTCAE v5.0"
BASCH_2021 = "Basch et al., Clin Trials 2021 (PRO-CTCAE composite grading)"
PROLEUKIN_TABLE_2 = "Proleukin label 2023, Table 2"
DUTCHER_2014 = "Dutcher et al., J Immunother Cancer 2014;2:26, Table 3"
SPRINGERPLUS_2015 = "SpringerPlus 2015, Table 1"
ASTCT = "ASTCT CRS consensus grading (hypotension = SBP < 90 mmHg)"
DERIVED = " (derived, needs clinical review)"
UNEXPECTED_SOURCE = "Therapy catalog: side effects listed for the agent" + DERIVED
WORSENING_SOURCE = "Basch et al., J Clin Oncol 2016 (alerts on worsening symptoms)" + DERIVED
IL6_FEVER_SOURCE = (
    "Actemra and Kevzara boxed warnings (serious infections); Berman et al., Life 2021 "
    "(CRP stays low in serious infection on tocilizumab)" + DERIVED
)
BLEEDING_SOURCE = DUTCHER_2014 + " (frank blood: absolute criterion)"
CONFUSION_SOURCE = (
    "Proleukin boxed warning (neurologic toxicity); "
    + PROLEUKIN_TABLE_2
    + " (moderate confusion: withhold)"
    + DERIVED
)
CAPILLARY_LEAK_SOURCE = (
    f"Proleukin boxed warning (capillary leak syndrome); {DUTCHER_2014}; {CTCAE}" + DERIVED
)

# --- Levels (PRODUCT.md §4) ------------------------------------------------------------------
COMPOSITE_REVIEW = 2  # PRO-CTCAE composite 0-3 (Basch 2021); 2 = review today (PRODUCT.md §4)
COMPOSITE_URGENT = 3  # composite 3 = severe, clinician review now (domain.md §3.3, derived)
CTCAE_REVIEW = 2  # NCI CTCAE v5.0 grade 2 = moderate
CTCAE_URGENT = 3  # NCI CTCAE v5.0 grade 3 = "hospitalization ... indicated"
WORSENING_GRADES = 2  # rise vs previous grade; Basch JCO 2016 "worsening" alerts (derived)

# --- CTCAE v5.0 grading of measurements --------------------------------------------------------
FEVER_GRADE_1_C = 38.0  # NCI CTCAE v5.0, "Fever" grade 1: 38.0-39.0 °C
FEVER_GRADE_2_ABOVE_C = 39.0  # NCI CTCAE v5.0, "Fever" grade 2: >39.0-40.0 °C
FEVER_GRADE_3_ABOVE_C = 40.0  # NCI CTCAE v5.0, "Fever" G3: >40.0 °C for <=24 h (G4: >24 h)
PLATELETS_GRADE_2_BELOW = 75.0  # NCI CTCAE v5.0, "Platelet count decreased" G2 <75.0-50.0 ×10⁹/L
PLATELETS_GRADE_3_BELOW = 50.0  # NCI CTCAE v5.0, "Platelet count decreased" G3 <50.0-25.0 ×10⁹/L
PLATELETS_GRADE_4_BELOW = 25.0  # NCI CTCAE v5.0, "Platelet count decreased" G4 <25.0 ×10⁹/L
WEIGHT_GAIN_GRADE_1_PCT = 5.0  # NCI CTCAE v5.0, "Weight gain" G1: 5-<10 % from baseline
WEIGHT_GAIN_GRADE_2_PCT = 10.0  # NCI CTCAE v5.0, "Weight gain" G2: 10-<20 %
WEIGHT_GAIN_GRADE_3_PCT = 20.0  # NCI CTCAE v5.0, "Weight gain" G3: >=20 %
OLIGURIA_BELOW_ML_8H = 80.0  # NCI CTCAE v5.0, "Urine output decreased" G3: adult <80 mL in 8 h
CREATININE_ULN_GRADE_2_ABOVE = 1.5  # NCI CTCAE v5.0, "Creatinine increased" G2 >1.5-3.0×ULN
CREATININE_ULN_GRADE_3_ABOVE = 3.0  # NCI CTCAE v5.0, "Creatinine increased" G3 >3.0-6.0×ULN
CREATININE_ULN_GRADE_4_ABOVE = 6.0  # NCI CTCAE v5.0, "Creatinine increased" G4 >6.0×ULN
# Grade 1 starts at the lab's own limits (creatinine >ULN, platelets <LLN), passed in Baseline.
CREATININE_BASELINE_GRADE_2_ABOVE = 1.5  # NCI CTCAE v5.0, "Creatinine increased" G2 >1.5-3.0×BL
CREATININE_BASELINE_GRADE_3_ABOVE = 3.0  # NCI CTCAE v5.0, "Creatinine increased" G3 >3.0×BL

# --- Red flags (domain.md §5.3) -----------------------------------------------------------------
SYSTOLIC_BP_BELOW_MMHG = 90  # Proleukin label 2023, Table 2 withhold; ASTCT hypotension SBP <90
SPO2_BELOW_PCT = 90.0  # Proleukin label 2023, Table 2 withhold (CTCAE hypoxia uses <88 %)
HEART_RATE_ABOVE_BPM = 130  # Dutcher 2014, Table 3: sinus tachycardia >130 bpm is absolute
IL6_BLOCKER_FEVER_C = 38.0  # CTCAE fever floor; urgent on IL-6 blockers (domain.md §5.3, derived)
IL2_WEIGHT_GAIN_ABOVE_PCT = 15.0  # Dutcher 2014, Table 3 ">15 %"; SpringerPlus 2015, Table 1 "15 %"

# --- Possible capillary leak (domain.md §5.3, derived) -------------------------------------------
CAPILLARY_LEAK_MIN_SIGNS = 3  # derived: three of the five signs in one record
CAPILLARY_LEAK_URINE_BELOW_ML_8H = 160.0  # Dutcher 2014, Table 3: relative range 80-160 mL/shift
# Sign -> terms whose own finding shows it: weight gain >=5 % (CTCAE G1), swelling answered or
# graded, oliguria, SBP <90 or dizziness, breathlessness. Urine <160 mL in 8 h also counts.
CAPILLARY_LEAK_SIGNS = {
    "weight gain": ("weight_gain",),
    "swelling": ("swelling", "generalized_edema"),
    "low urine output": ("oliguria",),
    "low blood pressure or dizziness": ("hypotension", "dizziness"),
    "breathlessness": ("shortness_of_breath",),
}

# --- High-dose IL-2 hold / stop criteria (domain.md §4) ------------------------------------------
IL2_HEART_RATE_RELATIVE_FROM_BPM = 100  # Dutcher 2014, Table 3: sinus tachycardia 100-130 relative
IL2_URINE_RELATIVE_MAX_ML_8H = 160.0  # Dutcher 2014, Table 3: urine 80-160 mL/shift relative
IL2_URINE_ABSOLUTE_BELOW_ML_8H = 80.0  # Dutcher 2014, Table 3: urine <80 mL/shift absolute
IL2_CREATININE_RELATIVE_FROM = 2.5  # Dutcher 2014, Table 3: creatinine 2.5-2.9 mg/dL relative
IL2_CREATININE_ABSOLUTE_FROM = 3.0  # Dutcher 2014, Table 3: creatinine >=3 mg/dL absolute
IL2_PLATELETS_RELATIVE_MAX = 50.0  # Dutcher 2014, Table 3: platelets 30,000-50,000/mm³ relative
IL2_PLATELETS_ABSOLUTE_BELOW = 30.0  # Dutcher 2014, Table 3: platelets <30,000/mm³ absolute
IL2_CONFUSION_WITHHOLD_GRADE = 2  # Proleukin Table 2 "moderate confusion" = CTCAE confusion G2
IL2_RESTING_DYSPNEA_GRADE = 3  # Dutcher 2014 "resting dyspnea" = CTCAE dyspnea G3 "at rest"
IL2_RELATIVE_CRITERIA_TO_DISCONTINUE = 3  # SpringerPlus 2015, Table 1: >=3 relative -> discontinue
IL2_HELD_DOSES_TO_DISCONTINUE = 3  # SpringerPlus 2015, Table 1: dose held 3 times -> discontinue
IL2_ARRHYTHMIA_TERMS = (  # Dutcher 2014, Table 3: AF, SVT, ventricular arrhythmias are absolute
    "atrial_fibrillation",
    "supraventricular_tachycardia",
    "ventricular_arrhythmia",
)
IL2_INFECTION_TERMS = (  # Dutcher 2014 "documented infection": every infection term we record
    "sepsis",
    "infection",
    "upper_respiratory_infection",
    "urinary_tract_infection",
    "bronchitis",
    "pharyngitis",
    "sinusitis",
    "nasopharyngitis",
    "fungal_infection",
    "herpes_infection",
)


@dataclass(frozen=True)
class TermInfo:
    """One vocabulary entry, as the rules need it; attributes in asked order."""

    slug: str
    ctcae_term: str
    attributes: tuple[str, ...] = ()
    presence: bool = False


@dataclass(frozen=True)
class TherapyProfile:
    """drug_class: il2_high_dose, il2_low_dose, il11, il12, il1_blocker, il6_blocker,
    il12_23_blocker, il23_blocker or il17_blocker; expected_terms: slugs."""

    name: str
    drug_class: str
    expected_terms: frozenset[str]


@dataclass(frozen=True)
class Baseline:
    """The course's baselines and the lab's reference limits."""

    weight_kg: float | None = None
    creatinine_mg_dl: float | None = None
    creatinine_uln_mg_dl: float = 1.2
    platelets_lln_10e9_per_l: float = 150.0


@dataclass(frozen=True)
class Measurements:
    temperature_c: float | None = None
    systolic_bp: int | None = None
    diastolic_bp: int | None = None
    heart_rate: int | None = None
    spo2: float | None = None
    weight_kg: float | None = None
    urine_output_ml_8h: float | None = None
    platelets_10e9_per_l: float | None = None
    creatinine_mg_dl: float | None = None


@dataclass(frozen=True)
class Answer:
    term: TermInfo
    frequency: int | None = None
    severity: int | None = None
    interference: int | None = None
    present: bool | None = None


@dataclass(frozen=True)
class AdverseEventInput:
    term: TermInfo
    grade: int


@dataclass(frozen=True)
class Finding:
    """Becomes one Flag row; expected is None for a combined pattern."""

    level: str
    rule: str
    term: str
    ctcae_term: str
    ctcae_grade: int | None
    composite_grade: int | None
    expected: bool | None
    value: str
    threshold: str
    message: str
    source: str


@dataclass(frozen=True)
class GradedAnswer:
    term: str
    composite_grade: int | None
    expected: bool


@dataclass(frozen=True)
class Evaluation:
    """measured_grades: slug -> CTCAE grade (>= 1) of each graded measurement."""

    findings: tuple[Finding, ...]
    graded_answers: tuple[GradedAnswer, ...] = ()
    measured_grades: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DoseAdvice:
    """decision: give, hold or discontinue; criteria name value, threshold and source."""

    decision: str
    criteria: tuple[str, ...]


# Measured terms (PRODUCT.md §6) and the combined pattern's term.
FEVER = TermInfo("fever", "Fever")
HYPOTENSION = TermInfo("hypotension", "Hypotension")
TACHYCARDIA = TermInfo("tachycardia", "Sinus tachycardia")
HYPOXIA = TermInfo("hypoxia", "Hypoxia")
WEIGHT_GAIN = TermInfo("weight_gain", "Weight gain")
OLIGURIA = TermInfo("oliguria", "Urine output decreased")
PLATELETS_DECREASED = TermInfo("platelets_decreased", "Platelet count decreased")
CREATININE_INCREASED = TermInfo("creatinine_increased", "Creatinine increased")
CAPILLARY_LEAK = TermInfo("capillary_leak", "Capillary leak syndrome")


# --- PRO-CTCAE composite grade (Basch et al., Clin Trials 2021; ProAE comp_tab, domain.md §3.3) --

PRO_CTCAE_ATTRIBUTES = ("frequency", "severity", "interference")
_ONE_ATTRIBUTE = {  # score 0..4 -> grade
    "frequency": (0, 1, 1, 2, 3),
    "severity": (0, 1, 2, 3, 3),
    "interference": (0, 1, 1, 2, 2),
}
_TWO_ATTRIBUTES = {  # [first attribute 1..4][second attribute 0..4]
    ("frequency", "severity"): ((1, 1, 1, 2, 2), (1, 1, 2, 2, 2), (1, 1, 2, 3, 3), (1, 1, 2, 3, 3)),
    ("frequency", "interference"): (
        (1, 1, 1, 2, 2),
        (1, 1, 1, 2, 2),
        (1, 1, 2, 3, 3),
        (1, 1, 2, 3, 3),
    ),
    ("severity", "interference"): (
        (1, 1, 1, 2, 2),
        (1, 1, 2, 2, 3),
        (1, 2, 2, 3, 3),
        (2, 2, 2, 3, 3),
    ),
}
_THREE_ATTRIBUTES = (  # [frequency 1..4][severity 0..4][interference 0..4]
    ((0, 1, 1, 2, 2), (1, 1, 1, 2, 2), (1, 2, 2, 2, 3), (2, 2, 2, 3, 3), (2, 2, 3, 3, 3)),
    ((0, 1, 1, 2, 2), (1, 1, 1, 2, 2), (2, 2, 2, 3, 3), (2, 2, 2, 3, 3), (2, 2, 3, 3, 3)),
    ((1, 1, 1, 2, 2), (1, 1, 1, 2, 2), (2, 2, 2, 3, 3), (2, 2, 3, 3, 3), (2, 2, 3, 3, 3)),
    ((1, 1, 1, 2, 2), (1, 1, 2, 2, 3), (2, 2, 2, 3, 3), (2, 2, 3, 3, 3), (2, 2, 3, 3, 3)),
)


def composite_grade(attributes, frequency=None, severity=None, interference=None) -> int | None:
    """Composite 0-3 of one PRO-CTCAE symptom; None for presence items or unanswered items."""
    unknown = set(attributes) - set(PRO_CTCAE_ATTRIBUTES)
    if unknown:
        raise ValueError(f"unknown PRO-CTCAE attributes: {sorted(unknown)}")
    asked = tuple(name for name in PRO_CTCAE_ATTRIBUTES if name in attributes)
    given = {"frequency": frequency, "severity": severity, "interference": interference}
    scores = [given[name] for name in asked]
    if any(score is not None and not 0 <= score <= 4 for score in scores):
        raise ValueError(f"PRO-CTCAE scores must be 0-4, got {scores}")
    if not scores or scores[0] is None:
        return None
    # ProAE toxScores.R: a first attribute of 0 ("Never"/"None") skips the rest, imputed 0.
    if scores[0] == 0:
        return 0
    # ProAE leaves the composite missing when a later attribute is unanswered.
    if None in scores:
        return None
    if len(scores) == 1:
        return _ONE_ATTRIBUTE[asked[0]][scores[0]]
    if len(scores) == 2:
        return _TWO_ATTRIBUTES[asked][scores[0] - 1][scores[1]]
    return _THREE_ATTRIBUTES[scores[0] - 1][scores[1]][scores[2]]


# --- CTCAE v5.0 grades of measurements -------------------------------------------------------


def _num(x: float, decimals: int = 0) -> str:
    """A value as entered: 85.0 -> "85", 38.0 -> "38.0" with decimals=1, 39.04 stays 39.04."""
    fixed = f"{x:.{decimals}f}"
    return fixed if float(fixed) == x else f"{x:g}"


def _without_float_noise(x: float) -> float:
    # 100 × (65.1 − 62) / 62 is 4.99999… in floats; a 5 % gain must grade as 5 %.
    return round(x, 9)


def fever_grade(temperature_c: float) -> int:
    if temperature_c > FEVER_GRADE_3_ABOVE_C:
        return 3
    if temperature_c > FEVER_GRADE_2_ABOVE_C:
        return 2
    return 1 if temperature_c >= FEVER_GRADE_1_C else 0


def platelet_count_grade(platelets: float, lln: float = 150.0) -> int:
    if platelets < PLATELETS_GRADE_4_BELOW:
        return 4
    if platelets < PLATELETS_GRADE_3_BELOW:
        return 3
    if platelets < PLATELETS_GRADE_2_BELOW:
        return 2
    return 1 if platelets < lln else 0


def weight_gain_percent(weight_kg: float, baseline_kg: float) -> float:
    return _without_float_noise(100 * (weight_kg - baseline_kg) / baseline_kg)


def weight_gain_grade(percent_gain: float) -> int:
    if percent_gain >= WEIGHT_GAIN_GRADE_3_PCT:
        return 3
    if percent_gain >= WEIGHT_GAIN_GRADE_2_PCT:
        return 2
    return 1 if percent_gain >= WEIGHT_GAIN_GRADE_1_PCT else 0


def urine_output_grade(ml_8h: float) -> int:
    # Grade 4 (anuria <240 mL in 24 h) needs a 24-hour total, which one 8-hour value is not.
    return 3 if ml_8h < OLIGURIA_BELOW_ML_8H else 0


def _creatinine_grade_by_uln(value: float, uln: float) -> int:
    ratio = _without_float_noise(value / uln)
    if ratio > CREATININE_ULN_GRADE_4_ABOVE:
        return 4
    if ratio > CREATININE_ULN_GRADE_3_ABOVE:
        return 3
    if ratio > CREATININE_ULN_GRADE_2_ABOVE:
        return 2
    return 1 if ratio > 1 else 0


def _creatinine_grade_by_baseline(value: float, baseline: float | None) -> int:
    # CTCAE v5.0 has no baseline-relative grade 1; it applies the baseline rule whatever the ULN.
    if not baseline:
        return 0
    ratio = _without_float_noise(value / baseline)
    if ratio > CREATININE_BASELINE_GRADE_3_ABOVE:
        return 3
    return 2 if ratio > CREATININE_BASELINE_GRADE_2_ABOVE else 0


def creatinine_grade(value: float, baseline: float | None, uln: float) -> int:
    return max(_creatinine_grade_by_uln(value, uln), _creatinine_grade_by_baseline(value, baseline))


# --- Levels ------------------------------------------------------------------------------------


def _level(grade: int, review_from: int, urgent_from: int, expected: bool) -> str | None:
    if grade <= 0:
        return None
    if grade >= urgent_from:
        return LEVEL_URGENT
    if grade >= review_from or not expected:
        return LEVEL_REVIEW
    return LEVEL_INFO


def level_for_composite(grade: int, expected: bool) -> str | None:
    return _level(grade, COMPOSITE_REVIEW, COMPOSITE_URGENT, expected)


def level_for_ctcae(grade: int, expected: bool) -> str | None:
    return _level(grade, CTCAE_REVIEW, CTCAE_URGENT, expected)


def worst_level(findings: Iterable[Finding]) -> str | None:
    return max((f.level for f in findings), key=LEVEL_ORDER.__getitem__, default=None)


# --- Signals: each rule that fires for a term; one Finding per term merges them ---------------

# Tie order within a level: red flag or therapy rule > grade > worsening > unexpected.
_RANK_SPECIFIC, _RANK_GRADE, _RANK_WORSENING, _RANK_UNEXPECTED = 3, 2, 1, 0


@dataclass(frozen=True)
class _Signal:
    term: TermInfo
    level: str
    rule: str
    rank: int
    value: str
    threshold: str
    message: str
    source: str
    ctcae_grade: int | None = None
    composite_grade: int | None = None


@dataclass(frozen=True)
class _Context:
    therapy: TherapyProfile
    previous_grades: Mapping[str, int]
    record: str  # "report" or "visit", for messages


def _red_flag(term, rule, value, threshold, message, source) -> _Signal:
    return _Signal(term, LEVEL_URGENT, rule, _RANK_SPECIFIC, value, threshold, message, source)


def _ctcae_signal(term: TermInfo, grade: int, value: str, threshold: str, message: str) -> _Signal:
    level = level_for_ctcae(grade, expected=True)
    source = f"{CTCAE} – {term.ctcae_term}"
    return _Signal(
        term,
        level,
        "ctcae_grade",
        _RANK_GRADE,
        value,
        threshold,
        message,
        source,
        ctcae_grade=grade,
    )


def _measured_signal(term: TermInfo, grade: int, value: str, threshold: str) -> _Signal:
    message = f"{term.ctcae_term} {value} is CTCAE grade {grade}."
    return _ctcae_signal(term, grade, value, threshold, message)


def _in_context(signals: list[_Signal], grade: int | None, ctx: _Context) -> list[_Signal]:
    """Add what applies to every term that reached a level: expectedness and worsening."""
    if not signals:
        return []
    base = signals[0]
    extra = []
    if base.term.slug not in ctx.therapy.expected_terms:
        extra.append(
            _Signal(
                base.term,
                LEVEL_REVIEW,
                "unexpected_side_effect",
                _RANK_UNEXPECTED,
                base.value,
                f"not listed for {ctx.therapy.name}",
                f"Not an expected side effect of {ctx.therapy.name}.",
                UNEXPECTED_SOURCE,
            )
        )
    previous = ctx.previous_grades.get(base.term.slug)
    if grade is not None and previous is not None and grade - previous >= WORSENING_GRADES:
        extra.append(
            _Signal(
                base.term,
                LEVEL_REVIEW,
                "worsening",
                _RANK_WORSENING,
                f"grade {previous} → {grade}",
                f"rise ≥ {WORSENING_GRADES} grades",
                f"Worse by {grade - previous} grades since the last {ctx.record} "
                f"(grade {previous} → {grade}).",
                WORSENING_SOURCE,
            )
        )
    return [*signals, *extra]


# --- Patient answers ---------------------------------------------------------------------------


def _composite_signal(answer: Answer, grade: int) -> _Signal:
    scores = ", ".join(
        f"{name} {getattr(answer, name)}"
        for name in PRO_CTCAE_ATTRIBUTES
        if name in answer.term.attributes and getattr(answer, name) is not None
    )
    level = level_for_composite(grade, expected=True)
    return _Signal(
        answer.term,
        level,
        "composite_grade",
        _RANK_GRADE,
        f"composite grade {grade} ({scores})",
        f"composite grade {grade}",
        f"Patient reports {answer.term.ctcae_term} at PRO-CTCAE composite grade {grade}.",
        BASCH_2021,
        composite_grade=grade,
    )


def _presence_signal(term: TermInfo) -> _Signal:
    if term.slug == "bleeding":
        return _red_flag(
            term,
            "bleeding_present",
            "present",
            "present",
            "Patient reports blood in stool, vomit, urine or sputum.",
            BLEEDING_SOURCE,
        )
    if term.slug == "confusion":
        return _red_flag(
            term,
            "confusion_present",
            "present",
            "present",
            "Patient reports new confusion or trouble staying awake.",
            CONFUSION_SOURCE,
        )
    return _Signal(
        term,
        LEVEL_INFO,
        "symptom_present",
        _RANK_GRADE,
        "present",
        "present",
        f"Patient reports {term.ctcae_term}.",
        "PRO-CTCAE presence item (not graded)",
    )


def _answer_signals(answer: Answer, grade: int | None, ctx: _Context) -> list[_Signal]:
    if answer.term.presence:
        return _in_context([_presence_signal(answer.term)] if answer.present else [], None, ctx)
    return _in_context([_composite_signal(answer, grade)] if grade else [], grade, ctx)


# --- Clinician-graded adverse events ------------------------------------------------------------


def _adverse_event_signals(event: AdverseEventInput, ctx: _Context) -> list[_Signal]:
    if event.grade < 1:
        return []
    if event.grade >= CTCAE_URGENT:
        threshold = f"CTCAE grade ≥ {CTCAE_URGENT}"
    else:
        threshold = f"CTCAE grade {event.grade}"
    graded = _ctcae_signal(
        event.term,
        event.grade,
        f"CTCAE grade {event.grade}",
        threshold,
        f"{event.term.ctcae_term} graded {event.grade} by the clinician.",
    )
    return _in_context([graded], event.grade, ctx)


# --- Measurements: one function per rule ----------------------------------------------------


def _fever_signals(m: Measurements, b: Baseline, therapy: TherapyProfile):
    if m.temperature_c is None:
        return
    value, grade = f"{_num(m.temperature_c, 1)} °C", fever_grade(m.temperature_c)
    if grade:
        threshold = {
            1: f"≥ {FEVER_GRADE_1_C} °C",
            2: f"> {FEVER_GRADE_2_ABOVE_C} °C",
            3: f"> {FEVER_GRADE_3_ABOVE_C} °C",
        }[grade]
        yield _measured_signal(FEVER, grade, value, threshold)
    if therapy.drug_class == IL6_BLOCKER and m.temperature_c >= IL6_BLOCKER_FEVER_C:
        yield _red_flag(
            FEVER,
            "fever_on_il6_blocker",
            value,
            f"≥ {IL6_BLOCKER_FEVER_C} °C",
            f"Fever on {therapy.name}: an IL-6 blocker can mask serious infection.",
            IL6_FEVER_SOURCE,
        )


def _low_blood_pressure_signals(m: Measurements, b: Baseline, therapy: TherapyProfile):
    # CTCAE grades hypotension by the intervention needed, not by a number: no ctcae_grade.
    if m.systolic_bp is not None and m.systolic_bp < SYSTOLIC_BP_BELOW_MMHG:
        yield _red_flag(
            HYPOTENSION,
            "systolic_bp_below_90",
            f"{_num(m.systolic_bp)} mmHg",
            f"< {SYSTOLIC_BP_BELOW_MMHG} mmHg",
            f"Systolic blood pressure {_num(m.systolic_bp)} mmHg is below "
            f"{SYSTOLIC_BP_BELOW_MMHG} mmHg.",
            f"{PROLEUKIN_TABLE_2}; {ASTCT}",
        )


def _low_oxygen_signals(m: Measurements, b: Baseline, therapy: TherapyProfile):
    # CTCAE hypoxia needs to know exertion vs rest (<88 %): no ctcae_grade.
    if m.spo2 is not None and m.spo2 < SPO2_BELOW_PCT:
        yield _red_flag(
            HYPOXIA,
            "spo2_below_90",
            f"{_num(m.spo2)} %",
            f"< {SPO2_BELOW_PCT:g} %",
            f"Oxygen saturation {_num(m.spo2)} % is below {SPO2_BELOW_PCT:g} %.",
            PROLEUKIN_TABLE_2,
        )


def _fast_heart_rate_signals(m: Measurements, b: Baseline, therapy: TherapyProfile):
    # CTCAE grades sinus tachycardia by symptoms and intervention: no ctcae_grade.
    if m.heart_rate is not None and m.heart_rate > HEART_RATE_ABOVE_BPM:
        yield _red_flag(
            TACHYCARDIA,
            "heart_rate_above_130",
            f"{_num(m.heart_rate)} bpm",
            f"> {HEART_RATE_ABOVE_BPM} bpm",
            f"Heart rate {_num(m.heart_rate)} bpm is above {HEART_RATE_ABOVE_BPM} bpm.",
            DUTCHER_2014,
        )


def _weight_gain_signals(m: Measurements, b: Baseline, therapy: TherapyProfile):
    if m.weight_kg is None or not b.weight_kg:
        return
    percent = weight_gain_percent(m.weight_kg, b.weight_kg)
    value = (
        f"{percent:.1f} % over baseline ({_num(m.weight_kg, 1)} kg vs {_num(b.weight_kg, 1)} kg)"
    )
    grade = weight_gain_grade(percent)
    if grade:
        threshold = {
            1: WEIGHT_GAIN_GRADE_1_PCT,
            2: WEIGHT_GAIN_GRADE_2_PCT,
            3: WEIGHT_GAIN_GRADE_3_PCT,
        }[grade]
        yield _measured_signal(WEIGHT_GAIN, grade, value, f"≥ {threshold:g} %")
    if therapy.drug_class == IL2_HIGH_DOSE and percent > IL2_WEIGHT_GAIN_ABOVE_PCT:
        yield _red_flag(
            WEIGHT_GAIN,
            "weight_gain_il2",
            value,
            f"> {IL2_WEIGHT_GAIN_ABOVE_PCT:g} %",
            f"Weight gain of {percent:.1f} % on high-dose IL-2 suggests fluid retention.",
            f"{DUTCHER_2014}; {SPRINGERPLUS_2015}",
        )


def _urine_output_signals(m: Measurements, b: Baseline, therapy: TherapyProfile):
    if m.urine_output_ml_8h is not None and urine_output_grade(m.urine_output_ml_8h):
        yield _measured_signal(
            OLIGURIA,
            urine_output_grade(m.urine_output_ml_8h),
            f"{_num(m.urine_output_ml_8h)} mL in 8 h",
            f"< {OLIGURIA_BELOW_ML_8H:g} mL in 8 h",
        )


def _platelet_signals(m: Measurements, b: Baseline, therapy: TherapyProfile):
    if m.platelets_10e9_per_l is None:
        return
    grade = platelet_count_grade(m.platelets_10e9_per_l, b.platelets_lln_10e9_per_l)
    if grade:
        below = {
            1: b.platelets_lln_10e9_per_l,
            2: PLATELETS_GRADE_2_BELOW,
            3: PLATELETS_GRADE_3_BELOW,
            4: PLATELETS_GRADE_4_BELOW,
        }[grade]
        yield _measured_signal(
            PLATELETS_DECREASED,
            grade,
            f"{_num(m.platelets_10e9_per_l)} ×10⁹/L",
            f"< {below:g} ×10⁹/L",
        )


def _creatinine_signals(m: Measurements, b: Baseline, therapy: TherapyProfile):
    if m.creatinine_mg_dl is None:
        return
    value, uln = m.creatinine_mg_dl, b.creatinine_uln_mg_dl
    grade = creatinine_grade(value, b.creatinine_mg_dl, uln)
    if not grade:
        return
    if _creatinine_grade_by_uln(value, uln) == grade:
        factor = {
            1: 1,
            2: CREATININE_ULN_GRADE_2_ABOVE,
            3: CREATININE_ULN_GRADE_3_ABOVE,
            4: CREATININE_ULN_GRADE_4_ABOVE,
        }[grade]
        threshold = f"> {factor:g} × ULN ({factor * uln:.2f} mg/dL)"
    else:
        factor = {2: CREATININE_BASELINE_GRADE_2_ABOVE, 3: CREATININE_BASELINE_GRADE_3_ABOVE}[grade]
        threshold = f"> {factor:g} × baseline ({factor * b.creatinine_mg_dl:.2f} mg/dL)"
    yield _measured_signal(CREATININE_INCREASED, grade, f"{_num(value)} mg/dL", threshold)


_MEASUREMENT_RULES = (
    _fever_signals,
    _low_blood_pressure_signals,
    _low_oxygen_signals,
    _fast_heart_rate_signals,
    _weight_gain_signals,
    _urine_output_signals,
    _platelet_signals,
    _creatinine_signals,
)


def _measurement_signals(m: Measurements, b: Baseline, ctx: _Context):
    """Signals of every measurement, and the CTCAE grade (>= 1) of each graded measured term."""
    signals, grades = [], {}
    for rule in _MEASUREMENT_RULES:
        fired = list(rule(m, b, ctx.therapy))
        grade = max((s.ctcae_grade for s in fired if s.ctcae_grade), default=None)
        if grade:
            grades[fired[0].term.slug] = grade
        signals += _in_context(fired, grade, ctx)
    return signals, grades


# --- One finding per term, and the capillary-leak pattern ------------------------------------


def _signal_order(s: _Signal):
    return (
        LEVEL_ORDER[s.level],
        s.rank,
        s.ctcae_grade or s.composite_grade or 0,
        s.value,
        s.message,
    )


def _merge(signals: list[_Signal], therapy: TherapyProfile) -> Finding:
    ordered = sorted(signals, key=_signal_order, reverse=True)
    primary = ordered[0]
    # What was seen comes first, then why it matters more: unexpected, then worsening.
    seen = [s for s in ordered if s.rank >= _RANK_GRADE]
    context = sorted(
        (s for s in ordered if s.rank < _RANK_GRADE), key=lambda s: (s.rank, s.message)
    )
    messages = list(dict.fromkeys(s.message for s in [*seen, *context]))
    return Finding(
        level=primary.level,
        rule=primary.rule,
        term=primary.term.slug,
        ctcae_term=primary.term.ctcae_term,
        ctcae_grade=max((s.ctcae_grade for s in signals if s.ctcae_grade), default=None),
        composite_grade=max(
            (s.composite_grade for s in signals if s.composite_grade), default=None
        ),
        expected=primary.term.slug in therapy.expected_terms,
        value=primary.value,
        threshold=primary.threshold,
        message=" ".join(messages),
        source=primary.source,
    )


def _capillary_leak_signs(findings: Mapping[str, Finding], m: Measurements) -> dict[str, str]:
    """Sign name -> what shows it in this record."""
    signs = {}
    for sign, slugs in CAPILLARY_LEAK_SIGNS.items():
        shown = [f"{findings[s].ctcae_term} {findings[s].value}" for s in slugs if s in findings]
        if (
            not shown
            and sign == "low urine output"
            and m.urine_output_ml_8h is not None
            and m.urine_output_ml_8h < CAPILLARY_LEAK_URINE_BELOW_ML_8H
        ):
            shown = [f"urine output {_num(m.urine_output_ml_8h)} mL in 8 h"]
        if shown:
            signs[sign] = ", ".join(shown)
    return signs


def _fold_capillary_leak(findings: dict[str, Finding], m: Measurements, record: str):
    """Three or more signs -> one urgent finding that folds in the components' own findings."""
    signs = _capillary_leak_signs(findings, m)
    if len(signs) < CAPILLARY_LEAK_MIN_SIGNS:
        return findings
    # A clinician's own capillary-leak grade joins the pattern rather than standing beside it.
    components = [slug for slugs in CAPILLARY_LEAK_SIGNS.values() for slug in slugs]
    components.append(CAPILLARY_LEAK.slug)
    folded = [findings[slug] for slug in components if slug in findings]
    kept = {slug: f for slug, f in findings.items() if slug not in components}
    included = "; ".join(f"{f.ctcae_term} {f.value} ({f.level}: {f.rule})" for f in folded)
    kept[CAPILLARY_LEAK.slug] = Finding(
        level=LEVEL_URGENT,
        rule="possible_capillary_leak",
        term=CAPILLARY_LEAK.slug,
        ctcae_term=CAPILLARY_LEAK.ctcae_term,
        ctcae_grade=findings[CAPILLARY_LEAK.slug].ctcae_grade
        if CAPILLARY_LEAK.slug in findings
        else None,
        composite_grade=None,
        expected=None,
        value="; ".join(f"{sign}: {shown}" for sign, shown in signs.items()),
        threshold=f"≥ {CAPILLARY_LEAK_MIN_SIGNS} of {len(CAPILLARY_LEAK_SIGNS)} signs in one "
        f"{record}",
        message=f"Possible capillary leak: {len(signs)} of {len(CAPILLARY_LEAK_SIGNS)} signs in "
        f"one {record} ({', '.join(signs)}); includes {included}.",
        source=CAPILLARY_LEAK_SOURCE,
    )
    return kept


def _evaluation(signals, m: Measurements, ctx: _Context, graded_answers, measured_grades):
    by_term = defaultdict(list)
    for signal in signals:
        by_term[signal.term.slug].append(signal)
    findings = {slug: _merge(group, ctx.therapy) for slug, group in by_term.items()}
    findings = _fold_capillary_leak(findings, m, ctx.record)
    ordered = sorted(findings.values(), key=lambda f: (-LEVEL_ORDER[f.level], f.term))
    return Evaluation(tuple(ordered), tuple(graded_answers), measured_grades)


def evaluate_report(
    *,
    therapy: TherapyProfile,
    answers: Sequence[Answer],
    measurements: Measurements,
    baseline: Baseline,
    previous_grades: Mapping[str, int],
) -> Evaluation:
    """Grade a patient's report. previous_grades holds each term's last grade of the same kind
    (composite for answered terms, CTCAE for measured terms)."""
    ctx = _Context(therapy, previous_grades, "report")
    signals, graded = [], []
    for answer in answers:
        term = answer.term
        grade = (
            None
            if term.presence
            else composite_grade(
                term.attributes, answer.frequency, answer.severity, answer.interference
            )
        )
        graded.append(GradedAnswer(term.slug, grade, term.slug in therapy.expected_terms))
        signals += _answer_signals(answer, grade, ctx)
    measured, measured_grades = _measurement_signals(measurements, baseline, ctx)
    return _evaluation(signals + measured, measurements, ctx, graded, measured_grades)


def evaluate_visit(
    *,
    therapy: TherapyProfile,
    measurements: Measurements,
    adverse_events: Sequence[AdverseEventInput],
    baseline: Baseline,
    previous_grades: Mapping[str, int],
) -> Evaluation:
    """Grade a clinician's visit; previous_grades holds each term's last CTCAE grade."""
    ctx = _Context(therapy, previous_grades, "visit")
    signals = [s for event in adverse_events for s in _adverse_event_signals(event, ctx)]
    measured, measured_grades = _measurement_signals(measurements, baseline, ctx)
    return _evaluation(signals + measured, measurements, ctx, (), measured_grades)


# --- Emergency signs: the patient calls the emergency number first (PRODUCT.md §4) -------------
# Which of a patient's own answers and measurements send them to emergency services before the
# care team. The list is PRODUCT.md §4 "Emergency signs", derived from the home red-flag table of
# domain.md §5.3; each threshold reuses the red-flag constant it comes from.

EMERGENCY_TEMPERATURE_ABOVE_C = FEVER_GRADE_3_ABOVE_C  # NCI CTCAE v5.0 "Fever" grade 3: >40.0 °C
EMERGENCY_SPO2_BELOW_PCT = SPO2_BELOW_PCT  # Proleukin label 2023, Table 2 withhold: SpO₂ <90 %
EMERGENCY_SYSTOLIC_BP_BELOW_MMHG = SYSTOLIC_BP_BELOW_MMHG  # Proleukin Table 2; ASTCT: SBP <90
EMERGENCY_DYSPNEA_COMPOSITE = COMPOSITE_URGENT  # PRO-CTCAE composite 3 (Basch 2021) = severe
EMERGENCY_IL6_FEVER_C = IL6_BLOCKER_FEVER_C  # CTCAE fever floor 38.0 °C; IL-6 blockers, §5.3
# IL-6 blocker fever with breathlessness, confusion or dizziness at composite grade >= 2 (Basch
# 2021 "moderate"; presence items: present): infection the drug may hide (Actemra and Kevzara
# boxed warnings) with signs of organ involvement (domain.md §5.3, derived).
EMERGENCY_IL6_COMPANION_COMPOSITE = COMPOSITE_REVIEW
EMERGENCY_IL6_COMPANION_TERMS = ("shortness_of_breath", "confusion", "dizziness")
EMERGENCY_SOURCE = "PRODUCT.md §4 emergency signs; domain.md §5.3 home red flags" + DERIVED

HIGH_TEMPERATURE = "high_temperature"
LOW_OXYGEN = "low_oxygen"
LOW_BLOOD_PRESSURE = "low_blood_pressure"
SEVERE_SHORTNESS_OF_BREATH = "severe_shortness_of_breath"
BLEEDING = "bleeding"
CONFUSION = "confusion"
FEVER_ON_IL6_BLOCKER = "fever_on_il6_blocker"


@dataclass(frozen=True)
class EmergencySign:
    """One reason to call the emergency number. value and threshold as a clinician reads them;
    measured and limit (numbers, when the sign is a measurement) and with_terms (the symptoms
    reported with an IL-6 blocker fever) let the page say it in the patient's words."""

    sign: str
    value: str
    threshold: str
    source: str
    measured: float | None = None
    limit: float | None = None
    with_terms: tuple[str, ...] = ()


def _answer_grade(answer: Answer) -> int | None:
    if answer.term.presence:
        return None
    return composite_grade(
        answer.term.attributes, answer.frequency, answer.severity, answer.interference
    )


def _graded_value(answer: Answer, grade: int) -> str:
    if answer.term.presence:
        return "present"
    scores = ", ".join(
        f"{name} {getattr(answer, name)}"
        for name in PRO_CTCAE_ATTRIBUTES
        if name in answer.term.attributes and getattr(answer, name) is not None
    )
    return f"composite grade {grade} ({scores})"


def _measured_emergency_signs(m: Measurements):
    if m.temperature_c is not None and m.temperature_c > EMERGENCY_TEMPERATURE_ABOVE_C:
        yield EmergencySign(
            HIGH_TEMPERATURE,
            f"{_num(m.temperature_c, 1)} °C",
            f"> {EMERGENCY_TEMPERATURE_ABOVE_C} °C",
            f"{CTCAE} – Fever grade 3; {EMERGENCY_SOURCE}",
            m.temperature_c,
            EMERGENCY_TEMPERATURE_ABOVE_C,
        )
    if m.spo2 is not None and m.spo2 < EMERGENCY_SPO2_BELOW_PCT:
        yield EmergencySign(
            LOW_OXYGEN,
            f"{_num(m.spo2)} %",
            f"< {EMERGENCY_SPO2_BELOW_PCT:g} %",
            f"{PROLEUKIN_TABLE_2}; {EMERGENCY_SOURCE}",
            m.spo2,
            EMERGENCY_SPO2_BELOW_PCT,
        )
    if m.systolic_bp is not None and m.systolic_bp < EMERGENCY_SYSTOLIC_BP_BELOW_MMHG:
        yield EmergencySign(
            LOW_BLOOD_PRESSURE,
            f"{_num(m.systolic_bp)} mmHg",
            f"< {EMERGENCY_SYSTOLIC_BP_BELOW_MMHG} mmHg",
            f"{PROLEUKIN_TABLE_2}; {ASTCT}; {EMERGENCY_SOURCE}",
            m.systolic_bp,
            EMERGENCY_SYSTOLIC_BP_BELOW_MMHG,
        )


def _answered_emergency_signs(answers: Sequence[Answer]):
    for answer in answers:
        slug = answer.term.slug
        if slug == "shortness_of_breath":
            grade = _answer_grade(answer)
            if grade is not None and grade >= EMERGENCY_DYSPNEA_COMPOSITE:
                yield EmergencySign(
                    SEVERE_SHORTNESS_OF_BREATH,
                    _graded_value(answer, grade),
                    f"composite grade ≥ {EMERGENCY_DYSPNEA_COMPOSITE}",
                    f"{BASCH_2021}; {EMERGENCY_SOURCE}",
                )
        elif slug == "bleeding" and answer.present:
            yield EmergencySign(
                BLEEDING, "present", "present", f"{BLEEDING_SOURCE}; {EMERGENCY_SOURCE}"
            )
        elif slug == "confusion" and answer.present:
            yield EmergencySign(
                CONFUSION, "present", "present", f"{CONFUSION_SOURCE}; {EMERGENCY_SOURCE}"
            )


def _il6_fever_sign(therapy: TherapyProfile, answers: Sequence[Answer], m: Measurements):
    if therapy.drug_class != IL6_BLOCKER or m.temperature_c is None:
        return
    if m.temperature_c < EMERGENCY_IL6_FEVER_C:
        return
    companions = []
    for answer in answers:
        if answer.term.slug not in EMERGENCY_IL6_COMPANION_TERMS:
            continue
        if answer.term.presence:
            if answer.present:
                companions.append((answer, None))
            continue
        grade = _answer_grade(answer)
        if grade is not None and grade >= EMERGENCY_IL6_COMPANION_COMPOSITE:
            companions.append((answer, grade))
    if not companions:
        return
    shown = ", ".join(f"{a.term.ctcae_term} {_graded_value(a, grade)}" for a, grade in companions)
    yield EmergencySign(
        FEVER_ON_IL6_BLOCKER,
        f"{_num(m.temperature_c, 1)} °C on {therapy.name} with {shown}",
        f"≥ {EMERGENCY_IL6_FEVER_C} °C on an IL-6 blocker with dyspnea, confusion or dizziness "
        f"at composite grade ≥ {EMERGENCY_IL6_COMPANION_COMPOSITE} (or present)",
        f"{IL6_FEVER_SOURCE}; {EMERGENCY_SOURCE}",
        m.temperature_c,
        EMERGENCY_IL6_FEVER_C,
        tuple(a.term.slug for a, _grade in companions),
    )


def emergency_signs(
    *, therapy: TherapyProfile, answers: Sequence[Answer], measurements: Measurements
) -> tuple[EmergencySign, ...]:
    """The emergency signs among a patient's own answers and measurements, measurements first."""
    return (
        *_measured_emergency_signs(measurements),
        *_answered_emergency_signs(answers),
        *_il6_fever_sign(therapy, answers, measurements),
    )


# --- High-dose IL-2 dose advice (domain.md §4) -------------------------------------------------

WITHHOLD, RELATIVE, ABSOLUTE = "withhold", "relative criterion", "absolute criterion"


def _criterion(kind: str, what: str, source: str = DUTCHER_2014) -> tuple[str, str]:
    return kind, f"{what}: {kind} ({source})"


def _events(events: Sequence[AdverseEventInput], slugs, min_grade: int = 1):
    return [e for e in events if e.term.slug in slugs and e.grade >= min_grade]


def _il2_systolic_bp(m: Measurements, b: Baseline, events):
    if m.systolic_bp is not None and m.systolic_bp < SYSTOLIC_BP_BELOW_MMHG:
        yield _criterion(
            WITHHOLD,
            f"Systolic BP {_num(m.systolic_bp)} mmHg < {SYSTOLIC_BP_BELOW_MMHG} mmHg",
            PROLEUKIN_TABLE_2,
        )


def _il2_spo2(m: Measurements, b: Baseline, events):
    if m.spo2 is not None and m.spo2 < SPO2_BELOW_PCT:
        yield _criterion(
            WITHHOLD, f"SpO₂ {_num(m.spo2)} % < {SPO2_BELOW_PCT:g} %", PROLEUKIN_TABLE_2
        )


def _il2_mental_status(m: Measurements, b: Baseline, events):
    # Label row: "mental status change incl. moderate confusion or agitation" -> withhold.
    for e in _events(events, ("confusion", "agitation"), IL2_CONFUSION_WITHHOLD_GRADE):
        yield _criterion(
            WITHHOLD,
            f"{e.term.ctcae_term} CTCAE grade {e.grade} ≥ "
            f"{IL2_CONFUSION_WITHHOLD_GRADE} (moderate)",
            PROLEUKIN_TABLE_2,
        )


def _il2_heart_rate(m: Measurements, b: Baseline, events):
    hr = m.heart_rate
    if hr is not None and hr > HEART_RATE_ABOVE_BPM:
        yield _criterion(ABSOLUTE, f"Heart rate {_num(hr)} bpm > {HEART_RATE_ABOVE_BPM} bpm")
    elif hr is not None and hr >= IL2_HEART_RATE_RELATIVE_FROM_BPM:
        yield _criterion(
            RELATIVE,
            f"Heart rate {_num(hr)} bpm in "
            f"{IL2_HEART_RATE_RELATIVE_FROM_BPM}–{HEART_RATE_ABOVE_BPM} bpm",
        )


def _il2_urine_output(m: Measurements, b: Baseline, events):
    urine = m.urine_output_ml_8h
    if urine is not None and urine < IL2_URINE_ABSOLUTE_BELOW_ML_8H:
        yield _criterion(
            ABSOLUTE,
            f"Urine output {_num(urine)} mL in 8 h < {IL2_URINE_ABSOLUTE_BELOW_ML_8H:g} mL",
        )
    elif urine is not None and urine <= IL2_URINE_RELATIVE_MAX_ML_8H:
        yield _criterion(
            RELATIVE,
            f"Urine output {_num(urine)} mL in 8 h in "
            f"{IL2_URINE_ABSOLUTE_BELOW_ML_8H:g}–{IL2_URINE_RELATIVE_MAX_ML_8H:g} mL",
        )


def _il2_creatinine(m: Measurements, b: Baseline, events):
    value = m.creatinine_mg_dl
    if value is not None and value >= IL2_CREATININE_ABSOLUTE_FROM:
        yield _criterion(
            ABSOLUTE, f"Creatinine {_num(value)} mg/dL ≥ {IL2_CREATININE_ABSOLUTE_FROM} mg/dL"
        )
    elif value is not None and value >= IL2_CREATININE_RELATIVE_FROM:
        yield _criterion(
            RELATIVE,
            f"Creatinine {_num(value)} mg/dL in "
            f"{IL2_CREATININE_RELATIVE_FROM}–<{IL2_CREATININE_ABSOLUTE_FROM} mg/dL",
        )


def _il2_platelets(m: Measurements, b: Baseline, events):
    value = m.platelets_10e9_per_l
    if value is not None and value < IL2_PLATELETS_ABSOLUTE_BELOW:
        yield _criterion(
            ABSOLUTE, f"Platelets {_num(value)} ×10⁹/L < {IL2_PLATELETS_ABSOLUTE_BELOW:g} ×10⁹/L"
        )
    elif value is not None and value <= IL2_PLATELETS_RELATIVE_MAX:
        yield _criterion(
            RELATIVE,
            f"Platelets {_num(value)} ×10⁹/L in "
            f"{IL2_PLATELETS_ABSOLUTE_BELOW:g}–{IL2_PLATELETS_RELATIVE_MAX:g} ×10⁹/L",
        )


def _il2_weight_gain(m: Measurements, b: Baseline, events):
    if m.weight_kg is not None and b.weight_kg:
        percent = weight_gain_percent(m.weight_kg, b.weight_kg)
        if percent > IL2_WEIGHT_GAIN_ABOVE_PCT:
            yield _criterion(
                RELATIVE,
                f"Weight gain {percent:.1f} % > {IL2_WEIGHT_GAIN_ABOVE_PCT:g} % over baseline",
            )


def _il2_resting_dyspnea(m: Measurements, b: Baseline, events):
    for e in _events(events, ("shortness_of_breath",), IL2_RESTING_DYSPNEA_GRADE):
        yield _criterion(
            RELATIVE,
            f"{e.term.ctcae_term} CTCAE grade {e.grade} ≥ "
            f"{IL2_RESTING_DYSPNEA_GRADE} (resting dyspnea)",
        )


def _il2_stopping_events(m: Measurements, b: Baseline, events):
    # Dutcher 2014, Table 3, absolute at any grade: AF, SVT, ventricular arrhythmias;
    # hallucinations; frank blood in sputum, emesis or stool; documented infection.
    stopping = (*IL2_ARRHYTHMIA_TERMS, "hallucinations", "bleeding", *IL2_INFECTION_TERMS)
    for e in _events(events, stopping):
        yield _criterion(ABSOLUTE, f"{e.term.ctcae_term} CTCAE grade {e.grade} (any grade)")


_IL2_DOSE_RULES = (
    _il2_systolic_bp,
    _il2_spo2,
    _il2_mental_status,
    _il2_heart_rate,
    _il2_urine_output,
    _il2_creatinine,
    _il2_platelets,
    _il2_weight_gain,
    _il2_resting_dyspnea,
    _il2_stopping_events,
)


def dose_advice(
    *,
    therapy: TherapyProfile,
    measurements: Measurements,
    adverse_events: Sequence[AdverseEventInput],
    baseline: Baseline,
    holds_so_far: int,
) -> DoseAdvice | None:
    """Advice for the next high-dose IL-2 dose (SpringerPlus 2015 combining rule); label withhold
    triggers hold the dose but do not count towards the three relative criteria."""
    if therapy.drug_class != IL2_HIGH_DOSE:
        return None
    met = [c for rule in _IL2_DOSE_RULES for c in rule(measurements, baseline, adverse_events)]
    kinds, criteria = [kind for kind, _ in met], tuple(text for _, text in met)
    if ABSOLUTE in kinds:
        return DoseAdvice("discontinue", criteria)
    if kinds.count(RELATIVE) >= IL2_RELATIVE_CRITERIA_TO_DISCONTINUE:
        reason = (
            f"{kinds.count(RELATIVE)} relative criteria ≥ "
            f"{IL2_RELATIVE_CRITERIA_TO_DISCONTINUE}: discontinue ({SPRINGERPLUS_2015})"
        )
        return DoseAdvice("discontinue", (*criteria, reason))
    if not met:
        return DoseAdvice("give", ())
    if holds_so_far + 1 >= IL2_HELD_DOSES_TO_DISCONTINUE:
        reason = (
            f"This would be held dose {holds_so_far + 1} ({holds_so_far} held so far) ≥ "
            f"{IL2_HELD_DOSES_TO_DISCONTINUE}: discontinue ({SPRINGERPLUS_2015})"
        )
        return DoseAdvice("discontinue", (*criteria, reason))
    return DoseAdvice("hold", criteria)
