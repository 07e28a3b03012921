import datetime
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker.exports import ahead


class Command(BaseCommand):
    help = (
        "Render ahead the course summary PDFs (every language, the patient's own when it "
        "differs) of the courses whose records changed, so that downloads serve a stored "
        "file. Without --once it keeps looking every --sleep seconds. Safe to run again and on "
        "several hosts at once: a course is rendered by one worker, once per version."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Render what is stale, then stop (cron)."
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="Look at every course, not only those changed in the last --hours.",
        )
        parser.add_argument(
            "--hours",
            type=float,
            default=24,
            help="At start, look at the courses changed in the last HOURS (default 24); older "
            "ones are rendered when first downloaded.",
        )
        parser.add_argument(
            "--sleep",
            type=float,
            default=5,
            help="Seconds between two looks in the loop (default 5).",
        )

    def handle(self, *args, once=False, all=False, hours=24, sleep=5, **options):
        since = None if all else timezone.now() - datetime.timedelta(hours=hours)
        worker = ahead.worker_name()
        while True:
            started = timezone.now()
            rendered = ahead.render_stale(since, worker=worker)
            if once or rendered:
                self.stdout.write(f"{rendered} PDF(s) rendered.")
            if once:
                return
            since = started
            time.sleep(sleep)
