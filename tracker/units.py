"""Unit conversions for values people type: the app stores SI (°C, kg), people use both."""

from decimal import ROUND_HALF_UP, Decimal

POUND_IN_KG = Decimal("0.45359237")  # international avoirdupois pound (exact by definition)

CELSIUS, FAHRENHEIT = "C", "F"
KILOGRAM, POUND = "kg", "lb"


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def fahrenheit_to_celsius(value: Decimal) -> Decimal:
    return _one_decimal((Decimal(value) - 32) * 5 / 9)


def celsius_to_fahrenheit(value: Decimal) -> Decimal:
    return _one_decimal(Decimal(value) * 9 / 5 + 32)


def pounds_to_kg(value: Decimal) -> Decimal:
    return _one_decimal(Decimal(value) * POUND_IN_KG)


def kg_to_pounds(value: Decimal) -> Decimal:
    return _one_decimal(Decimal(value) / POUND_IN_KG)


def to_celsius(value: Decimal, unit: str) -> Decimal:
    return fahrenheit_to_celsius(value) if unit == FAHRENHEIT else Decimal(value)


def to_kg(value: Decimal, unit: str) -> Decimal:
    return pounds_to_kg(value) if unit == POUND else Decimal(value)
