"""Clinical records are never deleted: not by a model, not in bulk, not from the admin."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from tracker import models, services

pytestmark = pytest.mark.django_db

CLINICAL = [
    models.Patient,
    models.Course,
    models.DoseAdministration,
    models.Visit,
    models.AdverseEvent,
    models.SymptomReport,
    models.SymptomAnswer,
    models.Flag,
]


@pytest.fixture
def records(course, patient, clinician):
    services.submit_report(
        course=course,
        by=patient.user,
        answers=[services.AnswerInput(term=_term("nausea"), frequency=2, severity=2)],
        measurements={"temperature_c": 38.3},
    )
    services.record_visit(
        course=course,
        by=clinician,
        measurements={"systolic_bp": 85},
        adverse_events=[services.AdverseEventEntry(term=_term("headache"), grade=2)],
    )
    services.record_dose(
        course=course,
        by=clinician,
        dose_number=1,
        scheduled_at=course.created_at,
        status="held",
        reason="Low blood pressure",
    )


def _term(slug):
    from therapies.models import SideEffectTerm

    return SideEffectTerm.objects.get(slug=slug)


@pytest.mark.parametrize("model", CLINICAL, ids=lambda m: m.__name__)
def test_clinical_records_cannot_be_deleted_in_bulk(records, model):
    count = model.objects.count()
    assert count > 0
    with pytest.raises(ValidationError):
        model.objects.all().delete()
    assert model.objects.count() == count


@pytest.mark.parametrize("model", CLINICAL, ids=lambda m: m.__name__)
def test_clinical_records_cannot_be_deleted_one_by_one(records, model):
    with pytest.raises(ValidationError):
        model.objects.first().delete()


@pytest.mark.parametrize(
    "model",
    [m for m in CLINICAL if admin.site.is_registered(m)],
    ids=lambda m: m.__name__,
)
def test_the_admin_offers_no_delete(records, admin_client, model):
    obj = model.objects.first()
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
    assert admin_client.get(url).status_code == 403
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert b"delete_selected" not in changelist.content
