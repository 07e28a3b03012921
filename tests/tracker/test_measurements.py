"""The measurement registry (tracker/measurements.py) is the one place a measurement is defined:
every form, serializer, export, chart and range reads its list from there, and a measurement
added to the registry appears in the forms and serializers built from it."""

from decimal import Decimal

import pytest
from django import forms as django_forms
from django.db import models as django_models
from rest_framework import serializers

from tracker import charts, measurements, ranges, rules, services, summary
from tracker.api import serializers as api
from tracker.exports import codes, cohort
from tracker.forms import clinician as clinician_forms
from tracker.forms import patient as patient_forms
from tracker.models import SymptomReport, Visit

# PRODUCT.md §7 (the API's symptom-report and visit bodies): a report holds the home
# measurements; a visit adds urine output over 8 h, platelets and creatinine.
AT_HOME = {"temperature_c", "systolic_bp", "diastolic_bp", "heart_rate", "spo2", "weight_kg"}
WARD_AND_LAB = {"urine_output_ml_8h", "platelets_10e9_per_l", "creatinine_mg_dl"}


def test_reports_and_visits_record_what_the_product_says():
    assert set(measurements.REPORT_MEASUREMENTS) == AT_HOME
    assert set(measurements.VISIT_MEASUREMENTS) == AT_HOME | WARD_AND_LAB


def test_every_registry_measurement_is_a_field_of_the_records_it_is_recorded_on():
    for model, kind in ((SymptomReport, measurements.REPORT), (Visit, measurements.VISIT)):
        names = {f.name for f in model._meta.get_fields()}
        for measurement in measurements.recorded_on(kind):
            assert measurement.name in names
            field = model._meta.get_field(measurement.name)
            integer = isinstance(field, django_models.IntegerField)
            assert integer == measurement.range.integer, measurement.name


def test_the_services_lists_are_the_registrys():
    assert services.REPORT_MEASUREMENTS == measurements.REPORT_MEASUREMENTS
    assert services.VISIT_MEASUREMENTS == measurements.VISIT_MEASUREMENTS


def test_the_clinician_forms_ask_every_measurement_of_their_record():
    visit_form = clinician_forms.VisitForm()
    report_form = clinician_forms.ReportMeasurementsForm()
    visit_fields = [n for n in visit_form.fields if n in measurements.BY_NAME]
    report_fields = [n for n in report_form.fields if n in measurements.BY_NAME]
    assert tuple(visit_fields) == measurements.VISIT_MEASUREMENTS
    assert tuple(report_fields) == measurements.REPORT_MEASUREMENTS
    for name in measurements.VISIT_MEASUREMENTS:
        assert str(visit_form.fields[name].label) == str(measurements.BY_NAME[name].label)


def test_temperature_and_weight_are_asked_in_both_units():
    form = clinician_forms.VisitForm()
    assert form.fields["temperature_c"].unit_choices == (("C", "°C"), ("F", "°F"))
    assert form.fields["weight_kg"].unit_choices == (("kg", "kg"), ("lb", "lb"))


def test_the_patients_form_gives_every_home_measurement():
    form = patient_forms.MeasurementsForm(
        {
            "temperature_0": "37.2",
            "temperature_1": "C",
            "systolic_bp": "120",
            "diastolic_bp": "80",
            "heart_rate": "72",
            "spo2": "97",
            "weight_0": "70",
            "weight_1": "kg",
        }
    )
    assert form.is_valid(), form.errors
    assert set(form.measurements()) == set(measurements.REPORT_MEASUREMENTS)


def test_the_apis_serializers_take_and_answer_every_measurement_of_their_record():
    report_in = api.SymptomReportCreateSerializer().fields
    visit_in = api.VisitCreateSerializer().fields
    assert set(measurements.REPORT_MEASUREMENTS) <= set(report_in)
    assert not (set(measurements.VISIT_MEASUREMENTS) - set(measurements.REPORT_MEASUREMENTS)) & set(
        report_in
    )
    assert set(measurements.VISIT_MEASUREMENTS) <= set(visit_in)
    assert set(measurements.REPORT_MEASUREMENTS) <= set(api.SymptomReportSerializer.Meta.fields)
    assert set(measurements.VISIT_MEASUREMENTS) <= set(api.VisitSerializer.Meta.fields)


@pytest.mark.parametrize("name", sorted(AT_HOME | WARD_AND_LAB))
def test_the_api_refuses_a_value_outside_the_registrys_plausible_range(name):
    measurement = measurements.BY_NAME[name]
    field = api.VisitCreateSerializer().fields[name]
    step = Decimal(1) if measurement.range.integer else Decimal("0.1")
    with pytest.raises(serializers.ValidationError):
        field.run_validation(str(measurement.range.high + step))
    assert field.run_validation(str(measurement.range.high)) == measurement.range.high


def test_the_exports_emit_every_measurement_with_its_codes():
    assert [m.field for m in codes.MEASUREMENTS] == list(measurements.BY_NAME)
    for exported in codes.MEASUREMENTS:
        code = measurements.BY_NAME[exported.field].code
        assert (exported.loinc, exported.unit) == (code.loinc, code.ucum)
        assert exported.loinc in codes.ALLOWED_LOINC
        assert exported.unit in codes.ALLOWED_UCUM
    assert set(measurements.REPORT_MEASUREMENTS) <= set(cohort.REPORT_FIELDS)
    assert set(measurements.VISIT_MEASUREMENTS) <= set(cohort.VISIT_FIELDS)


def test_the_codes_are_the_ones_of_domain_md():
    # domain.md §6.2 (LOINC codes and UCUM units of the vital signs and laboratory values).
    expected = {
        "systolic_bp": ("8480-6", "mm[Hg]"),
        "diastolic_bp": ("8462-4", "mm[Hg]"),
        "heart_rate": ("8867-4", "/min"),
        "temperature_c": ("8310-5", "Cel"),
        "weight_kg": ("29463-7", "kg"),
        "spo2": ("59408-5", "%"),
        "urine_output_ml_8h": ("9187-6", "mL"),
        "platelets_10e9_per_l": ("777-3", "10*9/L"),
        "creatinine_mg_dl": ("2160-0", "mg/dL"),
    }
    assert {m.name: (m.code.loinc, m.code.ucum) for m in measurements.MEASUREMENTS} == expected


def test_the_chart_draws_the_registrys_series_each_with_its_thresholds():
    assert summary.VITAL_SERIES == measurements.CHART_SERIES
    assert measurements.CHART_SERIES == (
        "systolic_bp",
        "temperature_c",
        "weight_percent",
        "platelets_10e9_per_l",
    )
    panels = charts._vital_panels()
    assert [panel[0] for panel in panels] == list(measurements.CHART_SERIES)
    assert all(panel[3] for panel in panels)


def test_each_measurement_names_the_term_graded_from_it():
    # PRODUCT.md §6, "Measured, not asked".
    assert {m.name: m.ctcae_term for m in measurements.MEASUREMENTS if m.ctcae_term} == {
        "temperature_c": "fever",
        "systolic_bp": "hypotension",
        "heart_rate": "tachycardia",
        "spo2": "hypoxia",
        "weight_kg": "weight_gain",
        "urine_output_ml_8h": "oliguria",
        "platelets_10e9_per_l": "platelets_decreased",
        "creatinine_mg_dl": "creatinine_increased",
    }


def test_the_graded_terms_are_the_rules():
    # Every measurement the rules grade names its CTCAE term in the registry.
    for name, term in rules.GRADED_MEASUREMENTS.items():
        assert measurements.BY_NAME[name].ctcae_term == term
    assert codes.GRADED_FROM["weight_gain"] == "weight_percent"
    assert codes.GRADED_FROM["fever"] == "temperature_c"


def test_the_ranges_module_reads_the_registry():
    assert ranges.TEMPERATURE_C is measurements.BY_NAME["temperature_c"].range
    assert ranges.CREATININE_MG_DL is measurements.BY_NAME["creatinine_mg_dl"].range
    assert (ranges.TEMPERATURE_C.low, ranges.TEMPERATURE_C.high) == (Decimal(30), Decimal(45))


def test_a_measurement_added_to_the_registry_appears_in_the_forms_and_serializers(monkeypatch):
    # Pretend the ward's oxygen flow were a measurement (its model field already checks the range
    # given here, as a new measurement's field would): a form and a serializer built from the
    # registry ask for it, with its label, and check its range.
    oxygen = measurements.Measurement(
        "oxygen_l_min",
        "Oxygen given (L/min)",
        "L/min",
        ranges.OXYGEN_L_MIN,  # 0-60 L/min
        measurements.Code("3151-8", "Inhaled oxygen flow rate", "L/min"),
        measurements.VISIT_ONLY,
    )
    registry = (*measurements.MEASUREMENTS, oxygen)
    monkeypatch.setattr(measurements, "MEASUREMENTS", registry)
    monkeypatch.setattr(measurements, "BY_NAME", {m.name: m for m in registry})

    class Form(django_forms.ModelForm):
        class Meta:
            model = Visit
            fields = [m.name for m in measurements.recorded_on(measurements.VISIT)]
            formfield_callback = clinician_forms.measurement_formfield

    class Serializer(api.MeasurementFields, serializers.Serializer):
        measured_on = measurements.VISIT

    form = Form({"oxygen_l_min": "61"})
    assert form.fields["oxygen_l_min"].label == "Oxygen given (L/min)"
    assert not form.is_valid() and "oxygen_l_min" in form.errors
    assert form.fields["oxygen_l_min"].localize  # a decimal: typed "12,5" in French
    serializer = Serializer(data={"oxygen_l_min": "61"})
    assert not serializer.is_valid() and "oxygen_l_min" in serializer.errors
    serializer = Serializer(data={"oxygen_l_min": "12.5"})
    assert serializer.is_valid() and serializer.validated_data["oxygen_l_min"] == Decimal("12.5")
