from django.core.management.base import BaseCommand

from tracker import services


class Command(BaseCommand):
    # Run by cron every 15 minutes: the system checks (run at deploy, `check --deploy`, and when the
    # server starts) would load every page's code (PDF and chart libraries) at each run,
    # about 2 s of CPU taken from the app servers (docs/benchmarks.md, "Round 3: where the
    # targets stand at network scale").
    requires_system_checks: list[str] = []

    help = (
        "E-mail the outpatients whose symptom report is due, once per due date (safe to run "
        "again: meant for cron every 15 minutes)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--site-url",
            default="",
            help="Address of the app in the links (default: settings.SITE_URL).",
        )

    def handle(self, *args, site_url="", **options):
        sent = services.send_due_reminders(site_url=site_url)
        self.stdout.write(f"{sent} reminder(s) sent.")
