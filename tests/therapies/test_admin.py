"""The catalog admin: administrators maintain therapies and the vocabulary there."""

import pytest
from django.urls import reverse

from therapies.models import Therapy

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_therapy_list_filters_by_class_and_setting(staff_client):
    url = reverse("admin:therapies_therapy_changelist")

    response = staff_client.get(
        url, {"drug_class__exact": "il6_blocker", "setting__exact": "outpatient"}
    )

    assert response.status_code == 200
    assert [t.slug for t in response.context["cl"].result_list] == ["sarilumab", "tocilizumab"]


def test_therapy_page_shows_expected_side_effects_inline(staff_client):
    therapy = Therapy.objects.get(slug="aldesleukin-high-dose")

    response = staff_client.get(reverse("admin:therapies_therapy_change", args=[therapy.pk]))

    assert response.status_code == 200
    assert "Capillary leak syndrome" in response.content.decode()


def test_term_search_finds_a_meddra_code(staff_client):
    response = staff_client.get(
        reverse("admin:therapies_sideeffectterm_changelist"), {"q": "10028813"}
    )

    assert [t.slug for t in response.context["cl"].result_list] == ["nausea"]


def test_expected_side_effect_term_autocompletes(staff_client):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "therapies",
            "model_name": "expectedsideeffect",
            "field_name": "term",
            "term": "nause",
        },
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Nausea"]


def test_non_staff_user_cannot_open_the_catalog_admin(client, clinician):
    client.force_login(clinician)

    response = client.get(reverse("admin:therapies_therapy_changelist"))

    assert response.status_code == 302


def test_frequencies_by_indication_are_listed_in_the_admin(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/admin/therapies/expectedfrequency/?indication=ulcerative-colitis")

    assert response.status_code == 200
    assert "Ustekinumab – Abdominal pain" in response.text
