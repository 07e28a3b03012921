"""`python -m bench.seed_copy --patients N [--seed S] [--insert copy|values] [...]`: the
benchmark's seeding (same arguments), through COPY on PostgreSQL (bench/copy_rows.py) unless
`--insert values` asks for the prepared INSERTs (to compare the two). Run with the
benchmark's settings and DATABASE_URL (bench/run.py does)."""

import sys

import django


def main(argv):
    insert = "copy"
    if "--insert" in argv:
        at = argv.index("--insert")
        insert = argv[at + 1] if at + 1 < len(argv) else ""
        del argv[at : at + 2]
    if insert not in ("copy", "values"):
        raise SystemExit("--insert is copy or values")
    django.setup()
    from bench import copy_rows

    if insert == "copy":
        copy_rows.use_copy()
    try:
        from bench.seed import main as seed
    except ImportError:  # before the seeding command moved to bench/
        from django.core.management import call_command

        def seed(argv):
            call_command("seed_scale", *argv)

    seed(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
