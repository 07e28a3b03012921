"""The catalog's source keys ("[PL-DOSE]") shown as the citations they stand for.

The catalog's texts (regimens, reasons for a fever escalation) cite its sources by key, in
brackets; the keys stay in the data (catalog.json, catalog_fr.json) for the catalog's tests
and its editors. A person reads the citation instead: "(Proleukin label, 2024)". The catalog
loader refuses a text citing a key that the sources table does not list (therapies/catalog.py),
so every key of the catalog has its citation. Other words in brackets (a clinician's own
regimen, "[derived]") are not keys of the table and are left as written: never guessed.
"""

import functools
import json
import re

from django.utils.translation import gettext

from .catalog import DEFAULT_PATH

KEYS = re.compile(r" ?((?:\[[A-Z0-9][A-Za-z0-9-]*\])+)")
_KEY = re.compile(r"\[([A-Z0-9][A-Za-z0-9-]*)\]")
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_AUTHOR = re.compile(r"^([A-Z][A-Za-z'-]+) [A-Z]{1,3}\b")


@functools.cache
def sources() -> dict:
    """The catalog's sources table (catalog.json, top level "sources"), read once."""
    try:
        data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    table = data.get("sources")
    return table if isinstance(table, dict) else {}


def short_citation(key: str) -> str | None:
    """A source's citation as a person reads it in the text: the label's brand and year, or the
    first author and year, or the reference as written; None if `key` is not in the table."""
    source = sources().get(key)
    if not isinstance(source, dict):
        return None
    citation = str(source.get("citation", "")).strip().rstrip(".")
    date = str(source.get("revision_date") or "")
    year = date[:4] if date[:4].isdigit() else ""
    kind = source.get("kind", "")
    if kind in ("fda_label", "ema_smpc"):
        brand = citation.split(" ")[0].capitalize()
        label = gettext("%(brand)s label") if kind == "fda_label" else gettext("%(brand)s SmPC")
        text = label % {"brand": brand}
        return f"{text}, {year}" if year else text
    author = _AUTHOR.match(citation)
    found = _YEAR.search(citation)
    if author and found:
        return gettext("%(author)s et al., %(year)s") % {
            "author": author.group(1),
            "year": found.group(0),
        }
    return citation


def cite_sources(text: str) -> str:
    """`text` with each run of bracketed source keys replaced by its citations in brackets; a
    run holding a word the sources table does not list is left as written."""
    if not text or "[" not in text:
        return text

    def cite(match):
        names: list[str] = []
        for key in _KEY.findall(match.group(1)):
            name = short_citation(key)
            if name is None:
                return match.group(0)
            if name not in names:
                names.append(name)
        return " (" + "; ".join(names) + ")"

    return KEYS.sub(cite, text)
