"""Fixtures for the catalog tests. The session database already holds the bundled catalog
(tests/conftest.py loads it once); tests that need a blank slate ask for `empty_catalog`."""

import json

import pytest

from therapies.catalog import DEFAULT_PATH
from therapies.models import ExpectedSideEffect, SideEffectTerm, Therapy


@pytest.fixture
def catalog_data():
    """A fresh copy of the bundled catalog document, to break or edit in one test."""
    return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def write_catalog(tmp_path):
    def write(data):
        path = tmp_path / "catalog.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def empty_catalog(db):
    """No catalog rows, inside this test's transaction (rolled back afterwards)."""
    ExpectedSideEffect.objects.all().delete()
    Therapy.objects.all().delete()
    SideEffectTerm.objects.all().delete()
