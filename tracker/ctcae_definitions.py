"""CTCAE v5.0 grade definitions shown beside an adverse event on the visit form.

Source: NCI Common Terminology Criteria for Adverse Events (CTCAE) v5.0, 27 November 2017,
as paraphrased in reference/domain.md §2.2 (from the machine-readable CSV of KohSoonho/CTCAE,
`CTCAE_v5.0.csv`); numeric limits are exact. Only the terms that table gives are here; every
other term shows "see CTCAE v5.0". "None" means CTCAE defines no such grade for the term.
Keys are the vocabulary's slugs (therapies.SideEffectTerm.slug).
"""

from django.utils.translation import gettext_lazy as _

SOURCE = "NCI CTCAE v5.0 (2017)"
NOT_DEFINED = None

# General meaning of each grade (CTCAE v5.0 introduction; domain.md §2.1), for grade choices.
GRADE_MEANINGS = {
    1: _("Mild"),
    2: _("Moderate"),
    3: _("Severe or medically significant; hospitalization indicated"),
    4: _("Life-threatening; urgent intervention indicated"),
    5: _("Death related to the adverse event"),
}

_LIFE_THREATENING = _("Life-threatening; urgent intervention")
_DEATH = _("Death")

DEFINITIONS = {
    "hypotension": (
        _("No symptoms; no intervention"),
        _("Non-urgent medical intervention"),
        _("Medical intervention; hospitalization indicated"),
        _LIFE_THREATENING,
        _DEATH,
    ),
    "fever": (
        _("38.0–39.0 °C (100.4–102.2 °F)"),
        _(">39.0–40.0 °C (102.3–104.0 °F)"),
        _(">40.0 °C (>104.0 °F) for ≤24 h"),
        _(">40.0 °C (>104.0 °F) for >24 h"),
        _DEATH,
    ),
    "chills": (
        _("Mild cold sensation; shivering; teeth chattering"),
        _("Moderate whole-body tremor; narcotics indicated"),
        _("Severe or prolonged, unresponsive to narcotics"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "swelling": (  # Edema limbs
        _(
            "5–10% inter-limb difference in volume or circumference; swelling or obscured "
            "anatomy on close look"
        ),
        _(
            ">10–30% difference; obvious obscured anatomy, lost skin folds, visible contour "
            "change; limits instrumental ADL"
        ),
        _(">30% difference in volume; gross contour change; limits self-care ADL"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "generalized_edema": (
        _("Seen on exam; 1+ pitting"),
        _("Interferes with instrumental ADL; oral therapy started"),
        _("Interferes with self-care ADL; IV therapy indicated; skin breakdown"),
        _("Life-threatening"),
        NOT_DEFINED,
    ),
    "capillary_leak": (
        _("Asymptomatic"),
        _("Symptomatic; medical intervention"),
        _("Severe symptoms; intervention"),
        _LIFE_THREATENING,
        _DEATH,
    ),
    "weight_gain": (
        _("5 – <10% from baseline"),
        _("10 – <20% from baseline"),
        _("≥20% from baseline"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "bruising": (
        _("Localized or in a dependent area"),
        _("Generalized"),
        NOT_DEFINED,
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "nosebleeds": (  # Epistaxis
        _("Mild; no intervention"),
        _("Moderate; medical intervention (packing, cautery, topical vasoconstrictor)"),
        _("Transfusion; invasive intervention (e.g. hemostasis)"),
        _LIFE_THREATENING,
        _DEATH,
    ),
    "nausea": (
        _("Appetite loss, eating habits unchanged"),
        _("Reduced oral intake without significant weight loss, dehydration or malnutrition"),
        _("Inadequate calorie or fluid intake; tube feeding, TPN or hospitalization"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "vomiting": (
        _("No intervention"),
        _("Outpatient IV hydration; medical intervention"),
        _("Tube feeding, TPN or hospitalization"),
        _("Life-threatening"),
        _DEATH,
    ),
    "diarrhea": (
        _("<4 stools/day over baseline; mild ostomy increase"),
        _("4–6 stools/day over baseline; moderate ostomy increase; limits instrumental ADL"),
        _(
            "≥7 stools/day over baseline; hospitalization; severe ostomy increase; limits "
            "self-care ADL"
        ),
        _LIFE_THREATENING,
        _DEATH,
    ),
    "decreased_appetite": (  # Anorexia
        _("Appetite loss, habits unchanged"),
        _("Altered intake without significant weight loss or malnutrition; oral supplements"),
        _("Significant weight loss or malnutrition; tube feeding or TPN"),
        _LIFE_THREATENING,
        _DEATH,
    ),
    "fatigue": (
        _("Relieved by rest"),
        _("Not relieved by rest; limits instrumental ADL"),
        _("Not relieved by rest; limits self-care ADL"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "platelets_decreased": (
        _("<LLN–75.0 ×10⁹/L"),
        _("<75.0–50.0 ×10⁹/L"),
        _("<50.0–25.0 ×10⁹/L"),
        _("<25.0 ×10⁹/L"),
        NOT_DEFINED,
    ),
    "neutrophil_count_decreased": (
        _("<LLN–1500/mm³"),
        _("<1500–1000/mm³"),
        _("<1000–500/mm³"),
        _("<500/mm³"),
        NOT_DEFINED,
    ),
    "tachycardia": (  # Sinus tachycardia
        _("Asymptomatic; no intervention"),
        _("Symptomatic; non-urgent intervention"),
        _("Urgent medical intervention"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "atrial_fibrillation": (
        _("Asymptomatic; no intervention"),
        _("Non-urgent intervention"),
        _("Symptomatic, urgent intervention; device; ablation; new onset"),
        _("Life-threatening; embolus needing urgent intervention"),
        _DEATH,
    ),
    "hypoxia": (
        NOT_DEFINED,
        _("SpO₂ drop with exercise (e.g. pulse oximeter <88%); intermittent O₂"),
        _("SpO₂ drop at rest (e.g. pulse oximeter <88% or PaO₂ ≤55 mm Hg)"),
        _("Life-threatening airway compromise; urgent intervention (tracheotomy, intubation)"),
        _DEATH,
    ),
    "shortness_of_breath": (  # Dyspnea
        _("Breathless with moderate exertion"),
        _("Breathless with minimal exertion; limits instrumental ADL"),
        _("Breathless at rest; limits self-care ADL"),
        _LIFE_THREATENING,
        _DEATH,
    ),
    "pleural_effusion": (
        _("Asymptomatic; observation only"),
        _("Symptomatic; intervention (diuretics, therapeutic thoracentesis)"),
        _("Symptomatic with respiratory distress and hypoxia; chest tube or pleurodesis"),
        _("Life-threatening respiratory or hemodynamic compromise; intubation"),
        _DEATH,
    ),
    "pulmonary_edema": (
        _("Radiologic only; minimal exertional dyspnea"),
        _("Moderate exertional dyspnea; medical intervention; limits instrumental ADL"),
        _("Severe dyspnea or at rest; oxygen; limits self-care ADL"),
        _("Life-threatening; ventilatory support"),
        _DEATH,
    ),
    "acute_kidney_injury": (
        NOT_DEFINED,
        NOT_DEFINED,
        _("Hospitalization indicated"),
        _("Life-threatening; dialysis indicated"),
        _DEATH,
    ),
    "creatinine_increased": (
        _(">ULN–1.5×ULN"),
        _(">1.5–3.0×baseline; >1.5–3.0×ULN"),
        _(">3.0×baseline; >3.0–6.0×ULN"),
        _(">6.0×ULN"),
        NOT_DEFINED,
    ),
    "oliguria": (  # Urine output decreased
        NOT_DEFINED,
        NOT_DEFINED,
        _("Adult oliguria <80 mL in 8 h"),
        _("Adult anuria <240 mL in 24 h"),
        NOT_DEFINED,
    ),
    "confusion": (
        _("Mild disorientation"),
        _("Moderate disorientation; limits instrumental ADL"),
        _("Severe disorientation; limits self-care ADL"),
        _LIFE_THREATENING,
        NOT_DEFINED,
    ),
    "somnolence": (
        _("Mild but more than usual drowsiness"),
        _("Moderate sedation; limits instrumental ADL"),
        _("Obtundation or stupor"),
        _LIFE_THREATENING,
        _DEATH,
    ),
    "hallucinations": (
        _("Mild (perceptual distortion)"),
        _("Moderate"),
        _("Severe; hospitalization not indicated"),
        _("Life-threatening, threats of harm; hospitalization"),
        _DEATH,
    ),
    "dizziness": (
        _("Mild unsteadiness or sense of movement"),
        _("Moderate; limits instrumental ADL"),
        _("Severe; limits self-care ADL"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "headache": (
        _("Mild pain"),
        _("Moderate pain; limits instrumental ADL"),
        _("Severe pain; limits self-care ADL"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "muscle_aches": (  # Myalgia
        _("Mild pain"),
        _("Moderate pain; limits instrumental ADL"),
        _("Severe pain; limits self-care ADL"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "joint_aches": (  # Arthralgia
        _("Mild pain"),
        _("Moderate pain; limits instrumental ADL"),
        _("Severe pain; limits self-care ADL"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "rash": (  # Rash maculo-papular
        _("Macules or papules <10% BSA, with or without symptoms (pruritus, burning, tightness)"),
        _(
            "10–30% BSA with or without symptoms, limits instrumental ADL; or >30% BSA with "
            "or without mild symptoms"
        ),
        _(">30% BSA with moderate or severe symptoms; limits self-care ADL"),
        NOT_DEFINED,
        NOT_DEFINED,
    ),
    "injection_site_reaction": (
        _("Tenderness with or without warmth, erythema, itching"),
        _("Pain; lipodystrophy; edema; phlebitis"),
        _("Ulceration or necrosis; severe tissue damage; surgery"),
        _LIFE_THREATENING,
        _DEATH,
    ),
    "infusion_related_reaction": (
        _("Mild, transient; no interruption or treatment"),
        _("Interruption needed but prompt response to symptomatic treatment; prophylaxis ≤24 h"),
        _(
            "Prolonged or not rapidly responsive; recurrence after improvement; "
            "hospitalization for sequelae"
        ),
        _LIFE_THREATENING,
        _DEATH,
    ),
    "cytokine_release_syndrome": (
        _("Fever with or without constitutional symptoms"),
        _("Hypotension responding to fluids; hypoxia responding to <40% O₂"),
        _("Hypotension managed with one pressor; hypoxia requiring ≥40% O₂"),
        _LIFE_THREATENING,
        _DEATH,
    ),
}


def grades_for(slug):
    """[(grade, definition or None)] for a term, or None when this module has no definitions."""
    definitions = DEFINITIONS.get(slug)
    if definitions is None:
        return None
    return list(enumerate(definitions, start=1))


# Other names a clinician may type to find a term in the visit form's picker (besides the CTCAE
# term and the patient wordings in English and French). Fever is coded to the MedDRA preferred
# term "Pyrexia" (MedDRA LLT 10016558 "Fever" under PT 10037660 "Pyrexia"); "febrile" and its
# French "fébrile" are the adjective clinicians write.
OTHER_NAMES = {
    "fever": ("Pyrexia", "Febrile", "Fébrile"),
}
