"""System checks for dangerous configuration (run by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


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
    return errors
