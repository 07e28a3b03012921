"""The cohort export form: a therapy, a range of course start dates, identified or pseudonymised."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from therapies.models import Therapy


def _date_input():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"})


class CohortExportForm(forms.Form):
    therapy = forms.ModelChoiceField(
        label=_("Therapy"),
        queryset=Therapy.objects.order_by("name"),
        to_field_name="slug",
        empty_label=_("Choose a therapy"),
    )
    start_from = forms.DateField(
        label=_("Courses started from"),
        widget=_date_input(),
        input_formats=["%Y-%m-%d"],
        help_text=_("The first start date included."),
    )
    start_to = forms.DateField(
        label=_("up to"),
        widget=_date_input(),
        input_formats=["%Y-%m-%d"],
        help_text=_("The last start date included."),
    )
    pseudonymise = forms.BooleanField(
        label=_("Pseudonymise for research"),
        required=False,
        help_text=_(
            "Leaves out names, medical record numbers, birth dates and free text; each patient "
            "and course gets a stable code instead."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        start_from, start_to = cleaned.get("start_from"), cleaned.get("start_to")
        if start_from and start_to and start_to < start_from:
            self.add_error("start_to", _("This date is before the first start date."))
        return cleaned

    @staticmethod
    def initial_for(therapy_slug=None, today=None):
        today = today or timezone.localdate()
        return {
            "therapy": therapy_slug,
            "start_from": today.replace(month=1, day=1),
            "start_to": today,
        }
