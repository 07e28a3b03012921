"""`manage.py export_cohort --therapy SLUG --from DATE --to DATE [--pseudonymise] --output FILE`.

Every observation of the courses of one therapy whose start date is in the range (both ends
included), as CSV, written while it is read (memory stays flat). Without --user every course
is exported (the command runs as the server, like an administrator); with --user, that user's
scope.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from therapies.models import Therapy
from tracker.exports import tabular
from tracker.exports.cohort import cohort_courses, cohort_table
from tracker.models import Course


def _date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = "Export every observation of a therapy's courses started in a date range, as CSV."

    def add_arguments(self, parser):
        parser.add_argument("--therapy", required=True, help="The therapy's slug.")
        parser.add_argument("--from", required=True, dest="start_from", help="YYYY-MM-DD")
        parser.add_argument("--to", required=True, dest="start_to", help="YYYY-MM-DD")
        parser.add_argument(
            "--pseudonymise",
            action="store_true",
            help="No names, MRN, birth dates or free text; stable codes per patient and course.",
        )
        parser.add_argument("--output", required=True, help="CSV file to write; '-' for stdout.")
        parser.add_argument("--user", help="Export as this user (their scope).")

    def handle(self, *args, therapy, start_from, start_to, pseudonymise, output, user, **options):
        start_from, start_to = _date(start_from), _date(start_to)
        if start_to < start_from:
            raise CommandError("--to is before --from.")
        try:
            therapy = Therapy.objects.get(slug=therapy)
        except Therapy.DoesNotExist as exc:
            raise CommandError(f"No therapy {therapy!r}.") from exc
        scope = Course.objects.all()
        if user:
            try:
                account = get_user_model().objects.get(username=user, is_active=True)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No active user named {user!r}.") from exc
            scope = Course.objects.visible_to(account)
        courses = cohort_courses(scope, therapy=therapy, start_from=start_from, start_to=start_to)
        rows = 0

        def counted(table):
            nonlocal rows
            yield next(table)  # the header
            for row in table:
                rows += 1
                yield row

        chunks = tabular.csv_chunks(counted(cohort_table(courses, pseudonymised=pseudonymise)))
        if output == "-":
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        with open(output, "w", encoding="utf-8", newline="") as file:
            for chunk in chunks:
                file.write(chunk)
        self.stderr.write(f"Wrote {output}: {rows} observations.")
