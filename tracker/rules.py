"""Clinical rules: grade answers, measurements and adverse events; decide flags and dose advice.

Plain values in, decisions out: no Django, no database. Every clinical threshold is a named
constant with its source. Rules marked "derived" are design choices assembled from cited facts
(reference/domain.md) and need clinical review before release.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

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

# The same citations by id, as a flag keeps them (Finding.source_ids, Flag.source_ids);
# tracker/source_text.py words each id in the reader's language. A note (FLAG_SOURCE_NOTES)
# says what the citation before it states there. "ctcae:<term slug>" cites a CTCAE term by
# name; "catalog:<text>" is the therapy catalog's own reason as written (it cites the
# catalog's source keys, "[NEU-WP]").
SRC_FLAG_BASCH_2021 = "basch_2021"
SRC_FLAG_PROLEUKIN_TABLE_2 = "proleukin_2023_table_2"
SRC_FLAG_DUTCHER_2014 = "dutcher_2014_table_3"
SRC_FLAG_SPRINGERPLUS_2015 = "springerplus_2015_table_1"
SRC_FLAG_ASTCT = "astct_crs"
SRC_FLAG_CATALOG_LISTED = "catalog_listed"
SRC_FLAG_BASCH_2016 = "basch_2016"
SRC_FLAG_IL6_BOXED = "il6_boxed_warnings"
SRC_FLAG_BERMAN_2021 = "berman_2021"
SRC_FLAG_PROLEUKIN_NEUROLOGIC = "proleukin_boxed_neurologic"
SRC_FLAG_PROLEUKIN_CAPILLARY_LEAK = "proleukin_boxed_capillary_leak"
SRC_FLAG_HOME_RED_FLAGS = "home_red_flags"
SRC_FLAG_CTCAE_HEMORRHAGE = "ctcae_hemorrhage"
SRC_FLAG_PRO_CTCAE_PRESENCE = "pro_ctcae_presence"
SRC_FLAG_CTCAE = "ctcae_v5"
NOTE_FRANK_BLOOD = "frank_blood_absolute"
NOTE_HALLUCINATIONS = "hallucinations_absolute"
NOTE_MODERATE_CONFUSION = "moderate_confusion_withhold"
NOTE_PULSE_OXIMETER = "pulse_oximeter"
NOTE_FEBRILE_NEUTROPENIA = "febrile_neutropenia_definition"
NOTE_DERIVED = "derived"
CTCAE_TERM_ID = "ctcae:"
CATALOG_TEXT_ID = "catalog:"
FLAG_SOURCES = {
    SRC_FLAG_BASCH_2021: BASCH_2021,
    SRC_FLAG_PROLEUKIN_TABLE_2: PROLEUKIN_TABLE_2,
    SRC_FLAG_DUTCHER_2014: DUTCHER_2014,
    SRC_FLAG_SPRINGERPLUS_2015: SPRINGERPLUS_2015,
    SRC_FLAG_ASTCT: ASTCT,
    SRC_FLAG_CATALOG_LISTED: "Therapy catalog: side effects listed for the agent",
    SRC_FLAG_BASCH_2016: "Basch et al., J Clin Oncol 2016 (alerts on worsening symptoms)",
    SRC_FLAG_IL6_BOXED: "Actemra and Kevzara boxed warnings (serious infections)",
    SRC_FLAG_BERMAN_2021: (
        "Berman et al., Life 2021 (CRP stays low in serious infection on tocilizumab)"
    ),
    SRC_FLAG_PROLEUKIN_NEUROLOGIC: "Proleukin boxed warning (neurologic toxicity)",
    SRC_FLAG_PROLEUKIN_CAPILLARY_LEAK: "Proleukin boxed warning (capillary leak syndrome)",
    SRC_FLAG_HOME_RED_FLAGS: "Home red-flag thresholds, reference/domain.md §5.3 and §4.7",
    SRC_FLAG_CTCAE_HEMORRHAGE: f"{CTCAE} hemorrhage terms (graded by site)",
    SRC_FLAG_PRO_CTCAE_PRESENCE: "PRO-CTCAE presence item (not graded)",
    SRC_FLAG_CTCAE: CTCAE,
    NOTE_FRANK_BLOOD: " (frank blood: absolute criterion)",
    NOTE_HALLUCINATIONS: " (hallucinations: absolute criterion)",
    NOTE_MODERATE_CONFUSION: " (moderate confusion: withhold)",
    NOTE_PULSE_OXIMETER: " (pulse oximeter < 88 %)",
    NOTE_FEBRILE_NEUTROPENIA: (
        " (ANC < 1000/mm³ with a single temperature > 38.3 °C or ≥ 38.0 °C sustained over 1 h)"
    ),
    NOTE_DERIVED: DERIVED,
}
FLAG_SOURCE_NOTES = frozenset(
    {
        NOTE_FRANK_BLOOD,
        NOTE_HALLUCINATIONS,
        NOTE_MODERATE_CONFUSION,
        NOTE_PULSE_OXIMETER,
        NOTE_FEBRILE_NEUTROPENIA,
        NOTE_DERIVED,
    }
)


@dataclass(frozen=True)
class Cited:
    """A finding's sources: their ids (FLAG_SOURCES, "ctcae:…", "catalog:…") and the same in
    English, as a clinician reads them in a flag (kept for audit)."""

    ids: tuple[str, ...]
    english: str


@dataclass(frozen=True)
class TermInfo:
    """One vocabulary entry, as the rules need it; attributes in asked order."""

    slug: str
    ctcae_term: str
    attributes: tuple[str, ...] = ()
    presence: bool = False


def cite(*items: str | TermInfo | Cited) -> Cited:
    """Citations in order: a source id (a note joins the citation before it), a CTCAE term, a
    Cited, or any other text as the catalog's own words. Empty text is left out."""
    ids: list[str] = []
    english = ""
    for item in items:
        if isinstance(item, Cited):
            new, words = item.ids, item.english
        elif isinstance(item, TermInfo):
            new, words = (CTCAE_TERM_ID + item.slug,), f"{CTCAE} – {item.ctcae_term}"
        elif item in FLAG_SOURCES:
            new, words = (item,), FLAG_SOURCES[item]
        elif item:
            new, words = (CATALOG_TEXT_ID + item,), item
        else:
            continue
        if english and new and new[0] not in FLAG_SOURCE_NOTES:
            english += "; "
        english += words
        ids += new
    return Cited(tuple(ids), english)


FEBRILE_NEUTROPENIA_TERM = TermInfo("febrile_neutropenia", "Febrile neutropenia")
UNEXPECTED_CITED = cite(SRC_FLAG_CATALOG_LISTED, NOTE_DERIVED)
WORSENING_CITED = cite(SRC_FLAG_BASCH_2016, NOTE_DERIVED)
IL6_FEVER_CITED = cite(SRC_FLAG_IL6_BOXED, SRC_FLAG_BERMAN_2021, NOTE_DERIVED)
BLEEDING_CITED = cite(SRC_FLAG_DUTCHER_2014, NOTE_FRANK_BLOOD)
CONFUSION_CITED = cite(
    SRC_FLAG_PROLEUKIN_NEUROLOGIC, SRC_FLAG_PROLEUKIN_TABLE_2, NOTE_MODERATE_CONFUSION, NOTE_DERIVED
)
CAPILLARY_LEAK_CITED = cite(
    SRC_FLAG_PROLEUKIN_CAPILLARY_LEAK, SRC_FLAG_DUTCHER_2014, SRC_FLAG_CTCAE, NOTE_DERIVED
)
# Red flags on any course other than high-dose IL-2: the Proleukin label and Dutcher 2014 are
# about aldesleukin only, so the flag cites CTCAE and the home red-flag table instead.
HOME_RED_FLAGS_CITED = cite(SRC_FLAG_HOME_RED_FLAGS, NOTE_DERIVED)
GENERAL_BLEEDING_CITED = cite(SRC_FLAG_CTCAE_HEMORRHAGE, HOME_RED_FLAGS_CITED)
HALLUCINATIONS_CITED = cite(SRC_FLAG_DUTCHER_2014, NOTE_HALLUCINATIONS)
FEBRILE_NEUTROPENIA_CITED = cite(FEBRILE_NEUTROPENIA_TERM, NOTE_FEBRILE_NEUTROPENIA)

UNEXPECTED_SOURCE = UNEXPECTED_CITED.english
WORSENING_SOURCE = WORSENING_CITED.english
IL6_FEVER_SOURCE = IL6_FEVER_CITED.english
BLEEDING_SOURCE = BLEEDING_CITED.english
CONFUSION_SOURCE = CONFUSION_CITED.english
CAPILLARY_LEAK_SOURCE = CAPILLARY_LEAK_CITED.english
HOME_RED_FLAGS = HOME_RED_FLAGS_CITED.english
GENERAL_BLEEDING_SOURCE = GENERAL_BLEEDING_CITED.english
GENERAL_CONFUSION_CITED = cite(TermInfo("confusion", "Confusion"), HOME_RED_FLAGS_CITED)
GENERAL_HALLUCINATIONS_CITED = cite(
    TermInfo("hallucinations", "Hallucinations"), HOME_RED_FLAGS_CITED
)
GENERAL_CONFUSION_SOURCE = GENERAL_CONFUSION_CITED.english
GENERAL_CAPILLARY_LEAK_SOURCE = f"{CTCAE} – Capillary leak syndrome; {HOME_RED_FLAGS}"
HALLUCINATIONS_SOURCE = HALLUCINATIONS_CITED.english
GENERAL_HALLUCINATIONS_SOURCE = GENERAL_HALLUCINATIONS_CITED.english
FEBRILE_NEUTROPENIA = FEBRILE_NEUTROPENIA_CITED.english

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
# A therapy whose catalog entry carries a neutropenic / early-escalation fever risk (oprelvekin
# after myelosuppressive chemotherapy, investigational IL-12): fever from the CTCAE grade 1 floor
# is reviewed the same day; CTCAE febrile neutropenia counts >= 38.0 °C sustained > 1 h
# (domain.md §4.7, §5.3; derived on cited facts).
FEVER_ESCALATION_C = 38.0
# Recorded by a clinician at any grade, these are red flags on every course (domain.md §4.7):
# frank blood (Dutcher 2014, Table 3: absolute) and hallucinations (Dutcher 2014: absolute).
RED_FLAG_BLEEDING = "bleeding"
RED_FLAG_HALLUCINATIONS = "hallucinations"
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
class TherapyProfile:
    """drug_class: il2_high_dose, il2_low_dose, il11, il12, il1_blocker, il6_blocker,
    il12_23_blocker, il23_blocker or il17_blocker; expected_terms: slugs.

    fever_escalation_risk: the catalog says a fever on this agent is reviewed the same day
    (neutropenic or early-escalation risk); fever_escalation_source says why, cited."""

    name: str
    drug_class: str
    expected_terms: frozenset[str]
    fever_escalation_risk: bool = False
    fever_escalation_source: str = ""


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
    source: str  # the sources in English, as a clinician reads them (kept for audit)
    # The message as parts ({"key": …, "params": {…}}) that a page renders in its reader's
    # language (tracker/flag_text.py); `message` is the same in English, kept for audit.
    parts: tuple[dict[str, object], ...] = ()
    # The sources by id (FLAG_SOURCES, "ctcae:…", "catalog:…"), worded when shown
    # (tracker/source_text.py); `source` is the same in English.
    source_ids: tuple[str, ...] = ()


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
    measured_grades: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DoseAdvice:
    """The advice for the next high-dose IL-2 dose, judged on the course at a time.

    decision: give, hold, discontinue or incomplete. criteria: the criteria met, each naming
    value, threshold and source; checked: those assessed and not met; not_assessed: those
    without an assessment in their window (each an AdviceItem, worded when shown). since: when
    the course was discontinued (a discontinuation is permanent until a physician's override).
    """

    decision: str
    criteria: tuple[AdviceItem, ...]
    checked: tuple[AdviceItem, ...] = ()
    not_assessed: tuple[AdviceItem, ...] = ()
    since: datetime | None = None
    permanent: bool = False


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


def composite_grade(
    attributes: Sequence[str],
    frequency: int | None = None,
    severity: int | None = None,
    interference: int | None = None,
) -> int | None:
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
    known = [score for score in scores if score is not None]
    if len(known) < len(scores):
        return None
    if len(known) == 1:
        return _ONE_ATTRIBUTE[asked[0]][known[0]]
    if len(known) == 2:
        return _TWO_ATTRIBUTES[(asked[0], asked[1])][known[0] - 1][known[1]]
    return _THREE_ATTRIBUTES[known[0] - 1][known[1]][known[2]]


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


# The measurement that grades each measured term (PRODUCT.md §6): what a record must hold for
# the term to have a grade. Blood pressure, SpO₂ and heart rate are red flags, not CTCAE grades.
GRADED_MEASUREMENTS = {
    "temperature_c": "fever",
    "weight_kg": "weight_gain",
    "urine_output_ml_8h": "oliguria",
    "platelets_10e9_per_l": "platelets_decreased",
    "creatinine_mg_dl": "creatinine_increased",
}


def grade_measurements(m: Measurements, b: Baseline) -> dict[str, int]:
    """The CTCAE v5.0 grade of each measured term that `m` measures, 0 when normal (weight gain
    only against a baseline weight). The grades the flags use, and the previous grades that a
    later record's worsening is judged against."""
    grades = {}
    if m.temperature_c is not None:
        grades["fever"] = fever_grade(m.temperature_c)
    if m.weight_kg is not None and b.weight_kg:
        grades["weight_gain"] = weight_gain_grade(weight_gain_percent(m.weight_kg, b.weight_kg))
    if m.urine_output_ml_8h is not None:
        grades["oliguria"] = urine_output_grade(m.urine_output_ml_8h)
    if m.platelets_10e9_per_l is not None:
        grades["platelets_decreased"] = platelet_count_grade(
            m.platelets_10e9_per_l, b.platelets_lln_10e9_per_l
        )
    if m.creatinine_mg_dl is not None:
        grades["creatinine_increased"] = creatinine_grade(
            m.creatinine_mg_dl, b.creatinine_mg_dl, b.creatinine_uln_mg_dl
        )
    return grades


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
class _Msg:
    """A message in English and as a part to render in the reader's language: `key` names its
    template in tracker/flag_text.py, `params` fill it (a term by its slug)."""

    english: str
    key: str
    params: tuple[tuple[str, object], ...] = ()

    def part(self) -> dict[str, object]:
        return {"key": self.key, "params": dict(self.params)}


def _msg(key: str, english: str, **params: object) -> _Msg:
    return _Msg(english, key, tuple(params.items()))


def _term_params(term: TermInfo) -> dict[str, object]:
    return {"term": term.slug, "term_en": term.ctcae_term}


@dataclass(frozen=True)
class _Signal:
    term: TermInfo
    level: str
    rule: str
    rank: int
    value: str
    threshold: str
    message: _Msg
    source: Cited
    ctcae_grade: int | None = None
    composite_grade: int | None = None


@dataclass(frozen=True)
class _Context:
    therapy: TherapyProfile
    previous_grades: Mapping[str, int]
    record: str  # "report" or "visit", for messages


def _red_flag(
    term: TermInfo, rule: str, value: str, threshold: str, message: _Msg, source: Cited
) -> _Signal:
    return _Signal(term, LEVEL_URGENT, rule, _RANK_SPECIFIC, value, threshold, message, source)


def _is_high_dose_il2(therapy: TherapyProfile) -> bool:
    """Whether the Proleukin label and Dutcher 2014 are this therapy's own sources."""
    return therapy.drug_class == IL2_HIGH_DOSE


def _fever_escalation_signal(value: str, threshold: str, therapy: TherapyProfile) -> _Signal:
    """At least "review today" for a fever on a therapy with a neutropenic or early-escalation
    fever risk (its catalog entry), however expected fever is."""
    return _Signal(
        FEVER,
        LEVEL_REVIEW,
        "fever_escalation_risk",
        _RANK_SPECIFIC,
        value,
        threshold,
        _msg(
            "fever_escalation_risk",
            f"Fever on {therapy.name}: review today, even if expected. A fever on this therapy "
            "can be neutropenic fever or need early escalation; check the neutrophil count "
            "(febrile neutropenia: ANC < 1000/mm³ with fever).",
            therapy=therapy.name,
        ),
        cite(FEBRILE_NEUTROPENIA_CITED, therapy.fever_escalation_source, NOTE_DERIVED),
    )


def _il6_fever_signal(value: str, threshold: str, therapy: TherapyProfile) -> _Signal:
    return _red_flag(
        FEVER,
        "fever_on_il6_blocker",
        value,
        threshold,
        _msg(
            "fever_on_il6_blocker",
            f"Fever on {therapy.name}: an IL-6 blocker can mask serious infection.",
            therapy=therapy.name,
        ),
        IL6_FEVER_CITED,
    )


def _ctcae_signal(term: TermInfo, grade: int, value: str, threshold: str, message: _Msg) -> _Signal:
    # Graded 1 or more here: always a level.
    level = cast(str, level_for_ctcae(grade, expected=True))
    source = cite(term)
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
    message = _msg(
        "ctcae_measured",
        f"{term.ctcae_term} {value} is CTCAE grade {grade}.",
        **_term_params(term),
        value=value,
        grade=grade,
    )
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
                _msg(
                    "unexpected_side_effect",
                    f"Not an expected side effect of {ctx.therapy.name}.",
                    therapy=ctx.therapy.name,
                ),
                UNEXPECTED_CITED,
            )
        )
    previous = ctx.previous_grades.get(base.term.slug)
    if grade is not None and previous is not None and grade - previous >= WORSENING_GRADES:
        # The previous grade may come from a report or a visit, measured or graded by a
        # clinician: the message names no kind of record.
        extra.append(
            _Signal(
                base.term,
                LEVEL_REVIEW,
                "worsening",
                _RANK_WORSENING,
                f"grade {previous} → {grade}",
                f"rise ≥ {WORSENING_GRADES} grades",
                _msg(
                    "worsening",
                    f"Worsening: grade {previous} → {grade}, {grade - previous} grades worse "
                    "than its previous grade in this course.",
                    previous=previous,
                    grade=grade,
                    rise=grade - previous,
                ),
                WORSENING_CITED,
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
    level = cast(str, level_for_composite(grade, expected=True))  # graded 1 or more here
    return _Signal(
        answer.term,
        level,
        "composite_grade",
        _RANK_GRADE,
        f"composite grade {grade} ({scores})",
        f"composite grade {grade}",
        _msg(
            "composite_grade",
            f"Patient reports {answer.term.ctcae_term} at PRO-CTCAE composite grade {grade}.",
            **_term_params(answer.term),
            grade=grade,
        ),
        cite(SRC_FLAG_BASCH_2021),
        composite_grade=grade,
    )


def _presence_signal(term: TermInfo, therapy: TherapyProfile) -> _Signal:
    il2 = _is_high_dose_il2(therapy)
    if term.slug == RED_FLAG_BLEEDING:
        return _red_flag(
            term,
            "bleeding_present",
            "present",
            "present",
            _msg("bleeding_present", "Patient reports blood in stool, vomit, urine or sputum."),
            BLEEDING_CITED if il2 else GENERAL_BLEEDING_CITED,
        )
    if term.slug == "confusion":
        return _red_flag(
            term,
            "confusion_present",
            "present",
            "present",
            _msg("confusion_present", "Patient reports new confusion or trouble staying awake."),
            CONFUSION_CITED if il2 else GENERAL_CONFUSION_CITED,
        )
    return _Signal(
        term,
        LEVEL_INFO,
        "symptom_present",
        _RANK_GRADE,
        "present",
        "present",
        _msg("symptom_present", f"Patient reports {term.ctcae_term}.", **_term_params(term)),
        cite(SRC_FLAG_PRO_CTCAE_PRESENCE),
    )


def _answer_signals(answer: Answer, grade: int | None, ctx: _Context) -> list[_Signal]:
    if answer.term.presence:
        present = [_presence_signal(answer.term, ctx.therapy)] if answer.present else []
        return _in_context(present, None, ctx)
    return _in_context([_composite_signal(answer, grade)] if grade else [], grade, ctx)


# --- Clinician-graded adverse events ------------------------------------------------------------


def _adverse_event_red_flags(
    event: AdverseEventInput, value: str, therapy: TherapyProfile
) -> Iterator[_Signal]:
    """Red flags that no grade and no "expected" can lower (domain.md §4.7)."""
    slug, il2 = event.term.slug, _is_high_dose_il2(therapy)
    if slug == RED_FLAG_BLEEDING:
        yield _red_flag(
            event.term,
            "bleeding_recorded",
            value,
            "any grade",
            _msg(
                "bleeding_recorded",
                "Frank blood recorded by the clinician: a red flag at any grade, expected or not.",
            ),
            BLEEDING_CITED if il2 else GENERAL_BLEEDING_CITED,
        )
    elif slug == RED_FLAG_HALLUCINATIONS:
        yield _red_flag(
            event.term,
            "hallucinations_recorded",
            value,
            "any grade",
            _msg(
                "hallucinations_recorded",
                "Hallucinations recorded by the clinician: a red flag at any grade, expected or "
                "not.",
            ),
            HALLUCINATIONS_CITED if il2 else GENERAL_HALLUCINATIONS_CITED,
        )
    elif slug == FEVER.slug and therapy.drug_class == IL6_BLOCKER:
        yield _il6_fever_signal(value, "any grade", therapy)
    elif slug == FEVER.slug and therapy.fever_escalation_risk:
        yield _fever_escalation_signal(value, "any grade", therapy)


def _adverse_event_signals(event: AdverseEventInput, ctx: _Context) -> list[_Signal]:
    if event.grade < 1:
        return []
    if event.grade >= CTCAE_URGENT:
        threshold = f"CTCAE grade ≥ {CTCAE_URGENT}"
    else:
        threshold = f"CTCAE grade {event.grade}"
    value = f"CTCAE grade {event.grade}"
    graded = _ctcae_signal(
        event.term,
        event.grade,
        value,
        threshold,
        _msg(
            "ctcae_graded",
            f"{event.term.ctcae_term} graded {event.grade} by the clinician.",
            **_term_params(event.term),
            grade=event.grade,
        ),
    )
    red_flags = list(_adverse_event_red_flags(event, value, ctx.therapy))
    return _in_context([graded, *red_flags], event.grade, ctx)


# --- Measurements: one function per rule ----------------------------------------------------


def _fever_signals(m: Measurements, b: Baseline, therapy: TherapyProfile) -> Iterator[_Signal]:
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
        yield _il6_fever_signal(value, f"≥ {IL6_BLOCKER_FEVER_C} °C", therapy)
    elif therapy.fever_escalation_risk and m.temperature_c >= FEVER_ESCALATION_C:
        yield _fever_escalation_signal(value, f"≥ {FEVER_ESCALATION_C} °C", therapy)


def _low_blood_pressure_signals(
    m: Measurements, b: Baseline, therapy: TherapyProfile
) -> Iterator[_Signal]:
    # CTCAE grades hypotension by the intervention needed, not by a number: no ctcae_grade.
    if m.systolic_bp is not None and m.systolic_bp < SYSTOLIC_BP_BELOW_MMHG:
        yield _red_flag(
            HYPOTENSION,
            "systolic_bp_below_90",
            f"{_num(m.systolic_bp)} mmHg",
            f"< {SYSTOLIC_BP_BELOW_MMHG} mmHg",
            _msg(
                "systolic_bp_below_90",
                f"Systolic blood pressure {_num(m.systolic_bp)} mmHg is below "
                f"{SYSTOLIC_BP_BELOW_MMHG} mmHg.",
                value=_num(m.systolic_bp),
                limit=SYSTOLIC_BP_BELOW_MMHG,
            ),
            cite(SRC_FLAG_PROLEUKIN_TABLE_2, SRC_FLAG_ASTCT)
            if _is_high_dose_il2(therapy)
            else cite(SRC_FLAG_ASTCT, HOME_RED_FLAGS_CITED),
        )


def _low_oxygen_signals(m: Measurements, b: Baseline, therapy: TherapyProfile) -> Iterator[_Signal]:
    # CTCAE hypoxia needs to know exertion vs rest (<88 %): no ctcae_grade.
    if m.spo2 is not None and m.spo2 < SPO2_BELOW_PCT:
        yield _red_flag(
            HYPOXIA,
            "spo2_below_90",
            f"{_num(m.spo2)} %",
            f"< {SPO2_BELOW_PCT:g} %",
            _msg(
                "spo2_below_90",
                f"Oxygen saturation {_num(m.spo2)} % is below {SPO2_BELOW_PCT:g} %.",
                value=_num(m.spo2),
                limit=f"{SPO2_BELOW_PCT:g}",
            ),
            cite(SRC_FLAG_PROLEUKIN_TABLE_2)
            if _is_high_dose_il2(therapy)
            else cite(HYPOXIA, NOTE_PULSE_OXIMETER, HOME_RED_FLAGS_CITED),
        )


def _fast_heart_rate_signals(
    m: Measurements, b: Baseline, therapy: TherapyProfile
) -> Iterator[_Signal]:
    # CTCAE grades sinus tachycardia by symptoms and intervention: no ctcae_grade.
    if m.heart_rate is not None and m.heart_rate > HEART_RATE_ABOVE_BPM:
        yield _red_flag(
            TACHYCARDIA,
            "heart_rate_above_130",
            f"{_num(m.heart_rate)} bpm",
            f"> {HEART_RATE_ABOVE_BPM} bpm",
            _msg(
                "heart_rate_above_130",
                f"Heart rate {_num(m.heart_rate)} bpm is above {HEART_RATE_ABOVE_BPM} bpm.",
                value=_num(m.heart_rate),
                limit=HEART_RATE_ABOVE_BPM,
            ),
            cite(SRC_FLAG_DUTCHER_2014)
            if _is_high_dose_il2(therapy)
            else cite(TACHYCARDIA, HOME_RED_FLAGS_CITED),
        )


def _weight_gain_signals(
    m: Measurements, b: Baseline, therapy: TherapyProfile
) -> Iterator[_Signal]:
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
    if _is_high_dose_il2(therapy) and percent > IL2_WEIGHT_GAIN_ABOVE_PCT:
        yield _red_flag(
            WEIGHT_GAIN,
            "weight_gain_il2",
            value,
            f"> {IL2_WEIGHT_GAIN_ABOVE_PCT:g} %",
            _msg(
                "weight_gain_il2",
                f"Weight gain of {percent:.1f} % on high-dose IL-2 suggests fluid retention.",
                percent=f"{percent:.1f}",
            ),
            cite(SRC_FLAG_DUTCHER_2014, SRC_FLAG_SPRINGERPLUS_2015),
        )


def _urine_output_signals(
    m: Measurements, b: Baseline, therapy: TherapyProfile
) -> Iterator[_Signal]:
    if m.urine_output_ml_8h is not None and urine_output_grade(m.urine_output_ml_8h):
        yield _measured_signal(
            OLIGURIA,
            urine_output_grade(m.urine_output_ml_8h),
            f"{_num(m.urine_output_ml_8h)} mL in 8 h",
            f"< {OLIGURIA_BELOW_ML_8H:g} mL in 8 h",
        )


def _platelet_signals(m: Measurements, b: Baseline, therapy: TherapyProfile) -> Iterator[_Signal]:
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


def _creatinine_signals(m: Measurements, b: Baseline, therapy: TherapyProfile) -> Iterator[_Signal]:
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
        baseline = cast(float, b.creatinine_mg_dl)  # graded against it: it is known
        threshold = f"> {factor:g} × baseline ({factor * baseline:.2f} mg/dL)"
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


def _measurement_signals(
    m: Measurements, b: Baseline, ctx: _Context
) -> tuple[list[_Signal], dict[str, int]]:
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


def _signal_order(s: _Signal) -> tuple[Any, ...]:
    return (
        LEVEL_ORDER[s.level],
        s.rank,
        s.ctcae_grade or s.composite_grade or 0,
        s.value,
        s.message.english,
    )


def _merge(signals: list[_Signal], therapy: TherapyProfile) -> Finding:
    ordered = sorted(signals, key=_signal_order, reverse=True)
    primary = ordered[0]
    # What was seen comes first, then why it matters more: unexpected, then worsening.
    seen = [s for s in ordered if s.rank >= _RANK_GRADE]
    context = sorted(
        (s for s in ordered if s.rank < _RANK_GRADE), key=lambda s: (s.rank, s.message.english)
    )
    messages = list({s.message.english: s.message for s in [*seen, *context]}.values())
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
        message=" ".join(m.english for m in messages),
        source=primary.source.english,
        parts=tuple(m.part() for m in messages),
        source_ids=primary.source.ids,
    )


def _capillary_leak_signs(
    findings: Mapping[str, Finding], m: Measurements
) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """Sign name -> what shows it in this record: (English text, its part's params) each."""
    signs: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for sign, slugs in CAPILLARY_LEAK_SIGNS.items():
        shown = [
            (
                f"{findings[s].ctcae_term} {findings[s].value}",
                {"term": s, "term_en": findings[s].ctcae_term, "value": findings[s].value},
            )
            for s in slugs
            if s in findings
        ]
        if (
            not shown
            and sign == "low urine output"
            and m.urine_output_ml_8h is not None
            and m.urine_output_ml_8h < CAPILLARY_LEAK_URINE_BELOW_ML_8H
        ):
            volume = _num(m.urine_output_ml_8h)
            shown = [(f"urine output {volume} mL in 8 h", {"urine_ml_8h": volume})]
        if shown:
            signs[sign] = shown
    return signs


def _fold_capillary_leak(
    findings: dict[str, Finding], m: Measurements, record: str, therapy: TherapyProfile
) -> dict[str, Finding]:
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
    message = _msg(
        "possible_capillary_leak",
        f"Possible capillary leak: {len(signs)} of {len(CAPILLARY_LEAK_SIGNS)} signs in "
        f"one {record} ({', '.join(signs)}); includes {included}.",
        count=len(signs),
        total=len(CAPILLARY_LEAK_SIGNS),
        record=record,
        signs=list(signs),
        included=[
            {
                "term": f.term,
                "term_en": f.ctcae_term,
                "value": f.value,
                "level": f.level,
                "rule": f.rule,
            }
            for f in folded
        ],
    )
    cited = (
        CAPILLARY_LEAK_CITED
        if _is_high_dose_il2(therapy)
        else cite(CAPILLARY_LEAK, HOME_RED_FLAGS_CITED)
    )
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
        value="; ".join(
            f"{sign}: {', '.join(text for text, _ in shown)}" for sign, shown in signs.items()
        ),
        threshold=f"≥ {CAPILLARY_LEAK_MIN_SIGNS} of {len(CAPILLARY_LEAK_SIGNS)} signs in one "
        f"{record}",
        message=message.english,
        parts=(message.part(),),
        source=cited.english,
        source_ids=cited.ids,
    )
    return kept


def _evaluation(
    signals: Iterable[_Signal],
    m: Measurements,
    ctx: _Context,
    graded_answers: Iterable[Any],
    measured_grades: dict[str, int],
) -> Evaluation:
    by_term = defaultdict(list)
    for signal in signals:
        by_term[signal.term.slug].append(signal)
    findings = {slug: _merge(group, ctx.therapy) for slug, group in by_term.items()}
    findings = _fold_capillary_leak(findings, m, ctx.record, ctx.therapy)
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
    (composite for answered terms; CTCAE for measured terms, whether measured or graded by a
    clinician, see grade_measurements)."""
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
    """Grade a clinician's visit; previous_grades holds each term's last CTCAE grade (for a
    measured term, measured or graded by a clinician, see grade_measurements)."""
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


def _graded_value(answer: Answer, grade: int | None) -> str:
    if answer.term.presence:
        return "present"
    scores = ", ".join(
        f"{name} {getattr(answer, name)}"
        for name in PRO_CTCAE_ATTRIBUTES
        if name in answer.term.attributes and getattr(answer, name) is not None
    )
    return f"composite grade {grade} ({scores})"


def _measured_emergency_signs(m: Measurements) -> Iterator[EmergencySign]:
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


def _answered_emergency_signs(answers: Sequence[Answer]) -> Iterator[EmergencySign]:
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


def _il6_fever_sign(
    therapy: TherapyProfile, answers: Sequence[Answer], m: Measurements
) -> Iterator[EmergencySign]:
    if therapy.drug_class != IL6_BLOCKER or m.temperature_c is None:
        return
    if m.temperature_c < EMERGENCY_IL6_FEVER_C:
        return
    companions: list[tuple[Answer, int | None]] = []
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


# --- High-dose IL-2 dose advice (domain.md §4 and §4.6) ------------------------------------------
#
# The advice for the next dose is a judgement on the course at a time, not on the form just
# saved: each criterion reads its latest assessment within its window (a number, or a CTCAE
# grade recorded by the clinician, which meets the criterion its definition states). "give"
# needs every core criterion assessed in its window; a discontinuation is permanent for the
# course until a physician records an override (Proleukin label 2023, Table 2: "permanently
# discontinue").
#
# The advice names what it found as parts (AdviceItem: criterion id, wording key, kind, values,
# thresholds and units, source ids, window); tracker/advice_text.py words them in the reader's
# language when they are shown.

GIVE, HOLD, DISCONTINUE, INCOMPLETE = "give", "hold", "discontinue", "incomplete"
WITHHOLD, RELATIVE, ABSOLUTE = "withhold", "relative criterion", "absolute criterion"
PROLEUKIN_OLD_LABEL = "Proleukin label 2012 (boxed warning; withhold and discontinue table)"
PROLEUKIN_PERMANENT = PROLEUKIN_TABLE_2 + " (permanently discontinue)"
CAUTIOUS_ARRHYTHMIA = (
    f"{PROLEUKIN_TABLE_2} withholds for AF/SVT; {DUTCHER_2014} and {SPRINGERPLUS_2015} stop: "
    "the more cautious is followed"
)

# The sources the advice cites, by id (an AdviceItem's `sources`), with their citations.
SRC_PROLEUKIN_2023 = "proleukin_2023_table_2"
SRC_PROLEUKIN_2023_PERMANENT = "proleukin_2023_table_2_permanent"
SRC_PROLEUKIN_2012 = "proleukin_2012"
SRC_DUTCHER = "dutcher_2014_table_3"
SRC_DUTCHER_FOOTNOTE = "dutcher_2014_table_3_footnote"
SRC_DUTCHER_RENAL = "dutcher_2014_table_3_renal_row"
SRC_SPRINGERPLUS = "springerplus_2015_table_1"
SRC_SPRINGERPLUS_NEURO = "springerplus_2015_table_1_neurological"
SRC_CTCAE = "ctcae_v5"
SRC_CAUTIOUS_ARRHYTHMIA = "arrhythmia_more_cautious"
SRC_DERIVED = "derived"  # not a source: marks a criterion derived from the others
ADVICE_SOURCES = {
    SRC_PROLEUKIN_2023: PROLEUKIN_TABLE_2,
    SRC_PROLEUKIN_2023_PERMANENT: PROLEUKIN_PERMANENT,
    SRC_PROLEUKIN_2012: PROLEUKIN_OLD_LABEL,
    SRC_DUTCHER: DUTCHER_2014,
    SRC_DUTCHER_FOOTNOTE: DUTCHER_2014 + ", footnote",
    SRC_DUTCHER_RENAL: DUTCHER_2014 + " (renal row)",
    SRC_SPRINGERPLUS: SPRINGERPLUS_2015,
    SRC_SPRINGERPLUS_NEURO: SPRINGERPLUS_2015 + " (neurological changes)",
    SRC_CTCAE: CTCAE,
    SRC_CAUTIOUS_ARRHYTHMIA: CAUTIOUS_ARRHYTHMIA,
    SRC_DERIVED: DERIVED.strip(" ()"),
}

# Windows: how old an assessment may be and still speak for a criterion at dose time.
# Proleukin label: 600,000 IU/kg every 8 hours; the criteria are assessed at the time of each
# dose (Dutcher 2014, Table 3), so vitals, mental status, pressors and oxygen count from the
# previous scheduled dose on: one dosing interval.
IL2_DOSE_INTERVAL = timedelta(hours=8)
# Urine output is judged per 8-hour shift (Dutcher 2014, Table 3; SpringerPlus 2015, Table 1).
IL2_URINE_WINDOW = timedelta(hours=8)
# Labs and weight: drawn and weighed daily on IL-2 wards (TIL protocols, JITC 2024: labs
# twice daily; weight against the admission baseline, Dutcher 2014) (derived, needs review).
IL2_LABS_WINDOW = timedelta(hours=24)
IL2_WEIGHT_WINDOW = timedelta(hours=24)

# Neurologic (domain.md §4.6): any mental status change withholds (Proleukin 2023, Table 2:
# "including moderate confusion or agitation", until completely resolved); moderate to severe
# lethargy or somnolence withholds (Proleukin 2012 boxed warning); hallucinations, and
# disorientation (confusion grade >= 3), discontinue (Dutcher 2014; SpringerPlus 2015).
IL2_CONFUSION_WITHHOLD_GRADE = 1  # Proleukin 2023, Table 2: any mental status change
IL2_CONFUSION_STOP_GRADE = 3  # CTCAE v5.0 confusion G3 "severe disorientation"; SpringerPlus 2015
IL2_AGITATION_WITHHOLD_GRADE = 1  # Proleukin 2023, Table 2: mental status change incl. agitation
IL2_SOMNOLENCE_WITHHOLD_GRADE = 2  # Proleukin 2012 boxed warning: moderate to severe somnolence
IL2_SOMNOLENCE_STOP_GRADE = 3  # CTCAE v5.0 G3 "obtundation or stupor" (derived, SpringerPlus 2015)
# Pulmonary (Dutcher 2014, Table 3; SpringerPlus 2015, Table 1): 3-4 L/min by nasal cannula to
# keep SpO2 >= 95 % is relative, more than 4 L/min is absolute.
IL2_OXYGEN_RELATIVE_FROM_L_MIN = 3.0
IL2_OXYGEN_ABSOLUTE_ABOVE_L_MIN = 4.0
IL2_HYPOXIA_WITHHOLD_GRADE = 3  # CTCAE v5.0 hypoxia G3: SpO2 < 88 % at rest, so < 90 % (label)
IL2_HYPOXIA_STOP_GRADE = 4  # CTCAE v5.0 G4: intubation; Dutcher 2014: intubation is absolute
IL2_HYPOXIA_GRADE_3_BELOW_PCT = 88.0  # CTCAE v5.0 hypoxia G3: SpO2 < 88 % at rest
IL2_DYSPNEA_STOP_GRADE = 4  # CTCAE v5.0 dyspnea G4: urgent intervention (derived, needs review)
# Hemodynamic: SBP < 90 withholds (label); hypotension needing pressors discontinues
# (SpringerPlus 2015). CTCAE hypotension G3 = "medical intervention indicated" counts as the
# withhold trigger; G4 = "urgent intervention indicated" as needing pressors (derived).
IL2_HYPOTENSION_WITHHOLD_GRADE = 3
IL2_HYPOTENSION_STOP_GRADE = 4
# Renal: CTCAE "urine output decreased" G3 = adult < 80 mL in 8 h (= Dutcher's absolute
# criterion), G4 = anuria; acute kidney injury G4 = dialysis indicated (Proleukin 2012: renal
# dysfunction requiring dialysis, discontinue); G3 = hospitalization indicated (derived: relative).
IL2_OLIGURIA_STOP_GRADE = 3
IL2_AKI_RELATIVE_GRADE = 3
IL2_AKI_STOP_GRADE = 4
# Platelets: CTCAE G4 < 25 ×10⁹/L is below Dutcher's absolute 30; G3 (< 50-25) is at least the
# relative 30-50 range.
IL2_PLATELETS_RELATIVE_GRADE = 3
IL2_PLATELETS_STOP_GRADE = 4
IL2_WEIGHT_GAIN_RELATIVE_GRADE = 3  # CTCAE v5.0 weight gain G3 >= 20 %, above Dutcher's 15 %
IL2_BILIRUBIN_RELATIVE_GRADE = 4  # CTCAE G4 > 10 × ULN (> 7 mg/dL, Dutcher 2014 relative)
IL2_BILIRUBIN_GRADE_4_ABOVE_ULN = 10.0  # CTCAE v5.0 blood bilirubin increased G4: > 10 × ULN
IL2_BLEEDING_TERMS = ("bleeding",)  # Dutcher 2014: frank blood in sputum, emesis or stool
IL2_VASOPRESSOR_NONE = "none"

# The criteria, by id (an AdviceItem's `criterion`); tracker/advice_text.py names each for
# people. "course" marks what the course's history decides (held doses, a discontinuation).
C_SYSTOLIC_BP, C_HEART_RATE, C_SPO2 = "systolic_bp", "heart_rate", "spo2"
C_URINE, C_WEIGHT, C_MENTAL = "urine_output", "weight_gain", "mental_status"
C_VASOPRESSORS, C_OXYGEN, C_RHYTHM = "vasopressors", "oxygen_flow", "heart_rhythm"
C_CREATININE, C_PLATELETS, C_BILIRUBIN = "creatinine", "platelets", "bilirubin"
C_DYSPNEA, C_BLEEDING, C_INFECTION = "resting_dyspnea", "bleeding", "infection"
C_BICARBONATE, C_OCCULT_BLOOD, C_SKIN = "bicarbonate", "stool_occult_blood", "skin"
C_COURSE = "course"
# What the app does not record: always listed as not assessed (Dutcher 2014, Table 3 rows).
IL2_NOT_RECORDED = (C_BICARBONATE, C_OCCULT_BLOOD, C_SKIN)


@dataclass(frozen=True)
class AdviceItem:
    """One line of the dose advice, as parts a page words in its reader's language.

    criterion: the criterion's id (C_…); key: which wording (tracker/advice_text.py); kind:
    WITHHOLD, RELATIVE or ABSOLUTE when met, None when assessed and not met or not assessed;
    params: the values, thresholds and units the wording names (numbers as numbers; a term by
    its slug with its English name `term_en`); sources: source ids (ADVICE_SOURCES); window_hours:
    the criterion's window, for a criterion not assessed in it.
    """

    criterion: str
    key: str
    kind: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    window_hours: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "key": self.key,
            "kind": self.kind,
            "params": dict(self.params),
            "sources": list(self.sources),
            "window_hours": self.window_hours,
        }


@dataclass(frozen=True)
class Assessment:
    """One clinician assessment (a visit) as the dose advice reads it; None = not recorded.

    mental_status: "normal" or "changed"; vasopressor: "none" or the agent in use.
    """

    at: datetime
    measurements: Measurements = Measurements()
    adverse_events: tuple[AdverseEventInput, ...] = ()
    mental_status: str | None = None
    vasopressor: str | None = None
    vasopressor_dose_ug_kg_min: float | None = None
    oxygen_l_min: float | None = None
    heart_rate_persists_after_correction: bool | None = None


@dataclass(frozen=True)
class Override:
    """A physician lifted the course's discontinuation at `at`, with a reason."""

    at: datetime
    by: str
    reason: str


_SEVERITY = {None: 0, WITHHOLD: 1, RELATIVE: 1, ABSOLUTE: 2}


def _met(
    kind: str, criterion: str, key: str, sources: Iterable[str] = (SRC_DUTCHER,), **params: Any
) -> AdviceItem:
    return AdviceItem(criterion, key, kind, params, tuple(sources))


def _seen(criterion: str, key: str, **params: Any) -> AdviceItem:
    """Assessed and not met."""
    return AdviceItem(criterion, key, None, params)


def _beyond(
    kind: str,
    c: str,
    key: str,
    value: float,
    threshold: float,
    unit: str,
    sources: tuple[str, ...] = (SRC_DUTCHER,),
) -> AdviceItem:
    """A value past a threshold."""
    return _met(kind, c, key, sources, value=value, threshold=threshold, unit=unit)


def _between(
    kind: str,
    c: str,
    key: str,
    value: float,
    low: float,
    high: float,
    unit: str,
    sources: tuple[str, ...] = (SRC_DUTCHER,),
) -> AdviceItem:
    """A value in a range."""
    return _met(kind, c, key, sources, value=value, low=low, high=high, unit=unit)


def _worst(*observations: AdviceItem | None) -> AdviceItem | None:
    seen = [o for o in observations if o is not None]
    return max(seen, key=lambda o: _SEVERITY[o.kind], default=None)


def _graded(a: Assessment, *slugs: str) -> list[AdverseEventInput]:
    return [e for e in a.adverse_events if e.term.slug in slugs]


def _event(e: AdverseEventInput, **params: Any) -> dict[str, Any]:
    """An adverse event's parts: its term (slug and English name) and CTCAE grade."""
    return {"term": e.term.slug, "term_en": e.term.ctcae_term, "grade": e.grade, **params}


def _il2_systolic_bp(a: Assessment, b: Baseline) -> AdviceItem | None:
    sbp = a.measurements.systolic_bp
    c, seen = C_SYSTOLIC_BP, []
    limit = {"threshold": SYSTOLIC_BP_BELOW_MMHG, "unit": "mmHg"}
    if sbp is not None and sbp < SYSTOLIC_BP_BELOW_MMHG:
        seen.append(
            _met(WITHHOLD, c, "systolic_bp_below", (SRC_PROLEUKIN_2023,), value=sbp, **limit)
        )
    elif sbp is not None:
        seen.append(_seen(c, "systolic_bp", value=sbp, unit="mmHg"))
    for e in _graded(a, "hypotension"):
        if e.grade >= IL2_HYPOTENSION_STOP_GRADE:
            sources: tuple[str, ...] = (SRC_SPRINGERPLUS, SRC_CTCAE, SRC_DERIVED)
            seen.append(_met(ABSOLUTE, c, "hypotension_needing_pressors", sources, **_event(e)))
        elif e.grade >= IL2_HYPOTENSION_WITHHOLD_GRADE:
            sources = (SRC_PROLEUKIN_2023, SRC_CTCAE)
            seen.append(
                _met(WITHHOLD, c, "hypotension_medical_intervention", sources, **_event(e, **limit))
            )
    return _worst(*seen)


def _il2_vasopressor(a: Assessment, b: Baseline) -> AdviceItem | None:
    if a.vasopressor is None:
        return None
    if a.vasopressor == IL2_VASOPRESSOR_NONE:
        return _seen(C_VASOPRESSORS, "no_vasopressor")
    dose = a.vasopressor_dose_ug_kg_min
    if dose is None:
        return _met(
            ABSOLUTE, C_VASOPRESSORS, "vasopressor", (SRC_SPRINGERPLUS,), agent=a.vasopressor
        )
    return _met(
        ABSOLUTE,
        C_VASOPRESSORS,
        "vasopressor_at_dose",
        (SRC_SPRINGERPLUS,),
        agent=a.vasopressor,
        value=dose,
        unit="µg/kg/min",
    )


def _il2_heart_rate(a: Assessment, b: Baseline) -> AdviceItem | None:
    hr = a.measurements.heart_rate
    if hr is None:
        return None
    c, footnote = C_HEART_RATE, (SRC_DUTCHER_FOOTNOTE,)
    above = {"value": hr, "threshold": HEART_RATE_ABOVE_BPM, "unit": "bpm"}
    if hr > HEART_RATE_ABOVE_BPM and a.heart_rate_persists_after_correction:
        return _met(ABSOLUTE, c, "heart_rate_above_persisting", footnote, **above)
    if hr > HEART_RATE_ABOVE_BPM:
        key = (
            "heart_rate_above_not_persisting"
            if a.heart_rate_persists_after_correction is False
            else "heart_rate_above_persistence_unknown"
        )
        return _met(RELATIVE, c, key, footnote, **above)
    if hr >= IL2_HEART_RATE_RELATIVE_FROM_BPM:
        return _between(
            RELATIVE,
            c,
            "heart_rate_in_range",
            hr,
            IL2_HEART_RATE_RELATIVE_FROM_BPM,
            HEART_RATE_ABOVE_BPM,
            "bpm",
        )
    return _seen(c, "heart_rate", value=hr, unit="bpm")


def _il2_rhythm(a: Assessment, b: Baseline) -> AdviceItem | None:
    events = _graded(a, *IL2_ARRHYTHMIA_TERMS)
    return _worst(
        *(
            _met(ABSOLUTE, C_RHYTHM, "arrhythmia", (SRC_CAUTIOUS_ARRHYTHMIA,), **_event(e))
            for e in events
        )
    )


def _il2_spo2(a: Assessment, b: Baseline) -> AdviceItem | None:
    spo2 = a.measurements.spo2
    c, seen = C_SPO2, []
    limit = {"threshold": SPO2_BELOW_PCT, "unit": "%"}
    if spo2 is not None and spo2 < SPO2_BELOW_PCT:
        seen.append(_met(WITHHOLD, c, "spo2_below", (SRC_PROLEUKIN_2023,), value=spo2, **limit))
    elif spo2 is not None:
        seen.append(_seen(c, "spo2", value=spo2, unit="%"))
    for e in _graded(a, "hypoxia"):
        if e.grade >= IL2_HYPOXIA_STOP_GRADE:
            sources: tuple[str, ...] = (SRC_DUTCHER, SRC_CTCAE)
            seen.append(_met(ABSOLUTE, c, "hypoxia_intubation", sources, **_event(e)))
        elif e.grade >= IL2_HYPOXIA_WITHHOLD_GRADE:
            sources = (SRC_PROLEUKIN_2023, SRC_CTCAE)
            event = _event(e, grade_below=IL2_HYPOXIA_GRADE_3_BELOW_PCT, **limit)
            seen.append(_met(WITHHOLD, c, "hypoxia_at_rest", sources, **event))
    return _worst(*seen)


def _il2_oxygen(a: Assessment, b: Baseline) -> AdviceItem | None:
    flow = a.oxygen_l_min
    if flow is None:
        return None
    c, sources = C_OXYGEN, (SRC_DUTCHER, SRC_SPRINGERPLUS)
    if flow > IL2_OXYGEN_ABSOLUTE_ABOVE_L_MIN:
        return _beyond(
            ABSOLUTE, c, "oxygen_above", flow, IL2_OXYGEN_ABSOLUTE_ABOVE_L_MIN, "L/min", sources
        )
    if flow >= IL2_OXYGEN_RELATIVE_FROM_L_MIN:
        return _between(
            RELATIVE,
            c,
            "oxygen_in_range",
            flow,
            IL2_OXYGEN_RELATIVE_FROM_L_MIN,
            IL2_OXYGEN_ABSOLUTE_ABOVE_L_MIN,
            "L/min",
            sources,
        )
    return _seen(c, "oxygen", value=flow, unit="L/min")


def _il2_resting_dyspnea(a: Assessment, b: Baseline) -> AdviceItem | None:
    seen = []
    for e in _graded(a, "shortness_of_breath"):
        if e.grade >= IL2_DYSPNEA_STOP_GRADE:
            sources: tuple[str, ...] = (SRC_CTCAE, SRC_DERIVED)
            seen.append(_met(ABSOLUTE, C_DYSPNEA, "dyspnea_life_threatening", sources, **_event(e)))
        elif e.grade >= IL2_RESTING_DYSPNEA_GRADE:
            seen.append(_met(RELATIVE, C_DYSPNEA, "dyspnea_at_rest", **_event(e)))
    return _worst(*seen)


def _il2_mental_status(a: Assessment, b: Baseline) -> AdviceItem | None:
    c, seen = C_MENTAL, []
    label = (SRC_PROLEUKIN_2023,)
    if a.mental_status == "changed":
        seen.append(_met(WITHHOLD, c, "mental_status_changed", label))
    elif a.mental_status == "normal":
        seen.append(_seen(c, "mental_status_normal"))
    for e in _graded(a, "hallucinations"):
        seen.append(_met(ABSOLUTE, c, "hallucinations", **_event(e)))
    for e in _graded(a, "confusion"):
        if e.grade >= IL2_CONFUSION_STOP_GRADE:
            sources: tuple[str, ...] = (SRC_SPRINGERPLUS, SRC_DUTCHER)
            seen.append(_met(ABSOLUTE, c, "severe_disorientation", sources, **_event(e)))
        elif e.grade >= IL2_CONFUSION_WITHHOLD_GRADE:
            seen.append(_met(WITHHOLD, c, "mental_status_change_event", label, **_event(e)))
    for e in _graded(a, "agitation"):
        if e.grade >= IL2_AGITATION_WITHHOLD_GRADE:
            seen.append(_met(WITHHOLD, c, "mental_status_change_event", label, **_event(e)))
    for e in _graded(a, "somnolence"):
        if e.grade >= IL2_SOMNOLENCE_STOP_GRADE:
            sources = (SRC_SPRINGERPLUS_NEURO, SRC_PROLEUKIN_2012, SRC_DERIVED)
            seen.append(_met(ABSOLUTE, c, "obtundation", sources, **_event(e)))
        elif e.grade >= IL2_SOMNOLENCE_WITHHOLD_GRADE:
            sources = (SRC_PROLEUKIN_2012,)
            seen.append(_met(WITHHOLD, c, "moderate_somnolence", sources, **_event(e)))
        else:
            seen.append(_seen(c, "mild_drowsiness", **_event(e)))
    return _worst(*seen)


def _il2_urine_output(a: Assessment, b: Baseline) -> AdviceItem | None:
    urine = a.measurements.urine_output_ml_8h
    c, seen = C_URINE, []
    if urine is not None and urine < IL2_URINE_ABSOLUTE_BELOW_ML_8H:
        seen.append(
            _beyond(ABSOLUTE, c, "urine_below", urine, IL2_URINE_ABSOLUTE_BELOW_ML_8H, "mL/8 h")
        )
    elif urine is not None and urine <= IL2_URINE_RELATIVE_MAX_ML_8H:
        seen.append(
            _between(
                RELATIVE,
                c,
                "urine_in_range",
                urine,
                IL2_URINE_ABSOLUTE_BELOW_ML_8H,
                IL2_URINE_RELATIVE_MAX_ML_8H,
                "mL/8 h",
            )
        )
    elif urine is not None:
        seen.append(_seen(c, "urine", value=urine, unit="mL/8 h"))
    for e in _graded(a, "oliguria"):
        if e.grade >= IL2_OLIGURIA_STOP_GRADE:
            sources: tuple[str, ...] = (SRC_DUTCHER, SRC_CTCAE)
            event = _event(e, threshold=OLIGURIA_BELOW_ML_8H, unit="mL/8 h")
            seen.append(_met(ABSOLUTE, c, "oliguria", sources, **event))
    return _worst(*seen)


def _il2_creatinine(a: Assessment, b: Baseline) -> AdviceItem | None:
    value = a.measurements.creatinine_mg_dl
    c, seen = C_CREATININE, []
    if value is not None and value >= IL2_CREATININE_ABSOLUTE_FROM:
        seen.append(
            _beyond(ABSOLUTE, c, "creatinine_from", value, IL2_CREATININE_ABSOLUTE_FROM, "mg/dL")
        )
    elif value is not None and value >= IL2_CREATININE_RELATIVE_FROM:
        seen.append(
            _between(
                RELATIVE,
                c,
                "creatinine_in_range",
                value,
                IL2_CREATININE_RELATIVE_FROM,
                IL2_CREATININE_ABSOLUTE_FROM,
                "mg/dL",
            )
        )
    elif value is not None:
        seen.append(_seen(c, "creatinine", value=value, unit="mg/dL"))
    for e in _graded(a, "acute_kidney_injury"):
        if e.grade >= IL2_AKI_STOP_GRADE:
            sources: tuple[str, ...] = (SRC_PROLEUKIN_2012, SRC_CTCAE)
            seen.append(_met(ABSOLUTE, c, "kidney_injury_dialysis", sources, **_event(e)))
        elif e.grade >= IL2_AKI_RELATIVE_GRADE:
            sources = (SRC_DUTCHER_RENAL, SRC_CTCAE, SRC_DERIVED)
            seen.append(_met(RELATIVE, c, "kidney_injury_hospitalization", sources, **_event(e)))
    return _worst(*seen)


def _il2_platelets(a: Assessment, b: Baseline) -> AdviceItem | None:
    value = a.measurements.platelets_10e9_per_l
    c, seen, unit = C_PLATELETS, [], "10⁹/L"
    if value is not None and value < IL2_PLATELETS_ABSOLUTE_BELOW:
        seen.append(
            _beyond(ABSOLUTE, c, "platelets_below", value, IL2_PLATELETS_ABSOLUTE_BELOW, unit)
        )
    elif value is not None and value <= IL2_PLATELETS_RELATIVE_MAX:
        seen.append(
            _between(
                RELATIVE,
                c,
                "platelets_in_range",
                value,
                IL2_PLATELETS_ABSOLUTE_BELOW,
                IL2_PLATELETS_RELATIVE_MAX,
                unit,
            )
        )
    elif value is not None:
        seen.append(_seen(c, "platelets", value=value, unit=unit))
    for e in _graded(a, "platelets_decreased"):
        sources: tuple[str, ...] = (SRC_DUTCHER, SRC_CTCAE)
        if e.grade >= IL2_PLATELETS_STOP_GRADE:
            event = _event(e, threshold=PLATELETS_GRADE_4_BELOW, unit=unit)
            seen.append(_met(ABSOLUTE, c, "platelets_grade_4", sources, **event))
        elif e.grade >= IL2_PLATELETS_RELATIVE_GRADE:
            event = _event(
                e, threshold=PLATELETS_GRADE_3_BELOW, stop=IL2_PLATELETS_ABSOLUTE_BELOW, unit=unit
            )
            seen.append(_met(RELATIVE, c, "platelets_grade_3", sources, **event))
    return _worst(*seen)


def _il2_weight_gain(a: Assessment, b: Baseline) -> AdviceItem | None:
    c, seen = C_WEIGHT, []
    if a.measurements.weight_kg is not None and b.weight_kg:
        percent = round(weight_gain_percent(a.measurements.weight_kg, b.weight_kg), 1)
        if percent > IL2_WEIGHT_GAIN_ABOVE_PCT:
            seen.append(
                _beyond(RELATIVE, c, "weight_gain_above", percent, IL2_WEIGHT_GAIN_ABOVE_PCT, "%")
            )
        else:
            seen.append(_seen(c, "weight_gain", value=percent, unit="%"))
    for e in _graded(a, "weight_gain"):
        if e.grade >= IL2_WEIGHT_GAIN_RELATIVE_GRADE:
            sources: tuple[str, ...] = (SRC_DUTCHER, SRC_CTCAE)
            event = _event(e, threshold=WEIGHT_GAIN_GRADE_3_PCT, unit="%")
            seen.append(_met(RELATIVE, c, "weight_gain_grade_3", sources, **event))
    return _worst(*seen)


def _il2_bilirubin(a: Assessment, b: Baseline) -> AdviceItem | None:
    events = _graded(a, "bilirubin_increased")
    return _worst(
        *(
            _met(
                RELATIVE,
                C_BILIRUBIN,
                "bilirubin_grade_4",
                (SRC_DUTCHER, SRC_CTCAE),
                **_event(e, threshold=IL2_BILIRUBIN_GRADE_4_ABOVE_ULN, unit="× ULN"),
            )
            for e in events
            if e.grade >= IL2_BILIRUBIN_RELATIVE_GRADE
        )
    )


def _il2_bleeding(a: Assessment, b: Baseline) -> AdviceItem | None:
    events = _graded(a, *IL2_BLEEDING_TERMS)
    return _worst(*(_met(ABSOLUTE, C_BLEEDING, "frank_blood", **_event(e)) for e in events))


def _il2_infection(a: Assessment, b: Baseline) -> AdviceItem | None:
    events = _graded(a, *IL2_INFECTION_TERMS)
    return _worst(
        *(_met(ABSOLUTE, C_INFECTION, "documented_infection", **_event(e)) for e in events)
    )


@dataclass(frozen=True)
class _Criterion:
    """id: the criterion (C_…); core: needed for "give"; missing: the wording key listed as not
    assessed when nothing in its window speaks for it (None: silent, e.g. an event)."""

    id: str
    window: timedelta
    observe: Callable[[Assessment, Baseline], AdviceItem | None]
    core: bool = False
    missing: str | None = None


_IL2_CRITERIA = (
    _Criterion(C_SYSTOLIC_BP, IL2_DOSE_INTERVAL, _il2_systolic_bp, True, "not_recorded_in_window"),
    _Criterion(C_HEART_RATE, IL2_DOSE_INTERVAL, _il2_heart_rate, True, "not_recorded_in_window"),
    _Criterion(C_SPO2, IL2_DOSE_INTERVAL, _il2_spo2, True, "not_recorded_in_window"),
    _Criterion(C_URINE, IL2_URINE_WINDOW, _il2_urine_output, True, "not_recorded_in_window"),
    _Criterion(C_WEIGHT, IL2_WEIGHT_WINDOW, _il2_weight_gain, True, "no_weight_in_window"),
    _Criterion(C_MENTAL, IL2_DOSE_INTERVAL, _il2_mental_status, True, "no_check_in_window"),
    _Criterion(
        C_VASOPRESSORS, IL2_DOSE_INTERVAL, _il2_vasopressor, False, "not_recorded_in_window"
    ),
    _Criterion(C_OXYGEN, IL2_DOSE_INTERVAL, _il2_oxygen, False, "not_recorded_in_window"),
    _Criterion(C_RHYTHM, IL2_DOSE_INTERVAL, _il2_rhythm, False, "record_arrhythmia_as_event"),
    _Criterion(C_CREATININE, IL2_LABS_WINDOW, _il2_creatinine, False, "no_result_in_window"),
    _Criterion(C_PLATELETS, IL2_LABS_WINDOW, _il2_platelets, False, "no_count_in_window"),
    _Criterion(C_BILIRUBIN, IL2_LABS_WINDOW, _il2_bilirubin, False, "record_increase_as_event"),
    _Criterion(C_DYSPNEA, IL2_DOSE_INTERVAL, _il2_resting_dyspnea),
    _Criterion(C_BLEEDING, IL2_LABS_WINDOW, _il2_bleeding),
    _Criterion(C_INFECTION, IL2_LABS_WINDOW, _il2_infection),
)
_IL2_LONGEST_WINDOW = max(c.window for c in _IL2_CRITERIA)


def _latest_observation(
    criterion: _Criterion, recent: Sequence[Assessment], at: datetime, b: Baseline
) -> AdviceItem | None:
    """The criterion's latest assessment within its window (the worst of simultaneous ones)."""
    found, found_at = [], None
    for a in reversed(recent):
        if a.at < at - criterion.window or (found_at is not None and a.at != found_at):
            break
        observation = criterion.observe(a, b)
        if observation is not None:
            found.append(observation)
            found_at = a.at
    return _worst(*found)


def _not_assessed(criterion: _Criterion, b: Baseline) -> AdviceItem | None:
    if criterion.id == C_WEIGHT and not b.weight_kg:
        return AdviceItem(C_WEIGHT, "no_baseline_weight")
    if criterion.missing:
        hours = criterion.window.total_seconds() / 3600
        return AdviceItem(criterion.id, criterion.missing, window_hours=hours)
    return None


def _judge(
    at: datetime, recent: Sequence[Assessment], holds_before: int, b: Baseline
) -> DoseAdvice:
    """The advice at `at` from the assessments in `recent` (sorted, none after `at`)."""
    met: list[AdviceItem] = []
    checked: list[AdviceItem] = []
    not_assessed: list[AdviceItem] = []
    core_missing = False
    for criterion in _IL2_CRITERIA:
        observation = _latest_observation(criterion, recent, at, b)
        if observation is None:
            missing = _not_assessed(criterion, b)
            if missing is not None:
                not_assessed.append(missing)
            core_missing = core_missing or criterion.core
        elif observation.kind:
            met.append(observation)
        else:
            checked.append(observation)
    not_assessed += (AdviceItem(c, "not_recorded_in_app") for c in IL2_NOT_RECORDED)
    kinds, criteria = [o.kind for o in met], tuple(met)
    held = (tuple(checked), tuple(not_assessed))
    hold_count = sum(1 for kind in kinds if kind in (WITHHOLD, RELATIVE))
    if ABSOLUTE in kinds:
        return DoseAdvice(DISCONTINUE, criteria, *held, since=at, permanent=True)
    if hold_count >= IL2_RELATIVE_CRITERIA_TO_DISCONTINUE:
        reason = AdviceItem(
            C_COURSE,
            "relative_criteria_count",
            params={"count": hold_count, "threshold": IL2_RELATIVE_CRITERIA_TO_DISCONTINUE},
            sources=(SRC_SPRINGERPLUS,),
        )
        return DoseAdvice(DISCONTINUE, (*criteria, reason), *held, since=at, permanent=True)
    if hold_count and holds_before + 1 >= IL2_HELD_DOSES_TO_DISCONTINUE:
        reason = AdviceItem(
            C_COURSE,
            "would_be_held_dose",
            params={
                "number": holds_before + 1,
                "held": holds_before,
                "threshold": IL2_HELD_DOSES_TO_DISCONTINUE,
            },
            sources=(SRC_SPRINGERPLUS,),
        )
        return DoseAdvice(DISCONTINUE, (*criteria, reason), *held, since=at, permanent=True)
    if hold_count:
        return DoseAdvice(HOLD, criteria, *held)
    if core_missing:
        return DoseAdvice(INCOMPLETE, (), *held)
    return DoseAdvice(GIVE, (), *held)


def _still_discontinued(first: DoseAdvice, now: DoseAdvice, at: datetime) -> DoseAdvice:
    """A discontinuation stands: every later advice repeats when and why."""
    if first.since == at:
        return now
    statement = AdviceItem(C_COURSE, "still_discontinued", sources=(SRC_PROLEUKIN_2023_PERMANENT,))
    criteria = (statement, *first.criteria, *(c for c in now.criteria if c not in first.criteria))
    return DoseAdvice(
        DISCONTINUE, criteria, now.checked, now.not_assessed, since=first.since, permanent=True
    )


def _three_held(holds: Sequence[datetime]) -> DoseAdvice:
    third = holds[IL2_HELD_DOSES_TO_DISCONTINUE - 1]
    reason = AdviceItem(
        C_COURSE,
        "doses_held",
        params={"threshold": IL2_HELD_DOSES_TO_DISCONTINUE},
        sources=(SRC_SPRINGERPLUS,),
    )
    return DoseAdvice(DISCONTINUE, (reason,), since=third, permanent=True)


def dose_advice_timeline(
    *,
    therapy: TherapyProfile,
    baseline: Baseline,
    assessments: Sequence[Assessment],
    held_doses: Sequence[datetime] = (),
    overrides: Sequence[Override] = (),
    times: Sequence[datetime],
) -> list[DoseAdvice | None]:
    """The advice for the next high-dose IL-2 dose at each of `times` (None on other therapies).

    The course is walked in time order: the first discontinuation (an assessment whose own
    judgement is discontinue, or the third held dose) stands for every later time until a
    physician's override; after an override only later assessments and held doses count.
    held_doses: the scheduled times of the course's held doses.
    """
    if therapy.drug_class != IL2_HIGH_DOSE:
        return [None for _ in times]
    ordered = sorted(assessments, key=lambda a: a.at)
    moments = [a.at for a in ordered]
    holds = sorted(held_doses)
    lifts = sorted(overrides, key=lambda o: o.at)
    wanted = set(times)
    advice_at = {}
    discontinued, override = None, None
    for point in sorted(set(moments) | wanted):
        latest = next((o for o in reversed(lifts) if o.at <= point), None)
        if latest is not override:
            discontinued, override = None, latest
        start = bisect_right(moments, override.at) if override else 0
        start = max(start, bisect_left(moments, point - _IL2_LONGEST_WINDOW))
        recent = ordered[start : bisect_right(moments, point)]
        held = [h for h in holds if h < point and (override is None or h > override.at)]
        own = _judge(point, recent, len(held), baseline)
        if discontinued is None and len(held) >= IL2_HELD_DOSES_TO_DISCONTINUE:
            discontinued = _three_held(held)
        if discontinued is not None:
            advice = _still_discontinued(discontinued, own, point)
        else:
            advice = own
            if own.decision == DISCONTINUE and point in moments:
                discontinued = own
        if override is not None and advice.decision != DISCONTINUE:
            lifted = AdviceItem(
                C_COURSE,
                "discontinuation_lifted",
                params={"by": override.by, "reason": override.reason},
            )
            advice = DoseAdvice(
                advice.decision, advice.criteria, (lifted, *advice.checked), advice.not_assessed
            )
        if point in wanted:
            advice_at[point] = advice
    return [advice_at[t] for t in times]


def dose_advice(
    *,
    therapy: TherapyProfile,
    baseline: Baseline,
    assessments: Sequence[Assessment],
    held_doses: Sequence[datetime] = (),
    overrides: Sequence[Override] = (),
    at: datetime,
) -> DoseAdvice | None:
    """The advice for the next high-dose IL-2 dose, judged on the course at `at`."""
    return dose_advice_timeline(
        therapy=therapy,
        baseline=baseline,
        assessments=assessments,
        held_doses=held_doses,
        overrides=overrides,
        times=[at],
    )[0]
