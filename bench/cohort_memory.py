"""Peak memory of the cohort export for a number of rows, in a process of its own.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... python -m bench.cohort_memory 100000

Streams the export's own code path (`cohort_table` → `csv_chunks`, the generator the cohort
view returns) over every course, oldest first, and stops after N rows (at the end of the
~64 KB chunk holding row N). Prints one JSON line:
rows, seconds, the process's resident memory before the export and its peak (VmHWM).
A fresh process per size, so that one size's peak cannot hide another's.
"""

import json
import sys
import time


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # KiB
    raise LookupError(field)


def reset_peak():
    """Start the peak (VmHWM) from the current resident size (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def rss_kib():
    return _status("VmRSS")


def peak_kib():
    # Not ru_maxrss: Linux carries it over from the parent across fork and exec.
    return _status("VmHWM")


def main(rows_wanted: int):
    import django

    django.setup()
    from tracker.exports import tabular
    from tracker.exports.cohort import cohort_table
    from tracker.models import Course

    courses = Course.objects.select_related("patient", "therapy").order_by("start_date", "pk")
    reset_peak()
    before = rss_kib()
    started = time.perf_counter()
    rows = 0
    size = 0

    def counted(table):
        # Rows, not chunks: the CSV is written in chunks of many rows.
        nonlocal rows
        yield next(table)  # the header is not a row
        for row in table:
            rows += 1
            yield row

    for chunk in tabular.csv_chunks(counted(cohort_table(courses))):
        size += len(chunk)
        if rows >= rows_wanted:
            break
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": round(seconds, 2),
                "rows_per_s": round(rows / seconds),
                "rss_before_mib": round(before / 1024, 1),
                "rss_peak_mib": round(peak_kib() / 1024, 1),
                "characters": size,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
