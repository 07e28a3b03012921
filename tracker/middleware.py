"""Request middleware of the tracker.

InputGuardMiddleware: an address (path or query) holding a NUL character is refused with 400
before any view or database sees it.

NoStoreMiddleware: no browser or proxy cache keeps a page or API answer (they carry patients'
data).

PreferredLanguageMiddleware: each user's language, remembered on the account
(User.preferred_language).

- When a signed-in user switches language (Django's set_language view sets the language
  cookie), the choice is stored on the account.
- When someone signs in, the language cookie is set to the account's language, so the pages
  after login (and on any new phone or computer) are in that language.

Needs to come after AuthenticationMiddleware.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from two_factor.utils import default_device

from .security import two_factor_required


def _has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


class InputGuardMiddleware:
    """No person types a NUL character, and PostgreSQL text cannot hold one (the query would
    fail with a server error): a path or query parameter holding one answers 400 with a message
    (JSON for the API). Form fields and API fields refuse NUL in posted text themselves.

    Goes first, before anything reads the address into a query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            message = _("The address contains a character that is not allowed (NUL).")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class NoStoreMiddleware:
    """Every page and API answer says `Cache-Control: no-store, private` (with no-cache,
    must-revalidate, max-age=0 and an Expires in the past): patients' data must not stay in a
    shared computer's browser cache, nor in a proxy's. Static files (served by WhiteNoise before
    this) keep their long cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class PreferredLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        was_signed_in = request.user.is_authenticated
        response = self.get_response(request)
        user = request.user  # login() and logout() replace it during the view
        if not user.is_authenticated:
            return response
        if was_signed_in:
            self._remember_choice(user, response)
        else:
            self._apply_preference(user, response)
        return response

    @staticmethod
    def _remember_choice(user, response):
        cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        chosen = cookie.value if cookie is not None else ""
        if chosen in dict(settings.LANGUAGES) and chosen != user.preferred_language:
            user.preferred_language = chosen
            user.save(update_fields=["preferred_language"])

    @staticmethod
    def _apply_preference(user, response):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.preferred_language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )


class TwoFactorPolicyMiddleware:
    """With TWO_FACTOR_REQUIRED on, a clinician or administrator whose session was not verified
    with an authenticator code reaches only the sign-in and two-factor setup pages: without a
    device they are sent to set one up, with one they sign in again with its code. The API
    answers 403 to such a session (API tokens are issued by an administrator and unaffected).

    Needs to come after django_otp's OTPMiddleware and LoginRequiredMiddleware.
    """

    # Pages an unverified user may still open: signing in and out, choosing a language, and the
    # setup itself (its QR code included).
    ALLOWED = frozenset({"login", "logout", "set_language", "two_factor:setup", "two_factor:qr"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not two_factor_required(user) or user.is_verified():
            return None
        if request.resolver_match.view_name in self.ALLOWED:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Two-factor authentication is required for this account.")},
                status=403,
            )
        next_url = urlencode({"next": request.get_full_path()})
        if default_device(user) is None:
            messages.info(
                request,
                _(
                    "Your clinic requires two-factor authentication for your account. "
                    "Set it up now to continue."
                ),
            )
            return redirect(f"{reverse('two_factor:setup')}?{next_url}")
        # A device exists but this session never used it (for example a session opened before
        # the requirement was switched on): sign in again, this time with the code.
        return redirect(f"{reverse('login')}?{next_url}")
