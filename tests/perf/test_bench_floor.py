"""The benchmark's raw-cursor floor for the cohort CSV runs on this database (bench/measure.py)."""

import datetime

import pytest

from bench.measure import raw_cohort
from tracker.exports import tabular
from tracker.models import Course, SymptomAnswer

pytestmark = pytest.mark.django_db


def test_raw_cursor_writes_at_least_every_answer_of_the_cohort(seeded):
    with seeded(5):
        therapy = Course.objects.filter(reports__isnull=False).first().therapy
        answers = SymptomAnswer.objects.filter(report__course__therapy=therapy).count()
        rows, seconds = raw_cohort(
            therapy,
            datetime.date(2000, 1, 1),
            datetime.date(2100, 1, 1),
            len(tabular.columns_for(False)),
        )
        assert rows >= answers > 0
        assert seconds > 0
