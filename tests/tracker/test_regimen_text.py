"""The high-dose IL-2 regimen ends with a full stop (migration 0022): a course that kept the
catalog's regimen before the correction still reads as the catalog's regimen, in the reader's
language, and keeps a history row saying why its text changed."""

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from tests import factories
from therapies.models import Therapy
from tracker.models import Course

pytestmark = pytest.mark.django_db

fix = importlib.import_module("tracker.migrations.0022_regimen_text_full_stop")


@pytest.fixture
def il2():
    return Therapy.objects.get(slug="aldesleukin-high-dose")


def test_the_catalog_regimen_ends_with_a_full_stop(il2):
    assert il2.regimen == fix.AFTER
    assert il2.regimen.endswith("[SCHW2001].")
    assert not il2.regimen.rstrip().endswith(";")


def test_a_course_kept_with_the_old_text_reads_as_the_catalog_regimen_again(il2, patient):
    Therapy.objects.filter(pk=il2.pk).update(regimen=fix.BEFORE)
    kept = factories.CourseFactory(patient=patient, therapy=il2, regimen=fix.BEFORE)
    own = factories.CourseFactory(patient=patient, therapy=il2, regimen="Own words; 6 doses")
    rows_before = kept.history.count()

    fix.forward(apps, None)

    kept.refresh_from_db()
    il2.refresh_from_db()
    assert il2.regimen == kept.regimen == fix.AFTER
    assert Course.objects.get(pk=own.pk).regimen == "Own words; 6 doses"
    assert kept.history.count() == rows_before + 1
    newest = kept.history.first()
    assert newest.regimen == fix.AFTER
    assert "full stop" in newest.history_change_reason
    with translation.override("fr"):
        assert kept.regimen_text.startswith("600 000 UI/kg")  # the French regimen
    assert own.history.count() == 1

    fix.backward(apps, None)
    kept.refresh_from_db()
    assert kept.regimen == fix.BEFORE
