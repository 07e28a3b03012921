"""Two catalog attributes the clinical rules read: the grades CTCAE v5.0 defines for each term,
and which agents carry a neutropenic / early-escalation fever risk (reference/domain.md §4.7)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from therapies.catalog import CatalogError, load_catalog, parse_catalog
from therapies.models import SideEffectTerm, Therapy

pytestmark = pytest.mark.django_db

# NCI CTCAE v5.0 (KohSoonho/CTCAE, CTCAE_v5.0.csv, commit 0d50877): the grades the row defines
# ("-" columns are undefined), as (lowest, highest), for the CTCAE term of every vocabulary slug.
CTCAE_V5_ROWS = {
    "nausea": ("Nausea", 1, 3),
    "vomiting": ("Vomiting", 1, 5),
    "diarrhea": ("Diarrhea", 1, 5),
    "abdominal_pain": ("Abdominal pain", 1, 3),
    "decreased_appetite": ("Anorexia", 1, 5),
    "mouth_sores": ("Mucositis oral", 1, 5),
    "shortness_of_breath": ("Dyspnea", 1, 5),
    "cough": ("Cough", 1, 3),
    "swelling": ("Edema limbs", 1, 3),
    "palpitations": ("Palpitations", 1, 2),
    "dizziness": ("Dizziness", 1, 3),
    "headache": ("Headache", 1, 3),
    "muscle_aches": ("Myalgia", 1, 3),
    "joint_aches": ("Arthralgia", 1, 3),
    "fatigue": ("Fatigue", 1, 3),
    "chills": ("Chills", 1, 3),
    "sweating": ("Hyperhidrosis", 1, 3),
    "nosebleeds": ("Epistaxis", 1, 5),
    "itching": ("Pruritus", 1, 3),
    "rash": ("Rash maculo-papular", 1, 3),
    "bruising": ("Bruising", 1, 2),
    "injection_site_reaction": ("Injection site reaction", 1, 5),
    # No CTCAE term of its own: graded under the site's hemorrhage term (e.g. Upper and Lower
    # gastrointestinal hemorrhage, Hematuria, Epistaxis: all 1-5).
    "bleeding": ("Upper gastrointestinal hemorrhage", 1, 5),
    "confusion": ("Confusion", 1, 4),
    "fever": ("Fever", 1, 5),
    "hypotension": ("Hypotension", 1, 5),
    "tachycardia": ("Sinus tachycardia", 1, 3),
    "hypoxia": ("Hypoxia", 2, 5),
    "weight_gain": ("Weight gain", 1, 3),
    "oliguria": ("Urine output decreased", 3, 4),
    "platelets_decreased": ("Platelet count decreased", 1, 4),
    "creatinine_increased": ("Creatinine increased", 1, 4),
    "capillary_leak": ("Capillary leak syndrome", 1, 5),
    "generalized_edema": ("Generalized edema", 1, 4),
    "pleural_effusion": ("Pleural effusion", 1, 5),
    "pulmonary_edema": ("Pulmonary edema", 1, 5),
    "acute_kidney_injury": ("Acute kidney injury", 3, 5),
    "atrial_fibrillation": ("Atrial fibrillation", 1, 5),
    "supraventricular_tachycardia": ("Supraventricular tachycardia", 1, 5),
    "ventricular_arrhythmia": ("Ventricular arrhythmia", 1, 5),
    "hallucinations": ("Hallucinations", 1, 5),
    "somnolence": ("Somnolence", 1, 5),
    "agitation": ("Agitation", 1, 4),
    "anemia": ("Anemia", 1, 5),
    "neutrophil_count_decreased": ("Neutrophil count decreased", 1, 4),
    "bilirubin_increased": ("Blood bilirubin increased", 1, 4),
    "alt_increased": ("Alanine aminotransferase increased", 1, 4),
    "ast_increased": ("Aspartate aminotransferase increased", 1, 4),
    "hypertension": ("Hypertension", 1, 5),
    "upper_respiratory_infection": ("Upper respiratory infection", 2, 5),
    "sinusitis": ("Sinusitis", 2, 5),
    # Graded as Upper respiratory infection (the catalog's mapping note).
    "nasopharyngitis": ("Upper respiratory infection", 2, 5),
    "pharyngitis": ("Pharyngitis", 2, 5),
    "bronchitis": ("Bronchial infection", 2, 5),
    "urinary_tract_infection": ("Urinary tract infection", 2, 5),
    "sepsis": ("Sepsis", 3, 5),
    "infection": ("Infections and infestations - Other, specify", 1, 5),
    "infusion_related_reaction": ("Infusion related reaction", 1, 5),
    "cytokine_release_syndrome": ("Cytokine release syndrome", 1, 5),
    "hyperglycemia": ("Hyperglycemia", 1, 5),
    "hypothyroidism": ("Hypothyroidism", 1, 5),
    "flu_like_symptoms": ("Flu like symptoms", 1, 3),
    "malaise": ("Malaise", 1, 3),
    "cholesterol_high": ("Cholesterol high", 1, 4),
    "urticaria": ("Urticaria", 1, 3),
    "back_pain": ("Back pain", 1, 3),
    # Graded under its site: Skin infection and Vaginal infection 1-5 (Thrush 1-3).
    "fungal_infection": ("Skin infection", 1, 5),
    "herpes_infection": ("Herpes simplex reactivation", 1, 5),
    "rhinitis": ("Rhinitis infective", 2, 2),
    "worsening_arthritis": ("Arthritis", 1, 3),
    "hypoalbuminemia": ("Hypoalbuminemia", 1, 5),
    "lymphocyte_count_decreased": ("Lymphocyte count decreased", 1, 4),
    # Graded under its site: Colonic, Small intestinal, Gastric perforation are all 2-5.
    "gi_perforation": ("Colonic perforation", 2, 5),
    "hepatotoxicity": ("Hepatic failure", 3, 5),
    "anaphylaxis": ("Anaphylaxis", 3, 5),
    "syncope": ("Syncope", 3, 3),
    "conjunctival_injection": ("Conjunctivitis", 1, 4),
    "papilledema": ("Papilledema", 1, 4),
    "allergic_reaction": ("Allergic reaction", 1, 5),
    "wbc_decreased": ("White blood cell decreased", 1, 4),
    "blurred_vision": ("Blurred vision", 1, 3),
    "colitis": ("Colitis", 1, 5),
}


def test_the_table_covers_every_term_of_the_catalog():
    assert set(SideEffectTerm.objects.values_list("slug", flat=True)) == set(CTCAE_V5_ROWS)


@pytest.mark.parametrize("slug", sorted(CTCAE_V5_ROWS))
def test_every_terms_grade_range_is_the_ctcae_v5_one(slug):
    ctcae_term, low, high = CTCAE_V5_ROWS[slug]
    term = SideEffectTerm.objects.get(slug=slug)
    assert (term.ctcae_min_grade, term.ctcae_max_grade) == (low, high), ctcae_term


@pytest.mark.parametrize(
    ("slug", "grade", "message"),
    [
        ("nausea", 4, "Nausea has CTCAE v5.0 grades 1–3."),
        ("hypoxia", 1, "Hypoxia has CTCAE v5.0 grades 2–5."),
        ("oliguria", 2, "Urine output decreased has CTCAE v5.0 grades 3–4."),
        ("oliguria", 5, "Urine output decreased has CTCAE v5.0 grades 3–4."),
        ("acute_kidney_injury", 2, "Acute kidney injury has CTCAE v5.0 grades 3–5."),
        ("weight_gain", 4, "Weight gain has CTCAE v5.0 grades 1–3."),
        ("bruising", 3, "Bruising has CTCAE v5.0 grades 1–2."),
        ("syncope", 2, "Syncope has only CTCAE v5.0 grade 3."),
    ],
)
def test_a_grade_the_term_does_not_define_is_refused_with_the_allowed_grades(slug, grade, message):
    assert SideEffectTerm.objects.get(slug=slug).grade_error(grade) == message


@pytest.mark.parametrize(
    ("slug", "grade"),
    [("nausea", 1), ("nausea", 3), ("hypoxia", 2), ("hypoxia", 5), ("oliguria", 3)]
    + [("oliguria", 4), ("fever", 1), ("fever", 5), ("bruising", 2), ("syncope", 3)],
)
def test_a_grade_the_term_defines_is_accepted(slug, grade):
    assert SideEffectTerm.objects.get(slug=slug).grade_error(grade) is None


def test_a_term_whose_highest_grade_is_below_its_lowest_is_refused():
    term = SideEffectTerm.objects.get(slug="nausea")
    term.ctcae_min_grade, term.ctcae_max_grade = 3, 2
    with pytest.raises(ValidationError) as error:
        term.full_clean()
    assert "ctcae_max_grade" in error.value.message_dict


# --- Fever risk ---------------------------------------------------------------------------------


def test_oprelvekin_and_interleukin_12_carry_the_fever_risk_and_no_other_agent_does():
    flagged = set(Therapy.objects.filter(fever_escalation_risk=True).values_list("slug", flat=True))
    assert flagged == {"oprelvekin", "interleukin-12"}


def test_the_fever_risk_says_why_with_its_source():
    oprelvekin = Therapy.objects.get(slug="oprelvekin")
    assert "Neumega" in oprelvekin.fever_escalation_source
    assert "myelosuppressive chemotherapy" in oprelvekin.fever_escalation_source
    il12 = Therapy.objects.get(slug="interleukin-12")
    assert "escalate fever early" in il12.fever_escalation_source
    assert "[IL12-LEO]" in il12.fever_escalation_source


def test_a_fever_risk_without_its_source_is_refused_by_the_model():
    therapy = Therapy.objects.get(slug="anakinra")
    therapy.fever_escalation_risk = True
    with pytest.raises(ValidationError) as error:
        therapy.full_clean()
    assert "fever_escalation_source" in error.value.message_dict


# --- The loader ---------------------------------------------------------------------------------


def term_data(catalog_data, slug):
    return next(t for t in catalog_data["terms"] if t["slug"] == slug)


def therapy_data(catalog_data, slug):
    return next(t for t in catalog_data["therapies"] if t["slug"] == slug)


@pytest.mark.parametrize(
    ("low", "high", "problem"),
    [
        (0, 3, "ctcae_min_grade 0 is not a CTCAE grade"),
        (1, 6, "ctcae_max_grade 6 is not a CTCAE grade"),
        (4, 3, "ctcae_min_grade 4 is above ctcae_max_grade 3"),
    ],
)
def test_the_loader_refuses_a_grade_range_ctcae_cannot_have(catalog_data, low, high, problem):
    nausea = term_data(catalog_data, "nausea")
    nausea["ctcae_min_grade"], nausea["ctcae_max_grade"] = low, high
    with pytest.raises(CatalogError, match=problem):
        parse_catalog(catalog_data)


def test_the_loader_needs_every_terms_grade_range(catalog_data):
    del term_data(catalog_data, "nausea")["ctcae_max_grade"]
    with pytest.raises(CatalogError, match="term 'nausea': missing ctcae_max_grade"):
        parse_catalog(catalog_data)


def test_the_loader_refuses_a_fever_risk_without_its_source(catalog_data):
    anakinra = therapy_data(catalog_data, "anakinra")
    anakinra["fever_escalation_risk"] = True
    with pytest.raises(CatalogError, match="fever_escalation_risk needs fever_escalation_source"):
        parse_catalog(catalog_data)


def test_the_loader_refuses_a_fever_source_without_the_risk(catalog_data):
    therapy_data(catalog_data, "anakinra")["fever_escalation_source"] = "Some reason"
    with pytest.raises(CatalogError, match="fever_escalation_source without"):
        parse_catalog(catalog_data)


def test_reloading_restores_the_grade_range_and_the_fever_risk(catalog_data):
    SideEffectTerm.objects.filter(slug="nausea").update(ctcae_min_grade=1, ctcae_max_grade=5)
    Therapy.objects.filter(slug="oprelvekin").update(
        fever_escalation_risk=False, fever_escalation_source=""
    )
    load_catalog()
    nausea = SideEffectTerm.objects.get(slug="nausea")
    assert (nausea.ctcae_min_grade, nausea.ctcae_max_grade) == (1, 3)
    oprelvekin = Therapy.objects.get(slug="oprelvekin")
    assert oprelvekin.fever_escalation_risk
    assert (
        oprelvekin.fever_escalation_source
        == therapy_data(catalog_data, "oprelvekin")["fever_escalation_source"]
    )


# --- The admin ----------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_admin_shows_and_edits_the_fever_risk(staff_client):
    therapy = Therapy.objects.get(slug="oprelvekin")
    response = staff_client.get(reverse("admin:therapies_therapy_change", args=[therapy.pk]))
    form = response.context["adminform"].form
    assert form["fever_escalation_risk"].value() is True
    assert "Neumega" in form["fever_escalation_source"].value()
    listing = staff_client.get(
        reverse("admin:therapies_therapy_changelist"), {"fever_escalation_risk__exact": "1"}
    )
    assert sorted(t.slug for t in listing.context["cl"].result_list) == [
        "interleukin-12",
        "oprelvekin",
    ]


def test_the_admin_shows_a_terms_grade_range(staff_client):
    term = SideEffectTerm.objects.get(slug="hypoxia")
    response = staff_client.get(reverse("admin:therapies_sideeffectterm_change", args=[term.pk]))
    form = response.context["adminform"].form
    assert (form["ctcae_min_grade"].value(), form["ctcae_max_grade"].value()) == (2, 5)


def test_the_refusal_is_in_french_for_a_french_clinician():
    with translation.override("fr"):
        assert SideEffectTerm.objects.get(slug="nausea").grade_error(4) == (
            "Nausea a les grades CTCAE v5.0 1 à 3."
        )


def test_the_loader_refuses_a_fever_source_citing_an_unknown_key(catalog_data):
    oprelvekin = therapy_data(catalog_data, "oprelvekin")
    oprelvekin["fever_escalation_source"] = "A pharmacy page [PHARMACY]"
    with pytest.raises(CatalogError, match="cites 'PHARMACY', not in 'sources'"):
        parse_catalog(catalog_data)
