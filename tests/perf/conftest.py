"""Seeded data for the performance tests: small N, rolled back after each use so that two
sizes (or two seeds) can be compared within one test."""

import contextlib
import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from bench import scale

# A fixed "now": two runs with the same seed make the same rows whatever the hour.
NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 12, 0))  # noqa: DTZ001 (made aware here)


@pytest.fixture
def seeded(db):
    """seeded(n, seed=1): a context manager; inside it the database holds the seeded rows."""

    @contextlib.contextmanager
    def make(patients, seed=1, **kwargs):
        with transaction.atomic():
            counts = scale.seed(patients, seed, now=kwargs.pop("now", NOW), **kwargs)
            try:
                yield counts
            finally:
                transaction.set_rollback(True)

    return make
