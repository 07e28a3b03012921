"""Judge a course's visits and reports again with the therapy catalog as it now stands.

A new catalog version can change what is expected with a therapy (a newly labelled side
effect, an indication's own table). Flags already raised keep the judgement of the catalog
version that raised them until someone runs this command: nothing is judged again silently.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tracker import services
from tracker.models import Course, Flag

CATALOG_NOTE = "Withdrawn because the course was judged again with therapy catalog {version}"


def _withdraw_changed_expectation(findings, *, by, note, report=None, visit=None):
    """Withdraw the record's flags whose finding still holds but whose expected / not expected
    judgement the catalog changed (a correction keeps such a flag; a catalog change is exactly
    what changes it), so `_rejudge` raises them again with the new judgement."""
    flags = Flag.objects.filter(report=report) if report else Flag.objects.filter(visit=visit)
    expected = {
        services._finding_key(f.term, f.level, f.rule, f.value, f.threshold): f.expected
        for f in findings
    }
    changed = []
    for flag in flags.filter(withdrawn=False).select_related("term"):
        key = services._finding_key(
            flag.term.slug, flag.level, flag.rule, flag.value, flag.threshold
        )
        if key in expected and expected[key] != flag.expected:
            changed.append(flag)
    withdrawn, resolved = services._withdraw(changed, by=by, note=note)
    return services.Rejudged(withdrawn=withdrawn, resolved=resolved)


def rejudge_course(course: Course, *, by) -> services.Correction:
    """Judge every current visit and report of the course again, as a course correction
    does (`services.rejudge_course_records`): flags whose finding still holds, judged expected
    or not as before, stay as they are; the others are withdrawn with a note naming the catalog
    version, and new findings raise new flags carrying that version. The dose advice of the
    course is recomputed."""
    with transaction.atomic():
        course = (
            Course.objects.select_related("therapy")
            .select_for_update(of=("self",))
            .get(pk=course.pk)
        )
        version = course.therapy.catalog_version
        note = CATALOG_NOTE.format(version=version or "?")
        total = services.rejudge_course_records(
            course,
            by=by,
            note=note,
            before_each=lambda findings, **record: _withdraw_changed_expectation(
                findings, by=by, note=note, **record
            ),
        )
        services.refresh_dose_advice(
            course, by=by, reason=f"Dose advice updated: judged again with catalog {version}"
        )
    return services.Correction.of(course, [], total)


class Command(BaseCommand):
    help = (
        "Judge a course's visits and reports again with the current therapy catalog (after a "
        "catalog version change). Flags that no longer hold are withdrawn with a note, new "
        "findings raise flags that record the catalog version. Give --course ID (repeatable) "
        "or --all, and --by USERNAME (who is recorded in the flags' history)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--course", action="append", default=[], help="Course id.")
        parser.add_argument("--all", action="store_true", help="Every course not entered in error.")
        parser.add_argument("--by", required=True, help="Username recorded as who judged again.")

    def handle(self, *args, course, all, by, **options):
        if bool(course) == bool(all):
            raise CommandError("Give either --course ID (one or more) or --all.")
        try:
            user = get_user_model().objects.get(username=by, is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No active user named {by!r}.") from exc
        courses = Course.objects.filter(entered_in_error=False).order_by("pk")
        if course:
            try:
                courses = courses.filter(pk__in=course)
                found = {str(pk) for pk in courses.values_list("pk", flat=True)}
            except (ValueError, TypeError, ValidationError) as exc:
                raise CommandError(f"Not a course id: {exc}") from exc
            missing = sorted(set(course) - found)
            if missing:
                raise CommandError(
                    f"No such course (or entered in error): {', '.join(missing)}; "
                    "nothing was judged again."
                )
        for item in courses:
            judged = rejudge_course(item, by=user)
            self.stdout.write(
                f"Course {judged.record.pk}: judged with catalog "
                f"{judged.record.therapy.catalog_version or '?'}: "
                f"{len(judged.flags_raised)} flag(s) raised, "
                f"{len(judged.flags_withdrawn)} withdrawn."
            )
