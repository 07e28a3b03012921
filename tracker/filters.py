"""Filters of the clinician's lists (django-filter)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from therapies.models import Therapy

from .models import Flag, FlagLevel, FlagStatus, patient_search


class TriageFilter(django_filters.FilterSet):
    """The triage queue's filters; the queue itself holds only unresolved flags.

    The patient is searched by name or MRN (a list of the team's 400 patients cost more than
    the rest of the page); `?patient=<id>` still narrows the queue to one patient. The
    queryset is already scoped to the clinician, so neither can reach another team's flags.
    """

    level = django_filters.ChoiceFilter(
        label=_("Level"), choices=FlagLevel.choices, empty_label=_("All levels")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            (FlagStatus.OPEN, FlagStatus.OPEN.label),
            (FlagStatus.ACKNOWLEDGED, FlagStatus.ACKNOWLEDGED.label),
        ],
        empty_label=_("All unresolved"),
    )
    therapy = django_filters.ModelChoiceFilter(
        label=_("Therapy"),
        field_name="course__therapy",
        queryset=Therapy.objects.order_by("name"),
        empty_label=_("All therapies"),
    )
    q = django_filters.CharFilter(
        label=_("Search by name or MRN"),
        method="filter_patient_search",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    patient = django_filters.UUIDFilter(field_name="course__patient", widget=forms.HiddenInput)

    class Meta:
        model = Flag
        fields = ["level", "status", "therapy", "q", "patient"]

    def filter_patient_search(self, queryset, name, value):
        """As the patient list searches: every word must match the MRN or a name."""
        return queryset.filter(patient_search(value, via="course__patient__"))

    @property
    def narrowed(self):
        """Whether any filter is applied (the queue is then not all the unresolved flags)."""
        return self.is_bound and any(
            value not in (None, "") for value in self.form.cleaned_data.values()
        )


class StrictFilterSet(django_filters.FilterSet):
    """An API query is checked strictly: a filter given empty (`?level=`) is a mistake to tell
    the client about (400), not a reason to answer every row, as a typo in a value is."""

    def is_valid(self):
        valid = super().is_valid()
        for name in self.filters:
            if name in self.data and not str(self.data.get(name, "")).strip():
                self.form.add_error(name, _("Give a value, or leave this parameter out."))
                valid = False
        return valid


class ApiFlagFilter(StrictFilterSet):
    """The query of the API's flag lists (`/api/v1/flags/`, `/api/v1/courses/{id}/flags/`)."""

    status = django_filters.ChoiceFilter(choices=FlagStatus.choices)
    level = django_filters.ChoiceFilter(choices=FlagLevel.choices)

    class Meta:
        model = Flag
        fields = ["status", "level"]
