"""Clinical records: patients, care teams, courses, doses, visits, symptom reports and flags.

Every model a user can reach has a QuerySet with `visible_to(user)`; views and the API fetch
only through it. Clinical records keep their history (django-simple-history) and are marked
"entered in error" instead of being deleted.
"""

import datetime
import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from therapies.citations import cite_sources
from therapies.models import SideEffectTerm, Therapy

from . import flag_text, ranges, schedule, source_text, validators


class Role(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    PATIENT = "patient", _("Patient")
    ADMINISTRATOR = "administrator", _("Administrator")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CLINICIAN)
    profession = models.CharField(
        _("profession"), max_length=60, blank=True, help_text=_("For example physician or nurse.")
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    is_physician = models.BooleanField(
        _("physician"),
        default=False,
        help_text=_("Physicians may lift the discontinuation of a high-dose IL-2 course."),
    )

    @property
    def is_clinician(self):
        return self.role == Role.CLINICIAN

    @property
    def is_patient(self):
        return self.role == Role.PATIENT

    @property
    def sees_everything(self):
        """Administrators see every record (catalog upkeep, cohort exports)."""
        return self.is_superuser or self.role == Role.ADMINISTRATOR


class AccountEvent(models.Model):
    """What happened to an account's security, with who and when and never a secret (no code,
    key, link or password): two-factor authentication turned on or off, an invitation sent, a
    wrong date of birth given on the invitation's page (their count limits the tries)."""

    class Kind(models.TextChoices):
        TWO_FACTOR_ON = "two_factor_on", _("Two-factor authentication turned on")
        TWO_FACTOR_OFF = "two_factor_off", _("Two-factor authentication turned off")
        INVITATION_SENT = "invitation_sent", _("Invitation sent")
        BIRTH_DATE_REFUSED = "birth_date_refused", _("Wrong date of birth on the invitation")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="account_events", verbose_name=_("account")
    )
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("account event")
        verbose_name_plural = _("account events")

    def __str__(self):
        return f"{self.kind} user={self.user_id}"


class WriteWindow(models.Model):
    """One user's recent writes of one kind (tracker/throttling.py): the times, in seconds since
    the epoch, of those still inside the rate limit's window. A write is counted only if the row's
    version is still the one it read (and the version moves on with it), so writes sent at once
    are counted one after the other and never more than the limit get through."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=32)
    times = models.JSONField(default=list)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope"], name="one_write_window_per_kind")
        ]
        verbose_name = _("recent writes")
        verbose_name_plural = _("recent writes")

    def __str__(self):
        return f"{self.scope} user={self.user_id}"


def _nothing_for(user):
    return user is None or not user.is_authenticated


class NoDeleteQuerySet(models.QuerySet):
    """Clinical data is never deleted, not even in bulk (which would skip model.delete())."""

    def delete(self):
        raise ValidationError(
            _("Clinical records are not deleted; mark them as entered in error instead.")
        )

    delete.queryset_only = True


class Weekday(models.IntegerChoices):
    # Python's numbering (datetime.weekday()), which tracker.schedule reads.
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def weekdays_monday_to_friday():
    return [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]


def _validate_open_days(value):
    if not isinstance(value, list) or any(day not in Weekday.values for day in value):
        raise ValidationError(_("Choose open days among Monday to Sunday."))


class CareTeam(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    phone = models.CharField(
        _("phone number for patients"),
        max_length=40,
        blank=True,
        help_text=_("Shown to patients when a report may need hospitalization."),
    )
    # When someone reads the patients' reports, in the clinic's time zone (settings.TIME_ZONE).
    # Outside these hours patients are told when the team will look, and given the
    # out-of-hours number instead of the team's.
    open_days = models.JSONField(
        _("open days"), default=weekdays_monday_to_friday, validators=[_validate_open_days]
    )
    opens_at = models.TimeField(_("opens at"), default=datetime.time(8, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(18, 0))
    out_of_hours_phone = models.CharField(
        _("out-of-hours phone number for patients"),
        max_length=40,
        blank=True,
        help_text=_(
            "Given to patients when the care team is closed, for example the ward or the "
            "on-call service."
        ),
    )
    # Escalation of urgent flags nobody has acknowledged in time (manage.py escalate_flags).
    on_call_emails = models.TextField(
        _("on-call e-mail addresses"),
        blank=True,
        help_text=_(
            "One address per line (or separated by commas): told when an urgent flag has not "
            "been acknowledged within its response target."
        ),
    )
    escalation_webhook_url = models.URLField(
        _("escalation webhook URL"),
        blank=True,
        help_text=_(
            "Optional: a pager or chat system receives a POST with the flag's id, level and "
            "link (no clinical values)."
        ),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="care_teams",
        blank=True,
        limit_choices_to={"role": Role.CLINICIAN},
        verbose_name=_("clinicians"),
    )
    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        ordering = ["name"]
        verbose_name = _("care team")
        verbose_name_plural = _("care teams")

    def __str__(self):
        return self.name

    @property
    def phone_for_patients(self):
        return self.phone or settings.CLINIC_PHONE

    @property
    def out_of_hours_phone_for_patients(self):
        return self.out_of_hours_phone or settings.CLINIC_OUT_OF_HOURS_PHONE

    def clean(self):
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("Closing time comes after opening time.")})
        for address in self.on_call_addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {
                        "on_call_emails": _("“%(value)s” is not an e-mail address.")
                        % {"value": address}
                    }
                ) from None

    def opening_hours(self) -> schedule.OpeningHours:
        return schedule.OpeningHours(
            open_days=frozenset(self.open_days), opens_at=self.opens_at, closes_at=self.closes_at
        )

    def is_open(self, at=None) -> bool:
        """Open at `at` (now by default), read in the clinic's time zone."""
        return schedule.is_open(self.opening_hours(), timezone.localtime(at))

    def next_opening(self, at=None):
        """When the team next opens after `at` (now by default), or None if it never does."""
        return schedule.next_opening(self.opening_hours(), timezone.localtime(at))

    @property
    def opening_hours_in_words(self) -> str:
        """For example "Monday to Friday, 08:00 to 18:00", in the active language."""
        days = sorted(self.open_days)
        names = dict(Weekday.choices)
        if not days:
            return gettext("closed every day")
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            day_words = gettext("%(first)s to %(last)s") % {
                "first": names[days[0]],
                "last": names[days[-1]],
            }
        else:
            day_words = ", ".join(str(names[day]) for day in days)
        return gettext("%(days)s, %(opens)s to %(closes)s") % {
            "days": day_words,
            "opens": self.opens_at.strftime("%H:%M"),
            "closes": self.closes_at.strftime("%H:%M"),
        }

    @property
    def on_call_addresses(self) -> list[str]:
        return [a for a in re.split(r"[\s,;]+", self.on_call_emails) if a]

    def phone_now(self, at=None):
        """The number a patient should call at `at`: the team's while it is open, the
        out-of-hours number when it is closed."""
        return self.phone_for_patients if self.is_open(at) else self.out_of_hours_phone_for_patients


class PatientQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        if _nothing_for(user):
            return self.none()
        if user.sees_everything:
            return self
        if user.is_clinician:
            # Subqueries, not joins: an OR across the members join would repeat a patient
            # once per team member.
            my_teams = CareTeam.objects.filter(members=user).values("pk")
            on_team_courses = Course.objects.filter(care_team__in=my_teams).values("patient_id")
            return self.filter(models.Q(care_team__in=my_teams) | models.Q(pk__in=on_team_courses))
        if user.is_patient:
            return self.filter(user=user)
        return self.none()


# A search names a patient by words of their name or MRN; more words than this add nothing.
PATIENT_SEARCH_WORDS = 5


def patient_search(query: str, *, via: str = "") -> models.Q:
    """Every word of `query` must match the patient's MRN, family or given name (contains,
    any case). `via` reaches the patient from another model, e.g. "course__patient__"."""
    condition = models.Q()
    for word in query.split()[:PATIENT_SEARCH_WORDS]:
        condition &= (
            models.Q(**{f"{via}mrn__icontains": word})
            | models.Q(**{f"{via}family_name__icontains": word})
            | models.Q(**{f"{via}given_name__icontains": word})
        )
    return condition


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mrn = models.CharField(_("medical record number"), max_length=40, unique=True)
    given_name = models.CharField(_("given name"), max_length=120)
    family_name = models.CharField(_("family name"), max_length=120)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The language the care team speaks with the patient; their portal invitation starts in it.
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    care_team = models.ForeignKey(
        CareTeam, on_delete=models.PROTECT, related_name="patients", verbose_name=_("care team")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient_record",
        limit_choices_to={"role": Role.PATIENT},
        verbose_name=_("patient account"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def __str__(self):
        return f"{self.family_name.upper()}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self):
        return self.name_of(self.given_name, self.family_name)

    @staticmethod
    def name_of(given_name, family_name):
        """A patient's full name from its two parts (lists that read the columns alone)."""
        return f"{given_name} {family_name}"

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Patients are not deleted; their records stay with their history."))


class CourseQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        if _nothing_for(user):
            return self.none()
        if user.sees_everything:
            return self
        if user.is_clinician:
            return self.filter(care_team__members=user)
        if user.is_patient:
            return self.filter(patient__user=user)
        return self.none()

    def current(self):
        """Without the courses marked entered in error (they stay, marked, in history)."""
        return self.filter(entered_in_error=False)

    def active(self):
        # A course entered in error (wrong patient or therapy) is never running: it leaves
        # the not-reported list, the reminders and every list of running courses.
        return self.filter(status=CourseStatus.ACTIVE, entered_in_error=False)

    def with_last_report(self):
        """Each course with `last_reported_at`: the time of its latest report that is not
        entered in error (None before the first). `Course.report_due()` reads it.

        A subquery per course that reads the latest of its reports from the index on (course,
        reported_at), not an aggregate over every report of every course."""
        latest = (
            SymptomReport.objects.filter(course=models.OuterRef("pk"), entered_in_error=False)
            .order_by("-reported_at")
            .values("reported_at")[:1]
        )
        return self.annotate(last_reported_at=models.Subquery(latest))

    def with_open_flag_counts(self):
        """Each course with `open_urgent`, `open_review` and `open_info`: how many of its flags
        are open at each level (one aggregate over a join)."""
        return self.annotate(
            **{
                f"open_{level}": models.Count(
                    "flags",
                    filter=models.Q(flags__status=FlagStatus.OPEN, flags__level=level),
                )
                for level in (FlagLevel.URGENT, FlagLevel.REVIEW, FlagLevel.INFO)
            }
        )


class CourseStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped early")


def _creatinine_uln_default():
    return settings.CREATININE_ULN_MG_DL


def _platelets_lln_default():
    return settings.PLATELETS_LLN_10E9_PER_L


class Course(models.Model):
    """One patient's course of one therapy, with the baselines the rules compare against."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="courses", verbose_name=_("patient")
    )
    therapy = models.ForeignKey(
        Therapy, on_delete=models.PROTECT, related_name="courses", verbose_name=_("therapy")
    )
    care_team = models.ForeignKey(
        CareTeam, on_delete=models.PROTECT, related_name="courses", verbose_name=_("care team")
    )
    indication = models.CharField(_("indication"), max_length=200, blank=True)
    regimen = models.TextField(_("regimen"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CourseStatus.choices, default=CourseStatus.ACTIVE
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    baseline_weight_kg = models.DecimalField(
        _("baseline weight (kg)"), **ranges.WEIGHT_KG.field_kwargs()
    )
    baseline_systolic_bp = models.PositiveSmallIntegerField(
        _("baseline systolic BP (mmHg)"), **ranges.SYSTOLIC_BP.field_kwargs()
    )
    baseline_diastolic_bp = models.PositiveSmallIntegerField(
        _("baseline diastolic BP (mmHg)"), **ranges.DIASTOLIC_BP.field_kwargs()
    )
    baseline_heart_rate = models.PositiveSmallIntegerField(
        _("baseline heart rate (/min)"), **ranges.HEART_RATE.field_kwargs()
    )
    baseline_temperature_c = models.DecimalField(
        _("baseline temperature (°C)"), **ranges.TEMPERATURE_C.field_kwargs()
    )
    baseline_creatinine_mg_dl = models.DecimalField(
        _("baseline creatinine (mg/dL)"), **ranges.CREATININE_MG_DL.field_kwargs()
    )
    creatinine_uln_mg_dl = models.DecimalField(
        _("creatinine upper limit of normal (mg/dL)"),
        max_digits=4,
        decimal_places=2,
        default=_creatinine_uln_default,
        validators=[MinValueValidator(Decimal("0.3")), MaxValueValidator(Decimal("3"))],
    )
    platelets_lln_10e9_per_l = models.DecimalField(
        _("platelets lower limit of normal (×10⁹/L)"),
        max_digits=5,
        decimal_places=1,
        default=_platelets_lln_default,
        validators=[MinValueValidator(50), MaxValueValidator(300)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A course created for the wrong patient or therapy: kept, marked, with its history; its
    # flags are withdrawn and it leaves every list of running courses.
    entered_in_error = models.BooleanField(_("entered in error"), default=False)
    entered_in_error_reason = models.CharField(
        _("why it was entered in error"), max_length=300, blank=True
    )
    history = HistoricalRecords()

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self):
        return f"{self.therapy} – {self.patient.full_name} ({self.start_date:%Y-%m-%d})"

    @property
    def regimen_text(self):
        """The course's regimen as a person reads it: the catalog's regimen in the active
        language where the course keeps it unchanged, the clinician's own words otherwise; the
        catalog's source keys shown as their citations."""
        own = (self.regimen or "").strip()
        if not own or self.therapy.is_catalog_regimen(own):
            return self.therapy.regimen_text
        return cite_sources(own)

    @property
    def last_report_on(self):
        """The clinic's local date of the latest report not entered in error, or None (needs
        `Course.objects.with_last_report()`)."""
        last = self.last_reported_at
        return timezone.localtime(last).date() if last else None

    def report_due(self):
        """The date the next report is due (tracker/schedule.py), from the latest report (needs
        `Course.objects.with_last_report()`)."""
        return schedule.next_report_due(
            start_date=self.start_date, last_report_on=self.last_report_on
        )

    def report_overdue(self, today):
        """The due day has passed without a report (needs `with_last_report()`)."""
        return schedule.is_overdue(
            start_date=self.start_date, last_report_on=self.last_report_on, today=today
        )

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Courses are not deleted; stop or complete them instead."))

    def clean(self):
        errors = {}
        try:
            validators.course_start(self.start_date)
        except ValidationError as error:
            errors["start_date"] = error.messages
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = [_("The end date is before the start date.")]
        if self.entered_in_error and not self.entered_in_error_reason.strip():
            errors["entered_in_error_reason"] = [_("Say why.")]
        if errors:
            raise ValidationError(errors)


class ClinicalRecordQuerySet(NoDeleteQuerySet):
    """Records that hang off a course: scoped through the course."""

    def visible_to(self, user):
        return self.filter(course__in=Course.objects.visible_to(user))

    def current(self):
        """Without the records marked entered in error (they stay in history and exports)."""
        return self.filter(entered_in_error=False)


class ClinicalRecord(models.Model):
    """Common fields of records that are corrected, never deleted."""

    entered_in_error = models.BooleanField(_("entered in error"), default=False)
    entered_in_error_reason = models.CharField(
        _("why it was entered in error"), max_length=300, blank=True
    )

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise ValidationError(
            _("Clinical records are not deleted; mark them as entered in error instead.")
        )


class Vitals(models.Model):
    """The measurements a patient can take at home; a visit adds the ward's and the lab's."""

    temperature_c = models.DecimalField(
        _("temperature (°C)"), **ranges.TEMPERATURE_C.field_kwargs()
    )
    systolic_bp = models.PositiveSmallIntegerField(
        _("systolic BP (mmHg)"), **ranges.SYSTOLIC_BP.field_kwargs()
    )
    diastolic_bp = models.PositiveSmallIntegerField(
        _("diastolic BP (mmHg)"), **ranges.DIASTOLIC_BP.field_kwargs()
    )
    heart_rate = models.PositiveSmallIntegerField(
        _("heart rate (/min)"), **ranges.HEART_RATE.field_kwargs()
    )
    weight_kg = models.DecimalField(_("weight (kg)"), **ranges.WEIGHT_KG.field_kwargs())

    class Meta:
        abstract = True


class DoseStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    GIVEN = "given", _("Given")
    HELD = "held", _("Held")


class DoseAdministration(ClinicalRecord):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="doses")
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    scheduled_at = models.DateTimeField(_("scheduled for"))
    status = models.CharField(
        _("status"), max_length=10, choices=DoseStatus.choices, default=DoseStatus.SCHEDULED
    )
    administered_at = models.DateTimeField(_("given at"), null=True, blank=True)
    dose_amount = models.DecimalField(
        _("dose"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    dose_unit = models.CharField(_("unit"), max_length=20, blank=True)
    reason = models.CharField(_("reason held"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "dose_number"]
        constraints = [
            # A dose entered in error gives its number back: the dose can be recorded again
            # with the right number (the wrong row stays, marked, with its history).
            models.UniqueConstraint(
                fields=["course", "dose_number"],
                condition=models.Q(entered_in_error=False),
                name="unique_dose_number",
                violation_error_message=_("This dose number is already recorded."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="held") | ~models.Q(reason=""),
                name="held_dose_has_reason",
            ),
        ]
        verbose_name = _("dose")
        verbose_name_plural = _("doses")

    def __str__(self):
        return f"#{self.dose_number} {self.get_status_display()}"

    def clean(self):
        if self.status == DoseStatus.HELD and not self.reason.strip():
            raise ValidationError({"reason": _("Say why the dose was held.")})


class MentalStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    CHANGED = "changed", _("Changed")


class Vasopressor(models.TextChoices):
    NONE = "none", _("None in use")
    PHENYLEPHRINE = "phenylephrine", _("Phenylephrine")
    NOREPINEPHRINE = "norepinephrine", _("Norepinephrine")
    DOPAMINE = "dopamine", _("Dopamine")
    EPINEPHRINE = "epinephrine", _("Epinephrine")
    VASOPRESSIN = "vasopressin", _("Vasopressin")
    OTHER = "other", _("Other vasopressor")


class Visit(ClinicalRecord, Vitals):
    """A clinician's assessment at one time: vitals, labs, graded adverse events, notes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="visits")
    recorded_at = models.DateTimeField(_("assessed at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    spo2 = models.DecimalField(_("SpO₂ (%)"), **ranges.SPO2.field_kwargs())
    urine_output_ml_8h = models.PositiveIntegerField(
        _("urine output over 8 h (mL)"), **ranges.URINE_ML_8H.field_kwargs()
    )
    platelets_10e9_per_l = models.DecimalField(
        _("platelets (×10⁹/L)"), **ranges.PLATELETS.field_kwargs()
    )
    creatinine_mg_dl = models.DecimalField(
        _("creatinine (mg/dL)"), **ranges.CREATININE_MG_DL.field_kwargs()
    )
    # What the high-dose IL-2 dose advice needs beyond the numbers (PRODUCT.md §4 and §7); blank
    # or null means not assessed, never "normal".
    mental_status = models.CharField(
        _("mental status"), max_length=8, choices=MentalStatus.choices, blank=True
    )
    vasopressor = models.CharField(
        _("vasopressor"), max_length=16, choices=Vasopressor.choices, blank=True
    )
    vasopressor_dose_ug_kg_min = models.DecimalField(
        _("vasopressor dose (µg/kg/min)"), **ranges.VASOPRESSOR_UG_KG_MIN.field_kwargs()
    )
    oxygen_l_min = models.DecimalField(
        _("oxygen flow (L/min)"), **ranges.OXYGEN_L_MIN.field_kwargs()
    )
    heart_rate_persists_after_correction = models.BooleanField(
        _("heart rate persists after correcting hypotension and fever"), null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    dose_advice = models.JSONField(_("dose advice"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["course", "recorded_at"])]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self):
        return f"{_('Visit')} {timezone.localtime(self.recorded_at):%Y-%m-%d %H:%M}"

    def clean(self):
        in_use = self.vasopressor not in ("", Vasopressor.NONE)
        if self.vasopressor_dose_ug_kg_min is not None and not in_use:
            raise ValidationError({"vasopressor": _("Name the vasopressor whose dose is given.")})


class DoseAdviceOverride(models.Model):
    """A physician lifts a high-dose IL-2 course's discontinuation, with a reason.

    The dose advice then reads only the assessments made after it (tracker.rules). Never
    deleted; its history keeps who, when and why.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="dose_advice_overrides"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500)
    history = HistoricalRecords()

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        ordering = ["course", "recorded_at"]
        verbose_name = _("dose advice override")
        verbose_name_plural = _("dose advice overrides")

    def __str__(self):
        return f"{_('Override')} {timezone.localtime(self.recorded_at):%Y-%m-%d %H:%M}"

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Clinical records are not deleted."))


class Attribution(models.TextChoices):
    UNRELATED = "unrelated", _("Unrelated")
    UNLIKELY = "unlikely", _("Unlikely")
    POSSIBLE = "possible", _("Possible")
    PROBABLE = "probable", _("Probable")
    DEFINITE = "definite", _("Definite")


class AdverseEventAction(models.TextChoices):
    NONE = "none", _("No change")
    DOSE_HELD = "dose_held", _("Dose held")
    DOSE_DELAYED = "dose_delayed", _("Dose delayed")
    DISCONTINUED = "discontinued", _("Therapy discontinued")
    TREATED = "treated", _("Treated, therapy continued")


class Seriousness(models.TextChoices):
    """The criteria of a serious adverse event (ICH E2A, section II.B; FHIR
    adverse-event-seriousness-criteria in the code system of tracker/exports/fhir.py)."""

    DEATH = "death", _("Results in death")
    LIFE_THREATENING = "life_threatening", _("Life-threatening")
    HOSPITALIZATION = "hospitalization", _("Hospitalization or its prolongation")
    DISABILITY = "disability", _("Persistent or significant disability")
    CONGENITAL_ANOMALY = "congenital_anomaly", _("Congenital anomaly or birth defect")
    OTHER_IMPORTANT = "other_important", _("Other important medical event")


class AdverseEventOutcome(models.TextChoices):
    """The outcome of an adverse event (FHIR R4B adverse-event-outcome, with "recovered with
    sequelae" and "unknown" of the CDISC/ICH E2B outcome list)."""

    RECOVERING = "recovering", _("Recovering")
    RECOVERED = "recovered", _("Recovered")
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", _("Recovered with sequelae")
    NOT_RECOVERED = "not_recovered", _("Not recovered")
    FATAL = "fatal", _("Fatal")
    UNKNOWN = "unknown", _("Unknown")


class AdverseEventQuerySet(ClinicalRecordQuerySet):
    def visible_to(self, user):
        return self.filter(visit__course__in=Course.objects.visible_to(user))

    def current(self):
        return self.filter(entered_in_error=False, visit__entered_in_error=False)


class AdverseEvent(ClinicalRecord):
    """A CTCAE v5.0-graded adverse event recorded at a visit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="adverse_events")
    term = models.ForeignKey(SideEffectTerm, on_delete=models.PROTECT, related_name="+")
    grade = models.PositiveSmallIntegerField(
        _("CTCAE grade"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    # Attribution and action are chosen by the clinician on every form and in the API: a
    # default ("possible", "no change") would be recorded when nobody decided and skew the
    # data a research coordinator reports. Rows saved before keep their values.
    attribution = models.CharField(_("attribution"), max_length=10, choices=Attribution.choices)
    action = models.CharField(_("action taken"), max_length=14, choices=AdverseEventAction.choices)
    # ICH E2A seriousness criteria; none chosen means the event is not serious.
    seriousness = models.JSONField(_("seriousness"), default=list, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=24, choices=AdverseEventOutcome.choices, blank=True
    )
    onset_date = models.DateField(_("onset"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    ongoing = models.BooleanField(_("ongoing"), default=False)
    expected = models.BooleanField(_("expected with this therapy"))
    history = HistoricalRecords()

    objects = AdverseEventQuerySet.as_manager()

    class Meta:
        ordering = ["visit", "term__sort_order"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__gte=1, grade__lte=5), name="ae_grade_1_to_5"
            ),
        ]
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")

    def __str__(self):
        return f"{self.term.ctcae_term} G{self.grade}"

    def clean(self):
        super().clean()
        # CTCAE v5.0 defines some grades only (nausea 1-3, hypoxia 2-5...): the others are
        # refused here, where the visit form, the correction form, the API and the services
        # all end up (SideEffectTerm.grade_error).
        term = self.term if self.term_id else None
        error = term.grade_error(self.grade) if term is not None else None
        if error:
            raise ValidationError({"grade": error})
        unknown = [c for c in self.seriousness or [] if c not in Seriousness.values]
        if unknown or not isinstance(self.seriousness, list):
            raise ValidationError({"seriousness": _("Choose seriousness criteria from the list.")})
        if self.ongoing and self.end_date:
            raise ValidationError(
                {
                    "end_date": _(
                        "An ongoing adverse event has no end date: choose one or the other."
                    )
                }
            )
        if self.end_date and self.onset_date and self.end_date < self.onset_date:
            raise ValidationError({"end_date": _("The end date is before the onset.")})

    @property
    def is_serious(self):
        return bool(self.seriousness)

    def get_seriousness_display(self):
        labels = dict(Seriousness.choices)
        return ", ".join(str(labels.get(c, c)) for c in self.seriousness or [])


class ReportSource(models.TextChoices):
    PATIENT = "patient", _("The patient")
    CLINICIAN = "clinician", _("A clinician on the patient's behalf")


class RecallPeriod(models.TextChoices):
    # PRO-CTCAE standard recall is the past 7 days (NCI PRO-CTCAE FAQ).
    LAST_7_DAYS = "7d", _("The last 7 days")
    SINCE_LAST = "since_last", _("Since the last report")


class SymptomReport(ClinicalRecord, Vitals):
    """A patient's answers (PRO-CTCAE style) and optional home measurements."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="reports")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    source = models.CharField(
        _("reported by"), max_length=10, choices=ReportSource.choices, default=ReportSource.PATIENT
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    recall_period = models.CharField(
        _("recall period"),
        max_length=12,
        choices=RecallPeriod.choices,
        default=RecallPeriod.LAST_7_DAYS,
    )
    spo2 = models.DecimalField(_("SpO₂ (%)"), **ranges.SPO2.field_kwargs())
    note = models.TextField(_("anything else"), blank=True, max_length=2000)
    # The emergency signs (tracker.rules.emergency_signs) among the report's answers and
    # measurements when it was saved or last corrected: the answer page shows them to the patient.
    emergency_signs = models.JSONField(
        _("emergency signs"), default=list, blank=True, editable=False
    )
    # The key a phone sends with a report filled in while offline (or an API client's
    # Idempotency-Key): the same key again answers this report instead of recording a second.
    client_id = models.UUIDField(_("sending key"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["course", "reported_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="one_report_per_sending_key",
            )
        ]
        verbose_name = _("symptom report")
        verbose_name_plural = _("symptom reports")

    def __str__(self):
        return f"{_('Report')} {timezone.localtime(self.reported_at):%Y-%m-%d %H:%M}"


class ReportPhotoQuerySet(ClinicalRecordQuerySet):
    def visible_to(self, user):
        return self.filter(report__course__in=Course.objects.visible_to(user))

    def current(self):
        return self.filter(entered_in_error=False, report__entered_in_error=False)


class PhotoSubject(models.TextChoices):
    RASH = "rash", _("A rash or skin change")
    INJECTION_SITE = "injection_site", _("The injection site")
    SWELLING = "swelling", _("A swelling")
    OTHER = "other", _("Something else")


def _photo_path(photo, filename):
    # A name that says nothing about the patient; the original file name is not kept.
    return f"reports/{photo.report_id}/{photo.id}.jpg"


def _photo_storage():
    from .photos import get_photo_storage

    return get_photo_storage()


class ReportPhoto(ClinicalRecord):
    """A photo the patient added to a report, re-encoded without its metadata (tracker/photos.py)
    and kept in the private photo storage. Marked entered in error, never deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(SymptomReport, on_delete=models.PROTECT, related_name="photos")
    subject = models.CharField(
        _("what the photo shows"), max_length=20, choices=PhotoSubject.choices
    )
    file = models.FileField(
        _("photo"), storage=_photo_storage, upload_to=_photo_path, max_length=200, editable=False
    )
    content_type = models.CharField(_("content type"), max_length=40, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), editable=False)
    width = models.PositiveIntegerField(_("width (px)"), editable=False)
    height = models.PositiveIntegerField(_("height (px)"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    objects = ReportPhotoQuerySet.as_manager()

    class Meta:
        ordering = ["report", "uploaded_at"]
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")

    def __str__(self):
        return f"{self.get_subject_display()} {timezone.localtime(self.uploaded_at):%Y-%m-%d %H:%M}"

    @property
    def alt_text(self):
        return gettext("Photo sent by the patient: %(subject)s, %(when)s") % {
            "subject": self.get_subject_display().lower(),
            "when": formats.date_format(
                timezone.localtime(self.uploaded_at), "SHORT_DATETIME_FORMAT"
            ),
        }

    @property
    def download_name(self):
        """A safe file name for the browser: letters, digits and dashes only."""
        return f"photo-{timezone.localtime(self.uploaded_at):%Y%m%d-%H%M}-{self.subject}.jpg"


def _score_field(label):
    # PRO-CTCAE response scores 0-4 (NCI PRO-CTCAE; ProAE coding).
    return models.PositiveSmallIntegerField(
        label, null=True, blank=True, validators=[MaxValueValidator(4)]
    )


class SymptomAnswerQuerySet(ClinicalRecordQuerySet):
    def visible_to(self, user):
        return self.filter(report__course__in=Course.objects.visible_to(user))

    def current(self):
        return self.filter(entered_in_error=False, report__entered_in_error=False)


class SymptomAnswer(ClinicalRecord):
    report = models.ForeignKey(SymptomReport, on_delete=models.PROTECT, related_name="answers")
    term = models.ForeignKey(SideEffectTerm, on_delete=models.PROTECT, related_name="+")
    frequency = _score_field(_("how often"))
    severity = _score_field(_("how severe"))
    interference = _score_field(_("interference with daily activities"))
    present = models.BooleanField(_("present"), null=True, blank=True)
    composite_grade = models.PositiveSmallIntegerField(
        _("PRO-CTCAE composite grade"), null=True, blank=True
    )
    expected = models.BooleanField(_("expected with this therapy"))
    history = HistoricalRecords()

    objects = SymptomAnswerQuerySet.as_manager()

    class Meta:
        ordering = ["report", "term__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "term"], name="one_answer_per_term"),
        ]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self):
        return f"{self.term.slug}: {self.composite_grade}"

    def clean(self):
        """Check the answer against what its PRO-CTCAE item asks (PRODUCT.md §6).

        Branching follows PRO-CTCAE: when the first question is answered "never"/"none" the
        later ones are skipped (scored 0); otherwise every question of the item is needed.
        """
        term = self.term
        if not term.is_reportable:
            raise ValidationError(
                {"term": _("“%(term)s” is not a symptom patients report.") % {"term": term.slug}}
            )
        scores = {name: getattr(self, name) for name in ("frequency", "severity", "interference")}
        errors = {}
        for name, value in scores.items():
            if value is not None and name not in term.attributes:
                errors[name] = _("This symptom has no “%(attribute)s” question.") % {
                    "attribute": name
                }
        if term.is_presence:
            if self.present is None:
                errors["present"] = _("Answer yes or no.")
        else:
            if self.present is not None:
                errors["present"] = _("This symptom is not a yes/no question.")
            first, *later = term.attributes
            if scores[first] is None:
                errors[first] = _("This answer is required.")
            elif scores[first] == 0:
                for name in later:
                    if scores[name]:
                        errors[name] = _(
                            "Leave this empty: the first answer was “never” or “none”."
                        )
            else:
                for name in later:
                    if scores[name] is None and name not in errors:
                        errors[name] = _("This answer is required.")
        if errors:
            raise ValidationError(errors)


class FlagLevel(models.TextChoices):
    # Values are the API's words (PRODUCT.md §4); labels are what people read.
    INFO = "info", _("Expected, logged")
    REVIEW = "review", _("Review today")
    URGENT = "urgent", _("May need hospitalization")


# The levels most urgent first: the order of `FlagQuerySet.by_urgency()`.
URGENCY = (FlagLevel.URGENT, FlagLevel.REVIEW, FlagLevel.INFO)


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class FlagQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        return self.filter(course__in=Course.objects.visible_to(user))

    def current(self):
        """The flags that count: not raised by a report or visit entered in error, nor
        withdrawn (raised for an adverse event or an answer entered in error, or by a value
        since corrected). The course summary and the exports count these."""
        return (
            self.exclude(report__entered_in_error=True)
            .exclude(visit__entered_in_error=True)
            .exclude(withdrawn=True)
        )

    def open(self):
        return self.filter(status=FlagStatus.OPEN)

    def unresolved(self):
        # Stated exactly as the condition of the partial index `flag_unresolved_idx`: SQLite
        # and PostgreSQL use a partial index only for a query that repeats its condition
        # (SQLite did not for `status IN ('open', 'acknowledged')`).
        return self.exclude(status=FlagStatus.RESOLVED)

    def by_urgency(self):
        """Urgent first, then review, then info; newest first within a level."""
        order = models.Case(
            *(models.When(level=level, then=rank) for rank, level in enumerate(URGENCY[:-1])),
            default=len(URGENCY) - 1,
        )
        return self.order_by(order, "-created_at")

    def count_by_urgency(self):
        """How many of these flags there are in each rank of `by_urgency()`: a list, most
        urgent first, one query (COUNT(CASE …), as `waiting_counts` and for its reason).

        With `of_urgency()` on the ranks a page spans, a list in `by_urgency()` order sorts
        only those ranks' flags (the API's flag list: its first pages sort the urgent flags
        alone, a fourteenth of a team's)."""
        counts = self.aggregate(
            total=models.Count("*"),  # COUNT(*): from the index alone on SQLite too
            **{
                level: models.Count(models.Case(models.When(level=level, then=1)))
                for level in URGENCY[:-1]
            },
        )
        ranked = [counts[level] for level in URGENCY[:-1]]
        return [*ranked, counts["total"] - sum(ranked)]

    def of_urgency(self, ranks):
        """The flags of these ranks of `by_urgency()` (0: urgent; the last: every other)."""
        if set(ranks) >= set(range(len(URGENCY))):
            return self
        condition = models.Q()
        for rank in ranks:
            if rank < len(URGENCY) - 1:
                condition |= models.Q(level=URGENCY[rank])
            else:
                condition |= ~models.Q(level__in=URGENCY[:-1])
        return self.filter(condition)

    def waiting_counts(self):
        """Of these unresolved flags: how many, and how many are open and urgent. One query,
        read from the `flag_unresolved_idx` index alone (course by course, not the network's).
        """
        # COUNT(CASE …) rather than COUNT(…) FILTER (WHERE …): with the latter SQLite (without
        # statistics) walks the network's unresolved flags by the status index instead.
        return self.aggregate(
            unresolved=models.Count("pk"),
            open_urgent=models.Count(
                models.Case(models.When(status=FlagStatus.OPEN, level=FlagLevel.URGENT, then=1))
            ),
        )


class FlagOutcome(models.TextChoices):
    """What was done about an urgent flag, chosen when it is resolved."""

    CALLED_PATIENT = "called_patient", _("Called the patient")
    ADVISED_ED = "advised_ed", _("Advised the emergency department")
    ADMITTED = "admitted", _("Admitted")
    DOSE_HELD = "dose_held", _("Dose held")
    NO_ACTION = "no_action", _("Reviewed, no action needed")
    OTHER = "other", _("Other")


class FlagTransitionError(Exception):
    """A flag was asked to move in a way its workflow does not allow."""


class Flag(models.Model):
    """The system's judgement on one report, visit or course, explained.

    A flag never changes its judgement and is never deleted; only its workflow state moves
    (open → acknowledged → resolved), each step with who, when and a note.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed first in `flag_course_level_idx` (Meta.indexes) rather than alone: one index
    # serves both a course's flags and the API's list of a team's flags.
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="flags", db_index=False
    )
    report = models.ForeignKey(
        SymptomReport, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    level = models.CharField(_("level"), max_length=8, choices=FlagLevel.choices)
    rule = models.CharField(_("rule"), max_length=60)
    term = models.ForeignKey(SideEffectTerm, on_delete=models.PROTECT, related_name="+")
    ctcae_grade = models.PositiveSmallIntegerField(_("CTCAE grade"), null=True, blank=True)
    composite_grade = models.PositiveSmallIntegerField(
        _("PRO-CTCAE composite grade"), null=True, blank=True
    )
    expected = models.BooleanField(_("expected with this therapy"), null=True)
    value = models.CharField(_("value"), max_length=500)
    threshold = models.CharField(_("threshold"), max_length=200)
    # The explanation as the rules wrote it, in English, kept for audit; people read `message`,
    # rendered from `message_parts` in their own language when shown.
    message_en = models.TextField(_("explanation (English, as raised)"))
    message_parts = models.JSONField(_("explanation parts"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=400)
    # The sources by id as the rules name them (rules.FLAG_SOURCES, "ctcae:<term>",
    # "catalog:<text>"); people read `source_label`, worded from these ids in their language.
    # `source` is the same in English, kept for audit (and read for a flag without ids).
    source_ids = models.JSONField(_("source ids"), default=list, blank=True)
    # The therapy catalog version (therapies/data/catalog.json) that judged the flag; a flag
    # judged again after a catalog change is a new flag with the new version.
    catalog_version = models.CharField(_("catalog version"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN
    )
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_note = models.TextField(blank=True)
    # Who reads the notes: the care team only (default), or the patient too (their pages and
    # API answers show only shared notes).
    acknowledged_note_shared = models.BooleanField(
        _("acknowledgement note shared with the patient"), default=False
    )
    resolved_note_shared = models.BooleanField(
        _("resolution note shared with the patient"), default=False
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=FlagOutcome.choices, blank=True)
    # Its finding no longer holds: its record (or the adverse event it was raised for) was
    # entered in error, or corrected so that the rules no longer find the same thing. The flag
    # stays, with its history, but no longer counts in grades, side effects, charts and
    # exports, like the flags of a visit or report entered in error.
    withdrawn = models.BooleanField(
        _("withdrawn (record corrected or entered in error)"), default=False
    )
    history = HistoricalRecords()

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "level", "created_at"]),
            # A course's flags, and the API's list of a team's flags: counted per level from
            # the index alone, and sorted most urgent first one level at a time (the urgent
            # flags first: `FlagQuerySet.count_by_urgency`), so that a first page reads a
            # fourteenth of the team's flags, never the network's. As small as an index on the
            # course alone (PostgreSQL keeps each (course, level) once with its rows' ids).
            models.Index(fields=["course", "level"], name="flag_course_level_idx"),
            # The triage queue's: a care team's unresolved flags (a twentieth of all flags)
            # found course by course, their state and order read from the index without the
            # table (the id makes it covering), so the queue and its counts cost the same
            # whatever the size of the network.
            models.Index(
                fields=["course", "status", "level", "created_at", "id"],
                condition=~models.Q(status=FlagStatus.RESOLVED),
                name="flag_unresolved_idx",
            ),
            # The navigation's badge on every clinician page: the team's open urgent flags,
            # looked up course by course in an index of only those (a few hundred rows at
            # clinic scale), four times cheaper than in the queue's index.
            models.Index(
                fields=["course", "status", "level"],
                condition=models.Q(status=FlagStatus.OPEN, level=FlagLevel.URGENT),
                name="flag_open_urgent_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(report__isnull=True) | models.Q(visit__isnull=True),
                name="flag_from_one_record",
            ),
        ]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")

    def __str__(self):
        return f"{self.get_level_display()}: {self.term.ctcae_term}"

    # What the system judged; fixed once raised. Only the workflow fields move.
    JUDGEMENT_FIELDS = (
        "course_id",
        "report_id",
        "visit_id",
        "level",
        "rule",
        "term_id",
        "ctcae_grade",
        "composite_grade",
        "expected",
        "value",
        "threshold",
        "message_en",
        "message_parts",
        "source",
        "source_ids",
        "catalog_version",
        "created_at",
    )

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_judgement", None)
        if loaded is not None and loaded != self._current_judgement():
            raise FlagTransitionError(_("A flag's judgement never changes; raise a new flag."))
        super().save(*args, **kwargs)
        self._judgement = self._current_judgement()

    @classmethod
    def from_db(cls, db, field_names, values):
        flag = super().from_db(db, field_names, values)
        flag._judgement = flag._current_judgement()
        return flag

    def _current_judgement(self):
        return tuple(getattr(self, name, None) for name in self.JUDGEMENT_FIELDS)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Flags are never deleted."))

    # get_level_display() builds the field's choices into a dict, translating every label, on
    # each call; these translate one (the queue shows both on each of its rows).
    @property
    def level_label(self):
        return FlagLevel(self.level).label

    @property
    def status_label(self):
        return FlagStatus(self.status).label

    @property
    def message(self):
        """The explanation in the active language (the English one as raised if its rule has
        no translated wording)."""
        return flag_text.render_message(self)

    @message.setter
    def message(self, english):
        self.message_en = english

    @property
    def rule_label(self):
        """The rule's name for people, in the active language."""
        return flag_text.rule_label(self.rule)

    @property
    def value_label(self):
        return flag_text.measure_text(self.value, names=self.rule == "possible_capillary_leak")

    @property
    def threshold_label(self):
        return flag_text.measure_text(self.threshold)

    @property
    def source_label(self):
        """The flag's sources in the active language (titles as published)."""
        return source_text.render_flag_source(self)

    def acknowledge(self, *, by, note="", shared=False):
        if self.status != FlagStatus.OPEN:
            raise FlagTransitionError(
                _("This flag was already %(status)s.")
                % {"status": self.get_status_display().lower()}
            )
        self.status = FlagStatus.ACKNOWLEDGED
        self.acknowledged_by = by
        self.acknowledged_at = timezone.now()
        self.acknowledged_note = note
        self.acknowledged_note_shared = shared
        self._change_reason = "acknowledged"
        self.save()

    def resolve(self, *, by, note="", change_reason="resolved", outcome="", shared=False):
        if self.status == FlagStatus.RESOLVED:
            raise FlagTransitionError(_("This flag was already resolved."))
        if self.status == FlagStatus.OPEN:
            # Resolving an open flag acknowledges it in the same step, by the same person.
            self.acknowledged_by = by
            self.acknowledged_at = timezone.now()
            self.acknowledged_note = note
            self.acknowledged_note_shared = shared
        self.status = FlagStatus.RESOLVED
        self.resolved_by = by
        self.resolved_at = timezone.now()
        self.resolved_note = note
        self.resolved_note_shared = shared
        self.outcome = outcome
        self._change_reason = change_reason
        self.save()

    def withdraw(self, *, by, note):
        """Its finding no longer holds (record entered in error or corrected): resolved with
        the note if it was not yet, and withdrawn from grades, side effects, charts and exports
        in any case. The note is the history's reason either way."""
        self.withdrawn = True
        if self.status == FlagStatus.RESOLVED:
            self._change_reason = f"withdrawn: {note}"
            self._history_user = by
            self.save()
        else:
            self.resolve(by=by, note=note, change_reason=f"withdrawn: {note}")


# --- Patient portal: report drafts and reminder log -------------------------------------------


class ReportDraftQuerySet(models.QuerySet):
    def fresh(self):
        """Drafts young enough to resume: PRO-CTCAE asks about the last 7 days, so answers
        typed days ago no longer describe today (product choice, see MAX_AGE)."""
        return self.filter(updated_at__gte=timezone.now() - ReportDraft.MAX_AGE)


class ReportDraft(models.Model):
    """A symptom report in progress: what the patient typed at each step, as typed.

    Kept on the server (not in the session) so that it survives an expired session, a closed
    browser or a validation error. Nothing clinical is recorded until the report is sent;
    then the draft is deleted.
    """

    MAX_AGE = datetime.timedelta(hours=24)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_drafts"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="report_drafts")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportDraftQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="one_report_draft_per_course"),
        ]
        verbose_name = _("report draft")
        verbose_name_plural = _("report drafts")

    def __str__(self):
        return f"draft {self.user_id}/{self.course_id}"


class ReminderLog(models.Model):
    """One reporting reminder sent for one due date of a course.

    The unique constraint is what makes `send_reminders` idempotent: the row is inserted in the
    same transaction that sends the e-mail, so a re-run or a concurrent run cannot send twice.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="reminders")
    due_date = models.DateField(_("report due on"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "due_date"], name="one_reminder_per_due_date"
            ),
        ]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")

    def __str__(self):
        return f"reminder {self.course_id} {self.due_date}"


class EscalationStep(models.TextChoices):
    ON_CALL = "on_call", _("On-call contacts")
    PHYSICIANS = "physicians", _("Physicians of the care team")


class EscalationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class EscalationLog(models.Model):
    """One escalation of one urgent flag, for one step and one channel.

    The unique constraint is what makes `escalate_flags` idempotent, as ReminderLog does for
    reminders: the row is inserted in the same transaction that sends, so a re-run or a run on
    another host at the same moment cannot send the same step twice. No clinical values here.
    """

    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="escalations")
    step = models.CharField(_("step"), max_length=12, choices=EscalationStep.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=EscalationChannel.choices)
    recipients = models.PositiveSmallIntegerField(_("recipients"), default=0)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["flag", "step", "channel"], name="one_escalation_per_flag_step_channel"
            ),
        ]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self):
        return f"escalation {self.flag_id} {self.step} {self.channel}"


class RenderedPdf(models.Model):
    """A course's summary PDF rendered ahead of the request (tracker/exports/ahead.py), kept
    under the course's PDF version: a download of an unchanged course serves these bytes.

    One row per language and audience: "all" when the patient's own PDF is the care team's,
    otherwise one "clinician" and one "patient" (the patient's hides notes not shared with
    them). Older versions are deleted when a newer one is stored.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="rendered_pdfs")
    language = models.CharField(max_length=10)
    audience = models.CharField(max_length=10)
    version = models.CharField(max_length=64)
    content = models.BinaryField()
    rendered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "language", "audience", "version"],
                name="one_rendered_pdf_per_course_language_audience_version",
            ),
        ]

    def __str__(self):
        return f"pdf {self.course_id} {self.language} {self.audience} {self.version[:12]}"


class PdfRenderClaim(models.Model):
    """A `render_pdfs` worker rendering a course now: the primary key makes a second host skip
    the course (a claim older than ahead.CLAIM_SECONDS is taken over: its worker died)."""

    course = models.OneToOneField(
        Course, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    claimed_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"pdf claim {self.course_id} {self.claimed_by}"
