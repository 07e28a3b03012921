"""The codes the exports emit, in one place (sources: /work/shared/reference/domain.md §6).

Each measurement stored on a report or a visit is exported with its LOINC code and its UCUM
unit, both defined in the measurement registry (tracker/measurements.py); the CSV and the FHIR
Bundle read the same table. The sets at the end are the only codes the exports may emit:
`fhir.check_codes` refuses a Bundle with anything else, so a typo or a new field cannot slip
out unnoticed.
"""

from dataclasses import dataclass

from .. import measurements
from ..measurements import LABORATORY, VITAL_SIGNS

__all__ = ["LABORATORY", "VITAL_SIGNS"]

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
SNOMED = "http://snomed.info/sct"
NCI_THESAURUS = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"


@dataclass(frozen=True)
class Measurement:
    field: str  # the model field on SymptomReport / Visit
    category: str  # FHIR observation category: vital-signs or laboratory
    loinc: str
    display: str  # LOINC long common name (shortened where LOINC's is unwieldy)
    unit: str  # UCUM code
    unit_label: str  # how people write the unit

    @property
    def kind(self):
        """The CSV's word for the category."""
        return "laboratory" if self.category == LABORATORY else "vital_sign"


# domain.md §6.2, from the measurement registry (tracker/measurements.py), in its order.
MEASUREMENTS = tuple(
    Measurement(m.name, m.code.category, m.code.loinc, m.code.display, m.code.ucum, m.unit)
    for m in measurements.MEASUREMENTS
)
BY_FIELD = {m.field: m for m in MEASUREMENTS}
SYSTOLIC = BY_FIELD["systolic_bp"]
DIASTOLIC = BY_FIELD["diastolic_bp"]

# FHIR groups systolic and diastolic pressure in one panel (R4 vital-signs profile "bp").
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
# The R4 vital-signs profile for oxygen saturation codes 2708-6; 59408-5 (pulse oximetry)
# says how it was measured. Both are sent, as US Core does.
SPO2_VITAL_SIGN = ("2708-6", "Oxygen saturation in Arterial blood")

# Which measurement a graded term is graded from (rules.py grades these from the value).
# weight_gain is graded from the change against the course's baseline weight, in percent.
GRADED_FROM = measurements.GRADED_FROM

# CTCAE grade -> NCI Thesaurus concept of the HL7 "adverse-event-clinical-research-grades"
# value set (domain.md §6.1, [AE-GRADE]). The grade 5 code could not be verified: grade 5 is
# sent as text only.
CTCAE_GRADE_CODES = {1: "C41338", 2: "C41339", 3: "C41340", 4: "C41337"}
AE_GRADE_EXTENSION = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/ae-grade"
SERIOUS_FROM_CTCAE_GRADE = 3  # CTCAE v5.0 grade 3: "hospitalization ... indicated" (domain.md §2.1)

# --- What the exports may emit ------------------------------------------------------------------

ALLOWED_LOINC = frozenset(
    {m.loinc for m in MEASUREMENTS} | {BP_PANEL[0], SPO2_VITAL_SIGN[0]}
)  # = domain.md §6.2 minus the codes the app does not measure (respiratory rate, panels)
ALLOWED_UCUM = frozenset({m.unit for m in MEASUREMENTS})
ALLOWED_NCI = frozenset(CTCAE_GRADE_CODES.values())
