"""What a patient page gives the phone so the report flow works without a connection
(static/js/patient-offline.js): where each report step is, whom to call, the thresholds of the
urgent guidance (services.offline_guidance_thresholds) and the messages in the patient's
language."""

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from tracker import services
from tracker.models import Course, CourseStatus

register = template.Library()


def _messages():
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


def _course_urls(course):
    report = reverse("tracker:patient-report-create", args=[course.pk])
    questions = reverse("tracker:patient-report-questions", args=[course.pk])
    measurements = reverse("tracker:patient-report-measurements", args=[course.pk])
    review = reverse("tracker:patient-report-review", args=[course.pk])
    return {
        "symptoms": report,
        "questions": questions,
        "measurements": measurements,
        "review": review,
        # Kept on the phone in their offline form: every symptom's questions, an empty review.
        "questions_offline": questions + "?offline=1",
        "review_offline": review + "?offline=1",
    }


@register.inclusion_tag("tracker/patient/_offline.html", takes_context=True)
def offline_portal(context):
    request = context["request"]
    user = request.user
    courses = []
    if user.is_authenticated and user.is_patient:
        running = (
            Course.objects.visible_to(user)
            .current()
            .filter(status=CourseStatus.ACTIVE)
            .select_related("care_team")
        )
        for course in running:
            team = course.care_team
            courses.append(
                {
                    "id": str(course.pk),
                    "urls": _course_urls(course),
                    "phone": team.phone_for_patients,
                    "out_of_hours_phone": team.out_of_hours_phone_for_patients,
                }
            )
    config = {
        "service_worker": reverse("tracker:patient-service-worker"),
        "scope": reverse("tracker:patient-home"),
        "reports": reverse("tracker:patient-reports"),
        "login": reverse("login"),
        "logout": reverse("logout"),
        "icons": [static("icons/portal-192.png"), static("icons/portal-512.png")],
        "assets": [static("js/patient-report.js"), static("css/patient.css")],
        "emergency_number": settings.EMERGENCY_NUMBER,
        "courses": courses,
        "thresholds": services.offline_guidance_thresholds(),
        "messages": _messages(),
    }
    return {"offline_config": config}
