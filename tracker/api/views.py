"""JSON API v1 (PRODUCT.md §7): thin views over scoped querysets and the services.

Scoping is the pages' scoping: objects outside the user's scope answer 404; objects in scope
that the user's role may not change answer 403.
"""

import uuid

from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404  # malformed ids answer 404, not 500
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from therapies.models import ExpectedSideEffect, Therapy

from .. import internals, photos, services
from ..exports import responses as export_responses
from ..filters import ApiFlagFilter
from ..models import (
    Course,
    CourseStatus,
    DoseAdministration,
    Flag,
    FlagLevel,
    FlagStatus,
    FlagTransitionError,
    ReportPhoto,
    SymptomAnswer,
    SymptomReport,
    Visit,
)
from ..summary import build_summary, hide_internal_notes
from . import serializers as s
from .pagination import KeysetPagination
from .schema import KeysetAutoSchema


class ApiView:
    """The API authenticates by token or session itself, so the site-wide login redirect
    (LoginRequiredMiddleware) must not apply: a client gets 401/403 JSON, not a login page."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        return login_not_required(super().as_view(*args, **kwargs))


class IsClinician(permissions.BasePermission):
    message = "Only clinicians can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_clinician)


def _flags_with_people(queryset):
    return queryset.select_related("term", "acknowledged_by", "resolved_by")


# A page of a plain list, on request (tracker/api/pagination.py): documented on the answer.
NEXT_PAGE_LINK = OpenApiParameter(
    "Link",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description='With `limit` or `cursor`, while rows are left: `<URL>; rel="next"` (RFC '
    "8288), the next page's URL. Absent on the last page and when the whole list is asked.",
)
FLAG_FILTERS = [
    OpenApiParameter("status", enum=FlagStatus.values, description="Only this status."),
    OpenApiParameter("level", enum=FlagLevel.values, description="Only this level."),
]


class TherapyViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    """The therapy catalog with each therapy's expected side effects (any signed-in user)."""

    serializer_class = s.TherapySerializer
    lookup_field = "slug"
    queryset = Therapy.objects.prefetch_related(
        Prefetch("expected", queryset=ExpectedSideEffect.objects.select_related("term"))
    )


COURSE_LIST_COLUMNS = (
    *(field.name for field in Course._meta.concrete_fields),
    *(f"patient__{name}" for name in ("given_name", "family_name", "mrn")),
    "therapy__slug",
    "care_team__name",
)


class CourseViewSet(
    ApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.CourseSerializer
    pagination_class = KeysetPagination
    schema = KeysetAutoSchema()
    filter_backends = [DjangoFilterBackend]
    write_scope = {"create": "course"}  # tracker/throttling.py

    @property
    def filterset_class(self):
        # The course list takes no filter; a course's flags take the flag list's.
        return ApiFlagFilter if self.action == "flags" else None

    def get_queryset(self):
        courses = Course.objects.visible_to(self.request.user).select_related(
            "patient", "therapy", "care_team"
        )
        if self.action == "list":
            # The list shows three columns of the course's patient, therapy and team: a
            # therapy row carries the catalog's texts, decoded for nothing on every course.
            courses = courses.only(*COURSE_LIST_COLUMNS)
        return courses

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAuthenticated(), IsClinician()]
        return super().get_permissions()

    def _course(self, pk):
        return get_object_or_404(Course.objects.visible_to(self.request.user), pk=pk)

    @extend_schema(
        description="The courses the user may see, newest start first: the whole list, or a "
        "page at a time on request (`limit`, then the `Link` header's URL).",
        parameters=[NEXT_PAGE_LINK],
    )
    def list(self, request, *args, **kwargs):
        courses = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(courses)
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        # The whole list, from column values (serializers.course_rows: same fields and values).
        return Response(s.course_rows(courses, self.get_serializer_context()))

    @extend_schema(
        description="The course's flags, most urgent first and newest first within a level: "
        "the whole list, or a page at a time on request (`limit`, then the `Link` header's URL).",
        responses=s.FlagSerializer(many=True),
        # The filters are the flag list's (documented here): discovery reads the course model.
        filters=False,
        parameters=[*FLAG_FILTERS, NEXT_PAGE_LINK],
    )
    @action(detail=True, methods=["get"], url_path="flags")
    def flags(self, request, pk=None):
        course = self._course(pk)
        flags = self.filter_queryset(
            _flags_with_people(Flag.objects.filter(course=course).by_urgency())
        )
        page = self.paginate_queryset(flags)
        data = s.FlagSerializer(
            flags if page is None else page, many=True, context={"request": request}
        ).data
        return Response(data) if page is None else self.get_paginated_response(data)


class _CourseChildView(ApiView, generics.ListCreateAPIView):
    """List and create records under one course the user can see."""

    def course(self):
        if not hasattr(self, "_course"):
            self._course = get_object_or_404(
                # the patient: who may add a report (check_may_create)
                Course.objects.visible_to(self.request.user).select_related("therapy", "patient"),
                pk=self.kwargs["course_pk"],
            )
        return self._course

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "course": self.course()}

    def create(self, request, *args, **kwargs):
        course = self.course()
        self.check_may_create(request.user, course)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self.as_stored(serializer.save(course=course, by=request.user))
        return Response(self.output_serializer(record).data, status=status.HTTP_201_CREATED)

    def as_stored(self, record):
        """The record as the list shows it (read back with its related rows)."""
        return self.get_queryset().get(pk=record.pk)

    def list(self, request, *args, **kwargs):
        return Response(self.output_serializer(self.get_queryset(), many=True).data)


class SymptomReportListCreate(_CourseChildView):
    """A course's symptom reports; the patient, or a clinician on their behalf, adds one."""

    serializer_class = s.SymptomReportCreateSerializer
    output_serializer = s.SymptomReportSerializer
    write_scope = "report"  # tracker/throttling.py

    def get_queryset(self):
        return SymptomReport.objects.filter(course=self.course()).prefetch_related(
            Prefetch("answers", queryset=SymptomAnswer.objects.select_related("term")),
            Prefetch("flags", queryset=_flags_with_people(Flag.objects.all())),
            Prefetch("photos", queryset=_photos_for(self.request.user)),
        )

    def create(self, request, *args, **kwargs):
        """A client sending the same report again (a lost answer, a phone back online) gives
        the same Idempotency-Key (a UUID): the report recorded the first time is answered
        (200), and no second one is recorded."""
        key = request.headers.get("Idempotency-Key")
        client_id = None
        if key is not None:
            try:
                client_id = uuid.UUID(key.strip())
            except ValueError:
                raise ValidationError(
                    {"Idempotency-Key": [_("The Idempotency-Key must be a UUID.")]}
                ) from None
        course = self.course()
        self.check_may_create(request.user, course)
        # The body is checked first: a repeated key never makes an invalid body acceptable.
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if client_id and (sent := services.report_sent_with(course, client_id)):
            return Response(self.output_serializer(self.get_queryset().get(pk=sent.pk)).data)
        submitted = serializer.save(
            course=course, by=request.user, client_id=client_id, looked_up=True
        )
        if not submitted.created:
            stored = self.get_queryset().get(pk=submitted.report.pk)
            return Response(self.output_serializer(stored).data)
        return Response(self.output_serializer(self.as_stored(submitted)).data, status=201)

    def as_stored(self, submitted):
        # The answers and flags just saved, as the list's prefetch would give them (same
        # order), instead of reading back what this request wrote.
        return internals.with_prefetched(
            submitted.report,
            answers=submitted.answers_saved,
            flags=sorted(submitted.flags_raised, key=lambda flag: flag.created_at, reverse=True),
            photos=[],  # photos are added to a report after it is sent
        )

    def check_may_create(self, user, course):
        if not (user.is_clinician or (user.is_patient and course.patient.user_id == user.pk)):
            raise PermissionDenied(_("Only the patient or their clinicians can report symptoms."))
        if user.is_patient and course.status != CourseStatus.ACTIVE:
            # As the patient's own pages: a course that is not running takes no reports from
            # the patient (their clinicians may still record one, as on their page).
            raise ValidationError(
                {
                    "non_field_errors": [
                        _(
                            "This treatment is not running now, so it takes no reports. Call "
                            "your care team if you need to."
                        )
                    ]
                }
            )

    @extend_schema(responses=s.SymptomReportSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.SymptomReportCreateSerializer,
        responses={201: s.SymptomReportSerializer, 200: s.SymptomReportSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.UUID,
                OpenApiParameter.HEADER,
                required=False,
                description=(
                    "A UUID chosen by the client for this report. Sent again with the same "
                    "key, the report recorded the first time is answered (200) and no second "
                    "one is recorded."
                ),
            )
        ],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


def _photos_for(user):
    """A report's photos as this user may see them: a photo entered in error is no longer the
    patient's to see; clinicians still see it listed, marked, with the reason."""
    photos = ReportPhoto.objects.all()
    return photos if user.is_clinician else photos.filter(entered_in_error=False)


class ReportPhotoDownload(ApiView, APIView):
    """The file of a report's photo, for the patient and their care team only (404 to anyone
    else); a photo entered in error only for the care team."""

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        found = ReportPhoto.objects.visible_to(request.user)
        if not request.user.is_clinician:  # as the patient's own pages show them
            found = found.current().filter(report__course__entered_in_error=False)
        return photos.photo_file_response(get_object_or_404(found, pk=pk))


class VisitListCreate(_CourseChildView):
    """A course's visits; clinicians record them."""

    serializer_class = s.VisitCreateSerializer
    output_serializer = s.VisitSerializer
    write_scope = "visit"  # tracker/throttling.py

    def get_queryset(self):
        return Visit.objects.filter(course=self.course()).prefetch_related(
            Prefetch("adverse_events", queryset=s.AdverseEvent.objects.select_related("term")),
            Prefetch("flags", queryset=_flags_with_people(Flag.objects.all())),
        )

    def check_may_create(self, user, course):
        if not user.is_clinician:
            raise PermissionDenied(_("Only clinicians record visits."))

    @extend_schema(responses=s.VisitSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.VisitCreateSerializer, responses={201: s.VisitSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class DoseListCreate(_CourseChildView):
    """A course's doses, given or held; clinicians record them. A new dose answers with the
    course's dose advice for the next dose (high-dose IL-2), judged after it."""

    serializer_class = s.DoseCreateSerializer
    output_serializer = s.DoseSerializer

    def get_queryset(self):
        return DoseAdministration.objects.filter(course=self.course()).order_by("dose_number")

    def check_may_create(self, user, course):
        if not user.is_clinician:
            raise PermissionDenied(_("Only clinicians record doses."))

    def as_stored(self, record):
        stored = super().as_stored(record)
        stored.dose_advice = record.dose_advice
        return stored

    @extend_schema(responses=s.DoseSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.DoseCreateSerializer, responses={201: s.DoseSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class FlagPagination(LimitOffsetPagination):
    """A page of flags at a time: a team's history holds tens of thousands of them.

    The limit and offset are checked strictly: a client with a typo is told (400) rather than
    given the default page."""

    default_limit = 50
    max_limit = 200
    max_offset = 2**31 - 1

    def _number(self, request, name, low, high, default):
        if name not in request.query_params:
            return default
        raw = request.query_params[name]
        number = int(raw) if raw.isascii() and raw.isdigit() else -1
        if not low <= number <= high:
            raise ValidationError(
                {
                    name: [
                        _("Give a whole number from %(low)d to %(high)d.")
                        % {"low": low, "high": high}
                    ]
                }
            )
        return number

    def get_limit(self, request):
        return self._number(request, "limit", 1, self.max_limit, self.default_limit)

    def get_offset(self, request):
        return self._number(request, "offset", 0, self.max_offset, 0)

    def paginate_flags(self, flags, request):
        """The ids of a page of `flags` in `by_urgency()` order, the id breaking ties.

        The same page as a slice of the whole sorted list, but only the ranks (urgent,
        review, the rest) that the page spans are sorted: the count comes per rank, and the
        page's offset is taken within those ranks. A team's first pages sort its urgent flags
        alone (docs/benchmarks.md, "Round 3: the API flag list and the not-reported list")."""
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        counts = flags.count_by_urgency()
        self.count = sum(counts)
        start, before, spanned = 0, 0, []
        for rank, count in enumerate(counts):
            end = start + count
            if start < self.offset + self.limit and end > self.offset:
                spanned.append(rank)
            elif not spanned:
                before = end
            start = end
        if not spanned:
            return []
        page = flags.of_urgency(spanned).by_urgency()
        page = page.order_by(*page.query.order_by, "id").values_list("pk", flat=True)
        offset = self.offset - before
        return list(page[offset : offset + self.limit])

    def get_schema_operation_parameters(self, view):
        limit, offset = super().get_schema_operation_parameters(view)
        limit["description"] += f" Default {self.default_limit}."
        limit["schema"] |= {"minimum": 1, "maximum": self.max_limit}
        offset["schema"] |= {"minimum": 0, "maximum": self.max_offset}
        return [limit, offset]


class FlagViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.FlagSerializer
    pagination_class = FlagPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApiFlagFilter
    write_scope = {"acknowledge": "flag", "resolve": "flag"}  # tracker/throttling.py

    def get_queryset(self):
        return _flags_with_people(Flag.objects.visible_to(self.request.user).by_urgency())

    @extend_schema(
        description="The flags the user may see (a clinician: their care teams'; a patient: "
        "their own), most urgent first and newest first within a level, a page at a time.",
        parameters=FLAG_FILTERS,
    )
    def list(self, request, *args, **kwargs):
        flags = self.filter_queryset(Flag.objects.visible_to(request.user))
        # Sort the narrow rows (ids) of the flags in scope, then load the page's wide rows
        # (with terms and people): sorting tens of thousands of joined rows took twice as long.
        ids = self.paginator.paginate_flags(flags, request)
        page = _flags_with_people(Flag.objects.filter(pk__in=ids)).in_bulk()
        return self.get_paginated_response(
            self.get_serializer([page[pk] for pk in ids], many=True).data
        )

    def get_permissions(self):
        if self.action in ("acknowledge", "resolve"):
            return [permissions.IsAuthenticated(), IsClinician()]
        return super().get_permissions()

    def _transition(self, request, service, body_serializer=s.FlagActionSerializer):
        # Fetch through the scoped queryset first: out of scope is 404 whatever the role.
        flag = self.get_object()
        body = body_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        options = dict(body.validated_data)
        if "outcome" in options and flag.level == FlagLevel.URGENT and not options["outcome"]:
            raise ValidationError({"outcome": [_("Choose what was done about this urgent flag.")]})
        try:
            flag = service(flag=flag, by=request.user, **options)
        except FlagTransitionError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(s.FlagSerializer(self.get_queryset().get(pk=flag.pk)).data)

    @extend_schema(request=s.FlagActionSerializer, responses={200: s.FlagSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._transition(request, services.acknowledge_flag)

    @extend_schema(request=s.FlagResolveSerializer, responses={200: s.FlagSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._transition(request, services.resolve_flag, s.FlagResolveSerializer)


# --- Course summary exports (PRODUCT.md §7: summary.pdf, summary.csv, summary.fhir.json) -------


class _CourseSummaryExport(ApiView, APIView):
    """One course's summary in one format; out of scope answers 404 (same as the pages)."""

    def perform_content_negotiation(self, request, force=False):
        # The answer is a file, not rendered data: a client asking for application/pdf (or
        # text/csv...) gets it rather than 406; errors are JSON whatever was asked.
        return super().perform_content_negotiation(request, force=True)

    def summary(self, **options):
        course = get_object_or_404(
            Course.objects.visible_to(self.request.user), pk=self.kwargs["pk"]
        )
        summary = build_summary(course, **options)
        if self.request.user.is_patient:
            hide_internal_notes(summary.flags)
        return summary


class CourseSummaryPdf(_CourseSummaryExport):
    @extend_schema(
        summary="The course summary as a printable PDF",
        description=(
            "In the language of the request (Accept-Language), rendered ahead and kept by "
            "course version: the ETag changes with the course; If-None-Match answers 304. "
            "Out of scope: 404."
        ),
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk):
        course = get_object_or_404(
            Course.objects.visible_to(request.user).select_related("patient", "therapy"),
            pk=pk,
        )
        return export_responses.pdf_response(request, course, language=get_language())


class CourseSummaryCsv(_CourseSummaryExport):
    @extend_schema(
        summary="The course's observations as CSV (one row per observation)",
        description="UTF-8 with a byte-order mark; the codebook is at /exports/codebook.csv.",
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk):
        return export_responses.csv_response(self.summary(), user=request.user)


class CourseSummaryFhir(_CourseSummaryExport):
    @extend_schema(
        summary="The course summary as a FHIR R4 Bundle (type collection)",
        responses={(200, "application/fhir+json"): OpenApiTypes.OBJECT},
    )
    def get(self, request, pk):
        return export_responses.fhir_response(self.summary(), user=request.user)
