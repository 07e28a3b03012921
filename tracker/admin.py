"""Administrators keep user accounts and care teams here. Clinical records can be looked at
(with their history) but never deleted, and flags change only through their workflow."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from . import models
from .security import refuse_a_second_device


@admin.register(models.User)
class TrackerUserAdmin(UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("Role"), {"fields": ("role", "profession", "is_physician", "preferred_language")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Role"), {"fields": ("role", "profession", "is_physician", "preferred_language")}),
    )
    list_display = ("username", "first_name", "last_name", "role", "profession", "is_active")
    list_filter = ("role", "is_active", "is_staff")


class CareTeamForm(forms.ModelForm):
    open_days = forms.TypedMultipleChoiceField(
        label=_("open days"),
        choices=models.Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Outside the opening hours patients get the out-of-hours number."),
    )
    escalation_webhook_url = forms.URLField(
        label=_("escalation webhook URL"),
        required=False,
        assume_scheme="https",
        help_text=models.CareTeam._meta.get_field("escalation_webhook_url").help_text,
    )

    class Meta:
        model = models.CareTeam
        fields = (
            "name",
            "phone",
            "members",
            "open_days",
            "opens_at",
            "closes_at",
            "out_of_hours_phone",
            "on_call_emails",
            "escalation_webhook_url",
        )


@admin.register(models.CareTeam)
class CareTeamAdmin(SimpleHistoryAdmin):
    form = CareTeamForm
    list_display = ("name", "phone", "out_of_hours_phone", "opens_at", "closes_at")
    search_fields = ("name",)
    filter_horizontal = ("members",)
    fieldsets = (
        (None, {"fields": ("name", "phone", "members")}),
        (
            _("Opening hours"),
            {"fields": ("open_days", "opens_at", "closes_at", "out_of_hours_phone")},
        ),
        (
            _("Escalation of urgent flags"),
            {"fields": ("on_call_emails", "escalation_webhook_url")},
        ),
    )


class NoDeleteAdmin(SimpleHistoryAdmin):
    """Clinical records are corrected with a reason, never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Patient)
class PatientAdmin(NoDeleteAdmin):
    list_display = ("family_name", "given_name", "mrn", "birth_date", "care_team")
    search_fields = ("family_name", "given_name", "mrn")
    list_filter = ("care_team",)
    autocomplete_fields = ("user",)
    list_select_related = ("care_team",)


@admin.register(models.Course)
class CourseAdmin(NoDeleteAdmin):
    list_display = ("patient", "therapy", "status", "start_date", "care_team")
    list_filter = ("status", "therapy", "care_team")
    search_fields = ("patient__family_name", "patient__mrn")
    list_select_related = ("patient", "therapy", "care_team")
    raw_id_fields = ("patient",)


class ReadOnlyClinicalAdmin(NoDeleteAdmin):
    """Visible for audit; entered through the product's own pages and API."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.Visit)
class VisitAdmin(ReadOnlyClinicalAdmin):
    list_display = ("course", "recorded_at", "recorded_by", "entered_in_error")
    list_select_related = ("course__patient", "course__therapy", "recorded_by")


@admin.register(models.SymptomReport)
class SymptomReportAdmin(ReadOnlyClinicalAdmin):
    list_display = ("course", "reported_at", "source", "entered_in_error")
    list_select_related = ("course__patient", "course__therapy")


@admin.register(models.Flag)
class FlagAdmin(ReadOnlyClinicalAdmin):
    list_display = ("course", "level", "rule", "term", "status", "created_at")
    list_filter = ("level", "status", "rule")
    list_select_related = ("course__patient", "course__therapy", "term")


@admin.register(models.DoseAdministration)
class DoseAdmin(ReadOnlyClinicalAdmin):
    list_display = ("course", "dose_number", "scheduled_at", "status", "reason")
    list_select_related = ("course__patient", "course__therapy")


@admin.register(models.AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    """Read-only: the record of two-factor changes and invitations cannot be edited."""

    list_display = ("at", "user", "kind", "by")
    list_filter = ("kind",)
    list_select_related = ("user", "by")
    search_fields = ("user__username",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.EscalationLog)
class EscalationLogAdmin(admin.ModelAdmin):
    """What escalation sent, read only: the job's own record of its steps."""

    list_display = ("flag", "step", "channel", "recipients", "sent_at")
    list_filter = ("step", "channel")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OneAuthenticatorForm(forms.ModelForm):
    """Refuses, at the account's field, a second authenticator for an account."""

    def clean(self):
        cleaned = super().clean()
        device = self.instance
        if cleaned.get("user") is None:
            return cleaned
        trial = TOTPDevice(
            pk=device.pk, user=cleaned["user"], confirmed=cleaned.get("confirmed", False)
        )
        trial._state.adding = device._state.adding
        try:
            refuse_a_second_device(TOTPDevice, trial)
        except ValidationError as error:
            self.add_error("user", error)
        return cleaned


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(TOTPDeviceAdmin):
    """django-otp's, with one authenticator per account (tracker.security, which also records
    each one turned on or off); an account's secret key and QR code are never shown
    (settings.OTP_ADMIN_HIDE_SENSITIVE_DATA)."""

    form = OneAuthenticatorForm
