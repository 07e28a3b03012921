"""The therapy catalog: agents, the shared side-effect vocabulary, and each agent's expected set.

Edited by administrators in the Django admin and loaded from `therapies/data/catalog.json`
by `manage.py load_catalog`. Everything else in the product reads it.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class DrugClass(models.TextChoices):
    """The pharmacological class; some clinical rules depend on it (see tracker/rules.py)."""

    IL2_HIGH_DOSE = "il2_high_dose", _("IL-2 agonist, high dose")
    IL2_LOW_DOSE = "il2_low_dose", _("IL-2 agonist, low dose")
    IL11 = "il11", _("IL-11 agonist")
    IL12 = "il12", _("IL-12 agonist")
    IL1_BLOCKER = "il1_blocker", _("IL-1 blocker")
    IL6_BLOCKER = "il6_blocker", _("IL-6 blocker")
    IL12_23_BLOCKER = "il12_23_blocker", _("IL-12/23 blocker")
    IL23_BLOCKER = "il23_blocker", _("IL-23 blocker")
    IL17_BLOCKER = "il17_blocker", _("IL-17 blocker")


class Setting(models.TextChoices):
    INPATIENT = "inpatient", _("Inpatient")
    OUTPATIENT = "outpatient", _("Outpatient")


def _words(text) -> str:
    """`text` with its spacing made plain (a form's text box may turn a newline into CR LF)."""
    return " ".join((text or "").split())


def reads_as(text: str, stored: str) -> bool:
    """Whether `text` is `stored` as stored or as a person reads it: its source keys shown as
    citations, in English or in French."""
    from .citations import cite_sources

    readings = {_words(stored)}
    for language in ("en", "fr"):
        with translation.override(language):
            readings.add(_words(cite_sources(stored)))
    return bool(_words(text)) and _words(text) in readings


class Therapy(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=120)
    brand = models.CharField(_("brand"), max_length=120, blank=True)
    agent = models.CharField(_("agent"), max_length=120)
    drug_class = models.CharField(_("class"), max_length=20, choices=DrugClass.choices)
    target = models.CharField(_("target"), max_length=200)
    indications = models.TextField(_("indications"))
    route = models.CharField(_("route"), max_length=120)
    setting = models.CharField(_("setting"), max_length=12, choices=Setting.choices)
    # Structured regimen (domain.md §1.7): the usual adult schedule of the main indication.
    dose_value = models.DecimalField(
        _("dose"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    dose_unit = models.CharField(_("dose unit"), max_length=20, blank=True)
    interval_hours = models.PositiveIntegerField(
        _("dosing interval (hours)"), null=True, blank=True
    )
    max_doses_per_cycle = models.PositiveIntegerField(
        _("maximum doses per cycle"), null=True, blank=True
    )
    cycle_length_days = models.PositiveIntegerField(_("cycle length (days)"), null=True, blank=True)
    rest_days = models.PositiveIntegerField(_("rest between cycles (days)"), null=True, blank=True)
    max_cycles = models.PositiveIntegerField(_("maximum cycles per course"), null=True, blank=True)
    regimen = models.TextField(_("regimen as labelled"))
    # The French name (DCI, catalog_fr.json); empty where none was written (English shown).
    name_fr = models.CharField(_("name (French)"), max_length=120, blank=True)
    # French wording from catalog_fr.json; empty where none was written (English shown).
    regimen_fr = models.TextField(_("regimen as labelled (French)"), blank=True)
    boxed_warnings = models.TextField(_("boxed warnings"), blank=True)
    source = models.CharField(_("source"), max_length=400)
    label_date = models.CharField(_("label date"), max_length=40, blank=True)
    # The indications the label names, each {"slug", "name"}; a course's indication that
    # names one of them selects that indication's expected side effects (ExpectedFrequency).
    labelled_indications = models.JSONField(_("labelled indications"), default=list, blank=True)
    # The version of the catalog file that last loaded this therapy: flags raised on its
    # courses record it, so a clinician sees which catalog judged them.
    catalog_version = models.CharField(_("catalog version"), max_length=20, blank=True)
    is_active = models.BooleanField(_("offered for new courses"), default=True)
    # A fever on this agent is reviewed the same day even when fever is expected: the agent is
    # given after myelosuppressive chemotherapy (neutropenic fever) or its fever must be
    # escalated early (reference/domain.md §4.7). The rules read it; they keep no list of agents.
    fever_escalation_risk = models.BooleanField(
        _("fever needs review the same day"),
        default=False,
        help_text=_(
            "Neutropenic or early-escalation fever risk: a temperature of 38.0 °C or more, or "
            "the adverse event fever, is at least “Review today”, never only logged."
        ),
    )
    fever_escalation_source = models.CharField(
        _("why fever needs review the same day (source)"),
        max_length=400,
        blank=True,
        help_text=_("The reason and its source, as a clinician reads it in the flag."),
    )
    # The same reason in French (catalog_fr.json), shown in a flag's sources to French readers.
    fever_escalation_source_fr = models.CharField(
        _("why fever needs review the same day (source, French)"),
        max_length=400,
        blank=True,
    )

    side_effects = models.ManyToManyField(
        "SideEffectTerm", through="ExpectedSideEffect", related_name="therapies"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("therapy")
        verbose_name_plural = _("therapies")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        """The therapy's name in the active language: the French INN (DCI) on French pages,
        English where no French name is written."""
        if (get_language() or "en").startswith("fr"):
            return self.name_fr or self.name
        return self.name

    @property
    def regimen_text(self):
        """The labelled regimen in the active language (English where no French is written),
        its source keys shown as the citations they stand for."""
        from .citations import cite_sources

        if (get_language() or "en").startswith("fr"):
            return cite_sources(self.regimen_fr or self.regimen)
        return cite_sources(self.regimen)

    def is_catalog_regimen(self, text: str) -> bool:
        """Whether `text` is the labelled regimen, as the catalog holds it (with its source
        keys) or as a person reads it (with their citations), in English or in French."""
        return reads_as(text, self.regimen) or reads_as(text, self.regimen_fr or self.regimen)

    def clean(self):
        super().clean()
        if self.fever_escalation_risk and not self.fever_escalation_source.strip():
            raise ValidationError({"fever_escalation_source": _("Give the reason and its source.")})
        if self.fever_escalation_source.strip() and not self.fever_escalation_risk:
            raise ValidationError(
                {
                    "fever_escalation_source": _(
                        "A source without the fever risk ticked: tick it or clear the source."
                    )
                }
            )


class TermKind(models.TextChoices):
    REPORTED = "reported", _("Reported by the patient (PRO-CTCAE or yes/no)")
    MEASURED = "measured", _("Measured (vital sign or laboratory value)")
    CLINICAL = "clinical", _("Assessed by a clinician")


class SideEffectTerm(models.Model):
    """One word of the shared vocabulary (PRODUCT.md §6).

    The slug is the API's word. Patient-reported terms carry their PRO-CTCAE item number and
    which attributes it asks (frequency, severity, interference) or whether it is a yes/no
    presence item.
    """

    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=10, choices=TermKind.choices)
    label_en = models.CharField(_("patient wording (English)"), max_length=200)
    label_fr = models.CharField(_("patient wording (French)"), max_length=200)
    ctcae_term = models.CharField(_("CTCAE v5.0 term"), max_length=120, unique=True)
    ctcae_term_fr = models.CharField(_("CTCAE v5.0 term (French)"), max_length=160, blank=True)
    meddra_code = models.CharField(_("MedDRA code"), max_length=12, blank=True)
    snomed_code = models.CharField(_("SNOMED CT code"), max_length=20, blank=True)
    proctcae_item = models.PositiveSmallIntegerField(_("PRO-CTCAE item"), null=True, blank=True)
    has_frequency = models.BooleanField(default=False)
    has_severity = models.BooleanField(default=False)
    has_interference = models.BooleanField(default=False)
    is_presence = models.BooleanField(_("yes/no item"), default=False)
    sort_order = models.PositiveSmallIntegerField(default=100)
    # The grades CTCAE v5.0 defines for the term (e.g. Nausea 1–3, Hypoxia 2–5, Urine output
    # decreased 3–4); a clinician's grade outside them is refused (reference/domain.md §4.7).
    ctcae_min_grade = models.PositiveSmallIntegerField(
        _("lowest CTCAE v5.0 grade"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    ctcae_max_grade = models.PositiveSmallIntegerField(
        _("highest CTCAE v5.0 grade"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )

    class Meta:
        ordering = ["sort_order", "slug"]
        verbose_name = _("side-effect term")
        verbose_name_plural = _("side-effect terms")

    def __str__(self):
        return self.ctcae_term

    def clean(self):
        super().clean()
        low, high = self.ctcae_min_grade, self.ctcae_max_grade
        if low is not None and high is not None and low > high:
            raise ValidationError(
                {"ctcae_max_grade": _("The highest grade cannot be below the lowest grade.")}
            )

    @property
    def ctcae_grades(self) -> range:
        """The CTCAE v5.0 grades the term defines."""
        return range(self.ctcae_min_grade, self.ctcae_max_grade + 1)

    def grade_error(self, grade):
        """Why `grade` cannot be recorded for this term (CTCAE v5.0 does not define it), or
        None. Every place that accepts a clinician's grade (visit form, correction form, API,
        AdverseEvent.clean) asks here."""
        if grade is None or grade in self.ctcae_grades:
            return None
        if self.ctcae_min_grade == self.ctcae_max_grade:
            return _("%(term)s has only CTCAE v5.0 grade %(grade)s.") % {
                "term": self.ctcae_term,
                "grade": self.ctcae_min_grade,
            }
        return _("%(term)s has CTCAE v5.0 grades %(low)s–%(high)s.") % {
            "term": self.ctcae_term,
            "low": self.ctcae_min_grade,
            "high": self.ctcae_max_grade,
        }

    @property
    def clinical_name(self):
        """The CTCAE term in the active language (English where no French name is known)."""
        if (get_language() or "en").startswith("fr"):
            return self.ctcae_term_fr or self.ctcae_term
        return self.ctcae_term

    @property
    def label(self):
        """The patient wording in the active language."""
        if (get_language() or "en").startswith("fr"):
            return self.label_fr or self.label_en
        return self.label_en

    @property
    def attributes(self):
        """The PRO-CTCAE attributes this item asks, in the order they are asked."""
        return tuple(
            name
            for name, present in (
                ("frequency", self.has_frequency),
                ("severity", self.has_severity),
                ("interference", self.has_interference),
            )
            if present
        )

    @property
    def is_reportable(self):
        return self.kind == TermKind.REPORTED


class FrequencyBand(models.TextChoices):
    # CIOMS frequency conventions, used where a label gives no usable percentage.
    VERY_COMMON = "very_common", _("Very common (≥10%)")
    COMMON = "common", _("Common (1–10%)")
    UNCOMMON = "uncommon", _("Uncommon (0.1–1%)")
    RARE = "rare", _("Rare (<0.1%)")
    REPORTED = "reported", _("Reported, frequency not established")


class ExpectedSideEffect(models.Model):
    """A side effect listed for the agent in its label or a cited source."""

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="expected")
    term = models.ForeignKey(SideEffectTerm, on_delete=models.PROTECT, related_name="expected_for")
    frequency_percent = models.DecimalField(
        _("frequency (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    comparator_percent = models.DecimalField(
        _("placebo or comparator (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    frequency_band = models.CharField(
        _("frequency band"), max_length=12, choices=FrequencyBand.choices
    )
    typical_onset = models.CharField(_("typical onset"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=400)
    note = models.CharField(_("note"), max_length=400, blank=True)

    class Meta:
        ordering = ["therapy", "term__sort_order", "term__slug"]
        constraints = [
            models.UniqueConstraint(fields=["therapy", "term"], name="unique_expected_term"),
        ]
        verbose_name = _("expected side effect")
        verbose_name_plural = _("expected side effects")

    def __str__(self):
        return f"{self.therapy} – {self.term}"


class SelfCareAdvice(models.Model):
    """Short self-care advice for a side effect at a low grade, from a cited patient-education
    page (therapies/data/self_care.json). Never about medicines or doses."""

    term = models.OneToOneField(
        SideEffectTerm, on_delete=models.CASCADE, related_name="self_care", verbose_name=_("term")
    )
    text_en = models.TextField(_("advice (English)"))
    text_fr = models.TextField(_("advice (French)"))
    source = models.CharField(_("source"), max_length=400)
    url = models.URLField(_("source address"), max_length=400)

    class Meta:
        ordering = ["term__sort_order", "term__slug"]
        verbose_name = _("self-care advice")
        verbose_name_plural = _("self-care advice")

    def __str__(self):
        return str(self.term)

    @property
    def text(self):
        """The advice in the active language."""
        if (get_language() or "en").startswith("fr"):
            return self.text_fr or self.text_en
        return self.text_en


class ExpectedFrequency(models.Model):
    """How often an expected side effect occurs in one labelled indication's trials.

    An expected side effect with rows here is expected, for a course whose indication is one
    of the therapy's labelled indications, only in the indications listed; one without rows
    (a warning, or a therapy-wide figure) is expected whatever the indication.
    """

    expected = models.ForeignKey(
        ExpectedSideEffect, on_delete=models.CASCADE, related_name="frequencies"
    )
    indication = models.SlugField(_("indication"))
    frequency_percent = models.DecimalField(
        _("frequency (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    comparator_percent = models.DecimalField(
        _("placebo or comparator (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    frequency_band = models.CharField(
        _("frequency band"), max_length=12, choices=FrequencyBand.choices
    )
    source = models.CharField(_("source"), max_length=400)
    note = models.CharField(_("note"), max_length=400, blank=True)

    class Meta:
        ordering = ["expected", "indication"]
        constraints = [
            models.UniqueConstraint(
                fields=["expected", "indication"], name="unique_expected_frequency_indication"
            ),
        ]
        verbose_name = _("frequency in one indication")
        verbose_name_plural = _("frequencies by indication")

    def __str__(self):
        return f"{self.expected} ({self.indication})"
