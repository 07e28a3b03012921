"""What a patient page gives the phone so the report flow works without a connection
(static/js/patient-offline.js): where each report step is, whom to call, the thresholds of the
urgent guidance (tracker.offline_guidance, from the rules) and the messages in the patient's
language."""

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from tracker import offline_guidance
from tracker.models import Course, CourseStatus

register = template.Library()


def _banner_messages():
    """What the banner says, on every patient page (a report kept on the phone is sent from
    whichever page is open when the connection returns)."""
    return {
        "offline": _(
            "You are offline. You can fill in your report: it is kept on this phone until you "
            "are back online."
        ),
        "queued": _("Not sent yet — will send when you are back online."),
        "sending": _("Sending your report…"),
        "sent": _("Your report was sent."),
        "see_report": _("See your report"),
        "check": _("Your report is not sent yet: some answers need checking."),
        "check_link": _("Check my report"),
        "sign_in": _("Your report is not sent yet: sign in to send it."),
        "sign_in_link": _("Sign in"),
        "failed": _("Your report is not sent yet. It will be sent when the connection works."),
    }


def _step_messages():
    """The urgent guidance and the review of the kept answers, on the report steps only."""
    return {
        "emergency_heading": _("Call the emergency number now"),
        "emergency_call": _("Call the emergency number: %(number)s"),
        "urgent_heading": _("This may need care now: call your care team"),
        "care_team_call": _("Call your care team: %(number)s"),
        "out_of_hours_call": _("When your care team is closed: %(number)s"),
        "not_reached": _(
            "Your care team cannot see your answers until you are back online: do not wait "
            "for them to call you."
        ),
        "no_symptoms": _("No symptoms in the last 7 days."),
        "no_measurements": _("None today."),
    }


def _course_urls(course_id):
    report = reverse("tracker:patient-report-create", args=[course_id])
    questions = reverse("tracker:patient-report-questions", args=[course_id])
    measurements = reverse("tracker:patient-report-measurements", args=[course_id])
    review = reverse("tracker:patient-report-review", args=[course_id])
    return {
        "symptoms": report,
        "questions": questions,
        "measurements": measurements,
        "review": review,
        # Kept on the phone in their offline form: every symptom's questions, the measurements
        # without a summary of anyone's answers.
        "questions_offline": questions + "?offline=1",
        "measurements_offline": measurements + "?offline=1",
    }


STEP_PAGES = {
    "patient-report-create",
    "patient-report-questions",
    "patient-report-measurements",
    "patient-report-review",
}
# The step addresses of any course, for a report kept on the phone whose course this page
# does not show: the phone puts the course's id in place of this one.
ANY_COURSE = "00000000-0000-0000-0000-000000000000"


def _running_courses(context):
    """The running courses the page already shows (My page: all of them; a report step: its
    course), without a query of their own."""
    if context.get("courses") is not None:
        return [c for c in context["courses"] if getattr(c, "running", False)]
    course = context.get("course")
    if isinstance(course, Course) and course.status == CourseStatus.ACTIVE:
        return [course]
    return []


@register.inclusion_tag("tracker/patient/_offline.html", takes_context=True)
def offline_portal(context):
    request = context["request"]
    on_step = getattr(request.resolver_match, "url_name", None) in STEP_PAGES
    courses = []
    for course in _running_courses(context):
        team = course.care_team
        courses.append(
            {
                "id": str(course.pk),
                "urls": _course_urls(course.pk),
                "phone": team.phone_for_patients,
                "out_of_hours_phone": team.out_of_hours_phone_for_patients,
                "il6_blocker": offline_guidance.is_il6_blocker(course.therapy),
            }
        )

    config = {
        "service_worker": reverse("tracker:patient-service-worker"),
        "scope": reverse("tracker:patient-home"),
        "login": reverse("login"),
        "logout": reverse("logout"),
        "icons": [static("icons/portal-192.png"), static("icons/portal-512.png")],
        "assets": [static("js/patient-report.js"), static("css/patient.css")],
        "emergency_number": settings.EMERGENCY_NUMBER,
        "courses": courses,
        "any_course": {"id": ANY_COURSE, "urls": _course_urls(ANY_COURSE)},
        "messages": _banner_messages(),
    }
    if on_step:
        config["thresholds"] = offline_guidance.thresholds()
        config["messages"].update(_step_messages())
    return {"offline_config": config}
