# Interleukin Therapy Tracker: `make run` starts the app with a demo clinic, `make test` runs
# every test. Both install what is missing first (a Python 3.11 virtualenv from the lock file,
# Debian packages when run as root, compiled translations) and do nothing more when it is there.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
UV := $(VENV)/bin/uv
UV_VERSION ?= 0.13.8
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# One test worker more than the cores, handing out tests as workers free up: the browser tests
# spend much of their time waiting on the browser and the live server, which a third worker
# fills (2 cores: the suite took 502 s with two workers, 387 s with three, 392 s with four).
PYTEST_WORKERS ?= -n $(shell echo $$(( $$(nproc) + 1 ))) --dist worksteal
# The suite covered 89 % of tracker/ and therapies/ when the floor was set: a change that
# leaves more code untested fails `make test`. Raise the floor as coverage grows.
COVERAGE_FLOOR ?= 88
COVERAGE_ARGS ?= --cov=tracker --cov=therapies --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

# gettext compiles translations; the pango/harfbuzz libraries are what WeasyPrint (PDF
# exports) loads; DejaVu has the French glyphs for PDFs and screenshots.
DEBIAN_PACKAGES := gettext fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# The browser tests drive Debian's Chromium (never `playwright install`: it downloads browsers).
DEBIAN_TEST_PACKAGES := $(DEBIAN_PACKAGES) chromium

MAKEMESSAGES_IGNORE := --ignore=.venv --ignore=staticfiles --ignore=node_modules --ignore=test-artifacts
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: install run test lint messages compilemessages lock system-packages test-system-packages backup bench

install: system-packages $(STAMP) compilemessages

system-packages:
	@scripts/ensure-debian-packages $(DEBIAN_PACKAGES)

test-system-packages:
	@scripts/ensure-debian-packages $(DEBIAN_TEST_PACKAGES)

$(PY):
	$(PYTHON) -m venv $(VENV)

# The lock file is authoritative; reinstall only when it is newer than the last install.
$(STAMP): requirements-dev.txt | $(PY)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

compilemessages: $(MO_FILES)

locale/%.mo: locale/%.po | $(STAMP)
	$(MANAGE) compilemessages $(MAKEMESSAGES_IGNORE)

# The PDF worker (render_pdfs) runs beside the server and stops with it; without it, a course's
# PDF is rendered when first downloaded after a change.
run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_catalog
	$(MANAGE) demo
	@echo "Open http://$(HOST):$(PORT)/ (Ctrl-C stops the server)."
	@$(MANAGE) render_pdfs & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=true $(MANAGE) runserver $(HOST):$(PORT)

# A consistent backup while the app runs (SQLite online backup API, or pg_dump with DATABASE_URL).
# Restore with: .venv/bin/python manage.py restore backups/<file> --yes (app servers stopped).
backup: install
	$(MANAGE) backup --output backups

test: test-system-packages install
	$(MANAGE) makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_WORKERS) $(COVERAGE_ARGS) $(PYTEST_ARGS)

# The benchmark, never part of `make test` (bench/README.md): seeds a fresh database at clinic
# scale (BENCH_PATIENTS=20000 for a network), measures every page against the floor of the
# stack, the PDF and the cohort CSV, then a load run (gunicorn, 4 workers, wrk on 127.0.0.1);
# BENCH_ARGS=--quick for a quick check at small scale (BENCH_PATIENTS=200).
# SQLite file by default; BENCH_DATABASE_URL=postgres://user@host:5432/tracker_bench for
# PostgreSQL (the database is dropped and created again: its name must contain "bench").
BENCH_PATIENTS ?= 2000
BENCH_ARGS ?=

bench: install
	@scripts/ensure-debian-packages wrk
	$(PY) bench/run.py --patients $(BENCH_PATIENTS) $(BENCH_ARGS)

# The house rules, checked before the tests (.ci/run): style, complexity, security and aware
# datetimes (ruff), templates (djlint), types (mypy), which part may import which
# (import-linter, docs/architecture.md), migrations in step with the models, every French
# entry translated.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	scripts/check-translations $(PO_FILES)

# Extract new strings into locale/fr/LC_MESSAGES/django.po; translate them, then `make`.
messages: install
	$(MANAGE) makemessages -l fr $(MAKEMESSAGES_IGNORE)
	$(MANAGE) compilemessages $(MAKEMESSAGES_IGNORE)

$(UV): | $(PY)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Re-resolve the lock files from pyproject.toml on Python 3.11. Existing pins are kept unless
# pyproject.toml needs otherwise; `make lock UV_ARGS=--upgrade` moves everything to the newest.
lock: $(UV)
	$(UV) pip compile pyproject.toml --python-version 3.11 $(UV_ARGS) -o requirements.txt
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 $(UV_ARGS) -o requirements-dev.txt
