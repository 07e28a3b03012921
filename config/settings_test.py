"""Settings for the test suite (pyproject's DJANGO_SETTINGS_MODULE): production's, with what
only tests need. Nothing here is ever read by the app in a clinic."""

import os

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, DATABASES, STORAGES

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests use a file too (not Django's shared in-memory database), so that concurrent
    # writers in the live-server tests meet the same locking as in production.
    # One file per process, so two test runs on one machine never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}

# A fast hash: tests sign in thousands of times (the tests of the hashers set their own).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S303

# Static files by their plain names: production stores them hashed after `collectstatic`
# (whitenoise's manifest storage), which raises for any file not yet collected.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
