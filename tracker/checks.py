"""System checks for dangerous configuration (run by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

# Backends that keep mail on the server or print it: the one-time links in it (invitations,
# password resets) would open accounts for whoever reads the files or the logs.
UNSENT_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "tracker.mail.PrivateFileBackend",
}


@register(Tags.security, deploy=True)
def check_production_settings(app_configs, **kwargs):
    errors = []
    if settings.SECRET_KEY.startswith("django-insecure"):
        errors.append(
            Error(
                "SECRET_KEY is the development default.", hint="Set SECRET_KEY.", id="tracker.E001"
            )
        )
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(
            Error(
                "Production runs on PostgreSQL; SQLite is for development and tests.",
                hint="Set DATABASE_URL=postgres://user:password@host:5432/name.",
                id="tracker.E002",
            )
        )
    if "127.0.0.1" in settings.SITE_URL or "localhost" in settings.SITE_URL:
        errors.append(
            Error(
                "SITE_URL points at this machine; links in e-mails would not reach patients.",
                hint="Set SITE_URL=https://tracker.your-clinic.example.",
                id="tracker.E003",
            )
        )
    if settings.EMAIL_BACKEND in UNSENT_MAIL_BACKENDS:
        errors.append(
            Error(
                "E-mails are printed or written to files instead of being sent; they carry "
                "one-time sign-in links.",
                hint="Set EMAIL_URL=smtp+tls://user:password@smtp.your-clinic.example:587.",
                id="tracker.E004",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(
            Error(
                "ALLOWED_HOSTS accepts any host name: links in password-reset e-mails could "
                "point at another site.",
                hint="Set ALLOWED_HOSTS=tracker.your-clinic.example.",
                id="tracker.E005",
            )
        )
    if not settings.TWO_FACTOR_REQUIRED:
        errors.append(
            Warning(
                "Two-factor authentication is optional for clinicians and administrators.",
                hint="Set TWO_FACTOR_REQUIRED=true.",
                id="tracker.W001",
            )
        )
    return errors
