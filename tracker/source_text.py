"""A flag's sources in its reader's language, worded when shown.

The rules cite each fact from a fixed set of citations (tracker/rules.py, "Sources"): a
document's title, its part (label, table, boxed warning) and what it says there, each by id.
A flag keeps the ids (`Flag.source_ids`) and the same citations in English for audit
(`Flag.source`); pages, the PDF, e-mails and the API read `Flag.source_label`, which words each
id here in the active language. Titles stay as published (journals, brand names, NCI CTCAE
v5.0); only the words around them (label, table, boxed warning, what the row says) are
translated. A CTCAE term cited by name ("ctcae:<slug>") reads by its name in the reader's
language; the catalog's own reason for a fever escalation ("catalog:<text>",
`Therapy.fever_escalation_source`) reads in French from catalog_fr.json, its source keys shown
as the citations they stand for.

A flag raised before the ids were kept (`source_ids` empty, or an id unknown here) is read
from its English text instead: each known citation in it is recognised and worded here; a
citation unknown here is shown as written.
"""

import re

from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from therapies.citations import cite_sources
from therapies.models import Therapy

from . import flag_text, rules

# Each citation the rules write, by its id: its English words as the rules write them and its
# words for people. Titles inside are kept as published.
CITATIONS = {
    "basch_2021": _("Basch et al., Clin Trials 2021 (PRO-CTCAE composite grading)"),
    "proleukin_2023_table_2": _("Proleukin label 2023, Table 2"),
    "dutcher_2014_table_3": _("Dutcher et al., J Immunother Cancer 2014;2:26, Table 3"),
    "springerplus_2015_table_1": _("SpringerPlus 2015, Table 1"),
    "astct_crs": _("ASTCT CRS consensus grading (hypotension = SBP < 90 mmHg)"),
    "catalog_listed": _("Therapy catalog: side effects listed for the agent"),
    "basch_2016": _("Basch et al., J Clin Oncol 2016 (alerts on worsening symptoms)"),
    "il6_boxed_warnings": _("Actemra and Kevzara boxed warnings (serious infections)"),
    "berman_2021": _(
        "Berman et al., Life 2021 (CRP stays low in serious infection on tocilizumab)"
    ),
    "proleukin_boxed_neurologic": _("Proleukin boxed warning (neurologic toxicity)"),
    "proleukin_boxed_capillary_leak": _("Proleukin boxed warning (capillary leak syndrome)"),
    "home_red_flags": _("Home red-flag thresholds, reference/domain.md §5.3 and §4.7"),
    "ctcae_hemorrhage": _("NCI CTCAE v5.0 hemorrhage terms (graded by site)"),
    "pro_ctcae_presence": _("PRO-CTCAE presence item (not graded)"),
    "ctcae_v5": rules.CTCAE,  # a title, as published
    # What a citation says there, after its title.
    "frank_blood_absolute": _(" (frank blood: absolute criterion)"),
    "hallucinations_absolute": _(" (hallucinations: absolute criterion)"),
    "moderate_confusion_withhold": _(" (moderate confusion: withhold)"),
    "pulse_oximeter": _(" (pulse oximeter < 88 %)"),
    "febrile_neutropenia_definition": _(
        " (ANC < 1000/mm³ with a single temperature > 38.3 °C or ≥ 38.0 °C sustained over 1 h)"
    ),
}
_DERIVED_WORDS = _("derived, needs clinical review")

# Marks a citation as a design choice on cited facts (rules.DERIVED).
_DERIVED = (rules.DERIVED, " (%s)")

# A CTCAE term cited by name: "NCI CTCAE v5.0 – Confusion".
_CTCAE_PREFIX = f"{rules.CTCAE} – "

# A flag's English text, for a flag without ids: each citation's English words (as the rules
# write them) and its words for people. The bare title "NCI CTCAE v5.0" is left to the terms.
_KNOWN = sorted(
    ((rules.FLAG_SOURCES[id_], words) for id_, words in CITATIONS.items() if id_ != "ctcae_v5"),
    key=lambda pair: -len(pair[0]),
)
_PATTERN = re.compile("|".join(re.escape(english) for english, _words in _KNOWN))


def _is_french() -> bool:
    return (get_language() or "en").startswith("fr")


# CTCAE terms the rules cite that are not in the catalog's vocabulary, by slug: English, words.
_OTHER_TERM_SLUGS = {
    rules.FEBRILE_NEUTROPENIA_TERM.slug: (
        rules.FEBRILE_NEUTROPENIA_TERM.ctcae_term,
        _("Febrile neutropenia"),
    ),
}
_OTHER_TERMS = dict(_OTHER_TERM_SLUGS.values())


def _ctcae_terms_in_french(text: str) -> str:
    """Each CTCAE term cited by its English name ("NCI CTCAE v5.0 – Confusion"), by its name
    in the reader's language; the longest name that the citation starts with is the term."""
    if _CTCAE_PREFIX not in text:
        return text
    flag_text.term_name("")  # loads the terms' names once
    names = {en: fr or en for en, fr in flag_text._term_names.values()}
    names.update((en, str(fr)) for en, fr in _OTHER_TERMS.items())
    pieces = text.split(_CTCAE_PREFIX)
    for i, piece in enumerate(pieces[1:], start=1):
        for english in sorted(names, key=len, reverse=True):
            rest = piece[len(english) :]
            if piece.startswith(english) and (not rest or rest[:1] == ";" or rest[:2] == " ("):
                pieces[i] = names[english] + rest
                break
    return _CTCAE_PREFIX.join(pieces)


# The catalog's reasons for a fever escalation, English -> French; read once when first needed.
_reasons: dict[str, str] = {}


def forget_reasons(**_signal):
    """A therapy changed (admin, catalog reloaded): read the reasons again when next needed."""
    _reasons.clear()


post_save.connect(forget_reasons, sender=Therapy, dispatch_uid="source_text_therapy_saved")
post_delete.connect(forget_reasons, sender=Therapy, dispatch_uid="source_text_therapy_deleted")


def _catalog_reasons_in_french(text: str) -> str:
    if not _reasons:
        _reasons.update(
            Therapy.objects.exclude(fever_escalation_source_fr="").values_list(
                "fever_escalation_source", "fever_escalation_source_fr"
            )
        )
    for english, french in _reasons.items():
        text = text.replace(english, french)
    return text


def render_source(text: str) -> str:
    """A flag's sources (as the rules wrote them) in the active language, the catalog's source
    keys shown as the citations they stand for."""
    if not text or not _is_french():
        return cite_sources(text)
    words = dict(_KNOWN)
    text = text.replace(_DERIVED[0], _DERIVED[1] % _DERIVED_WORDS)
    if "[" in text:  # the catalog's reasons cite its source keys: only they are looked up
        text = _catalog_reasons_in_french(text)
    text = _PATTERN.sub(lambda m: str(words[m.group(0)]), text)
    return cite_sources(_ctcae_terms_in_french(text))


def _term_words(slug: str) -> str:
    if slug in _OTHER_TERM_SLUGS:
        english, words = _OTHER_TERM_SLUGS[slug]
        return str(words) if _is_french() else english
    return flag_text.term_name(slug)


def _catalog_words(text: str) -> str:
    if _is_french() and "[" in text:  # the catalog's reasons cite its source keys
        text = _catalog_reasons_in_french(text)
    return text


def render_ids(ids) -> str | None:
    """Sources named by id (rules.FLAG_SOURCES, "ctcae:<slug>", "catalog:<text>") in the active
    language; None if an id is unknown here."""
    text = ""
    for id_ in ids:
        if not isinstance(id_, str):
            return None
        if id_ == rules.NOTE_DERIVED:
            words = _DERIVED[1] % _DERIVED_WORDS
        elif id_ in CITATIONS:
            words = str(CITATIONS[id_])
        elif id_.startswith(rules.CTCAE_TERM_ID) and id_ != rules.CTCAE_TERM_ID:
            words = f"{_CTCAE_PREFIX}{_term_words(id_.removeprefix(rules.CTCAE_TERM_ID))}"
        elif id_.startswith(rules.CATALOG_TEXT_ID) and id_ != rules.CATALOG_TEXT_ID:
            words = _catalog_words(id_.removeprefix(rules.CATALOG_TEXT_ID))
        else:
            return None
        if text and id_ not in rules.FLAG_SOURCE_NOTES:
            text += "; "
        text += words
    return cite_sources(text)


def render_flag_source(flag) -> str:
    """A flag's sources in the active language: worded from its ids, or, for a flag raised
    before they were kept, read from its English text."""
    if flag.source_ids:
        rendered = render_ids(flag.source_ids)
        if rendered is not None:
            return rendered
    return render_source(flag.source)
