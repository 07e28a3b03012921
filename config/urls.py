from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views.defaults import bad_request, page_not_found
from django.views.generic import RedirectView
from django.views.i18n import set_language

from tracker.api.exceptions import too_big_answer
from tracker.views import security

two_factor_urlpatterns = [
    path("", security.ProfileView.as_view(), name="profile"),
    path("setup/", security.SetupView.as_view(), name="setup"),
    path("setup/qrcode/", security.QRGeneratorView.as_view(), name="qr"),
    path("setup/complete/", security.SetupCompleteView.as_view(), name="setup_complete"),
    path("backup-codes/", security.BackupTokensView.as_view(), name="backup_tokens"),
    path("disable/", security.DisableView.as_view(), name="disable"),
    # Named for the library's own redirects; the page is the one above.
    path(
        "login/",
        login_not_required(RedirectView.as_view(pattern_name="login", query_string=True)),
        name="login",
    ),
]

urlpatterns = [
    # Password, then (for an account with two-factor authentication) the authenticator's code.
    path("accounts/login/", security.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include((two_factor_urlpatterns, "two_factor"))),
    # The administration signs in through the same page, so two-factor applies there too.
    path("admin/login/", security.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api.urls")),
    # The language switcher is on the login page too, so it must work before signing in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("tracker.web_urls")),
]


def not_found(request, exception):
    """API clients get JSON for any unknown /api/ path; people get the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


handler404 = not_found
handler500 = "tracker.unwritable.server_error"


def not_accepted(request, exception):
    """API clients get JSON for a request refused before the API's views ran (a body too
    large: 413); people get the page."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(too_big_answer(), status=413)
        return JsonResponse({"detail": _("Bad request.")}, status=400)
    return bad_request(request, exception)


handler400 = not_accepted
