"""Every therapy's expected set against its label's adverse-reaction rows, indication by
indication, and the catalog's sources against the allow-list of source kinds.

The tables below are the label rows as reference/domain.md §1.2-§1.6 and §4.8 list them (the
labelled indications' adverse-reaction tables and the warnings), each with the label revision
they were read from. They are kept here, apart from catalog.json, so a catalog edit that drops
a labelled effect fails a test. The expected/unexpected decision is asked through
`services.therapy_profile`, as the rules ask it.
"""

import json

import pytest

from therapies.catalog import (
    DEFAULT_PATH,
    FACT_SOURCE_KINDS,
    LABEL_KINDS,
    SOURCE_KINDS,
    CatalogError,
    parse_catalog,
)
from therapies.models import Therapy
from tracker import services
from tracker.models import Course

pytestmark = pytest.mark.django_db

CATALOG = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))

ALL = "*"  # rows expected whatever the indication (warnings, therapy-wide tables)

# therapy slug: (label source key, label revision or None when not confirmed, rows by
# indication slug; ALL for the warnings and therapy-wide rows)
LABEL_TABLES = {
    "aldesleukin-high-dose": (
        "PL-OLD",
        "2019-05-23",
        {
            ALL: {
                # domain.md §1.2 and §4.8: the pre-2023 ≥10% table and the boxed warning.
                "hypotension",
                "diarrhea",
                "oliguria",
                "chills",
                "vomiting",
                "shortness_of_breath",
                "rash",
                "bilirubin_increased",
                "platelets_decreased",
                "nausea",
                "confusion",
                "creatinine_increased",
                "capillary_leak",
                "wbc_decreased",
                "rhinitis",
                "ventricular_arrhythmia",
                "supraventricular_tachycardia",
                "infection",
                "sepsis",
            },
        },
    ),
    "oprelvekin": (
        "NEU-AE",
        None,
        {
            ALL: {
                # More frequent than placebo (domain.md §1.4) and the ≥10% table (§4.8).
                "swelling",
                "shortness_of_breath",
                "tachycardia",
                "conjunctival_injection",
                "palpitations",
                "atrial_fibrillation",
                "pleural_effusion",
                "nausea",
                "vomiting",
                "headache",
                "mouth_sores",
                "diarrhea",
                "fungal_infection",
                "dizziness",
                "rhinitis",
                "cough",
                "pharyngitis",
                "rash",
                "blurred_vision",
                "anemia",
                "anaphylaxis",
            },
        },
    ),
    "anakinra": (
        "KIN-LBL",
        "2025-10",
        {
            "rheumatoid-arthritis": {
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
            },
            "nomid": {
                "fever",
                "rash",
                "vomiting",
                "nasopharyngitis",
                "injection_site_reaction",
                "headache",
                "joint_aches",
            },
            "dira": {"fever", "rash", "vomiting", "nasopharyngitis"},
            ALL: {"infection", "allergic_reaction", "anaphylaxis", "neutrophil_count_decreased"},
        },
    ),
    "tocilizumab": (
        "ACT-LBL",
        None,
        {
            ALL: {
                "upper_respiratory_infection",
                "nasopharyngitis",
                "headache",
                "hypertension",
                "alt_increased",
                "dizziness",
                "rash",
                "infusion_related_reaction",
                "injection_site_reaction",
                "infection",
                "gi_perforation",
                "hepatotoxicity",
                "bronchitis",
                "mouth_sores",
            },
        },
    ),
    "sarilumab": (
        "KEV-LBL",
        None,
        {
            ALL: {
                "neutrophil_count_decreased",
                "alt_increased",
                "injection_site_reaction",
                "upper_respiratory_infection",
                "urinary_tract_infection",
                "infection",
                "ast_increased",
                "cholesterol_high",
                "gi_perforation",
                "allergic_reaction",
            },
        },
    ),
    "ustekinumab": (
        "STE-LBL",
        "2026-01-28",
        {
            "psoriasis": {
                "headache",
                "nasopharyngitis",
                "upper_respiratory_infection",
                "fatigue",
                "diarrhea",
                "back_pain",
                "dizziness",
                "muscle_aches",
            },
            "psoriatic-arthritis": {
                "headache",
                "nasopharyngitis",
                "upper_respiratory_infection",
                "fatigue",
                "diarrhea",
                "back_pain",
                "dizziness",
                "muscle_aches",
            },
            "crohns-disease": {
                "vomiting",
                "nasopharyngitis",
                "injection_site_reaction",
                "fungal_infection",
                "bronchitis",
                "itching",
                "urinary_tract_infection",
                "sinusitis",
            },
            "ulcerative-colitis": {
                "headache",
                "abdominal_pain",
                "fever",
                "nausea",
                "nasopharyngitis",
            },
            ALL: {"infection", "allergic_reaction"},
        },
    ),
    "risankizumab": (
        "SKY-LBL",
        None,
        {
            "psoriasis": {
                "upper_respiratory_infection",
                "headache",
                "fatigue",
                "injection_site_reaction",
                "fungal_infection",
            },
            "psoriatic-arthritis": {
                "upper_respiratory_infection",
                "headache",
                "fatigue",
                "injection_site_reaction",
                "fungal_infection",
            },
            "crohns-disease": {
                "upper_respiratory_infection",
                "headache",
                "joint_aches",
                "abdominal_pain",
                "injection_site_reaction",
                "anemia",
                "fever",
                "back_pain",
                "urinary_tract_infection",
            },
            ALL: {"hepatotoxicity", "infection", "allergic_reaction"},
        },
    ),
    "secukinumab": (
        "COS-LBL",
        None,
        {
            "psoriasis": {
                "nasopharyngitis",
                "diarrhea",
                "upper_respiratory_infection",
                "rhinitis",
                "herpes_infection",
                "pharyngitis",
                "urticaria",
            },
            ALL: {"infection", "fungal_infection", "allergic_reaction", "colitis"},
        },
    ),
}

# Agents with no label (investigational or off-label): their rows cite peer-reviewed papers.
NOT_LABELLED = {"aldesleukin-low-dose", "interleukin-12"}


def expected_for(slug, indication=""):
    therapy = Therapy.objects.get(slug=slug)
    return services.therapy_profile(Course(therapy=therapy, indication=indication)).expected_terms


def test_every_therapy_has_a_label_table_or_is_unlabelled():
    slugs = {t["slug"] for t in CATALOG["therapies"]}
    assert slugs == set(LABEL_TABLES) | NOT_LABELLED


@pytest.mark.parametrize("slug", sorted(LABEL_TABLES))
def test_expected_set_covers_every_labelled_indications_rows(slug):
    _key, _revision, rows = LABEL_TABLES[slug]
    therapy = Therapy.objects.get(slug=slug)
    indications = [item["slug"] for item in therapy.labelled_indications]
    missing = []
    for indication, terms in rows.items():
        names = (
            [item["name"] for item in therapy.labelled_indications]
            if indication == ALL
            else [next(i["name"] for i in therapy.labelled_indications if i["slug"] == indication)]
        )
        for name in [*names, ""]:  # each indication, and the union for an unknown one
            missing += [(name or "unknown", t) for t in terms - expected_for(slug, name)]
    assert missing == [], missing
    assert indications, "the therapy lists its labelled indications"


@pytest.mark.parametrize("slug", sorted(LABEL_TABLES))
def test_label_source_carries_the_revision_kept_here(slug):
    key, revision, _rows = LABEL_TABLES[slug]
    source = CATALOG["sources"][key]
    assert source["kind"] in LABEL_KINDS
    assert source["revision_date"] == revision
    if revision is None:
        assert "not confirmed" in source["note"]  # said so, never invented
    therapy = next(t for t in CATALOG["therapies"] if t["slug"] == slug)
    cited = {row["source"] for row in therapy["expected"]}
    assert any(key in s for s in cited)


def test_stelara_cites_its_dailymed_set_id_version_and_effective_date():
    source = CATALOG["sources"]["STE-LBL"]
    assert (source["set_id"], source["version"], source["revision_date"]) == (
        "c77a9664-e3bb-4023-b400-127aa53bca2b",
        "46",
        "2026-01-28",
    )


def test_an_effect_of_another_indication_is_not_expected_when_the_indication_is_known():
    # Stelara: vomiting is in the Crohn's induction table only; back pain in psoriasis only.
    psoriasis = expected_for("ustekinumab", "Plaque psoriasis")
    crohns = expected_for("ustekinumab", "Crohn's disease, moderate to severe")
    assert "back_pain" in psoriasis and "vomiting" not in psoriasis
    assert "vomiting" in crohns and "back_pain" not in crohns
    # A warning holds in every indication.
    assert "allergic_reaction" in psoriasis and "allergic_reaction" in crohns


def test_unknown_or_unlabelled_indication_expects_the_union():
    union = expected_for("ustekinumab", "")
    assert {"back_pain", "vomiting", "abdominal_pain"} <= union
    assert expected_for("ustekinumab", "Hidradenitis suppurativa") == union


def test_indication_is_matched_by_its_abbreviation_slug():
    nomid = expected_for("anakinra", "NOMID")
    assert "fever" in nomid and "worsening_arthritis" not in nomid


# --- Sources: the allow-list -------------------------------------------------------------------


def test_every_source_in_the_catalog_is_an_allowed_kind():
    kinds = {key: source["kind"] for key, source in CATALOG["sources"].items()}
    assert set(kinds.values()) <= SOURCE_KINDS, kinds


def test_every_fact_cites_a_label_or_a_peer_reviewed_paper():
    fact_keys = {k for k, s in CATALOG["sources"].items() if s["kind"] in FACT_SOURCE_KINDS}
    cited = set()
    for therapy in CATALOG["therapies"]:
        cited |= {k.strip() for k in therapy["source"].split(";")}
        for row in therapy["expected"]:
            cited |= {k.strip() for k in row["source"].split(";")}
            for item in row.get("by_indication", []):
                cited |= {k.strip() for k in item["source"].split(";")}
    assert cited <= fact_keys, cited - fact_keys


def test_no_pharmacy_advert_mirror_or_slide_deck_is_cited():
    text = json.dumps(CATALOG["sources"]).casefold()
    for refused in (
        "pharmacy",
        "asge.org/ads",
        "slideshare",
        "drugs.com",
        "rxlist",
        "120ty.net",
        "prescriberpoint",
        "scholarsinmedicine",
        "medilib",
    ):
        assert refused not in text, refused


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            {
                "kind": "online_pharmacy",
                "citation": "Kevzara online",
                "url": "https://alphabaypharmacy.com/product/kevzara-sarilumab-online",
            },
            "not an allowed source",
        ),
        (
            {
                "kind": "advertisement",
                "citation": "Skyrizi banner",
                "url": "https://www.asge.org/ads/SKYRIZI-728x90/index.html",
            },
            "not an allowed source",
        ),
        (
            {
                "kind": "fda_label",
                "citation": "Stelara label copy",
                "set_id": "c77a9664-e3bb-4023-b400-127aa53bca2b",
                "revision_date": "2026-01-28",
                "url": "http://www.120ty.net/bencandy.php?aid=49397",
            },
            "official site",
        ),
        (
            {
                "kind": "fda_label",
                "citation": "Stelara",
                "set_id": "c77a9664-e3bb-4023-b400-127aa53bca2b",
                "url": "https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=c77a9664",
            },
            "needs its revision_date",
        ),
        (
            {
                "kind": "fda_label",
                "citation": "Stelara",
                "set_id": "c77a9664-e3bb-4023-b400-127aa53bca2b",
                "revision_date": None,
                "url": "https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=c77a9664",
            },
            "the note must say why",
        ),
        (
            {"kind": "peer_reviewed", "citation": "A paper without an identifier"},
            "DOI, PMID or PMCID",
        ),
    ],
)
def test_loader_refuses_a_source_outside_the_allow_list(catalog_data, source, problem):
    catalog_data["sources"]["STE-LBL"] = source

    with pytest.raises(CatalogError, match=problem):
        parse_catalog(catalog_data)


def test_loader_accepts_a_label_whose_revision_is_said_to_be_unconfirmed(catalog_data):
    catalog_data["sources"]["STE-LBL"]["revision_date"] = None
    catalog_data["sources"]["STE-LBL"]["note"] = "Revision not confirmed."

    assert parse_catalog(catalog_data)["version"] == CATALOG["version"]


def test_a_frequency_for_an_indication_the_therapy_does_not_list_is_refused(catalog_data):
    ustekinumab = next(t for t in catalog_data["therapies"] if t["slug"] == "ustekinumab")
    row = next(r for r in ustekinumab["expected"] if r["term"] == "vomiting")
    row["by_indication"][0]["indication"] = "asthma"

    with pytest.raises(CatalogError, match="not one of the therapy's labelled_indications"):
        parse_catalog(catalog_data)
