"""Who must, and who may, use two-factor authentication (settings.TWO_FACTOR_REQUIRED); the
record of authenticators turned on and off."""

import logging

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.auth.models import update_last_login as django_update_last_login
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.models import HistoricalRecords

from .unwritable import is_unwritable

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


def _primary_devices_of(user_id, *, besides):
    """The account's confirmed authenticators other than `besides` (backup codes are none)."""
    from .models import User

    user = User.objects.get(pk=user_id)
    return [
        device
        for device in devices_for_user(user, confirmed=True)
        if not isinstance(device, StaticDevice)
        and not (type(device) is type(besides) and device.pk == besides.pk)
    ]


def refuse_a_second_device(sender, instance, **kwargs):
    """One authenticator per account, however it is added (the setup page, the administration,
    a script): a second one, silent, would let whoever added it sign in as the account's owner.
    Also notes the device's state before the save, for record_device_saved."""
    from .models import User

    before = (
        sender.objects.filter(pk=instance.pk).values_list("user_id", "confirmed").first()
        if instance.pk is not None and not instance._state.adding
        else None
    )
    instance._state_before_save = before
    if not instance.confirmed or before == (instance.user_id, True):
        return
    if transaction.get_connection().in_atomic_block:
        # Two additions for one account at once wait for each other here.
        User.objects.select_for_update().filter(pk=instance.user_id).first()
    if _primary_devices_of(instance.user_id, besides=instance):
        raise ValidationError(
            _("This account already has an authenticator: turn it off before adding another."),
            code="second_device",
        )


def record_device_saved(sender, instance, created, **kwargs):
    """An authenticator turned on or off, however it was (setup page or administration)."""
    before = getattr(instance, "_state_before_save", None)
    was_on = before is not None and before[1]
    if was_on and (not instance.confirmed or before[0] != instance.user_id):
        _record(before[0], on=False)
    if instance.confirmed and (created or not was_on or before[0] != instance.user_id):
        _record(instance.user_id, on=True)


def record_device_deleted(sender, instance, **kwargs):
    """An authenticator turned off (by its owner, or removed by an administrator)."""
    if instance.confirmed:
        _record(instance.user_id, on=False)


def _record(user_id, *, on):
    from .models import AccountEvent

    kind = AccountEvent.Kind.TWO_FACTOR_ON if on else AccountEvent.Kind.TWO_FACTOR_OFF
    AccountEvent.objects.create(user_id=user_id, kind=kind, by=_acting_user())
    log.info("two-factor %s user=%s", "enabled" if on else "disabled", user_id)


# --- Signing in while the database refuses writes (tracker/unwritable.py) -------------------
# Reading must go on at 3 a.m. on a read-only or full disk, and reading starts with signing in.
# What a sign-in only notes (the time of the last sign-in, the access log's line) is skipped
# then; what protects the account is not: a wrong password or code that cannot be counted
# (lockout, the authenticator's throttle), and a backup code that cannot be used up, are
# answered 503 as every other write.


def _unless_unwritable(write, what):
    try:
        with transaction.atomic():
            return write()
    except DatabaseError as exc:
        if not is_unwritable(exc):
            raise
        log.warning("database unwritable: %s not recorded", what)
        return None


def update_last_login(sender, user, **kwargs):
    """Django's own, skipped while the database refuses writes."""
    _unless_unwritable(lambda: django_update_last_login(sender, user, **kwargs), "last sign-in")


class AxesHandler(AxesDatabaseHandler):
    """django-axes' database handler. Failures are counted as before (or the sign-in is
    refused); a successful sign-in's and a sign-out's log lines are skipped when the database
    refuses writes."""

    def user_logged_in(self, sender, request, user, **kwargs):
        _unless_unwritable(
            lambda: super(AxesHandler, self).user_logged_in(sender, request, user, **kwargs),
            "sign-in access log",
        )

    def user_logged_out(self, sender, request, user, **kwargs):
        _unless_unwritable(
            lambda: super(AxesHandler, self).user_logged_out(sender, request, user, **kwargs),
            "sign-out access log",
        )


def _save_unless_unwritable_after_success(device):
    """The authenticator's save after a code was checked. After a right code (its failure count
    reset) a refused write is skipped: the code is accepted, though its use cannot be recorded
    (the same code could be given again within its 30 seconds). After a wrong code the failure
    must count: a refused write is answered 503."""
    save = device.save

    def guarded(*args, **kwargs):
        if device.throttling_failure_count:
            return save(*args, **kwargs)
        return _unless_unwritable(lambda: save(*args, **kwargs), "authenticator code use")

    device.save = guarded


class ReadOnlyTolerantTokenMixin:
    def _verify_token(self, user, token, device=None):
        if isinstance(device, TOTPDevice):
            _save_unless_unwritable_after_success(device)
        return super()._verify_token(user, token, device)
