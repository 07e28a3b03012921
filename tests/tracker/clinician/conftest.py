"""Fixtures of the clinician pages' tests."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from therapies.models import SideEffectTerm, Therapy
from tracker.models import Flag, FlagLevel, SymptomReport

CONTEXT_PROCESSOR = "tracker.context_processors.clinician_nav"


@pytest.fixture(autouse=True)
def _clinician_nav_context_processor(settings):
    """The navigation's urgent count, until settings.py lists the context processor."""
    options = settings.TEMPLATES[0]["OPTIONS"]
    if CONTEXT_PROCESSOR not in options["context_processors"]:
        settings.TEMPLATES = [
            {
                **settings.TEMPLATES[0],
                "OPTIONS": {
                    **options,
                    "context_processors": [*options["context_processors"], CONTEXT_PROCESSOR],
                },
            }
        ]


@pytest.fixture
def il2_course(patient):
    """High-dose aldesleukin, started two days ago, with the baselines the rules compare to."""
    return factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="aldesleukin-high-dose"),
        start_date=timezone.localdate() - datetime.timedelta(days=2),
        baseline_weight_kg=Decimal("78.0"),
    )


def term(slug):
    return SideEffectTerm.objects.get(slug=slug)


def make_flag(course, level=FlagLevel.URGENT, slug="fever", **fields):
    """A flag as the rules would raise it, on a report of its own (created directly: these
    pages only show it)."""
    if "report" not in fields and "visit" not in fields:
        fields["report"] = SymptomReport.objects.create(
            course=course, temperature_c=Decimal("40.3"), source="patient"
        )
    values = {
        "rule": "ctcae_grade",
        "value": "40.3 °C",
        "threshold": "> 40.0 °C",
        "message": "Fever 40.3 °C is CTCAE grade 3.",
        "source": "NCI CTCAE v5.0 – Fever",
        **fields,
    }
    return Flag.objects.create(course=course, level=level, term=term(slug), **values)


def log_in(client, user):
    client.force_login(user)
    return client


def htmx(**extra):
    """Headers of a request made by htmx."""
    return {"HTTP_HX_REQUEST": "true", **extra}
