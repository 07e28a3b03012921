"""`make bench`: seed a fresh database, measure every page against the floor, then a load run.

    .venv/bin/python bench/run.py [--patients 2000] [--database-url URL] [--reuse] [--quick] ...

The database is a SQLite file under bench/.data/ unless --database-url (or the environment's
BENCH_DATABASE_URL) names a PostgreSQL database, which is dropped and created again: its name
must contain "bench", so that no other database can be dropped by mistake. --reuse keeps a
database seeded by an earlier run (same URL) and measures it again. --quick takes fewer
samples (for a small-scale check that everything runs; its figures are rough).

Results: a table on the terminal, and JSON plus Markdown under bench/.data/results/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
SETTINGS = "bench.settings"
MEMORY_ROWS = (10_000, 100_000, 1_000_000)


def log(message=""):
    print(message, flush=True)


# --- The database --------------------------------------------------------------------------------


def database_url(args):
    url = args.database_url or os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{DATA / f'bench-{args.patients}.sqlite3'}"


def fresh_database(url):
    import environ

    config = environ.Env.db_url_config(url)
    name = config["NAME"]
    if config["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        return
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit(f"unsupported database for the benchmark: {config['ENGINE']}")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: a benchmark database's name contains 'bench'")
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname="postgres",
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        autocommit=True,
    ) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def manage(env, *args):
    return run_python(env, str(ROOT / "manage.py"), *args)


def run_python(env, *args):
    command = [sys.executable, *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def seed(env, patients, seed_value, insert="copy"):
    how = "COPY" if insert == "copy" and "postgres" in env["DATABASE_URL"] else "INSERTs"
    log(f"Seeding {patients:,} patients (fresh database, rows by {how})...")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_catalog", "-v0")
    started = time.perf_counter()
    # the seeding command, through COPY on PostgreSQL (bench/copy_rows.py)
    out = run_python(
        env,
        "-m",
        "bench.seed_copy",
        "--patients",
        str(patients),
        "--seed",
        str(seed_value),
        "--insert",
        insert,
    )
    seconds = time.perf_counter() - started
    counts = {}
    for line in out.splitlines():
        match = re.match(r"\s+([a-z ]+?)\s+([\d,]+)$", line)
        if match:
            counts[match.group(1)] = int(match.group(2).replace(",", ""))
        if not line.strip().startswith(tuple("0123456789")):
            log(line)
    return {"counts": counts, "seconds": round(seconds, 1), "insert": how}


# --- The machine ---------------------------------------------------------------------------------


def machine(connection):
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), ""
            )
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            database = f"SQLite {cursor.fetchone()[0]}"
        else:
            cursor.execute("show server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
    import django

    load = os.getloadavg() if hasattr(os, "getloadavg") else ()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
        "load_average_at_start": [round(x, 2) for x in load],
        "platform": platform.platform(),
    }


# --- Cohort memory -------------------------------------------------------------------------------


def cohort_memory(env):
    """Peak memory at 10,000, 100,000 and 1,000,000 rows (as many as the database holds)."""
    results = []
    for rows in MEMORY_ROWS:
        done = subprocess.run(
            [sys.executable, "-m", "bench.cohort_memory", str(rows)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            log(f"  cohort memory at {rows:,} rows failed: {done.stderr[-500:]}")
            break
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["asked"] = rows
        results.append(result)
        log(
            f"  cohort memory: {result['rows']:>9,} rows  peak RSS {result['rss_peak_mib']:7.1f} "
            f"MiB (before export {result['rss_before_mib']:.1f} MiB)  "
            f"{result['rows_per_s']:,} rows/s"
        )
        if result["rows"] < rows:
            log(f"  (the whole database holds {result['rows']:,} rows; a larger N gives more)")
            break
    return results


# --- Report --------------------------------------------------------------------------------------


def markdown(report, earlier=None):
    from bench import targets

    m = report["machine"]
    lines = [
        f"### {report['scale']} scale ({report['patients']:,} patients) on {m['database']}",
        "",
        f"{report['started']} · {m['cpus']} CPUs ({m['cpu']}), {m['memory']}, Python "
        f"{m['python']}, Django {m['django']}; load average at start "
        f"{', '.join(map(str, m['load_average_at_start']))}",
        "",
        "| measurement | median | p95 | floor | ratio | queries | target | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in report["results"]:
        if not r["available"]:
            lines.append(f"| {r['name']} | {r['note']} | | | | | {r['target']} | |")
            continue
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        ratio = f"{r['ratio']}×" if r["ratio"] is not None else ""
        if r["name"] == "cohort CSV":
            x = r["extra"]
            lines.append(
                f"| cohort CSV ({x['export_rows']:,} rows) | {x['export_rows_per_s']:,} rows/s | | "
                f"raw {x['raw_rows_per_s']:,} rows/s | {ratio} | | {r['target']} | {met} |"
            )
            continue
        lines.append(
            f"| {r['name']} | {r['median_ms']} ms | {r['p95_ms']} ms | "
            f"{r['floor_median_ms'] or ''} ms | {ratio} | {r['queries']} | {r['target']} | {met} |"
        )
    if report.get("memory"):
        lines += [
            "",
            "| cohort export rows | peak RSS | RSS before | rows/s |",
            "| ---: | ---: | ---: | ---: |",
        ]
        for x in report["memory"]:
            lines.append(
                f"| {x['rows']:,} | {x['rss_peak_mib']} MiB | {x['rss_before_mib']} MiB | "
                f"{x['rows_per_s']:,} |"
            )
    load = report.get("load") or {}
    if load.get("available"):
        lines += [
            "",
            f"Load run: gunicorn {load.get('workers', 2)} workers, wrk {load['connections']} "
            f"connections for "
            f"{load['seconds']:.0f} s: **{load['rps']:.1f} req/s**, p50 {load['p50_ms']:.1f} ms, "
            f"p90 {load['p90_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, max {load['max_ms']:.0f} "
            f"ms, {load['requests']:,} requests, **{load['errors']} errors**.",
        ]
    elif load:
        lines += ["", f"Load run: {load.get('note')}"]
    seed_info = report.get("seed")
    if seed_info:
        c = seed_info["counts"]
        lines += [
            "",
            f"Seed ({seed_info.get('insert', 'values')}): {seed_info['seconds']} s for "
            f"{c.get('courses', 0):,} courses, "
            f"{c.get('answers', 0):,} answers, {c.get('visits', 0):,} visits, "
            f"{c.get('flags', 0):,} flags ({c.get('open flags', 0):,} open), "
            f"{c.get('history rows', 0):,} history rows.",
        ]
    return "\n".join(lines) + "\n\n" + targets.markdown(report, earlier)


# --- Main ----------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=2000, help="2,000 clinic; 20,000 network")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="default: BENCH_DATABASE_URL, or a SQLite file")
    parser.add_argument("--reuse", action="store_true", help="measure an already seeded database")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--pdf-requests", type=int, default=20)
    parser.add_argument(
        "--budget", type=float, default=60, help="seconds at most per page (fewer requests)"
    )
    parser.add_argument("--cohort-repeats", type=int, default=3)
    parser.add_argument("--load-seconds", type=int, default=30)
    parser.add_argument("--load-connections", type=int, default=8)
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn + wrk run")
    parser.add_argument("--no-memory", action="store_true", help="skip the cohort memory runs")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers in the load run")
    parser.add_argument(
        "--no-jobs",
        action="store_true",
        help="no escalation and reminder jobs during the load run (to compare)",
    )
    parser.add_argument(
        "--insert",
        choices=("copy", "values"),
        default="copy",
        help="how seeding writes rows on PostgreSQL: COPY, or prepared INSERTs (SQLite: INSERTs)",
    )
    parser.add_argument(
        "--compare",
        default="auto",
        metavar="RESULT.json",
        help="an earlier run at another scale, for the growth targets (default: the latest "
        "result on the same database at another scale; 'none' for none)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="few samples (20 per page, 5 PDFs, 10 s of load, no memory runs): checks that "
        "everything runs; rough figures",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="measure only scenarios whose name contains NAME (repeatable), e.g. 'triage'",
    )
    args = parser.parse_args(argv)
    if args.quick:  # fewer samples, unless an option says otherwise
        quick = {
            "requests": 20,
            "warmup": 3,
            "pdf_requests": 5,
            "budget": 10,
            "cohort_repeats": 1,
            "load_seconds": 10,
            "no_memory": True,
        }
        for name, value in quick.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    url = database_url(args)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": SETTINGS}
    env.pop("DEBUG", None)  # measured as deployed: DEBUG off
    started = datetime.datetime.now().astimezone()
    seed_info = None
    if not args.reuse:
        fresh_database(url)
        seed_info = seed(env, args.patients, args.seed, args.insert)
    else:
        manage(env, "migrate", "--noinput", "-v0")  # the code measured may have new tables
    os.environ.update(env)

    import django

    django.setup()
    from django.db import connection

    from bench import load, measure, targets

    info = machine(connection)
    scale_name = (
        "network" if args.patients >= 20000 else "clinic" if args.patients >= 2000 else "small"
    )
    log(
        f"\nMachine: {info['cpus']} CPUs, {info['memory']}, Python {info['python']}, "
        f"{info['database']}"
    )
    log("Preparing the cast (and the 500-answer course)...")
    cast = measure.cast()
    for note in cast.notes:
        log(f"  {note}")
    runner = measure.Runner(
        requests=args.requests, warmup=args.warmup, budget=args.budget, log=log, only=args.only
    )
    log(f"\nServer side, in process ({args.requests} timed requests each after {args.warmup}):")
    results = measure.pages(runner, cast)
    results.append(measure.pdf(runner, cast, args.pdf_requests))
    results.append(measure.cohort(runner, cast, args.cohort_repeats))

    memory = []
    if not args.no_memory:
        log("\nCohort export memory (fresh process per size, whole database, oldest first):")
        memory = cohort_memory(env)

    load_result = None
    if not args.no_load:
        log("\nLoad run:")
        body = json.dumps(measure.report_payload(cast.patient_course))
        load_result = load.run(
            env,
            cast,
            seconds=args.load_seconds,
            connections=args.load_connections,
            body=body,
            workers=args.workers,
            jobs=not args.no_jobs,
            log=log,
        )

    report = {
        "started": started.isoformat(timespec="seconds"),
        "patients": args.patients,
        "scale": scale_name,
        "database_url": re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url),
        "machine": info,
        "seed": seed_info,
        "cast": cast.notes,
        "results": [r.as_dict() for r in results],
        "memory": memory,
        "load": load_result,
    }
    results_dir = DATA / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{started:%Y%m%d-%H%M%S}-{connection.vendor}-{args.patients}"
    earlier = targets.compare_with(
        report, None if args.compare == "none" else args.compare, results_dir
    )
    if earlier:
        report["compared_with"] = earlier["started"]
    report["targets"] = targets.rows(report, earlier)
    (results_dir / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str))
    text = markdown(report, earlier)
    (results_dir / f"{stem}.md").write_text(text)
    log("\n" + text)
    log(f"Results: {results_dir / stem}.json and .md")
    missed = [t for t, _m, verdict in targets.rows(report, earlier) if "not met" in verdict]
    if missed:
        log("Round 3 targets not met: " + "; ".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
