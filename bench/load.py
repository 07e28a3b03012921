"""The load run: gunicorn (4 workers) on the loopback, driven by wrk with bench/wrk_mix.lua.

Bounded: wrk runs for a fixed number of seconds against 127.0.0.1 only, then gunicorn is
stopped (its whole process group), whatever happened. Meanwhile the product's periodic jobs
(`escalate_flags` and `send_reminders`, as cron would run them) run one after the other in
their own processes, so the figures are those of a server whose jobs run. Import after
django.setup().
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils.module_loading import import_string

from tracker.api.tokens import issue_token

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only


def _free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _session_backend():
    """The backend a login records: the first that can load a user (not, e.g., django-axes's
    lockout backend, which only refuses)."""
    for path in settings.AUTHENTICATION_BACKENDS:
        if hasattr(import_string(path), "get_user"):
            return path
    raise RuntimeError("no authentication backend can load a user")


def session_for(user):
    """A signed-in session, as the login view would leave it, for wrk's cookie."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = _session_backend()
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _wait_until_up(base, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"{base}/accounts/login/", timeout=5)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


def _warm(base, paths, cookie):
    for path in paths:
        request = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={cookie}"})
        for _ in range(4):  # both workers, most likely
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()


JOBS = ("escalate_flags", "send_reminders")


class Jobs:
    """The periodic jobs, run in turn every `every` seconds while the load lasts."""

    def __init__(self, env, every=5.0):
        self.env, self.every = env, every
        self.stop = threading.Event()
        self.runs = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self.stop.is_set():
            for job in JOBS:
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, str(ROOT / "manage.py"), job],
                    cwd=ROOT,
                    env=self.env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                self.runs.append(
                    {
                        "job": job,
                        "seconds": round(time.perf_counter() - started, 2),
                        "ok": done.returncode == 0,
                    }
                )
            self.stop.wait(self.every)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=310)

    def summary(self):
        return {
            job: {
                "runs": len(runs := [r for r in self.runs if r["job"] == job]),
                "failed": sum(not r["ok"] for r in runs),
                "max_s": max((r["seconds"] for r in runs), default=None),
            }
            for job in JOBS
        }


def run(
    env: dict,
    cast,
    *,
    seconds: int,
    connections: int,
    body: str,
    workers: int = 4,
    jobs: bool = True,
    log=print,
) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        note = "not available: wrk is not installed (make bench installs it when run as root)"
        log(f"  load run: {note}")
        return {"available": False, "note": note}
    session = session_for(cast.clinician)
    _token, key = issue_token(cast.patient_user)
    port = _free_port()
    base = f"http://{HOST}:{port}"
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, start_new_session=True)
    try:
        _wait_until_up(base, server)
        course = str(cast.typical_course.pk)
        _warm(
            base,
            [
                "/clinician/",
                f"/clinician/courses/{course}/",
                "/clinician/patients/",
                "/api/v1/flags/",
                "/api/v1/courses/?limit=50",
            ],
            session,
        )
        wrk_env = {
            **os.environ,
            "BENCH_SESSION": session,
            "BENCH_TOKEN": key,
            "BENCH_COURSE": course,
            "BENCH_REPORT_URL": f"/api/v1/courses/{cast.patient_course.pk}/symptom-reports/",
            "BENCH_REPORT_BODY": body,
        }
        command = [
            wrk,
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "wrk_mix.lua"),
            base,
        ]
        log(
            f"  load run: gunicorn {workers} workers on {base}, wrk {connections} connections, "
            f"{seconds} s, periodic jobs {'on' if jobs else 'off'}"
        )
        job_runner = Jobs(env)
        if jobs:
            job_runner.__enter__()
        try:
            done = subprocess.run(
                command, env=wrk_env, capture_output=True, text=True, timeout=seconds + 120
            )
        finally:
            if jobs:
                job_runner.__exit__(None, None, None)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
        result = json.loads(lines[-1])
        result["errors"] = sum(
            result[k]
            for k in ("not_2xx", "connect_errors", "read_errors", "write_errors", "timeouts")
        )
        result.update(
            available=True,
            connections=connections,
            workers=workers,
            jobs=job_runner.summary() if jobs else None,
        )
        log(
            f"  load run: {result['requests']:,} requests, {result['rps']:.1f} req/s, "
            f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
            f"errors {result['errors']}"
        )
        for job, runs in (result["jobs"] or {}).items():
            log(f"    {job}: {runs['runs']} runs, {runs['failed']} failed, max {runs['max_s']} s")
        return result
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
