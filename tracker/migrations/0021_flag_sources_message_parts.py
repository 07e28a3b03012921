"""Flags raised before their explanation was kept as parts (Flag.message_parts empty) get their
parts read back from their English explanation (Flag.message_en), so that they read in their
reader's language. The explanation is read with the wordings as the rules wrote them when this
migration was written (a copy: later wordings in tracker/flag_text.py do not change what this
reads). A flag whose explanation cannot be read back whole (a possible capillary leak, a
sentence no wording here gives) keeps no parts: it reads from what it found (rule, term, value,
threshold) in French and its English explanation in English."""

import re

from django.db import migrations

# Each explanation the rules wrote, by its part's key, in English.
WORDINGS = {
    "ctcae_measured": "%(term)s %(value)s is CTCAE grade %(grade)s.",
    "ctcae_graded": "%(term)s graded %(grade)s by the clinician.",
    "composite_grade": "Patient reports %(term)s at PRO-CTCAE composite grade %(grade)s.",
    "symptom_present": "Patient reports %(term)s.",
    "unexpected_side_effect": "Not an expected side effect of %(therapy)s.",
    "worsening": (
        "Worsening: grade %(previous)s → %(grade)s, %(rise)s grades worse than its previous "
        "grade in this course."
    ),
    "fever_escalation_risk": (
        "Fever on %(therapy)s: review today, even if expected. A fever on this therapy can be "
        "neutropenic fever or need early escalation; check the neutrophil count (febrile "
        "neutropenia: ANC < 1000/mm³ with fever)."
    ),
    "fever_on_il6_blocker": "Fever on %(therapy)s: an IL-6 blocker can mask serious infection.",
    "bleeding_present": "Patient reports blood in stool, vomit, urine or sputum.",
    "confusion_present": "Patient reports new confusion or trouble staying awake.",
    "bleeding_recorded": (
        "Frank blood recorded by the clinician: a red flag at any grade, expected or not."
    ),
    "hallucinations_recorded": (
        "Hallucinations recorded by the clinician: a red flag at any grade, expected or not."
    ),
    "systolic_bp_below_90": "Systolic blood pressure %(value)s mmHg is below %(limit)s mmHg.",
    "spo2_below_90": "Oxygen saturation %(value)s %% is below %(limit)s %%.",
    "heart_rate_above_130": "Heart rate %(value)s bpm is above %(limit)s bpm.",
    "weight_gain_il2": "Weight gain of %(percent)s %% on high-dose IL-2 suggests fluid retention.",
}
# What each placeholder reads: whole numbers (stored as numbers, as the rules give them), a
# number as written, or free text (a term's or a therapy's name, a value with its unit).
_WHOLE = {"grade", "previous", "rise"}
_NUMBER_TEXT = {"percent"}
# The limits the rules give as numbers (the SpO₂ limit they give as text: "90").
_WHOLE_LIMIT = {"systolic_bp_below_90", "heart_rate_above_130"}


def _pattern(wording, names):
    """A regex reading back what `wording` printed; a term is one of `names` (longest first)."""
    terms = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    out = []
    for index, piece in enumerate(re.split(r"%\((\w+)\)s", wording.replace("%%", "%"))):
        if index % 2 == 0:
            out.append(re.escape(piece))
        elif piece == "term":
            out.append(rf"(?P<term>{terms})")
        elif piece in _WHOLE or piece == "limit":
            out.append(rf"(?P<{piece}>\d+)")
        elif piece in _NUMBER_TEXT:
            out.append(rf"(?P<{piece}>\d+(?:\.\d+)?)")
        else:  # free text within one sentence
            out.append(rf"(?P<{piece}>(?:(?!\. ).)+?)")
    return re.compile("".join(out) + r"(?= |$)")


def _part(key, found, slugs):
    params = dict(found)
    if "term" in params:
        params["term_en"] = params["term"]
        params["term"] = slugs[params["term_en"]]
    for name in _WHOLE & params.keys():
        params[name] = int(params[name])
    if "limit" in params and key in _WHOLE_LIMIT:
        params["limit"] = int(params["limit"])
    return {"key": key, "params": params}


def _english(part):
    params = dict(part["params"])
    if "term" in params:
        params["term"] = params.pop("term_en")
    return WORDINGS[part["key"]] % params


def parts_from_message(message, slugs):
    """The parts of an English explanation, or [] if any of it is not a wording here.
    slugs: CTCAE term name (English) -> slug."""
    patterns = {key: _pattern(wording, slugs) for key, wording in WORDINGS.items()}
    parts, rest = [], message
    while rest:
        for key, pattern in patterns.items():
            found = pattern.match(rest)
            if found:
                parts.append(_part(key, found.groupdict(), slugs))
                rest = rest[found.end() :].removeprefix(" ")
                break
        else:
            return []
    # Only parts that give back the very same explanation are kept.
    if not parts or " ".join(_english(p) for p in parts) != message:
        return []
    return parts


BATCH = 2000


def fill_message_parts(apps, schema_editor):
    """The flags without parts read once, in primary-key order, and written back in batches:
    each row once, whatever the number of distinct explanations (they carry values, so there
    can be as many as flags)."""
    terms = apps.get_model("therapies", "SideEffectTerm")
    slugs = dict(terms.objects.values_list("ctcae_term", "slug"))
    for name in ("Flag", "HistoricalFlag"):
        model = apps.get_model("tracker", name)
        pk = model._meta.pk.attname
        rows = model.objects.filter(message_parts=[]).order_by(pk).values_list(pk, "message_en")
        batch = list(rows[:BATCH])
        while batch:  # by key ranges: no cursor stays open on the table being written
            changed = [
                model(**{pk: key, "message_parts": parts})
                for key, message in batch
                if (parts := parts_from_message(message, slugs))
            ]
            model.objects.bulk_update(changed, ["message_parts"])
            batch = list(rows.filter(**{f"{pk}__gt": batch[-1][0]})[:BATCH])


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0020_flag_sources_source_ids"),
        ("therapies", "0005_clinical_words_french_names"),
    ]

    operations = [migrations.RunPython(fill_message_parts, migrations.RunPython.noop)]
