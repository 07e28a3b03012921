"""A care team registers its patients and corrects them with a reason, without the admin."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tracker import services
from tracker.models import Patient

pytestmark = pytest.mark.django_db

NEW = reverse("tracker:patient-create")


def registration(**fields):
    return {
        "given_name": "Claire",
        "family_name": "Dubois",
        "birth_date": "1971-05-09",
        "sex": "female",
        "mrn": "ONC-55120",
        "phone": "+33 6 12 34 56 78",
        "preferred_language": "fr",
        **fields,
    }


def test_a_clinician_registers_a_patient_for_their_team(client, clinician, care_team):
    client.force_login(clinician)
    response = client.post(NEW, registration(care_team=care_team.pk))
    patient = Patient.objects.get(mrn="ONC-55120")
    assert response.status_code == 302
    assert response["Location"] == reverse("tracker:patient-detail", args=[patient.pk])
    assert (patient.care_team, patient.preferred_language, patient.sex) == (
        care_team,
        "fr",
        "female",
    )
    assert patient.birth_date == datetime.date(1971, 5, 9)
    (created,) = patient.history.all()
    assert created.history_user == clinician
    assert created.history_change_reason == "Patient registered"


def test_the_team_menu_offers_only_the_clinicians_own_teams(
    client, clinician, care_team, other_care_team
):
    client.force_login(clinician)
    response = client.post(NEW, registration(care_team=other_care_team.pk))
    assert response.status_code == 200
    assert "care_team" in response.context["form"].errors
    assert not Patient.objects.filter(mrn="ONC-55120").exists()


def test_the_service_refuses_a_team_the_clinician_is_not_in(clinician, other_care_team):
    with pytest.raises(PermissionDenied):
        services.register_patient(
            by=clinician,
            care_team=other_care_team,
            mrn="X-1",
            given_name="A",
            family_name="B",
            birth_date=datetime.date(1980, 1, 1),
        )


def test_an_mrn_of_another_teams_patient_is_refused_without_showing_them(
    client, clinician, care_team, other_patient
):
    client.force_login(clinician)
    response = client.post(NEW, registration(care_team=care_team.pk, mrn=f" {other_patient.mrn} "))
    assert response.status_code == 200
    (message,) = response.context["form"].errors["mrn"]
    assert message.startswith("A patient with this MRN already exists.")
    page = response.content.decode()
    assert other_patient.family_name not in page
    assert other_patient.given_name not in page
    assert other_patient.care_team.name not in page
    assert Patient.objects.count() == 1


def test_the_mrn_is_compared_without_case(client, clinician, care_team, patient):
    client.force_login(clinician)
    response = client.post(NEW, registration(care_team=care_team.pk, mrn=patient.mrn.lower()))
    assert "mrn" in response.context["form"].errors


def test_same_name_and_birth_date_warns_then_registers_when_confirmed(
    client, clinician, care_team, other_care_team
):
    factories.PatientFactory(
        care_team=other_care_team,
        given_name="Claire",
        family_name="Dubois",
        birth_date=datetime.date(1971, 5, 9),
        mrn="RHU-1",
    )
    client.force_login(clinician)
    data = registration(care_team=care_team.pk, given_name="claire", family_name="DUBOIS")
    response = client.post(NEW, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.duplicate_warning
    assert form.errors["confirm_not_duplicate"] == [
        "A patient with this name and date of birth already exists. If this is another "
        "person, tick the box to register them anyway."
    ]
    assert "RHU-1" not in response.content.decode()
    assert not Patient.objects.filter(mrn="ONC-55120").exists()

    response = client.post(NEW, {**data, "confirm_not_duplicate": "on"})
    assert response.status_code == 302
    assert Patient.objects.filter(mrn="ONC-55120").exists()


def test_a_different_birth_date_is_not_a_duplicate(client, clinician, care_team):
    factories.PatientFactory(
        care_team=care_team,
        given_name="Claire",
        family_name="Dubois",
        birth_date=datetime.date(1971, 5, 10),
    )
    client.force_login(clinician)
    assert client.post(NEW, registration(care_team=care_team.pk)).status_code == 302


@pytest.mark.parametrize(
    ("birth_date", "accepted"),
    [("1900-01-01", True), ("1899-12-31", False)],
)
def test_a_birth_year_before_1900_is_a_typing_error(
    client, clinician, care_team, birth_date, accepted
):
    client.force_login(clinician)
    response = client.post(NEW, registration(care_team=care_team.pk, birth_date=birth_date))
    assert (response.status_code == 302) is accepted


def test_a_birth_date_in_the_future_is_refused(client, clinician, care_team):
    client.force_login(clinician)
    tomorrow = timezone.localdate() + datetime.timedelta(days=2)
    response = client.post(
        NEW, registration(care_team=care_team.pk, birth_date=tomorrow.isoformat())
    )
    assert "birth_date" in response.context["form"].errors


def test_missing_fields_are_named(client, clinician, care_team):
    client.force_login(clinician)
    response = client.post(NEW, {"care_team": care_team.pk})
    errors = response.context["form"].errors
    assert {"given_name", "family_name", "birth_date", "mrn"} <= set(errors)
    assert 'id="form-errors"' in response.content.decode()


# --- Editing -------------------------------------------------------------------------------------


def test_an_edit_needs_a_reason_and_keeps_it_in_history(client, clinician, patient):
    client.force_login(clinician)
    url = reverse("tracker:patient-edit", args=[patient.pk])
    data = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "mrn": patient.mrn,
        "phone": "+33 6 00 00 00 01",
        "preferred_language": "en",
    }
    response = client.post(url, data)
    assert "reason" in response.context["form"].errors
    patient.refresh_from_db()
    assert patient.phone != "+33 6 00 00 00 01"

    response = client.post(url, {**data, "reason": "New mobile number given at the visit"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+33 6 00 00 00 01"
    latest = patient.history.first()
    assert latest.history_change_reason == "New mobile number given at the visit"
    assert latest.history_user == clinician


def test_an_edit_cannot_take_another_patients_mrn(client, clinician, patient, other_patient):
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:patient-edit", args=[patient.pk]),
        {
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex,
            "mrn": other_patient.mrn,
            "reason": "typo",
        },
    )
    assert (
        response.context["form"]
        .errors["mrn"][0]
        .startswith("A patient with this MRN already exists.")
    )


def test_a_team_sharing_a_course_sees_the_patient_but_cannot_edit_them(
    client, other_clinician, patient, other_care_team
):
    factories.CourseFactory(patient=patient, care_team=other_care_team)
    client.force_login(other_clinician)
    page = client.get(reverse("tracker:patient-detail", args=[patient.pk]))
    assert page.status_code == 200
    assert reverse("tracker:patient-edit", args=[patient.pk]) not in page.content.decode()
    assert client.get(reverse("tracker:patient-edit", args=[patient.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        services.update_patient(
            patient=patient, by=other_clinician, changes={"phone": "1"}, reason="x"
        )


def test_the_update_service_requires_a_reason(clinician, patient):
    with pytest.raises(ValidationError):
        services.update_patient(patient=patient, by=clinician, changes={"phone": "1"}, reason=" ")


def test_the_invitation_starts_in_the_patients_preferred_language(client, clinician, care_team):
    patient = factories.PatientFactory(care_team=care_team, user=None, preferred_language="fr")
    client.force_login(clinician)
    page = client.get(reverse("tracker:patient-detail", args=[patient.pk])).content.decode()
    assert '<option value="fr" selected>' in page
    assert '<option value="en" selected>' not in page


def test_the_list_and_the_patient_page_link_to_the_forms(client, clinician, patient):
    client.force_login(clinician)
    assert NEW in client.get(reverse("tracker:patient-list")).content.decode()
    page = client.get(reverse("tracker:patient-detail", args=[patient.pk])).content.decode()
    assert reverse("tracker:patient-edit", args=[patient.pk]) in page
