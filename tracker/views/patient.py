"""The patient portal: "How are you today?", the answer, my reports and my treatment.

Mobile first and plain HTML: every step is an ordinary form that works without JavaScript.
What the patient types is kept on the server at each step (ReportDraft), so a validation error,
a closed browser or an expired session loses nothing; a step posted after the session expired
is kept in a signed cookie of that page (nothing is written to the database for a visitor who
is not signed in) and put back after signing in. Nothing clinical is recorded until the patient
presses "Send" on the last step (the home measurements, with a summary of the report above the
button).
"""

import contextlib
import datetime
import uuid
from functools import wraps

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from therapies.models import ExpectedSideEffect, SelfCareAdvice, SideEffectTerm, TermKind
from tracker import http_cache, measurements, services, summary, units
from tracker.charts import (
    PATIENT_TIMELINE,
    SVG_RESPONSE_CSP,
    chart_etag,
    course_chart,
    course_version,
)
from tracker.forms.patient import (
    CHOICES,
    PRESENCE_CHOICES,
    MeasurementsForm,
    QuestionsForm,
    SymptomsForm,
)
from tracker.models import (
    Course,
    CourseStatus,
    Flag,
    FlagLevel,
    FlagStatus,
    ReportDraft,
    ReportPhoto,
    SymptomAnswer,
    SymptomReport,
)
from tracker.throttling import refused_past_limit, write_rate_limited
from tracker.views import offline
from tracker.views.decorators import patient_required

# Three steps: the last one takes the home measurements and sends the report, with what it
# holds summed up above "Send". The review address stays for a draft or a phone that was
# there: it opens the last step, and a report posted to it is sent.
STEPS = ("symptoms", "questions", "measurements")
STEP_URLS = {
    "symptoms": "tracker:patient-report-create",
    "questions": "tracker:patient-report-questions",
    "measurements": "tracker:patient-report-measurements",
    "review": "tracker:patient-report-review",
}
# A step posted after the session expired waits in a signed cookie of that page (the browser
# sends it back to that page only) until the patient signs in again, for an hour at most.
SIGNED_OUT_COOKIE = "report_step_signed_out"
SIGNED_OUT_SALT = "tracker.patient.signed-out-post"
SIGNED_OUT_MAX_AGE = datetime.timedelta(hours=1)
MAX_COOKIE_BYTES = 3_500  # browsers keep 4 KB per cookie, name and attributes included
NOT_KEPT = {"csrfmiddlewaretoken", "action", "client_id"}
AUTOSAVE = "autosave"  # the "action" of htmx's background saves while a step is filled in
SEND = "send"  # the "action" of "Send my report", on the last step
MAX_KEPT_BYTES = 20_000  # a report step is a few hundred bytes; never store a flood

# Self-care advice is shown for an expected side effect at a low grade only (PRO-CTCAE composite
# grade 1, or "yes" to a yes/no item that raised no flag): anything worse is for the care team.
SELF_CARE_MAX_GRADE = 1


def _number(value) -> str:
    """40.0 -> "40", 100.4 -> "100.4" (thresholds from the rules are floats)."""
    return f"{float(value):g}"


def danger_signs():
    """When to call emergency services at once, in plain words (domain.md §5.3)."""
    high_fever = summary.FEVER_GRADE_3_ABOVE_C
    return [
        _("Fainting, or very low blood pressure (top number below %(sbp)s)")
        % {"sbp": summary.SYSTOLIC_BP_BELOW_MMHG},
        _("Trouble breathing"),
        _("Chest pain"),
        _("New confusion, or very sleepy and hard to wake"),
        _("Bleeding that does not stop, or blood in your vomit or stool"),
        _("Passing very little urine"),
        _("A temperature over %(celsius)s °C (%(fahrenheit)s °F)")
        % {
            "celsius": _number(high_fever),
            "fahrenheit": _number(units.celsius_to_fahrenheit(high_fever)),
        },
    ]


def call_now_signs(therapy):
    """Signs that need a call to the care team now for this therapy (beyond the danger signs)."""
    signs = [_("Anything that worries you, or a side effect that gets worse quickly")]
    if therapy.drug_class == summary.IL6_BLOCKER:
        fever = summary.IL6_BLOCKER_FEVER_C
        signs.insert(
            0,
            _(
                "Any fever: a temperature of %(celsius)s °C (%(fahrenheit)s °F) or "
                "more, or signs of an infection. This treatment can hide an infection."
            )
            % {
                "celsius": _number(fever),
                "fahrenheit": _number(units.celsius_to_fahrenheit(fever)),
            },
        )
    return signs


def _guidance_context(course, now=None):
    """Whom to call and when the care team looks: outside its opening hours the patient gets
    the out-of-hours number and the day and time the team opens again."""
    team = course.care_team
    now = now or timezone.now()
    team_open = team.is_open(now)
    return {
        "phone": team.phone_for_patients if team_open else team.out_of_hours_phone_for_patients,
        "team_open": team_open,
        "next_opening": None if team_open else team.next_opening(now),
        "today": timezone.localdate(now),
        "emergency_number": settings.EMERGENCY_NUMBER,
        "danger_signs": danger_signs(),
    }


def _decimal(value) -> str:
    """A measured number in the patient's language: 40.3 -> "40,3" in French, 88.0 -> "88"."""
    value = float(value)
    return formats.number_format(value, 0 if value == int(value) else 1)


def _one_decimal(value) -> str:
    return formats.number_format(float(value), 1)


def emergency_sentences(signs, terms, therapy) -> list[str]:
    """The report's emergency signs (saved with it by services.submit_report) in plain words;
    terms maps a side effect's slug to its term, for the symptoms named with a fever."""
    sentences = []
    for sign in signs:
        kind, measured, limit = sign["sign"], sign.get("measured"), sign.get("limit")
        if kind == "high_temperature":
            text = _("Your temperature of %(value)s °C is above %(limit)s °C.") % {
                "value": _one_decimal(measured),
                "limit": _one_decimal(limit),
            }
        elif kind == "low_oxygen":
            text = _("Your oxygen level of %(value)s %% is below %(limit)s %%.") % {
                "value": _decimal(measured),
                "limit": _decimal(limit),
            }
        elif kind == "low_blood_pressure":
            text = _(
                "The top number of your blood pressure, %(value)s mmHg, is below %(limit)s mmHg."
            ) % {"value": _decimal(measured), "limit": _decimal(limit)}
        elif kind == "severe_shortness_of_breath":
            text = _("You are severely short of breath.")
        elif kind == "bleeding":
            text = _("You have blood in your stool, vomit, urine or sputum.")
        elif kind == "confusion":
            text = _("You have new confusion or trouble staying awake.")
        elif kind == "fever_on_il6_blocker":
            symptoms = [
                str(terms[slug].label).lower() if slug in terms else slug
                for slug in sign.get("with_terms", [])
            ]
            text = _(
                "You have a temperature of %(value)s °C, and you report: %(symptoms)s. "
                "%(therapy)s can hide a serious infection."
            ) % {
                "value": _one_decimal(measured),
                "symptoms": get_text_list(symptoms, _("and")),
                "therapy": therapy.display_name,
            }
        else:
            text = _("Something you reported can be a sign of a medical emergency.")
        sentences.append(text)
    return sentences


# --- Scoping --------------------------------------------------------------------------------------


def _own_course(request, pk):
    """The patient's own course, or 404 (Course.objects.visible_to); a course entered in
    error (e.g. created for the wrong patient) is not theirs to see."""
    return get_object_or_404(
        Course.objects.visible_to(request.user).current().select_related("therapy", "care_team"),
        pk=pk,
    )


# --- Drafts ---------------------------------------------------------------------------------------


def _raw(post) -> dict:
    """What was posted, as typed (lists of strings), without the token and the button."""
    return {key: post.getlist(key) for key in post if key not in NOT_KEPT}


def _bound(raw: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in raw.items():
        data.setlist(key, values)
    return data


def _load_draft(user, course) -> dict:
    draft = ReportDraft.objects.fresh().filter(user=user, course=course).first()
    return dict(draft.data) if draft else {}


def _without_nul(value):
    """PostgreSQL's JSON cannot hold a NUL character, and no person types one: drop it."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _save_draft(user, course, data: dict) -> None:
    ReportDraft.objects.update_or_create(
        user=user, course=course, defaults={"data": _without_nul(data)}
    )


def _keep_signed_out_post(request, response):
    """Keep the posted fields in a signed, compressed cookie of this page (when they fit)."""
    size = int(request.META.get("CONTENT_LENGTH") or 0)
    if request.method != "POST" or size > MAX_KEPT_BYTES:
        return
    value = signing.dumps(
        {"path": request.path, "data": _without_nul(_raw(request.POST))},
        salt=SIGNED_OUT_SALT,
        compress=True,
    )
    if len(value) > MAX_COOKIE_BYTES:
        return
    response.set_cookie(
        SIGNED_OUT_COOKIE,
        value,
        max_age=int(SIGNED_OUT_MAX_AGE.total_seconds()),
        path=request.path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def keeps_post_when_signed_out(view):
    """Sign-in first, without losing a step the patient posted after the session expired.

    Nothing is written to the database for a visitor who is not signed in: the posted fields
    are kept in a signed cookie of the page; after signing in, the page puts them back
    (`_take_signed_out_post`) and the cookie is removed. Django's CSRF check has already run,
    so only the patient's own browser can leave data here.
    """

    @login_not_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            response = redirect_to_login(request.get_full_path())
            _keep_signed_out_post(request, response)
            return response
        response = view(request, *args, **kwargs)
        if SIGNED_OUT_COOKIE in request.COOKIES:
            response.delete_cookie(SIGNED_OUT_COOKIE, path=request.path, samesite="Lax")
        return response

    return wrapper


def _take_signed_out_post(request):
    """The fields posted to this page while signed out, once (None if there are none)."""
    if getattr(request, "_signed_out_post_taken", False):
        return None
    request._signed_out_post_taken = True  # the wrapper removes the cookie from the answer
    try:
        kept = signing.loads(
            request.COOKIES.get(SIGNED_OUT_COOKIE, ""),
            salt=SIGNED_OUT_SALT,
            max_age=SIGNED_OUT_MAX_AGE,
        )
    except signing.BadSignature:  # none, tampered with, or too old
        return None
    if not isinstance(kept, dict) or kept.get("path") != request.path:
        return None
    messages.info(
        request,
        _("You were signed out, but nothing you typed was lost. Check it and carry on."),
    )
    return kept["data"]


# --- The steps ------------------------------------------------------------------------------------


def _reported_terms(course):
    """(expected, other): the reportable terms, the therapy's expected ones first (one query)."""
    terms = SideEffectTerm.objects.filter(kind=TermKind.REPORTED).annotate(
        is_expected=Exists(
            ExpectedSideEffect.objects.filter(therapy_id=course.therapy_id, term=OuterRef("pk"))
        )
    )
    terms = list(terms.order_by("sort_order", "slug"))
    return [t for t in terms if t.is_expected], [t for t in terms if not t.is_expected]


class _Report:
    """The forms of one report in progress, bound to what the draft holds."""

    def __init__(self, course, data):
        self.course = course
        self.data = data
        self.expected, self.other = _reported_terms(course)

    def symptoms_form(self):
        raw = self.data.get("symptoms")
        return SymptomsForm(
            None if raw is None else _bound(raw),
            expected_terms=self.expected,
            other_terms=self.other,
        )

    def chosen_terms(self):
        chosen = set((self.data.get("symptoms") or {}).get("symptoms", []))
        return [t for t in self.expected + self.other if t.slug in chosen]

    def questions_form(self):
        raw = self.data.get("questions")
        return QuestionsForm(None if raw is None else _bound(raw), terms=self.chosen_terms())

    def measurements_form(self):
        raw = self.data.get("measurements")
        return MeasurementsForm(None if raw is None else _bound(raw))

    def check(self):
        """(first step to go back to or None, forms): every step validated from the draft."""
        forms = {
            "symptoms": self.symptoms_form(),
            "questions": QuestionsForm(
                _bound(self.data.get("questions") or {}), terms=self.chosen_terms()
            ),
            "measurements": self.measurements_form(),
        }
        for step in ("symptoms", "measurements"):
            if step not in self.data:  # never seen: no report is sent by skipping pages
                return step, forms
        for step, form in forms.items():
            if not form.is_valid():
                return step, forms
        return None, forms


def _step_url(step, course):
    return reverse(STEP_URLS[step], args=[course.pk])


def _after_symptoms(report):
    return "questions" if report.chosen_terms() else "measurements"


def _step_context(course, step, **extra):
    number = STEPS.index(step) + 1 if step in STEPS else len(STEPS)
    return {
        "course": course,
        "step": step,
        "step_number": number,
        "step_count": len(STEPS),
        **extra,
    }


def _running(request, course):
    """Reports are taken on running courses only; None when this one is running."""
    if course.status == CourseStatus.ACTIVE:
        return None
    messages.info(
        request,
        _(
            "This treatment is not running now, so it takes no reports. Call your care team if "
            "you need to."
        ),
    )
    return redirect("tracker:patient-home")


def _run_step(request, course, step, *, form_of, next_step, back_step=None, none_chosen=False):
    """What steps 1-3 share: keep what was posted (or kept while signed out), validate it,
    and move on; returns (report, form, redirect or None).

    The draft records where to resume ("at"): the next step once this one is valid.
    """
    kept = _take_signed_out_post(request)
    posted = request.method == "POST"
    if not posted and kept is None:
        report = _Report(course, _load_draft(request.user, course))
        return report, form_of(report), None
    data = _load_draft(request.user, course)
    data[step] = _raw(request.POST) if posted else kept
    if none_chosen:
        data[step]["symptoms"] = []
    if posted and request.POST.get("action") == AUTOSAVE:
        # htmx sends the page as it is filled in: kept, not judged, nothing else happens.
        data["at"] = step
        _save_draft(request.user, course, data)
        return None, None, HttpResponse(status=204)
    report = _Report(course, data)
    form = form_of(report)
    target = None
    if posted and request.POST.get("action") == "back" and back_step:
        target = back_step(report)
    elif posted and form.is_valid():
        target = next_step(report)
    data["at"] = target or step
    _save_draft(request.user, course, data)
    return report, form, redirect(_step_url(target, course)) if target else None


@keeps_post_when_signed_out
@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_symptoms(request, pk):
    """Step 1: which symptoms, the expected ones first, and "something else" in words."""
    course = _own_course(request, pk)
    if stopped := _running(request, course):
        return stopped
    report, form, moved = _run_step(
        request,
        course,
        "symptoms",
        form_of=lambda report: report.symptoms_form(),
        next_step=_after_symptoms,
        none_chosen=request.POST.get("action") == "none",
    )
    if moved:
        return moved
    expected = {t.slug for t in report.expected}
    # The rest of the vocabulary is behind "Something else?", searchable in both languages.
    words = {t.slug: f"{t.label_en} {t.label_fr}" for t in report.other}
    other = [
        (c, words[c.data["value"]]) for c in form["symptoms"] if c.data["value"] not in expected
    ]
    context = _step_context(
        course,
        "symptoms",
        form=form,
        expected_choices=[c for c in form["symptoms"] if c.data["value"] in expected],
        other_choices=other,
        # Open when something in it was chosen or typed, or when nothing is expected.
        other_open=not expected
        or any(c.data["selected"] for c, _words in other)
        or bool(form["note"].value())
        or bool(form.errors),
    )
    return render(request, "tracker/patient/report_symptoms.html", context)


@keeps_post_when_signed_out
@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_questions(request, pk):
    """Step 2: the PRO-CTCAE questions of each chosen symptom."""
    course = _own_course(request, pk)
    if stopped := _running(request, course):
        return stopped
    if offline_copy := offline.questions_copy(request, course, _reported_terms(course)):
        return offline_copy
    report, form, moved = _run_step(
        request,
        course,
        "questions",
        form_of=lambda report: report.questions_form(),
        next_step=lambda report: "measurements",
        back_step=lambda report: "symptoms",
    )
    if moved:
        return moved
    if not report.chosen_terms():
        return redirect(_step_url("symptoms", course))
    context = _step_context(course, "questions", form=form, groups=form.groups())
    return render(request, "tracker/patient/report_questions.html", context)


@keeps_post_when_signed_out
@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_measurements(request, pk):
    """Step 3, the last: optional measurements taken at home, what the report holds summed up,
    and "Send" (which keeps the measurements and sends the report in one tap)."""
    course = _own_course(request, pk)
    if stopped := _running(request, course):
        return stopped
    if offline_copy := offline.measurements_copy(request, course):
        return offline_copy
    if request.method == "POST" and request.POST.get("action") == SEND:
        # "Send" counts as a report against the limit, as on the review page and in the API;
        # refused, the last step's fields are kept in the draft, to send later.
        if refused := refused_past_limit(request, "report"):
            _keep_last_step(request.user, course, _raw(request.POST))
            return refused
        return _send_report(request, course, measurements=_raw(request.POST))
    report, form, moved = _run_step(
        request,
        course,
        "measurements",
        form_of=lambda report: report.measurements_form(),
        next_step=lambda report: "review",
        back_step=lambda report: "questions" if report.chosen_terms() else "symptoms",
    )
    if moved:
        return moved
    context = _step_context(
        course,
        "measurements",
        form=form,
        # A new sending key each time the page is shown: a double tap on "Send", or the same
        # page sent again, records one report.
        client_id=uuid.uuid4(),
        **_summary(report),
    )
    return render(request, "tracker/patient/report_measurements.html", context)


def _summary(report):
    """What the report holds so far, for the summary above "Send": the symptoms with their
    answers and the note (nothing when a step before needs correcting: "Send" goes there)."""
    symptoms = report.symptoms_form()
    if not (symptoms.is_bound and symptoms.is_valid()):
        return {"answers": [], "note": ""}
    questions = QuestionsForm(
        _bound(report.data.get("questions") or {}), terms=report.chosen_terms()
    )
    if not questions.is_valid():
        return {"answers": [], "note": symptoms.cleaned_data["note"]}
    return {"answers": _answer_rows(questions.answers), "note": symptoms.cleaned_data["note"]}


def _answer_rows(answers):
    """[{term, words, grade}] for the review page, the answer page and my reports."""
    words = {name: dict(choices) for name, choices in CHOICES.items()}
    presence = dict(PRESENCE_CHOICES)
    rows = []
    for answer in answers:
        if answer.term.is_presence:
            parts = [presence["yes" if answer.present else "no"]]
        else:
            parts = [
                words[name][getattr(answer, name)]
                for name in answer.term.attributes
                if getattr(answer, name) is not None
            ]
        grade = getattr(answer, "composite_grade", None)
        rows.append({"term": answer.term, "words": parts, "grade": grade})
    return rows


@keeps_post_when_signed_out
@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
@write_rate_limited("report")
def report_review(request, pk):
    """Where a report used to be checked before "Send" (drafts and phones may still point
    here): a report posted here is sent; otherwise the last step opens, or the step to
    correct."""
    course = _own_course(request, pk)
    if stopped := _running(request, course):
        return stopped
    kept = _take_signed_out_post(request)
    if request.method == "POST":
        return _send_report(request, course)
    report = _Report(course, _load_draft(request.user, course))
    if not report.data:
        return redirect(_step_url("symptoms", course))
    problem, _forms = report.check()
    if kept is not None:
        messages.info(request, _("Your report was not sent yet. Check it and press Send."))
    return redirect(_step_url(problem or "measurements", course))


def _send_report(request, course, measurements=None):
    """Record the draft as a report, once. measurements: the last step's fields as posted
    with "Send", read with the draft (and kept in it when a problem sends the patient back to
    correct them)."""
    client_id = offline.sending_key(request)
    if client_id and (sent := services.report_sent_with(course, client_id)):
        # Sent again by a phone that never got the answer: the same report, not a second (the
        # draft the phone's steps just rewrote is that report's).
        ReportDraft.objects.filter(user=request.user, course=course).delete()
        return redirect("tracker:patient-report-detail", sent.pk)
    try:
        with transaction.atomic():
            # Locked, so that a double tap on "Send" records one report, not two.
            draft = (
                ReportDraft.objects.select_for_update()
                .fresh()
                .filter(user=request.user, course=course)
                .first()
            )
            if draft is None:
                messages.info(request, _("This report was already sent."))
                return redirect("tracker:patient-reports")
            if measurements is not None:
                draft.data = _with_last_step(draft.data, measurements)
            problem, forms = _Report(course, draft.data).check()
            if problem:
                if measurements is not None:  # kept, to correct them
                    draft.save(update_fields=["data", "updated_at"])
                return redirect(_step_url(problem, course))
            saved = services.submit_report_once(
                course=course,
                client_id=client_id,
                looked_up=True,  # just above
                by=request.user,
                answers=forms["questions"].answers,
                measurements=forms["measurements"].measurements(),
                note=forms["symptoms"].cleaned_data["note"],
            )
            draft.delete()
    except ValidationError:
        # The forms check what the model checks; should they ever disagree, nothing is
        # saved (the transaction rolled back) and the draft is still there to correct, with
        # the last step's fields.
        if measurements is not None:
            _keep_last_step(request.user, course, measurements)
        messages.error(request, _("Your report could not be sent. Check your answers."))
        return redirect(_step_url("measurements", course))
    return redirect("tracker:patient-report-detail", saved.report.pk)


def _with_last_step(data, measurements):
    return _without_nul({**data, "measurements": measurements, "at": "measurements"})


def _keep_last_step(user, course, measurements):
    """Keep the last step's fields in the draft when sending failed (to correct them); never a
    new draft when the report was sent meanwhile (a double tap)."""
    draft = ReportDraft.objects.fresh().filter(user=user, course=course).first()
    if draft is None:
        return
    draft.data = _with_last_step(draft.data, measurements)
    with contextlib.suppress(DatabaseError):  # deleted meanwhile: sent by the other tap
        draft.save(update_fields=["data", "updated_at"])


@patient_required
@require_POST
def report_discard(request, pk):
    """Start again: forget the draft of this course."""
    course = _own_course(request, pk)
    ReportDraft.objects.filter(user=request.user, course=course).delete()
    return redirect(_step_url("symptoms", course))


# --- The answer -----------------------------------------------------------------------------------


def self_care_tips(answers, flags):
    """[(term, SelfCareAdvice)]: the catalog's cited advice for each expected side effect just
    reported at a low grade; none for a yes/no item that is a red flag (its flag is urgent)."""
    flagged = {f.term_id for f in flags if f.level == FlagLevel.URGENT}
    low = [
        a
        for a in answers
        if a.expected
        and (
            (a.present and a.term_id not in flagged)
            if a.term.is_presence
            else (a.composite_grade is not None and 0 < a.composite_grade <= SELF_CARE_MAX_GRADE)
        )
    ]
    advice = {
        a.term_id: a
        for a in SelfCareAdvice.objects.filter(term_id__in=[answer.term_id for answer in low])
    }
    return [(a.term, advice[a.term_id]) for a in low if a.term_id in advice]


@patient_required
@require_safe
def report_detail(request, pk):
    """The answer to a report: what to do now, by its most serious open flag."""
    report = get_object_or_404(
        SymptomReport.objects.visible_to(request.user)
        .select_related("course__therapy", "course__care_team")
        .prefetch_related(
            Prefetch("answers", queryset=SymptomAnswer.objects.select_related("term")),
            # A flag withdrawn (its record corrected) no longer says anything about the report.
            Prefetch("flags", queryset=Flag.objects.filter(withdrawn=False).select_related("term")),
        ),
        pk=pk,
    )
    course = report.course
    flags = list(report.flags.all())
    open_flags = [f for f in flags if f.status == FlagStatus.OPEN]
    answers = list(report.answers.all())
    tips = self_care_tips(answers, flags)
    level = summary.worst_level(open_flags)
    just_sent = timezone.now() - report.reported_at < ReportDraft.MAX_AGE
    # Emergency signs send the patient to the emergency number first, right after sending and
    # for as long as the report's urgent flags wait for the care team.
    emergency = []
    if report.emergency_signs and (just_sent or level == FlagLevel.URGENT):
        emergency = emergency_sentences(
            report.emergency_signs, {a.term.slug: a.term for a in answers}, course.therapy
        )
    context = {
        "report": report,
        "course": course,
        "level": level,
        "seen": bool(flags) and not open_flags,
        # When a clinician first acknowledged one of its flags, and the notes shared with the
        # patient (a care-team note is never shown here).
        "seen_at": min((f.acknowledged_at for f in flags if f.acknowledged_at), default=None),
        "shared_notes": [
            note
            for f in flags
            for note, shared in (
                (f.acknowledged_note, f.acknowledged_note_shared),
                (f.resolved_note, f.resolved_note_shared),
            )
            if note and shared
        ],
        "emergency": emergency,
        "answers": _answer_rows(answers),
        "measurements": _report_measurements(report),
        "tips": tips,
        "just_sent": just_sent,
        "photos": ReportPhoto.objects.filter(report=report).current(),
        **_guidance_context(course),
    }
    return render(request, "tracker/patient/report_detail.html", context)


def _report_measurements(report):
    return _measurement_rows(
        {name: getattr(report, name) for name in measurements.REPORT_MEASUREMENTS}
    )


def _measurement_rows(values):
    """[(what, value in words)] of the measurements given, SI first and the other unit after."""
    rows = []
    temperature = values.get("temperature_c")
    if temperature is not None:
        fahrenheit = units.celsius_to_fahrenheit(temperature)
        rows.append(
            (
                _("Temperature"),
                f"{formats.localize(temperature)}\u00a0°C ({formats.localize(fahrenheit)}\u00a0°F)",
            )
        )
    systolic, diastolic = values.get("systolic_bp"), values.get("diastolic_bp")
    if systolic is not None or diastolic is not None:
        rows.append((_("Blood pressure"), f"{systolic or '–'}/{diastolic or '–'}\u00a0mmHg"))
    if values.get("heart_rate") is not None:
        rows.append((_("Pulse"), _("%(rate)s beats per minute") % {"rate": values["heart_rate"]}))
    if values.get("spo2") is not None:
        rows.append((_("Oxygen level (SpO₂)"), f"{_decimal(values['spo2'])}\u00a0%"))
    weight = values.get("weight_kg")
    if weight is not None:
        pounds = units.kg_to_pounds(weight)
        rows.append(
            (
                _("Weight"),
                f"{formats.localize(weight)}\u00a0kg ({formats.localize(pounds)}\u00a0lb)",
            )
        )
    return rows


# --- Home, my reports, my treatment ---------------------------------------------------------------


@patient_required
@require_safe
def home(request):
    """My page: one big "How are you today?" button per running treatment."""
    today = timezone.localdate()
    courses = list(
        Course.objects.visible_to(request.user)
        .current()
        .select_related("therapy", "care_team")
        .with_last_report()
        .annotate(
            has_urgent=Exists(
                Flag.objects.filter(
                    course=OuterRef("pk"), status=FlagStatus.OPEN, level=FlagLevel.URGENT
                )
            ),
        )
        .order_by("status", "-start_date")
    )
    drafts = dict(
        ReportDraft.objects.fresh().filter(user=request.user).values_list("course_id", "data__at")
    )
    for course in courses:
        course.running = course.status == CourseStatus.ACTIVE
        course.next_due = course.report_due()
        course.due_now = course.running and course.next_due <= today
        step = drafts.get(course.pk)
        step = "measurements" if step == "review" else step  # the last step sums up and sends
        course.draft_url = (
            _step_url(step, course)
            if step in STEP_URLS
            else (_step_url("symptoms", course) if course.pk in drafts else None)
        )
    urgent = next((c for c in courses if c.has_urgent), None)
    context = {
        "courses": courses,
        "today": today,
        "urgent_course": urgent,
        **(_guidance_context(urgent) if urgent else {}),
    }
    return render(request, "tracker/patient/home.html", context)


@patient_required
@require_safe
def reports(request):
    """My reports: every report with its answers and grades, and a chart per treatment."""
    report_list = list(
        SymptomReport.objects.visible_to(request.user)
        .current()
        .select_related("course__therapy")
        .prefetch_related(
            Prefetch("answers", queryset=SymptomAnswer.objects.current().select_related("term")),
            Prefetch("flags", queryset=Flag.objects.filter(withdrawn=False)),
        )
        .order_by("-reported_at")
    )
    courses = {}
    for report in report_list:
        report.rows = _answer_rows(report.answers.all())
        report.level = summary.worst_level(report.flags.all())
        report.values = _report_measurements(report)
        course = courses.setdefault(report.course_id, report.course)
        drawn = any(row["grade"] for row in report.rows) or bool(report.flags.all())
        course.charted = getattr(course, "charted", False) or drawn
    context = {"reports": report_list, "courses": list(courses.values())}
    return render(request, "tracker/patient/reports.html", context)


@patient_required
@require_safe
@csp_update(SVG_RESPONSE_CSP)
def grade_chart(request, pk):
    """The grade timeline of one of my courses, as SVG for an <img>."""
    course = _own_course(request, pk)
    # The ETag after the scoped lookup: another patient's course answers 404, never 304.
    version = course_version(course)
    etag = http_cache.etag_of(chart_etag(PATIENT_TIMELINE, course, version))
    if not_modified := http_cache.not_modified(request, etag):
        return not_modified
    svg = course_chart(PATIENT_TIMELINE, course, version=version)
    if svg is None:
        raise Http404
    return http_cache.revalidated(HttpResponse(svg, content_type="image/svg+xml"), etag)


@patient_required
@require_safe
def treatment(request):
    """My treatment: the therapy, the side effects to expect, and when to call."""
    courses = list(
        Course.objects.visible_to(request.user)
        .current()
        .select_related("therapy", "care_team")
        .prefetch_related(
            Prefetch(
                "therapy__expected",
                queryset=ExpectedSideEffect.objects.select_related("term").order_by(
                    "term__sort_order", "term__slug"
                ),
            )
        )
        .order_by("status", "-start_date")
    )
    for course in courses:
        expected = [e.term for e in course.therapy.expected.all()]
        course.noticed = [t for t in expected if t.kind == TermKind.REPORTED]
        course.checked = [t for t in expected if t.kind != TermKind.REPORTED]
        course.call_now = call_now_signs(course.therapy)
        course.phone = course.care_team.phone_for_patients
        course.out_of_hours_phone = course.care_team.out_of_hours_phone_for_patients
    context = {
        "courses": courses,
        "danger_signs": danger_signs(),
        "emergency_number": settings.EMERGENCY_NUMBER,
    }
    return render(request, "tracker/patient/treatment.html", context)
