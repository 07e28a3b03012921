"""Serializers of the JSON API v1 (PRODUCT.md §7). The field names are a contract."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from therapies.models import ExpectedSideEffect, SideEffectTerm, Therapy

from .. import advice_text, internals, measurements, ranges, services, validators
from ..models import (
    AdverseEvent,
    AdverseEventAction,
    AdverseEventOutcome,
    Attribution,
    CareTeam,
    Course,
    DoseAdministration,
    DoseStatus,
    Flag,
    FlagOutcome,
    MentalStatus,
    Patient,
    ReportPhoto,
    Seriousness,
    SymptomAnswer,
    SymptomReport,
    Vasopressor,
    Visit,
)

# --- Strict JSON types -------------------------------------------------------------------------

# DRF coerces ("12" → 12, 0 → "0", "yes" → True). The contract (the OpenAPI schema) says which
# JSON type each field takes; a client sending another type has a bug we should tell it about.
_JSON_TYPES = (
    (serializers.BooleanField, (bool,), _("Must be true or false.")),
    (serializers.IntegerField, (int,), _("Must be a whole number.")),
    (serializers.DecimalField, (int, float), _("Must be a number.")),
    (serializers.CharField, (str,), _("Must be text.")),
    (serializers.ChoiceField, (str,), _("Must be text.")),
    (serializers.DateField, (str,), _("Must be a date as text (YYYY-MM-DD).")),
    (serializers.DateTimeField, (str,), _("Must be a date and time as text (ISO 8601).")),
    (serializers.RelatedField, (str,), _("Must be text.")),
    (serializers.ListSerializer, (list,), _("Must be a list.")),
)


class StrictTypes:
    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for name, field in self.fields.items():
                value = data.get(name)
                if field.read_only or value is None:
                    continue
                for field_class, types, message in _JSON_TYPES:
                    if isinstance(field, field_class):
                        is_bool = isinstance(value, bool)
                        if not isinstance(value, types) or (is_bool and bool not in types):
                            errors[name] = [message]
                        elif isinstance(value, str) and "\x00" in value:
                            # PostgreSQL text cannot hold NUL; no person types one.
                            errors[name] = [_("Must not contain NUL characters.")]
                        break
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class RecordSerializer(serializers.ModelSerializer):
    """A read-only ModelSerializer that builds its fields from the model once per class.

    ModelSerializer inspects the model and builds every field again for each instance (for a
    list, once per nested serializer): a third of the time of answering a report. The built
    fields depend only on the class (Meta and declared fields), so they are built once and
    each instance gets its own copies (as DRF copies declared fields).
    """

    def get_fields(self):
        return internals.fields_built_once(self, super().get_fields)


# --- Catalog ---------------------------------------------------------------------------------


class ExpectedSideEffectSerializer(serializers.ModelSerializer):
    term = serializers.CharField(source="term.slug")
    ctcae_term = serializers.CharField(source="term.ctcae_term")
    meddra_code = serializers.CharField(source="term.meddra_code")

    class Meta:
        model = ExpectedSideEffect
        fields = [
            "term",
            "ctcae_term",
            "meddra_code",
            "frequency_percent",
            "comparator_percent",
            "frequency_band",
            "typical_onset",
            "source",
        ]


class TherapySerializer(serializers.ModelSerializer):
    expected_side_effects = ExpectedSideEffectSerializer(source="expected", many=True)

    class Meta:
        model = Therapy
        fields = [
            "slug",
            "name",
            "brand",
            "agent",
            "drug_class",
            "target",
            "indications",
            "route",
            "setting",
            "regimen",
            "boxed_warnings",
            "source",
            "expected_side_effects",
        ]


# --- Courses ---------------------------------------------------------------------------------


class CourseSerializer(StrictTypes, serializers.ModelSerializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.none())
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    therapy = serializers.SlugRelatedField(
        slug_field="slug", queryset=Therapy.objects.filter(is_active=True)
    )
    care_team = serializers.SlugRelatedField(
        slug_field="name",
        queryset=CareTeam.objects.all(),
        required=False,
        help_text="One of your care teams; default: the patient's, when you are on it.",
    )

    class Meta:
        model = Course
        fields = [
            "id",
            "patient",
            "patient_name",
            "patient_mrn",
            "therapy",
            "care_team",
            "indication",
            "regimen",
            "status",
            "start_date",
            "end_date",
            "baseline_weight_kg",
            "baseline_systolic_bp",
            "baseline_diastolic_bp",
            "baseline_heart_rate",
            "baseline_temperature_c",
            "baseline_creatinine_mg_dl",
            "creatinine_uln_mg_dl",
            "platelets_lln_10e9_per_l",
            "created_at",
            "entered_in_error",
            "entered_in_error_reason",
        ]
        read_only_fields = ["id", "created_at", "entered_in_error", "entered_in_error_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only patients the requesting clinician may see can be chosen: others are "not found".
            self.fields["patient"].queryset = Patient.objects.visible_to(request.user)
            # Only the requesting clinician's own teams can be named (services.start_course).
            teams = getattr(request.user, "care_teams", None)  # none for an anonymous user
            self.fields["care_team"].queryset = (
                teams.all() if teams is not None else CareTeam.objects.none()
            )

    def create(self, validated_data):
        # The care team, the therapy's regimen by default and the history reason are the
        # page's too (services.start_course).
        return services.start_course(by=self.context["request"].user, **validated_data)


# How the course list reads the columns of its relations (the serializer's own source for
# every other field); patient_name is written from two columns.
_COURSE_ROW_COLUMNS = {
    "patient": "patient_id",
    "patient_name": "patient__given_name",
    "patient_mrn": "patient__mrn",
    "therapy": "therapy__slug",
    "care_team": "care_team__name",
}
_COURSE_ROW_AS_READ = {"patient", "therapy", "care_team"}  # what the relation writes


def course_rows(courses, context) -> list[dict]:
    """The whole course list as CourseSerializer(many=True) writes it, from plain column values.

    Building a course, its patient, therapy and team for every row, then reading each field
    through its source, took most of the time of the unpaginated list (774 courses at network
    scale: 398 ms p95). The serializer's own fields still write each value (dates, decimals,
    times in the reader's zone), so the two agree field for field (tests/tracker/test_api.py).
    """
    fields = CourseSerializer(context=context).fields
    names = list(fields)
    columns = [_COURSE_ROW_COLUMNS.get(name, fields[name].source) for name in names]
    writers = [
        None if name in _COURSE_ROW_AS_READ else fields[name].to_representation for name in names
    ]
    name_at = names.index("patient_name")
    rows = []
    for values in courses.values_list(*columns, "patient__family_name"):
        row = {
            name: value if value is None or write is None else write(value)
            for name, write, value in zip(names, writers, values[:-1], strict=True)
        }
        row["patient_name"] = Patient.name_of(values[name_at], values[-1])
        rows.append(row)
    return rows


# --- Flags -----------------------------------------------------------------------------------


class FlagSerializer(RecordSerializer):
    term = serializers.CharField(source="term.slug")
    ctcae_term = serializers.CharField(source="term.ctcae_term")
    report = serializers.UUIDField(source="report_id", allow_null=True)
    visit = serializers.UUIDField(source="visit_id", allow_null=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.get_full_name", allow_null=True, default=None
    )
    resolved_by = serializers.CharField(
        source="resolved_by.get_full_name", allow_null=True, default=None
    )
    # The explanation in the requester's language (Accept-Language), rendered when answered.
    message = serializers.CharField(read_only=True)
    # Its sources likewise in the requester's language (titles as published).
    source = serializers.CharField(source="source_label", read_only=True)  # type: ignore[assignment]
    # What was done about it, chosen when it was resolved ("" until then; required for urgent).
    outcome = serializers.ChoiceField(choices=FlagOutcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "level",
            "rule",
            "term",
            "ctcae_term",
            "ctcae_grade",
            "composite_grade",
            "expected",
            "value",
            "threshold",
            "message",
            "source",
            "status",
            "created_at",
            "report",
            "visit",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledged_note",
            "resolved_by",
            "resolved_at",
            "resolved_note",
            "acknowledged_note_shared",
            "resolved_note_shared",
            "outcome",
            # Its finding no longer holds (record corrected or entered in error): kept in
            # history, resolved, and left out of every summary.
            "withdrawn",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        # A patient reads only the notes their care team shared with them.
        if request is not None and getattr(request.user, "is_patient", False):
            for note, shared in (
                ("acknowledged_note", "acknowledged_note_shared"),
                ("resolved_note", "resolved_note_shared"),
            ):
                if not data.get(shared):
                    data[note] = ""
        return data


class FlagActionSerializer(StrictTypes, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    shared = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Share the note with the patient (default: the care team only).",
    )


class FlagResolveSerializer(FlagActionSerializer):
    outcome = serializers.ChoiceField(
        choices=FlagOutcome.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="What was done; required to resolve an urgent flag.",
    )


# --- Symptom reports -------------------------------------------------------------------------


def _reportable_terms():
    return SideEffectTerm.objects.filter(kind="reported")


def _score():
    # PRO-CTCAE response scores 0-4 (NCI PRO-CTCAE; ProAE coding).
    message = _("Answers are scored from 0 to 4.")
    return serializers.IntegerField(
        min_value=0,
        max_value=4,
        required=False,
        allow_null=True,
        error_messages={"min_value": message, "max_value": message},
    )


class TermField(serializers.SlugRelatedField):
    """A reportable term by its slug, taken from the terms the report loaded in one query
    (`SymptomReportCreateSerializer.to_internal_value`) rather than one query per answer."""

    def to_internal_value(self, data):
        loaded = self.context.get("answer_terms", {})
        if isinstance(data, str) and data in loaded:
            return loaded[data]
        return super().to_internal_value(data)


class AnswerSerializer(StrictTypes, serializers.Serializer):
    term = TermField(slug_field="slug", queryset=_reportable_terms())
    frequency = _score()
    severity = _score()
    interference = _score()
    present = serializers.BooleanField(required=False, allow_null=True, default=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].error_messages["does_not_exist"] = _(
            "Unknown symptom “{value}”. Use a slug from the vocabulary (GET /api/v1/therapies/)."
        )

    def validate(self, attrs):
        answer = SymptomAnswer(
            term=attrs["term"],
            frequency=attrs.get("frequency"),
            severity=attrs.get("severity"),
            interference=attrs.get("interference"),
            present=attrs.get("present"),
        )
        try:
            answer.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


def _measurement(range_, integer=False):
    common = {
        "required": False,
        "allow_null": True,
        "min_value": range_.low,
        "max_value": range_.high,
        "error_messages": {"min_value": range_.message, "max_value": range_.message},
    }
    if integer:
        return serializers.IntegerField(
            **{**common, "min_value": int(range_.low), "max_value": int(range_.high)}
        )
    return serializers.DecimalField(
        max_digits=range_.max_digits,
        decimal_places=range_.decimal_places,
        **common,
    )


class GradedAnswerSerializer(RecordSerializer):
    term = serializers.CharField(source="term.slug")

    class Meta:
        model = SymptomAnswer
        fields = [
            "term",
            "frequency",
            "severity",
            "interference",
            "present",
            "composite_grade",
            "expected",
            "entered_in_error",
        ]


class ReportPhotoSerializer(RecordSerializer):
    """A photo of a report: what it shows and its size, and where to download it (a scoped
    address of the API, never where it is stored). A photo entered in error is listed to
    clinicians only, with the reason."""

    download = serializers.SerializerMethodField()

    class Meta:
        model = ReportPhoto
        fields = [
            "id",
            "subject",
            "content_type",
            "size",
            "width",
            "height",
            "uploaded_at",
            "entered_in_error",
            "entered_in_error_reason",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, photo) -> str:
        return reverse("api:report-photo", args=[photo.pk])


class SymptomReportSerializer(RecordSerializer):
    """A stored report as the API answers it: graded answers, the flags it raised and its
    photos."""

    answers = GradedAnswerSerializer(many=True, read_only=True)
    flags = FlagSerializer(many=True, read_only=True)
    photos = ReportPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = SymptomReport
        fields = [
            "id",
            "course",
            "reported_at",
            "source",
            "recall_period",
            *measurements.REPORT_MEASUREMENTS,
            "note",
            "entered_in_error",
            "answers",
            "flags",
            "emergency_signs",
            "photos",
        ]
        read_only_fields = fields


def _refuse_repeats(terms, message):
    slugs = [term.slug for term in terms]
    repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if repeated:
        raise serializers.ValidationError(message % {"terms": ", ".join(repeated)})


class MeasurementFields:
    """A serializer with a field per registry measurement (tracker/measurements.py) recorded on
    `measured_on` (measurements.REPORT or VISIT), in SI units, checked against its plausible
    range; they come before the serializer's own fields (which may redefine one)."""

    measured_on = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "measured_on" in cls.__dict__:
            fields = {
                m.name: _measurement(m.range, integer=m.range.integer)
                for m in measurements.recorded_on(cls.measured_on)
            }
            cls._declared_fields = fields | dict(cls._declared_fields)


class VitalsInputSerializer(MeasurementFields, StrictTypes, serializers.Serializer):
    """Home measurements, in SI units, checked against plausible ranges."""

    measured_on = measurements.REPORT


class SymptomReportCreateSerializer(VitalsInputSerializer):
    answers = AnswerSerializer(many=True, required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def to_internal_value(self, data):
        answers = data.get("answers") if isinstance(data, dict) else None
        if isinstance(answers, list):
            # Only text without NUL reaches the query (PostgreSQL text cannot hold NUL); any
            # other value is refused by the field's own validation.
            terms = [a.get("term") for a in answers if isinstance(a, dict)]
            slugs = {t for t in terms if isinstance(t, str) and "\x00" not in t}
            self.context["answer_terms"] = _reportable_terms().in_bulk(slugs, field_name="slug")
        return super().to_internal_value(data)

    def validate_answers(self, answers):
        _refuse_repeats(
            [a["term"] for a in answers], _("Each symptom once per report; repeated: %(terms)s.")
        )
        return answers

    def validate(self, attrs):
        has_measurement = any(
            attrs.get(name) is not None for name in measurements.REPORT_MEASUREMENTS
        )
        if not attrs.get("answers") and not has_measurement:
            raise serializers.ValidationError(_("Give at least one answer or one measurement."))
        return attrs

    def save(self, *, course, by, client_id=None, looked_up=False):
        """The report recorded once per sending key (services.SubmittedReport): `created` is
        False when the key was already used on this course (that report is answered again).
        `looked_up`: the view found no report with the key a moment ago."""
        data = self.validated_data
        return services.submit_report_once(
            course=course,
            client_id=client_id,
            looked_up=looked_up,
            by=by,
            answers=[services.AnswerInput(**a) for a in data["answers"]],
            measurements={n: data.get(n) for n in measurements.REPORT_MEASUREMENTS},
            note=data.get("note", ""),
        )


# --- Visits ----------------------------------------------------------------------------------


class AdverseEventInputSerializer(StrictTypes, serializers.Serializer):
    ctcae_term = serializers.CharField(
        help_text="CTCAE v5.0 term (e.g. “Hypotension”) or the vocabulary slug."
    )
    grade = serializers.IntegerField(min_value=1, max_value=5)
    # Required, without default: a default would be recorded when nobody decided.
    attribution = serializers.ChoiceField(choices=Attribution.choices)
    action = serializers.ChoiceField(choices=AdverseEventAction.choices)
    seriousness = serializers.ListField(
        child=serializers.ChoiceField(choices=Seriousness.choices),
        required=False,
        default=list,
        max_length=len(Seriousness.choices),
        help_text="SAE criteria met; empty when the event is not serious.",
    )
    outcome = serializers.ChoiceField(
        choices=AdverseEventOutcome.choices, required=False, allow_blank=True, default=""
    )
    onset_date = serializers.DateField(required=False, allow_null=True, default=None)
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    ongoing = serializers.BooleanField(required=False, default=False)

    def validate_onset_date(self, value):
        return validators.date_not_in_the_future(value)

    def validate_end_date(self, value):
        return validators.date_not_in_the_future(value)

    def validate_ctcae_term(self, value):
        term = (
            SideEffectTerm.objects.filter(ctcae_term__iexact=value.strip()).first()
            or SideEffectTerm.objects.filter(slug=value.strip()).first()
        )
        if term is None:
            raise serializers.ValidationError(_("Unknown CTCAE term “%(term)s”.") % {"term": value})
        return term

    def validate(self, attrs):
        # The grades CTCAE v5.0 defines for the term (nausea 1-3...), as AdverseEvent.clean.
        error = attrs["ctcae_term"].grade_error(attrs["grade"])
        if error:
            raise serializers.ValidationError({"grade": [error]})
        end, onset = attrs.get("end_date"), attrs.get("onset_date")
        if end and attrs.get("ongoing"):
            raise serializers.ValidationError(
                {
                    "end_date": [
                        _("An ongoing adverse event has no end date: choose one or the other.")
                    ]
                }
            )
        if end and onset and end < onset:
            raise serializers.ValidationError(
                {"end_date": [_("The end date is before the onset.")]}
            )
        attrs["seriousness"] = tuple(dict.fromkeys(attrs.get("seriousness") or ()))
        return attrs


class AdverseEventSerializer(RecordSerializer):
    term = serializers.CharField(source="term.slug")
    ctcae_term = serializers.CharField(source="term.ctcae_term")
    meddra_code = serializers.CharField(source="term.meddra_code")

    class Meta:
        model = AdverseEvent
        fields = [
            "id",
            "term",
            "ctcae_term",
            "meddra_code",
            "grade",
            "attribution",
            "action",
            "seriousness",
            "outcome",
            "onset_date",
            "end_date",
            "ongoing",
            "expected",
            "entered_in_error",
        ]


class DoseAdvicePartSerializer(serializers.Serializer):
    """One line of the advice as the rules found it: what the worded line says, as data."""

    criterion = serializers.CharField(help_text="The criterion's id (stable, not for people).")
    key = serializers.CharField(help_text="Which wording the line uses (stable id).")
    kind = serializers.ChoiceField(
        choices=["withhold", "relative criterion", "absolute criterion"],
        allow_null=True,
        help_text="The kind of criterion met; null when assessed and not met, or not assessed.",
    )
    params = serializers.DictField(
        help_text="Values, thresholds and units (value, threshold, low, high, unit; an adverse "
        "event's term slug and CTCAE grade)."
    )
    sources = serializers.ListField(child=serializers.CharField(), help_text="Source ids.")
    window_hours = serializers.FloatField(
        allow_null=True, help_text="The criterion's window, for a criterion not assessed in it."
    )


class DoseAdvicePartsSerializer(serializers.Serializer):
    criteria = DoseAdvicePartSerializer(many=True)
    checked = DoseAdvicePartSerializer(many=True)
    not_assessed = DoseAdvicePartSerializer(many=True)


class DoseAdviceSerializer(serializers.Serializer):
    """High-dose IL-2 advice for the next dose, judged on the course (PRODUCT.md §4, §7).

    `criteria`, `checked` and `not_assessed` are worded in the requester's language
    (Accept-Language); `parts` gives the same lines as data."""

    decision = serializers.ChoiceField(choices=["give", "hold", "discontinue", "incomplete"])
    criteria = serializers.ListField(child=serializers.CharField(), help_text="Criteria met.")
    checked = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Assessed and not met."
    )
    not_assessed = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Criteria without an assessment in their window.",
    )
    parts = DoseAdvicePartsSerializer(
        required=False, help_text="The same lines as the rules found them, as data."
    )
    since = serializers.DateTimeField(
        allow_null=True, required=False, help_text="When the course was discontinued."
    )
    permanent = serializers.BooleanField(
        required=False, help_text="Discontinued until a physician records an override."
    )

    def to_representation(self, instance):
        return super().to_representation(advice_text.localized(instance))


class VisitSerializer(RecordSerializer):
    """A stored visit as the API answers it, with its flags and dose advice."""

    adverse_events = AdverseEventSerializer(many=True, read_only=True)
    flags = FlagSerializer(many=True, read_only=True)
    dose_advice = DoseAdviceSerializer(read_only=True, allow_null=True)
    # "" when not assessed (never "normal").
    mental_status = serializers.ChoiceField(
        choices=MentalStatus.choices, allow_blank=True, read_only=True
    )
    vasopressor = serializers.ChoiceField(
        choices=Vasopressor.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "course",
            "recorded_at",
            *measurements.VISIT_MEASUREMENTS,
            *services.VISIT_ASSESSMENT_FIELDS,
            "notes",
            "entered_in_error",
            "adverse_events",
            "flags",
            "dose_advice",
        ]
        read_only_fields = fields


class VisitCreateSerializer(VitalsInputSerializer):
    measured_on = measurements.VISIT
    recorded_at = serializers.DateTimeField(required=False)
    mental_status = serializers.ChoiceField(
        choices=MentalStatus.choices, required=False, allow_null=True
    )
    vasopressor = serializers.ChoiceField(
        choices=Vasopressor.choices,
        required=False,
        allow_null=True,
        help_text='"none" when no vasopressor is in use; omitted when not recorded.',
    )
    vasopressor_dose_ug_kg_min = _measurement(ranges.VASOPRESSOR_UG_KG_MIN)
    oxygen_l_min = _measurement(ranges.OXYGEN_L_MIN)
    heart_rate_persists_after_correction = serializers.BooleanField(
        required=False, allow_null=True, default=None
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    adverse_events = AdverseEventInputSerializer(many=True, required=False, default=list)

    def validate_recorded_at(self, value):
        # The visit form's checks (tracker/validators.py): not in the future, at most a year
        # before the course started.
        return validators.record_time(value, self.context["course"])

    def validate_adverse_events(self, events):
        _refuse_repeats(
            [e["ctcae_term"] for e in events],
            _("Each adverse event once per visit; repeated: %(terms)s."),
        )
        return events

    def validate(self, attrs):
        # A visit with nothing in it is refused by services.record_visit (the page asks the
        # same), answered 400 like a serializer's refusal (tracker/api/exceptions.py).
        in_use = attrs.get("vasopressor") not in (None, "", Vasopressor.NONE)
        if attrs.get("vasopressor_dose_ug_kg_min") is not None and not in_use:
            raise serializers.ValidationError(
                {"vasopressor": _("Name the vasopressor whose dose is given.")}
            )
        return attrs

    def save(self, *, course, by):
        data = self.validated_data
        return services.record_visit(
            course=course,
            by=by,
            measurements={n: data.get(n) for n in measurements.VISIT_MEASUREMENTS},
            adverse_events=[
                services.AdverseEventEntry(
                    term=e["ctcae_term"],
                    grade=e["grade"],
                    attribution=e["attribution"],
                    action=e["action"],
                    onset_date=e["onset_date"],
                    seriousness=e["seriousness"],
                    outcome=e["outcome"],
                    end_date=e["end_date"],
                    ongoing=e["ongoing"],
                )
                for e in data["adverse_events"]
            ],
            notes=data.get("notes", ""),
            recorded_at=data.get("recorded_at"),
            assessment={n: data.get(n) for n in services.VISIT_ASSESSMENT_FIELDS},
        ).visit


class DoseSerializer(RecordSerializer):
    """A dose as the API answers it (PRODUCT.md §7 names), with the course's advice after it."""

    scheduled_for = serializers.DateTimeField(source="scheduled_at")
    given_at = serializers.DateTimeField(source="administered_at", allow_null=True)
    dose_mg = serializers.SerializerMethodField()
    dose_advice = serializers.SerializerMethodField()

    class Meta:
        model = DoseAdministration
        fields = [
            "id",
            "course",
            "dose_number",
            "scheduled_for",
            "status",
            "given_at",
            "dose_mg",
            "dose_amount",
            "dose_unit",
            "reason",
            "entered_in_error",
            "dose_advice",
        ]
        read_only_fields = fields

    def get_dose_mg(self, dose) -> float | None:
        if dose.dose_amount is None or dose.dose_unit != "mg":
            return None
        return float(dose.dose_amount)

    @extend_schema_field(DoseAdviceSerializer(allow_null=True))
    def get_dose_advice(self, dose):
        """On a newly recorded dose: the advice for the next dose, judged now (its lines in the
        requester's language)."""
        advice = getattr(dose, "dose_advice", None)
        return DoseAdviceSerializer(advice).data if advice else None


class DoseCreateSerializer(StrictTypes, serializers.Serializer):
    dose_number = serializers.IntegerField(
        required=False, min_value=1, max_value=1000, help_text="Default: the next number."
    )
    scheduled_for = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=[DoseStatus.GIVEN, DoseStatus.HELD])
    given_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    dose_mg = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=0, required=False, allow_null=True
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")

    def validate_scheduled_for(self, value):
        return validators.dose_schedule(value, self.context["course"])

    def validate_given_at(self, value):
        return validators.not_in_the_future(value)

    def validate(self, attrs):
        if attrs["status"] == DoseStatus.HELD and not attrs["reason"].strip():
            raise serializers.ValidationError({"reason": _("Say why the dose was held.")})
        if attrs["status"] == DoseStatus.HELD and attrs.get("given_at"):
            raise serializers.ValidationError({"given_at": _("A held dose has no time given.")})
        return attrs

    def save(self, *, course, by):
        data = self.validated_data
        number = data.get("dose_number") or services.next_dose_number(course)
        try:
            with transaction.atomic():
                dose = services.record_dose(
                    course=course,
                    by=by,
                    dose_number=number,
                    scheduled_at=data["scheduled_for"],
                    status=data["status"],
                    reason=data["reason"],
                    administered_at=data.get("given_at"),
                    dose_amount=data.get("dose_mg"),
                    dose_unit="mg" if data.get("dose_mg") is not None else "",
                )
        except IntegrityError:
            raise serializers.ValidationError(
                {"dose_number": _("A dose with this number is already recorded.")}
            ) from None
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        dose.dose_advice = services.current_dose_advice(course)
        return dose
