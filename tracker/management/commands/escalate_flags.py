from django.core.management.base import BaseCommand

from tracker import services


class Command(BaseCommand):
    # Run by cron every minute: the system checks (run at deploy, `check --deploy`, and when the
    # server starts) would load every page's code (PDF and chart libraries) at each run,
    # about 2 s of CPU taken from the app servers (docs/benchmarks.md, "Round 3: where the
    # targets stand at network scale").
    requires_system_checks: list[str] = []

    help = (
        "Tell the care team's on-call contacts, then its physicians, about urgent flags not "
        "acknowledged within their response target (safe to run again and on several hosts "
        "at once: meant for cron every minute)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--site-url",
            default="",
            help="Address of the app in the links (default: settings.SITE_URL).",
        )

    def handle(self, *args, site_url="", **options):
        sent = services.escalate_flags(site_url=site_url)
        self.stdout.write(f"{sent} escalation(s) sent.")
