"""The measurements the app records: the one place a measurement is defined.

Per measurement: its field name (the same on SymptomReport and Visit), its label, its unit and
the other units people type it in, its plausible range, its LOINC code and UCUM unit (for the
CSV and the FHIR Bundle), where it is recorded (a patient's report, a clinician's visit or both),
the CTCAE term graded from it and the series it draws on the course's vitals chart.

The forms, the API's serializers, the exports, the chart, the services' lists and
tracker/ranges.py derive from this table: adding a measurement here (and its model field) is
what makes it appear in all of them.

Plausible ranges are input checks, not clinical thresholds: a value outside is a typing or unit
mistake (37.5 typed as 375, °F typed in a °C field) and is refused with a message at the field.
The bounds are wide on purpose so that every real reading, however alarming, is accepted; the
clinical thresholds live in tracker/rules.py with their sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.validators import BaseValidator, MaxValueValidator, MinValueValidator
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

from . import units

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

REPORT = "report"  # a patient's symptom report (or one entered on their behalf)
VISIT = "visit"  # a clinician's visit

VITAL_SIGNS = "vital-signs"  # FHIR observation categories
LABORATORY = "laboratory"


def _range_message(low: Decimal, high: Decimal, unit: str) -> str:
    message = gettext("Enter a value between %(low)s and %(high)s %(unit)s.") % {
        "low": low,
        "high": high,
        "unit": unit,
    }
    # Validators %-format their message with their own params: keep a "%" unit literal.
    return message.replace("%", "%%")


@dataclass(frozen=True)
class Range:
    """A plausible range, in the unit stored; decimals store max_digits/decimal_places."""

    low: Decimal
    high: Decimal
    unit: str
    max_digits: int | None = None  # Decimal fields only
    decimal_places: int | None = None

    @property
    def message(self) -> str:
        # Lazy, so the message is in the language of the request that reads it.
        return lazy(_range_message, str)(self.low, self.high, self.unit)

    @property
    def integer(self) -> bool:
        return self.max_digits is None

    def validators(self) -> list[BaseValidator]:
        return [
            MinValueValidator(self.low, message=self.message),
            MaxValueValidator(self.high, message=self.message),
        ]

    def field_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"null": True, "blank": True, "validators": self.validators()}
        if self.max_digits is not None:
            kwargs.update(max_digits=self.max_digits, decimal_places=self.decimal_places)
        return kwargs


@dataclass(frozen=True)
class Code:
    """How the exports name a measurement (domain.md §6.2)."""

    loinc: str
    display: str  # LOINC long common name (shortened where LOINC's is unwieldy)
    ucum: str  # UCUM code of the stored unit
    category: str = VITAL_SIGNS  # FHIR observation category

    @property
    def kind(self) -> str:
        """The CSV's word for the category."""
        return "laboratory" if self.category == LABORATORY else "vital_sign"


@dataclass(frozen=True)
class Chart:
    """A panel of the course's vitals chart (its thresholds come from tracker/rules.py)."""

    series: str  # the summary's series: the measurement, or a value computed from it
    title: StrOrPromise
    unit: str
    position: int  # the chart's panels: blood pressure, temperature, weight, platelets


@dataclass(frozen=True)
class Measurement:
    name: str  # the model field on SymptomReport and/or Visit
    label: StrOrPromise  # as a clinician's form labels it
    unit: str  # the stored (SI) unit, as people write it
    range: Range
    code: Code
    recorded_on: frozenset[str]
    # The other units people type it in: (code, as written) pairs, the stored unit first, and
    # the conversion to the stored unit (tracker/units.py).
    units: tuple[tuple[str, str], ...] = ()
    to_stored_unit: Callable[[Decimal, str], Decimal] | None = None
    # The CTCAE term graded from it (or the red flag named from it), and the value that grade
    # reads: the measurement itself, or a value computed from it (weight: % of baseline).
    ctcae_term: str | None = None
    graded_from: str = ""
    chart: Chart | None = None
    # Shown in the clinician's table of vital signs under the chart (creatinine is not).
    in_vitals_table: bool = True

    @property
    def on_report(self) -> bool:
        return REPORT in self.recorded_on

    @property
    def on_visit(self) -> bool:
        return VISIT in self.recorded_on

    @property
    def graded_value(self) -> str:
        return self.graded_from or self.name


BOTH = frozenset({REPORT, VISIT})
VISIT_ONLY = frozenset({VISIT})


def _bounds(
    low: str, high: str, unit: str, digits: int | None = None, places: int | None = None
) -> Range:
    return Range(Decimal(low), Decimal(high), unit, digits, places)


# In the order the forms ask for them (a report asks the ones recorded on reports, in this order).
MEASUREMENTS: tuple[Measurement, ...] = (
    Measurement(
        "temperature_c",
        gettext_lazy("Temperature"),
        "°C",
        _bounds("30", "45", "°C", 3, 1),
        Code("8310-5", "Body temperature", "Cel"),
        BOTH,
        units=((units.CELSIUS, "°C"), (units.FAHRENHEIT, "°F")),
        to_stored_unit=units.to_celsius,
        ctcae_term="fever",
        chart=Chart("temperature_c", gettext_lazy("Temperature"), "°C", 2),
    ),
    Measurement(
        "systolic_bp",
        gettext_lazy("Systolic BP (mmHg)"),
        "mmHg",
        _bounds("40", "300", "mmHg"),
        Code("8480-6", "Systolic blood pressure", "mm[Hg]"),
        BOTH,
        ctcae_term="hypotension",
        chart=Chart("systolic_bp", gettext_lazy("Systolic blood pressure"), "mmHg", 1),
    ),
    Measurement(
        "diastolic_bp",
        gettext_lazy("Diastolic BP (mmHg)"),
        "mmHg",
        _bounds("20", "200", "mmHg"),
        Code("8462-4", "Diastolic blood pressure", "mm[Hg]"),
        BOTH,
    ),
    Measurement(
        "heart_rate",
        gettext_lazy("Heart rate (/min)"),
        "/min",
        _bounds("20", "250", "/min"),
        Code("8867-4", "Heart rate", "/min"),
        BOTH,
        ctcae_term="tachycardia",
    ),
    Measurement(
        "spo2",
        gettext_lazy("SpO₂ (%)"),
        "%",
        _bounds("50", "100", "%", 4, 1),
        Code("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%"),
        BOTH,
        ctcae_term="hypoxia",
    ),
    Measurement(
        "weight_kg",
        gettext_lazy("Weight"),
        "kg",
        _bounds("2", "350", "kg", 5, 1),
        Code("29463-7", "Body weight", "kg"),
        BOTH,
        units=((units.KILOGRAM, "kg"), (units.POUND, "lb")),
        to_stored_unit=units.to_kg,
        # Graded from the change against the course's baseline weight, in percent.
        ctcae_term="weight_gain",
        graded_from="weight_percent",
        chart=Chart("weight_percent", gettext_lazy("Weight change from baseline"), "%", 3),
    ),
    Measurement(
        "urine_output_ml_8h",
        gettext_lazy("Urine (mL / 8 h)"),
        "mL",
        _bounds("0", "6000", "mL"),
        Code("9187-6", "Urine output", "mL"),
        VISIT_ONLY,
        ctcae_term="oliguria",
    ),
    # Platelets: the app stores ×10⁹/L; UCUM `10*9/L` is that unit exactly (the same number as
    # `10*3/uL`), so values are exported unconverted.
    Measurement(
        "platelets_10e9_per_l",
        gettext_lazy("Platelets (×10⁹/L)"),
        "×10⁹/L",
        _bounds("0", "2000", "×10⁹/L", 5, 1),
        Code("777-3", "Platelets [#/volume] in Blood by Automated count", "10*9/L", LABORATORY),
        VISIT_ONLY,
        ctcae_term="platelets_decreased",
        chart=Chart("platelets_10e9_per_l", gettext_lazy("Platelets"), "×10⁹/L", 4),
    ),
    Measurement(
        "creatinine_mg_dl",
        gettext_lazy("Creatinine (mg/dL)"),
        "mg/dL",
        _bounds("0.1", "25", "mg/dL", 4, 2),
        Code("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", LABORATORY),
        VISIT_ONLY,
        ctcae_term="creatinine_increased",
        in_vitals_table=False,
    ),
)

BY_NAME: dict[str, Measurement] = {m.name: m for m in MEASUREMENTS}

# The field names, in the forms' order: what a report and a visit record.
REPORT_MEASUREMENTS: tuple[str, ...] = tuple(m.name for m in MEASUREMENTS if m.on_report)
VISIT_MEASUREMENTS: tuple[str, ...] = tuple(m.name for m in MEASUREMENTS if m.on_visit)

# The panels of the vitals chart, in the chart's order.
CHARTS: tuple[Chart, ...] = tuple(
    sorted((m.chart for m in MEASUREMENTS if m.chart), key=lambda chart: chart.position)
)
CHART_SERIES: tuple[str, ...] = tuple(chart.series for chart in CHARTS)

# Which measurement a graded term is graded from (its CTCAE term -> the value graded).
GRADED_FROM: dict[str, str] = {m.ctcae_term: m.graded_value for m in MEASUREMENTS if m.ctcae_term}


def recorded_on(kind: str) -> tuple[Measurement, ...]:
    """The measurements a report (REPORT) or a visit (VISIT) records, in the forms' order."""
    return tuple(m for m in MEASUREMENTS if kind in m.recorded_on)


def values_of(record: object, names: tuple[str, ...]) -> dict[str, Any]:
    """{name: value} of a record's measurements (None when not measured)."""
    return {name: getattr(record, name, None) for name in names}
