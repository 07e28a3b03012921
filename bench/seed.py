"""`python -m bench.seed --patients N [--seed S] [--insert copy|values]`: `seed_scale`, through
COPY on PostgreSQL (bench/copy_rows.py) unless `--insert values` asks for the prepared INSERTs
(to compare the two). Run with the benchmark's settings and DATABASE_URL (bench/run.py does)."""

import sys

import django


def main(argv):
    insert = "copy"
    if "--insert" in argv:
        at = argv.index("--insert")
        insert = argv[at + 1]
        del argv[at : at + 2]
    if insert not in ("copy", "values"):
        raise SystemExit("--insert is copy or values")
    django.setup()
    from django.core.management import call_command

    from bench import copy_rows

    if insert == "copy":
        copy_rows.use_copy()
    call_command("seed_scale", *argv)


if __name__ == "__main__":
    main(sys.argv[1:])
