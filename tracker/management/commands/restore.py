from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database's content with a backup. Stop the app servers first. "
        "Everything written since the backup is lost."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A file written by `manage.py backup`.")
        parser.add_argument(
            "--yes", action="store_true", help="Confirm that the current data may be replaced."
        )

    def handle(self, *args, path, yes, **options):
        if not yes:
            raise CommandError("Restoring replaces the current data: add --yes to confirm.")
        try:
            restore(Path(path))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored from {path}")
