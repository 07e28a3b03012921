"""Physiologically plausible ranges for entered values.

The measurements' ranges are defined with the measurements in tracker/measurements.py (see its
docstring: input checks, not clinical thresholds); the names below are kept for the models and
forms that read them. The dose-advice inputs of a visit, which are not measurements, have
their ranges here.
"""

from decimal import Decimal

from .measurements import BY_NAME, Range, _range_message

__all__ = ["Range", "_range_message"]

TEMPERATURE_C = BY_NAME["temperature_c"].range
SYSTOLIC_BP = BY_NAME["systolic_bp"].range
DIASTOLIC_BP = BY_NAME["diastolic_bp"].range
HEART_RATE = BY_NAME["heart_rate"].range
SPO2 = BY_NAME["spo2"].range
WEIGHT_KG = BY_NAME["weight_kg"].range
URINE_ML_8H = BY_NAME["urine_output_ml_8h"].range
PLATELETS = BY_NAME["platelets_10e9_per_l"].range
CREATININE_MG_DL = BY_NAME["creatinine_mg_dl"].range
# Vasopressor doses on IL-2 wards are fractions of a µg/kg/min (Dutcher 2014 lists phenylephrine
# up to 2.0); oxygen by nasal cannula or mask runs up to 15 L/min, high-flow devices to 60.
VASOPRESSOR_UG_KG_MIN = Range(Decimal("0"), Decimal("50"), "µg/kg/min", 5, 3)
OXYGEN_L_MIN = Range(Decimal("0"), Decimal("60"), "L/min", 4, 1)
