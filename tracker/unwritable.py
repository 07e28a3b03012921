"""When the database cannot be written (a read-only or full disk), pages and the API keep
reading, and every write is answered 503 with a clear message instead of a server error.

Each write runs in one transaction (tracker/services/), so a write that fails here leaves
nothing half-saved. `UnwritableDatabaseMiddleware` turns the error raised in a view into the
answer; `server_error` (handler500) does the same for one raised after the view (e.g. while
a session is saved).

SQLite: the journal mode (WAL) is stored in the database file, so it is set once, when a
connection finds it is not WAL yet, and a failure to set it (read-only file) is only logged.
Running the pragma on every new connection made every read fail on a read-only disk.
"""

import logging
import sys

from django.db import DatabaseError
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

# SQLite's messages; PostgreSQL's SQLSTATE codes disk_full and read_only_sql_transaction.
SQLITE_MESSAGES = ("attempt to write a readonly database", "database or disk is full")
POSTGRESQL_CODES = {"53100", "25006"}
RETRY_AFTER_SECONDS = 300


def is_unwritable(exc) -> bool:
    """Is `exc` the database refusing a write because it cannot be written at all?"""
    if not isinstance(exc, DatabaseError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in POSTGRESQL_CODES:
        return True
    message = str(exc).lower()
    return any(text in message for text in SQLITE_MESSAGES)


def unwritable_response(request):
    logger.error("database unwritable: write refused path=%s", request.path)
    message = _(
        "Nothing was saved: the records cannot be changed at the moment (a technical problem "
        "on the server). Reading still works. Try again later."
    )
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        response = render(
            request,
            "tracker/unwritable.html",
            {"message": message, "is_patient": _is_patient(request)},
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _is_patient(request):
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_patient)


class UnwritableDatabaseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_unwritable(exception):
            return unwritable_response(request)
        return None


def server_error(request, template_name="500.html"):
    """Django's 500 page, except for a write refused by an unwritable database (503)."""
    if is_unwritable(sys.exc_info()[1]):
        return unwritable_response(request)
    return django_server_error(request, template_name)


@receiver(connection_created)
def _use_write_ahead_log(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    cursor = connection.connection.cursor()
    try:
        (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
        if mode.lower() in ("wal", "memory"):
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except Exception as exc:  # a read-only file: read on as it is
            logger.warning("SQLite journal mode left as %s: %s", mode, exc)
    finally:
        cursor.close()
