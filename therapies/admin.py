from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ExpectedFrequency, ExpectedSideEffect, SelfCareAdvice, SideEffectTerm, Therapy


class ExpectedSideEffectInline(admin.TabularInline):
    model = ExpectedSideEffect
    autocomplete_fields = ["term"]
    fields = [
        "term",
        "frequency_percent",
        "comparator_percent",
        "frequency_band",
        "typical_onset",
        "source",
        "note",
    ]
    extra = 0


@admin.register(Therapy)
class TherapyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "brand",
        "drug_class",
        "setting",
        "route",
        "fever_escalation_risk",
        "is_active",
    ]
    list_filter = ["drug_class", "setting", "fever_escalation_risk", "is_active"]
    search_fields = ["name", "brand", "agent", "slug", "target", "indications"]
    inlines = [ExpectedSideEffectInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "slug",
                    "name",
                    "brand",
                    "agent",
                    "drug_class",
                    "target",
                    "indications",
                    "is_active",
                ]
            },
        ),
        (
            _("Regimen"),
            {
                "fields": [
                    "route",
                    "setting",
                    ("dose_value", "dose_unit"),
                    "interval_hours",
                    ("max_doses_per_cycle", "cycle_length_days", "rest_days", "max_cycles"),
                    "regimen",
                ]
            },
        ),
        (
            _("Label"),
            {
                "fields": [
                    "boxed_warnings",
                    "source",
                    "label_date",
                    "labelled_indications",
                    "catalog_version",
                ]
            },
        ),
        (
            _("Clinical rules"),
            {"fields": ["fever_escalation_risk", "fever_escalation_source"]},
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The slug is what courses, the API and catalog.json use to find the therapy.
        # The catalog version is the file's that last loaded the therapy, never typed.
        return ["slug", "catalog_version"] if obj else ["catalog_version"]


@admin.register(SideEffectTerm)
class SideEffectTermAdmin(admin.ModelAdmin):
    list_display = [
        "slug",
        "ctcae_term",
        "meddra_code",
        "ctcae_min_grade",
        "ctcae_max_grade",
        "kind",
        "proctcae_item",
    ]
    list_filter = ["kind", "is_presence", "has_frequency", "has_severity", "has_interference"]
    search_fields = ["slug", "ctcae_term", "meddra_code", "snomed_code", "label_en", "label_fr"]
    fieldsets = [
        (None, {"fields": ["slug", "kind", "label_en", "label_fr", "sort_order"]}),
        (
            _("Codes"),
            {
                "fields": [
                    "ctcae_term",
                    ("ctcae_min_grade", "ctcae_max_grade"),
                    "meddra_code",
                    "snomed_code",
                ]
            },
        ),
        (
            _("PRO-CTCAE"),
            {
                "fields": [
                    "proctcae_item",
                    ("has_frequency", "has_severity", "has_interference", "is_presence"),
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The slug is the API's word (PRODUCT.md §6); renaming it would break clients and rules.
        # The catalog version is the file's that last loaded the therapy, never typed.
        return ["slug", "catalog_version"] if obj else ["catalog_version"]


@admin.register(SelfCareAdvice)
class SelfCareAdviceAdmin(admin.ModelAdmin):
    list_display = ["term", "source"]
    search_fields = ["term__slug", "term__label_en", "term__label_fr", "source"]
    autocomplete_fields = ["term"]


@admin.register(ExpectedFrequency)
class ExpectedFrequencyAdmin(admin.ModelAdmin):
    """A side effect's frequency in one labelled indication (the course's indication selects
    which side effects are expected)."""

    list_display = [
        "expected",
        "indication",
        "frequency_percent",
        "comparator_percent",
        "frequency_band",
        "source",
    ]
    list_filter = ["expected__therapy", "indication"]
    list_select_related = ["expected__therapy", "expected__term"]
    search_fields = ["expected__therapy__slug", "expected__term__slug", "indication"]
