"""Each user's language, remembered on the account (User.preferred_language).

- When a signed-in user switches language (Django's set_language view sets the language
  cookie), the choice is stored on the account.
- When someone signs in, the language cookie is set to the account's language, so the pages
  after login (and on any new phone or computer) are in that language.

Needs to come after AuthenticationMiddleware.
"""

from django.conf import settings


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
