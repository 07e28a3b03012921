"""The high-dose IL-2 dose advice in its reader's language, worded when shown.

The rules (tracker/rules.py, "High-dose IL-2 dose advice") name what they found as parts: the
criterion's id, a wording key, the kind of criterion met, the values, thresholds and units, the
source ids and the criterion's window. Visits store these parts (Visit.dose_advice); the course
page, the visit page, the PDF and the API word them here in the active language. Criterion ids,
wording keys and source ids never reach a person: each has a name for people.
"""

import re

from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .flag_text import localize_numbers, term_name

# Each criterion's name for people, by its id in the rules.
CRITERION_NAMES = {
    "systolic_bp": _("Systolic BP"),
    "heart_rate": _("Heart rate"),
    "spo2": _("SpO₂"),
    "urine_output": _("Urine output over 8 h"),
    "weight_gain": _("Weight gain over baseline"),
    "mental_status": _("Mental status"),
    "vasopressors": _("Vasopressors"),
    "oxygen_flow": _("Oxygen flow"),
    "heart_rhythm": _("Heart rhythm (ECG, troponin or CK-MB)"),
    "creatinine": _("Creatinine"),
    "platelets": _("Platelets"),
    "bilirubin": _("Bilirubin"),
    "resting_dyspnea": _("Resting dyspnea"),
    "bleeding": _("Bleeding"),
    "infection": _("Infection"),
    "bicarbonate": _("Bicarbonate (HCO₃ ≤ 18 mEq/L stops)"),
    "stool_occult_blood": _("Stool occult blood test (positive withholds)"),
    "skin": _("Skin (moist desquamation stops)"),
    "course": _("The course as a whole"),
}

# The kind of a criterion met (rules.WITHHOLD, RELATIVE, ABSOLUTE).
KINDS = {
    "withhold": _("withhold"),
    "relative criterion": _("relative criterion"),
    "absolute criterion": _("absolute criterion"),
}

# The sources the advice cites, by their ids in the rules (rules.ADVICE_SOURCES).
SOURCES = {
    "proleukin_2023_table_2": _("Proleukin label 2023, Table 2"),
    "proleukin_2023_table_2_permanent": _(
        "Proleukin label 2023, Table 2 (permanently discontinue)"
    ),
    "proleukin_2012": _("Proleukin label 2012 (boxed warning; withhold and discontinue table)"),
    "dutcher_2014_table_3": _("Dutcher et al., J Immunother Cancer 2014;2:26, Table 3"),
    "dutcher_2014_table_3_footnote": _(
        "Dutcher et al., J Immunother Cancer 2014;2:26, Table 3, footnote"
    ),
    "dutcher_2014_table_3_renal_row": _(
        "Dutcher et al., J Immunother Cancer 2014;2:26, Table 3 (renal row)"
    ),
    "springerplus_2015_table_1": _("SpringerPlus 2015, Table 1"),
    "springerplus_2015_table_1_neurological": _(
        "SpringerPlus 2015, Table 1 (neurological changes)"
    ),
    "ctcae_v5": "NCI CTCAE v5.0",
}
CAUTIOUS_ARRHYTHMIA = _(
    "%(label)s withholds for AF/SVT; %(dutcher)s and %(springerplus)s stop: the more cautious "
    "is followed"
)
DERIVED = _("derived, needs clinical review")

# What was assessed, by wording key; %(event)s is an adverse event with its CTCAE grade.
WHAT: dict[str, object] = {
    "systolic_bp_below": _("Systolic BP %(value)s mmHg < %(threshold)s mmHg"),
    "systolic_bp": _("Systolic BP %(value)s mmHg"),
    "hypotension_needing_pressors": _(
        "%(event)s (urgent intervention: hypotension needing pressors)"
    ),
    "hypotension_medical_intervention": _(
        "%(event)s (medical intervention indicated) counts as systolic BP < %(threshold)s mmHg"
    ),
    "no_vasopressor": _("No vasopressor in use"),
    "vasopressor": _("Vasopressor in use (%(agent)s): hypotension needing pressors"),
    "vasopressor_at_dose": _(
        "Vasopressor in use (%(agent)s at %(value)s µg/kg/min): hypotension needing pressors"
    ),
    "heart_rate_above_persisting": _(
        "Heart rate %(value)s bpm > %(threshold)s bpm, persisting after correcting hypotension "
        "and fever and stopping dopamine"
    ),
    "heart_rate_above_not_persisting": _(
        "Heart rate %(value)s bpm > %(threshold)s bpm, not persisting after correction: hold, "
        "correct hypotension and fever, stop dopamine and recheck (absolute if it persists)"
    ),
    "heart_rate_above_persistence_unknown": _(
        "Heart rate %(value)s bpm > %(threshold)s bpm, persistence after correction not "
        "recorded: hold, correct hypotension and fever, stop dopamine and recheck (absolute if "
        "it persists)"
    ),
    "heart_rate_in_range": _("Heart rate %(value)s bpm in %(low)s–%(high)s bpm"),
    "heart_rate": _("Heart rate %(value)s bpm"),
    "arrhythmia": "%(event)s",  # the event alone: its kind and source say the rest
    "spo2_below": _("SpO₂ %(value)s %% < %(threshold)s %%"),
    "spo2": _("SpO₂ %(value)s %%"),
    "hypoxia_intubation": _("%(event)s (intubation)"),
    "hypoxia_at_rest": _(
        "%(event)s (SpO₂ < %(grade_below)s %% at rest) counts as SpO₂ < %(threshold)s %%"
    ),
    "oxygen_above": _("Oxygen %(value)s L/min > %(threshold)s L/min"),
    "oxygen_in_range": _("Oxygen %(value)s L/min in %(low)s–%(high)s L/min"),
    "oxygen": _("Oxygen %(value)s L/min"),
    "dyspnea_life_threatening": _("%(event)s (life-threatening)"),
    "dyspnea_at_rest": _("%(event)s (resting dyspnea)"),
    "mental_status_changed": _("Mental status changed (until completely resolved)"),
    "mental_status_normal": _("Mental status normal"),
    "hallucinations": _("%(event)s (any grade)"),
    "severe_disorientation": _("%(event)s (severe disorientation)"),
    "mental_status_change_event": _("%(event)s (mental status change)"),
    "obtundation": _("%(event)s (obtundation or stupor)"),
    "moderate_somnolence": _("%(event)s (moderate somnolence)"),
    "mild_drowsiness": _("%(event)s (mild drowsiness)"),
    "urine_below": _("Urine output %(value)s mL in 8 h < %(threshold)s mL"),
    "urine_in_range": _("Urine output %(value)s mL in 8 h in %(low)s–%(high)s mL"),
    "urine": _("Urine output %(value)s mL in 8 h"),
    "oliguria": _("%(event)s (< %(threshold)s mL in 8 h)"),
    "creatinine_from": _("Creatinine %(value)s mg/dL ≥ %(threshold)s mg/dL"),
    "creatinine_in_range": _("Creatinine %(value)s mg/dL in %(low)s–<%(high)s mg/dL"),
    "creatinine": _("Creatinine %(value)s mg/dL"),
    "kidney_injury_dialysis": _("%(event)s (dialysis indicated)"),
    "kidney_injury_hospitalization": _("%(event)s (hospitalization indicated)"),
    "platelets_below": _("Platelets %(value)s ×10⁹/L < %(threshold)s ×10⁹/L"),
    "platelets_in_range": _("Platelets %(value)s ×10⁹/L in %(low)s–%(high)s ×10⁹/L"),
    "platelets": _("Platelets %(value)s ×10⁹/L"),
    "platelets_grade_4": _("%(event)s (< %(threshold)s ×10⁹/L)"),
    "platelets_grade_3": _(
        "%(event)s (< %(threshold)s ×10⁹/L; a count below %(stop)s would stop: record it)"
    ),
    "weight_gain_above": _("Weight gain %(value)s %% > %(threshold)s %% over baseline"),
    "weight_gain": _("Weight gain %(value)s %% over baseline"),
    "weight_gain_grade_3": _("%(event)s (≥ %(threshold)s %% over baseline)"),
    "bilirubin_grade_4": _("%(event)s (> %(threshold)s × ULN)"),
    "frank_blood": _("%(event)s (frank blood)"),
    "documented_infection": _("%(event)s (documented infection)"),
}
EVENT = _("%(term)s CTCAE grade %(grade)s")
MET = _("%(what)s: %(kind)s (%(sources)s)")

# What the course's history decides (criterion "course"), with its sources.
COURSE = {
    "relative_criteria_count": _(
        "%(count)s relative criteria or withhold triggers ≥ %(threshold)s: discontinue "
        "(%(sources)s)"
    ),
    "would_be_held_dose": _(
        "This would be held dose %(number)s (%(held)s held so far) ≥ %(threshold)s: "
        "discontinue (%(sources)s)"
    ),
    "doses_held": _("%(threshold)s doses held: discontinue (%(sources)s)"),
    "still_discontinued": _(
        "The course was discontinued at an earlier assessment and stays discontinued until a "
        "physician records an override (%(sources)s)"
    ),
    "discontinuation_lifted": _(
        "Discontinuation lifted by %(by)s (%(reason)s): only assessments made since count"
    ),
}

# Why a criterion was not assessed.
MISSING = {
    "not_recorded_in_window": _("not recorded in the last %(hours)s h"),
    "no_weight_in_window": _("no weight in the last %(hours)s h"),
    "no_check_in_window": _("no mental status check in the last %(hours)s h"),
    "no_result_in_window": _("no result in the last %(hours)s h"),
    "no_count_in_window": _("no count in the last %(hours)s h"),
    "record_arrhythmia_as_event": _(
        "not recorded in the app; record an arrhythmia as an adverse event"
    ),
    "record_increase_as_event": _(
        "not recorded in the app; record an increase as an adverse event"
    ),
    "no_baseline_weight": _("the course has no baseline weight"),
    "not_recorded_in_app": _("not recorded in the app"),
}
NOT_ASSESSED = _("%(criterion)s: %(missing)s")

# A value with one decimal, as the rules round it.
_ONE_DECIMAL = {("weight_gain", "value"), ("weight_gain_above", "value")}


def _number(x) -> str:
    """A number as entered, in the active language: 85.0 -> "85", 39.04 stays 39.04 (rules._num)
    and reads 39,04 in French."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    return f"{x:.0f}" if float(f"{x:.0f}") == x else localize_numbers(f"{x:g}")


def _agent(value: str) -> str:
    from .models import Vasopressor  # the agents' names people read

    try:
        return str(Vasopressor(value).label)
    except ValueError:
        return value


def _sources(ids) -> str:
    names, derived = [], False
    for source in ids:
        if source == "derived":
            derived = True
        elif source == "arrhythmia_more_cautious":
            names.append(
                str(CAUTIOUS_ARRHYTHMIA)
                % {
                    "label": SOURCES["proleukin_2023_table_2"],
                    "dutcher": SOURCES["dutcher_2014_table_3"],
                    "springerplus": SOURCES["springerplus_2015_table_1"],
                }
            )
        else:
            names.append(str(SOURCES.get(source, source)))
    text = "; ".join(names)
    return f"{text} ({DERIVED})" if derived else text


def _params(item: dict, known=None) -> dict:
    key, params = item["key"], dict(item.get("params") or {})
    for name, value in params.items():
        if (key, name) in _ONE_DECIMAL and isinstance(value, int | float):
            params[name] = localize_numbers(f"{value:.1f}")
        elif name not in ("term", "term_en", "agent", "by", "reason"):
            params[name] = _number(value)
    if "term" in params:
        params["event"] = str(EVENT) % {
            "term": term_name(params["term"], params.get("term_en", ""), known),
            "grade": params["grade"],
        }
    if "agent" in params:
        params["agent"] = _agent(params["agent"])
    if item.get("window_hours") is not None:
        params["hours"] = _number(item["window_hours"])
    params["sources"] = _sources(item.get("sources") or ())
    return params


def item_text(item, known=None) -> str:
    """One line of the advice in the active language (a line stored as text: as it is);
    `known` (slug -> term) spares the look-up of terms already loaded."""
    if isinstance(item, str):
        return item
    key = item.get("key")
    if key == "as_recorded":
        return str((item.get("params") or {}).get("text", ""))
    params = _params(item, known)
    if key in COURSE:
        return str(COURSE[key]) % params
    if key in MISSING:
        return str(NOT_ASSESSED) % {
            "criterion": criterion_name(item.get("criterion", "")),
            "missing": str(MISSING[key]) % params,
        }
    what = str(WHAT[key]) % params
    if not item.get("kind"):
        return what
    return str(MET) % {
        "what": what,
        "kind": KINDS.get(item["kind"], item["kind"]),
        "sources": params["sources"],
    }


def criterion_name(criterion: str) -> str:
    name = CRITERION_NAMES.get(criterion)
    return str(name) if name is not None else gettext("Clinical criterion")


LINES = ("criteria", "checked", "not_assessed")

# The decisions, as the PDF names them.
DECISIONS = {
    "give": pgettext_lazy("dose advice", "Give the dose"),
    "hold": pgettext_lazy("dose advice", "Hold the dose"),
    "discontinue": pgettext_lazy("dose advice", "Discontinue the course"),
    "incomplete": pgettext_lazy("dose advice", "Incomplete: assess before dosing"),
}


def in_one_line(advice: dict) -> str:
    """The decision and the criteria met, in one line (a record's history)."""
    decision = advice.get("decision", "")
    lines = [item_text(item) for item in advice.get("criteria") or ()]
    return "; ".join([str(DECISIONS.get(decision, decision)), *lines])


def localized(advice: dict | None) -> dict | None:
    """A stored advice with its lines worded in the active language; `parts` keeps the lines
    as stored (criterion ids, values, thresholds, units, sources, windows)."""
    if not advice:
        return advice
    worded = {name: [item_text(item) for item in advice.get(name) or ()] for name in LINES}
    parts = {
        name: [item for item in advice.get(name) or () if not isinstance(item, str)]
        for name in LINES
    }
    return {**advice, **worded, "parts": parts}


# --- Stored English lines read back as parts (migration 0017) ----------------------------------


def _english(template) -> str:
    """A wording's English text."""
    with translation.override("en"):
        return str(template)


_NUMBER = r"-?\d+(?:\.\d+)?"
_FREE = ("term_en", "agent", "by", "reason", "sources", "criterion")


def _pattern(template: str) -> str:
    """A regex reading back what `template` printed in English."""
    parts = re.split(r"%\((\w+)\)s", template.replace("%%", "%"))
    out = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            out.append(re.escape(part))
        elif part == "event":
            out.append(r"(?P<term_en>.+?) CTCAE grade (?P<grade>\d+)")
        elif part in _FREE:
            out.append(rf"(?P<{part}>.+?)")
        else:
            out.append(rf"(?P<{part}>{_NUMBER})")
    return "".join(out)


def _number_back(text: str):
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _sources_back(text: str) -> list[str] | None:
    english = {key: _english(name) for key, name in SOURCES.items()}
    english["arrhythmia_more_cautious"] = _english(CAUTIOUS_ARRHYTHMIA) % {
        "label": english["proleukin_2023_table_2"],
        "dutcher": english["dutcher_2014_table_3"],
        "springerplus": english["springerplus_2015_table_1"],
    }
    found = []
    derived = f" ({_english(DERIVED)})"
    if text.endswith(derived):
        text = text[: -len(derived)]
    else:
        derived = ""
    while text:
        match = max(
            (key for key, name in english.items() if text.startswith(name)),
            key=lambda key: len(english[key]),
            default=None,
        )
        if match is None:
            return None
        found.append(match)
        text = text[len(english[match]) :]
        if text.startswith("; "):
            text = text[2:]
        elif text:
            return None
    return found + (["derived"] if derived else [])


def from_english(text: str, term_slugs: dict[str, str] | None = None) -> dict:
    """A line of advice stored as English text, as parts (a line not read back: kept as text).

    `term_slugs` maps a CTCAE term's English name to its slug.
    """
    term_slugs = term_slugs or {}
    candidates: list[tuple[str, str | None, str]] = []
    for key, template in COURSE.items():
        candidates.append((key, None, _pattern(_english(template))))
    names = "|".join(re.escape(_english(name)) for name in CRITERION_NAMES.values())
    for key, template in MISSING.items():
        missing = _pattern(_english(template))
        candidates.append((key, None, rf"(?P<criterion_name>{names}): {missing}"))
    kinds = "|".join(re.escape(kind) for kind in KINDS)
    for key, wording in WHAT.items():
        what = _pattern(_english(wording))
        candidates.append((key, "met", rf"{what}: (?P<kind>{kinds}) \((?P<sources>.+)\)"))
        candidates.append((key, None, what))
    # The longest wording first: "Vasopressor in use (%(agent)s at …)" before "(%(agent)s)".
    candidates.sort(key=lambda candidate: -len(candidate[2]))
    for key, form, pattern in candidates:
        match = re.fullmatch(pattern, text)
        if match is None:
            continue
        item = _item_back(key, form, match.groupdict(), term_slugs)
        if item is not None:
            return item
    return {"criterion": "", "key": "as_recorded", "kind": None, "params": {"text": text}}


def _item_back(key, form, found, term_slugs) -> dict | None:
    sources = _sources_back(found.pop("sources")) if "sources" in found else []
    if sources is None:
        return None
    kind = found.pop("kind", None) if form == "met" else None
    criterion = "course" if key in COURSE else _criterion_of(key, found.pop("criterion_name", ""))
    # The window of a criterion the app does not record (its wording names no hours).
    hours = found.pop("hours", None) or _UNWORDED_WINDOWS.get((key, criterion))
    params = {"unit": _UNITS[key]} if key in _UNITS else {}
    for name, value in found.items():
        if name == "term_en":
            params["term"] = term_slugs.get(value, value)
            params["term_en"] = value
        elif name in ("agent", "by", "reason"):
            params[name] = value
        else:
            params[name] = _number_back(value)
    return {
        "criterion": criterion,
        "key": key,
        "kind": kind,
        "params": params,
        "sources": sources,
        "window_hours": _number_back(hours) if hours is not None else None,
    }


_UNWORDED_WINDOWS = {
    ("record_arrhythmia_as_event", "heart_rhythm"): "8",
    ("record_increase_as_event", "bilirubin"): "24",
}

# The unit of each wording's numbers, as the rules give it (for lines read back from English).
_UNITS = {
    **dict.fromkeys(
        ["systolic_bp_below", "systolic_bp", "hypotension_medical_intervention"], "mmHg"
    ),
    "vasopressor_at_dose": "µg/kg/min",
    **dict.fromkeys(
        [
            "heart_rate_above_persisting",
            "heart_rate_above_not_persisting",
            "heart_rate_above_persistence_unknown",
            "heart_rate_in_range",
            "heart_rate",
        ],
        "bpm",
    ),
    **dict.fromkeys(["spo2_below", "spo2", "hypoxia_at_rest"], "%"),
    **dict.fromkeys(["oxygen_above", "oxygen_in_range", "oxygen"], "L/min"),
    **dict.fromkeys(["urine_below", "urine_in_range", "urine", "oliguria"], "mL/8 h"),
    **dict.fromkeys(["creatinine_from", "creatinine_in_range", "creatinine"], "mg/dL"),
    **dict.fromkeys(
        [
            "platelets_below",
            "platelets_in_range",
            "platelets",
            "platelets_grade_4",
            "platelets_grade_3",
        ],
        "10⁹/L",
    ),
    **dict.fromkeys(["weight_gain_above", "weight_gain", "weight_gain_grade_3"], "%"),
    "bilirubin_grade_4": "× ULN",
}

# The criterion of each wording of what was assessed (for lines read back from English).
_CRITERION_OF_KEY = {
    "systolic_bp": ("systolic_bp", "hypotension_"),
    "vasopressors": ("vasopressor", "no_vasopressor"),
    "heart_rate": ("heart_rate",),
    "heart_rhythm": ("arrhythmia",),
    "spo2": ("spo2", "hypoxia_"),
    "oxygen_flow": ("oxygen",),
    "resting_dyspnea": ("dyspnea_",),
    "mental_status": (
        "mental_status",
        "hallucinations",
        "severe_disorientation",
        "obtundation",
        "moderate_somnolence",
        "mild_drowsiness",
    ),
    "urine_output": ("urine", "oliguria"),
    "creatinine": ("creatinine", "kidney_injury_"),
    "platelets": ("platelets",),
    "weight_gain": ("weight_gain",),
    "bilirubin": ("bilirubin_",),
    "bleeding": ("frank_blood",),
    "infection": ("documented_infection",),
}


def _criterion_of(key: str, name: str) -> str:
    for criterion, label in CRITERION_NAMES.items():
        if name and _english(label) == name:
            return criterion
    for criterion, prefixes in _CRITERION_OF_KEY.items():
        if any(key.startswith(prefix) for prefix in prefixes):
            return criterion
    return ""


def stored_as_parts(advice: dict | None, term_slugs: dict[str, str]) -> dict | None:
    """A stored advice whose lines are English text (before the lines were stored as parts),
    with each line read back as parts; an advice already stored as parts: as it is."""
    if not advice or not any(isinstance(i, str) for n in LINES for i in advice.get(n) or ()):
        return advice
    lines = {
        name: [
            from_english(item, term_slugs) if isinstance(item, str) else item
            for item in advice.get(name) or ()
        ]
        for name in LINES
    }
    return {**advice, **lines}
