"""The shape of each entry of the catalog file (therapies/data/catalog.json), as pydantic models.

A model says which keys an entry has, which are required and the type of each value; it refuses
unknown keys (a misspelt key is a mistake, never silently ignored). What needs the rest of the
file (a term slug the therapies cite, a source key, a CIOMS band against its percentage, the
CTCAE grade range) is checked by therapies/catalog.py with the entry's values.

`entry_values` turns pydantic's errors into the loader's messages, each naming the entry
("term 'nausea': missing ctcae_max_grade.") so one run lists every problem of the file.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    return Decimal(str(value))  # str() so a float 77.5 stays exactly 77.5


Number = Annotated[Decimal, BeforeValidator(_number)]


class Entry(BaseModel):
    # Strict: a grade of "3" (text) or a flag of 1 is a mistake in the file, not a value.
    model_config = ConfigDict(extra="forbid", strict=True)

    # Keys that document the entry for its reviewers and are not saved.
    DOC_ONLY: ClassVar[frozenset[str]] = frozenset()


class CatalogFile(Entry):
    """The top level; each part is checked by its own model or check."""

    version: Any
    sources: Any
    terms: Any
    therapies: Any
    description: Any = None
    field_notes: Any = None


class TermEntry(Entry):
    DOC_ONLY: ClassVar[frozenset[str]] = frozenset({"slug", "mapping_note"})

    slug: str
    kind: str
    label_en: str
    label_fr: str
    ctcae_term: str
    meddra_code: str = ""
    snomed_code: str = ""
    proctcae_item: int | None = None
    has_frequency: bool = False
    has_severity: bool = False
    has_interference: bool = False
    is_presence: bool = False
    sort_order: int = 100
    ctcae_min_grade: int
    ctcae_max_grade: int
    mapping_note: str = ""


class TherapyEntry(Entry):
    DOC_ONLY: ClassVar[frozenset[str]] = frozenset({"slug", "expected", "labelled_indications"})

    slug: str
    name: str
    brand: str = ""
    agent: str
    drug_class: str
    target: str
    indications: str
    route: str
    setting: str
    dose_value: Number | None = None
    dose_unit: str = ""
    interval_hours: int | None = None
    max_doses_per_cycle: int | None = None
    cycle_length_days: int | None = None
    rest_days: int | None = None
    max_cycles: int | None = None
    regimen: str
    boxed_warnings: str = ""
    source: str
    label_date: str = ""
    fever_escalation_risk: bool = False
    fever_escalation_source: str = ""
    # Checked by the loader against the therapy's indications and the file's terms.
    expected: Any
    labelled_indications: Any = []


class ExpectedEntry(Entry):
    DOC_ONLY: ClassVar[frozenset[str]] = frozenset({"term", "unverified", "by_indication"})

    term: Any
    frequency_percent: Number | None = None
    comparator_percent: Number | None = None
    frequency_band: str | None = None
    typical_onset: str = ""
    source: str
    note: str = ""
    # Reviewed from a source that gives no figure: a band may be said, never a percentage.
    unverified: bool = False
    by_indication: Any = None


class ByIndicationEntry(Entry):
    DOC_ONLY: ClassVar[frozenset[str]] = frozenset({"indication"})

    indication: Any
    frequency_percent: Number | None = None
    comparator_percent: Number | None = None
    frequency_band: str | None = None
    source: str
    note: str = ""


# How a value of the wrong type is described, by pydantic's error type.
TYPE_WORDS = {
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be a str",
    "bool_type": "must be true or false",
    "decimal_type": "must be a number",
}


def entry_values(model: type[Entry], item: dict, where: str, errors: list[str]) -> dict | None:
    """The entry's values for the models (absent keys at their default; the keys that only
    document the entry left out), or None with its problems added to `errors`."""
    try:
        entry = model.model_validate(item)
    except ValidationError as exc:
        errors.extend(describe(exc, where))
        return None
    return entry.model_dump(exclude=set(model.DOC_ONLY))


def describe(exc: ValidationError, where: str) -> list[str]:
    """One line per problem, naming the entry and its key: the missing keys together, the
    unknown keys together, then each value of the wrong type."""
    missing, unknown, wrong = [], [], []
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "missing":
            missing.append(key)
        elif error["type"] == "extra_forbidden":
            unknown.append(key)
        else:
            words = TYPE_WORDS.get(error["type"]) or error["msg"].removeprefix("Value error, ")
            line = f"{where}: {key} {words}."
            if line not in wrong:
                wrong.append(line)
    lines = []
    if missing:
        lines.append(f"{where}: missing {', '.join(sorted(missing))}.")
    if unknown:
        lines.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
    return lines + wrong
