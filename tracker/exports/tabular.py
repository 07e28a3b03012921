"""One row per observation, as a header then rows (pretix's ListExporter shape), and the CSV writer.

An observation is one thing seen at one time: a symptom answer (with its PRO-CTCAE composite
grade), a yes/no answer, a clinician's CTCAE-graded adverse event, a CTCAE grade the rules
derived from a measurement, the raw measurement itself (with its LOINC code and UCUM unit), a
flag that has no grade of its own (a pattern such as possible capillary leak), a dose given or
held, and a record's free-text note. Records entered in error are not exported (the caller's
gathering leaves them out). The codebook below describes every column.

`observation_table(gathered)` takes course records already scoped and gathered (a
`CourseSummary`, or the cohort's batches) and backs the download views, the API and the
`export_course` / `export_cohort` commands; `csv_chunks(table)` writes it as UTF-8 CSV with a
BOM, neutralising cells a spreadsheet would run as a formula.
"""

import csv
import datetime
import io
import math
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .. import rules
from .codes import BY_FIELD, GRADED_FROM, MEASUREMENTS

PRO_CTCAE = "pro_ctcae_composite"
CTCAE = "ctcae_v5"

# Rows of one record come in this order (then by the term's catalog order).
KIND_ORDER = {
    kind: index
    for index, kind in enumerate(
        (
            "dose_given",
            "dose_held",
            "symptom",
            "symptom_presence",
            "adverse_event",
            "graded_measurement",
            "alert",
            "vital_sign",
            "laboratory",
            "note",
        )
    )
}
SOURCE_ORDER = {"dose": 0, "report": 1, "visit": 2, "course": 3}

IDENTIFIED = "identified"
PSEUDONYMISED = "pseudonymised"
BOTH = (IDENTIFIED, PSEUDONYMISED)


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str | Promise
    allowed: str | Promise
    modes: tuple = BOTH


COLUMNS = (
    Column(
        "course_id",
        _("The course (one patient's course of one therapy). Pseudonymised: a stable code."),
        _("UUID; pseudonymised: C- followed by 16 hexadecimal characters"),
    ),
    Column("mrn", _("The patient's medical record number."), _("text"), (IDENTIFIED,)),
    Column(
        "patient_pseudonym",
        _(
            "A stable code per patient (keyed hash of the patient's identifier, the same in "
            "every export from this installation)."
        ),
        _("P- followed by 16 hexadecimal characters"),
        (PSEUDONYMISED,),
    ),
    Column("patient_name", _("Given name and family name."), _("text"), (IDENTIFIED,)),
    Column("birth_date", _("Date of birth."), _("ISO 8601 date"), (IDENTIFIED,)),
    Column("sex", _("Sex recorded for the patient."), "female, male, other, unknown"),
    Column("age_at_start", _("Age in whole years on the course's start date."), _("integer")),
    Column(
        "therapy", _("The therapy, by its catalog slug."), _("slug, e.g. aldesleukin-high-dose")
    ),
    Column(
        "observed_at",
        _(
            "When it was observed: the report's or visit's time, or the dose's administration "
            "(scheduled time for a held dose)."
        ),
        _("ISO 8601 date and time with UTC offset"),
    ),
    Column(
        "day_of_course",
        _(
            "Day of the course as the regimen numbers it (1 = the course's start date), in the "
            "clinic's time zone."
        ),
        _("integer"),
    ),
    Column(
        "source",
        _("The record it comes from."),
        _("report (patient-reported), visit (clinician's assessment), dose, course"),
    ),
    Column(
        "reporter",
        _("Who entered the record."),
        _("patient, clinician (a clinician also enters reports on a patient's behalf)"),
    ),
    Column(
        "kind",
        _("What the row is."),
        _(
            "symptom (PRO-CTCAE item with a composite grade), symptom_presence (yes/no item), "
            "adverse_event (clinician-graded, CTCAE), graded_measurement (CTCAE grade derived "
            "from a measurement), alert (a flag with no grade, e.g. a pattern), vital_sign, "
            "laboratory, dose_given, dose_held, note (free text; identified exports only)"
        ),
    ),
    Column(
        "term",
        _(
            "The side effect (catalog slug) or, for vital signs and laboratory values, the "
            "measurement."
        ),
        format_lazy(
            _("side-effect slug (e.g. chills); measurement: {names}"),
            names=", ".join(m.field for m in MEASUREMENTS),
        ),
    ),
    Column("ctcae_term", _("The CTCAE v5.0 term of the side effect."), _("text")),
    Column("meddra_code", _("MedDRA code of the CTCAE term (lowest level term)."), _("8 digits")),
    Column("loinc_code", _("LOINC code of the measurement."), _("LOINC code")),
    Column(
        "value",
        _(
            "The measured value (in `unit`); for a weight-gain grade the change from baseline "
            "in %; for a yes/no item yes or no; for a dose the amount given."
        ),
        _("number with a dot as decimal separator, yes, no, or empty"),
    ),
    Column(
        "unit",
        _("Unit of `value`: UCUM code for measurements; as recorded for doses."),
        "mm[Hg], /min, Cel, kg, %, mL (over 8 h), 10*9/L, mg/dL; mg, MIU, …",
    ),
    Column(
        "frequency",
        _("PRO-CTCAE frequency score (never … almost constantly)."),
        _("0–4, empty if the item does not ask it or it was skipped"),
    ),
    Column(
        "severity",
        _("PRO-CTCAE severity score (none … very severe)."),
        _("0–4, empty if the item does not ask it or it was skipped"),
    ),
    Column(
        "interference",
        _("PRO-CTCAE interference score (not at all … very much)."),
        _("0–4, empty if the item does not ask it or it was skipped"),
    ),
    Column(
        "grade", _("The grade, on the scale in `grade_scale`."), _("0–3 (composite), 1–5 (CTCAE)")
    ),
    Column(
        "grade_scale",
        _(
            "pro_ctcae_composite: PRO-CTCAE composite grade (Basch et al., Clin Trials 2021), "
            "not a CTCAE grade; ctcae_v5: NCI CTCAE v5.0 grade."
        ),
        "pro_ctcae_composite, ctcae_v5",
    ),
    Column(
        "expected",
        _("Whether the side effect is listed for this therapy in the catalog."),
        _("true, false, or empty (not a side effect)"),
    ),
    Column(
        "attribution",
        _("Clinician's attribution of the adverse event to the therapy."),
        "unrelated, unlikely, possible, probable, definite",
    ),
    Column(
        "action",
        _("Action taken with the therapy for the adverse event."),
        "none, dose_held, dose_delayed, discontinued, treated",
    ),
    Column(
        "seriousness",
        _(
            "Serious adverse event criteria met (ICH E2A), separated by |; empty for an "
            "adverse event that is not serious."
        ),
        "death, life_threatening, hospitalization, disability, congenital_anomaly, other_important",
    ),
    Column(
        "outcome",
        _("Outcome of the adverse event."),
        "recovering, recovered, recovered_with_sequelae, not_recovered, fatal, unknown",
    ),
    Column("onset_date", _("Date the adverse event began."), "YYYY-MM-DD"),
    Column(
        "end_date",
        _("Date the adverse event ended; empty while it is ongoing or not known."),
        "YYYY-MM-DD",
    ),
    Column("ongoing", _("Whether the adverse event was ongoing when recorded."), "true, false"),
    Column(
        "flag_level",
        _("Level of the flag raised for this observation, if any."),
        _("urgent (may need hospitalization), review (review today), info (expected, logged)"),
    ),
    Column("flag_status", _("Where the flag stands."), "open, acknowledged, resolved"),
    Column(
        "flag_catalog_version",
        _("The therapy catalog version that judged the flag (expected or not, its sources)."),
        _("text, e.g. 2026.2"),
    ),
    Column(
        "comment",
        _(
            "Free text: the reason a dose was held, what an alert found, or a record's note. "
            "Pseudonymised exports leave out free text written by people."
        ),
        _("text"),
    ),
)


def columns_for(pseudonymised: bool):
    mode = PSEUDONYMISED if pseudonymised else IDENTIFIED
    return [c for c in COLUMNS if mode in c.modes]


def codebook_table():
    """The codebook as a table: a header, then one row per column."""
    yield ["column", "meaning", "allowed_values", "present_in"]
    for column in COLUMNS:
        yield [
            column.name,
            str(column.meaning),
            str(column.allowed),
            "both" if column.modes == BOTH else column.modes[0],
        ]


# --- Identity ----------------------------------------------------------------------------------


def pseudonym(prefix: str, value) -> str:
    """A stable code for an identifier: HMAC-SHA256 keyed with SECRET_KEY, truncated.

    The same patient gets the same code in every export of this installation (so exports can
    be joined), and the code cannot be turned back into the identifier without the key.
    Changing SECRET_KEY changes every code.
    """
    digest = salted_hmac("tracker.exports.pseudonym", str(value), algorithm="sha256")
    return f"{prefix}-{digest.hexdigest()[:16]}"


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def identity(course, *, pseudonymised: bool) -> dict:
    patient = course.patient
    row = {
        "sex": patient.sex,
        "age_at_start": _age(patient.birth_date, course.start_date),
        "therapy": course.therapy.slug,
    }
    if pseudonymised:
        row["course_id"] = pseudonym("C", course.pk)
        row["patient_pseudonym"] = pseudonym("P", patient.pk)
    else:
        row["course_id"] = str(course.pk)
        row["mrn"] = patient.mrn
        row["patient_name"] = patient.full_name
        row["birth_date"] = patient.birth_date.isoformat()
    return row


# --- Observations --------------------------------------------------------------------------------


def _flag_cells(flag):
    if flag is None:
        return {}
    return {
        "flag_level": flag.level,
        "flag_status": flag.status,
        "flag_catalog_version": flag.catalog_version,
    }


def _term_cells(term, expected):
    return {
        "_order": term.sort_order,
        "term": term.slug,
        "ctcae_term": term.ctcae_term,
        "meddra_code": term.meddra_code,
        "expected": expected,
    }


def _number(value):
    if value is None:
        return None
    if isinstance(value, float):
        return round(value, 1)
    return value


def _measured_value(record, field, course):
    if field == "weight_percent":
        if record.weight_kg is None or not course.baseline_weight_kg:
            return None, "%"
        percent = rules.weight_gain_percent(
            float(record.weight_kg), float(course.baseline_weight_kg)
        )
        return round(percent, 1), "%"
    measurement = BY_FIELD[field]
    return getattr(record, field, None), measurement.unit


def _record_rows(record, source, reporter, course, flags_by_term, expected_slugs, identified):
    """The rows of one report or visit (or of the course itself, for course-level flags)."""
    rows = []
    seen_terms = set()
    base = {"source": source, "reporter": reporter}
    if source == "report":
        for answer in record.answers.all():
            term = answer.term
            seen_terms.add(term.id)
            row = {**base, **_term_cells(term, answer.expected)}
            if term.is_presence:
                row |= {"kind": "symptom_presence", "value": "yes" if answer.present else "no"}
            else:
                row |= {
                    "kind": "symptom",
                    "frequency": answer.frequency,
                    "severity": answer.severity,
                    "interference": answer.interference,
                    "grade": answer.composite_grade,
                    "grade_scale": PRO_CTCAE,
                }
            rows.append(row | _flag_cells(flags_by_term.get(term.id)))
    elif source == "visit":
        for event in record.adverse_events.all():
            seen_terms.add(event.term_id)
            rows.append(
                {
                    **base,
                    **_term_cells(event.term, event.expected),
                    "kind": "adverse_event",
                    "grade": event.grade,
                    "grade_scale": CTCAE,
                    "attribution": event.attribution,
                    "action": event.action,
                    "seriousness": "|".join(event.seriousness or []),
                    "outcome": event.outcome,
                    "onset_date": event.onset_date,
                    "end_date": event.end_date,
                    "ongoing": event.ongoing,
                    **_flag_cells(flags_by_term.get(event.term_id)),
                }
            )
    for term_id, flag in flags_by_term.items():
        if term_id in seen_terms:
            continue
        expected = flag.expected
        if expected is None:
            expected = flag.term.slug in expected_slugs
        row = {**base, **_term_cells(flag.term, expected), **_flag_cells(flag)}
        if flag.ctcae_grade:
            field = GRADED_FROM.get(flag.term.slug)
            value, unit = (
                _measured_value(record, field, course) if field and record else (None, None)
            )
            row |= {
                "kind": "graded_measurement",
                "value": _number(value),
                "unit": unit if value is not None else None,
                "grade": flag.ctcae_grade,
                "grade_scale": CTCAE,
            }
        elif flag.composite_grade:
            row |= {"kind": "symptom", "grade": flag.composite_grade, "grade_scale": PRO_CTCAE}
        else:
            # Generated by the rules from the record's values, not written by a person.
            row |= {"kind": "alert", "comment": flag.value}
        rows.append(row)
    if record is not None:
        for index, measurement in enumerate(MEASUREMENTS):
            value = getattr(record, measurement.field, None)
            if value is not None:
                rows.append(
                    {
                        **base,
                        "_order": index,
                        "kind": measurement.kind,
                        "term": measurement.field,
                        "loinc_code": measurement.loinc,
                        "value": value,
                        "unit": measurement.unit,
                    }
                )
        note = getattr(record, "note", None) if source == "report" else record.notes
        if note and identified:
            rows.append({**base, "_order": 0, "kind": "note", "comment": note})
    return rows


def _reporter(report):
    return report.source  # ReportSource: "patient" or "clinician"


def observations(records, *, pseudonymised: bool = False) -> list[dict]:
    """The observation rows of one course, oldest first (without the identity columns).

    `records` has `course`, `doses`, `reports` (answers prefetched), `visits` (adverse events
    prefetched), `flags` and `expected_slugs`, as `CourseSummary` does. No queries.
    """
    course = records.course
    identified = not pseudonymised
    flags_by_record = {}
    for flag in records.flags:
        key = flag.report_id or flag.visit_id
        # flags come most urgent first: the first one per (record, term) is the one shown.
        flags_by_record.setdefault(key, {}).setdefault(flag.term_id, flag)

    dated = []
    for dose in records.doses:
        if dose.status not in ("given", "held"):
            continue  # scheduled doses are plans, not observations
        when = dose.administered_at or dose.scheduled_at
        row = {
            "_order": dose.dose_number,
            "source": "dose",
            "reporter": "clinician",
            "kind": f"dose_{dose.status}",
        }
        if dose.status == "given":
            row |= {"value": dose.dose_amount, "unit": dose.dose_unit or None}
        elif identified:
            row["comment"] = dose.reason
        dated.append((when, row))
    for report in records.reports:
        for row in _record_rows(
            report,
            "report",
            _reporter(report),
            course,
            flags_by_record.get(report.pk, {}),
            records.expected_slugs,
            identified,
        ):
            dated.append((report.reported_at, row))
    for visit in records.visits:
        for row in _record_rows(
            visit,
            "visit",
            "clinician",
            course,
            flags_by_record.get(visit.pk, {}),
            records.expected_slugs,
            identified,
        ):
            dated.append((visit.recorded_at, row))
    course_flags = flags_by_record.get(None, {})
    for term_id, flag in course_flags.items():
        for row in _record_rows(
            None, "course", None, course, {term_id: flag}, records.expected_slugs, identified
        ):
            dated.append((flag.created_at, row))

    def order(item):
        when, row = item
        return (
            when,
            SOURCE_ORDER[row["source"]],
            KIND_ORDER[row["kind"]],
            row.get("_order", 0),
            row.get("term") or "",
        )

    rows = []
    zone = timezone.get_current_timezone()  # once, not once per row
    for when, row in sorted(dated, key=order):
        row.pop("_order", None)
        local = when.astimezone(zone)
        row["observed_at"] = local.isoformat(timespec="seconds")
        row["day_of_course"] = (local.date() - course.start_date).days + 1  # day 1 = start
        rows.append(row)
    return rows


def observation_table(gathered, *, pseudonymised: bool = False):
    """A header row, then one row per observation of each gathered course, as `Cells`.

    `gathered` yields course records (`CourseSummary` or the cohort's batches), already
    scoped by the caller. A generator: rows are produced as the consumer asks for them.
    """
    columns = [c.name for c in columns_for(pseudonymised)]
    yield columns
    position = {name: index for index, name in enumerate(columns)}
    for records in gathered:
        who = identity(records.course, pseudonymised=pseudonymised)
        # The identity columns are the same on every row of the course: written once.
        course_row = Cells(cell(who.get(name)) for name in columns)
        for row in observations(records, pseudonymised=pseudonymised):
            values = course_row.copy()
            for name, value in row.items():
                values[position[name]] = cell(value)
            yield values


# --- CSV ----------------------------------------------------------------------------------------

BOM = "\ufeff"  # so that spreadsheet programs read the file as UTF-8 (accents, ×10⁹/L)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
_FORMULA_SIGNS = frozenset("=+-@")
# Characters a spreadsheet skips before reading a formula: spaces, line breaks and invisible
# ones (zero-width space and joiners, the byte-order mark, the word joiner, and any other
# Unicode "format" character).
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")
# Text that spreadsheets and data tools (R, pandas) read as a non-finite number, whatever the
# case, with or without a sign.
_NON_FINITE = frozenset({"nan", "inf", "infinity"})


def _is_number(text: str) -> bool:
    """A finite number ("-2.5"); "-inf", "+Infinity" and "nan" are not."""
    try:
        number = float(text)
    except ValueError:
        return False
    return math.isfinite(number)


def _skipped(char: str) -> bool:
    return char.isspace() or char in _INVISIBLE or unicodedata.category(char) == "Cf"


def _past_blanks(text: str) -> str:
    """`text` without its leading spaces, line breaks and invisible characters."""
    for index, char in enumerate(text):
        if not _skipped(char):
            return text[index:]
    return ""


def _spells_non_finite(text: str) -> bool:
    """ "nan", " Infinity", "inf\u200b"... (a sign is checked by the caller)."""
    word = _past_blanks(_past_blanks(text)[::-1])[::-1]
    return len(word) <= len("infinity") and word.lower() in _NON_FINITE


def _runs(text: str) -> bool:
    """Whether a spreadsheet (or R, pandas) would read this text as something other than text:
    a formula, or a non-finite number."""
    first = text[:1]
    if first in ("\t", "\r"):
        return True
    if first in _FORMULA_SIGNS:
        return not _is_number(text)
    if first.isalnum():  # most text: starts with a letter or a digit
        return first in "nNiI" and _spells_non_finite(text)
    rest = _past_blanks(text)
    if rest[:1] in _FORMULA_SIGNS:
        return not _is_number(rest)
    return _spells_non_finite(rest)


def cell(value) -> str:
    """A value as CSV text; text a spreadsheet would run as a formula gets a leading quote.

    Numbers stay numbers (a weight change of -2.5 is data, not a formula); any other text
    starting with = + - @ (also after spaces, line breaks or invisible characters), a tab or a
    carriage return is neutralised (OWASP "CSV injection"), and so is text spelling a
    non-finite number ("nan", "Infinity", "-inf"), which data tools would read as a number.
    """
    if type(value) is str:  # most cells: checked first (a million per large export)
        text = value
    elif value is None:
        return ""
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, Decimal):
        return format(value, "f")
    elif isinstance(value, int | float):
        return str(value)
    else:
        text = str(value)
    if text and _runs(text):
        return "'" + text
    return text


class Cells(list):
    """A row whose values are already `cell()` text: written as it is."""

    def copy(self):
        return Cells(self)


# Written as they are by the csv module: None as an empty cell, numbers with str() (as cell()).
_AS_IS = frozenset({type(None), int, float})
CHUNK_SIZE = 64 * 1024  # characters per chunk of the streamed file


def csv_chunks(table, *, chunk_size: int = CHUNK_SIZE):
    """The table as CSV text chunks: the BOM first, then the lines (CRLF, RFC 4180) joined into
    chunks of about `chunk_size` characters (one write to the client each, not one per row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield BOM
    for row in table:
        if type(row) is not Cells:
            row = [value if type(value) in _AS_IS else cell(value) for value in row]
        writer.writerow(row)
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if rest := buffer.getvalue():
        yield rest
