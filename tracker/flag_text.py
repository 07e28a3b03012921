"""A flag's words in its reader's language, rendered when shown.

A flag keeps what the rules found (rule, value, threshold, sources) and its explanation as
parts: each part names a template here and the values that fill it (tracker/rules.py). Pages,
the PDF, e-mails and the API read `Flag.message`, which renders these parts in the active
language; a flag whose parts are unknown here (or that has none) shows, in French, what it
found (rule, term, value, threshold), and in English the explanation it was raised with.
Rule ids never reach a page: `rule_label` names each rule for people. Numbers read as the
reader's language writes them ("38,6 °C" in French, "38.6 °C" in English); the stored values
keep the point.
"""

import re
from decimal import Decimal

from django.db.models.signals import post_delete, post_save
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, pgettext
from django.utils.translation import gettext_lazy as _

from therapies.models import SideEffectTerm, Therapy

# Each rule's name for people.
RULE_LABELS = {
    "ctcae_grade": _("CTCAE grade"),
    "composite_grade": _("PRO-CTCAE composite grade"),
    "symptom_present": _("Symptom reported"),
    "unexpected_side_effect": _("Not expected with this therapy"),
    "worsening": _("Worsening since the previous grade"),
    "fever_escalation_risk": _("Fever with a risk of neutropenia or escalation"),
    "fever_on_il6_blocker": _("Fever on an IL-6 blocker"),
    "bleeding_present": _("Bleeding reported by the patient"),
    "confusion_present": _("Confusion reported by the patient"),
    "bleeding_recorded": _("Bleeding recorded by the clinician"),
    "hallucinations_recorded": _("Hallucinations recorded by the clinician"),
    "systolic_bp_below_90": _("Systolic blood pressure below 90 mmHg"),
    "spo2_below_90": _("Oxygen saturation below 90 %"),
    "heart_rate_above_130": _("Heart rate above 130 bpm"),
    "weight_gain_il2": _("Weight gain on high-dose IL-2"),
    "possible_capillary_leak": _("Possible capillary leak"),
}

# Each message part's wording, by the key the rules give it; named placeholders are filled
# from the part's params (a term by its name in the reader's language).
MESSAGES = {
    "ctcae_measured": _("%(term)s %(value)s is CTCAE grade %(grade)s."),
    "ctcae_graded": _("%(term)s graded %(grade)s by the clinician."),
    "composite_grade": _("Patient reports %(term)s at PRO-CTCAE composite grade %(grade)s."),
    "symptom_present": _("Patient reports %(term)s."),
    "unexpected_side_effect": _("Not an expected side effect of %(therapy)s."),
    "worsening": _(
        "Worsening: grade %(previous)s → %(grade)s, %(rise)s grades worse than its previous "
        "grade in this course."
    ),
    "fever_escalation_risk": _(
        "Fever on %(therapy)s: review today, even if expected. A fever on this therapy can be "
        "neutropenic fever or need early escalation; check the neutrophil count (febrile "
        "neutropenia: ANC < 1000/mm³ with fever)."
    ),
    "fever_on_il6_blocker": _("Fever on %(therapy)s: an IL-6 blocker can mask serious infection."),
    "bleeding_present": _("Patient reports blood in stool, vomit, urine or sputum."),
    "confusion_present": _("Patient reports new confusion or trouble staying awake."),
    "bleeding_recorded": _(
        "Frank blood recorded by the clinician: a red flag at any grade, expected or not."
    ),
    "hallucinations_recorded": _(
        "Hallucinations recorded by the clinician: a red flag at any grade, expected or not."
    ),
    "systolic_bp_below_90": _("Systolic blood pressure %(value)s mmHg is below %(limit)s mmHg."),
    "spo2_below_90": _("Oxygen saturation %(value)s %% is below %(limit)s %%."),
    "heart_rate_above_130": _("Heart rate %(value)s bpm is above %(limit)s bpm."),
    "weight_gain_il2": _(
        "Weight gain of %(percent)s %% on high-dose IL-2 suggests fluid retention."
    ),
}

# The signs of capillary leak (rules.CAPILLARY_LEAK_SIGNS), by their names in the rules.
CAPILLARY_LEAK_SIGNS = {
    "weight gain": _("weight gain"),
    "swelling": _("swelling"),
    "low urine output": _("low urine output"),
    "low blood pressure or dizziness": _("low blood pressure or dizziness"),
    "breathlessness": _("breathlessness"),
}

# The words inside a flag's value and threshold, as the rules write them (English) and as
# a reader reads them; the numbers are kept as they are.
_MEASURE_WORDS = [
    (re.compile(r"^present$"), _("present")),
    (re.compile(r"^any grade$"), _("any grade")),
    (re.compile(r"CTCAE grade (?P<op>≥ )?(?P<n>\d+)"), _("CTCAE grade %(op)s%(n)s")),
    (re.compile(r"composite grade (?P<n>\d+)"), _("composite grade %(n)s")),
    (re.compile(r"\bfrequency (?P<n>\d+)"), _("frequency %(n)s")),
    (re.compile(r"\bseverity (?P<n>\d+)"), _("severity %(n)s")),
    (re.compile(r"\binterference (?P<n>\d+)"), _("interference %(n)s")),
    (re.compile(r"^grade (?P<a>\d+) → (?P<b>\d+)$"), _("grade %(a)s → %(b)s")),
    (re.compile(r"^rise ≥ (?P<n>\d+) grades$"), _("rise ≥ %(n)s grades")),
    (re.compile(r"^not listed for (?P<therapy>.+)$"), _("not listed for %(therapy)s")),
    (
        re.compile(r"(?P<p>[\d.]+) % over baseline \((?P<w>[\d.]+) kg vs (?P<b>[\d.]+) kg\)"),
        _("%(p)s %% over baseline (%(w)s kg vs %(b)s kg)"),
    ),
    (re.compile(r"urine output (?P<v>[\d.]+) mL in 8 h"), _("urine output %(v)s mL in 8 h")),
    (re.compile(r"(?P<v>[\d.]+) mL in 8 h"), _("%(v)s mL in 8 h")),
    (re.compile(r"(?P<f>[\d.]+) × ULN"), _("%(f)s × ULN")),
    (re.compile(r"(?P<f>[\d.]+) × baseline"), _("%(f)s × baseline")),
    (
        re.compile(r"≥ (?P<n>\d+) of (?P<t>\d+) signs in one report"),
        _("≥ %(n)s of %(t)s signs in one report"),
    ),
    (
        re.compile(r"≥ (?P<n>\d+) of (?P<t>\d+) signs in one visit"),
        _("≥ %(n)s of %(t)s signs in one visit"),
    ),
]


def _is_french() -> bool:
    return (get_language() or "en").startswith("fr")


# A decimal number as the rules write it ("38.6", "1.80"), not part of a word or a version
# ("v5.0") or of a longer number.
_DECIMAL = re.compile(r"(?<![\w.,])\d+\.\d+(?![\w.])")


def localize_numbers(text: str) -> str:
    """Each decimal number in `text` with the active language's decimal separator, its digits
    kept ("38.0" -> "38,0" in French)."""
    if "." not in text:
        return text
    return _DECIMAL.sub(
        lambda m: formats.number_format(
            Decimal(m.group(0)), decimal_pos=len(m.group(0).split(".")[1]), use_l10n=True
        ),
        text,
    )


_term_names: dict[str, tuple[str, str]] = {}


def forget_term_names(**_signal):
    """The catalog changed: read the terms' names again when next needed."""
    _term_names.clear()


# A term edited in the admin or the catalog reloaded: names are read again.
post_save.connect(forget_term_names, sender=SideEffectTerm, dispatch_uid="flag_text_terms_saved")
post_delete.connect(
    forget_term_names, sender=SideEffectTerm, dispatch_uid="flag_text_terms_deleted"
)


def term_name(slug: str, english: str = "", known=None) -> str:
    """A side-effect term's clinical name in the reader's language; `known` (slug -> term)
    spares the look-up of terms already loaded."""
    if known and slug in known:
        return known[slug].clinical_name
    if slug not in _term_names:
        _term_names.update(
            (t.slug, (t.ctcae_term, t.ctcae_term_fr))
            for t in SideEffectTerm.objects.only("slug", "ctcae_term", "ctcae_term_fr")
        )
    en, fr = _term_names.get(slug, (english or slug, ""))
    return (fr or en) if _is_french() else en


_therapy_names: dict[str, str] = {}


def forget_therapy_names(**_signal):
    """A therapy changed (admin, catalog reloaded): read the names again when next needed."""
    _therapy_names.clear()


post_save.connect(forget_therapy_names, sender=Therapy, dispatch_uid="flag_text_therapy_saved")
post_delete.connect(forget_therapy_names, sender=Therapy, dispatch_uid="flag_text_therapy_deleted")


def therapy_name(english: str) -> str:
    """A therapy's name, as the rules wrote it (English), in the reader's language."""
    if not _is_french():
        return english
    if not _therapy_names:
        _therapy_names.update(Therapy.objects.exclude(name_fr="").values_list("name", "name_fr"))
        _therapy_names.setdefault("", "")  # read once even when no French name is written
    return _therapy_names.get(english) or english


def _names_in_french(text: str) -> str:
    """The terms named in a capillary-leak value ("sign: Term value, …") in French."""
    if not _is_french():
        return text
    if not _term_names:
        term_name("")
    for en, fr in sorted(_term_names.values(), key=lambda names: -len(names[0])):
        if fr:
            text = re.sub(rf"(^|: |, ){re.escape(en)} ", rf"\g<1>{fr} ", text)
    return text


def rule_label(rule: str) -> str:
    label = RULE_LABELS.get(rule)
    return str(label) if label is not None else gettext("Clinical rule")


def measure_text(text: str, *, names: bool = False) -> str:
    """A flag's value or threshold with its words in the reader's language (with `names`, the
    terms it names too, as a capillary-leak value does)."""
    if not text:
        return text
    if names:
        text = _names_in_french(text)
    for pattern, template in _MEASURE_WORDS:
        text = pattern.sub(lambda m, t=template: str(t) % _words(m), text)
    for sign, label in CAPILLARY_LEAK_SIGNS.items():
        text = re.sub(rf"(^|; ){re.escape(sign)}:", rf"\g<1>{label}:", text)
    return localize_numbers(text)


def _words(match) -> dict:
    words = match.groupdict(default="")
    if "therapy" in words:
        words["therapy"] = therapy_name(words["therapy"])
    return words


def _record(record: str) -> str:
    return pgettext("one …", "visit") if record == "visit" else pgettext("one …", "report")


def _capillary_leak(params: dict, known=None) -> str:
    included = "; ".join(
        gettext("%(term)s %(value)s (%(level)s: %(rule)s)")
        % {
            "term": _term(item, known),
            "value": measure_text(item["value"]),
            "level": _level(item),
            "rule": rule_label(item["rule"]),
        }
        for item in params["included"]
    )
    signs = ", ".join(str(CAPILLARY_LEAK_SIGNS.get(s, s)) for s in params["signs"])
    return gettext(
        "Possible capillary leak: %(count)s of %(total)s signs in one %(record)s (%(signs)s); "
        "includes %(included)s."
    ) % {
        "count": params["count"],
        "total": params["total"],
        "record": _record(params["record"]),
        "signs": signs,
        "included": included,
    }


def _term(params: dict, known=None) -> str:
    return term_name(params["term"], params.get("term_en", ""), known)


def _level(item: dict) -> str:
    from .models import FlagLevel  # the level names people read

    try:
        return str(FlagLevel(item["level"]).label)
    except ValueError:
        return item["level"]


def render_part(part: dict, known=None) -> str | None:
    """One part in the reader's language, or None if its wording is unknown here."""
    key, params = part.get("key"), dict(part.get("params") or {})
    if key == "possible_capillary_leak":
        return _capillary_leak(params, known)
    template = MESSAGES.get(key)
    if template is None:
        return None
    if "term" in params:
        params["term"] = _term(params, known)
    if "value" in params:
        params["value"] = measure_text(str(params["value"]))
    if "therapy" in params:
        params["therapy"] = therapy_name(str(params["therapy"]))
    for name in ("percent", "limit"):  # numbers written by the rules
        if name in params:
            params[name] = localize_numbers(str(params[name]))
    return str(template) % params


# A flag whose explanation has no parts (raised before they were kept) or whose parts are
# unknown here: in a language other than English, what it found, from its rule, term, value and
# threshold; its English explanation as raised stays on it for audit (`Flag.message_en`).
GENERIC = _("%(rule)s: %(term)s %(value)s (threshold: %(threshold)s).")


def generic_message(flag) -> str:
    """The flag's explanation in the active language from what it found, or its English one in
    English."""
    if (get_language() or "en").startswith("en"):
        return flag.message_en
    term = flag.term
    return capfirst(
        str(GENERIC)
        % {
            "rule": rule_label(flag.rule),
            "term": term_name(term.slug, term.ctcae_term, {term.slug: term}),
            "value": measure_text(flag.value, names=flag.rule == "possible_capillary_leak"),
            "threshold": measure_text(flag.threshold),
        }
    )


def render_message(flag) -> str:
    """The flag's explanation in the active language (see GENERIC if it has no known parts)."""
    parts = flag.message_parts or []
    if not parts:
        return generic_message(flag)
    known = {}
    if flag.__class__.term.is_cached(flag):
        known[flag.term.slug] = flag.term
    try:
        rendered = [render_part(part, known) for part in parts]
    except (KeyError, TypeError, ValueError):
        return generic_message(flag)
    if any(text is None for text in rendered):
        return generic_message(flag)
    return " ".join(rendered)
