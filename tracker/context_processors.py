"""Template context shared by every page."""

from django.utils.functional import SimpleLazyObject

from . import frame


def clinician_nav(request):
    """The number of open urgent flags in a clinician's scope, for the navigation badge.

    One COUNT query (its SQL built once: frame.open_urgent_count), run only when a template
    reads the value (pages without the clinician navigation, such as patient pages, cost
    nothing).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_clinician:
        return {}
    return {"open_urgent_flag_count": SimpleLazyObject(lambda: frame.open_urgent_count(user))}
