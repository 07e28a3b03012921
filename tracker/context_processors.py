"""Template context shared by every page."""

from django.utils.functional import SimpleLazyObject

from .models import Flag, FlagLevel


def clinician_nav(request):
    """The number of open urgent flags in a clinician's scope, for the navigation badge.

    One COUNT query, run only when a template reads the value (pages without the clinician
    navigation, such as patient pages, cost nothing).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_clinician:
        return {}
    return {
        "open_urgent_flag_count": SimpleLazyObject(
            lambda: Flag.objects.visible_to(user).open().filter(level=FlagLevel.URGENT).count()
        )
    }
