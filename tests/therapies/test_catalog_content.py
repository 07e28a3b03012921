"""What the bundled catalog says, once loaded: the vocabulary, the codes, the agents and their
expected side effects."""

import json
import re
from decimal import Decimal

import pytest

from therapies.catalog import DEFAULT_PATH, band_for_percent
from therapies.models import ExpectedSideEffect, SideEffectTerm, TermKind, Therapy

pytestmark = pytest.mark.django_db

CATALOG = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))

# PRODUCT.md §6: slug, PRO-CTCAE item, attributes in asked order, presence item, CTCAE term.
PRODUCT_REPORTED_TERMS = [
    ("nausea", 9, ("frequency", "severity"), False, "Nausea"),
    ("vomiting", 10, ("frequency", "severity"), False, "Vomiting"),
    ("diarrhea", 16, ("frequency",), False, "Diarrhea"),
    ("abdominal_pain", 17, ("frequency", "severity", "interference"), False, "Abdominal pain"),
    ("decreased_appetite", 8, ("severity", "interference"), False, "Anorexia"),
    ("mouth_sores", 3, ("severity", "interference"), False, "Mucositis oral"),
    ("shortness_of_breath", 19, ("severity", "interference"), False, "Dyspnea"),
    ("cough", 20, ("severity", "interference"), False, "Cough"),
    ("swelling", 22, ("frequency", "severity", "interference"), False, "Edema limbs"),
    ("palpitations", 23, ("frequency", "severity"), False, "Palpitations"),
    ("dizziness", 40, ("severity", "interference"), False, "Dizziness"),
    ("headache", 49, ("frequency", "severity", "interference"), False, "Headache"),
    ("muscle_aches", 50, ("frequency", "severity", "interference"), False, "Myalgia"),
    ("joint_aches", 51, ("frequency", "severity", "interference"), False, "Arthralgia"),
    ("fatigue", 53, ("severity", "interference"), False, "Fatigue"),
    ("chills", 74, ("frequency", "severity"), False, "Chills"),
    ("sweating", 75, ("frequency", "severity"), False, "Hyperhidrosis"),
    ("nosebleeds", 78, ("frequency", "severity"), False, "Epistaxis"),
    ("itching", 28, ("severity",), False, "Pruritus"),
    ("rash", 24, (), True, "Rash maculo-papular"),
    ("bruising", 73, (), True, "Bruising"),
    ("injection_site_reaction", 79, (), True, "Injection site reaction"),
    ("bleeding", None, (), True, None),  # "Hemorrhage" has no CTCAE v5.0 entry of its own
    ("confusion", None, (), True, "Confusion"),
]

MEASURED_TERMS = [
    "fever",
    "hypotension",
    "tachycardia",
    "hypoxia",
    "weight_gain",
    "oliguria",
    "platelets_decreased",
    "creatinine_increased",
]

CLINICAL_TERMS = [
    "capillary_leak",
    "generalized_edema",
    "pleural_effusion",
    "pulmonary_edema",
    "acute_kidney_injury",
    "atrial_fibrillation",
    "supraventricular_tachycardia",
    "ventricular_arrhythmia",
    "hallucinations",
    "somnolence",
    "agitation",
    "anemia",
    "neutrophil_count_decreased",
    "bilirubin_increased",
    "alt_increased",
    "ast_increased",
    "hypertension",
    "upper_respiratory_infection",
    "sinusitis",
    "nasopharyngitis",
    "pharyngitis",
    "bronchitis",
    "urinary_tract_infection",
    "sepsis",
    "infection",
    "infusion_related_reaction",
    "cytokine_release_syndrome",
    "hyperglycemia",
    "hypothyroidism",
    "flu_like_symptoms",
    "malaise",
    "cholesterol_high",
    "urticaria",
    "back_pain",
    "fungal_infection",
    "herpes_infection",
    "rhinitis",
    "worsening_arthritis",
    "hypoalbuminemia",
    "lymphocyte_count_decreased",
    "gi_perforation",
    "hepatotoxicity",
    "anaphylaxis",
    "syncope",
    "conjunctival_injection",
    "papilledema",
    # Labelled effects added from every indication's table and the warnings (domain.md §4.8).
    "allergic_reaction",
    "wbc_decreased",
    "blurred_vision",
    "colitis",
]

# MedDRA codes that reference/domain.md §2.2 and §6.3 give for CTCAE v5.0 terms.
DOMAIN_MEDDRA_CODES = {
    "Hypotension": "10021097",
    "Fever": "10016558",
    "Chills": "10008531",
    "Edema limbs": "10050068",
    "Generalized edema": "10018112",
    "Capillary leak syndrome": "10007196",
    "Weight gain": "10047896",
    "Bruising": "10006504",
    "Epistaxis": "10015090",
    "Nausea": "10028813",
    "Vomiting": "10047700",
    "Diarrhea": "10012727",
    "Anorexia": "10002646",
    "Fatigue": "10016256",
    "Platelet count decreased": "10035528",
    "Neutrophil count decreased": "10029366",
    "Sinus tachycardia": "10040752",
    "Atrial fibrillation": "10003658",
    "Palpitations": "10033557",
    "Hypoxia": "10021143",
    "Dyspnea": "10013963",
    "Pleural effusion": "10035598",
    "Pulmonary edema": "10037375",
    "Acute kidney injury": "10069339",
    "Creatinine increased": "10011368",
    "Urine output decreased": "10059895",
    "Confusion": "10010300",
    "Somnolence": "10041349",
    "Hallucinations": "10019077",
    "Dizziness": "10013573",
    "Headache": "10019211",
    "Myalgia": "10028411",
    "Arthralgia": "10003239",
    "Rash maculo-papular": "10037868",
    "Injection site reaction": "10022095",
    "Infusion related reaction": "10051792",
    "Cytokine release syndrome": "10052015",
}

HIGH_DOSE_IL2_REQUIRED = {
    "hypotension",
    "capillary_leak",
    "swelling",
    "generalized_edema",
    "weight_gain",
    "fever",
    "chills",
    "nausea",
    "vomiting",
    "diarrhea",
    "oliguria",
    "creatinine_increased",
    "platelets_decreased",
    "bruising",
    "bleeding",
    "nosebleeds",
    "confusion",
    "shortness_of_breath",
    "rash",
    "itching",
    "fatigue",
    "decreased_appetite",
    "mouth_sores",
    "tachycardia",
    "atrial_fibrillation",
    "supraventricular_tachycardia",
    "bilirubin_increased",
    "anemia",
    "hallucinations",
    "somnolence",
    "infection",
    "sepsis",
    "pleural_effusion",
    "hypoxia",
}

THERAPY_SLUGS = {
    "aldesleukin-high-dose",
    "aldesleukin-low-dose",
    "oprelvekin",
    "interleukin-12",
    "anakinra",
    "tocilizumab",
    "sarilumab",
    "ustekinumab",
    "risankizumab",
    "secukinumab",
}


def expected_slugs(therapy_slug):
    return set(
        ExpectedSideEffect.objects.filter(therapy__slug=therapy_slug).values_list(
            "term__slug", flat=True
        )
    )


def expected_row(therapy_slug, term_slug):
    return ExpectedSideEffect.objects.get(therapy__slug=therapy_slug, term__slug=term_slug)


def test_catalog_holds_exactly_the_shared_vocabulary():
    vocabulary = (
        {row[0] for row in PRODUCT_REPORTED_TERMS} | set(MEASURED_TERMS) | set(CLINICAL_TERMS)
    )

    assert set(SideEffectTerm.objects.values_list("slug", flat=True)) == vocabulary


@pytest.mark.parametrize(
    ("slug", "item", "attributes", "presence", "ctcae_term"), PRODUCT_REPORTED_TERMS
)
def test_reported_term_matches_product_vocabulary(slug, item, attributes, presence, ctcae_term):
    term = SideEffectTerm.objects.get(slug=slug)

    assert term.kind == TermKind.REPORTED
    assert term.proctcae_item == item
    assert term.attributes == attributes
    assert term.is_presence is presence
    if ctcae_term is not None:
        assert term.ctcae_term == ctcae_term


def test_bleeding_is_a_hemorrhage_without_an_invented_meddra_code():
    bleeding = SideEffectTerm.objects.get(slug="bleeding")

    assert bleeding.ctcae_term.startswith("Hemorrhage")
    assert bleeding.meddra_code == ""
    assert bleeding.snomed_code == "131148009"


@pytest.mark.parametrize("slug", MEASURED_TERMS)
def test_measured_term_is_not_asked_of_the_patient(slug):
    term = SideEffectTerm.objects.get(slug=slug)

    assert term.kind == TermKind.MEASURED
    assert term.attributes == ()
    assert not term.is_presence
    assert term.proctcae_item is None


def test_clinical_terms_are_assessed_by_clinicians():
    kinds = set(
        SideEffectTerm.objects.filter(slug__in=CLINICAL_TERMS).values_list("kind", flat=True)
    )

    assert kinds == {TermKind.CLINICAL}


def test_reported_terms_sort_first_in_product_order():
    slugs = list(SideEffectTerm.objects.values_list("slug", flat=True))  # Meta.ordering

    assert slugs[: len(PRODUCT_REPORTED_TERMS)] == [row[0] for row in PRODUCT_REPORTED_TERMS]


def test_every_meddra_code_is_eight_digits_or_empty():
    codes = SideEffectTerm.objects.values_list("slug", "meddra_code")

    bad = [(slug, code) for slug, code in codes if code and not (len(code) == 8 and code.isdigit())]
    assert bad == []


def test_terms_without_a_ctcae_entry_say_so_in_their_ctcae_term():
    without_code = SideEffectTerm.objects.filter(meddra_code="")

    assert without_code.count() == 4
    for term in without_code:
        assert "not a CTCAE v5.0 term" in term.ctcae_term, term.slug


@pytest.mark.parametrize(("ctcae_term", "code"), sorted(DOMAIN_MEDDRA_CODES.items()))
def test_meddra_code_matches_the_domain_reference(ctcae_term, code):
    assert SideEffectTerm.objects.get(ctcae_term=ctcae_term).meddra_code == code


def test_every_term_has_english_and_french_wording():
    for term in SideEffectTerm.objects.all():
        assert term.label_en.strip(), term.slug
        assert term.label_fr.strip(), term.slug


def test_catalog_holds_the_ten_agents():
    assert set(Therapy.objects.values_list("slug", flat=True)) >= THERAPY_SLUGS


def test_only_high_dose_aldesleukin_is_inpatient():
    inpatient = set(Therapy.objects.filter(setting="inpatient").values_list("slug", flat=True))

    assert inpatient == {"aldesleukin-high-dose"}


def test_high_dose_aldesleukin_regimen_is_structured():
    il2 = Therapy.objects.get(slug="aldesleukin-high-dose")

    assert il2.drug_class == "il2_high_dose"
    assert (il2.dose_value, il2.dose_unit, il2.interval_hours) == (Decimal("600000"), "IU/kg", 8)
    assert (il2.max_doses_per_cycle, il2.cycle_length_days, il2.rest_days, il2.max_cycles) == (
        14,
        5,
        9,
        2,
    )
    assert "Capillary leak" in il2.boxed_warnings


def test_every_therapy_names_a_source_and_has_expected_side_effects():
    for therapy in Therapy.objects.all():
        assert therapy.source, therapy.slug
        assert therapy.expected.exists(), therapy.slug


def test_high_dose_aldesleukin_expects_the_capillary_leak_picture_and_more():
    assert expected_slugs("aldesleukin-high-dose") >= HIGH_DOSE_IL2_REQUIRED


def test_chills_on_high_dose_aldesleukin_carry_no_onset_the_label_does_not_state():
    chills = expected_row("aldesleukin-high-dose", "chills")

    # "Within 1–2 h of a dose" came from a nursing slide deck, which is not a source.
    assert chills.typical_onset == ""
    assert chills.frequency_percent is None  # the label's 52% is unverified


def test_anakinra_expected_set():
    assert expected_slugs("anakinra") >= {
        "injection_site_reaction",
        "worsening_arthritis",
        "upper_respiratory_infection",
        "headache",
        "nausea",
        "diarrhea",
        "sinusitis",
        "joint_aches",
        "flu_like_symptoms",
        "abdominal_pain",
        "neutrophil_count_decreased",
        "platelets_decreased",
        "cholesterol_high",
    }


def test_anakinra_injection_site_reaction_has_label_and_placebo_percentages_no_onset():
    row = expected_row("anakinra", "injection_site_reaction")

    assert (row.frequency_percent, row.comparator_percent) == (Decimal("71"), Decimal("29"))
    assert row.frequency_band == "very_common"
    # The onset "within 2 weeks" came from the maker's promotional site, not from the label.
    assert row.typical_onset == ""


def test_tocilizumab_expected_set():
    assert expected_slugs("tocilizumab") >= {
        "upper_respiratory_infection",
        "nasopharyngitis",
        "headache",
        "hypertension",
        "alt_increased",
        "dizziness",
        "rash",
        "infusion_related_reaction",
        "injection_site_reaction",
        "neutrophil_count_decreased",
        "platelets_decreased",
        "cholesterol_high",
        "ast_increased",
    }


@pytest.mark.parametrize("slug", ["tocilizumab", "sarilumab"])
def test_fever_is_not_expected_on_an_il6_blocker(slug):
    # Fever on an IL-6 blocker may be a masked serious infection (domain.md §5.3).
    assert "fever" not in expected_slugs(slug)


def test_ustekinumab_expected_set():
    assert expected_slugs("ustekinumab") >= {
        "vomiting",
        "nasopharyngitis",
        "injection_site_reaction",
        "fungal_infection",
        "bronchitis",
        "itching",
        "urinary_tract_infection",
        "sinusitis",
    }


def test_interleukin_12_fever_starts_hours_after_dosing():
    assert "8–12 h" in expected_row("interleukin-12", "fever").typical_onset


def test_no_percentage_is_stored_for_an_entry_marked_unverified():
    unverified = [
        (therapy["slug"], row["term"])
        for therapy in CATALOG["therapies"]
        for row in therapy["expected"]
        if row.get("unverified")
    ]
    assert unverified, "the file marks the pre-2023 IL-2 label figures as unverified"

    for therapy_slug, term_slug in unverified:
        row = expected_row(therapy_slug, term_slug)
        assert row.frequency_percent is None, (therapy_slug, term_slug)
        assert row.comparator_percent is None, (therapy_slug, term_slug)


def test_frequency_band_agrees_with_the_stored_percentage():
    for row in ExpectedSideEffect.objects.exclude(frequency_percent=None):
        assert row.frequency_band == band_for_percent(row.frequency_percent), row


def test_every_expected_side_effect_cites_sources_listed_in_the_file():
    keys = set(CATALOG["sources"])

    for source in ExpectedSideEffect.objects.values_list("source", flat=True):
        assert {part.strip() for part in source.split(";")} <= keys, source


def cited_keys(text):
    return set(re.findall(r"\[([A-Za-z0-9-]+)\]", text)) - {"derived"}


def source_keys(source):
    return {part.strip() for part in source.split(";")}


def test_every_citation_in_the_text_is_among_the_rows_sources():
    uncited = []
    for therapy in CATALOG["therapies"]:
        keys = source_keys(therapy["source"])
        for field in ("indications", "regimen", "boxed_warnings"):
            uncited += [(therapy["slug"], k) for k in cited_keys(therapy.get(field, "")) - keys]
        for row in therapy["expected"]:
            text = row.get("note", "") + row.get("typical_onset", "")
            uncited += [
                (therapy["slug"], row["term"], k)
                for k in cited_keys(text) - source_keys(row["source"])
            ]

    assert uncited == []
