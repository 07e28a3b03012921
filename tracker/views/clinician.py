"""The clinician's pages: triage queue, patients, courses with charts, visits, reports taken
over the phone, corrections and history.

Every view is `clinician_required` (a patient or administrator gets 403) and fetches through
`visible_to` (out of scope: 404). Writes go through tracker/services/.
"""

import datetime
import time
from collections import defaultdict
from dataclasses import dataclass

from csp.decorators import csp_update
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import (
    Case,
    Count,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from therapies.models import DrugClass, Setting, SideEffectTerm, TermKind

from .. import (
    advice_text,
    charts,
    course_page,
    ctcae_definitions,
    flag_row_html,
    http_cache,
    measurements,
    schedule,
    services,
    triage_page,
)
from ..filters import TriageFilter
from ..forms import clinician as forms
from ..models import (
    AdverseEvent,
    Course,
    CourseStatus,
    DoseAdministration,
    DoseStatus,
    Flag,
    FlagLevel,
    FlagStatus,
    FlagTransitionError,
    Patient,
    ReportPhoto,
    SymptomAnswer,
    SymptomReport,
    Visit,
    patient_search,
)
from ..summary import VITAL_SERIES, build_summary, weight_gain_percent
from ..throttling import write_rate_limited
from .decorators import clinician_required, safe_next_url

PAGE_SIZE = 25


def _course_or_404(request, pk):
    return get_object_or_404(
        Course.objects.visible_to(request.user).select_related("patient", "therapy", "care_team"),
        pk=pk,
    )


def _add_service_errors(form, error: ValidationError):
    """A service's ValidationError shown on the form: at the field when the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Triage queue --------------------------------------------------------------------------------


# What a flag row shows of the records around the flag (tracker/flag_row_html.py).
_FLAG_ROW_RELATED_FIELDS = (
    "course__patient__given_name",
    "course__patient__family_name",
    "course__patient__mrn",
    "course__patient__phone",
    "course__therapy__name",
    "term__slug",
    "term__ctcae_term",
    "term__ctcae_term_fr",
    *(
        f"{who}__{field}"
        for who in ("acknowledged_by", "resolved_by")
        for field in ("first_name", "last_name", "username")
    ),
)


def _rows_of(flags):
    """Flags with everything a queue row shows, in one query.

    Of the course, patient, therapy, term and people only what the row shows is loaded:
    building those wide records was half the time of the query's 25 rows.
    """
    return flags.select_related(
        "course__patient", "course__therapy", "term", "acknowledged_by", "resolved_by"
    ).only(*(field.name for field in Flag._meta.concrete_fields), *_FLAG_ROW_RELATED_FIELDS)


def _flags_for_rows(user):
    return _rows_of(Flag.objects.visible_to(user))


def _with_clock(flags, now=None):
    """Each flag's time waited and its level's response target (settings); an open flag past
    its target is overdue. Acknowledged flags no longer run against the clock."""
    now = now or timezone.now()
    for flag in flags:
        flag.waited = now - flag.created_at
        flag.target = flag_row_html.response_target(flag.level)
        flag.overdue = flag.status == FlagStatus.OPEN and flag_row_html.past_target(
            flag.level, flag.waited
        )
    return flags


def _clock_later(flags):
    """Flags whose time waited and overdue marks are written at each request (the queue's
    kept body, tracker/triage_page.py)."""
    for flag in flags:
        flag.clock_later = True
    return flags


# How many of a patient's flags a queue row draws: the most in need of attention (highest
# level, then open before acknowledged, oldest first); the row counts the rest and links to
# the queue narrowed to that patient, which draws up to MAX_ROWS of theirs. The page's size
# is then bounded whatever the number of flags (docs/benchmarks.md).
FLAGS_PER_PATIENT = 5


@dataclass
class PatientRow:
    """One patient of the queue with their most pressing unresolved flags (of those the
    filters keep), how many those are in all, and their open flags counted by level (all of
    them, whatever the filters: an urgent flag is never hidden without being counted) with the
    oldest of each level (the row is overdue when one of them is past its level's target:
    written at each request, tracker/flag_row_html.py `fill_clock`)."""

    patient: Patient
    flags: list
    total: int
    open_counts: dict
    open_since: dict

    @property
    def level(self):
        return self.flags[0].level

    @property
    def more(self):
        return self.total - len(self.flags)

    @property
    def overdue(self):
        """Whether one of the patient's open flags is past its level's target now."""
        now = timezone.now()
        return any(
            since is not None and flag_row_html.past_target(level, now - since)
            for level, since in self.open_since.items()
        )

    @property
    def info_open(self):
        return [f for f in self.flags if f.level == FlagLevel.INFO and f.status == FlagStatus.OPEN]

    @property
    def info_open_count(self):
        return self.open_counts[FlagLevel.INFO]

    @property
    def open_by_level(self):
        """(level, label, count) of each level with open flags, highest level first."""
        return [
            (level, FlagLevel(level).label, self.open_counts[level])
            for level in (FlagLevel.URGENT, FlagLevel.REVIEW, FlagLevel.INFO)
            if self.open_counts[level]
        ]


_LEVEL_RANK = Case(
    When(level=FlagLevel.URGENT, then=0),
    When(level=FlagLevel.REVIEW, then=1),
    default=2,
)


def _patients_by_urgency(flags):
    """The patients of these flags, each once: highest level first, then whose oldest open
    flag of that level waits longest (acknowledged only: after those), then oldest flag."""
    open_since = {
        rank: Min("created_at", filter=Q(status=FlagStatus.OPEN, level=level))
        for rank, level in enumerate((FlagLevel.URGENT, FlagLevel.REVIEW, FlagLevel.INFO))
    }
    return (
        flags.order_by()
        .values("course__patient_id")
        .annotate(
            top=Min(_LEVEL_RANK),
            oldest=Min("created_at"),
            open_urgent=open_since[0],
            open_review=open_since[1],
            open_info=open_since[2],
        )
        .annotate(
            waiting_since=Case(
                When(top=0, then=F("open_urgent")),
                When(top=1, then=F("open_review")),
                default=F("open_info"),
            )
        )
        .order_by("top", F("waiting_since").asc(nulls_last=True), "oldest", "course__patient_id")
        .values_list("course__patient_id", flat=True)
    )


_FLAG_ORDER = (
    _LEVEL_RANK,
    Case(When(status=FlagStatus.OPEN, then=0), default=1),
    F("created_at").asc(),
    F("pk").asc(),
)


def _most_pressing(flags, per_patient):
    """Of each patient's flags, the first `per_patient` in the queue's order (highest level,
    open before acknowledged, oldest first), each with how many the patient has in all
    (`patient_total`): one query whose rows are bounded by the patients, not their flags."""
    by_patient = {"partition_by": [F("course__patient_id")]}
    return (
        flags.annotate(
            place=Window(RowNumber(), order_by=list(_FLAG_ORDER), **by_patient),
            patient_total=Window(Count("pk"), **by_patient),
        )
        .filter(place__lte=per_patient)
        .order_by("course__patient_id", "place")
    )


def _open_counts(flags):
    """Per patient, their open flags counted by level, and the oldest of each level: one
    query."""
    levels = (FlagLevel.URGENT, FlagLevel.REVIEW, FlagLevel.INFO)
    rows = (
        flags.open()
        .order_by()
        .values("course__patient_id")
        .annotate(
            **{f"n_{level}": Count("pk", filter=Q(level=level)) for level in levels},
            **{f"oldest_{level}": Min("created_at", filter=Q(level=level)) for level in levels},
        )
    )
    answer = defaultdict(lambda: {"counts": dict.fromkeys(levels, 0), "since": {}})
    for row in rows:
        answer[row["course__patient_id"]] = {
            "counts": {level: row[f"n_{level}"] for level in levels},
            "since": {level: row[f"oldest_{level}"] for level in levels},
        }
    return answer


@require_safe
@clinician_required
def triage(request):
    """The clinician's patients with unresolved flags, one row each, most urgent first.

    The page's body is kept by the version of what it shows (tracker/triage_page.py): an
    unchanged queue reads its version (one query, which also counts the navigation's badge)
    and the kept body, then writes in the clock (times waited, overdue marks), the CSRF token
    and the polling's moment. Otherwise `_queue_body_context`'s queries.
    """
    version = triage_page.queue_version(request.user)
    key = body = None
    if version is not None:
        counts = version.counts
        key = triage_page.body_key(request, version)
        body = triage_page.cached_body(key)
    else:
        counts = Flag.objects.visible_to(request.user).unresolved().waiting_counts()
    if body is None:
        body = triage_page.render_body(request, _queue_body_context(request, counts), key)
    since = f"{time.time():.6f}"
    return render(
        request,
        "tracker/clinician/triage.html",
        {
            "body": mark_safe(triage_page.served(request, body, since)),  # noqa: S308 (rendered)
            # The navigation's badge, counted with the version (context_processors.py).
            "open_urgent_flag_count": counts["open_urgent"],
        },
    )


def _queue_body_context(request, counts):
    """What the queue's kept body shows (nothing per request, person or moment), with
    `counts` of the unresolved and open urgent flags (read with the version).

    Queries: how many patients the queue lists, the page's 25 patients in order (grouped
    from the index), the first FLAGS_PER_PATIENT flags of each (numbered per patient by a
    window function) with patient, therapy, term and the people who acted (one join), those
    patients' open flags counted by level, and the therapies of the filter; none grows with
    the patients or their flags, nor do the rows drawn. Narrowed to one patient (`?patient=`,
    where a row's "more" link leads), up to MAX_ROWS of their flags are drawn.
    """
    waiting = Flag.objects.visible_to(request.user).unresolved()
    filterset = TriageFilter(request.GET or None, queryset=waiting, request=request)
    paginator = Paginator(_patients_by_urgency(filterset.qs), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # The ids as a list, not a subquery: PostgreSQL joined the whole table before keeping the
    # page's 25 rows of a `IN (SELECT … LIMIT 25)`.
    patient_ids = list(page.object_list)
    one_patient = filterset.narrowed and bool(filterset.form.cleaned_data.get("patient"))
    per_patient = MAX_ROWS if one_patient else FLAGS_PER_PATIENT
    flags = _clock_later(
        list(
            _most_pressing(
                _rows_of(filterset.qs.filter(course__patient_id__in=patient_ids)), per_patient
            )
        )
    )
    by_patient = {pk: [] for pk in patient_ids}
    for flag in flags:
        by_patient[flag.course.patient_id].append(flag)
    open_counts = _open_counts(waiting.filter(course__patient_id__in=patient_ids))
    rows = [
        PatientRow(
            patient=patient_flags[0].course.patient,
            flags=patient_flags,
            total=patient_flags[0].patient_total,
            open_counts=open_counts[pk]["counts"],
            open_since=open_counts[pk]["since"],
        )
        for pk, patient_flags in by_patient.items()
        if patient_flags
    ]
    return {
        "filterset": filterset,
        "page": page,
        "rows": rows,
        "flags": flags,
        "one_patient": one_patient,
        "unresolved_count": None if filterset.narrowed else counts["unresolved"],
        "audiences": forms.NoteAudience.choices,
    }


def _since(value):
    try:
        return datetime.datetime.fromtimestamp(float(value), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@require_safe
@clinician_required
def triage_new_urgent(request):
    """Polled by the queue every 30 s: urgent flags raised since the page was drawn.

    While there are none the answer is the polling element itself; once there are, it shows
    them (with their actions) and polling stops, so nothing being typed there is replaced.
    """
    since_value = request.GET.get("since", "")
    since = _since(since_value)
    if since is None:
        since_value, since = f"{time.time():.6f}", timezone.now()
    new_flags = _with_clock(
        list(
            _flags_for_rows(request.user)
            .open()
            .filter(level=FlagLevel.URGENT, created_at__gt=since)
            .order_by("-created_at")[:PAGE_SIZE]
        )
    )
    return render(
        request,
        "tracker/clinician/_new_urgent.html",
        {"new_flags": new_flags, "since": since_value, "since_time": since},
    )


def _flag_row_answer(request, flag, *, error, done):
    """The flag's row swapped in place (htmx), or back to the page with a message."""
    if request.htmx:
        return render(
            request,
            "tracker/clinician/_flag_row_swap.html",
            {
                "flags": _with_clock([_flags_for_rows(request.user).get(pk=flag.pk)]),
                "layout": request.POST.get("layout", "queue"),
                "row_error": error,
                "row_done": done,
                "next": safe_next_url(request, ""),
                "audiences": forms.NoteAudience.choices,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(safe_next_url(request, reverse("tracker:triage")))


@require_POST
@clinician_required
@write_rate_limited("flag")
def flag_transition(request, pk, action):
    """Acknowledge a flag with a note, at once (no confirmation): the row is swapped in place
    (htmx), or the page comes back (no JavaScript). Someone else having done it first is said
    in the row."""
    flag = get_object_or_404(Flag.objects.visible_to(request.user), pk=pk)
    form = forms.FlagNoteForm(request.POST)
    error = done = None
    if form.is_valid():
        try:
            services.acknowledge_flag(
                flag=flag,
                by=request.user,
                note=form.cleaned_data["note"].strip(),
                shared=form.shared,
            )
        except FlagTransitionError as exc:
            error = str(exc)
        else:
            done = _("Flag acknowledged.")
    else:
        error = " ".join(message for errors in form.errors.values() for message in errors)
    return _flag_row_answer(request, flag, error=error, done=done)


@clinician_required
@write_rate_limited("flag")
def flag_resolve(request, pk):
    """Resolve a flag, confirmed on a page of its own (works without JavaScript): an urgent
    flag needs its outcome (what was done) and a note; nothing is saved until confirmed."""
    flag = get_object_or_404(
        Flag.objects.visible_to(request.user).select_related(
            "course__patient", "course__therapy", "term"
        ),
        pk=pk,
    )
    form = forms.FlagResolveForm(request.POST or None, flag=flag)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.resolve_flag(
                    flag=flag,
                    by=request.user,
                    note=form.cleaned_data["note"].strip(),
                    outcome=form.cleaned_data["outcome"],
                    shared=form.shared,
                )
            except FlagTransitionError as exc:
                if request.htmx:
                    return _flag_row_answer(request, flag, error=str(exc), done=None)
                form.add_error(None, str(exc))
            else:
                return _flag_row_answer(request, flag, error=None, done=_("Flag resolved."))
        elif request.htmx:
            error = " ".join(message for errors in form.errors.values() for message in errors)
            return _flag_row_answer(request, flag, error=error, done=None)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    _with_clock([flag])
    return render(
        request,
        "tracker/clinician/flag_resolve.html",
        {
            "flag": flag,
            "form": form,
            "next": safe_next_url(request, reverse("tracker:triage")),
        },
    )


@require_POST
@clinician_required
@write_rate_limited("flag")
def flags_acknowledge_together(request):
    """Acknowledge "expected, logged" flags together with one note: those ticked, or all of
    one patient's. Only open info flags of the clinician's patients are touched."""
    form = forms.FlagsTogetherForm(request.POST)
    back = redirect(safe_next_url(request, reverse("tracker:triage")))
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return back
    flags = Flag.objects.visible_to(request.user).open().filter(level=FlagLevel.INFO)
    if form.cleaned_data["patient"]:
        flags = flags.filter(course__patient_id=form.cleaned_data["patient"])
    else:
        flags = flags.filter(pk__in=form.flag_ids)
    done = services.acknowledge_flags(
        flags=list(flags),
        by=request.user,
        note=form.cleaned_data["note"].strip(),
        shared=form.shared,
    )
    if done:
        messages.success(
            request,
            ngettext(
                "%(count)d expected flag acknowledged.",
                "%(count)d expected flags acknowledged.",
                len(done),
            )
            % {"count": len(done)},
        )
    else:
        messages.error(request, _("These flags were already acknowledged; nothing changed."))
    return back


# --- Not reported yet ---------------------------------------------------------------------------


@dataclass
class OverdueCourse:
    course: Course
    last_report_at: datetime.datetime | None
    due: datetime.date
    days_late: int


@require_safe
@clinician_required
def not_reported(request):
    """Active outpatient courses whose next report is overdue (tracker/schedule.py), longest
    overdue first, a page at a time.

    Two queries, whatever the number of patients: each course's start, the time of its
    latest report that is not entered in error and its patient's family name (no model built),
    to find and order the overdue ones; then the page's courses with their patient and
    therapy, to show. The first reads the team's courses only: the name comes by the patient's
    key, course by course (a join let PostgreSQL read every patient of the network), and the
    database does not sort what Python sorts."""
    today = timezone.localdate()
    candidates = (
        Course.objects.visible_to(request.user)
        .active()
        .filter(therapy__setting=Setting.OUTPATIENT)
        .with_last_report()
        .annotate(
            family_name=Subquery(
                Patient.objects.filter(pk=OuterRef("patient_id")).order_by().values("family_name")
            )
        )
        .order_by()
        .values_list("pk", "start_date", "last_reported_at", "family_name")
    )
    late = []
    for pk, start_date, last_reported_at, family_name in candidates:
        last_on = timezone.localtime(last_reported_at).date() if last_reported_at else None
        if schedule.is_overdue(start_date=start_date, last_report_on=last_on, today=today):
            due = schedule.next_report_due(start_date=start_date, last_report_on=last_on)
            late.append((-(today - due).days, family_name, pk, last_reported_at, due))
    late.sort(key=lambda row: row[:3])
    page = Paginator(late, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = (
        Course.objects.select_related("patient", "therapy")
        .order_by()
        .in_bulk([row[2] for row in page.object_list])
    )
    overdue = [
        OverdueCourse(shown[pk], last_reported_at, due, -minus_days_late)
        for minus_days_late, _name, pk, last_reported_at, due in page.object_list
    ]
    return render(
        request,
        "tracker/clinician/not_reported.html",
        {"overdue": overdue, "page": page, "today": today},
    )


# --- Patients -----------------------------------------------------------------------------------


@require_safe
@clinician_required
def patient_list(request):
    """Patients in scope, searched by name or MRN (every word must match one of them).

    Queries: the page of patients, their count, and their visible courses with therapies.
    """
    query = request.GET.get("q", "").strip()
    patients = (
        Patient.objects.visible_to(request.user)
        .select_related("care_team")
        .filter(patient_search(query))
    )
    patients = patients.prefetch_related(
        Prefetch(
            "courses",
            queryset=Course.objects.visible_to(request.user)
            .select_related("therapy")
            .order_by("-start_date"),
        )
    ).order_by("family_name", "given_name", "mrn")
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tracker/clinician/patient_list.html",
        {"page": page, "patients": page.object_list, "query": query},
    )


@clinician_required
@write_rate_limited("course")
def patient_create(request):
    """A clinician registers a patient for one of their care teams."""
    form = forms.PatientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.register_patient(
                by=request.user,
                care_team=form.cleaned_data["care_team"],
                **form.patient_fields(),
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        except PermissionDenied:
            form.add_error("care_team", _("Patients are registered for your own care team."))
        else:
            messages.success(request, _("Patient registered."))
            return redirect("tracker:patient-detail", pk=patient.pk)
    return render(request, "tracker/clinician/patient_form.html", {"form": form, "patient": None})


@clinician_required
@write_rate_limited("course")
def patient_edit(request, pk):
    """Correct a patient's record with a reason (kept in its history); their own care team
    only (another team, even one sharing a course, gets "not found")."""
    patient = get_object_or_404(
        Patient.objects.filter(care_team__members=request.user).select_related("care_team"),
        pk=pk,
    )
    form = forms.PatientEditForm(request.POST or None, instance=patient, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.update_patient(
                patient=patient,
                by=request.user,
                changes=form.patient_fields(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            if updated.changed_fields:
                messages.success(request, _("Patient record updated."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("tracker:patient-detail", pk=patient.pk)
    return render(
        request, "tracker/clinician/patient_form.html", {"form": form, "patient": patient}
    )


@require_safe
@clinician_required
def patient_detail(request, pk):
    patient = get_object_or_404(
        Patient.objects.visible_to(request.user).select_related("care_team", "user"), pk=pk
    )
    courses = (
        Course.objects.visible_to(request.user)
        .filter(patient=patient)
        .select_related("therapy", "care_team")
        .with_open_flag_counts()
        .order_by("-start_date")
    )
    return render(
        request,
        "tracker/clinician/patient_detail.html",
        {
            "patient": patient,
            "courses": courses,
            # The portal invitation is the patient's own care team's, not a sharing team's.
            "can_invite": services.may_invite(request.user, patient),
            "can_edit": services.may_edit_patient(request.user, patient),
        },
    )


# --- Courses ------------------------------------------------------------------------------------


@clinician_required
@write_rate_limited("course")
def course_create(request, pk):
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=pk)
    my_teams = set(request.user.care_teams.values_list("pk", flat=True))
    initial = {
        "start_date": timezone.localdate(),
        "status": CourseStatus.ACTIVE,
        "care_team": patient.care_team_id if patient.care_team_id in my_teams else None,
    }
    form = forms.CourseForm(
        request.POST or None,
        user=request.user,
        regimen_url=reverse("tracker:therapy-regimen"),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form._meta.fields}
        try:
            course = services.start_course(patient=patient, by=request.user, **fields)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("Course created."))
            return redirect("tracker:course-detail", pk=course.pk)
    return render(
        request,
        "tracker/clinician/course_form.html",
        {"form": form, "patient": patient, "course": None},
    )


def _refused_in_error(request, course):
    """A course entered in error takes no new record and no correction: the page says so."""
    if not course.entered_in_error:
        return None
    messages.error(
        request, _("This course was marked entered in error; it takes no new records or changes.")
    )
    return redirect("tracker:course-detail", pk=course.pk)


@clinician_required
@write_rate_limited("course")
def course_edit(request, pk):
    """Correct a course with a reason (kept in its history). A change to what the rules read
    (therapy, baselines, laboratory limits) judges the course's records again."""
    course = _course_or_404(request, pk)
    if refused := _refused_in_error(request, course):
        return refused
    form = forms.CourseEditForm(
        request.POST or None,
        instance=course,
        user=request.user,
        regimen_url=reverse("tracker:therapy-regimen"),
    )
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form._meta.fields}
        try:
            corrected = services.correct_course(
                course=course, by=request.user, changes=changes, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            if not corrected.changed_fields:
                messages.info(request, _("Nothing was changed."))
            elif corrected.flags_raised or corrected.flags_withdrawn:
                messages.success(request, _correction_message(corrected))
            else:
                messages.success(request, _("Course updated."))
            return redirect("tracker:course-detail", pk=course.pk)
    return render(
        request,
        "tracker/clinician/course_form.html",
        {"form": form, "patient": course.patient, "course": course},
    )


@require_safe
@clinician_required
def therapy_regimen(request):
    """The regimen field filled from the chosen therapy (htmx fragment of the course form)."""
    choice = forms.TherapyChoiceForm(request.GET)
    therapy = choice.cleaned_data.get("therapy") if choice.is_valid() else None
    # In the reader's language, its source keys shown as citations (therapies/citations.py).
    form = forms.CourseForm(
        user=request.user, initial={"regimen": therapy.regimen_text if therapy else ""}
    )
    return render(request, "tracker/clinician/_regimen_field.html", {"field": form["regimen"]})


def _has_timeline(summary):
    # The timeline chart has something to draw: graded points, or flags without a grade.
    return bool(summary.grade_points) or any(
        f.ctcae_grade is None and f.composite_grade is None for f in summary.flags
    )


def _has_vitals_chart(summary):
    return any(summary.vitals.get(name) for name in VITAL_SERIES)


@dataclass
class VitalsRow:
    when: datetime.datetime
    record: object
    kind: str
    weight_percent: float | None


def _vitals_rows(summary):
    """The vitals chart's data as a table: one row per report or visit with a measurement."""
    baseline = summary.course.baseline_weight_kg
    names = [m.name for m in measurements.MEASUREMENTS if m.in_vitals_table]
    rows = []
    for kind, records, when in (
        ("report", summary.reports, "reported_at"),
        ("visit", summary.visits, "recorded_at"),
    ):
        for record in records:
            # A report has no laboratory fields: those read as not measured.
            values = [getattr(record, name, None) for name in names]
            if all(value is None for value in values):
                continue
            percent = None
            if baseline and record.weight_kg is not None:
                percent = weight_gain_percent(float(record.weight_kg), float(baseline))
            rows.append(VitalsRow(getattr(record, when), record, kind, percent))
    return sorted(rows, key=lambda row: row.when)


def _record_time(record):
    if isinstance(record, DoseAdministration):
        return record.scheduled_at
    return getattr(record, "recorded_at", None) or record.reported_at


# The course page lists the latest records of each kind; `?all=1` lists more of them, up to
# MAX_ROWS a list whatever the course's size (a patient's script once made 1,400 reports and
# 2,800 flags in a minute: the page grew to 6.5 MB). The CSV export has every observation; the
# summary tables above the lists cover the whole course.
RECENT_ROWS = 20
MAX_ROWS = 200


def _flags_to_show(flags, show_all):
    """Unresolved flags, most urgent first: every urgent one, then up to RECENT_ROWS in all;
    never more than MAX_ROWS (the most urgent, newest first within a level)."""
    if show_all:
        return flags[:MAX_ROWS]
    urgent = [f for f in flags if f.level == FlagLevel.URGENT][:MAX_ROWS]
    others = [f for f in flags if f.level != FlagLevel.URGENT][: max(RECENT_ROWS - len(urgent), 0)]
    keep = {f.pk for f in [*urgent, *others]}
    return [f for f in flags if f.pk in keep]


def _latest(rows, show_all, newest_last=False):
    """The latest RECENT_ROWS of `rows` (MAX_ROWS with `show_all`), ordered oldest first when
    newest_last."""
    count = MAX_ROWS if show_all else RECENT_ROWS
    if len(rows) <= count:
        return rows
    return rows[-count:] if newest_last else rows[:count]


@require_safe
@clinician_required
def course_detail(request, pk):
    """Everything about one course. Its body below the dose advice is kept by course version
    (tracker/course_page.py): an unchanged course reads its version (one query) and the kept
    body; the dose advice is judged at each request. Otherwise build_summary's fixed queries,
    plus the records marked entered in error (three queries) and the navigation count:
    constant in the rows. The lists show the latest RECENT_ROWS rows of each kind, or MAX_ROWS
    with `?all=1`, so the page does not grow with the course."""
    course = _course_or_404(request, pk)
    # The version before the data: a write in between makes the kept body newer, never older.
    version = course_page.page_version(course)
    key = course_page.body_key(request, course, version)
    body = course_page.cached_body(key)
    if body is None:
        summary = build_summary(course)
        context = _course_body_context(summary, request.GET.get("all") == "1")
        # The charts are drawn into the body, kept under the charts' version (read with the
        # page's, tracker/versions.py): the browser makes no request for them. Should one not
        # be written without styles, the page links to it with that version instead (`?v=`).
        context["chart_version"] = version.charts
        context["charts"] = {
            "timeline": context["has_timeline"]
            and charts.page_chart("timeline", summary, version.charts),
            "vitals": context["has_vitals_chart"]
            and charts.page_chart("vitals", summary, version.charts),
        }
        body = course_page.render_body(request, context, key)
        dose_advice = summary.dose_advice
    else:
        dose_advice = course_page.live_dose_advice(course)
    return render(
        request,
        "tracker/clinician/course_detail.html",
        {
            "course": course,
            "is_high_dose_il2": course.therapy.drug_class == DrugClass.IL2_HIGH_DOSE,
            "dose_advice": dose_advice,
            "override_form": forms.DoseAdviceOverrideForm()
            if request.user.is_physician
            and dose_advice
            and dose_advice.get("permanent")
            and course.status == CourseStatus.ACTIVE
            else None,
            "body": mark_safe(course_page.with_token(request, body)),  # noqa: S308 (rendered)
        },
    )


def _course_body_context(summary, show_all):
    """What the kept body of the course page shows (nothing per request or per person)."""
    course = summary.course
    in_error = sorted(
        [
            *Visit.objects.filter(course=course, entered_in_error=True).order_by("-recorded_at")[
                :MAX_ROWS
            ],
            *SymptomReport.objects.filter(course=course, entered_in_error=True).order_by(
                "-reported_at"
            )[:MAX_ROWS],
            *DoseAdministration.objects.filter(course=course, entered_in_error=True).order_by(
                "-scheduled_at"
            )[:MAX_ROWS],
        ],
        key=_record_time,
    )[-MAX_ROWS:]
    records = sorted(
        [*summary.visits, *summary.reports],
        key=lambda r: getattr(r, "recorded_at", None) or r.reported_at,
        reverse=True,
    )
    unresolved = [f for f in summary.flags if f.status != FlagStatus.RESOLVED]
    vitals_rows = _vitals_rows(summary)
    lists = {
        "flags": (unresolved, _flags_to_show(unresolved, show_all)),
        "grade_points": (
            summary.grade_points,
            _latest(summary.grade_points, show_all, newest_last=True),
        ),
        "vitals_rows": (vitals_rows, _latest(vitals_rows, show_all, newest_last=True)),
        "doses": (summary.doses, _latest(summary.doses, show_all, newest_last=True)),
        "records": (records, _latest(records, show_all)),
    }
    counts = {
        name: {"shown": len(shown), "total": len(every)} for name, (every, shown) in lists.items()
    }
    for flag in lists["flags"][1]:
        flag.course = summary.course  # the rows read it; no query per flag
    for row in summary.side_effects:
        row.worst_open_level_label = (
            FlagLevel(row.worst_open_level).label if row.worst_open_level else ""
        )
    return {
        "course": summary.course,
        "summary": summary,
        "unresolved_flags": lists["flags"][1],
        "has_timeline": _has_timeline(summary),
        "has_vitals_chart": _has_vitals_chart(summary),
        "grade_points": [
            (
                summary.day_of_course(p.when),
                p,
                FlagLevel(p.flag_level).label if p.flag_level else "",
            )
            for p in lists["grade_points"][1]
        ],
        "vitals_rows": lists["vitals_rows"][1],
        # The latest measurements open the page, beside the dose advice and the flags.
        "last_vitals": vitals_rows[-1] if vitals_rows else None,
        "doses": lists["doses"][1],
        "records": lists["records"][1],
        "in_error": in_error,
        # The latest photos the patient sent with their reports (bounded like the lists).
        "photos": list(
            ReportPhoto.objects.filter(report__course=course)
            .current()
            .select_related("report")
            .order_by("-uploaded_at")[:RECENT_ROWS]
        ),
        "show_all": show_all,
        "recent_rows": RECENT_ROWS,
        "max_rows": MAX_ROWS,
        "counts": counts,
        "more": any(c["shown"] < c["total"] for c in counts.values()),
        "capped": show_all and any(c["shown"] < c["total"] for c in counts.values()),
    }


CHART_CSP = charts.SVG_RESPONSE_CSP


@require_safe
@clinician_required
@csp_update(CHART_CSP)
def course_chart(request, pk, chart):
    """A course chart as SVG, for links, exports and the course page's fallback (`?v=`, the
    charts' version; the page draws its charts in its own HTML). Cached per course version:
    the summary is gathered only when the chart is drawn. The chart kept for the link's version
    is served after the scoped lookup alone; an old or unknown version gets the current chart."""
    # The scoped lookup of the course's id alone: drawing gathers the summary itself.
    course = get_object_or_404(Course.objects.visible_to(request.user).only("pk").order_by(), pk=pk)
    # The ETag after the scoped lookup: a course out of scope answers 404, never 304.
    svg, version = charts.chart_at(chart, course, request.GET.get("v"))
    etag = http_cache.etag_of(charts.chart_etag(chart, course, version))
    if not_modified := http_cache.not_modified(request, etag):
        return not_modified
    if svg is None:
        raise Http404(_("This chart has no data yet."))
    return http_cache.revalidated(HttpResponse(svg, content_type="image/svg+xml"), etag)


# --- Visits ---------------------------------------------------------------------------------------


def _adverse_event_terms():
    """Every term of the vocabulary, by CTCAE term (the clinician's word), one query."""
    return {t.slug: t for t in SideEffectTerm.objects.order_by("ctcae_term")}


def _next_dose_initial(course):
    """The next dose's number, time (one dosing interval after the last) and amount."""
    # Doses entered in error give their number back.
    last = course.doses.current().order_by("-dose_number").first()
    last_given = (
        course.doses.current().filter(status=DoseStatus.GIVEN).order_by("-dose_number").first()
    )
    number = services.next_dose_number(course)
    interval = course.therapy.interval_hours
    if last and interval:
        scheduled = timezone.localtime(last.scheduled_at + datetime.timedelta(hours=interval))
    else:
        scheduled = forms.now_to_the_minute()
    return {
        "dose_number": number,
        "scheduled_at": scheduled.replace(second=0, microsecond=0),
        "dose_amount": last_given.dose_amount if last_given else None,
        "dose_unit": last_given.dose_unit if last_given else course.therapy.dose_unit,
    }


@clinician_required
@write_rate_limited("visit")
def visit_create(request, pk):
    """Vitals, labs, adverse events and doses in one form, saved all or nothing."""
    course = _course_or_404(request, pk)
    if refused := _refused_in_error(request, course):
        return refused
    data = request.POST if request.method == "POST" else None
    form = forms.VisitForm(
        data,
        course=course,
        initial={"recorded_at": forms.now_to_the_minute()},
        dose_assessment=course.therapy.drug_class == DrugClass.IL2_HIGH_DOSE,
    )
    # Keyboard first: the cursor starts in the first measurement (the time is filled in).
    form.fields["temperature_c"].widget.widgets[0].attrs["autofocus"] = True
    ae_formset = forms.AdverseEventFormSet(
        data,
        prefix="ae",
        form_kwargs={
            "terms": _adverse_event_terms(),
            "definitions_url": reverse("tracker:ctcae-definitions"),
        },
    )
    dose_formset = forms.DoseFormSet(
        data,
        prefix="dose",
        # As form initial (not formset initial), so that the row stays an "extra" form that is
        # skipped when left untouched.
        form_kwargs={
            "initial": _next_dose_initial(course),
            "taken_numbers": frozenset(
                course.doses.current().values_list("dose_number", flat=True)
            ),
            "course": course,
        },
    )
    valid = data is not None and all(
        [form.is_valid(), ae_formset.is_valid(), dose_formset.is_valid()]
    )
    if valid:
        try:
            # The visit, its adverse events and flags, and the doses: all or nothing (one
            # service, one transaction).
            recorded = services.record_visit(
                course=course,
                by=request.user,
                measurements=form.measurements(),
                adverse_events=[
                    services.AdverseEventEntry(**event) for event in ae_formset.events()
                ],
                notes=form.cleaned_data["notes"],
                recorded_at=form.cleaned_data["recorded_at"],
                assessment=form.assessment(),
                doses=[services.DoseEntry(**dose) for dose in dose_formset.doses()],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        except IntegrityError:
            # Someone recorded the same dose number a moment ago (unique per course).
            form.add_error(
                None, _("A dose with this number was just recorded. Check the dose log.")
            )
        else:
            for dose in recorded.doses:
                messages.success(
                    request,
                    _("Dose %(number)s recorded: %(status)s.")
                    % {"number": dose.dose_number, "status": dose.get_status_display()},
                )
            return redirect(
                reverse("tracker:visit-detail", kwargs={"pk": recorded.visit.pk}) + "?saved=1"
            )
    return render(
        request,
        "tracker/clinician/visit_form.html",
        {
            "course": course,
            "form": form,
            "ae_formset": ae_formset,
            "dose_formset": dose_formset,
            # The error summary links to the fields of each row too.
            "formsets": [(_("Adverse event"), ae_formset), (_("Dose"), dose_formset)],
            "grade_meanings": ctcae_definitions.GRADE_MEANINGS.items(),
        },
    )


@require_safe
@clinician_required
def ctcae_definitions_fragment(request):
    """The CTCAE v5.0 grades of the term chosen on an adverse-event row (htmx fragment)."""
    # The select sends itself under its formset name (ae-0-term, ae-1-term, ...).
    field = next((name for name in request.GET if name.endswith("-term")), "")
    slug = request.GET.get(field, "")
    return render(
        request,
        "tracker/clinician/_ctcae_definitions.html",
        {
            "term": SideEffectTerm.objects.filter(slug=slug).first(),
            "grades": ctcae_definitions.grades_for(slug),
        },
    )


def _record_flags(queryset):
    return queryset.select_related("term", "acknowledged_by", "resolved_by").by_urgency()


@require_safe
@clinician_required
def visit_detail(request, pk):
    """A visit as recorded, with the flags it raised and the dose advice (also the page shown
    right after saving)."""
    visit = get_object_or_404(
        Visit.objects.visible_to(request.user).select_related(
            "course__patient", "course__therapy", "course__care_team", "recorded_by"
        ),
        pk=pk,
    )
    flags = list(_record_flags(visit.flags.all()))
    for flag in flags:
        flag.course = visit.course
    return render(
        request,
        "tracker/clinician/visit_detail.html",
        {
            "visit": visit,
            "course": visit.course,
            "events": visit.adverse_events.select_related("term"),
            "flags": flags,
            "just_saved": request.GET.get("saved") == "1",
            "is_high_dose_il2": visit.course.therapy.drug_class == DrugClass.IL2_HIGH_DOSE,
            "dose_advice": _stored_advice(visit.dose_advice),
        },
    )


def _stored_advice(stored):
    """A visit's stored dose advice as the page shows it (`since` as a time)."""
    if not stored:
        return None
    since = stored.get("since")
    return {
        **stored,
        "since": datetime.datetime.fromisoformat(since) if since else None,
        "terms": {},  # the terms its lines name: read from the catalog when worded
    }


@require_POST
@clinician_required
def dose_advice_override(request, pk):
    """A physician lifts a discontinued high-dose IL-2 course, with a reason (history)."""
    course = _course_or_404(request, pk)
    if not request.user.is_physician:
        raise PermissionDenied(_("Only a physician can lift a discontinuation."))
    form = forms.DoseAdviceOverrideForm(request.POST)
    if form.is_valid():
        services.override_discontinuation(
            course=course, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            _("Override recorded: only assessments made from now on count for the dose advice."),
        )
    else:
        messages.error(request, _("Say why the course may continue; nothing was recorded."))
    return redirect("tracker:course-detail", pk=course.pk)


# --- Reports on the patient's behalf ------------------------------------------------------------


@clinician_required
@write_rate_limited("report")
def report_create(request, pk):
    """A symptom report taken over the phone, judged by the same rules as the patient's own."""
    course = _course_or_404(request, pk)
    if refused := _refused_in_error(request, course):
        return refused
    terms = SideEffectTerm.objects.filter(kind=TermKind.REPORTED).order_by("sort_order", "slug")
    form = forms.ReportOnBehalfForm(
        request.POST or None,
        terms=terms,
        course=course,
        initial={"reported_at": forms.now_to_the_minute()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = services.submit_report(
                course=course,
                by=request.user,
                answers=[
                    services.AnswerInput(
                        term=a.term,
                        frequency=a.frequency,
                        severity=a.severity,
                        interference=a.interference,
                        present=a.present,
                    )
                    for a in form.answers
                ],
                measurements=form.measurements(),
                note=form.cleaned_data["note"],
                reported_at=form.cleaned_data["reported_at"],
                recall_period=form.cleaned_data["recall_period"],
            ).report
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            return redirect(reverse("tracker:report-detail", kwargs={"pk": report.pk}) + "?saved=1")
    return render(
        request,
        "tracker/clinician/report_form.html",
        {
            "course": course,
            "form": form,
            "columns": [forms.ATTRIBUTE_LABELS[c] for c in forms.ANSWER_COLUMNS],
        },
    )


@require_safe
@clinician_required
def report_detail(request, pk):
    report = get_object_or_404(
        SymptomReport.objects.visible_to(request.user).select_related(
            "course__patient", "course__therapy", "course__care_team", "submitted_by"
        ),
        pk=pk,
    )
    flags = list(_record_flags(report.flags.all()))
    for flag in flags:
        flag.course = report.course
    photos = list(ReportPhoto.objects.filter(report=report))
    return render(
        request,
        "tracker/clinician/report_detail.html",
        {
            "report": report,
            "course": report.course,
            "answers": SymptomAnswer.objects.filter(report=report).select_related("term"),
            "photos": [p for p in photos if not p.entered_in_error],
            "photos_in_error": [p for p in photos if p.entered_in_error],
            "flags": flags,
            "just_saved": request.GET.get("saved") == "1",
        },
    )


# --- Corrections, "entered in error" and history -------------------------------------------------

RECORD_KINDS = {
    "visit": lambda user: Visit.objects.visible_to(user).select_related(
        "course__patient", "course__therapy", "course__care_team"
    ),
    "report": lambda user: SymptomReport.objects.visible_to(user).select_related(
        "course__patient", "course__therapy", "course__care_team"
    ),
    "adverse-event": lambda user: AdverseEvent.objects.visible_to(user).select_related(
        "term", "visit__course__patient", "visit__course__therapy", "visit__course__care_team"
    ),
    "dose": lambda user: DoseAdministration.objects.visible_to(user).select_related(
        "course__patient", "course__therapy", "course__care_team"
    ),
    "course": lambda user: Course.objects.visible_to(user).select_related(
        "patient", "therapy", "care_team"
    ),
}
# A course is corrected on its own edit page (course_edit), and marked entered in error here.
CORRECTABLE_KINDS = ("visit", "report", "adverse-event", "dose")
ENTERED_IN_ERROR_KINDS = (*CORRECTABLE_KINDS, "course")


def _record_or_404(request, kind, pk, kinds=CORRECTABLE_KINDS):
    if kind not in kinds:
        raise Http404
    return get_object_or_404(RECORD_KINDS[kind](request.user), pk=pk)


def _course_of(record):
    if isinstance(record, Course):
        return record
    if isinstance(record, AdverseEvent):
        return record.visit.course
    return record.course


def record_url(record):
    if isinstance(record, DoseAdministration):
        return reverse("tracker:course-detail", kwargs={"pk": record.course_id}) + "#dose-log"
    if isinstance(record, Visit):
        return reverse("tracker:visit-detail", kwargs={"pk": record.pk})
    if isinstance(record, SymptomReport):
        return reverse("tracker:report-detail", kwargs={"pk": record.pk})
    if isinstance(record, AdverseEvent):
        return reverse("tracker:visit-detail", kwargs={"pk": record.visit_id})
    return reverse("tracker:course-detail", kwargs={"pk": record.pk})


def record_title(record):
    """What a record is, in words, for headings."""
    if isinstance(record, Visit):
        return _("Visit of %(when)s") % {"when": _when(record.recorded_at)}
    if isinstance(record, SymptomReport):
        return _("Symptom report of %(when)s") % {"when": _when(record.reported_at)}
    if isinstance(record, AdverseEvent):
        return _("%(term)s, grade %(grade)s, at the visit of %(when)s") % {
            "term": record.term.clinical_name,
            "grade": record.grade,
            "when": _when(record.visit.recorded_at),
        }
    if isinstance(record, DoseAdministration):
        return _("Dose %(number)s, scheduled for %(when)s") % {
            "number": record.dose_number,
            "when": _when(record.scheduled_at),
        }
    return _("Course of %(therapy)s") % {"therapy": record.therapy.display_name}


def _when(moment):
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _in_error(record):
    if getattr(record, "entered_in_error", False):
        return True
    if isinstance(record, AdverseEvent) and record.visit.entered_in_error:
        return True
    # The records of a course entered in error are in error with it.
    return not isinstance(record, Course) and _course_of(record).entered_in_error


def _correction_message(changed):
    """ "Correction saved: 2 flags withdrawn, 1 flag raised." (or that no flag changed)."""
    parts = []
    if changed.flags_withdrawn:
        count = len(changed.flags_withdrawn)
        parts.append(
            ngettext("%(count)d flag withdrawn", "%(count)d flags withdrawn", count)
            % {"count": count}
        )
    if changed.flags_raised:
        count = len(changed.flags_raised)
        parts.append(
            ngettext("%(count)d flag raised", "%(count)d flags raised", count) % {"count": count}
        )
    if not parts:
        return _("Correction saved. No flag changed.")
    return _("Correction saved: %(changes)s.") % {"changes": ", ".join(parts)}


@clinician_required
@write_rate_limited("write")
def record_correct(request, kind, pk):
    """Correct a visit, report, adverse event or dose; a reason is required and kept in
    history. The page then says which flags the rules withdrew and raised."""
    record = _record_or_404(request, kind, pk)
    if _in_error(record):
        messages.error(request, _("This record was marked entered in error; it is not corrected."))
        return redirect(record_url(record))
    form_class = forms.CORRECTION_FORMS[type(record)]
    form = form_class(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form._meta.fields}
        reason = form.cleaned_data[form.correction_reason_field]
        try:
            corrected = services.correct_record(
                record=record, by=request.user, changes=changes, reason=reason
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            if not corrected.changed_fields:
                messages.info(request, _("Nothing was changed."))
            else:
                messages.success(request, _correction_message(corrected))
            return redirect(record_url(corrected.record))
    return render(
        request,
        "tracker/clinician/record_correct.html",
        {
            "form": form,
            "record": record,
            "kind": kind,
            "title": record_title(record),
            "course": _course_of(record),
            "back": record_url(record),
        },
    )


@clinician_required
@write_rate_limited("write")
def record_entered_in_error(request, kind, pk):
    """Mark a visit, report, adverse event, dose or course entered in error, with a reason.
    The record stays, marked, in history; its flags are withdrawn."""
    record = _record_or_404(request, kind, pk, kinds=ENTERED_IN_ERROR_KINDS)
    form = forms.EnteredInErrorForm(request.POST or None)
    if _in_error(record):
        messages.info(request, _("This record is already marked entered in error."))
        return redirect(record_url(record))
    if request.method == "POST" and form.is_valid():
        try:
            marked = services.mark_entered_in_error(
                record=record, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            count = len(marked.flags_resolved)
            messages.success(
                request,
                ngettext(
                    "Marked entered in error; %(count)d flag was resolved.",
                    "Marked entered in error; %(count)d flags were resolved.",
                    count,
                )
                % {"count": count},
            )
            return redirect(record_url(record))
    return render(
        request,
        "tracker/clinician/record_entered_in_error.html",
        {
            "form": form,
            "record": record,
            "kind": kind,
            "title": record_title(record),
            "course": _course_of(record),
            "back": record_url(record),
        },
    )


# Bookkeeping fields that change on every save and say nothing about the correction.
HISTORY_EXCLUDED_FIELDS = ("updated_at", "created_at")


def _shown(field, value):
    """A history value as a person reads it."""
    if value is None or value == "":
        return "—"
    if field.is_relation:  # history keeps the id; one query per changed link, on this page only
        target = field.related_model._default_manager.filter(pk=value).first()
        return str(target) if target else value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        return _when(value)
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, dict) and "decision" in value:  # a visit's dose advice
        return advice_text.in_one_line(value)
    return formats.localize(value)


@dataclass
class HistoryEntry:
    version: object
    changes: list


@require_safe
@clinician_required
def record_history(request, kind, pk):
    """Every version of a record: who, when, what changed and why (simple-history)."""
    record = _record_or_404(request, kind, pk, kinds=tuple(RECORD_KINDS))
    versions = list(record.history.select_related("history_user").order_by("-history_date"))
    model = type(record)
    entries = []
    for index, version in enumerate(versions):
        changes = []
        older = versions[index + 1] if index + 1 < len(versions) else None
        if older is not None:
            delta = version.diff_against(older, excluded_fields=HISTORY_EXCLUDED_FIELDS)
            for change in delta.changes:
                field = model._meta.get_field(change.field)
                changes.append(
                    (field.verbose_name, _shown(field, change.old), _shown(field, change.new))
                )
        entries.append(HistoryEntry(version, changes))
    return render(
        request,
        "tracker/clinician/record_history.html",
        {
            "record": record,
            "kind": kind,
            "title": record_title(record),
            "course": _course_of(record),
            "entries": entries,
            "back": record_url(record),
        },
    )
