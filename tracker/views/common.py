"""Pages every signed-in user reaches, whatever their role."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from tracker.models import Course, Flag

# The home page lists at most this many open flags (the most urgent first), so it stays fast
# on a busy ward; the rest are still counted per course in the course table.
HOME_FLAG_LIMIT = 100


@require_safe
def home(request):
    """Where each audience lands: clinicians on the triage queue, patients on their portal,
    administrators on this overview of every running course and open flag.

    The overview runs two queries whatever the number of rows: the courses with their
    open-flag counts (one aggregate over a join) and the open flags with what they point to.
    """
    user = request.user
    if user.is_clinician:
        return redirect("tracker:triage")
    if user.is_patient:
        return redirect("tracker:patient-home")

    courses = (
        Course.objects.visible_to(user)
        .active()
        .select_related("patient", "therapy", "care_team")
        .with_open_flag_counts()
        .order_by("-open_urgent", "-open_review", "patient__family_name", "patient__given_name")
    )
    flags = list(
        Flag.objects.visible_to(user)
        .open()
        .by_urgency()
        .select_related("course__patient", "course__therapy", "course__care_team", "term")[
            : HOME_FLAG_LIMIT + 1
        ]
    )
    context = {
        "courses": courses,
        "flags": flags[:HOME_FLAG_LIMIT],
        "flags_truncated": len(flags) > HOME_FLAG_LIMIT,
        "flag_limit": HOME_FLAG_LIMIT,
    }
    return render(request, "tracker/home.html", context)
