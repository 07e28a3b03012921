"""Form fields for measurements in the units people use.

A temperature is typed in °C or °F and a weight in kg or lb; the field converts to SI
(°C, kg) and checks the plausible range of tracker/measurements.py in SI, so the message names
the unit the person chose. The units offered and the conversion are the registry's. French
users type decimals with a comma (37,5): fields are localized.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .. import measurements, ranges, units


class ValueWithUnitWidget(forms.MultiWidget):
    """A number and its unit side by side; each part has its own accessible name."""

    template_name = "tracker/widgets/value_with_unit.html"

    def __init__(self, unit_choices, value_label, unit_label, attrs=None):
        widgets = [
            # Text, not type=number: a browser's number input refuses "37,5" in French.
            forms.TextInput(
                attrs={
                    "inputmode": "decimal",
                    "autocomplete": "off",
                    "class": "form-control",
                    "aria-label": value_label,
                }
            ),
            forms.Select(
                choices=unit_choices,
                attrs={"class": "form-select flex-grow-0 w-auto", "aria-label": unit_label},
            ),
        ]
        super().__init__(widgets, attrs)

    def decompress(self, value):
        # Stored values are SI; show them in the first (SI) unit.
        if value is None:
            return [None, None]
        return [value, None]


class ValueWithUnitField(forms.MultiValueField):
    measurement = None  # a measurements.Measurement with other units than the stored one
    # From the measurement: the stored unit, the units offered, the plausible range.
    si_unit = ""
    unit_choices = ()
    range = None
    value_label = ""
    unit_label = _("Unit")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.measurement is not None:
            cls.si_unit = cls.measurement.units[0][0]
            cls.unit_choices = cls.measurement.units
            cls.range = cls.measurement.range

    def __init__(self, *, required=False, **kwargs):
        # The unit menu always sends a unit, so the parts must be optional for an empty
        # number to mean "not measured" rather than "incomplete".
        fields = [
            forms.DecimalField(max_digits=6, decimal_places=2, localize=True, required=False),
            forms.ChoiceField(choices=self.unit_choices, required=False),
        ]
        kwargs.setdefault(
            "widget", ValueWithUnitWidget(self.unit_choices, self.value_label, self.unit_label)
        )
        super().__init__(fields, required=required, require_all_fields=False, **kwargs)
        self.widget.widgets[0].is_localized = True

    def compress(self, data_list):
        if not data_list or data_list[0] in (None, ""):
            return None
        value, unit = Decimal(data_list[0]), data_list[1] or self.si_unit
        si_value = self.to_si(value, unit)
        if not (self.range.low <= si_value <= self.range.high):
            raise ValidationError(self.out_of_range_message(value, unit), code="out_of_range")
        return si_value

    def to_si(self, value, unit):
        return self.measurement.to_stored_unit(value, unit)

    def out_of_range_message(self, value, unit):
        return ranges._range_message(self.range.low, self.range.high, self.range.unit).replace(
            "%%", "%"
        )


class TemperatureField(ValueWithUnitField):
    measurement = measurements.BY_NAME["temperature_c"]
    value_label = _("Temperature")
    unit_label = _("Temperature unit")

    def out_of_range_message(self, value, unit):
        low, high = self.range.low, self.range.high
        if unit == units.CELSIUS and units.fahrenheit_to_celsius(value) >= low and value > high:
            return _("%(value)s °C is not a body temperature. Was it in °F?") % {"value": value}
        return _(
            "Enter a temperature between %(low)s and %(high)s °C (%(low_f)s to %(high_f)s °F)."
        ) % {
            "low": low,
            "high": high,
            "low_f": units.celsius_to_fahrenheit(low),
            "high_f": units.celsius_to_fahrenheit(high),
        }


class WeightField(ValueWithUnitField):
    measurement = measurements.BY_NAME["weight_kg"]
    value_label = _("Weight")
    unit_label = _("Weight unit")

    def out_of_range_message(self, value, unit):
        return _(
            "Enter a weight between %(low)s and %(high)s kg (%(low_lb)s to %(high_lb)s lb)."
        ) % {
            "low": self.range.low,
            "high": self.range.high,
            "low_lb": units.kg_to_pounds(self.range.low),
            "high_lb": units.kg_to_pounds(self.range.high),
        }


def value_with_unit_field(measurement, **kwargs):
    """The form field of a measurement typed in one of several units: its own field class when
    it words its range in both units (temperature, weight), else a generic one."""
    for field_class in ValueWithUnitField.__subclasses__():
        if field_class.measurement is not None and field_class.measurement.name == measurement.name:
            return field_class(**kwargs)
    field_class = type(
        f"ValueWithUnitField_{measurement.name}",
        (ValueWithUnitField,),
        {"measurement": measurement, "value_label": measurement.label},
    )
    return field_class(**kwargs)
