"""The FHIR R4 Bundle read back with fhir.resources R4B, and its codes checked."""

import json
import re
from collections import Counter

import pytest
from django.utils import translation
from fhir.resources.R4B.bundle import Bundle

from tracker.exports import codes, fhir
from tracker.summary import build_summary

pytestmark = pytest.mark.django_db

# Transcribed from /work/shared/reference/domain.md: §6.2 (LOINC) and §6.3 / §2.2 (MedDRA codes
# of the CTCAE v5.0 terms, SNOMED CT mappings).
DOMAIN_LOINC = {
    "85354-9", "8480-6", "8462-4", "8867-4", "9279-1", "8310-5", "29463-7", "2708-6",
    "59408-5", "85353-1", "9187-6", "9192-6", "777-3", "2160-0", "14682-9",
}  # fmt: skip
DOMAIN_UCUM = {"mm[Hg]", "/min", "Cel", "kg", "%", "mL", "10*3/uL", "10*9/L", "mg/dL"}
DOMAIN_MEDDRA = {
    "Hypotension": "10021097", "Fever": "10016558", "Chills": "10008531",
    "Edema limbs": "10050068", "Capillary leak syndrome": "10007196",
    "Weight gain": "10047896", "Nausea": "10028813", "Platelet count decreased": "10035528",
    "Sinus tachycardia": "10040752", "Hypoxia": "10021143", "Dyspnea": "10013963",
    "Creatinine increased": "10011368", "Urine output decreased": "10059895",
}  # fmt: skip
DOMAIN_SNOMED = {
    "10021097": "45007003", "10016558": "386661006", "10008531": "43724002",
    "10007196": "87730004", "10028813": "422587007", "10035528": "415116008",
    "10011368": "166717003", "10059895": "718403007", "10050068": "424372002",
}  # fmt: skip


@pytest.fixture
def bundle(filled_course):
    text = fhir.bundle_json(build_summary(filled_course))
    return json.loads(text)


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def codings(node):
    yield from fhir._codings(node)


def test_bundle_validates_as_an_r4b_collection(bundle):
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    assert len(parsed.entry) == len(bundle["entry"])


def test_bundle_holds_each_kind_of_resource(bundle):
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert kinds["Patient"] == 1
    assert kinds["MedicationStatement"] == 1
    assert kinds["MedicationAdministration"] == 3  # two given, one held
    assert kinds["Observation"] == 9  # report: temperature; visit: BP panel and 7 more
    assert kinds["AdverseEvent"] >= 4
    assert kinds["Flag"] >= 1
    assert kinds["Provenance"] == 1  # the one acknowledgement
    assert kinds["Practitioner"] == 1


def test_every_reference_points_inside_the_bundle(bundle):
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert all(url.startswith("urn:uuid:") for url in full_urls)

    def references(node):
        if isinstance(node, dict):
            if "reference" in node:
                yield node["reference"]
            for value in node.values():
                yield from references(value)
        elif isinstance(node, list):
            for value in node:
                yield from references(value)

    found = list(references(bundle))
    assert found
    assert set(found) <= full_urls


def test_patient_has_mrn_name_birth_date_and_gender(bundle, filled_course):
    (patient,) = resources(bundle, "Patient")
    record = filled_course.patient
    (identifier,) = patient["identifier"]
    assert identifier["value"] == record.mrn
    assert identifier["type"]["coding"][0]["code"] == "MR"
    assert patient["name"][0]["family"] == record.family_name
    assert patient["birthDate"] == record.birth_date.isoformat()
    assert patient["gender"] == record.sex


def test_medication_statement_is_the_course(bundle, filled_course):
    (statement,) = resources(bundle, "MedicationStatement")
    assert statement["status"] == "active"
    assert statement["medicationCodeableConcept"]["text"] == filled_course.therapy.name
    assert statement["effectivePeriod"]["start"] == filled_course.start_date.isoformat()


def test_held_dose_is_a_not_done_administration_with_its_reason(bundle):
    held = [r for r in resources(bundle, "MedicationAdministration") if r["status"] == "not-done"]
    assert [r["statusReason"][0]["text"] for r in held] == ["Held per protocol: SBP 88 mmHg."]


def test_vital_signs_carry_loinc_codes_and_ucum_units(bundle):
    by_code = {}
    for observation in resources(bundle, "Observation"):
        code = observation["code"]["coding"][-1]["code"]
        by_code.setdefault(code, []).append(observation)
        assert observation["status"] == "final"
    heart_rate = by_code["8867-4"][0]
    assert heart_rate["valueQuantity"] == {
        "value": 112,
        "unit": "/min",
        "system": "http://unitsofmeasure.org",
        "code": "/min",
    }
    assert heart_rate["category"][0]["coding"][0]["code"] == "vital-signs"
    assert {o["valueQuantity"]["code"] for o in by_code["8310-5"]} == {"Cel"}
    assert by_code["777-3"][0]["valueQuantity"]["code"] == "10*9/L"
    assert by_code["777-3"][0]["category"][0]["coding"][0]["code"] == "laboratory"
    assert by_code["2160-0"][0]["valueQuantity"]["code"] == "mg/dL"


def test_blood_pressure_is_a_panel_with_systolic_and_diastolic(bundle):
    (panel,) = [
        o for o in resources(bundle, "Observation") if o["code"]["coding"][0]["code"] == "85354-9"
    ]
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in panel["component"]}
    assert components["8480-6"]["value"] == 88
    assert components["8462-4"]["value"] == 52
    assert components["8480-6"]["code"] == "mm[Hg]"


def test_patient_reported_observation_is_performed_by_the_patient(bundle):
    (patient,) = resources(bundle, "Patient")
    (temperature,) = [
        o
        for o in resources(bundle, "Observation")
        if o["code"]["coding"][0]["code"] == "8310-5" and o["valueQuantity"]["value"] == 38.6
    ]
    assert temperature["performer"] == [{"reference": f"urn:uuid:{patient['id']}"}]


def event_named(bundle, ctcae_term, graded_by_ctcae=True):
    return [
        r
        for r in resources(bundle, "AdverseEvent")
        if r["event"]["text"] == ctcae_term and ("extension" in r) == graded_by_ctcae
    ]


def test_adverse_event_is_coded_with_meddra_and_snomed(bundle):
    (hypotension,) = event_named(bundle, "Hypotension")
    systems = {c["system"]: c["code"] for c in hypotension["event"]["coding"]}
    assert systems["http://terminology.hl7.org/CodeSystem/mdr"] == "10021097"
    assert systems["http://snomed.info/sct"] == "45007003"
    assert hypotension["actuality"] == "actual"


def test_ctcae_grade_is_in_the_ae_grade_extension(bundle):
    (hypotension,) = event_named(bundle, "Hypotension")
    (extension,) = hypotension["extension"]
    assert extension["url"] == (
        "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/ae-grade"
    )
    coding = extension["valueCodeableConcept"]["coding"][0]
    assert coding["system"] == "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
    assert coding["code"] == "C41340"  # grade 3


@pytest.mark.parametrize(
    ("grade", "code"), [(1, "C41338"), (2, "C41339"), (3, "C41340"), (4, "C41337")]
)
def test_grade_extension_uses_the_nci_code_of_each_grade(grade, code):
    extension = fhir._Builder._grade_extension(grade)
    assert extension["valueCodeableConcept"]["coding"][0]["code"] == code


def test_grade_5_is_sent_as_text_only():
    concept = fhir._Builder._grade_extension(5)["valueCodeableConcept"]
    assert "coding" not in concept
    assert concept["text"] == "CTCAE v5.0 grade 5"


def test_a_clinicians_adverse_event_is_serious_by_the_criteria_recorded(bundle):
    # Hypotension was recorded with "hospitalization or its prolongation" (ICH E2A); chills
    # with no criterion, which means not serious. Seriousness is not the grade.
    (hypotension,) = event_named(bundle, "Hypotension")
    (chills,) = event_named(bundle, "Chills")
    assert hypotension["seriousness"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
        "code": "serious",
        "display": "Serious",
    }
    assert hypotension["seriousness"]["text"] == "Serious: Hospitalization or its prolongation"
    assert chills["seriousness"]["coding"][0]["code"] == "non-serious"


def test_the_outcome_is_coded_in_the_fhir_outcome_system(bundle):
    (hypotension,) = event_named(bundle, "Hypotension")
    (chills,) = event_named(bundle, "Chills")
    assert hypotension["outcome"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
            "code": "recovering",
            "display": "Recovering",
        }
    ]
    assert "outcome" not in chills  # not recorded


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        ("recovering", "recovering"),
        ("recovered", "resolved"),
        ("recovered_with_sequelae", "resolvedWithSequelae"),
        ("not_recovered", "ongoing"),
        ("fatal", "fatal"),
        ("unknown", "unknown"),
    ],
)
def test_every_outcome_has_its_fhir_r4b_code(outcome, code):
    # FHIR R4B AdverseEvent.outcome binds the adverse-event-outcome code system: resolved,
    # recovering, ongoing, resolvedWithSequelae, fatal, unknown.
    assert fhir.OUTCOME_CODES[outcome][0] == code


def test_patient_reported_symptom_has_a_severity_but_no_ctcae_grade(bundle):
    (chills,) = event_named(bundle, "Chills", graded_by_ctcae=False)
    assert chills["severity"]["coding"][0]["code"] == "moderate"  # composite grade 2
    assert "seriousness" not in chills


def test_clinician_adverse_event_names_the_course_as_suspect(bundle):
    (statement,) = resources(bundle, "MedicationStatement")
    (hypotension,) = event_named(bundle, "Hypotension")
    (suspect,) = hypotension["suspectEntity"]
    assert suspect["instance"]["reference"] == f"urn:uuid:{statement['id']}"
    assert suspect["causality"][0]["productRelatedness"] == "possible"


def test_flags_carry_level_status_and_acknowledgement(bundle):
    flags = resources(bundle, "Flag")
    urgent = [
        f for f in flags if f["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "PH"
    ]
    assert len(urgent) == 1
    assert urgent[0]["status"] == "active"
    (provenance,) = resources(bundle, "Provenance")
    assert provenance["target"] == [{"reference": f"urn:uuid:{urgent[0]['id']}"}]
    assert provenance["reason"][0]["text"] == "Seen at bedside; dose held."


def test_emitted_loinc_and_ucum_codes_are_those_of_domain_md(bundle):
    checked = set()
    for coding in codings(bundle):
        if coding["system"] == codes.LOINC:
            assert coding["code"] in DOMAIN_LOINC
            checked.add(codes.LOINC)
        if coding["system"] == codes.UCUM:
            assert coding["code"] in DOMAIN_UCUM
            checked.add(codes.UCUM)
    # The course has vitals and labs: both kinds of code were there to check.
    assert checked == {codes.LOINC, codes.UCUM}


def test_emitted_meddra_and_snomed_codes_are_those_of_domain_md(bundle):
    for resource in resources(bundle, "AdverseEvent") + resources(bundle, "Flag"):
        found = {
            c["system"]: c["code"]
            for c in resource["code" if "code" in resource else "event"]["coding"]
        }
        name = resource["event"]["text"] if "event" in resource else None
        meddra = found[codes.MEDDRA]
        assert meddra in DOMAIN_MEDDRA.values()
        if name:
            assert DOMAIN_MEDDRA[name] == meddra
        if codes.SNOMED in found and meddra in DOMAIN_SNOMED:
            assert found[codes.SNOMED] == DOMAIN_SNOMED[meddra]


def test_bundle_is_in_english_whatever_the_active_language(filled_course):
    from django.utils import translation

    with translation.override("fr"):
        text = fhir.bundle_json(build_summary(filled_course))
    assert "May need hospitalization" in text
    assert "Peut nécessiter" not in text


def test_check_codes_refuses_a_loinc_code_outside_the_list():
    data = {"code": {"coding": [{"system": codes.LOINC, "code": "1234-5"}]}}
    with pytest.raises(fhir.ExportCodeError, match="LOINC 1234-5"):
        fhir.check_codes(data)


def test_check_codes_refuses_an_unknown_code_system():
    data = {"code": {"coding": [{"system": "http://example.org/x", "code": "1"}]}}
    with pytest.raises(fhir.ExportCodeError, match="unknown code system"):
        fhir.check_codes(data)


def test_check_codes_refuses_a_ucum_unit_outside_the_list():
    data = {"valueQuantity": {"value": 1, "system": codes.UCUM, "code": "[degF]"}}
    with pytest.raises(fhir.ExportCodeError, match="UCUM"):
        fhir.check_codes(data)


def test_same_course_gives_the_same_resource_ids(filled_course):
    first = json.loads(fhir.bundle_json(build_summary(filled_course)))
    second = json.loads(fhir.bundle_json(build_summary(filled_course)))
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]


# A catalog source key as the catalog's texts cite it ("[PL-DOSE]"): never in the export.
SOURCE_KEY = re.compile(r"\[[A-Z0-9][A-Za-z0-9-]*\]")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_dosage_text_reads_the_regimens_citations_not_its_keys(filled_course, language):
    filled_course.regimen = filled_course.therapy.regimen  # as the catalog holds it, with keys
    filled_course.save()
    assert SOURCE_KEY.search(filled_course.regimen)
    with translation.override(language):  # the export is in English whatever the reader's
        bundle = json.loads(fhir.bundle_json(build_summary(filled_course)))
    Bundle.model_validate(bundle)
    (statement,) = resources(bundle, "MedicationStatement")
    (dosage,) = statement["dosage"]
    assert not SOURCE_KEY.search(dosage["text"]), dosage["text"]
    assert dosage["text"].startswith("600,000 IU/kg (0.037 mg/kg) IV over 15 minutes")
    # PL-DOSE is the Proleukin US label revised 2024-12-20 (catalog.json "sources").
    assert "(Proleukin label, 2024)" in dosage["text"]


def test_a_clinicians_own_regimen_reads_its_citations_too(filled_course):
    filled_course.regimen = "600,000 IU/kg IV every 8 hours, 12 doses planned [PL-DOSE]"
    filled_course.save()
    bundle = json.loads(fhir.bundle_json(build_summary(filled_course)))
    (statement,) = resources(bundle, "MedicationStatement")
    assert statement["dosage"][0]["text"] == (
        "600,000 IU/kg IV every 8 hours, 12 doses planned (Proleukin label, 2024)"
    )
