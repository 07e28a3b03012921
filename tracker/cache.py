"""The default cache: a table in the database, shared by every app server process (the write
rate limits count there, and drawn charts are kept there).

A cache must never take a page down: when the database cannot be written (a read-only or full
disk), storing or expiring an entry fails quietly and the page is served as on a cache miss.
"""

from django.core.cache.backends import db
from django.db import DatabaseError


class DatabaseCache(db.DatabaseCache):
    def _base_set(self, mode, key, value, timeout=db.DEFAULT_TIMEOUT):
        try:
            return super()._base_set(mode, key, value, timeout)
        except DatabaseError:
            return False

    def _base_delete_many(self, keys):
        try:
            return super()._base_delete_many(keys)
        except DatabaseError:
            return False
