"""Physiologically plausible ranges for entered values.

These are input checks, not clinical thresholds: a value outside is a typing or unit mistake
(37.5 typed as 375, °F typed in a °C field) and is refused with a message at the field. The
bounds are wide on purpose so that every real reading, however alarming, is accepted; the
clinical thresholds live in tracker/rules.py with their sources.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.functional import lazy
from django.utils.translation import gettext


def _range_message(low, high, unit):
    message = gettext("Enter a value between %(low)s and %(high)s %(unit)s.") % {
        "low": low,
        "high": high,
        "unit": unit,
    }
    # Validators %-format their message with their own params: keep a "%" unit literal.
    return message.replace("%", "%%")


@dataclass(frozen=True)
class Range:
    low: Decimal
    high: Decimal
    unit: str
    max_digits: int | None = None  # Decimal fields only
    decimal_places: int | None = None

    @property
    def message(self):
        # Lazy, so the message is in the language of the request that reads it.
        return lazy(_range_message, str)(self.low, self.high, self.unit)

    def validators(self):
        return [
            MinValueValidator(self.low, message=self.message),
            MaxValueValidator(self.high, message=self.message),
        ]

    def field_kwargs(self):
        kwargs = {"null": True, "blank": True, "validators": self.validators()}
        if self.max_digits is not None:
            kwargs.update(max_digits=self.max_digits, decimal_places=self.decimal_places)
        return kwargs


TEMPERATURE_C = Range(Decimal("30"), Decimal("45"), "°C", 3, 1)
SYSTOLIC_BP = Range(Decimal("40"), Decimal("300"), "mmHg")
DIASTOLIC_BP = Range(Decimal("20"), Decimal("200"), "mmHg")
HEART_RATE = Range(Decimal("20"), Decimal("250"), "/min")
SPO2 = Range(Decimal("50"), Decimal("100"), "%", 4, 1)
WEIGHT_KG = Range(Decimal("2"), Decimal("350"), "kg", 5, 1)
URINE_ML_8H = Range(Decimal("0"), Decimal("6000"), "mL")
PLATELETS = Range(Decimal("0"), Decimal("2000"), "×10⁹/L", 5, 1)
CREATININE_MG_DL = Range(Decimal("0.1"), Decimal("25"), "mg/dL", 4, 2)
# Vasopressor doses on IL-2 wards are fractions of a µg/kg/min (Dutcher 2014 lists phenylephrine
# up to 2.0); oxygen by nasal cannula or mask runs up to 15 L/min, high-flow devices to 60.
VASOPRESSOR_UG_KG_MIN = Range(Decimal("0"), Decimal("50"), "µg/kg/min", 5, 3)
OXYGEN_L_MIN = Range(Decimal("0"), Decimal("60"), "L/min", 4, 1)
