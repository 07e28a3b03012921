"""Load the therapy catalog from its versioned data file, `therapies/data/catalog.json`.

The file is the reviewed source of the vocabulary, the agents and their expected side effects.
Loading is idempotent: rows are matched by slug (expected side effects by therapy and term),
created or updated in place, and left alone when nothing changed. Rows that are in the database
but no longer in the file are never deleted, because courses, reports and flags point at them;
they are listed in the result so someone can look at them.

The whole file is checked before anything is written, and written in one transaction, so a
broken file saves nothing. The shape of each entry (its keys and the type of each value) is a
pydantic model in therapies/catalog_schema.py; what needs the rest of the file (cited sources,
term slugs, CIOMS bands, CTCAE grade ranges) is checked here. Every problem is listed at once,
each naming its entry: "therapy 'anakinra': missing source."
"""

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .catalog_schema import (
    ByIndicationEntry,
    CatalogFile,
    ExpectedEntry,
    TermEntry,
    TherapyEntry,
    entry_values,
)
from .models import (
    DrugClass,
    ExpectedFrequency,
    ExpectedSideEffect,
    FrequencyBand,
    SelfCareAdvice,
    Setting,
    SideEffectTerm,
    TermKind,
    Therapy,
)

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "catalog.json"
# Self-care advice for the patient's answer page lives beside the catalog, in its own file.
SELF_CARE_FILE = "self_care.json"
SELF_CARE_KEYS = {"en", "fr", "source", "url"}

# The catalog's words in French, by slug, beside the catalog file (catalog_fr.json).
FRENCH_NAME = "catalog_fr.json"


class CatalogError(ValueError):
    """The catalog file cannot be loaded; nothing was saved."""


CTCAE_GRADES = range(1, 6)  # NCI CTCAE v5.0 grades 1 (mild) to 5 (death)

# What may be cited (issue 14, reference/domain.md §4.8): the official label (FDA prescribing
# information with its set id or application, or the EMA product information), a
# peer-reviewed publication (DOI, PMID or PMCID), and for the vocabulary NCI CTCAE and the
# code systems. Pharmacies, advertisements, label mirrors, drug-information sites and slide
# decks have no kind here, so the loader refuses them.
LABEL_KINDS = {"fda_label", "ema_smpc"}
FACT_SOURCE_KINDS = LABEL_KINDS | {"peer_reviewed"}
SOURCE_KINDS = FACT_SOURCE_KINDS | {"nci_ctcae", "terminology"}
SOURCE_FIELDS = {
    "kind",
    "citation",
    "url",
    "set_id",
    "version",
    "application",
    "revision_date",
    "doi",
    "pmid",
    "pmcid",
    "note",
}
# Where an official label is published: FDA (DailyMed, Drugs@FDA, FDALabel, openFDA) and EMA.
OFFICIAL_LABEL_HOSTS = {
    "fda_label": (
        "dailymed.nlm.nih.gov",
        "www.accessdata.fda.gov",
        "nctr-crs.fda.gov",
        "api.fda.gov",
    ),
    "ema_smpc": ("www.ema.europa.eu", "ec.europa.eu"),
}
REVISION_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
SET_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
URL_HOST_RE = re.compile(r"^https://([^/:]+)")

SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
MEDDRA_RE = re.compile(r"^\d{8}$")  # MedDRA LLT/PT codes are 8 digits
SNOMED_RE = re.compile(r"^\d{6,18}$")


def band_for_percent(percent: Decimal) -> str:
    """The CIOMS frequency band of a percentage (CIOMS III/V conventions)."""
    if percent >= 10:
        return FrequencyBand.VERY_COMMON
    if percent >= 1:
        return FrequencyBand.COMMON
    if percent >= Decimal("0.1"):
        return FrequencyBand.UNCOMMON
    return FrequencyBand.RARE


def load_catalog(path=None) -> dict:
    """Load or update the catalog from `path` (default: the bundled catalog.json).

    Returns a summary: the file's version, per model the number of rows created, updated and
    unchanged, and under "not_in_file" what the database holds that the file no longer lists.
    Raises CatalogError, with every problem found, if the file is unreadable or invalid.
    """
    path = Path(path) if path else DEFAULT_PATH
    catalog = parse_catalog(read_catalog_file(path))
    self_care_path = path.parent / SELF_CARE_FILE
    advice = (
        parse_self_care(read_catalog_file(self_care_path), set(catalog["terms"]))
        if self_care_path.exists()
        else {}
    )
    _add_french(catalog, path.with_name(FRENCH_NAME))
    with transaction.atomic():
        summary = _save(catalog)
        summary["self_care"] = _save_self_care(advice)
    from tracker import flag_text  # the names a flag's words use

    flag_text.forget_term_names()
    flag_text.forget_therapy_names()
    summary["path"] = str(path)
    summary["version"] = catalog["version"]
    return summary


def _add_french(catalog: dict, path: Path):
    """Take each term's French CTCAE name and each therapy's French regimen from the French
    file beside the catalog, if there is one; a slug the catalog does not hold is refused, and
    so is a text citing a key that is not an entry of the catalog's sources table."""
    if not path.exists():
        return
    data = read_catalog_file(path)
    errors: list[str] = []
    for slug, item in (data.get("therapies") or {}).items():
        # The French texts cite the same sources as the English ones: entries of the table.
        if isinstance(item, dict):
            for field, text in _texts(item):
                where = f"{path.name}: therapy '{slug}'"
                _check_cited_keys(text, field, catalog["fact_keys"], where, errors)
    for slug, item in (data.get("terms") or {}).items():
        if slug not in catalog["terms"]:
            errors.append(f"{path.name}: term '{slug}' is not in the catalog")
        elif not isinstance(item.get("ctcae_term_fr"), str):
            errors.append(f"{path.name}: term '{slug}' needs a text ctcae_term_fr")
        else:
            catalog["terms"][slug]["ctcae_term_fr"] = item["ctcae_term_fr"]
    for slug, item in (data.get("therapies") or {}).items():
        if slug not in catalog["therapies"]:
            errors.append(f"{path.name}: therapy '{slug}' is not in the catalog")
        elif not isinstance(item.get("regimen_fr"), str):
            errors.append(f"{path.name}: therapy '{slug}' needs a text regimen_fr")
        else:
            catalog["therapies"][slug]["values"]["regimen_fr"] = item["regimen_fr"]
            name = item.get("name_fr", "")
            if not isinstance(name, str):
                errors.append(f"{path.name}: therapy '{slug}': name_fr is text")
            else:
                catalog["therapies"][slug]["values"]["name_fr"] = name
            reason = item.get("fever_escalation_source_fr", "")
            if not isinstance(reason, str):
                errors.append(f"{path.name}: therapy '{slug}': fever_escalation_source_fr is text")
            elif reason and not catalog["therapies"][slug]["values"]["fever_escalation_source"]:
                errors.append(
                    f"{path.name}: therapy '{slug}': fever_escalation_source_fr without "
                    "fever_escalation_source"
                )
            else:
                catalog["therapies"][slug]["values"]["fever_escalation_source_fr"] = reason
    if errors:
        raise CatalogError("\n".join(errors))


def read_catalog_file(path: Path) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"Cannot read the catalog file {path}: {exc.strerror or exc}") from exc
    try:
        # Decimal keeps 77.5 exact all the way to the DecimalField.
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: the top level must be a JSON object.")
    return data


def parse_catalog(data: dict) -> dict:
    """Check the whole document and return it normalised (model field values, defaults filled).

    No database access. Collects every problem before raising, so one run shows them all.
    """
    errors: list[str] = []
    entry_values(CatalogFile, data, "catalog", errors)

    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        errors.append("catalog: 'version' must be a non-empty string.")

    sources = data.get("sources")
    if not isinstance(sources, dict) or not sources:
        errors.append("catalog: 'sources' must be an object of source key → source.")
        sources = {}
    else:
        for key, source in sources.items():
            check_source(key, source, errors)
    fact_keys = {
        key
        for key, source in sources.items()
        if isinstance(source, dict) and source.get("kind") in FACT_SOURCE_KINDS
    }

    terms = _parse_terms(data.get("terms"), errors)
    therapies = _parse_therapies(data.get("therapies"), set(terms), fact_keys, errors)
    _check_cited_texts(data, set(sources), fact_keys, errors)

    if errors:
        raise CatalogError(
            f"The catalog file has {len(errors)} problem(s); nothing was saved:\n  - "
            + "\n  - ".join(errors)
        )
    for item in therapies.values():
        item["values"]["catalog_version"] = version
    return {"version": version, "terms": terms, "therapies": therapies, "fact_keys": fact_keys}


def parse_self_care(data: dict, term_slugs: set) -> dict:
    """{slug: SelfCareAdvice values} from self_care.json, every problem listed at once."""
    errors = []
    advice = data.get("advice")
    if not isinstance(advice, dict):
        raise CatalogError(f"{SELF_CARE_FILE}: 'advice' must be an object of term slug → advice.")
    parsed = {}
    for slug, item in advice.items():
        where = f"{SELF_CARE_FILE}: advice '{slug}'"
        if slug not in term_slugs:
            errors.append(f"{where}: no such term in the catalog.")
            continue
        if not isinstance(item, dict) or set(item) != SELF_CARE_KEYS:
            errors.append(f"{where}: needs exactly {', '.join(sorted(SELF_CARE_KEYS))}.")
            continue
        if not all(isinstance(item[key], str) and item[key].strip() for key in SELF_CARE_KEYS):
            errors.append(f"{where}: every value must be a non-empty string.")
            continue
        if not item["url"].startswith("https://"):
            errors.append(f"{where}: the source address must start with https://.")
            continue
        parsed[slug] = {
            "text_en": item["en"].strip(),
            "text_fr": item["fr"].strip(),
            "source": item["source"].strip(),
            "url": item["url"].strip(),
        }
    if errors:
        raise CatalogError(
            f"The self-care file has {len(errors)} problem(s); nothing was saved:\n  - "
            + "\n  - ".join(errors)
        )
    return parsed


def _save_self_care(advice: dict) -> dict:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {a.term.slug: a for a in SelfCareAdvice.objects.select_related("term")}
    terms = SideEffectTerm.objects.in_bulk(list(advice), field_name="slug")
    for slug, values in advice.items():
        identity = {} if slug in existing else {"term": terms[slug]}
        _upsert(existing.get(slug), SelfCareAdvice, identity, values, counts, f"advice '{slug}'")
    return counts


def check_source(key, source, errors):
    """A source is an allowed kind with what identifies it: a label its set id or application
    and its revision date (or a note saying why the revision is not confirmed) on an official
    host; a publication its DOI, PMID or PMCID."""
    where = f"sources.{key}"
    if not isinstance(source, dict):
        errors.append(f"{where}: must be an object with its kind and citation.")
        return
    kind = source.get("kind")
    if kind not in SOURCE_KINDS:
        errors.append(
            f"{where}: kind {kind!r} is not an allowed source ({', '.join(sorted(SOURCE_KINDS))});"
            " pharmacies, advertisements, label copies and slide decks are not sources."
        )
        return
    unknown = sorted(set(source) - SOURCE_FIELDS)
    if unknown:
        errors.append(f"{where}: unknown key(s) {', '.join(unknown)}.")
    for name, value in source.items():
        if value is not None and not isinstance(value, str):
            errors.append(f"{where}: {name} must be a string.")
            return
    if not (source.get("citation") or "").strip():
        errors.append(f"{where}: needs a citation.")
    url = source.get("url") or ""
    if kind in LABEL_KINDS:
        host = URL_HOST_RE.match(url)
        if not host or host.group(1) not in OFFICIAL_LABEL_HOSTS[kind]:
            errors.append(
                f"{where}: a {kind} is cited at its official site "
                f"({', '.join(OFFICIAL_LABEL_HOSTS[kind])}), not {url or 'no address'}."
            )
        if kind == "fda_label" and not (source.get("set_id") or source.get("application")):
            errors.append(f"{where}: an FDA label needs its set id or its application number.")
        set_id = source.get("set_id")
        if set_id and not SET_ID_RE.match(set_id):
            errors.append(f"{where}: set_id {set_id!r} is not a DailyMed set id.")
        if "revision_date" not in source:
            errors.append(
                f"{where}: a label needs its revision_date (null with a note if unknown)."
            )
        revision = source.get("revision_date")
        if revision is None and not (source.get("note") or "").strip():
            errors.append(f"{where}: no revision_date: the note must say why.")
        if revision is not None and not REVISION_RE.match(revision):
            errors.append(f"{where}: revision_date {revision!r} is not YYYY-MM or YYYY-MM-DD.")
    if kind == "peer_reviewed" and not any(source.get(n) for n in ("doi", "pmid", "pmcid")):
        errors.append(f"{where}: a publication needs its DOI, PMID or PMCID.")


def _parse_terms(raw, errors) -> dict:
    if not isinstance(raw, list) or not raw:
        errors.append("catalog: 'terms' must be a non-empty list.")
        return {}
    terms: dict[Any, dict] = {}
    ctcae_seen: dict[str, Any] = {}
    for index, item in enumerate(raw):
        where = f"terms[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: must be an object.")
            continue
        slug = item.get("slug")
        if isinstance(slug, str):
            where = f"term '{slug}'"
        if not _check_slug(slug, where, errors):
            continue
        values = entry_values(TermEntry, item, where, errors)
        if values is None:
            # Known by its slug, so that the therapies citing it add no problems of their own.
            terms.setdefault(slug, {})
            continue
        if slug in terms:
            errors.append(f"{where}: duplicate slug.")
            continue

        if values["kind"] is not None and values["kind"] not in TermKind.values:
            errors.append(
                f"{where}: kind '{values['kind']}' is not one of {sorted(TermKind.values)}."
            )
        for name in ("label_en", "label_fr", "ctcae_term"):
            if isinstance(values[name], str) and not values[name].strip():
                errors.append(f"{where}: '{name}' must not be empty.")
        ctcae = values["ctcae_term"]
        if isinstance(ctcae, str) and ctcae.strip():
            key = ctcae.strip().casefold()
            if key in ctcae_seen:
                errors.append(
                    f"{where}: duplicate ctcae_term '{ctcae}' (already used by term "
                    f"'{ctcae_seen[key]}'); every CTCAE term maps to one vocabulary slug."
                )
            else:
                ctcae_seen[key] = slug
        meddra = values["meddra_code"]
        if isinstance(meddra, str) and meddra and not MEDDRA_RE.match(meddra):
            errors.append(f"{where}: meddra_code '{meddra}' must be 8 digits or empty.")
        snomed = values["snomed_code"]
        if isinstance(snomed, str) and snomed and not SNOMED_RE.match(snomed):
            errors.append(f"{where}: snomed_code '{snomed}' must be digits or empty.")
        _check_term_attributes(values, where, errors)
        _check_grade_range(values, where, errors)
        terms[slug] = values
    return terms


def _check_term_attributes(values, where, errors):
    attributes = [values["has_frequency"], values["has_severity"], values["has_interference"]]
    if values["kind"] == TermKind.REPORTED:
        if values["is_presence"] and any(attributes):
            errors.append(
                f"{where}: a yes/no presence item asks no frequency, severity or interference."
            )
        if not values["is_presence"] and not any(attributes):
            errors.append(f"{where}: a reported term needs PRO-CTCAE attributes or is_presence.")
        if not values["is_presence"] and values["proctcae_item"] is None:
            errors.append(f"{where}: a graded reported term needs its PRO-CTCAE item number.")
    elif values["is_presence"] or any(attributes) or values["proctcae_item"] is not None:
        errors.append(f"{where}: only reported terms carry PRO-CTCAE items or attributes.")


def _check_grade_range(values, where, errors):
    low, high = values["ctcae_min_grade"], values["ctcae_max_grade"]
    for name, grade in (("ctcae_min_grade", low), ("ctcae_max_grade", high)):
        if isinstance(grade, int) and grade not in CTCAE_GRADES:
            errors.append(f"{where}: {name} {grade} is not a CTCAE grade (1-5).")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors.append(f"{where}: ctcae_min_grade {low} is above ctcae_max_grade {high}.")


CITED_KEY_RE = re.compile(r"\[([A-Za-z0-9-]+)\]")
# A source key as the catalog's texts cite it, "[PL-DOSE]": a capital letter or a digit first,
# so that a note's "[derived]" stays a remark (therapies/citations.py reads the same keys).
TEXT_KEY_RE = re.compile(r"\[([A-Z0-9][A-Za-z0-9-]*)\]")
# Fields that hold source keys themselves ("PL-DOSE; PL-BW"), checked by _check_sources.
KEY_FIELDS = {"source"}


def _texts(item, prefix=""):
    """(field, text) for every text of an entry, nested ones named by their term or
    indication: ("regimen", ...), ("expected 'fever' note", ...)."""
    for name, value in item.items():
        if isinstance(value, str) and name not in KEY_FIELDS:
            yield f"{prefix}{name}", value
        elif isinstance(value, list):
            for index, part in enumerate(value):
                if isinstance(part, dict):
                    label = part.get("term") or part.get("indication") or part.get("slug")
                    named = f"{label!r}" if isinstance(label, str) else f"[{index}]"
                    yield from _texts(part, f"{prefix}{name} {named} ")
        elif isinstance(value, dict):
            yield from _texts(value, f"{prefix}{name} ")


def _check_cited_keys(text, field, keys, where, errors):
    """Each key `text` cites is one of `keys`, the sources table's entries it may cite."""
    for key in dict.fromkeys(TEXT_KEY_RE.findall(text)):
        if key not in keys:
            errors.append(f"{where}: {field} cites {key!r}, not in 'sources'.")


def _check_cited_texts(data, source_keys, fact_keys, errors):
    """Every key a text of the file cites is an entry of its sources table (issue 14): a
    therapy's texts state facts, so they cite a label or a peer-reviewed publication; the
    terms and the field notes may also cite CTCAE and the code systems. A person reads the
    citation a key stands for (therapies/citations.py), never a guess."""
    for name in ("description", "field_notes"):
        value = data.get(name)
        texts = [(name, value)] if isinstance(value, str) else []
        if isinstance(value, dict):
            texts = list(_texts(value, f"{name} "))
        for field, text in texts:
            _check_cited_keys(text, field, source_keys, "catalog", errors)
    for group, label, keys in (("terms", "term", source_keys), ("therapies", "therapy", fact_keys)):
        entries = data.get(group)
        for item in entries if isinstance(entries, list) else []:
            if isinstance(item, dict) and isinstance(item.get("slug"), str):
                for field, text in _texts(item):
                    _check_cited_keys(text, field, keys, f"{label} '{item['slug']}'", errors)


def _check_fever_escalation(values, where, errors):
    risk, source = values["fever_escalation_risk"], values["fever_escalation_source"] or ""
    if risk and not source.strip():
        errors.append(f"{where}: fever_escalation_risk needs fever_escalation_source (why, cited).")
    if not risk and source.strip():
        errors.append(f"{where}: fever_escalation_source without fever_escalation_risk.")
    if risk and source.strip() and not CITED_KEY_RE.search(source):
        errors.append(f"{where}: fever_escalation_source must cite its source keys, e.g. [NEU-AE].")
    # Which keys it cites is checked with every other text (_check_cited_texts).


def _parse_therapies(raw, term_slugs, source_keys, errors) -> dict:
    if not isinstance(raw, list) or not raw:
        errors.append("catalog: 'therapies' must be a non-empty list.")
        return {}
    therapies = {}
    for index, item in enumerate(raw):
        where = f"therapies[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: must be an object.")
            continue
        slug = item.get("slug")
        if isinstance(slug, str):
            where = f"therapy '{slug}'"
        if not _check_slug(slug, where, errors):
            continue
        values = entry_values(TherapyEntry, item, where, errors)
        if values is None:
            continue
        values["labelled_indications"] = _parse_indications(
            item.get("labelled_indications", []), where, errors
        )
        if slug in therapies:
            errors.append(f"{where}: duplicate slug.")
            continue
        if values["drug_class"] is not None and values["drug_class"] not in DrugClass.values:
            choices = sorted(DrugClass.values)
            errors.append(f"{where}: drug_class '{values['drug_class']}' is not one of {choices}.")
        if values["setting"] is not None and values["setting"] not in Setting.values:
            errors.append(
                f"{where}: setting '{values['setting']}' is not one of {sorted(Setting.values)}."
            )
        for name in (
            "interval_hours",
            "max_doses_per_cycle",
            "cycle_length_days",
            "rest_days",
            "max_cycles",
        ):
            if isinstance(values[name], int) and values[name] <= 0:
                errors.append(f"{where}: {name} must be a positive whole number.")
        if isinstance(values["dose_value"], Decimal) and values["dose_value"] <= 0:
            errors.append(f"{where}: dose_value must be positive.")
        if values["dose_value"] is not None and not values["dose_unit"]:
            errors.append(f"{where}: dose_value needs a dose_unit.")
        _check_sources(values["source"], source_keys, where, errors)
        _check_fever_escalation(values, where, errors)
        indication_slugs = {i["slug"] for i in values["labelled_indications"]}
        expected = _parse_expected(
            item.get("expected"), term_slugs, source_keys, indication_slugs, where, errors
        )
        therapies[slug] = {"values": values, "expected": expected}
    return therapies


def _parse_indications(raw, where, errors) -> list:
    if not isinstance(raw, list):
        errors.append(f"{where}: 'labelled_indications' must be a list.")
        return []
    indications, seen = [], set()
    for item in raw:
        if (
            not isinstance(item, dict)
            or set(item) != {"slug", "name"}
            or not isinstance(item["name"], str)
            or not item["name"].strip()
        ):
            errors.append(f"{where}: each labelled indication is {{'slug', 'name'}}.")
            continue
        if not _check_slug(item["slug"], f"{where} indication", errors):
            continue
        if item["slug"] in seen:
            errors.append(f"{where}: indication '{item['slug']}' is listed twice.")
            continue
        seen.add(item["slug"])
        indications.append({"slug": item["slug"], "name": item["name"].strip()})
    return indications


def _parse_by_indication(raw, source_keys, indication_slugs, where, errors) -> dict:
    if not isinstance(raw, list) or not raw:
        errors.append(f"{where}: 'by_indication' must be a non-empty list.")
        return {}
    rows = {}
    for item in raw:
        if not isinstance(item, dict):
            errors.append(f"{where}: each 'by_indication' entry must be an object.")
            continue
        indication = item.get("indication")
        at = f"{where} in '{indication}'"
        values = entry_values(ByIndicationEntry, item, at, errors)
        if values is None:
            continue
        if indication not in indication_slugs:
            errors.append(f"{at}: not one of the therapy's labelled_indications.")
            continue
        if indication in rows:
            errors.append(f"{at}: listed twice.")
            continue
        _check_frequency(values, at, errors)
        _check_sources(values["source"], source_keys, at, errors)
        rows[indication] = values
    return rows


def _check_frequency(values, where, errors):
    """Check the percentages and fill the band from the percentage (CIOMS)."""
    percent, comparator = values["frequency_percent"], values["comparator_percent"]
    if comparator is not None and percent is None:
        errors.append(f"{where}: comparator_percent without frequency_percent.")
    for name, value in (("frequency_percent", percent), ("comparator_percent", comparator)):
        if isinstance(value, Decimal):
            lowest_ok = value > 0 if name == "frequency_percent" else value >= 0
            if not (lowest_ok and value <= 100):
                errors.append(f"{where}: {name} {value} is outside the range of a percentage.")
            if value.as_tuple().exponent < -1:
                errors.append(f"{where}: {name} {value} has more than one decimal place.")
    band = values["frequency_band"]
    if isinstance(percent, Decimal) and 0 < percent <= 100:
        derived = band_for_percent(percent)
        if band is not None and band != derived:
            errors.append(
                f"{where}: frequency_band '{band}' contradicts frequency_percent {percent} "
                f"(which is '{derived}')."
            )
        values["frequency_band"] = str(derived)
    elif band is None:
        errors.append(f"{where}: needs frequency_percent or frequency_band.")
    elif band not in FrequencyBand.values:
        errors.append(
            f"{where}: frequency_band '{band}' is not one of {sorted(FrequencyBand.values)}."
        )


BAND_ORDER = [
    FrequencyBand.VERY_COMMON,
    FrequencyBand.COMMON,
    FrequencyBand.UNCOMMON,
    FrequencyBand.RARE,
    FrequencyBand.REPORTED,
]


# One check per field of an expected-effect row, each with its own message: a table, not logic.
def _parse_expected(  # noqa: C901
    raw, term_slugs, source_keys, indication_slugs, therapy_where, errors
) -> dict:
    if not isinstance(raw, list):
        errors.append(f"{therapy_where}: 'expected' must be a list.")
        return {}
    rows = {}
    for index, item in enumerate(raw):
        where = f"{therapy_where} expected[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: must be an object.")
            continue
        term = item.get("term")
        if isinstance(term, str):
            where = f"{therapy_where} expected '{term}'"
        values = entry_values(ExpectedEntry, item, where, errors)
        if values is None:
            continue
        if not isinstance(term, str) or term not in term_slugs:
            errors.append(
                f"{where}: unknown term slug {term!r}; it must be one of the file's terms."
            )
            continue
        if term in rows:
            errors.append(f"{where}: the term is listed twice for this therapy.")
            continue
        by_indication = {}
        if "by_indication" in item:
            by_indication = _parse_by_indication(
                item["by_indication"], source_keys, indication_slugs, where, errors
            )
            if values["frequency_percent"] is None and values["frequency_band"] is None:
                # The effect's band overall: the most frequent of its indications'.
                bands = [row["frequency_band"] for row in by_indication.values()]
                values["frequency_band"] = min(
                    (b for b in bands if b in BAND_ORDER), key=BAND_ORDER.index, default=None
                )
        unverified = item.get("unverified", False)
        percent, comparator = values["frequency_percent"], values["comparator_percent"]
        if unverified and (percent is not None or comparator is not None):
            errors.append(
                f"{where}: marked unverified, so it may carry a frequency band but no percentage."
            )
        _check_frequency(values, where, errors)
        _check_sources(values["source"], source_keys, where, errors)
        values["by_indication"] = by_indication
        rows[term] = values
    return rows


def _check_slug(slug, where, errors) -> bool:
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        errors.append(f"{where}: slug {slug!r} must be lowercase letters, digits, '-' or '_'.")
        return False
    return True


def _check_sources(source, source_keys, where, errors):
    if not isinstance(source, str) or not source.strip():
        errors.append(f"{where}: needs a source.")
        return
    for key in (part.strip() for part in source.split(";")):
        if key not in source_keys:
            errors.append(
                f"{where}: source key {key!r} is not among the 'sources' a fact may cite "
                "(a label or a peer-reviewed publication)."
            )


def _save(catalog) -> dict:
    summary: dict[str, Any] = {
        name: {"created": 0, "updated": 0, "unchanged": 0}
        for name in ("terms", "therapies", "expected")
    }

    existing_terms = {t.slug: t for t in SideEffectTerm.objects.all()}
    terms = {}
    for slug, values in catalog["terms"].items():
        terms[slug] = _upsert(
            existing_terms.get(slug),
            SideEffectTerm,
            {"slug": slug},
            values,
            summary["terms"],
            f"term '{slug}'",
        )

    existing_therapies = {t.slug: t for t in Therapy.objects.all()}
    therapies = {}
    for slug, item in catalog["therapies"].items():
        therapies[slug] = _upsert(
            existing_therapies.get(slug),
            Therapy,
            {"slug": slug},
            item["values"],
            summary["therapies"],
            f"therapy '{slug}'",
        )

    existing_expected = {
        (row.therapy_id, row.term_id): row for row in ExpectedSideEffect.objects.all()
    }
    in_file = set()
    for slug, item in catalog["therapies"].items():
        therapy = therapies[slug]
        for term_slug, values in item["expected"].items():
            term = terms[term_slug]
            in_file.add((therapy.pk, term.pk))
            values = dict(values)
            by_indication = values.pop("by_indication")
            row = _upsert(
                existing_expected.get((therapy.pk, term.pk)),
                ExpectedSideEffect,
                {"therapy": therapy, "term": term},
                values,
                summary["expected"],
                f"therapy '{slug}' expected '{term_slug}'",
            )
            _save_frequencies(row, by_indication, f"therapy '{slug}' expected '{term_slug}'")

    extra_expected = ExpectedSideEffect.objects.select_related("therapy", "term").order_by(
        "therapy__slug", "term__slug"
    )
    summary["not_in_file"] = {
        "terms": sorted(set(existing_terms) - set(catalog["terms"])),
        "therapies": sorted(set(existing_therapies) - set(catalog["therapies"])),
        "expected": [
            f"{row.therapy.slug}/{row.term.slug}"
            for row in extra_expected
            if (row.therapy_id, row.term_id) not in in_file
        ],
    }
    return summary


def _save_frequencies(row, by_indication, where):
    """Make the row's per-indication frequencies those of the file (they carry no history
    and nothing points at them, so one no longer in the file is removed)."""
    existing = {f.indication: f for f in row.frequencies.all()}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for indication, values in by_indication.items():
        _upsert(
            existing.pop(indication, None),
            ExpectedFrequency,
            {"expected": row, "indication": indication},
            values,
            counts,
            f"{where} in '{indication}'",
        )
    for stale in existing.values():
        stale.delete()


def _upsert(obj, model, identity, values, counts, where):
    """Create `obj`, or update it in place if any value differs; count which happened."""
    if obj is None:
        obj = model(**identity, **values)
        outcome = "created"
    else:
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if not changed:
            counts["unchanged"] += 1
            return obj
        for name in changed:
            setattr(obj, name, values[name])
        outcome = "updated"
    try:
        obj.full_clean()
    except ValidationError as exc:
        # Raised inside the transaction: everything saved so far is rolled back.
        raise CatalogError(f"{where}: {_flatten(exc)}; nothing was saved.") from exc
    obj.save()
    counts[outcome] += 1
    return obj


def _flatten(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def describe(summary: dict) -> str:
    """The summary as a few lines of text for a management command."""
    lines = [f"Therapy catalog {summary['version']} loaded from {summary['path']}."]
    for name, label in (
        ("terms", "Side-effect terms"),
        ("therapies", "Therapies"),
        ("expected", "Expected side effects"),
    ):
        counts = summary[name]
        total = sum(counts.values())
        lines.append(
            f"  {label}: {total} ({counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged)"
        )
    if "self_care" in summary:
        counts = summary["self_care"]
        lines.append(
            f"  Self-care advice: {sum(counts.values())} ({counts['created']} created, "
            f"{counts['updated']} updated, {counts['unchanged']} unchanged)"
        )
    return "\n".join(lines)


def describe_not_in_file(summary: dict) -> str:
    """What the database holds beyond the file (kept, never deleted), or '' if nothing."""
    extra = summary["not_in_file"]
    lines = []
    for name, label in (
        ("terms", "terms"),
        ("therapies", "therapies"),
        ("expected", "expected side effects"),
    ):
        if extra[name]:
            lines.append(f"  Kept {label} not in the file: {', '.join(extra[name])}")
    return "\n".join(lines)
