"""The default cache: a table in the database, shared by every app server process (the write
rate limits count there, and drawn charts are kept there).

A cache must never take a page down: when the database cannot be written (a read-only or full
disk), storing or expiring an entry fails quietly and the page is served as on a cache miss.
"""

import threading
from collections import OrderedDict

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


class KeptByKey:
    """What this process served last under keys that hold the version of the data it was made
    from (a chart, the course page's body), newest kept, at most `limit` characters in all.

    What is kept under such a key never changes, so a process can keep it without asking the
    shared cache, which for a 300 KB chart (the database table by default) costs a query and
    decoding it again; no process can serve a stale one."""

    def __init__(self, limit):
        self.limit = limit
        self._images = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            image = self._images.get(key)
            if image is not None:
                self._images.move_to_end(key)
            return image

    def get_or_shared(self, key):
        """What this process keeps under `key`, else what the shared cache holds (then kept
        here too), else None."""
        from django.core.cache import cache

        image = self.get(key)
        if image is None:
            image = cache.get(key)
            if image is not None:
                self.set(key, image)
        return image

    def set(self, key, image):
        if len(image) > self.limit:
            return
        with self._lock:
            if key in self._images:
                return
            self._images[key] = image
            self._size += len(image)
            while self._size > self.limit:
                _old, dropped = self._images.popitem(last=False)
                self._size -= len(dropped)

    def clear(self):
        with self._lock:
            self._images.clear()
            self._size = 0
