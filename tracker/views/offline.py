"""The patient portal as an installable web app that keeps working without a connection.

- The web app manifest (name in the patient's language, icons, theme colour), so the portal can
  be added to a phone's home screen and opens on "My page".
- The service worker, served from the portal's root (/my/) so that it may control every
  patient page: it keeps the report pages and the static files on the phone, and answers from
  them when there is no connection (static/js and templates/tracker/patient/service-worker.js).

Both are fetched by the browser itself, which may not send the session cookie for the manifest:
neither needs a signed-in user, and neither carries anything about a patient.
"""

import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

THEME_COLOUR = "#212529"  # the header's colour (Bootstrap's "dark")
BACKGROUND_COLOUR = "#ffffff"


@login_not_required
@require_safe
def manifest(request):
    """The web app manifest, in the language asked for (?lang=, from the page that links it)
    or else the visitor's."""
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = translation.get_language()
    with translation.override(language):
        data = {
            "name": _("Interleukin Therapy Tracker"),
            "short_name": _("My treatment"),
            "description": _("Tell your care team how you are, even without a connection."),
            "lang": language,
            "dir": "ltr",
            "start_url": reverse("tracker:patient-home"),
            "scope": reverse("tracker:patient-home"),
            "id": reverse("tracker:patient-home"),
            "display": "standalone",
            "theme_color": THEME_COLOUR,
            "background_color": BACKGROUND_COLOUR,
            "icons": [
                {
                    "src": static(f"icons/portal-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any",
                }
                for size in (192, 512)
            ],
        }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@login_not_required
@require_safe
def service_worker(request):
    """The service worker script, at /my/ so that its scope is the whole patient portal."""
    response = render(
        request,
        "tracker/patient/service-worker.js",
        {"scope": reverse("tracker:patient-home"), "static_url": static("")},
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = reverse("tracker:patient-home")
    return response


# --- The report pages as kept on the phone ------------------------------------------------------

OFFLINE_COPY = "offline"  # ?offline=1: the form of a step as the phone keeps it


def _offline_copy_asked(request) -> bool:
    return request.method in ("GET", "HEAD") and request.GET.get(OFFLINE_COPY) == "1"


def questions_copy(request, course, terms):
    """Step 2 as the phone keeps it: the questions of every symptom (the phone shows those of
    the symptoms ticked offline), unanswered. None unless ?offline=1 was asked."""
    from tracker.forms.patient import QuestionsForm
    from tracker.views.patient import _step_context

    if not _offline_copy_asked(request):
        return None
    expected, other = terms
    form = QuestionsForm(None, terms=expected + other)
    context = _step_context(course, "questions", form=form, groups=form.groups())
    return render(request, "tracker/patient/report_questions.html", context)


def measurements_copy(request, course):
    """Step 3 as the phone keeps it: the empty fields, no summary (the phone lists the answers
    it keeps) and no sending key (the phone makes one for each report it keeps to send). None
    unless ?offline=1 was asked."""
    from tracker.forms.patient import MeasurementsForm
    from tracker.views.patient import _step_context

    if not _offline_copy_asked(request):
        return None
    context = _step_context(
        course, "measurements", form=MeasurementsForm(None), answers=[], note="", client_id=None
    )
    return render(request, "tracker/patient/report_measurements.html", context)


def sending_key(request):
    """The sending key of a report posted from the phone (hidden field client_id, or the
    Idempotency-Key header), as a UUID; None when there is none or it is not a UUID (the
    report is then sent as any other, and the draft's lock still prevents a double send)."""
    value = request.POST.get("client_id") or request.headers.get("Idempotency-Key") or ""
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None
