"""Forms of the patient portal: the steps of "How are you today?" and the account forms.

The report is asked in PRO-CTCAE style (reference/domain.md §3): for each symptom the first
question (how often, else how severe, else how much it interferes), then the next ones unless
the first answer was "never"/"none"; yes/no items for presence. Validation is the model's own
(`SymptomAnswer.clean`, the field validators of tracker/ranges.py), shown at the field.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .. import emails, ranges
from ..models import SymptomAnswer, SymptomReport
from ..services import AnswerInput
from .fields import TemperatureField, WeightField

# PRO-CTCAE response options, scored 0-4 (NCI PRO-CTCAE; ProAE coding, domain.md §3.1).
FREQUENCY_CHOICES = [
    (0, _("Never")),
    (1, _("Rarely")),
    (2, _("Occasionally")),
    (3, _("Frequently")),
    (4, _("Almost constantly")),
]
SEVERITY_CHOICES = [
    (0, pgettext_lazy("severity", "None")),
    (1, _("Mild")),
    (2, _("Moderate")),
    (3, _("Severe")),
    (4, _("Very severe")),
]
INTERFERENCE_CHOICES = [
    (0, _("Not at all")),
    (1, _("A little bit")),
    (2, _("Somewhat")),
    (3, _("Quite a bit")),
    (4, _("Very much")),
]
PRESENCE_CHOICES = [("yes", _("Yes")), ("no", _("No"))]
CHOICES = {
    "frequency": FREQUENCY_CHOICES,
    "severity": SEVERITY_CHOICES,
    "interference": INTERFERENCE_CHOICES,
}

# The PRO-CTCAE item stems (short form, domain.md §3.1), with the emphasis of the instrument.
STEMS = {
    "frequency": _("In the last 7 days, how OFTEN did you have %(symptom)s?"),
    "severity": _("In the last 7 days, what was the SEVERITY of your %(symptom)s at its WORST?"),
    "interference": _(
        "In the last 7 days, how much did %(symptom)s INTERFERE with your usual or daily "
        "activities?"
    ),
    "present": _("In the last 7 days, did you have any %(symptom)s?"),
}


def in_sentence(label: str) -> str:
    """A symptom's wording inside a question: "Nausea" -> "nausea"."""
    return label[:1].lower() + label[1:]


def field_name(term, attribute: str) -> str:
    return f"{term.slug}-{attribute}"


def _yes_no(value):
    return value == "yes"


# --- Step 1: which symptoms ---------------------------------------------------------------------


class SymptomsForm(forms.Form):
    """The symptoms the patient had: the course's expected ones first, then the rest."""

    symptoms = forms.MultipleChoiceField(
        label=_("Which of these did you have in the last 7 days?"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("Not in the list? Tell us in your own words"),
        required=False,
        max_length=SymptomReport._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args, expected_terms, other_terms, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_terms = list(expected_terms)
        self.other_terms = list(other_terms)
        self.fields["symptoms"].choices = [
            (term.slug, term.label) for term in self.expected_terms + self.other_terms
        ]

    def chosen_slugs(self):
        return list(self.cleaned_data["symptoms"])


# --- Step 2: the questions for the chosen symptoms ----------------------------------------------


class QuestionsForm(forms.Form):
    """The PRO-CTCAE questions of each chosen symptom.

    Every question is shown (the page works without JavaScript); when the first answer of a
    symptom is "never"/"none" the later ones are skipped, as PRO-CTCAE branching does, and
    whatever was ticked there is ignored.
    """

    def __init__(self, *args, terms, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = list(terms)
        self.answers = []
        for term in self.terms:
            symptom = in_sentence(term.label)
            if term.is_presence:
                self.fields[field_name(term, "present")] = forms.TypedChoiceField(
                    label=STEMS["present"] % {"symptom": symptom},
                    choices=PRESENCE_CHOICES,
                    coerce=_yes_no,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                )
                continue
            for attribute in term.attributes:
                self.fields[field_name(term, attribute)] = forms.TypedChoiceField(
                    label=STEMS[attribute] % {"symptom": symptom},
                    choices=CHOICES[attribute],
                    coerce=int,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                )

    def groups(self):
        """[(term, [bound field, ...])] in the order asked, for the template."""
        return [
            (
                term,
                [
                    self[field_name(term, attribute)]
                    for attribute in (("present",) if term.is_presence else term.attributes)
                ],
            )
            for term in self.terms
        ]

    def clean(self):
        cleaned = super().clean()
        self.answers = []
        for term in self.terms:
            values = {}
            if term.is_presence:
                values["present"] = cleaned.get(field_name(term, "present"))
            else:
                first, *later = term.attributes
                values[first] = cleaned.get(field_name(term, first))
                for attribute in later:
                    # Skipped after "never"/"none" (PRO-CTCAE branching): not asked, not kept.
                    values[attribute] = (
                        None if values[first] == 0 else cleaned.get(field_name(term, attribute))
                    )
            if any(field_name(term, name) in self._errors for name in values):
                continue
            answer = SymptomAnswer(term=term, **values)
            try:
                answer.clean()
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    target = field_name(term, name) if name in values else None
                    for text in messages:
                        self.add_error(target, text)
                continue
            self.answers.append(AnswerInput(term=term, **values))
        return cleaned


# --- Step 3: home measurements ------------------------------------------------------------------


def _whole_number(label, value_range, help_text=""):
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=False,
        validators=value_range.validators(),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "form-control"}
        ),
    )


def _optional(field):
    """An empty number means "not measured", even though the unit menu always sends a unit.

    (TemperatureField and WeightField otherwise answer "Enter a complete value.")
    """
    field.fields[0].required = False
    return field


class MeasurementsForm(forms.Form):
    """Optional measurements taken at home, in the units the patient uses."""

    temperature = _optional(TemperatureField(label=_("Temperature")))
    systolic_bp = _whole_number(
        _("Blood pressure: top number"), ranges.SYSTOLIC_BP, _("Systolic, in mmHg. Example: 120")
    )
    diastolic_bp = _whole_number(
        _("Blood pressure: bottom number"),
        ranges.DIASTOLIC_BP,
        _("Diastolic, in mmHg. Example: 80"),
    )
    heart_rate = _whole_number(
        _("Pulse"), ranges.HEART_RATE, _("Heartbeats per minute. Example: 72")
    )
    spo2 = forms.DecimalField(
        label=_("Oxygen level (SpO₂)"),
        help_text=_("From a finger pulse oximeter, in %. Example: 97"),
        required=False,
        max_digits=ranges.SPO2.max_digits,
        decimal_places=ranges.SPO2.decimal_places,
        localize=True,
        validators=ranges.SPO2.validators(),
        # Text, not type=number: a browser's number input refuses "97,5" in French.
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "form-control"}
        ),
    )
    weight = _optional(WeightField(label=_("Weight")))

    def clean(self):
        cleaned = super().clean()
        systolic, diastolic = cleaned.get("systolic_bp"), cleaned.get("diastolic_bp")
        if systolic is not None and diastolic is not None and systolic <= diastolic:
            self.add_error(
                "diastolic_bp",
                _("The bottom number is usually lower than the top number. Check both."),
            )
        return cleaned

    def measurements(self):
        """The values in SI, named as on the report (services.REPORT_MEASUREMENTS)."""
        data = self.cleaned_data
        values = {
            "temperature_c": data.get("temperature"),
            "systolic_bp": data.get("systolic_bp"),
            "diastolic_bp": data.get("diastolic_bp"),
            "heart_rate": data.get("heart_rate"),
            "spo2": data.get("spo2"),
            "weight_kg": data.get("weight"),
        }
        return {name: value for name, value in values.items() if value is not None}


# --- Accounts ------------------------------------------------------------------------------------


class InviteForm(forms.Form):
    """A clinician opens a patient's account: the e-mail address becomes the user name."""

    email = forms.EmailField(
        label=_("Patient's e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "class": "form-control"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Language of the e-mails and pages"),
        choices=settings.LANGUAGES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if not email:
            return email
        users = get_user_model().objects.all()
        if self.account is not None:
            users = users.exclude(pk=self.account.pk)
        if (
            users.filter(email__iexact=email).exists()
            or users.filter(username__iexact=email).exists()
        ):
            raise ValidationError(
                _("Another account already uses this e-mail address."), code="taken"
            )
        return email


class ResendInviteForm(InviteForm):
    """A new link for an account whose password was never chosen: to the same address, or to
    a corrected one (which becomes the user name)."""

    email = forms.EmailField(
        label=_("Patient's e-mail address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "class": "form-control"}),
    )
    preferred_language = None


class InvitationPasswordForm(auth_forms.SetPasswordForm):
    """The invitation's page: the patient confirms their date of birth (which the care team
    has on record, and the e-mail does not show) before choosing a password, so a link that
    reached the wrong inbox opens no account."""

    birth_date = forms.DateField(
        label=_("Your date of birth"),
        help_text=_("To confirm that this account is yours."),
        widget=forms.DateInput(
            format="%Y-%m-%d",
            attrs={"type": "date", "class": "form-control", "autocomplete": "bday"},
        ),
    )
    field_order = ["birth_date", "new_password1", "new_password2"]

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        record = getattr(self.user, "patient_record", None)
        if record is None or value != record.birth_date:
            # The view counts the try and says how many are left.
            raise ValidationError(_("This is not your date of birth."), code="mismatch")
        return value


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, with the e-mail written in the account's own language."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        emails.send(
            "password_reset",
            to=to_email,
            context=context,
            language=user.preferred_language,
        )
