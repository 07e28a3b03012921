"""Who must, and who may, use two-factor authentication (settings.TWO_FACTOR_REQUIRED)."""

from django.conf import settings


def two_factor_available(user) -> bool:
    """Clinicians and administrators see patients' data: they may protect their account with an
    authenticator app. Patients sign in with their password only."""
    return user.is_authenticated and not user.is_patient


def two_factor_required(user) -> bool:
    return settings.TWO_FACTOR_REQUIRED and two_factor_available(user)


def axes_username(request, credentials):
    """The username django-axes counts failures against: the one given to authenticate(), or
    the sign-in form's (its field is "auth-username", prefixed by the form's step)."""
    if credentials and credentials.get("username"):
        return credentials["username"]
    return request.POST.get("auth-username") or request.POST.get("username")
