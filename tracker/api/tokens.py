"""API tokens: stored hashed, expiring, revoked when the account's password changes or the
account is deactivated.

django-rest-knox keeps only a SHA-512 digest of each token (and its first characters, to find
it), so a copy of the database or a backup holds no usable token. A token lives
API_TOKEN_TTL_DAYS days; `manage.py api_token <username>` issues one and prints it once.
Clients send it as before: `Authorization: Token <key>`.
"""

import datetime

from django.conf import settings
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.models import AuthToken
from rest_framework import exceptions


def token_ttl() -> datetime.timedelta:
    return datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)


def issue_token(user, *, replace=True):
    """A new token for `user`: returns (the stored record, the key to hand over once).
    With `replace`, the user's other tokens stop working."""
    if replace:
        revoke_tokens(user)
    else:
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    return AuthToken.objects.create(user=user, expiry=token_ttl())


def revoke_tokens(user) -> int:
    """Every token of `user` stops working; returns how many there were."""
    deleted, _by_model = AuthToken.objects.filter(user=user).delete()
    return deleted


class ExpiringTokenAuthentication(auth.TokenAuthentication):
    """knox's token check without its writes: an expired token is refused (401) but left for
    `api_token` to remove, so reading through the API never writes to the database (it keeps
    working while the database is read-only)."""

    def authenticate_credentials(self, token):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        return auth_token.expiry is not None and auth_token.expiry < timezone.now()


class ExpiringTokenScheme(KnoxTokenScheme):
    """The schema names the header as knox's: `Authorization: Token <key>`."""

    target_class = "tracker.api.tokens.ExpiringTokenAuthentication"
    name = "tokenAuth"


# --- Revocation -------------------------------------------------------------------------------


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _note_credential_change(sender, instance, raw=False, update_fields=None, **kwargs):
    """Before a user is saved: will their password change, or the account be deactivated?"""
    instance._revoke_api_tokens = False
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login at each sign-in: no query
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    # The same password stored with a stronger hash at sign-in is not a change: Django then
    # saves only the password, after forgetting the raw one.
    rehashed = (
        update_fields is not None
        and set(update_fields) == {"password"}
        and (getattr(instance, "_password", None) is None)
    )
    password_changed = before["password"] != instance.password and not rehashed
    deactivated = before["is_active"] and not instance.is_active
    instance._revoke_api_tokens = password_changed or deactivated


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _revoke_on_credential_change(sender, instance, raw=False, **kwargs):
    if not raw and getattr(instance, "_revoke_api_tokens", False):
        revoke_tokens(instance)
        instance._revoke_api_tokens = False
