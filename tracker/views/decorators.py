"""Access decorators for the web views: who may open a page, written on top of each view.

Anonymous users never get here (LoginRequiredMiddleware redirects them to the login page),
but the decorators check again so that a view stays safe if it is ever opted out of the
middleware. Out-of-scope objects are the views' business (fetch through `visible_to`, 404).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def clinician_required(view):
    """Only clinicians: patients and administrators are refused with 403.

    Administrators see every record in the admin and the home page, but the clinician pages
    write clinical records, which only clinicians do (the API's rule too).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_clinician:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def patient_required(view):
    """Only patients: clinicians and administrators are refused with 403.

    The patient pages show one person their own record; staff read it on the clinician pages.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_patient:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
