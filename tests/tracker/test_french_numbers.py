"""French numbers take a decimal comma (issue 14 §2): a flag's explanation, value and threshold
and the dose advice read "38,6 °C" in French and "38.6 °C" in English; the stored values keep
the point. A flag raised before its explanation was kept as parts reads in French from what it
found (rule, term, value, threshold); its English explanation stays on it for audit.

The fever below is 38.6 °C: NCI CTCAE v5.0 "Fever" grade 1 is 38.0-39.0 °C, so the flag's
threshold is "≥ 38.0 °C".
"""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.tracker import test_dose_advice_words as advice_words
from tests.tracker import test_french_clinical_words as french_words
from tracker import advice_text
from tracker.models import Flag, Visit

pytestmark = pytest.mark.django_db

flagged = french_words.flagged
advised = advice_words.advised

FRENCH_FEVER = "Fièvre 38,6 °C : grade CTCAE 1."
ENGLISH_FEVER = "Fever 38.6 °C is CTCAE grade 1."


def fever_flag():
    return Flag.objects.get(rule="ctcae_grade", term__slug="fever", report__isnull=False)


def test_a_flags_decimal_value_reads_with_a_comma_in_french_only(flagged):
    flag = fever_flag()
    assert (flag.value, flag.threshold) == ("38.6 °C", "≥ 38.0 °C")  # stored as the rules wrote
    with translation.override("fr"):
        assert flag.message == FRENCH_FEVER
        assert (flag.value_label, flag.threshold_label) == ("38,6 °C", "≥ 38,0 °C")
    with translation.override("en"):
        assert flag.message == ENGLISH_FEVER
        assert (flag.value_label, flag.threshold_label) == ("38.6 °C", "≥ 38.0 °C")


def test_the_course_page_and_the_pdf_write_numbers_in_the_readers_language(
    flagged, client, clinician
):
    il2 = flagged[0]
    client.force_login(clinician)
    url = reverse("tracker:course-detail", args=[il2.pk])
    french = french_words._page_text(client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    english = french_words._page_text(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert FRENCH_FEVER in french and "38.6 °C" not in french
    assert ENGLISH_FEVER in english and "38,6 °C" not in english

    pdf_url = reverse("tracker:export-course-pdf", args=[il2.pk])
    french_pdf = french_words._pdf_text(b"".join(client.get(pdf_url, HTTP_ACCEPT_LANGUAGE="fr")))
    english_pdf = french_words._pdf_text(b"".join(client.get(pdf_url, HTTP_ACCEPT_LANGUAGE="en")))
    assert "38,6 °C" in french_pdf and "38.6 °C" not in french_pdf
    assert "≥ 38,0 °C" in french_pdf
    assert "38.6 °C" in english_pdf and "38,6 °C" not in english_pdf


def test_the_api_message_is_written_in_the_requesters_language(flagged, client, clinician):
    il2 = flagged[0]
    client.force_login(clinician)
    flag = fever_flag()
    api = f"/api/v1/courses/{il2.pk}/flags/"
    for language, message in (("fr", FRENCH_FEVER), ("en", ENGLISH_FEVER)):
        body = client.get(api, HTTP_ACCEPT_LANGUAGE=language).json()
        rows = body["results"] if isinstance(body, dict) else body
        (row,) = [r for r in rows if r["id"] == str(flag.pk)]
        assert row["message"] == message, language
        assert row["value"] == "38.6 °C"  # the stored value, as data


def test_the_dose_advice_writes_decimals_in_the_readers_language(advised):
    # Baseline 78.0 kg, 79.0 kg now: (79.0 − 78.0) / 78.0 = 1.3 % (rounded to one decimal).
    course, visit = advised
    advice = Visit.objects.get(pk=visit.pk).dose_advice
    with translation.override("fr"):
        checked = advice_text.localized(advice)["checked"]
    assert "Prise de poids de 1,3 % par rapport au poids de référence" in checked
    with translation.override("en"):
        assert "Weight gain 1.3 % over baseline" in advice_text.localized(advice)["checked"]
    # A value as entered: creatinine 2.6 mg/dL in Dutcher 2014's relative range 2.5-2.9.
    line = {
        "criterion": "creatinine",
        "key": "creatinine_in_range",
        "kind": "relative criterion",
        "params": {"value": 2.6, "low": 2.5, "high": 3.0, "unit": "mg/dL"},
        "sources": ["dutcher_2014_table_3"],
    }
    with translation.override("fr"):
        text = advice_text.item_text(line)
    assert "2,6 mg/dL" in text and "2,5" in text and "2.6" not in text
    with translation.override("en"):
        assert advice_text.item_text(line).startswith("Creatinine 2.6 mg/dL in 2.5–<3 mg/dL")


def test_a_flag_without_parts_reads_in_french_from_what_it_found(flagged):
    flag = fever_flag()
    Flag.objects.filter(pk=flag.pk).update(message_parts=[])
    flag = Flag.objects.get(pk=flag.pk)
    with translation.override("fr"):
        message = flag.message
    assert message == "Grade CTCAE : Fièvre 38,6 °C (seuil : ≥ 38,0 °C)."
    assert ENGLISH_FEVER not in message
    with translation.override("en"):
        assert flag.message == ENGLISH_FEVER  # the English explanation as raised
    assert flag.message_en == ENGLISH_FEVER  # kept for audit
