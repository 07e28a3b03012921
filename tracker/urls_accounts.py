"""Account pages: patient invitations, setting and resetting passwords ("tracker" namespace)."""

from django.urls import path

from .views import accounts

urlpatterns = [
    path("patients/<uuid:pk>/invite/", accounts.invite_patient, name="patient-invite"),
    path("set-password/done/", accounts.password_set_complete, name="password-set-complete"),
    path("set-password/<uidb64>/<token>/", accounts.password_set, name="password-set"),
    path("password-reset/", accounts.password_reset, name="password-reset"),
    path("password-reset/sent/", accounts.password_reset_done, name="password-reset-done"),
    path("password-reset/done/", accounts.password_reset_complete, name="password-reset-complete"),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password-reset-confirm",
    ),
]
