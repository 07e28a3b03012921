"""Seeding through COPY (bench/copy_rows.py) writes the same rows as the prepared INSERTs.

On PostgreSQL the rows travel by `COPY … FROM STDIN`; on SQLite the inserter falls back to the
INSERTs. Either way the data, their history and the sequences after them are the same.
"""

import pytest

from bench import copy_rows
from bench.copy_rows import scale
from tests.perf.test_seed_scale import fingerprint
from tracker.models import Course, Flag, SymptomAnswer

pytestmark = pytest.mark.django_db


def _history_counts():
    return {
        model.__name__: model.history.count()
        for model in (Course, Flag, SymptomAnswer)
        if hasattr(model, "history")
    }


def test_copy_writes_the_same_rows_and_history_as_inserts(seeded, monkeypatch):
    with seeded(6, seed=3) as inserted_counts:
        inserted = fingerprint()
        inserted_history = _history_counts()
    monkeypatch.setattr(scale, "Inserter", copy_rows.CopyInserter)
    with seeded(6, seed=3) as copied_counts:
        assert fingerprint() == inserted
        assert _history_counts() == inserted_history
    inserted_counts.pop("seconds")
    copied_counts.pop("seconds")
    assert copied_counts == inserted_counts
    assert inserted_counts["answers"] > 100  # something was written to compare


def test_use_copy_makes_the_seed_use_the_copy_inserter(monkeypatch):
    monkeypatch.setattr(scale, "Inserter", scale.Inserter)  # restored after the test
    copy_rows.use_copy()
    assert scale.Inserter is copy_rows.CopyInserter
