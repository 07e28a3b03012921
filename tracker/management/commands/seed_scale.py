import logging

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from therapies.models import Therapy
from tracker import scale


class Command(BaseCommand):
    help = (
        "Fill the database with realistic data at scale (bulk inserts): N patients with about "
        "2 courses each, their doses, visits, symptom reports and the flags the rules raise. "
        "N=2,000 is a clinic (~4,000 courses, ~200,000 answers), N=20,000 a network."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True, help="number of patients")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="skip the history rows of the seeded records (faster; history pages empty)",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=scale.BATCH_PATIENTS,
            help="patients per transaction (default %(default)s)",
        )

    def handle(self, *args, patients, seed, no_history, batch, verbosity, **options):
        if patients < 1:
            raise CommandError("--patients must be at least 1.")
        if scale.already_seeded():
            raise CommandError(
                "This database already holds seed_scale data; seed a fresh database."
            )
        if not Therapy.objects.exists():
            call_command("load_catalog", verbosity=0)
        logging.getLogger("tracker").setLevel(logging.WARNING)
        clinicians, teams = scale.staff_size(patients)
        self.stdout.write(
            f"Seeding {patients:,} patients ({clinicians} clinicians in {teams} care teams), "
            f"seed {seed}, history {'off' if no_history else 'on'}..."
        )

        def progress(done, total, counts):
            if verbosity >= 2 or (verbosity >= 1 and total >= 1000):
                self.stdout.write(
                    f"  {done:>7,}/{total:,} patients  {counts['answers']:>10,} answers"
                )

        counts = scale.seed(
            patients, seed, history=not no_history, batch_patients=batch, progress=progress
        )
        seconds = counts.pop("seconds")
        for name in (
            "teams",
            "clinicians",
            "users",
            "patients",
            "courses",
            "doses",
            "reports",
            "answers",
            "visits",
            "adverse_events",
            "flags",
            "open flags",
            "history rows",
        ):
            if name in counts:
                self.stdout.write(f"  {name.replace('_', ' '):<16}{counts[name]:>12,}")
        self.stdout.write(self.style.SUCCESS(f"Done in {seconds:.1f} s."))
