"""Forms of the clinician pages: courses, visits (with adverse events and doses), reports on a
patient's behalf, corrections.

Forms validate and convert (temperatures to °C, weights to kg, decimals typed with a comma in
French); the views hand the cleaned values to tracker/services/. Model forms are used for
their field validation only (ranges and decimals at the field); nothing here saves.
"""

import json
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from therapies.citations import cite_sources
from therapies.models import Therapy, reads_as

from .. import ctcae_definitions, measurements, services, validators
from ..models import (
    AdverseEvent,
    AdverseEventAction,
    AdverseEventOutcome,
    Attribution,
    CareTeam,
    Course,
    DoseAdministration,
    DoseStatus,
    FlagLevel,
    FlagOutcome,
    MentalStatus,
    Patient,
    Seriousness,
    SymptomAnswer,
    SymptomReport,
    Vasopressor,
    Visit,
)
from .fields import TemperatureField, WeightField, value_with_unit_field

DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def _number(decimal=False, **attrs):
    # Text, not type=number: number inputs refuse "37,5" in French and change on scroll.
    return forms.TextInput(
        attrs={
            "inputmode": "decimal" if decimal else "numeric",
            "autocomplete": "off",
            "class": "form-control",
            **attrs,
        }
    )


def _datetime_input():
    return forms.DateTimeInput(
        format=DATETIME_INPUT_FORMAT, attrs={"type": "datetime-local", "class": "form-control"}
    )


def _date_input():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"})


def optional(field):
    """An empty measurement means "not measured", although the unit menu always sends a unit.

    (TemperatureField and WeightField otherwise answer "Enter a complete value.")
    """
    field.fields[0].required = False
    return field


def measurement_formfield(db_field, **kwargs):
    """A model form's field, the registry's measurements (tracker/measurements.py) with its
    label and in the units people type them in (°C or °F, kg or lb)."""
    measurement = measurements.BY_NAME.get(db_field.name)
    if measurement is None:
        return db_field.formfield(**kwargs)
    if measurement.units:
        return optional(value_with_unit_field(measurement, label=measurement.label))
    decimal = not measurement.range.integer
    return db_field.formfield(
        **{"label": measurement.label, "widget": _number(decimal=decimal), "localize": decimal}
        | kwargs
    )


def now_to_the_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class ReasonMixin(forms.Form):
    """Corrections say why; the reason is stored as the history's change reason."""

    correction_reason_field = "reason"

    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=300,
        help_text=_("Kept in the record's history with your name and the time."),
    )


class PatientForm(forms.ModelForm):
    """A care team registers a patient (the MRN and the same name and date of birth are
    checked against every patient of the installation, without showing another team's)."""

    confirm_not_duplicate = forms.BooleanField(
        label=_("This is a different person: register them anyway"), required=False
    )

    class Meta:
        model = Patient
        fields = [
            "given_name",
            "family_name",
            "birth_date",
            "sex",
            "mrn",
            "phone",
            "preferred_language",
            "care_team",
        ]
        widgets = {
            "birth_date": _date_input(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.duplicate_warning = False
        self.fields["preferred_language"].choices = BLANK_CHOICE + list(settings.LANGUAGES)
        if "care_team" in self.fields:
            teams = CareTeam.objects.filter(members=user).order_by("name")
            self.fields["care_team"].queryset = teams
            self.fields["care_team"].empty_label = None
            self.fields["care_team"].help_text = _("One of your care teams.")

    def clean_birth_date(self):
        birth = validators.date_not_in_the_future(self.cleaned_data.get("birth_date"))
        if birth and birth.year < MIN_BIRTH_YEAR:
            raise ValidationError(_("Check the year of birth."))
        return birth

    def clean_mrn(self):
        mrn = services.normalised_mrn(self.cleaned_data.get("mrn", ""))
        if not mrn:
            raise ValidationError(_("Enter the medical record number."))
        if services.possible_duplicates(
            mrn=mrn, exclude=self.instance if self.instance.pk else None
        ).mrn:
            raise ValidationError(
                _(
                    "A patient with this MRN already exists. Check the number, or ask their care "
                    "team to share a course with yours."
                )
            )
        return mrn

    def validate_unique(self):
        # The MRN is checked in clean_mrn, with a message that names no other patient.
        pass

    def clean(self):
        cleaned = super().clean()
        same = services.possible_duplicates(
            given_name=cleaned.get("given_name", ""),
            family_name=cleaned.get("family_name", ""),
            birth_date=cleaned.get("birth_date"),
            exclude=self.instance if self.instance.pk else None,
        )
        if same.name_and_birth_date and not cleaned.get("confirm_not_duplicate"):
            self.duplicate_warning = True
            self.add_error(
                "confirm_not_duplicate",
                _(
                    "A patient with this name and date of birth already exists. If this is "
                    "another person, tick the box to register them anyway."
                ),
            )
        return cleaned

    def patient_fields(self):
        return {
            name: self.cleaned_data[name] for name in services.PATIENT_FIELDS if name in self.fields
        }


class PatientEditForm(ReasonMixin, PatientForm):
    class Meta(PatientForm.Meta):
        fields = [name for name in PatientForm.Meta.fields if name != "care_team"]


# A date of birth before this year is a typing error (no patient is that old).
MIN_BIRTH_YEAR = 1900


class DoseAdviceOverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the course may continue"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the course's history with your name and the time."),
    )


class CourseRecordForm(forms.ModelForm):
    """A form of a course's record (a visit, a report): its time is checked against the course
    (tracker/validators.py, the same checks as the API's). The course is the record's own when
    correcting one, or given when recording a new one."""

    def __init__(self, *args, course=None, **kwargs):
        super().__init__(*args, **kwargs)
        if course is None and self.instance.course_id:
            course = self.instance.course
        self.course = course


class NoteAudience(models.TextChoices):
    INTERNAL = "internal", _("Care team only")
    SHARED = "shared", _("Shared with the patient")


class FlagNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
    # Who reads the note: the care team only unless said otherwise.
    audience = forms.ChoiceField(
        label=_("Who reads the note"),
        choices=NoteAudience.choices,
        initial=NoteAudience.INTERNAL,
        required=False,
    )

    @property
    def shared(self):
        return self.cleaned_data.get("audience") == NoteAudience.SHARED


class FlagResolveForm(FlagNoteForm):
    """Resolving asks for confirmation; an urgent flag also for its outcome and a note."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose…")), *FlagOutcome.choices],
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, flag, **kwargs):
        super().__init__(*args, **kwargs)
        self.urgent = flag.level == FlagLevel.URGENT
        self.fields["outcome"].choices = FlagOutcome.choices
        if self.urgent:
            self.fields["outcome"].required = True
            self.fields["outcome"].error_messages["required"] = _(
                "Choose what was done about this urgent flag."
            )
            self.fields["note"].required = True
            self.fields["note"].error_messages["required"] = _(
                "Say in a note what was done or decided."
            )


class FlagsTogetherForm(FlagNoteForm):
    """Several "expected, logged" flags acknowledged with one note: those ticked (`flag`,
    checked against the clinician's flags by the view), or all of one patient's."""

    patient = forms.UUIDField(required=False)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.flag_ids = []
        for value in data.getlist("flag") if data is not None else []:
            try:
                self.flag_ids.append(uuid.UUID(value))
            except ValueError:
                continue  # not a flag's id: nothing to acknowledge for it

    def clean(self):
        cleaned = super().clean()
        if not self.flag_ids and not cleaned.get("patient"):
            raise forms.ValidationError(_("Tick the flags to acknowledge."))
        return cleaned


# --- Courses -------------------------------------------------------------------------------------

COURSE_FIELDS = [
    "therapy",
    "indication",
    "regimen",
    "status",
    "start_date",
    "end_date",
    "care_team",
    "baseline_weight_kg",
    "baseline_temperature_c",
    "baseline_systolic_bp",
    "baseline_diastolic_bp",
    "baseline_heart_rate",
    "baseline_creatinine_mg_dl",
    "creatinine_uln_mg_dl",
    "platelets_lln_10e9_per_l",
]


class CourseForm(forms.ModelForm):
    baseline_weight_kg = optional(WeightField(label=_("Baseline weight")))
    baseline_temperature_c = optional(TemperatureField(label=_("Baseline temperature")))

    class Meta:
        model = Course
        fields = COURSE_FIELDS
        localized_fields = [
            "baseline_creatinine_mg_dl",
            "creatinine_uln_mg_dl",
            "platelets_lln_10e9_per_l",
        ]
        widgets = {
            "start_date": _date_input(),
            "end_date": _date_input(),
            "regimen": forms.Textarea(attrs={"rows": 3}),
            "baseline_systolic_bp": _number(),
            "baseline_diastolic_bp": _number(),
            "baseline_heart_rate": _number(),
            "baseline_creatinine_mg_dl": _number(decimal=True),
            "creatinine_uln_mg_dl": _number(decimal=True),
            "platelets_lln_10e9_per_l": _number(decimal=True),
        }
        help_texts = {
            "regimen": _("Left empty, the therapy's labelled regimen is used."),
        }

    def __init__(self, *args, user, regimen_url="", **kwargs):
        super().__init__(*args, **kwargs)
        # The active catalog, plus the course's own therapy when it has since been withdrawn.
        therapies = Therapy.objects.filter(is_active=True)
        if self.instance.therapy_id:
            therapies = therapies | Therapy.objects.filter(pk=self.instance.therapy_id)
        self.fields["therapy"].queryset = therapies.order_by("name")
        self.fields["therapy"].widget.attrs.update(
            {
                # Choosing a therapy fills the regimen from the catalog (htmx, no inline JS).
                "hx-get": regimen_url,
                "hx-trigger": "change",
                "hx-target": "#div_id_regimen",
                "hx-swap": "outerHTML",
            }
            if regimen_url
            else {}
        )
        self.fields["care_team"].queryset = user.care_teams.order_by("name")
        # A person reads the regimen's sources as citations, never as the catalog's keys.
        kept = self.instance.regimen if self.instance.pk else ""
        if kept and not self.is_bound:
            therapy = self.instance.therapy
            self.initial["regimen"] = (
                therapy.regimen_text if therapy.is_catalog_regimen(kept) else cite_sources(kept)
            )

    def clean(self):
        cleaned = super().clean()
        therapy = cleaned.get("therapy")
        regimen = (cleaned.get("regimen") or "").strip()
        kept = self.instance.regimen if self.instance.pk else ""
        if therapy and (not regimen or therapy.is_catalog_regimen(regimen)):
            # The catalog's regimen, as shown (with citations) or left empty: kept with its
            # source keys, so that every reader reads it in their own language.
            cleaned["regimen"] = therapy.regimen
        elif kept and reads_as(regimen, kept):
            cleaned["regimen"] = kept  # the course's own regimen, as it was shown
        return cleaned


class CourseEditForm(ReasonMixin, CourseForm):
    pass


class TherapyChoiceForm(forms.Form):
    therapy = forms.ModelChoiceField(queryset=Therapy.objects.all(), required=False)


# --- Visits ---------------------------------------------------------------------------------------

VISIT_MEASUREMENTS = list(measurements.VISIT_MEASUREMENTS)
VISIT_FIELDS = ["recorded_at", *VISIT_MEASUREMENTS, "notes"]
# What the high-dose IL-2 dose advice reads beyond the numbers (services.VISIT_ASSESSMENT_FIELDS);
# asked on high-dose IL-2 courses only.
DOSE_ASSESSMENT_FIELDS = [
    "mental_status",
    "vasopressor",
    "vasopressor_dose_ug_kg_min",
    "oxygen_l_min",
    "heart_rate_persists_after_correction",
]
_NOT_ASSESSED = ("", _("Not assessed"))


class VisitForm(CourseRecordForm):
    mental_status = forms.ChoiceField(
        label=_("Mental status"),
        required=False,
        choices=[_NOT_ASSESSED, *MentalStatus.choices],
        help_text=_("Changed: any new confusion, agitation, drowsiness or disorientation."),
    )
    vasopressor = forms.ChoiceField(
        label=_("Vasopressor"),
        required=False,
        choices=[("", _("Not recorded")), *Vasopressor.choices],
    )
    heart_rate_persists_after_correction = forms.TypedChoiceField(
        label=_("Heart rate > 130 persists after correction"),
        required=False,
        choices=[("", _("Not recorded")), ("True", _("Yes")), ("False", _("No"))],
        coerce=lambda value: value == "True",
        empty_value=None,
        help_text=_("After correcting hypotension and fever and stopping dopamine."),
    )

    class Meta:
        model = Visit
        fields = VISIT_FIELDS + DOSE_ASSESSMENT_FIELDS
        formfield_callback = measurement_formfield
        widgets = {
            "recorded_at": _datetime_input(),
            "vasopressor_dose_ug_kg_min": _number(decimal=True),
            "oxygen_l_min": _number(decimal=True),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, dose_assessment=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not dose_assessment:
            for name in DOSE_ASSESSMENT_FIELDS:
                del self.fields[name]

    def clean_recorded_at(self):
        return validators.record_time(self.cleaned_data.get("recorded_at"), self.course)

    def measurements(self):
        return {name: self.cleaned_data.get(name) for name in VISIT_MEASUREMENTS}

    def assessment(self):
        return {name: self.cleaned_data.get(name) for name in DOSE_ASSESSMENT_FIELDS}

    def has_measurements(self):
        values = [*self.measurements().values(), *self.assessment().values()]
        return any(value not in (None, "") for value in values)


class VisitCorrectionForm(ReasonMixin, VisitForm):
    pass


GRADE_CHOICES = [("", "—")] + [
    (grade, f"{grade} – {meaning}") for grade, meaning in ctcae_definitions.GRADE_MEANINGS.items()
]


BLANK_CHOICE = [("", "—")]


def _check_ae_dates(form, cleaned):
    """An adverse event ends on a date or is ongoing, not both; it does not end before onset."""
    end, onset = cleaned.get("end_date"), cleaned.get("onset_date")
    if end and cleaned.get("ongoing"):
        form.add_error(
            "end_date", _("An ongoing adverse event has no end date: choose one or the other.")
        )
    elif end and onset and end < onset:
        form.add_error("end_date", _("The end date is before the onset."))


class AdverseEventForm(forms.Form):
    """One row of the adverse-event formset; `terms` maps slug -> SideEffectTerm."""

    # Not required as fields: an untouched row is skipped; a touched one needs both (clean).
    term = forms.ChoiceField(label=_("Adverse event (CTCAE term)"), required=False)
    grade = forms.TypedChoiceField(
        label=_("CTCAE grade"), choices=GRADE_CHOICES, coerce=int, required=False, empty_value=None
    )
    # No default: a clinician chooses attribution and action on every row (clean).
    attribution = forms.ChoiceField(
        label=_("Attribution"), choices=BLANK_CHOICE + Attribution.choices, required=False
    )
    action = forms.ChoiceField(
        label=_("Action taken"), choices=BLANK_CHOICE + AdverseEventAction.choices, required=False
    )
    seriousness = forms.MultipleChoiceField(
        label=_("Serious because (none: not serious)"),
        choices=Seriousness.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=BLANK_CHOICE + AdverseEventOutcome.choices, required=False
    )
    onset_date = forms.DateField(label=_("Onset"), required=False, widget=_date_input())
    end_date = forms.DateField(label=_("End date"), required=False, widget=_date_input())
    ongoing = forms.BooleanField(label=_("Ongoing"), required=False)

    def __init__(self, *args, terms, definitions_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = terms
        self.fields["term"].choices = [("", "—")] + [
            (slug, term.clinical_name) for slug, term in terms.items()
        ]
        # The picker is searchable in English and French (static/js/clinician.js): each
        # term's CTCAE name, patient wordings and other names, matched without accents.
        self.fields["term"].widget.attrs.update(
            {
                "data-term-picker": "",
                "data-search-label": _("Search the adverse events (English or French)"),
                "data-term-search": json.dumps(
                    {
                        slug: [
                            term.ctcae_term,
                            term.label_en,
                            term.label_fr,
                            *ctcae_definitions.OTHER_NAMES.get(slug, ()),
                        ]
                        for slug, term in terms.items()
                    },
                    ensure_ascii=False,
                ),
            }
        )
        if definitions_url:
            # The grade definitions of the chosen term appear under the row (htmx fragment).
            self.fields["term"].widget.attrs.update(
                {
                    "hx-get": definitions_url,
                    "hx-trigger": "change",
                    "hx-target": f"#{self.prefix}-definitions",
                    "hx-swap": "innerHTML",
                }
            )

    def clean_term(self):
        return self.terms.get(self.cleaned_data["term"])

    def clean(self):
        cleaned = super().clean()
        if "term" in cleaned and cleaned["term"] is None:
            self.add_error("term", _("Choose the adverse event."))
        if "grade" in cleaned and cleaned["grade"] is None:
            self.add_error("grade", _("Choose the grade."))
        if "attribution" in cleaned and not cleaned["attribution"]:
            self.add_error("attribution", _("Choose the attribution."))
        if "action" in cleaned and not cleaned["action"]:
            self.add_error("action", _("Choose the action taken."))
        _check_ae_dates(self, cleaned)
        term, grade = cleaned.get("term"), cleaned.get("grade")
        # The grades CTCAE v5.0 defines for the term, as AdverseEvent.clean checks them.
        error = term.grade_error(grade) if term is not None else None
        if error:
            self.add_error("grade", error)
        return cleaned

    def clean_onset_date(self):
        return validators.date_not_in_the_future(self.cleaned_data.get("onset_date"))

    def clean_end_date(self):
        return validators.date_not_in_the_future(self.cleaned_data.get("end_date"))

    @property
    def chosen_term(self):
        """The term picked on this row (also when the form is re-shown with errors)."""
        return self.terms.get(self["term"].value() or "")

    def definitions(self):
        term = self.chosen_term
        return ctcae_definitions.grades_for(term.slug) if term else None


class BaseAdverseEventFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            term = form.cleaned_data.get("term")
            if term is None:
                continue
            if term.slug in seen:
                form.add_error("term", _("This adverse event is already on another row."))
            seen.add(term.slug)

    def events(self):
        return [form.cleaned_data for form in self.forms if form.cleaned_data.get("term")]


AdverseEventFormSet = forms.formset_factory(
    AdverseEventForm, formset=BaseAdverseEventFormSet, extra=3, max_num=30, validate_max=True
)


class DoseForm(forms.Form):
    """A dose given or held, recorded with the visit; an untouched row is skipped."""

    # Not required as fields: an untouched row is skipped; a touched one is checked in clean.
    dose_number = forms.IntegerField(
        label=_("Dose number"), min_value=1, max_value=999, required=False, widget=_number()
    )
    status = forms.ChoiceField(
        label=_("Given or held"),
        required=False,
        choices=[("", "—"), (DoseStatus.GIVEN, _("Given")), (DoseStatus.HELD, _("Held"))],
    )
    scheduled_at = forms.DateTimeField(
        label=_("Scheduled for"), required=False, widget=_datetime_input()
    )
    administered_at = forms.DateTimeField(
        label=_("Given at"), required=False, widget=_datetime_input()
    )
    dose_amount = forms.DecimalField(
        label=_("Dose"),
        required=False,
        max_digits=12,
        decimal_places=3,
        min_value=0,
        localize=True,
        widget=_number(decimal=True),
    )
    dose_unit = forms.CharField(label=_("Unit"), required=False, max_length=20)
    reason = forms.CharField(label=_("Reason held"), required=False, max_length=300)

    # Pre-filled by the view from the course and the clock (the next dose): whether the row was
    # touched is judged against the values shown, not against values computed again when the
    # form comes back (a minute later, or after another dose was recorded), which would make
    # an untouched row look edited and refuse the visit.
    PREFILLED = ("dose_number", "scheduled_at", "dose_amount", "dose_unit")

    def __init__(self, *args, taken_numbers=frozenset(), course=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.taken_numbers = taken_numbers
        self.course = course
        for name in self.PREFILLED:
            self.fields[name].show_hidden_initial = True

    def clean_dose_number(self):
        number = self.cleaned_data["dose_number"]
        if number is not None and number in self.taken_numbers:
            raise ValidationError(_("Dose %(number)s is already recorded.") % {"number": number})
        return number

    def clean_scheduled_at(self):
        return validators.dose_schedule(self.cleaned_data.get("scheduled_at"), self.course)

    def clean_administered_at(self):
        return validators.record_time(self.cleaned_data.get("administered_at"), self.course)

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        for name, message in (
            ("status", _("Choose “Given” or “Held”.")),
            ("dose_number", _("Enter the dose number.")),
            ("scheduled_at", _("Enter when the dose was scheduled.")),
        ):
            if name in cleaned and not cleaned[name]:
                self.add_error(name, message)
        if status == DoseStatus.HELD and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why the dose was held."))
        if status == DoseStatus.HELD and cleaned.get("administered_at"):
            self.add_error("administered_at", _("A held dose has no time given."))
        return cleaned


class BaseDoseFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            number = form.cleaned_data.get("dose_number")
            if number is None or not form.cleaned_data.get("status"):
                continue
            if number in seen:
                form.add_error("dose_number", _("This dose number is on another row."))
            seen.add(number)

    def doses(self):
        return [form.cleaned_data for form in self.forms if form.cleaned_data.get("status")]


# One row, pre-filled by the view with the next dose.
DoseFormSet = forms.formset_factory(
    DoseForm, formset=BaseDoseFormSet, extra=1, max_num=10, validate_max=True
)


# --- Symptom reports on the patient's behalf -----------------------------------------------------

# PRO-CTCAE response options, scored 0-4 (NCI PRO-CTCAE; domain.md §3.1).
RESPONSE_CHOICES = {
    "frequency": [
        ("", "—"),
        (0, _("Never")),
        (1, _("Rarely")),
        (2, _("Occasionally")),
        (3, _("Frequently")),
        (4, _("Almost constantly")),
    ],
    "severity": [
        ("", "—"),
        (0, _("None")),
        (1, _("Mild")),
        (2, _("Moderate")),
        (3, _("Severe")),
        (4, _("Very severe")),
    ],
    "interference": [
        ("", "—"),
        (0, _("Not at all")),
        (1, _("A little bit")),
        (2, _("Somewhat")),
        (3, _("Quite a bit")),
        (4, _("Very much")),
    ],
    "present": [("", "—"), ("yes", _("Yes")), ("no", _("No"))],
}
ATTRIBUTE_LABELS = {
    "frequency": _("How often"),
    "severity": _("How severe"),
    "interference": _("Interference with daily activities"),
    "present": _("Present"),
}
ANSWER_COLUMNS = ("frequency", "severity", "interference", "present")

REPORT_MEASUREMENTS = list(measurements.REPORT_MEASUREMENTS)
REPORT_FIELDS = ["reported_at", "recall_period", *REPORT_MEASUREMENTS, "note"]


class ReportMeasurementsForm(CourseRecordForm):
    class Meta:
        model = SymptomReport
        fields = REPORT_FIELDS
        formfield_callback = measurement_formfield
        labels = {"note": _("Note")}
        widgets = {
            "reported_at": _datetime_input(),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_reported_at(self):
        return validators.record_time(self.cleaned_data.get("reported_at"), self.course)

    def measurements(self):
        return {name: self.cleaned_data.get(name) for name in REPORT_MEASUREMENTS}


class ReportOnBehalfForm(ReportMeasurementsForm):
    """A report taken over the phone: one row per reportable term, a select per attribute."""

    def __init__(self, *args, terms, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = list(terms)
        for term in self.terms:
            for attribute in self._attributes(term):
                self.fields[self.field_name(term, attribute)] = forms.TypedChoiceField(
                    label=f"{term.label} – {ATTRIBUTE_LABELS[attribute]}",
                    choices=RESPONSE_CHOICES[attribute],
                    coerce=(lambda v: v == "yes") if attribute == "present" else int,
                    empty_value=None,
                    required=False,
                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
                )

    @staticmethod
    def _attributes(term):
        return ("present",) if term.is_presence else term.attributes

    @staticmethod
    def field_name(term, attribute):
        return f"{term.slug}__{attribute}"

    def rows(self):
        """(term, [bound field or None per column]) for the answers table."""
        for term in self.terms:
            asked = self._attributes(term)
            yield (
                term,
                [
                    self[self.field_name(term, column)] if column in asked else None
                    for column in ANSWER_COLUMNS
                ],
            )

    def clean(self):
        cleaned = super().clean()
        self.answers = []
        for term in self.terms:
            values = {
                attribute: cleaned.get(self.field_name(term, attribute))
                for attribute in self._attributes(term)
            }
            if all(value is None for value in values.values()):
                continue
            answer = SymptomAnswer(term=term, **values)
            try:
                answer.clean()
            except ValidationError as error:
                for attribute, messages in error.message_dict.items():
                    name = self.field_name(term, attribute)
                    self.add_error(name if name in self.fields else None, messages)
                continue
            self.answers.append(answer)
        if (
            not self.errors
            and not self.answers
            and not any(value is not None for value in self.measurements().values())
        ):
            raise ValidationError(_("Enter at least one answer or measurement."))
        return cleaned


class ReportCorrectionForm(ReasonMixin, ReportMeasurementsForm):
    pass


# --- Adverse event corrections and "entered in error" --------------------------------------------


class AdverseEventCorrectionForm(ReasonMixin, forms.ModelForm):
    grade = forms.TypedChoiceField(label=_("CTCAE grade"), choices=GRADE_CHOICES, coerce=int)
    seriousness = forms.MultipleChoiceField(
        label=_("Serious because (none: not serious)"),
        choices=Seriousness.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = AdverseEvent
        fields = [
            "grade",
            "attribution",
            "action",
            "seriousness",
            "outcome",
            "onset_date",
            "end_date",
            "ongoing",
        ]
        widgets = {"onset_date": _date_input(), "end_date": _date_input()}

    def clean_onset_date(self):
        return validators.date_not_in_the_future(self.cleaned_data.get("onset_date"))

    def clean_end_date(self):
        return validators.date_not_in_the_future(self.cleaned_data.get("end_date"))

    def clean(self):
        cleaned = super().clean()
        _check_ae_dates(self, cleaned)
        return cleaned


class DoseCorrectionForm(forms.ModelForm):
    """A dose recorded with a wrong number, time, status or amount, put right.

    The dose's own "reason" is why it was held: the correction's reason is asked as
    `correction_reason`."""

    correction_reason_field = "correction_reason"

    reason = forms.CharField(label=_("Reason held"), required=False, max_length=300)
    correction_reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=300,
        help_text=_("Kept in the record's history with your name and the time."),
    )

    class Meta:
        model = DoseAdministration
        fields = [
            "dose_number",
            "status",
            "scheduled_at",
            "administered_at",
            "dose_amount",
            "dose_unit",
            "reason",
        ]
        localized_fields = ["dose_amount"]
        labels = {"status": _("Given or held")}
        widgets = {
            "dose_number": _number(),
            "scheduled_at": _datetime_input(),
            "administered_at": _datetime_input(),
            "dose_amount": _number(decimal=True),
        }

    def clean_dose_number(self):
        number = self.cleaned_data["dose_number"]
        if number is not None and number < 1:
            raise ValidationError(_("Dose numbers start at 1."))
        taken = (
            DoseAdministration.objects.current()
            .filter(course_id=self.instance.course_id, dose_number=number)
            .exclude(pk=self.instance.pk)
        )
        if number is not None and taken.exists():
            raise ValidationError(_("Dose %(number)s is already recorded.") % {"number": number})
        return number

    def clean_administered_at(self):
        return validators.not_in_the_future(self.cleaned_data.get("administered_at"))

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if status == DoseStatus.HELD and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why the dose was held."))
        if status == DoseStatus.HELD and cleaned.get("administered_at"):
            self.add_error("administered_at", _("A held dose has no time given."))
        return cleaned


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label=_("Why was this entered in error?"),
        max_length=300,
        help_text=_(
            "The record stays in the history but leaves grades, charts and summaries; its "
            "open flags are resolved with this reason."
        ),
    )


CORRECTION_FORMS = {
    Visit: VisitCorrectionForm,
    SymptomReport: ReportCorrectionForm,
    AdverseEvent: AdverseEventCorrectionForm,
    DoseAdministration: DoseCorrectionForm,
}
