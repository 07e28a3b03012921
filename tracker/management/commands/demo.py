import logging

from django.core.management.base import BaseCommand

from tracker import demo


class Command(BaseCommand):
    help = "Create the demo clinic (once; later runs change nothing) and print its logins."

    def handle(self, *args, **options):
        if demo.exists():
            self.stdout.write("The demo clinic is already there.")
        else:
            # The per-flag audit lines would bury the logins that `make run` prints.
            logging.getLogger("tracker").setLevel(logging.WARNING)
            demo.build()
            self.stdout.write(self.style.SUCCESS("Demo clinic created."))
        self.stdout.write(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, who in demo.logins():
            self.stdout.write(f"  {username:<16} {who}")
