"""Two-factor authentication pages (django-two-factor-auth's views, in the tracker's layout).

Offered to clinicians and administrators (tracker.security); a patient gets 404 here. With
TWO_FACTOR_REQUIRED on, switching it off is refused. An account has at most one authenticator:
the setup is refused, at every step, once one exists. Turning it on or off is logged with the
user's id only and recorded (tracker.security, on the device's save and delete).
"""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from two_factor import forms as two_factor_forms
from two_factor import views as two_factor_views
from two_factor.utils import default_device, get_otpauth_url, totp_digits
from two_factor.views import utils as two_factor_utils

from ..security import (
    ReadOnlyTolerantTokenMixin,
    has_primary_device,
    two_factor_available,
    two_factor_required,
)
from .decorators import safe_next_url

log = logging.getLogger("tracker.access")


class LoginStorage(two_factor_utils.LoginStorage):
    """The sign-in steps' state, kept in the session only once it holds something: a visitor
    who opens the sign-in page (or mistypes a password) stores no session row. Until then the
    state lives in memory for the one request; after a password is accepted (the code step
    next) it is saved in the session as the library does it."""

    def __init__(self, *args, **kwargs):
        self._unsaved = None
        super().__init__(*args, **kwargs)

    def _get_data(self):
        if self.prefix in self.request.session:
            return super()._get_data()
        if self._unsaved is None:
            self.init_data()
        return self._unsaved

    def _set_data(self, value):
        if self.prefix in self.request.session:
            super()._set_data(value)
        else:
            self._unsaved = value

    data = property(_get_data, _set_data)

    def update_response(self, response):
        super().update_response(response)
        unsaved = self._unsaved
        holds_something = unsaved is not None and any(
            value for key, value in unsaved.items() if key != self.step_key
        )
        if holds_something and self.prefix not in self.request.session:
            self.request.session[self.prefix] = unsaved


class TokenForm(ReadOnlyTolerantTokenMixin, two_factor_forms.AuthenticationTokenForm):
    """The authenticator's code; accepted even while the database refuses writes."""


@method_decorator(login_not_required, name="dispatch")
class LoginView(two_factor_views.LoginView):
    """The sign-in page: username and password, then the authenticator's code (or a backup
    code) when the account has two-factor authentication. Someone already signed in goes on to
    the page they asked for, unless the account has two-factor authentication and this session
    never gave a code: then they sign in again, fully."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True
    storage_name = "tracker.views.security.LoginStorage"

    def get_prefix(self, request, *args, **kwargs):
        return "login_view"  # the step field's name stays the same whatever the class is called

    def get_form_list(self):
        forms = super().get_form_list()
        if forms.get(self.TOKEN_STEP) is two_factor_forms.AuthenticationTokenForm:
            forms[self.TOKEN_STEP] = TokenForm
        return forms

    def get_form(self, step=None, **kwargs):
        form = super().get_form(step=step, **kwargs)
        if "otp_token" in form.fields:
            form.fields["otp_token"].label = (
                _("Backup code") if (step or self.steps.current) == self.BACKUP_STEP else _("Code")
            )
        return form

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.is_verified() and default_device(user) is not None:
            logout(request)
        return super().dispatch(request, *args, **kwargs)


@login_not_required
def admin_login(request):
    """The administration's sign-in goes through the site's own (and its second factor)."""
    if not request.user.is_authenticated:
        return redirect_to_login(safe_next_url(request, reverse("admin:index")))
    if request.user.is_staff:
        return redirect("admin:index")
    raise PermissionDenied


class AvailableOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not two_factor_available(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ProfileView(AvailableOnlyMixin, two_factor_views.ProfileView):
    template_name = "two_factor/profile.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "required": two_factor_required(self.request.user),
        }


class SetupView(AvailableOnlyMixin, two_factor_views.SetupView):
    """Turning it on. Refused on every method once the account has an authenticator: a second,
    silent one would let whoever holds the password (a reset link, a session left open) add
    their own phone."""

    template_name = "two_factor/setup.html"

    def dispatch(self, request, *args, **kwargs):
        if two_factor_available(request.user) and has_primary_device(request.user):
            if request.method in ("GET", "HEAD"):
                messages.info(request, _("Two-factor authentication is already on."))
                return redirect("two_factor:profile")
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, step=None, **kwargs):
        form = super().get_form(step=step, **kwargs)
        if "token" in form.fields:
            field = form.fields["token"]
            field.label = _("Code shown by the app")
            # A code, not a quantity: no spinner, the phone's digit keyboard, leading zeros kept.
            field.widget = forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
            )
        return form

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form, **kwargs)
        if "secret_key" in context:  # the authenticator step: name the product, not the host
            context["issuer"] = settings.OTP_TOTP_ISSUER
            context["otpauth_url"] = get_otpauth_url(
                self.request.user.get_username(),
                context["secret_key"],
                settings.OTP_TOTP_ISSUER,
                totp_digits(),
            )
        return context

    def done(self, form_list, **kwargs):
        # Two setups of one account finishing together (two tabs) wait for each other here,
        # and the second finds the first's device.
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=self.request.user.pk).first()
            if has_primary_device(self.request.user):
                raise PermissionDenied
            return super().done(form_list, **kwargs)


class QRGeneratorView(AvailableOnlyMixin, two_factor_views.QRGeneratorView):
    def get_issuer(self):
        return settings.OTP_TOTP_ISSUER


class SetupCompleteView(AvailableOnlyMixin, two_factor_views.SetupCompleteView):
    template_name = "two_factor/setup_complete.html"


class BackupTokensView(AvailableOnlyMixin, two_factor_views.BackupTokensView):
    template_name = "two_factor/backup_tokens.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        log.info("two-factor backup codes renewed user=%s", self.request.user.pk)
        return response


class DisableView(AvailableOnlyMixin, two_factor_views.DisableView):
    template_name = "two_factor/disable.html"

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["understand"].label = _("Yes, turn it off")
        return form

    def dispatch(self, request, *args, **kwargs):
        if two_factor_available(request.user) and two_factor_required(request.user):
            messages.info(
                request,
                _("Your clinic requires two-factor authentication: it cannot be turned off."),
            )
            return redirect("two_factor:profile")
        return super().dispatch(request, *args, **kwargs)
