"""Measurements typed in the units people use are stored in SI and range-checked in SI."""

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from tracker import units
from tracker.forms.fields import TemperatureField, WeightField


class MeasurementsForm(forms.Form):
    temperature = TemperatureField()
    weight = WeightField()


def clean(data, language="en"):
    with translation.override(language):
        form = MeasurementsForm(data)
        form.is_valid()
        return form


@pytest.mark.parametrize(
    "fahrenheit, celsius",
    [("98.6", "37.0"), ("100.4", "38.0"), ("102.2", "39.0"), ("104.0", "40.0"), ("101.3", "38.5")],
)
def test_fahrenheit_converts_to_celsius_at_ctcae_fever_boundaries(fahrenheit, celsius):
    assert units.fahrenheit_to_celsius(Decimal(fahrenheit)) == Decimal(celsius)


def test_pounds_convert_to_kilograms():
    assert units.pounds_to_kg(Decimal("154")) == Decimal("69.9")
    assert units.kg_to_pounds(Decimal("70")) == Decimal("154.3")


def test_temperature_in_fahrenheit_is_stored_in_celsius():
    form = clean({"temperature_0": "101.3", "temperature_1": "F"})
    assert form.cleaned_data["temperature"] == Decimal("38.5")


def test_french_decimal_comma_is_accepted():
    form = clean({"temperature_0": "37,5", "temperature_1": "C"}, language="fr")
    assert form.cleaned_data["temperature"] == Decimal("37.5")


def test_weight_in_pounds_is_stored_in_kilograms():
    form = clean({"weight_0": "154", "weight_1": "lb"})
    assert form.cleaned_data["weight"] == Decimal("69.9")


def test_a_fahrenheit_reading_typed_as_celsius_gets_a_hint():
    form = clean({"temperature_0": "98.6", "temperature_1": "C"})
    assert form.errors["temperature"] == ["98.6 °C is not a body temperature. Was it in °F?"]


@pytest.mark.parametrize("value, unit", [("29.9", "C"), ("45.1", "C"), ("85", "F"), ("114", "F")])
def test_implausible_temperatures_are_refused_with_both_units_named(value, unit):
    form = clean({"temperature_0": value, "temperature_1": unit})
    assert "°C" in form.errors["temperature"][0] and "°F" in form.errors["temperature"][0]


@pytest.mark.parametrize("value, unit", [("30", "C"), ("45", "C"), ("86", "F"), ("113", "F")])
def test_temperatures_at_the_plausible_limits_are_accepted(value, unit):
    assert "temperature" not in clean({"temperature_0": value, "temperature_1": unit}).errors


def test_empty_measurements_are_allowed():
    assert clean({}).cleaned_data == {"temperature": None, "weight": None}


def test_an_empty_number_with_a_unit_chosen_means_not_measured():
    form = clean({"temperature_0": "", "temperature_1": "F", "weight_0": "", "weight_1": "lb"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"temperature": None, "weight": None}
