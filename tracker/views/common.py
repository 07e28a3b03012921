"""Pages every signed-in user reaches, whatever their role."""

from django.conf import settings
from django.db.models import Count, Q
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tracker.models import Course, Flag, FlagLevel, FlagStatus

# The home page lists at most this many open flags (the most urgent first), so it stays fast
# on a busy ward; the rest are still counted per course in the course table.
HOME_FLAG_LIMIT = 100


def _open_flags(level):
    return Count("flags", filter=Q(flags__status=FlagStatus.OPEN, flags__level=level))


@require_safe
def home(request):
    """Courses and open flags in the user's scope: a care team's, a patient's own, or all.

    Two queries whatever the number of rows: the courses with their open-flag counts
    (one aggregate over a join) and the open flags with what they point to.
    """
    user = request.user
    audience = "patient" if user.is_patient and not user.sees_everything else "clinician"

    courses = (
        Course.objects.visible_to(user)
        .select_related("patient", "therapy", "care_team")
        .annotate(
            open_urgent=_open_flags(FlagLevel.URGENT),
            open_review=_open_flags(FlagLevel.REVIEW),
            open_info=_open_flags(FlagLevel.INFO),
        )
    )
    if audience == "clinician":
        # The ward's working list: running courses, those with the most pressing flags on top.
        courses = courses.active().order_by(
            "-open_urgent", "-open_review", "patient__family_name", "patient__given_name"
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
        "audience": audience,
        "courses": courses,
        "flags": flags[:HOME_FLAG_LIMIT],
        "flags_truncated": len(flags) > HOME_FLAG_LIMIT,
        "flag_limit": HOME_FLAG_LIMIT,
        "has_urgent_flag": any(flag.level == FlagLevel.URGENT for flag in flags),
        "emergency_number": settings.EMERGENCY_NUMBER,
    }
    return render(request, "tracker/home.html", context)
