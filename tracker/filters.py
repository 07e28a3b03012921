"""Filters of the clinician's lists (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from therapies.models import Therapy

from .models import Flag, FlagLevel, FlagStatus, Patient


def _patients_in_scope(request):
    if request is None:
        return Patient.objects.none()
    # Each patient once (see tracker.views.clinician.patients_in_scope).
    return Patient.objects.filter(pk__in=Patient.objects.visible_to(request.user).values("pk"))


class TriageFilter(django_filters.FilterSet):
    """The triage queue's filters; the queue itself holds only unresolved flags."""

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
    patient = django_filters.ModelChoiceFilter(
        label=_("Patient"),
        field_name="course__patient",
        queryset=_patients_in_scope,
        empty_label=_("All patients"),
    )

    class Meta:
        model = Flag
        fields = ["level", "status", "therapy", "patient"]
