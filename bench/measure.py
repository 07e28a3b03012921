"""Server-side measurements, in process: each request goes through Django's handler and the
whole middleware stack (django.test.Client), timed from the request object to the response.

Every page is measured against the floor in the same loop: each iteration times one floor
request and one page request (alternating which goes first), so a neighbour's load on the
machine moves both and the ratio holds. Import after django.setup().
"""

from __future__ import annotations

import csv
import datetime
import html
import json
import random
import re
import statistics
import time
from dataclasses import asdict, dataclass, field

from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bench import scale
from therapies.models import Setting, Therapy
from tracker import services
from tracker.models import (
    Course,
    CourseStatus,
    SymptomAnswer,
    User,
)

BIG_COURSE_ANSWERS = 500
FLOOR_URL = "/bench/floor/"


# --- Statistics ----------------------------------------------------------------------------------


def percentile(samples, p):
    """Nearest-rank percentile (p in 0-100) of a list of numbers."""
    ordered = sorted(samples)
    rank = max(1, round(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Result:
    name: str
    what: str
    available: bool = True
    note: str = ""
    requests: int = 0
    median_ms: float | None = None
    p95_ms: float | None = None
    floor_median_ms: float | None = None
    ratio: float | None = None
    queries: int | None = None
    target: str = ""
    met: bool | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self):
        return asdict(self)


def _ms(seconds):
    return round(seconds * 1000, 2)


# --- The cast ------------------------------------------------------------------------------------


@dataclass
class Cast:
    clinician: User
    admin: User
    patient_user: User
    patient_course: Course
    typical_course: Course
    big_course: Course
    cohort_therapy: Therapy
    notes: list


def _answers_per_course(courses):
    return courses.annotate(
        n_answers=Count("reports__answers", filter=Q(reports__entered_in_error=False))
    )


def _grow_course(course, by, target_answers, rng):
    """Reports through the service (rules, flags, history) until the course has ~N answers."""
    have = SymptomAnswer.objects.filter(report__course=course).count()
    if have >= target_answers * 0.9:
        return have
    therapy = course.therapy
    terms = [e.term for e in therapy.expected.select_related("term") if e.term.is_reportable]
    others = [t for t in scale.Catalog.load().reportable if t not in terms]
    start = timezone.make_aware(datetime.datetime.combine(course.start_date, datetime.time(8)))
    span = (timezone.now() - start).total_seconds()
    needed = target_answers - have
    per_report = 5
    reports = needed // per_report + 1
    for i in range(reports):
        chosen = rng.sample(terms, min(len(terms), 3)) + rng.sample(others, 2)
        answers = []
        for term in chosen:
            if term.is_presence:
                answers.append(services.AnswerInput(term=term, present=rng.random() < 0.5))
            else:
                first, *later = term.attributes
                scores = {first: rng.choice((0, 1, 1, 1, 2, 2, 3))}
                for name in later:
                    scores[name] = 0 if scores[first] == 0 else rng.choice((0, 1, 1, 2))
                if scores[first] == 0:
                    scores = {first: 0}
                answers.append(services.AnswerInput(term=term, **scores))
        services.submit_report(
            course=course,
            by=by,
            answers=answers,
            measurements={"temperature_c": round(rng.gauss(36.9, 0.4), 1)},
            reported_at=start + datetime.timedelta(seconds=span * (i + 0.5) / reports),
        )
    return SymptomAnswer.objects.filter(report__course=course).count()


def cast() -> Cast:
    """The people and courses the measurements use (and the 500-answer course, built once)."""
    notes = []
    clinician = User.objects.get(username=f"{scale.CLINICIAN_PREFIX}001")
    admin = User.objects.get(username=scale.ADMIN_USERNAME)
    team_courses = Course.objects.visible_to(clinician).filter(status=CourseStatus.ACTIVE)
    outpatient = team_courses.filter(therapy__setting=Setting.OUTPATIENT)

    patient_course = (
        outpatient.filter(patient__user__isnull=False).select_related("patient__user").first()
    )
    counted = list(
        _answers_per_course(outpatient).filter(n_answers__gt=0).order_by("n_answers", "pk")
    )
    typical = counted[len(counted) // 2]
    notes.append(f"typical course: {typical.n_answers} answers (median of active outpatient)")

    big = (
        outpatient.filter(start_date__lte=timezone.localdate() - datetime.timedelta(days=90))
        .exclude(pk__in=[patient_course.pk, typical.pk])
        .order_by("start_date", "pk")
        .first()
    )
    grown = _grow_course(big, clinician, BIG_COURSE_ANSWERS, random.Random(500))
    notes.append(f"big course: {grown} answers (grown through services.submit_report)")

    therapy = (
        Therapy.objects.annotate(n=Count("courses")).order_by("-n", "slug").first()
    )  # the largest cohort
    return Cast(
        clinician=clinician,
        admin=admin,
        patient_user=patient_course.patient.user,
        patient_course=patient_course,
        typical_course=typical,
        big_course=big,
        cohort_therapy=therapy,
        notes=notes,
    )


# --- Timing --------------------------------------------------------------------------------------


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def url_or_none(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


class Runner:
    """Times pages against the floor; a slow page gets fewer requests (at least `minimum`)
    so that one measurement stays within `budget` seconds."""

    def __init__(self, *, requests: int, warmup: int, budget: float = 60, log=print, only=()):
        self.requests, self.warmup, self.budget, self.log = requests, warmup, budget, log
        self.only = tuple(only)  # measure only the scenarios whose name contains one of these
        self.minimum = 5
        self.floor_client = None

    def set_floor_user(self, user):
        self.floor_client = client_for(user)

    def floor(self):
        response = self.floor_client.get(FLOOR_URL)
        if response.status_code != 200:
            raise RuntimeError(f"floor answered {response.status_code}")
        return response

    def measure(self, name, what, call, *, expect=(200,), requests=None, target="", ratio_max=None):
        """Time `call` (which makes one or more requests and returns the last response)."""
        requests = requests or self.requests
        result = Result(name=name, what=what, target=target)
        if not self.wanted(name):
            return self._unavailable(result, "not measured in this run (--only)")
        try:
            first = call()
        except NoReverseMatch as exc:
            return self._unavailable(result, f"not available: {exc}")
        status = getattr(first, "status_code", None)
        if status not in expect:
            return self._unavailable(result, f"not available: answered {status}")
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            call()
        one = time.perf_counter() - started
        result.queries = len(captured)
        warmup = self.warmup if one * self.warmup < self.budget / 10 else 1
        requests = max(self.minimum, min(requests, int(self.budget / max(one, 1e-6))))
        for _ in range(warmup):
            call()
            self.floor()
        samples, floor_samples = [], []
        for i in range(requests):
            pair = [(call, samples), (self.floor, floor_samples)]
            for fn, into in pair if i % 2 else reversed(pair):
                started = time.perf_counter()
                fn()
                into.append(time.perf_counter() - started)
        result.requests = requests
        result.median_ms = _ms(statistics.median(samples))
        result.p95_ms = _ms(percentile(samples, 95))
        result.floor_median_ms = _ms(statistics.median(floor_samples))
        result.ratio = round(result.median_ms / result.floor_median_ms, 2)
        if ratio_max is not None:
            result.met = result.ratio <= ratio_max
        self.log(
            f"  {name:<28} median {result.median_ms:8.2f} ms  p95 {result.p95_ms:8.2f} ms  "
            f"floor {result.floor_median_ms:6.2f} ms  ratio {result.ratio:6.2f}  "
            f"queries {result.queries}"
        )
        return result

    def wanted(self, name):
        return not self.only or any(part in name for part in self.only)

    def _unavailable(self, result, note):
        result.available, result.note = False, note
        self.log(f"  {result.name:<28} {note}")
        return result


# --- The scenarios -------------------------------------------------------------------------------


def _get(client, url):
    if url is None:
        raise NoReverseMatch("no such URL name in this version")
    return client.get(url)


def _chart_links(response, plain):
    """The chart URLs of the page's <img> elements; none when it draws its charts in its own
    HTML (<svg>, since round 3); `plain` on versions that linked to neither."""
    text = response.content.decode()
    links = [
        html.unescape(found)
        for url in plain
        if url
        for found in re.findall(rf'src="({re.escape(url)}(?:\?[^"]*)?)"', text)
    ]
    if not links and "<svg" in text:
        return []
    return links or list(plain)


REPORT_ANSWERS = [
    {"term": "nausea", "frequency": 2, "severity": 1},
    {"term": "fatigue", "severity": 2, "interference": 1},
    {"term": "rash", "present": True},
]


def report_payload(course):
    """The same report whatever the course (3 answers, a temperature): 3 flags each time, so
    that runs on different data sets write the same rows."""
    return {"answers": REPORT_ANSWERS, "temperature_c": 37.2}


def pages(runner: Runner, c: Cast) -> list[Result]:
    clinician = client_for(c.clinician)
    patient = client_for(c.patient_user)
    runner.set_floor_user(c.clinician)
    results = [
        runner.measure(
            "floor", "minimal authenticated view, same middleware", runner.floor, target="1×"
        ),
        runner.measure(
            "layout floor",
            "an empty page in the site's layout (base template, navigation)",
            lambda: clinician.get("/bench/layout/"),
            target="(reference)",
        ),
    ]
    triage = url_or_none("tracker:triage")
    results.append(
        runner.measure(
            "triage",
            "triage queue, first page (clinician)",
            lambda: _get(clinician, triage),
            target="≤ 4× floor",
            ratio_max=4,
        )
    )
    for label, course in (("typical", c.typical_course), ("big", c.big_course)):
        page = url_or_none("tracker:course-detail", course.pk)
        timeline = url_or_none("tracker:course-chart-timeline", course.pk)
        vitals = url_or_none("tracker:course-chart-vitals", course.pk)

        def with_charts(page=page, timeline=timeline, vitals=vitals):
            # As a browser does: the chart images the page links to (since round 3 their
            # links carry the charts' version); the plain chart URLs on versions without it.
            response = _get(clinician, page)
            for chart in _chart_links(response, (timeline, vitals)):
                _get(clinician, chart)
            return response

        results.append(
            runner.measure(
                f"course page + charts ({label})",
                f"course page and its two chart SVGs, {label} course",
                with_charts,
                target="≤ 8× floor",
                ratio_max=8,  # round 3: the 500-answer course too
            )
        )
        results.append(
            runner.measure(
                f"course page only ({label})",
                f"course page HTML alone, {label} course",
                lambda page=page: _get(clinician, page),
            )
        )
    api_reports = f"/api/v1/courses/{c.patient_course.pk}/symptom-reports/"
    body = json.dumps(report_payload(c.patient_course))
    results.append(
        runner.measure(
            "report submission",
            "patient POSTs a report (API): rules, flags, history",
            lambda: patient.post(api_reports, body, content_type="application/json"),
            expect=(201,),
            target="≤ 5× floor",
            ratio_max=5,
        )
    )
    results.append(
        runner.measure(
            "API course list",
            "GET /api/v1/courses/ (clinician: their teams' courses)",
            lambda: clinician.get("/api/v1/courses/"),
            target="(no target)",
        )
    )
    # Round 3: the API lists a page at a time on request (?limit=, then the Link header).
    for name, url in (
        ("API course list, a page", f"/api/v1/courses/?limit={API_PAGE}"),
        ("API course flags, a page", f"/api/v1/courses/{c.big_course.pk}/flags/?limit={API_PAGE}"),
    ):
        results.append(
            runner.measure(
                name,
                f"GET {url.split('?')[0]} ?limit={API_PAGE} (first page)",
                lambda url=url: clinician.get(url),
                target="≤ 100 ms p95",
            )
        )
        results[-1].extra["paginated"] = api_page_check(clinician, url)
    for name, what, url, who in (
        ("API flag list", "GET /api/v1/flags/ (clinician)", "/api/v1/flags/", clinician),
        (
            "patient list",
            "clinician's patient list",
            url_or_none("tracker:patient-list"),
            clinician,
        ),
        (
            "not reported",
            "courses overdue a report",
            url_or_none("tracker:not-reported"),
            clinician,
        ),
        ("patient home", "patient portal home", url_or_none("tracker:patient-home"), patient),
    ):
        results.append(
            runner.measure(
                name,
                what,
                lambda url=url, who=who: _get(who, url),
                requests=30,
                # round 3: the not-reported list at most 8× the floor
                ratio_max=8 if name == "not reported" else None,
                target="≤ 8× floor" if name == "not reported" else "",
            )
        )
    results.append(pdf(runner, c, 20, course=c.typical_course, label="typical course"))
    return results


API_PAGE = 50


def api_page_check(client, url):
    """Whether the list pages on request: a plain list of at most `limit` rows, and a
    `Link: <…>; rel="next"` header exactly when rows are left (followed once to see it)."""
    response = client.get(url)
    rows = response.json() if response.status_code == 200 else None
    if not isinstance(rows, list) or len(rows) > API_PAGE:
        return {"ok": False, "why": f"answered {response.status_code}, not a bounded list"}
    whole = len(client.get(url.split("?")[0]).json())
    link = response.headers.get("Link", "")
    if (whole > API_PAGE) != link.endswith('rel="next"'):
        return {"ok": False, "why": f"{whole} rows, Link header {link!r}"}
    if link:
        following = client.get(link[1 : link.index(">")])
        if following.status_code != 200 or not isinstance(following.json(), list):
            return {"ok": False, "why": f"the next page answered {following.status_code}"}
    return {"ok": True, "rows": whole, "page": len(rows), "link": bool(link)}


def pdf(runner: Runner, c: Cast, requests: int, course=None, label="big course") -> Result:
    clinician = client_for(c.clinician)
    course = course or c.big_course
    url = url_or_none("tracker:export-course-pdf", course.pk)
    if url is None:
        url = f"/api/v1/courses/{course.pk}/summary.pdf"
    # The first download after the course changed waits for (at most) one render; the timed
    # ones after it are served from the stored render (PDFs rendered ahead, by version).
    first_ms = None
    if runner.wanted(f"course PDF ({label})") and url is not None:
        started = time.perf_counter()
        clinician.get(url)
        first_ms = _ms(time.perf_counter() - started)
    result = runner.measure(
        f"course PDF ({label})",
        f"summary PDF of the {label}",
        lambda: clinician.get(url),
        requests=requests,
        target="< 200 ms p95",
    )
    if result.available:
        # Round 3: ready before anyone asks (rendered ahead), so the download is < 200 ms p95.
        result.met = result.p95_ms < 200
        result.extra["first_ms"] = first_ms
    return result


# --- Cohort CSV: the export against a raw cursor -------------------------------------------------

REPORT_MEASUREMENTS = ("temperature_c", "systolic_bp", "diastolic_bp", "heart_rate", "weight_kg")
VISIT_MEASUREMENTS = (
    *REPORT_MEASUREMENTS,
    "spo2",
    "urine_output_ml_8h",
    "platelets_10e9_per_l",
    "creatinine_mg_dl",
)


def raw_cohort_sql(width: int) -> str:
    """One query for the observation rows of a cohort (answers, adverse events, doses, every
    measurement of reports and visits), ordered by course and time, padded to the export's
    width. The floor: no ORM, no Python per cell beyond the csv module."""
    identity = "c.id, p.mrn, p.given_name, p.family_name, p.birth_date, p.sex, t.slug"
    course_join = (
        "JOIN tracker_course c ON c.id = {rec}.course_id "
        "JOIN tracker_patient p ON p.id = c.patient_id "
        "JOIN therapies_therapy t ON t.id = c.therapy_id"
    )
    where = "c.therapy_id = %(therapy)s AND c.start_date BETWEEN %(start)s AND %(end)s"
    # PostgreSQL types a UNION's columns pair by pair, left to right: a column that is NULL in
    # the first two SELECTs becomes text, so the one that later holds numbers is typed here.
    parts = [
        f"SELECT {identity}, r.reported_at AS at, 'report', r.source, 'symptom', st.slug, "
        "st.ctcae_term, st.meddra_code, a.expected, a.frequency, a.severity, a.interference, "
        "a.composite_grade, NULL, NULL, CAST(NULL AS NUMERIC), NULL "
        "FROM tracker_symptomanswer a JOIN tracker_symptomreport r ON r.id = a.report_id "
        f"{course_join.format(rec='r')} JOIN therapies_sideeffectterm st ON st.id = a.term_id "
        f"WHERE {where} AND NOT a.entered_in_error AND NOT r.entered_in_error",
        f"SELECT {identity}, v.recorded_at, 'visit', 'clinician', 'adverse_event', st.slug, "
        "st.ctcae_term, st.meddra_code, e.expected, NULL, NULL, NULL, e.grade, e.attribution, "
        "e.action, NULL, NULL "
        "FROM tracker_adverseevent e JOIN tracker_visit v ON v.id = e.visit_id "
        f"{course_join.format(rec='v')} JOIN therapies_sideeffectterm st ON st.id = e.term_id "
        f"WHERE {where} AND NOT e.entered_in_error AND NOT v.entered_in_error",
        f"SELECT {identity}, d.scheduled_at, 'dose', 'clinician', d.status, NULL, NULL, NULL, "
        "NULL, NULL, NULL, NULL, NULL, NULL, NULL, d.dose_amount, d.dose_unit "
        f"FROM tracker_doseadministration d {course_join.format(rec='d')} "
        f"WHERE {where} AND NOT d.entered_in_error AND d.status <> 'scheduled'",
    ]
    for table, alias, at, names in (
        ("tracker_symptomreport", "r", "reported_at", REPORT_MEASUREMENTS),
        ("tracker_visit", "v", "recorded_at", VISIT_MEASUREMENTS),
    ):
        for name in names:
            parts.append(
                f"SELECT {identity}, {alias}.{at}, '{alias}', NULL, 'measurement', '{name}', "
                f"NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, {alias}.{name}, NULL "
                f"FROM {table} {alias} {course_join.format(rec=alias)} "
                f"WHERE {where} AND NOT {alias}.entered_in_error AND {alias}.{name} IS NOT NULL"
            )
    selected = 7 + 17
    padding = ", ".join(["NULL"] * max(0, width - selected))
    union = " UNION ALL ".join(parts)
    return f"SELECT u.*{', ' + padding if padding else ''} FROM ({union}) u ORDER BY 1, 8"


class _Sink:
    def __init__(self):
        self.bytes = 0

    def write(self, text):
        self.bytes += len(text)


def raw_cohort(therapy, start, end, width):
    """(rows, seconds): the raw cursor writing CSV to a sink that only counts."""
    sql = raw_cohort_sql(width)
    params = {"therapy": therapy.pk, "start": start, "end": end}
    sink = _Sink()
    writer = csv.writer(sink, lineterminator="\r\n")
    rows = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(2000):
            writer.writerows(batch)
            rows += len(batch)
    return rows, time.perf_counter() - started


def export_cohort(client, url):
    """(rows, seconds, bytes): the cohort export view streamed to the end."""
    started = time.perf_counter()
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"cohort export answered {response.status_code}")
    lines = size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    return lines - 1, time.perf_counter() - started, size


def cohort(runner: Runner, c: Cast, repeats: int) -> Result:
    from tracker.exports import tabular

    result = Result(
        name="cohort CSV",
        what=f"cohort export of {c.cohort_therapy.slug}, every start date: rows/s vs raw cursor",
        target="≥ 0.5× raw rate",
    )
    if not runner.wanted(result.name):
        return runner._unavailable(result, "not measured in this run (--only)")
    url = url_or_none("tracker:export-cohort")
    if url is None:
        return runner._unavailable(result, "not available: no cohort export URL")
    start, end = datetime.date(2000, 1, 1), timezone.localdate() + datetime.timedelta(days=365)
    url += f"?therapy={c.cohort_therapy.slug}&start_from={start}&start_to={end}"
    client = client_for(c.admin)
    width = len(tabular.columns_for(False))
    export_rows, _, _ = export_cohort(client, url)  # warm-up
    raw_rows, _ = raw_cohort(c.cohort_therapy, start, end, width)
    export_rates, raw_rates, export_seconds = [], [], []
    size = 0
    for _ in range(repeats):
        rows, seconds, size = export_cohort(client, url)
        export_rates.append(rows / seconds)
        export_seconds.append(seconds)
        rows, seconds = raw_cohort(c.cohort_therapy, start, end, width)
        raw_rates.append(rows / seconds)
    export_rate, raw_rate = statistics.median(export_rates), statistics.median(raw_rates)
    result.requests = repeats
    result.median_ms = _ms(statistics.median(export_seconds))
    result.ratio = round(export_rate / raw_rate, 2)
    result.met = result.ratio >= 0.5
    result.extra = {
        "export_rows": export_rows,
        "raw_rows": raw_rows,
        "export_rows_per_s": round(export_rate),
        "raw_rows_per_s": round(raw_rate),
        "export_bytes": size,
    }
    runner.log(
        f"  {'cohort CSV':<28} export {export_rows:,} rows at {export_rate:,.0f} rows/s; raw "
        f"cursor {raw_rows:,} rows at {raw_rate:,.0f} rows/s; ratio {result.ratio}"
    )
    return result
