"""Sessions: rows in the database, and a signed cookie only while the database refuses writes.

At 3 a.m. with a read-only or full disk a clinician must still sign in and read. Database
sessions (settings.SESSION_ENGINE) keep what they give: signing out, a password change or an
administrator deleting the row ends the session everywhere, and `clearsessions` clears them.
When saving the session row fails because the database cannot be written (tracker.unwritable),
the session's data goes to the browser instead, signed with SECRET_KEY (as Django's
signed_cookies engine does, not encrypted: it holds ids, never a password or a secret):

- its key is "ro." and the signed data; it expires with SESSION_COOKIE_AGE like any session;
- signing in still gives a new key (no session fixation), and a password change still ends it
  (the session holds the password's hash check, as every Django session does);
- what it cannot give: signing out removes it from that browser, but a copy taken before would
  stay valid until it expires. Only sessions opened while the database was read only are held
  this way, and the first request once the database takes writes again moves the session into
  a row (a new key), so the next sign-out ends it everywhere.
"""

import logging

from django.conf import settings
from django.contrib.sessions.backends import db
from django.core import signing
from django.db import DatabaseError

from .unwritable import is_unwritable

log = logging.getLogger("tracker.access")

PREFIX = "ro."
SALT = "tracker.sessions.read-only"


class SessionStore(db.SessionStore):
    def _is_signed(self, key=None):
        key = self.session_key if key is None else key
        return bool(key) and key.startswith(PREFIX)

    def load(self):
        if not self._is_signed():
            return super().load()
        try:
            data = signing.loads(
                self.session_key[len(PREFIX) :],
                salt=SALT,
                serializer=self.serializer,
                max_age=settings.SESSION_COOKIE_AGE,
            )
        except signing.BadSignature:
            self._session_key = None
            return {}
        # Moved into a row as soon as the database takes writes again (see save()).
        self.modified = True
        return data

    def exists(self, session_key):
        if self._is_signed(session_key):
            return False
        return super().exists(session_key)

    def save(self, must_create=False):
        if self._is_signed():
            # A signed session: into a row with a new key, or signed again while read only.
            data = self._get_session()
            self._session_key = None
            self._session_cache = data
            must_create = True
        try:
            return super().save(must_create=must_create)
        except DatabaseError as exc:
            if not is_unwritable(exc):
                raise
        self._sign(self._get_session())
        return None

    def _sign(self, data):
        log.warning("database unwritable: session kept in a signed cookie")
        self._session_key = PREFIX + signing.dumps(
            data, salt=SALT, serializer=self.serializer, compress=True
        )

    def delete(self, session_key=None):
        key = self.session_key if session_key is None else session_key
        if self._is_signed(key):
            return  # nothing stored here: the browser's cookie goes with the answer
        try:
            super().delete(session_key)
        except DatabaseError as exc:
            if not is_unwritable(exc):
                raise
            # Signed out in this browser (its cookie is removed); the row stays until it expires.
            log.warning("database unwritable: session row left to expire")
