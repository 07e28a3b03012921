"""User actions that write several models at once, one module per workflow.

Each runs in one transaction: a record and the flags it raises are saved together or not at all.
The clinical judgement itself is in `tracker.rules` (pure Python); `judgement` gathers its
inputs from the database and stores its outputs. Callers use `from tracker import services`
and `services.<name>`: every public name of the modules below is available here.

- judgement: the rules' inputs read from the database, the flags their findings raise
- history: who wrote each version of a record and why
- records: new reports, visits and doses
- dose_advice: the high-dose IL-2 dose advice
- flags: acknowledging and resolving flags
- corrections: corrected records and records entered in error
- report_photos: photos of a report
- patients: patients registered and corrected by their care team, possible duplicates
- accounts: patient accounts, invitations and their links
- reminders: reporting reminders
- escalation: escalation of urgent flags nobody has acknowledged
"""

from ..measurements import REPORT_MEASUREMENTS, VISIT_MEASUREMENTS
from .accounts import (
    INVITATION_BIRTH_DATE_TRIES,
    Invitation,
    InvitationTokenGenerator,
    invitation_tokens,
    invitation_tries_left,
    invite_patient,
    may_invite,
    refuse_invitation_birth_date,
)
from .corrections import (
    CORRECTABLE_FIELDS,
    CORRECTED_NOTE,
    COURSE_RULE_FIELDS,
    ENTERED_IN_ERROR_NOTE,
    Correction,
    Rejudged,
    _finding_key,
    _rejudge,
    _withdraw,
    correct_course,
    correct_record,
    mark_entered_in_error,
    rejudge_course_records,
)
from .courses import (
    course_care_team,
    start_course,
)
from .dose_advice import (
    VISIT_ASSESSMENT_FIELDS,
    _judge_dose_advice,
    advice_as_json,
    assessments_of,
    course_dose_advice,
    current_dose_advice,
    held_dose_times,
    override_discontinuation,
    overrides_of,
    refresh_dose_advice,
)
from .escalation import (
    escalate_flags,
)
from .flags import (
    acknowledge_flag,
    acknowledge_flags,
    resolve_flag,
)
from .judgement import (
    _previous_answer_grades,
    _previous_measured_grades,
    _previous_report_grades,
    _save_flags,
    baseline,
    current_adverse_events,
    current_answers,
    judge_report,
    judge_visit,
    offline_guidance_thresholds,
    report_emergency_signs,
    term_info,
    therapy_indications,
    therapy_profile,
    visit_rule_events,
)
from .patients import (
    PATIENT_FIELDS,
    PossibleDuplicates,
    may_edit_patient,
    normalised_mrn,
    possible_duplicates,
    register_patient,
    update_patient,
)
from .records import (
    NOTHING_RECORDED,
    AdverseEventEntry,
    AnswerInput,
    DoseEntry,
    RecordedVisit,
    SubmittedReport,
    next_dose_number,
    record_dose,
    record_visit,
    report_sent_with,
    submit_report,
    submit_report_once,
)
from .reminders import (
    REMINDER_FROM_HOUR,
    REMINDER_UNTIL_HOUR,
    send_due_reminders,
)
from .report_photos import (
    add_report_photo,
    mark_photo_entered_in_error,
)

__all__ = [
    "course_care_team",
    "start_course",
    "AdverseEventEntry",
    "AnswerInput",
    "CORRECTABLE_FIELDS",
    "CORRECTED_NOTE",
    "COURSE_RULE_FIELDS",
    "Correction",
    "DoseEntry",
    "ENTERED_IN_ERROR_NOTE",
    "INVITATION_BIRTH_DATE_TRIES",
    "Invitation",
    "InvitationTokenGenerator",
    "NOTHING_RECORDED",
    "PATIENT_FIELDS",
    "PossibleDuplicates",
    "REMINDER_FROM_HOUR",
    "REMINDER_UNTIL_HOUR",
    "REPORT_MEASUREMENTS",
    "RecordedVisit",
    "Rejudged",
    "SubmittedReport",
    "VISIT_ASSESSMENT_FIELDS",
    "VISIT_MEASUREMENTS",
    "_finding_key",
    "_judge_dose_advice",
    "_previous_answer_grades",
    "_previous_measured_grades",
    "_previous_report_grades",
    "_rejudge",
    "_save_flags",
    "_withdraw",
    "acknowledge_flag",
    "acknowledge_flags",
    "add_report_photo",
    "advice_as_json",
    "assessments_of",
    "baseline",
    "correct_course",
    "correct_record",
    "course_dose_advice",
    "current_adverse_events",
    "current_answers",
    "current_dose_advice",
    "escalate_flags",
    "held_dose_times",
    "invitation_tokens",
    "invitation_tries_left",
    "invite_patient",
    "judge_report",
    "judge_visit",
    "mark_entered_in_error",
    "mark_photo_entered_in_error",
    "may_edit_patient",
    "may_invite",
    "next_dose_number",
    "normalised_mrn",
    "offline_guidance_thresholds",
    "override_discontinuation",
    "overrides_of",
    "possible_duplicates",
    "record_dose",
    "record_visit",
    "refresh_dose_advice",
    "refuse_invitation_birth_date",
    "register_patient",
    "rejudge_course_records",
    "report_emergency_signs",
    "report_sent_with",
    "resolve_flag",
    "send_due_reminders",
    "submit_report",
    "submit_report_once",
    "term_info",
    "therapy_indications",
    "therapy_profile",
    "update_patient",
    "visit_rule_events",
]
