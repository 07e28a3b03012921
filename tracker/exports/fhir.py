"""The course summary as a FHIR R4 Bundle (type collection), validated before it leaves.

Built as plain JSON-ready dicts, then read back with the fhir.resources R4B models (structure,
cardinality and data types), then checked against the code lists of `codes.py` (the models do
not check terminology). What goes in, and why (docs/exports.md has the long version):

- Patient: MRN identifier (type MR), name, birth date, gender.
- Practitioner: each clinician who recorded a visit, a dose or a report, or acknowledged a flag.
- MedicationStatement: the course (therapy as text, regimen as dosage text, indication as
  reason, status from the course, period from its dates).
- MedicationAdministration: each dose given (completed) or held (not-done, with the reason).
- Observation: each measurement of each report or visit, LOINC-coded with a UCUM quantity;
  systolic and diastolic pressure together in a blood-pressure panel (85354-9), as the R4
  vital-signs profile asks. Category vital-signs, or laboratory for platelets and creatinine.
- AdverseEvent: each graded observation of the course summary — clinician-graded adverse
  events and CTCAE grades derived from measurements carry the CTCAE grade in the ae-grade
  extension and a seriousness (serious from grade 3); patient-reported symptoms (PRO-CTCAE
  composite grade ≥ 1) carry only a severity, because a composite grade is not a CTCAE grade.
- Flag: each flag, with its level as the core flag-priority extension, author the rules engine
  (a Device); each acknowledgement or resolution is a Provenance (who, when, the note).

The text is in English whatever the requester's language: it is data for another system.
"""

import datetime
import json
import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from fhir.resources.R4B.bundle import Bundle

from ..models import (
    AdverseEventOutcome,
    CourseStatus,
    DoseStatus,
    FlagLevel,
    FlagStatus,
    ReportSource,
    Seriousness,
)
from . import codes

# Ids are name-based UUIDs (RFC 4122 version 5) of the records' own ids, so exporting the same
# course twice gives the same references, and a receiver can recognise what it already has.
NAMESPACE = uuid.UUID("6f1c3a52-2a0e-4d55-9a53-0f3c8f6a7d21")

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
# Our outcomes in the R4B adverse-event-outcome code system (code, display); "not recovered"
# is the system's "ongoing".
OUTCOME_CODES = {
    AdverseEventOutcome.RECOVERING: ("recovering", "Recovering"),
    AdverseEventOutcome.RECOVERED: ("resolved", "Resolved"),
    AdverseEventOutcome.RECOVERED_WITH_SEQUELAE: ("resolvedWithSequelae", "Resolved with Sequelae"),
    AdverseEventOutcome.NOT_RECOVERED: ("ongoing", "Ongoing"),
    AdverseEventOutcome.FATAL: ("fatal", "Fatal"),
    AdverseEventOutcome.UNKNOWN: ("unknown", "Unknown"),
}
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
FLAG_PRIORITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-priority"
FLAG_PRIORITY = "http://hl7.org/fhir/flag-priority-code"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
VITALSIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"

MEDICATION_STATUS = {
    CourseStatus.PLANNED: "intended",
    CourseStatus.ACTIVE: "active",
    CourseStatus.COMPLETED: "completed",
    CourseStatus.STOPPED: "stopped",
}
PRIORITY = {  # flag-priority-code: PL low, PM medium, PH high
    FlagLevel.INFO: ("PL", "Low priority"),
    FlagLevel.REVIEW: ("PM", "Medium priority"),
    FlagLevel.URGENT: ("PH", "High priority"),
}
SEVERITY_NAMES = {1: "mild", 2: "moderate", 3: "severe"}

# Code systems the Bundle may use; `check_codes` refuses any other.
KNOWN_SYSTEMS = frozenset(
    {
        codes.LOINC,
        codes.UCUM,
        codes.MEDDRA,
        codes.SNOMED,
        codes.NCI_THESAURUS,
        OBSERVATION_CATEGORY,
        IDENTIFIER_TYPE,
        SERIOUSNESS,
        SEVERITY,
        OUTCOME,
        FLAG_CATEGORY,
        FLAG_PRIORITY,
        DATA_OPERATION,
        PARTICIPANT_TYPE,
        DATA_ABSENT,
    }
)


class ExportCodeError(ValueError):
    """The Bundle would carry a code outside the lists the project checked (codes.py)."""


# --- Small builders -----------------------------------------------------------------------------


def _id(kind: str, pk) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{pk}"))


def _ref(resource: dict) -> dict:
    return {"reference": f"urn:uuid:{resource['id']}"}


def _when(record):
    return getattr(record, "reported_at", None) or record.recorded_at


def _instant(when) -> str:
    return timezone.localtime(when).isoformat(timespec="seconds")


def _coding(system, code, display=None):
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _quantity(value, measurement):
    return {
        "value": value if isinstance(value, Decimal | int) else Decimal(str(value)),
        "unit": measurement.unit_label,
        "system": codes.UCUM,
        "code": measurement.unit,
    }


def _term_concept(term) -> dict:
    coding = []
    if term.meddra_code:
        coding.append(_coding(codes.MEDDRA, term.meddra_code, term.ctcae_term))
    if term.snomed_code:
        coding.append(_coding(codes.SNOMED, term.snomed_code))
    concept = {"text": term.ctcae_term}
    if coding:
        concept["coding"] = coding
    return concept


def _category(code):
    display = "Vital Signs" if code == codes.VITAL_SIGNS else "Laboratory"
    return [{"coding": [_coding(OBSERVATION_CATEGORY, code, display)]}]


class _Builder:
    """Collects resources for one course; each is added once, referenced by urn:uuid."""

    def __init__(self, summary):
        self.summary = summary
        self.entries = []
        self.practitioners = {}

    def add(self, resource):
        self.entries.append(resource)
        return resource

    def practitioner(self, user):
        if user is None:
            return None
        if user.pk not in self.practitioners:
            name = {"text": user.get_full_name() or user.get_username()}
            if user.last_name:
                name["family"] = user.last_name
            if user.first_name:
                name["given"] = [user.first_name]
            resource = {"resourceType": "Practitioner", "id": _id("user", user.pk), "name": [name]}
            if user.profession:
                resource["qualification"] = [{"code": {"text": user.profession}}]
            self.practitioners[user.pk] = self.add(resource)
        return _ref(self.practitioners[user.pk])

    # -- resources --

    def patient(self):
        patient = self.summary.patient
        identifier = {
            "use": "usual",
            "type": {"coding": [_coding(IDENTIFIER_TYPE, "MR", "Medical record number")]},
            "value": patient.mrn,
        }
        system = getattr(settings, "FHIR_MRN_SYSTEM", "")
        if system:
            identifier["system"] = system
        return self.add(
            {
                "resourceType": "Patient",
                "id": _id("patient", patient.pk),
                "identifier": [identifier],
                "name": [
                    {
                        "use": "official",
                        "family": patient.family_name,
                        "given": [patient.given_name],
                        "text": patient.full_name,
                    }
                ],
                "gender": patient.sex,  # female | male | other | unknown, as FHIR's
                "birthDate": patient.birth_date.isoformat(),
            }
        )

    def medication_statement(self, subject):
        course = self.summary.course
        therapy = course.therapy
        period = {"start": course.start_date.isoformat()}
        if course.end_date:
            period["end"] = course.end_date.isoformat()
        resource = {
            "resourceType": "MedicationStatement",
            "id": _id("course", course.pk),
            "status": MEDICATION_STATUS[course.status],
            "medicationCodeableConcept": {"text": therapy.name},
            "subject": subject,
            "effectivePeriod": period,
        }
        if course.regimen or therapy.regimen:
            # As a person reads it (in English here): the catalog's source keys as citations.
            resource["dosage"] = [{"text": course.regimen_text}]
        if course.indication:
            resource["reasonCode"] = [{"text": course.indication}]
        return self.add(resource)

    def administrations(self, subject, statement):
        medication = statement["medicationCodeableConcept"]
        for dose in self.summary.doses:
            if dose.status == DoseStatus.SCHEDULED:
                continue
            resource = {
                "resourceType": "MedicationAdministration",
                "id": _id("dose", dose.pk),
                "status": "completed" if dose.status == DoseStatus.GIVEN else "not-done",
                "medicationCodeableConcept": medication,
                "subject": subject,
                "supportingInformation": [_ref(statement)],
                "effectiveDateTime": _instant(dose.administered_at or dose.scheduled_at),
            }
            performer = self.practitioner(dose.recorded_by)
            if performer:
                resource["performer"] = [{"actor": performer}]
            if dose.status == DoseStatus.HELD:
                resource["statusReason"] = [{"text": dose.reason}]
            elif dose.dose_amount is not None:
                resource["dosage"] = {
                    "text": f"Dose {dose.dose_number}",
                    "dose": {"value": dose.dose_amount, "unit": dose.dose_unit},
                }
            self.add(resource)

    @staticmethod
    def _observation(pk, measurement_key, when, performer, subject, category):
        resource = {
            "resourceType": "Observation",
            "id": _id(f"observation:{measurement_key}", pk),
            "status": "final",
            "category": _category(category),
            "subject": subject,
            "effectiveDateTime": _instant(when),
        }
        if performer:
            resource["performer"] = [performer]
        return resource

    def observations(self, subject):
        records = [
            (report, report.reported_at, self._report_performer(report, subject))
            for report in self.summary.reports
        ] + [
            (visit, visit.recorded_at, self.practitioner(visit.recorded_by))
            for visit in self.summary.visits
        ]
        for record, when, performer in sorted(records, key=lambda r: r[1]):
            systolic = getattr(record, "systolic_bp", None)
            diastolic = getattr(record, "diastolic_bp", None)
            if systolic is not None or diastolic is not None:
                resource = self._observation(
                    record.pk, "bp", when, performer, subject, codes.VITAL_SIGNS
                )
                resource["meta"] = {"profile": [VITALSIGNS_PROFILE]}
                resource["code"] = {
                    "coding": [_coding(codes.LOINC, *codes.BP_PANEL)],
                    "text": "Blood pressure",
                }
                resource["component"] = [
                    self._bp_component(codes.SYSTOLIC, systolic),
                    self._bp_component(codes.DIASTOLIC, diastolic),
                ]
                self.add(resource)
            for measurement in codes.MEASUREMENTS:
                if measurement in (codes.SYSTOLIC, codes.DIASTOLIC):
                    continue
                value = getattr(record, measurement.field, None)
                if value is None:
                    continue
                resource = self._observation(
                    record.pk,
                    measurement.field,
                    when,
                    performer,
                    subject,
                    measurement.category,
                )
                coding = [_coding(codes.LOINC, measurement.loinc, measurement.display)]
                if measurement.field == "spo2":
                    coding.insert(0, _coding(codes.LOINC, *codes.SPO2_VITAL_SIGN))
                resource["code"] = {"coding": coding, "text": measurement.display}
                if measurement.category == codes.VITAL_SIGNS:
                    resource["meta"] = {"profile": [VITALSIGNS_PROFILE]}
                if measurement.field == "urine_output_ml_8h":
                    # The volume collected over the 8 hours before the visit.
                    del resource["effectiveDateTime"]
                    resource["effectivePeriod"] = {
                        "start": _instant(when - datetime.timedelta(hours=8)),
                        "end": _instant(when),
                    }
                    resource["code"]["text"] = "Urine output over 8 hours"
                resource["valueQuantity"] = _quantity(value, measurement)
                self.add(resource)

    @staticmethod
    def _bp_component(measurement, value):
        component = {
            "code": {
                "coding": [_coding(codes.LOINC, measurement.loinc, measurement.display)],
                "text": measurement.display,
            }
        }
        if value is None:
            component["dataAbsentReason"] = {"coding": [_coding(DATA_ABSENT, "not-performed")]}
        else:
            component["valueQuantity"] = _quantity(value, measurement)
        return component

    def _report_performer(self, report, subject):
        if report.source == ReportSource.CLINICIAN and report.submitted_by_id:
            return self.practitioner(report.submitted_by)
        return subject

    def _graded(self):
        """(record, source, term, grade, scale, adverse event or None), like the summary's
        grade points: graded answers, adverse events, then CTCAE grades known from flags."""
        seen = set()
        for report in self.summary.reports:
            for answer in report.answers.all():
                if answer.composite_grade:
                    seen.add((report.pk, answer.term_id))
                    yield report, "report", answer.term, answer.composite_grade, "pro", None
        for visit in self.summary.visits:
            for event in visit.adverse_events.all():
                seen.add((visit.pk, event.term_id))
                yield visit, "visit", event.term, event.grade, "ctcae", event
        # The summary's own records (their authors are loaded), not the flags' copies.
        records = {r.pk: r for r in (*self.summary.reports, *self.summary.visits)}
        for flag in self.summary.flags:
            record = records.get(flag.report_id or flag.visit_id)
            if flag.ctcae_grade and record and (record.pk, flag.term_id) not in seen:
                seen.add((record.pk, flag.term_id))
                source = "report" if flag.report_id else "visit"
                yield record, source, flag.term, flag.ctcae_grade, "ctcae", None

    def adverse_events(self, subject, statement):
        """One AdverseEvent per graded observation, oldest first."""
        graded = sorted(
            self._graded(),
            key=lambda g: (_when(g[0]), g[2].sort_order, g[2].slug),
        )
        for record, source, term, grade, scale, event in graded:
            resource = {
                "resourceType": "AdverseEvent",
                "id": _id(f"adverse-event:{source}:{term.slug}", record.pk),
                "actuality": "actual",
                "event": _term_concept(term),
                "subject": subject,
                "date": _instant(_when(record)),
            }
            if source == "visit":
                recorder = self.practitioner(record.recorded_by)
            else:
                recorder = self._report_performer(record, subject)
            if recorder:  # unknown for records whose author's account is gone
                resource["recorder"] = recorder
            if scale == "pro":
                resource["severity"] = self._severity(grade)
            else:
                resource["extension"] = [self._grade_extension(grade)]
                if event is not None:
                    # A clinician's adverse event: serious when an SAE criterion was chosen.
                    serious = event.is_serious
                else:
                    serious = grade >= codes.SERIOUS_FROM_CTCAE_GRADE
                resource["seriousness"] = {
                    "coding": [
                        _coding(
                            SERIOUSNESS,
                            "serious" if serious else "non-serious",
                            "Serious" if serious else "Non-serious",
                        )
                    ]
                }
                if event is not None and serious:
                    with translation.override("en"):
                        resource["seriousness"]["text"] = "Serious: " + "; ".join(
                            str(label)
                            for value, label in Seriousness.choices
                            if value in event.seriousness
                        )
                resource["severity"] = self._severity(min(grade, 3))
            if event is not None and event.outcome in OUTCOME_CODES:
                code, display = OUTCOME_CODES[event.outcome]
                resource["outcome"] = {"coding": [_coding(OUTCOME, code, display)]}
            if event is not None:
                resource["suspectEntity"] = [
                    {
                        "instance": _ref(statement),
                        "causality": [{"productRelatedness": event.attribution}],
                    }
                ]
            self.add(resource)

    @staticmethod
    def _severity(grade):
        name = SEVERITY_NAMES[grade]
        return {"coding": [_coding(SEVERITY, name, name.capitalize())]}

    @staticmethod
    def _grade_extension(grade):
        concept = {"text": f"CTCAE v5.0 grade {grade}"}
        code = codes.CTCAE_GRADE_CODES.get(grade)
        if code:
            concept["coding"] = [_coding(codes.NCI_THESAURUS, code, f"Grade {grade}")]
        return {"url": codes.AE_GRADE_EXTENSION, "valueCodeableConcept": concept}

    def flags(self, subject):
        if not self.summary.flags:
            return
        device = self.add(
            {
                "resourceType": "Device",
                "id": _id("device", "rules"),
                "deviceName": [
                    {
                        "name": "Interleukin Therapy Tracker clinical rules",
                        "type": "user-friendly-name",
                    }
                ],
            }
        )
        for flag in self.summary.flags:
            code, display = PRIORITY[flag.level]
            period = {"start": _instant(flag.created_at)}
            if flag.resolved_at:
                period["end"] = _instant(flag.resolved_at)
            text = f"{flag.get_level_display()}: {flag.term.ctcae_term} — {flag.message}"
            concept = _term_concept(flag.term)
            concept["text"] = text
            resource = self.add(
                {
                    "resourceType": "Flag",
                    "id": _id("flag", flag.pk),
                    "extension": [
                        {
                            "url": FLAG_PRIORITY_EXTENSION,
                            "valueCodeableConcept": {
                                "coding": [_coding(FLAG_PRIORITY, code, display)],
                                "text": flag.get_level_display(),
                            },
                        }
                    ],
                    "status": "inactive" if flag.status == FlagStatus.RESOLVED else "active",
                    "category": [{"coding": [_coding(FLAG_CATEGORY, "clinical", "Clinical")]}],
                    "code": concept,
                    "subject": subject,
                    "period": period,
                    "author": _ref(device),
                }
            )
            steps = [
                (
                    "acknowledged",
                    flag.acknowledged_by,
                    flag.acknowledged_at,
                    flag.acknowledged_note,
                ),
                ("resolved", flag.resolved_by, flag.resolved_at, flag.resolved_note),
            ]
            for step, by, at, note in steps:
                if at is None:
                    continue
                provenance = {
                    "resourceType": "Provenance",
                    "id": _id(f"flag-{step}", flag.pk),
                    "target": [_ref(resource)],
                    "recorded": _instant(at),
                    "activity": {
                        "coding": [_coding(DATA_OPERATION, "UPDATE", "revise")],
                        "text": f"Flag {step}",
                    },
                    "agent": [
                        {
                            "type": {"coding": [_coding(PARTICIPANT_TYPE, "author", "Author")]},
                            "who": self.practitioner(by) or _ref(device),
                        }
                    ],
                }
                if note:
                    provenance["reason"] = [{"text": note}]
                self.add(provenance)


def bundle_dict(summary) -> dict:
    """The Bundle as plain data (not yet validated). No queries: everything is in `summary`.

    In English whatever the active language: labels such as a flag's level are data here.
    """
    with translation.override("en"):
        return _bundle_dict(summary)


def _bundle_dict(summary) -> dict:
    builder = _Builder(summary)
    patient = builder.patient()
    subject = _ref(patient)
    statement = builder.medication_statement(subject)
    builder.administrations(subject, statement)
    builder.observations(subject)
    builder.adverse_events(subject, statement)
    builder.flags(subject)
    return {
        "resourceType": "Bundle",
        "id": _id("bundle", f"{summary.course.pk}:{summary.generated_at.isoformat()}"),
        "type": "collection",
        "timestamp": _instant(summary.generated_at),
        "entry": [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            for resource in builder.entries
        ],
    }


def build_bundle(summary) -> Bundle:
    """The validated Bundle: structure by fhir.resources R4B, codes by `check_codes`."""
    bundle = Bundle.model_validate(bundle_dict(summary))
    check_codes(json.loads(bundle.model_dump_json()))
    return bundle


def bundle_json(summary, *, indent=2) -> str:
    return build_bundle(summary).model_dump_json(indent=indent)


# --- The project's own terminology checks ---------------------------------------------------------

MEDDRA_CODE = re.compile(r"\d{8}")
SNOMED_CODE = re.compile(r"\d{6,18}")


def _codings(node):
    """Every Coding and Quantity (system + code) anywhere in a JSON tree."""
    if isinstance(node, dict):
        if "system" in node and "code" in node:
            yield node
        for value in node.values():
            yield from _codings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _codings(value)


def check_codes(data: dict) -> None:
    """Refuse codes outside the lists of codes.py (the R4B models do not check terminology)."""
    problems = []
    for coding in _codings(data):
        system, code = coding["system"], coding["code"]
        if system not in KNOWN_SYSTEMS:
            problems.append(f"unknown code system {system}")
        elif system == codes.LOINC and code not in codes.ALLOWED_LOINC:
            problems.append(f"LOINC {code} is not in the checked list")
        elif system == codes.UCUM and code not in codes.ALLOWED_UCUM:
            problems.append(f"UCUM {code} is not in the checked list")
        elif system == codes.NCI_THESAURUS and code not in codes.ALLOWED_NCI:
            problems.append(f"NCI Thesaurus {code} is not a CTCAE grade code")
        elif system == codes.MEDDRA and not MEDDRA_CODE.fullmatch(code):
            problems.append(f"MedDRA {code} is not an 8-digit code")
        elif system == codes.SNOMED and not SNOMED_CODE.fullmatch(code):
            problems.append(f"SNOMED CT {code} is not a concept id")
    if problems:
        raise ExportCodeError("; ".join(sorted(set(problems))))
