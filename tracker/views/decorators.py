"""Access decorators for the web views: who may open a page, written on top of each view.

Anonymous users never get here (LoginRequiredMiddleware redirects them to the login page),
but the decorator checks again so that a view stays safe if it is ever opted out of the
middleware. Out-of-scope objects are the views' business (fetch through `visible_to`, 404).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.http import url_has_allowed_host_and_scheme

from tracker.models import Role


def role_required(*roles):
    """Only users with one of `roles`; everyone else signed in is refused with 403.

    A superuser counts as an administrator (`User.sees_everything`), whatever their role.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = user.role in roles or (Role.ADMINISTRATOR in roles and user.sees_everything)
            if not allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Administrators see every record in the admin and the home page, but the clinician pages
# write clinical records, which only clinicians do (the API's rule too).
clinician_required = role_required(Role.CLINICIAN)
# The patient pages show one person their own record; staff read it on the clinician pages.
patient_required = role_required(Role.PATIENT)
# Cohort exports: a clinician's care teams' courses, an administrator's every course.
clinician_or_administrator_required = role_required(Role.CLINICIAN, Role.ADMINISTRATOR)


def safe_next_url(request, fallback=None):
    """Where to go back to after a form post (`next` in the form or the address): only this
    site's pages, never another site's (an open redirect); `fallback` otherwise."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
