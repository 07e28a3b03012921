from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (safe while the app runs) into a timestamped file."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="backups", help="Directory for the backup file.")

    def handle(self, *args, output, **options):
        try:
            path = backup(Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backup written to {path}")
