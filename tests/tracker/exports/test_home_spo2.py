"""A patient's home SpO₂ reaches the CSV, the FHIR Bundle and the PDF like the other home
measurements (LOINC 2708-6 / 59408-5, unit %, domain.md §6.2)."""

import csv
import io
import json
from decimal import Decimal

import pytest

from tracker import services
from tracker.exports import fhir, pdf, tabular
from tracker.summary import build_summary

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def spo2_course(il2_course, patient):
    services.submit_report(
        course=il2_course,
        by=patient.user,
        reported_at=at(0, 19),
        measurements={"spo2": Decimal("88.5"), "heart_rate": 96},
    )
    return il2_course


def test_the_csv_lists_home_spo2_as_a_vital_sign_of_the_report(spo2_course):
    text = "".join(
        tabular.csv_chunks(tabular.observation_table([build_summary(spo2_course)]))
    ).removeprefix(tabular.BOM)
    rows = list(csv.DictReader(io.StringIO(text)))
    (spo2,) = [r for r in rows if r["kind"] == "vital_sign" and r["term"] == "spo2"]
    assert (spo2["value"], spo2["unit"], spo2["loinc_code"], spo2["source"]) == (
        "88.5",
        "%",
        "59408-5",
        "report",
    )
    # The urgent flag it raised (Proleukin Table 2: SpO₂ <90 %) is a row of its own.
    (hypoxia,) = [r for r in rows if r["term"] == "hypoxia"]
    assert (hypoxia["flag_level"], hypoxia["source"]) == ("urgent", "report")


def test_the_fhir_bundle_has_the_patients_spo2_observation(spo2_course):
    bundle = json.loads(fhir.bundle_json(build_summary(spo2_course)))
    entries = [e["resource"] for e in bundle["entry"]]
    (patient,) = [r for r in entries if r["resourceType"] == "Patient"]
    (observation,) = [
        r
        for r in entries
        if r["resourceType"] == "Observation"
        and [c["code"] for c in r["code"]["coding"]] == ["2708-6", "59408-5"]
    ]
    assert observation["valueQuantity"]["value"] == 88.5
    assert observation["valueQuantity"]["code"] == "%"
    assert observation["performer"] == [{"reference": f"urn:uuid:{patient['id']}"}]


def test_the_pdf_vitals_table_has_the_reports_spo2(spo2_course):
    [row] = [r for r in pdf._vital_rows(build_summary(spo2_course)) if r.source == "report"]
    assert row.values["spo2"] == Decimal("88.5")
