"""A French nurse reads every flag in French: pages and the printed summary show no English
explanation and no internal rule id, for flags of many rules (issue: clinical words in the
reader's language)."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from tests import factories
from therapies.models import SideEffectTerm, Therapy
from tracker import emails, flag_text, services
from tracker.exports import pdf
from tracker.models import Flag
from tracker.summary import build_summary

pytestmark = pytest.mark.django_db

# Words of the English explanations (tracker/rules.py) that a French page must not show (the
# high-dose IL-2 dose advice on these pages included: tests/tracker/test_dose_advice_words.py).
ENGLISH_FRAGMENTS = [
    "is CTCAE grade",
    "by the clinician",
    "Patient reports",
    "Not an expected side effect",
    "Worsening:",
    "grades worse than",
    "Possible capillary leak",
    "is below",
    "is above",
    "suggests fluid retention",
    "red flag at any grade",
    "can mask serious infection",
    "review today, even if expected",
    "not listed for",
    "signs in one",
    "Oxygen saturation",
    "Systolic blood pressure",
    "Heart rate",
]

# The words around the sources' titles as the rules cite them (tracker/rules.py, "Sources"):
# a French page names a label "notice", a table "tableau", a boxed warning "avertissement
# encadré"; the titles (Proleukin, J Immunother Cancer, NCI CTCAE v5.0) stay as published.
ENGLISH_SOURCE_GLUE = [
    "label 2023",
    "Table 1",
    "Table 2",
    "Table 3",
    "boxed warning",
    "derived, needs clinical review",
    "absolute criterion",
    "moderate confusion: withhold",
    "Therapy catalog",
    "side effects listed",
    "Home red-flag thresholds",
    "hemorrhage terms",
    "graded by site",
    "presence item",
    "pulse oximeter",
    "alerts on worsening",
    "serious infections",
    "CRP stays low",
    "composite grading",
    "consensus grading",
    "capillary leak syndrome",
    "neurologic toxicity",
]


def term(slug):
    return SideEffectTerm.objects.get(slug=slug)


def at(days_ago, hour):
    moment = datetime.datetime.combine(
        timezone.localdate() - datetime.timedelta(days=days_ago), datetime.time(hour)
    )
    return moment.astimezone(datetime.UTC)


@pytest.fixture
def flagged(patient, clinician):
    """A high-dose IL-2 course whose report and visits raise flags of many rules, and a
    tocilizumab course with a fever (IL-6 blocker rule)."""
    il2 = factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="aldesleukin-high-dose"),
        start_date=timezone.localdate() - datetime.timedelta(days=3),
        baseline_weight_kg=Decimal("70.0"),
    )
    report = services.submit_report(
        course=il2,
        by=patient.user,
        reported_at=at(3, 19),
        answers=[
            services.AnswerInput(term=term("chills"), frequency=3, severity=3),
            services.AnswerInput(term=term("bleeding"), present=True),
            services.AnswerInput(term=term("confusion"), present=True),
        ],
        measurements={"temperature_c": Decimal("38.6")},
    ).report
    services.record_visit(
        course=il2,
        by=clinician,
        recorded_at=at(2, 8),
        measurements={"platelets_10e9_per_l": Decimal("140")},
    )
    visit = services.record_visit(
        course=il2,
        by=clinician,
        recorded_at=at(1, 8),
        measurements={
            "systolic_bp": 84,
            "heart_rate": 138,
            "spo2": Decimal("87"),
            "weight_kg": Decimal("80.0"),
            "urine_output_ml_8h": 120,
            "platelets_10e9_per_l": Decimal("40"),
            "creatinine_mg_dl": Decimal("2.5"),
        },
        adverse_events=[
            services.AdverseEventEntry(term=term("hallucinations"), grade=1),
            services.AdverseEventEntry(term=term("bleeding"), grade=1),
            services.AdverseEventEntry(term=term("back_pain"), grade=2),
        ],
    ).visit
    il6 = factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="tocilizumab"),
        start_date=timezone.localdate() - datetime.timedelta(days=3),
    )
    services.record_visit(
        course=il6, by=clinician, recorded_at=at(1, 9), measurements={"temperature_c": 38.4}
    )
    return il2, il6, report, visit


def _page_text(html: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", text)


def _assert_french(text, flags, where):
    for flag in flags:
        assert flag.rule not in text, f"rule id {flag.rule} shown on {where}"
        for sentence in re.split(r"(?<=\.) ", flag.message_en):
            assert sentence not in text, f"English {sentence!r} on {where}"
        with translation.override("fr"):
            for english, french in (
                (flag.value, flag.value_label),
                (flag.threshold, flag.threshold_label),
            ):
                if english != french:
                    assert english not in text, f"English {english!r} on {where}"
    for fragment in ENGLISH_FRAGMENTS + ENGLISH_SOURCE_GLUE:
        assert fragment not in text, f"English {fragment!r} on {where}"


def test_the_rules_raised_flags_of_many_rules(flagged):
    rules = set(Flag.objects.values_list("rule", flat=True))
    # Every rule these records meet, so that the pages below are checked against each.
    assert {
        "ctcae_grade",
        "composite_grade",
        "bleeding_present",
        "confusion_present",
        "bleeding_recorded",
        "hallucinations_recorded",
        "heart_rate_above_130",
        "spo2_below_90",
        "possible_capillary_leak",
        "fever_on_il6_blocker",
        "unexpected_side_effect",
    } <= rules | {part["key"] for flag in Flag.objects.all() for part in flag.message_parts}
    assert set(rules) <= set(flag_text.RULE_LABELS)


def test_french_pages_show_no_english_explanation_and_no_rule_id(flagged, client, clinician):
    il2, il6, report, visit = flagged
    flags = list(Flag.objects.all())
    client.force_login(clinician)
    pages = {
        "course page": reverse("tracker:course-detail", args=[il2.pk]),
        "IL-6 course page": reverse("tracker:course-detail", args=[il6.pk]),
        "triage": reverse("tracker:triage"),
        "visit page": reverse("tracker:visit-detail", args=[visit.pk]),
        "report page": reverse("tracker:report-detail", args=[report.pk]),
    }
    for where, url in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 200, where
        assert response["Content-Language"] == "fr"
        _assert_french(_page_text(response.content.decode()), flags, where)
    # What a French nurse reads instead: the rules' words in French.
    response = client.get(pages["visit page"], HTTP_ACCEPT_LANGUAGE="fr")
    text = _page_text(response.content.decode())
    assert "Fréquence cardiaque de 138 bpm, supérieure à 130 bpm." in text
    assert "Saturation en oxygène de 87 %, inférieure à 90 %." in text
    assert "Fuite capillaire possible" in text


def test_the_patients_french_pages_show_no_english_explanation(flagged, client, patient):
    il2, il6, report, visit = flagged
    flags = list(Flag.objects.all())
    client.force_login(patient.user)
    for where, url in {
        "report history": reverse("tracker:patient-reports"),
        "answer page": reverse("tracker:patient-report-detail", args=[report.pk]),
    }.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 200, where
        _assert_french(_page_text(response.content.decode()), flags, where)


def test_french_pdf_shows_no_english_explanation_and_no_rule_id(flagged, clinician):
    il2, il6, report, visit = flagged
    with translation.override("fr"):
        context = pdf.document_context(build_summary(il2), printed_by=clinician)
        body = pdf.render_pdf(context, language="fr")
    reader = PdfReader(io.BytesIO(body))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    _assert_french(text, Flag.objects.filter(course=il2), "the French PDF")
    assert "Fuite capillaire possible" in text


def test_the_same_flag_reads_in_english_for_an_english_reader(flagged):
    flag = Flag.objects.get(rule="heart_rate_above_130")
    with translation.override("en"):
        assert flag.message == "Heart rate 138 bpm is above 130 bpm."
        assert flag.rule_label == "Heart rate above 130 bpm"
    with translation.override("fr"):
        assert flag.message == "Fréquence cardiaque de 138 bpm, supérieure à 130 bpm."
        assert flag.rule_label == "Fréquence cardiaque supérieure à 130 bpm"


def test_a_flag_with_unknown_wording_reads_in_french_from_what_it_found(flagged):
    flag = Flag.objects.filter(rule="heart_rate_above_130").first()
    flag.message_parts = [{"key": "a_rule_from_later", "params": {}}]
    with translation.override("fr"):
        # Its rule, term, value and threshold (Dutcher 2014, Table 3: > 130 bpm), in French.
        assert flag.message == (
            "Fréquence cardiaque supérieure à 130 bpm : Tachycardie sinusale 138 bpm "
            "(seuil : > 130 bpm)."
        )
    with translation.override("en"):
        assert flag.message == flag.message_en  # the English explanation as raised


def test_the_api_returns_the_message_in_the_requesters_language(flagged, client, clinician):
    il2, *_ = flagged
    client.force_login(clinician)
    response = client.get(f"/api/v1/courses/{il2.pk}/flags/", HTTP_ACCEPT_LANGUAGE="fr")
    if response.status_code == 404:
        pytest.fail("the course's flags are not at /api/v1/courses/<id>/flags/")
    body = response.content.decode()
    assert "Fréquence cardiaque de 138 bpm" in body
    assert "Heart rate 138 bpm is above" not in body


def test_the_capillary_leak_value_names_its_signs_and_terms_in_french(flagged):
    flag = Flag.objects.get(rule="possible_capillary_leak")
    with translation.override("fr"):
        value = flag.value_label
    # In French with a decimal comma: (80.0 − 70.0) / 70.0 = 14.3 %.
    assert "prise de poids: Prise de poids 14,3 % au-dessus du poids de référence" in value
    assert "Weight gain" not in value
    assert "over baseline" not in value


def test_in_english_each_flag_reads_as_the_rules_wrote_it(flagged):
    with translation.override("en"):
        for flag in Flag.objects.exclude(rule="possible_capillary_leak"):
            assert flag.message == flag.message_en, flag.rule
        # The pattern names the rules it folds in by their names, not their ids.
        leak = Flag.objects.get(rule="possible_capillary_leak")
        assert "(May need hospitalization: Systolic blood pressure below 90 mmHg)" in leak.message
        assert "systolic_bp_below_90" in leak.message_en  # kept as raised, for audit


# --- Sources' citations, and every other page, PDF and e-mail a French reader gets ------------

# The heart-rate flag of a high-dose IL-2 course cites Dutcher 2014, Table 3 (sinus tachycardia
# > 130 bpm is an absolute criterion): the journal's title as published, the table in French.
DUTCHER_EN = "Dutcher et al., J Immunother Cancer 2014;2:26, Table 3"
DUTCHER_FR = "Dutcher et al., J Immunother Cancer 2014;2:26, tableau 3"


def _pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_same_flags_source_reads_in_the_readers_language(flagged):
    heart = Flag.objects.get(rule="heart_rate_above_130")
    confusion = Flag.objects.get(rule="confusion_present")
    leak = Flag.objects.get(rule="possible_capillary_leak")
    with translation.override("en"):
        assert heart.source_label == DUTCHER_EN
        assert confusion.source_label == confusion.source  # English as the rules cite it
    with translation.override("fr"):
        assert heart.source_label == DUTCHER_FR
        # Proleukin boxed warning (neurologic toxicity); Proleukin label 2023, Table 2
        # (moderate confusion: withhold), derived.
        assert confusion.source_label == (
            "Avertissement encadré de Proleukin (toxicité neurologique); Notice de Proleukin "
            "2023, tableau 2 (confusion modérée : suspension) (dérivé, à faire valider par un "
            "clinicien)"
        )
        assert leak.source_label.startswith(
            "Avertissement encadré de Proleukin (syndrome de fuite capillaire); " + DUTCHER_FR
        )
    assert heart.source == DUTCHER_EN  # kept as the rules cited it, for audit


def test_sources_that_name_a_ctcae_term_name_it_in_french(flagged):
    # On tocilizumab the confusion red flag cites the CTCAE term and the home red-flag table.
    il6 = flagged[1]
    services.submit_report(
        course=il6,
        by=il6.patient.user,
        reported_at=at(0, 8),
        answers=[services.AnswerInput(term=term("confusion"), present=True)],
    )
    flag = Flag.objects.get(course=il6, rule="confusion_present")
    with translation.override("fr"):
        label = flag.source_label
    assert label.startswith(f"NCI CTCAE v5.0 – {term('confusion').ctcae_term_fr}; ")
    assert "Seuils d’alerte à domicile" in label
    assert "reference/domain.md" not in label


def test_the_course_page_pdf_and_api_cite_in_the_readers_language(flagged, client, clinician):
    il2, *_ = flagged
    client.force_login(clinician)
    url = reverse("tracker:course-detail", args=[il2.pk])
    french = _page_text(client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    english = _page_text(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert DUTCHER_FR in french and DUTCHER_EN not in french
    assert DUTCHER_EN in english and DUTCHER_FR not in english

    pdf_url = reverse("tracker:export-course-pdf", args=[il2.pk])
    french_pdf = _pdf_text(b"".join(client.get(pdf_url, HTTP_ACCEPT_LANGUAGE="fr")))
    english_pdf = _pdf_text(b"".join(client.get(pdf_url, HTTP_ACCEPT_LANGUAGE="en")))
    assert DUTCHER_FR in french_pdf and DUTCHER_EN not in french_pdf
    assert f"Source : {DUTCHER_FR}" in french_pdf  # French typography in the glue too
    assert DUTCHER_EN in english_pdf

    api = f"/api/v1/courses/{il2.pk}/flags/"
    for language, expected in (("fr", DUTCHER_FR), ("en", DUTCHER_EN)):
        body = client.get(api, HTTP_ACCEPT_LANGUAGE=language).json()
        rows = body["results"] if isinstance(body, dict) else body
        (heart,) = [row for row in rows if row["rule"] == "heart_rate_above_130"]
        assert heart["source"] == expected, language


def test_every_french_page_of_a_nurse_shows_no_english_and_no_rule_id(flagged, client, clinician):
    il2, il6, report, visit = flagged
    flags = list(Flag.objects.all())
    heart = Flag.objects.get(rule="heart_rate_above_130")
    client.force_login(clinician)
    pages = {
        "triage": reverse("tracker:triage"),
        "course page": reverse("tracker:course-detail", args=[il2.pk]),
        "flag page": reverse("tracker:flag-resolve", args=[heart.pk]),
        "visit history": reverse("tracker:record-history", args=["visit", visit.pk]),
        "report history": reverse("tracker:record-history", args=["report", report.pk]),
    }
    for where, url in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 200, where
        _assert_french(_page_text(response.content.decode()), flags, where)
    flag_page = _page_text(
        client.get(pages["flag page"], HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )
    assert DUTCHER_FR in flag_page
    assert "Tachycardie sinusale" in flag_page  # the term's French CTCAE name


def test_the_patients_french_pdf_shows_no_english_and_no_rule_id(flagged, client, patient):
    il2, *_ = flagged
    client.force_login(patient.user)
    response = client.get(
        reverse("tracker:export-course-pdf", args=[il2.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 200
    text = _pdf_text(b"".join(response))
    _assert_french(text, Flag.objects.filter(course=il2), "the patient's French PDF")
    # The adverse events and flags name their CTCAE terms in French (catalog_fr.json).
    for slug in ("back_pain", "hallucinations", "chills"):
        names = term(slug)
        if names.ctcae_term != names.ctcae_term_fr:
            assert names.ctcae_term not in text, f"English {names.ctcae_term!r} in the PDF"
        assert names.ctcae_term_fr in text


def test_the_french_e_mails_show_no_english(flagged, care_team):
    il2, *_ = flagged
    rendered = {
        "escalation": emails.render(
            "flag_escalation",
            {"care_team": care_team, "step": "physicians", "minutes": 30, "link": "https://x"},
            language="fr",
        ),
        "reminder": emails.render(
            "report_reminder",
            {
                "user": il2.patient.user,
                "course": il2,
                "due_date": datetime.date(2026, 6, 3),
                "overdue": True,
                "link": "https://x",
                "phone": "01 23 45 67 89",
                "out_of_hours_phone": "01 98 76 54 32",
                "care_team": care_team,
            },
            language="fr",
        ),
    }
    for name, (subject, text, html) in rendered.items():
        for where, body in (("subject", subject), ("text", text), ("html", _page_text(html))):
            for english in (
                "An urgent flag",
                "Open the triage queue",
                "Your report on",
                "Hello",
                "If you feel very unwell",
                "waited",
                "It takes about",
            ):
                assert english not in body, f"English {english!r} in the {name} e-mail's {where}"
    # Dates cannot be misread: the month by name, June told apart from July.
    assert "3 juin 2026" in rendered["reminder"][1]
    # The therapy by its French name (DCI).
    assert "Aldesleukine, forte dose" in rendered["reminder"][1]
    assert "Aldesleukin, high dose" not in rendered["reminder"][1]


def test_a_fever_escalation_cites_the_catalogs_reason_in_french(patient, clinician):
    # Oprelvekin is given after myelosuppressive chemotherapy; its US label names neutropenic
    # fever its most frequent serious adverse event: a fever is reviewed the same day, citing
    # CTCAE febrile neutropenia and the catalog's reason (catalog.json, catalog_fr.json).
    course = factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="oprelvekin"),
        start_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    services.record_visit(
        course=course, by=clinician, recorded_at=at(1, 9), measurements={"temperature_c": 38.5}
    )
    flag = Flag.objects.get(course=course, rule="fever_escalation_risk")
    with translation.override("en"):
        # As the rules cite it, the catalog's source keys shown as the label they stand for.
        assert "[NEU-AE][NEU-WP]" in flag.source
        assert flag.source_label == flag.source.replace("[NEU-AE][NEU-WP]", "(Neumega label)")
        assert "Neumega (oprelvekin) US label: given after myelosuppressive" in flag.source_label
    with translation.override("fr"):
        label = flag.source_label
    assert label.startswith("NCI CTCAE v5.0 – Neutropénie fébrile (PNN < 1000/mm³")
    assert (
        "Notice américaine de Neumega (oprelvekin) : administré après une chimiothérapie" in label
    )
    assert label.endswith("(dérivé, à faire valider par un clinicien)")
    for english in ("US label", "myelosuppressive", "Febrile neutropenia", "sustained over"):
        assert english not in label


def test_a_term_named_with_a_note_is_cited_by_its_french_name(patient, clinician):
    # Nasopharyngitis is not a CTCAE v5.0 term: its name carries a note in parentheses, and the
    # graded flag cites it by that name (NCI CTCAE v5.0 – <term>).
    course = factories.CourseFactory(
        patient=patient,
        therapy=Therapy.objects.get(slug="ustekinumab"),
        start_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    services.record_visit(
        course=course,
        by=clinician,
        recorded_at=at(1, 9),
        adverse_events=[services.AdverseEventEntry(term=term("nasopharyngitis"), grade=2)],
    )
    flag = Flag.objects.get(course=course, rule="ctcae_grade")
    names = term("nasopharyngitis")
    assert flag.source == f"NCI CTCAE v5.0 – {names.ctcae_term}"
    with translation.override("fr"):
        assert flag.source_label == f"NCI CTCAE v5.0 – {names.ctcae_term_fr}"
    assert "(pas un terme CTCAE v5.0)" in names.ctcae_term_fr


# The French name of each therapy: the French INN (DCI, dénomination commune internationale,
# ANSM / RCP français) where one exists; interleukin-12 has no INN (investigational).
FRENCH_NAMES = {
    "aldesleukin-high-dose": "aldesleukine",
    "aldesleukin-low-dose": "aldesleukine",
    "oprelvekin": "oprelvékine",
    "interleukin-12": "interleukine-12",
    "anakinra": "anakinra",
    "tocilizumab": "tocilizumab",
    "sarilumab": "sarilumab",
    "ustekinumab": "ustékinumab",
    "risankizumab": "risankizumab",
    "secukinumab": "sécukinumab",
}

# A catalog source key as the catalog's texts cite it ("[PL-DOSE]"): never shown to a person.
SOURCE_KEY = re.compile(r"\[[A-Z0-9-]+\]")


def test_each_therapy_has_its_french_name_the_dci():
    therapies = {t.slug: t for t in Therapy.objects.all()}
    assert set(therapies) == set(FRENCH_NAMES)
    for slug, dci in FRENCH_NAMES.items():
        therapy = therapies[slug]
        with translation.override("fr"):
            assert therapy.display_name.lower().startswith(dci), slug
            assert str(therapy) == therapy.display_name
        with translation.override("en"):
            assert therapy.display_name == therapy.name, slug
    with translation.override("fr"):
        assert therapies["aldesleukin-high-dose"].display_name == "Aldesleukine, forte dose"


def test_a_french_nurse_reads_the_french_name_on_pages_flags_and_pdf(flagged, client, clinician):
    il2 = flagged[0]
    client.force_login(clinician)
    pages = {
        "course page": reverse("tracker:course-detail", args=[il2.pk]),
        "triage": reverse("tracker:triage"),
    }
    for where, url in pages.items():
        text = _page_text(client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode())
        assert "Aldesleukine, forte dose" in text, where
        assert "Aldesleukin, high dose" not in text, where
        english = _page_text(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
        assert "Aldesleukin, high dose" in english, where
        assert "Aldesleukine" not in english, where
    body = client.get(
        reverse("tracker:export-course-pdf", args=[il2.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content
    assert "Aldesleukine, forte dose" in _pdf_text(body)
    assert "Aldesleukin, high dose" not in _pdf_text(body)
    # Back pain is not listed for high-dose IL-2: the flag names the therapy in French.
    unexpected = next(
        flag
        for flag in Flag.objects.filter(course=il2)
        if "unexpected_side_effect" in {part["key"] for part in flag.message_parts}
    )
    with translation.override("fr"):
        assert "Aldesleukine, forte dose" in unexpected.message
        assert "Aldesleukin," not in unexpected.message
    with translation.override("en"):
        assert "Aldesleukin, high dose" in unexpected.message


def test_source_keys_are_shown_as_citations_on_pages_and_pdfs(flagged, client, clinician):
    il2 = flagged[0]
    il2.regimen = il2.therapy.regimen  # as a new course takes it from the catalog
    il2.save()
    assert SOURCE_KEY.search(il2.therapy.regimen)  # the keys stay in the data
    oprelvekin = factories.CourseFactory(
        patient=il2.patient,
        therapy=Therapy.objects.get(slug="oprelvekin"),
        start_date=timezone.localdate() - datetime.timedelta(days=1),
        regimen="",
    )
    services.record_visit(
        course=oprelvekin,
        by=clinician,
        recorded_at=at(0, 8),
        measurements={"temperature_c": Decimal("38.5")},
    )
    assert SOURCE_KEY.search(Flag.objects.filter(course=oprelvekin).first().source)
    client.force_login(clinician)
    for language in ("en", "fr"):
        for course in (il2, oprelvekin):
            for url in (
                reverse("tracker:course-detail", args=[course.pk]),
                reverse("tracker:triage"),
            ):
                text = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
                assert not SOURCE_KEY.search(text), (language, url, SOURCE_KEY.search(text))
            body = client.get(
                reverse("tracker:export-course-pdf", args=[course.pk]),
                HTTP_ACCEPT_LANGUAGE=language,
            ).content
            assert not SOURCE_KEY.search(_pdf_text(body)), (language, course)
    # What a reader sees instead: the label the key stands for (catalog.json "sources").
    with translation.override("en"):
        assert "(Proleukin label, 2024)" in il2.regimen_text
    with translation.override("fr"):
        assert "(notice de Proleukin, 2024)" in il2.regimen_text
        assert il2.regimen_text.startswith("600 000 UI/kg")


def test_a_renamed_therapy_is_shown_by_its_new_name_on_the_kept_course_page(
    flagged, client, clinician
):
    # The course page keeps its rendered body by course version: the therapy's French name
    # (reloaded with the catalog) is part of that version.
    il2 = flagged[0]
    client.force_login(clinician)
    url = reverse("tracker:course-detail", args=[il2.pk])
    assert "Aldesleukine, forte dose" in client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    therapy = Therapy.objects.get(pk=il2.therapy_id)
    therapy.name_fr = "Aldesleukine (forte dose)"
    therapy.save()
    text = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Aldesleukine (forte dose)" in text
    assert "Aldesleukine, forte dose" not in text
