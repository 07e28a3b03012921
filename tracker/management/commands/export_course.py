"""`manage.py export_course <course id> --format pdf|csv|fhir --output FILE`.

The same exports as the download buttons and the API. With --user, the course must be in that
user's scope (and the PDF says they printed it); without, the command runs as the server.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.exports import fhir, pdf, tabular
from tracker.models import Course
from tracker.summary import build_summary

FORMATS = ("pdf", "csv", "fhir")


class Command(BaseCommand):
    help = "Export one course's summary as PDF, CSV or a FHIR R4 Bundle (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("course_id", help="The course's id (UUID).")
        parser.add_argument("--format", choices=FORMATS, required=True, dest="export_format")
        parser.add_argument(
            "--output", required=True, help="File to write; '-' writes CSV or FHIR to stdout."
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="Language of the PDF.",
        )
        parser.add_argument(
            "--user", help="Export as this user: their scope, their name on the PDF."
        )

    def handle(self, *args, course_id, export_format, output, language, user, **options):
        courses = Course.objects.all()
        printed_by = "manage.py export_course"
        if user:
            try:
                account = get_user_model().objects.get(username=user, is_active=True)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No active user named {user!r}.") from exc
            courses = Course.objects.visible_to(account)
            printed_by = account
        try:
            course = courses.get(pk=course_id)
        except (Course.DoesNotExist, ValidationError) as exc:
            raise CommandError(f"No course {course_id!r} (or not in this user's scope).") from exc
        summary = build_summary(course, chart_version=export_format == "pdf")

        if export_format == "pdf":
            if output == "-":
                raise CommandError("Write the PDF to a file (--output FILE).")
            context = pdf.document_context(summary, printed_by=printed_by)
            Path(output).write_bytes(pdf.render_pdf(context, language=language))
        else:
            if export_format == "csv":
                chunks = tabular.csv_chunks(tabular.observation_table([summary]))
            else:
                chunks = [fhir.bundle_json(summary), "\n"]
            if output == "-":
                for chunk in chunks:
                    self.stdout.write(chunk, ending="")
                return
            with open(output, "w", encoding="utf-8", newline="") as file:
                file.writelines(chunks)
        self.stderr.write(f"Wrote {output}")
