"""The benchmark's seeding: realistic, consistent with the rules, repeatable (bench/scale.py,
bench/seed.py)."""

from collections import Counter

import pytest

from bench import scale, seed
from therapies.models import Setting
from tracker import rules, services
from tracker.models import (
    AdverseEvent,
    CareTeam,
    Course,
    CourseStatus,
    DoseAdministration,
    Flag,
    FlagStatus,
    Patient,
    SymptomAnswer,
    SymptomReport,
    User,
    Visit,
)

pytestmark = pytest.mark.django_db


def fingerprint():
    """What the seeded data say, without the timestamps of the run."""
    return (
        sorted(
            Course.objects.values_list(
                "id", "patient__mrn", "therapy__slug", "status", "start_date", "end_date"
            )
        ),
        sorted(
            SymptomAnswer.objects.values_list(
                "report_id", "term__slug", "frequency", "severity", "interference", "present"
            )
        ),
        sorted(Flag.objects.values_list("id", "level", "rule", "term__slug", "status")),
        sorted(Visit.objects.values_list("id", "systolic_bp", "dose_advice")),
    )


# --- Size and shape ------------------------------------------------------------------------------


def test_five_patients_make_one_team_of_two_clinicians(seeded):
    with seeded(5) as counts:
        assert (counts["teams"], counts["clinicians"]) == (1, 2)
        assert CareTeam.objects.get().members.count() == 2


def test_staff_scales_with_patients():
    assert scale.staff_size(2_000) == (20, 5)
    assert scale.staff_size(20_000) == (200, 50)


def test_five_patients_have_one_to_four_courses_each(seeded):
    with seeded(5):
        per_patient = Counter(Course.objects.values_list("patient_id", flat=True))
        assert Patient.objects.count() == 5
        assert set(per_patient.values()) <= {1, 2, 3, 4}
        assert len(per_patient) == 5


def test_courses_are_on_their_patients_team(seeded):
    with seeded(5):
        for course in Course.objects.select_related("patient"):
            assert course.care_team_id == course.patient.care_team_id


def test_counts_printed_match_the_database(seeded):
    with seeded(5) as counts:
        assert counts["courses"] == Course.objects.count()
        assert counts["answers"] == SymptomAnswer.objects.count()
        assert counts["visits"] == Visit.objects.count()
        assert counts["flags"] == Flag.objects.count()
        assert counts["open flags"] == Flag.objects.filter(status=FlagStatus.OPEN).count()


def test_thirty_patients_have_the_volumes_of_a_clinic_per_course(seeded):
    # N=2,000 should give ~4,000 courses, ~200,000 answers, ~40,000 visits, ~10,000 open flags.
    with seeded(30) as counts:
        courses = counts["courses"]
        assert 1.5 <= courses / 30 <= 2.5
        assert 35 <= counts["answers"] / courses <= 65
        assert 7 <= counts["visits"] / courses <= 13
        assert 1.2 <= counts["open flags"] / courses <= 4


def test_high_dose_il2_is_a_minority_and_outpatients_the_majority(seeded):
    with seeded(30):
        settings = Counter(Course.objects.values_list("therapy__setting", flat=True))
        assert settings[Setting.OUTPATIENT] > 0.8 * sum(settings.values())


def test_outpatient_reports_are_entered_by_the_patient_mostly(seeded):
    with seeded(10):
        sources = Counter(SymptomReport.objects.values_list("source", flat=True))
        assert sources["patient"] > sources["clinician"]


def test_planned_courses_have_no_records_yet(seeded):
    with seeded(12):
        planned = Course.objects.filter(status=CourseStatus.PLANNED)
        assert not SymptomReport.objects.filter(course__in=planned).exists()
        assert not Visit.objects.filter(course__in=planned).exists()


# --- Consistent with the rules -------------------------------------------------------------------


def test_composite_grades_are_the_rules_grades(seeded):
    with seeded(5):
        for answer in SymptomAnswer.objects.select_related("term"):
            expected = rules.composite_grade(
                answer.term.attributes, answer.frequency, answer.severity, answer.interference
            )
            assert answer.composite_grade == (None if answer.term.is_presence else expected)


def test_every_answer_passes_the_model_checks(seeded):
    with seeded(5):
        for answer in SymptomAnswer.objects.select_related("term"):
            answer.clean()


def _flags_of(record_filter):
    return sorted(Flag.objects.filter(**record_filter).values_list("term__slug", "level", "rule"))


def _findings(evaluation):
    return sorted((f.term, f.level, f.rule) for f in evaluation.findings)


def test_report_flags_are_what_the_services_would_raise(seeded):
    with seeded(5):
        reports = SymptomReport.objects.select_related("course__therapy")
        assert reports.exists()
        for report in reports:
            evaluation = services.judge_report(report)
            assert _flags_of({"report": report}) == _findings(evaluation)


def test_visit_flags_and_dose_advice_are_what_the_services_would_give(seeded):
    with seeded(8):
        visits = Visit.objects.select_related("course__therapy")
        assert visits.exists()
        for visit in visits:
            evaluation = services.judge_visit(visit)
            assert _flags_of({"visit": visit}) == _findings(evaluation)
        for course in {visit.course for visit in visits}:
            # Judged again on the stored course, no visit's advice would change.
            assert services._judge_dose_advice(course, services.therapy_profile(course)) == []


def test_flags_dealt_with_say_who_and_when(seeded):
    with seeded(5):
        for flag in Flag.objects.exclude(status=FlagStatus.OPEN):
            assert flag.acknowledged_by_id and flag.acknowledged_at >= flag.created_at
        for flag in Flag.objects.filter(status=FlagStatus.RESOLVED):
            assert flag.resolved_by_id and flag.resolved_at >= flag.acknowledged_at


def test_held_doses_give_a_reason(seeded):
    with seeded(6, seed=15):  # a high-dose IL-2 course with held doses
        assert not DoseAdministration.objects.filter(status="held", reason="").exists()


# --- History -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", [Patient, Course, DoseAdministration, SymptomReport, SymptomAnswer, Visit, Flag]
)
def test_each_seeded_record_has_its_creation_in_history(seeded, model):
    with seeded(5):
        assert model.objects.exists()
        history = model.history.filter(history_type="+")
        assert history.count() == model.objects.count()


def test_adverse_events_have_history_too(seeded):
    with seeded(6, seed=15):
        assert AdverseEvent.history.count() == AdverseEvent.objects.count() > 0


def test_without_history_no_history_rows_are_written(seeded):
    with seeded(5, history=False):
        assert SymptomAnswer.objects.exists()
        assert not SymptomAnswer.history.exists()


def test_report_history_is_dated_when_the_report_was_made(seeded):
    with seeded(5):
        report = SymptomReport.objects.first()
        assert report.history.get().history_date == report.reported_at


# --- Repeatable ----------------------------------------------------------------------------------


def test_the_same_seed_makes_the_same_data(seeded):
    with seeded(5, seed=7):
        first = fingerprint()
    with seeded(5, seed=7):
        assert fingerprint() == first


def test_another_seed_makes_other_data(seeded):
    with seeded(5, seed=7):
        first = fingerprint()
    with seeded(5, seed=8):
        assert fingerprint() != first


def test_the_batch_size_does_not_change_the_data(seeded):
    with seeded(6, batch_patients=6):
        first = fingerprint()
    with seeded(6, batch_patients=2):
        assert fingerprint() == first


# --- After seeding -------------------------------------------------------------------------------


def test_a_new_report_can_be_saved_after_seeding(seeded):
    # Answer ids are given by the seeder: the database's own sequence must be past them.
    with seeded(3):
        course = Course.objects.filter(status=CourseStatus.ACTIVE).first() or Course.objects.first()
        term = SymptomAnswer.objects.first().term
        clinician = User.objects.get(username=f"{scale.CLINICIAN_PREFIX}001")
        report = services.submit_report(
            course=course,
            by=clinician,
            answers=[services.AnswerInput(term=term, **dict.fromkeys(term.attributes, 1))]
            if not term.is_presence
            else [services.AnswerInput(term=term, present=True)],
        ).report
        assert report.answers.count() == 1


def test_seeding_script_prints_counts_and_time(capsys):
    seed.main(["--patients", "3"])
    out = capsys.readouterr().out
    assert "Seeding 3 patients" in out
    assert "answers" in out
    assert "open flags" in out
    assert "Done in" in out
    assert Patient.objects.count() == 3


def test_seeding_script_refuses_a_database_already_seeded(capsys):
    seed.main(["--patients", "2"])
    with pytest.raises(SystemExit, match="already"):
        seed.main(["--patients", "2"])
    assert Patient.objects.count() == 2


def test_seeding_script_refuses_no_patients():
    with pytest.raises(SystemExit, match="at least 1"):
        seed.main(["--patients", "0"])


def test_high_dose_il2_assessments_drive_the_doses_as_the_rules_advise(seeded):
    with seeded(6, seed=15):  # this seed has a high-dose IL-2 course held, then stopped
        visits = Visit.objects.filter(course__therapy__slug="aldesleukin-high-dose").select_related(
            "course__therapy"
        )
        assert visits.exists()
        for visit in visits:
            evaluation = services.judge_visit(visit)
            assert _flags_of({"visit": visit}) == _findings(evaluation)
        for course in {visit.course for visit in visits}:
            assert services._judge_dose_advice(course, services.therapy_profile(course)) == []
        decisions = Counter(v.dose_advice["decision"] for v in visits)
        assert decisions["give"] and (decisions["hold"] or decisions["discontinue"])
