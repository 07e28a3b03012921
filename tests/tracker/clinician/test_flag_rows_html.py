"""The flag rows drawn outside the template engine (tracker/flag_row_html.py): whatever a
patient, a clinician or a request writes reaches the page escaped, and the rows read in the
reader's language."""

import time

import pytest
from django.urls import reverse
from django.utils import translation

from therapies.models import Therapy
from tracker import flag_text
from tracker.models import FlagLevel, FlagStatus

from .conftest import htmx, make_flag

pytestmark = pytest.mark.django_db

TRIAGE = reverse("tracker:triage")
SCRIPT = "<script>alert('x')</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def test_a_patient_name_with_a_script_is_escaped_on_the_queue(client, clinician, course):
    patient = course.patient
    patient.given_name = SCRIPT
    patient.save()
    make_flag(course, FlagLevel.INFO, "chills")
    client.force_login(clinician)
    text = client.get(TRIAGE).text
    assert SCRIPT not in text
    assert f"{SCRIPT_ESCAPED} {patient.family_name}" in text


def test_a_patient_name_with_a_script_is_escaped_in_the_new_urgent_rows(client, clinician, course):
    # The rows of the queue's polling show the patient in each flag row ("queue" layout).
    patient = course.patient
    patient.given_name = SCRIPT
    patient.save()
    since = f"{time.time() - 60:.6f}"
    make_flag(course, FlagLevel.URGENT)
    client.force_login(clinician)
    text = client.get(reverse("tracker:triage-new-urgent"), {"since": since}).text
    assert 'class="flag-patient"' in text
    assert SCRIPT not in text
    assert f"{SCRIPT_ESCAPED} {patient.family_name}" in text


def test_a_note_with_markup_is_shown_as_written_not_run(client, clinician, course):
    make_flag(
        course,
        status=FlagStatus.ACKNOWLEDGED,
        acknowledged_by=clinician,
        acknowledged_note=f"Called {SCRIPT} & left a message",
        acknowledged_note_shared=True,
    )
    client.force_login(clinician)
    text = client.get(TRIAGE).text
    assert SCRIPT not in text
    assert f"“Called {SCRIPT_ESCAPED} &amp; left a message”" in text
    assert "shared with the patient" in text


def test_a_swapped_row_escapes_the_layout_it_was_sent(client, clinician, course):
    # Refused (an urgent flag needs an outcome): the row comes back open, with its form.
    flag = make_flag(course)
    client.force_login(clinician)
    response = client.post(
        reverse("tracker:flag-resolve", args=[flag.pk]),
        {"note": "done", "layout": f'">{SCRIPT}'},
        **htmx(),
    )
    assert response.status_code == 200
    assert "Choose what was done about this urgent flag." in response.text
    assert SCRIPT not in response.text
    assert f'name="layout" value="&quot;&gt;{SCRIPT_ESCAPED}"' in response.text


def test_the_resolve_link_comes_back_to_the_filtered_queue(client, clinician, course):
    flag = make_flag(course, FlagLevel.REVIEW, "nausea")
    client.force_login(clinician)
    text = client.get(TRIAGE, {"level": "review", "q": course.patient.mrn}).text
    resolve = reverse("tracker:flag-resolve", args=[flag.pk])
    back = f"{TRIAGE}%3Flevel%3Dreview%26q%3D{course.patient.mrn}"
    assert f'href="{resolve}?next={back}"' in text


def test_the_rows_read_in_french(client, clinician, course):
    make_flag(course, status=FlagStatus.ACKNOWLEDGED, acknowledged_by=clinician)
    make_flag(course, FlagLevel.REVIEW, "nausea")
    client.force_login(clinician)
    client.cookies["django_language"] = "fr"
    text = client.get(TRIAGE).text
    for words in ("Valeur :", "Prendre en compte", "Résoudre…", "attente", "Note sur "):
        assert words in text
    assert f"Prise en compte par {clinician.get_full_name()}, " in text


def test_a_threshold_names_a_therapy_by_its_french_name_once_renamed():
    # The worded values are kept per language; renaming a therapy forgets them.
    therapy = Therapy.objects.get(slug="tocilizumab")
    therapy.name_fr = "Tocilizumab (essai)"
    therapy.save()
    with translation.override("fr"):
        assert flag_text.measure_text("not listed for Tocilizumab") == (
            "non listé pour Tocilizumab (essai)"
        )
        therapy.name_fr = "Tocilizumab (nouveau nom)"
        therapy.save()
        assert flag_text.measure_text("not listed for Tocilizumab") == (
            "non listé pour Tocilizumab (nouveau nom)"
        )
    with translation.override("en"):
        assert flag_text.measure_text("not listed for Tocilizumab") == (
            "not listed for Tocilizumab"
        )
