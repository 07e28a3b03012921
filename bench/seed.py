"""Fill a fresh database with realistic data at scale for the benchmark (bench/scale.py):

    DATABASE_URL=... .venv/bin/python -m bench.seed --patients 2000 [--seed 1] [--no-history]

N patients with about 2 courses each, their doses, visits, symptom reports and the flags the
rules raise, inserted in bulk. N=2,000 is a clinic (~4,000 courses, ~200,000 answers),
N=20,000 a network. Run after `manage.py migrate`; the settings are the benchmark's
(bench.settings) unless DJANGO_SETTINGS_MODULE names others.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

COUNTED = (
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
)


def parser() -> argparse.ArgumentParser:
    from bench import scale

    parser = argparse.ArgumentParser(
        prog="python -m bench.seed", description=__doc__.split("\n")[0]
    )
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
    parser.add_argument("-v", "--verbosity", type=int, default=1, choices=(0, 1, 2))
    return parser


def main(argv: list[str] | None = None, out=None) -> None:
    """Seed the database Django is set up with; SystemExit with the reason when it refuses."""
    from django.core.management import call_command

    from bench import scale
    from therapies.models import Therapy

    out = out or sys.stdout
    args = parser().parse_args(argv)
    if args.patients < 1:
        raise SystemExit("--patients must be at least 1.")
    if scale.already_seeded():
        raise SystemExit("This database already holds seeded benchmark data; seed a fresh one.")
    if not Therapy.objects.exists():
        call_command("load_catalog", verbosity=0)
    logging.getLogger("tracker").setLevel(logging.WARNING)
    clinicians, teams = scale.staff_size(args.patients)
    print(
        f"Seeding {args.patients:,} patients ({clinicians} clinicians in {teams} care teams), "
        f"seed {args.seed}, history {'off' if args.no_history else 'on'}...",
        file=out,
    )

    def progress(done, total, counts):
        if args.verbosity >= 2 or (args.verbosity >= 1 and total >= 1000):
            print(f"  {done:>7,}/{total:,} patients  {counts['answers']:>10,} answers", file=out)

    counts = scale.seed(
        args.patients,
        args.seed,
        history=not args.no_history,
        batch_patients=args.batch,
        progress=progress,
    )
    seconds = counts.pop("seconds")
    for name in COUNTED:
        if name in counts:
            print(f"  {name.replace('_', ' '):<16}{counts[name]:>12,}", file=out)
    print(f"Done in {seconds:.1f} s.", file=out)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    main()
