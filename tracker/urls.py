from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import include, path
from django.views.defaults import page_not_found
from django.views.i18n import set_language

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
