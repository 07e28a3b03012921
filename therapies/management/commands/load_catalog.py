from django.core.management.base import BaseCommand, CommandError

from therapies.catalog import CatalogError, describe, describe_not_in_file, load_catalog


class Command(BaseCommand):
    help = (
        "Load or update the therapy catalog (terms, therapies, expected side effects) from "
        "therapies/data/catalog.json or the given file. Safe to run again: unchanged rows are left "
        "alone and rows missing from the file are kept and listed, never deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="Catalog JSON file (default: the bundled one).")

    def handle(self, *args, path=None, verbosity=1, **options):
        try:
            summary = load_catalog(path)
        except CatalogError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(describe(summary)))
            extra = describe_not_in_file(summary)
            if extra:
                self.stdout.write(self.style.WARNING(extra))
