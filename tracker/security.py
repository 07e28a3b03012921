"""Who must, and who may, use two-factor authentication (settings.TWO_FACTOR_REQUIRED); the
record of authenticators turned on and off."""

import logging

from django.conf import settings
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice
from simple_history.models import HistoricalRecords

log = logging.getLogger("tracker.access")


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


def has_primary_device(user) -> bool:
    """Whether the account has a confirmed authenticator (backup codes are not one). Asked of
    the database each time: django-two-factor-auth caches its answer on the user object."""
    return any(
        not isinstance(device, StaticDevice) for device in devices_for_user(user, confirmed=True)
    )


def _acting_user():
    """Who is making the current request (simple_history's middleware keeps it), if anyone:
    the account's owner on the two-factor pages, an administrator in the administration."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def record_device_saved(sender, instance, created, **kwargs):
    """An authenticator turned on, however it was added (setup page or administration)."""
    from .models import AccountEvent

    if created and instance.confirmed:
        AccountEvent.objects.create(
            user_id=instance.user_id, kind=AccountEvent.Kind.TWO_FACTOR_ON, by=_acting_user()
        )
        log.info("two-factor enabled user=%s", instance.user_id)


def record_device_deleted(sender, instance, **kwargs):
    """An authenticator turned off (by its owner, or removed by an administrator)."""
    from .models import AccountEvent

    AccountEvent.objects.create(
        user_id=instance.user_id, kind=AccountEvent.Kind.TWO_FACTOR_OFF, by=_acting_user()
    )
    log.info("two-factor disabled user=%s", instance.user_id)
