"""Exports of a course summary (PDF, CSV, FHIR R4) and of a cohort (CSV).

Every format renders the same gathered data (`tracker.summary.build_summary`, or its batched
twin in `cohort.py` for many courses), so the PDF, the CSV and the FHIR Bundle cannot
disagree. Callers scope first: they pass a course fetched through
`Course.objects.visible_to(user)`; nothing in this package checks access again.

- `codes.py`    the measurements exported, with their LOINC codes and UCUM units, and the
                lists of codes the exports may emit (domain.md §6);
- `tabular.py`  one row per observation (a header, then rows) and the CSV writer;
- `pdf.py`      the printable summary (WeasyPrint), with `fetcher.py` its restricted URL fetcher;
- `fhir.py`     the FHIR R4 Bundle, validated with fhir.resources R4B models;
- `cohort.py`   the courses of a therapy and date range, gathered in batches for the CSV;
- `responses.py` the HTTP responses shared by the web pages and the API.
"""

import logging

# WeasyPrint logs every layout step at INFO (even while it is imported); keep its warnings
# (refused URLs, unreadable images) only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
