"""Terms, therapy profiles and short calls for the rules tests, as the service layer builds them."""

from tracker.rules import (
    AdverseEventInput,
    Answer,
    Baseline,
    Measurements,
    TermInfo,
    TherapyProfile,
    evaluate_report,
    evaluate_visit,
)

FRQ, SEV, INT = "frequency", "severity", "interference"

# PRODUCT.md §6: patient-reported terms, attributes in asked order.
PATIENT_TERMS = {
    term.slug: term
    for term in (
        TermInfo("nausea", "Nausea", (FRQ, SEV)),
        TermInfo("vomiting", "Vomiting", (FRQ, SEV)),
        TermInfo("diarrhea", "Diarrhea", (FRQ,)),
        TermInfo("abdominal_pain", "Abdominal pain", (FRQ, SEV, INT)),
        TermInfo("decreased_appetite", "Anorexia", (SEV, INT)),
        TermInfo("mouth_sores", "Mucositis oral", (SEV, INT)),
        TermInfo("shortness_of_breath", "Dyspnea", (SEV, INT)),
        TermInfo("cough", "Cough", (SEV, INT)),
        TermInfo("swelling", "Edema limbs", (FRQ, SEV, INT)),
        TermInfo("palpitations", "Palpitations", (FRQ, SEV)),
        TermInfo("dizziness", "Dizziness", (SEV, INT)),
        TermInfo("headache", "Headache", (FRQ, SEV, INT)),
        TermInfo("muscle_aches", "Myalgia", (FRQ, SEV, INT)),
        TermInfo("joint_aches", "Arthralgia", (FRQ, SEV, INT)),
        TermInfo("fatigue", "Fatigue", (SEV, INT)),
        TermInfo("chills", "Chills", (FRQ, SEV)),
        TermInfo("sweating", "Hyperhidrosis", (FRQ, SEV)),
        TermInfo("nosebleeds", "Epistaxis", (FRQ, SEV)),
        TermInfo("itching", "Pruritus", (SEV,)),
        TermInfo("rash", "Rash maculo-papular", presence=True),
        TermInfo("bruising", "Bruising", presence=True),
        TermInfo("injection_site_reaction", "Injection site reaction", presence=True),
        TermInfo("bleeding", "Hemorrhage", presence=True),
        TermInfo("confusion", "Confusion", presence=True),
    )
}

ALDESLEUKIN = TherapyProfile(
    name="Aldesleukin (high dose)",
    drug_class="il2_high_dose",
    expected_terms=frozenset(
        {
            "capillary_leak",
            "hypotension",
            "swelling",
            "generalized_edema",
            "weight_gain",
            "pleural_effusion",
            "tachycardia",
            "atrial_fibrillation",
            "supraventricular_tachycardia",
            "oliguria",
            "creatinine_increased",
            "fever",
            "chills",
            "fatigue",
            "malaise",
            "nausea",
            "vomiting",
            "diarrhea",
            "decreased_appetite",
            "mouth_sores",
            "rash",
            "itching",
            "bilirubin_increased",
            "platelets_decreased",
            "anemia",
            "confusion",
            "somnolence",
            "agitation",
            "hallucinations",
            "sepsis",
            "shortness_of_breath",
            "dizziness",
            "hypoxia",
        }
    ),
)
ANAKINRA = TherapyProfile(
    name="Anakinra",
    drug_class="il1_blocker",
    expected_terms=frozenset(
        {
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
        }
    ),
)
OPRELVEKIN = TherapyProfile(
    name="Oprelvekin",
    drug_class="il11",
    expected_terms=frozenset(
        {
            "swelling",
            "generalized_edema",
            "weight_gain",
            "shortness_of_breath",
            "tachycardia",
            "palpitations",
            "atrial_fibrillation",
            "pleural_effusion",
            "conjunctival_injection",
            "fever",
            "syncope",
            "capillary_leak",
        }
    ),
    # As the catalog's oprelvekin entry (given after myelosuppressive chemotherapy).
    fever_escalation_risk=True,
    fever_escalation_source="Neumega (oprelvekin) US label: neutropenic fever [NEU-AE][NEU-WP]",
)
INTERLEUKIN_12 = TherapyProfile(
    name="Interleukin-12 (investigational)",
    drug_class="il12",
    expected_terms=frozenset({"fever", "chills", "fatigue", "nausea", "vomiting", "headache"}),
    fever_escalation_risk=True,
    fever_escalation_source="Investigational IL-12: escalate fever early [IL12-ATK][IL12-LEO]",
)
SARILUMAB = TherapyProfile(
    name="Sarilumab",
    drug_class="il6_blocker",
    expected_terms=frozenset({"neutrophil_count_decreased", "alt_increased", "infection"}),
)
ALDESLEUKIN_LOW_DOSE = TherapyProfile(
    name="Aldesleukin (low dose)",
    drug_class="il2_low_dose",
    expected_terms=frozenset({"fever", "fatigue", "injection_site_reaction", "chills"}),
)
TOCILIZUMAB = TherapyProfile(
    name="Tocilizumab",
    drug_class="il6_blocker",
    expected_terms=frozenset(
        {
            "upper_respiratory_infection",
            "nasopharyngitis",
            "headache",
            "hypertension",
            "alt_increased",
            "dizziness",
            "rash",
            "infusion_related_reaction",
            "injection_site_reaction",
        }
    ),
)


def answer(slug, frequency=None, severity=None, interference=None, present=None) -> Answer:
    return Answer(PATIENT_TERMS[slug], frequency, severity, interference, present)


def adverse_event(slug, grade, ctcae_term=None) -> AdverseEventInput:
    return AdverseEventInput(
        TermInfo(slug, ctcae_term or slug.replace("_", " ").capitalize()), grade
    )


NO_BASELINE = Baseline()


def report(therapy=ALDESLEUKIN, answers=(), previous=None, baseline=NO_BASELINE, **measurements):
    return evaluate_report(
        therapy=therapy,
        answers=list(answers),
        measurements=Measurements(**measurements),
        baseline=baseline,
        previous_grades=previous or {},
    )


def visit(therapy=ALDESLEUKIN, events=(), previous=None, baseline=NO_BASELINE, **measurements):
    return evaluate_visit(
        therapy=therapy,
        adverse_events=list(events),
        measurements=Measurements(**measurements),
        baseline=baseline,
        previous_grades=previous or {},
    )


def finding_for(evaluation, term):
    """The one finding about a term; fails if there is none or more than one."""
    [finding] = [f for f in evaluation.findings if f.term == term]
    return finding


def flagged_terms(evaluation):
    return sorted(f.term for f in evaluation.findings)
