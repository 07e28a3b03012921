"""Round 3's targets (issue 17), each judged from one run's figures: met, not met, or not judged
(and why). The targets whose wording names a scale (network: 20,000 patients) or a database
(PostgreSQL) are still judged on a smaller or SQLite run, marked "here", so that a quick run
shows where the product stands; only a network-scale PostgreSQL run judges them for real.
"""

from __future__ import annotations

import json
from pathlib import Path

NETWORK = 20_000
SEED_MINUTES = 10  # "minutes, not half an hour"
GROWTH = 1.3  # network time at most 1.3× clinic time
# Not pages: references, the PDF (its own targets) and the CSV export (rows per second).
NOT_PAGES = ("floor", "layout floor", "cohort CSV")


def _verdict(ok, *, real=True):
    if ok is None:
        return "not judged"
    word = "met" if ok else "**not met**"
    return word if real else f"{word} here"


def _by_name(report):
    return {r["name"]: r for r in report["results"] if r.get("available")}


def _ratio_row(results, name, limit, label):
    r = results.get(name)
    if r is None:
        return (label, "not measured", "not judged")
    return (
        label,
        f"{r['ratio']}× ({r['median_ms']} ms, p95 {r['p95_ms']} ms)",
        _verdict(r["ratio"] <= limit),
    )


def _pages(results):
    return [r for name, r in results.items() if name not in NOT_PAGES and "PDF" not in name]


def compare_with(report, path_or_auto, results_dir: Path):
    """The earlier run to compare growth with: a path, or "auto" (the latest result on the same
    database at another scale), or None."""
    if not path_or_auto:
        return None
    if path_or_auto != "auto":
        return json.loads(Path(path_or_auto).read_text())
    vendor = "sqlite" if report["machine"]["database"].startswith("SQLite") else "postgresql"
    candidates = []
    for path in sorted(results_dir.glob(f"*-{vendor}-*.json")):
        try:
            other = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if other.get("patients") != report["patients"] and other.get("results"):
            candidates.append(other)
    return candidates[-1] if candidates else None


def rows(report, earlier=None):
    """(target, measured, verdict) for every round-3 target."""
    results = _by_name(report)
    network = report["patients"] >= NETWORK
    postgresql = report["machine"]["database"].startswith("PostgreSQL")
    real = network and postgresql
    out = [
        _ratio_row(results, "triage", 4, "Triage queue ≤ 4× the floor"),
        _ratio_row(
            results, "course page + charts (typical)", 8, "Course page with charts ≤ 8× (typical)"
        ),
        _ratio_row(
            results, "course page + charts (big)", 8, "Course page with charts ≤ 8× (500 answers)"
        ),
        _ratio_row(results, "not reported", 8, "Not-reported list ≤ 8×"),
        _ratio_row(results, "report submission", 5, "Report submission ≤ 5×"),
    ]

    pages = _pages(results)
    if pages:
        worst = max(pages, key=lambda r: r["p95_ms"])
        out.append(
            (
                "Every page and API answer ≤ 100 ms p95 (network scale)",
                f"worst p95 {worst['p95_ms']} ms ({worst['name']}), {len(pages)} measured",
                _verdict(worst["p95_ms"] <= 100, real=network),
            )
        )

    pdfs = [results.get("course PDF (typical course)"), results.get("course PDF (big course)")]
    if all(pdfs):
        typical, big = pdfs
        out.append(
            (
                "Course PDF download < 200 ms p95 (rendered ahead)",
                f"typical p95 {typical['p95_ms']} ms, 500-answer p95 {big['p95_ms']} ms",
                _verdict(max(typical["p95_ms"], big["p95_ms"]) < 200),
            )
        )
        label = "First download after a change within one render (< 1 s typical, < 2 s 500 answers)"
        first = (typical["extra"].get("first_ms"), big["extra"].get("first_ms"))
        if None in first:
            out.append((label, "not measured (no first download timed)", "not judged"))
        else:
            out.append(
                (
                    label,
                    f"typical {first[0]} ms, 500-answer {first[1]} ms (one request each: "
                    "indicative)",
                    _verdict(first[0] < 1000 and first[1] < 2000),
                )
            )
    else:
        out.append(("Course PDF download < 200 ms p95 (rendered ahead)", "not measured", "—"))

    checks = [
        results[name]["extra"].get("paginated")
        for name in ("API course list, a page", "API course flags, a page")
        if name in results
    ]
    if checks:
        ok = all(c and c.get("ok") for c in checks)
        detail = "; ".join(
            f"{c['page']} of {c['rows']} rows, Link {'yes' if c['link'] else 'no'}"
            if c.get("ok")
            else c.get("why", "?")
            for c in checks
        )
        out.append(("API lists paginate on request (`?limit=`, Link header)", detail, _verdict(ok)))

    seed = report.get("seed")
    if seed and seed.get("seconds"):
        minutes = seed["seconds"] / 60
        per_network = seed["seconds"] / report["patients"] * NETWORK / 60
        measured = f"{report['patients']:,} patients in {minutes:.1f} min"
        if not network:
            measured += f" (≈ {per_network:.0f} min for 20,000 at this rate)"
        out.append(
            (
                f"Network scale seeded on PostgreSQL in minutes (≤ {SEED_MINUTES} min, COPY)",
                measured + ("" if postgresql else ", SQLite"),
                _verdict(per_network <= SEED_MINUTES, real=real),
            )
        )
    else:
        out.append(("Network scale seeded on PostgreSQL in minutes", "not seeded in this run", "—"))

    load = report.get("load") or {}
    if load.get("available"):
        ok = load["errors"] == 0 and load["p99_ms"] < 250 and load.get("workers") == 4
        out.append(
            (
                "Load run, 4 gunicorn workers: 0 errors, p99 < 250 ms (network, PostgreSQL)",
                f"{load['rps']:.1f} req/s, p99 {load['p99_ms']:.0f} ms, {load['errors']} errors, "
                f"{load.get('workers')} workers, {load['connections']} connections",
                _verdict(ok, real=real),
            )
        )
        jobs = load.get("jobs")
        if jobs:
            runs = sum(j["runs"] for j in jobs.values())
            failed = sum(j["failed"] for j in jobs.values())
            slowest = max((j["max_s"] or 0) for j in jobs.values())
            out.append(
                (
                    "Escalation and reminder jobs run during the load",
                    f"{runs} runs, {failed} failed, slowest {slowest} s (the load figures above "
                    "are with them running)",
                    _verdict(runs > 0 and failed == 0 and ok, real=real),
                )
            )
    else:
        out.append(("Load run, 4 gunicorn workers", load.get("note", "not run"), "not judged"))

    out += growth_rows(report, earlier)
    return out


def growth_rows(report, earlier):
    label = f"Cost grows no faster than the data (≤ {GROWTH}× per page, same query counts)"
    if earlier is None:
        return [(label, "no run at another scale to compare with (--compare)", "not judged")]
    small, large = sorted([earlier, report], key=lambda r: r["patients"])
    a, b = _by_name(small), _by_name(large)
    names = [r["name"] for r in _pages(b) if r["name"] in a]
    if not names:
        return [(label, "no page measured in both runs", "not judged")]
    # The ratios to the floor: runs at different times see different loads on the machine.
    growth = {n: b[n]["ratio"] / a[n]["ratio"] for n in names if a[n]["ratio"]}
    worst = max(growth, key=growth.get)
    queries = [n for n in names if a[n]["queries"] != b[n]["queries"]]
    scales = f"{small['patients']:,} → {large['patients']:,} patients"
    return [
        (
            f"Time at the larger scale ≤ {GROWTH}× the smaller (ratios to the floor)",
            f"{scales}: worst {growth[worst]:.2f}× ({worst}), {len(names)} pages",
            _verdict(growth[worst] <= GROWTH, real=large["patients"] >= NETWORK),
        ),
        (
            "Query counts equal at both scales",
            f"{scales}: " + (", ".join(queries) + " differ" if queries else "all equal"),
            _verdict(not queries),
        ),
    ]


def markdown(report, earlier=None):
    lines = [
        f"#### Round 3 targets ({report['patients']:,} patients, {report['machine']['database']})",
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {t} | {m} | {v} |" for t, m, v in rows(report, earlier)]
    return "\n".join(lines) + "\n"
