# The two commands: `make run` and `make test`. Everything else is their parts.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DBNAME ?= terrain_commun
# Deferred (=): computed when a recipe runs, after the cluster exists.
DB_URL = $(shell DATABASE_URL="$(DATABASE_URL)" deploy/database-url.sh $(DBNAME))
DEV_ENV = DATABASE_URL="$(DB_URL)" DEBUG=1
# Production-like values for `check --deploy`; the key is a throwaway.
PROD_ENV = DATABASE_URL="$(DB_URL)" DEBUG=0 ALLOWED_HOSTS=terrain.example.org \
	SECRET_KEY="check-deploy-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=')"

.PHONY: help run test setup system database venv vendor migrate data demo lint typecheck check pytest lock pii-eval qgis-check backup restore api-fuzz bench loadtest

help:
	@echo "make run   set everything up and serve http://127.0.0.1:8000"
	@echo "make test  set everything up and run lint, checks and the test suite"

system:
	@deploy/setup-system.sh

database: system
	@deploy/setup-database.sh $(DBNAME)

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.lock | system
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	@touch $@

setup: system venv database vendor
	@$(DEV_ENV) $(PY) manage.py compilemessages --ignore=.venv -v 0

# Browser libraries from the npm registry, pinned by integrity (var/vendor/, not committed).
vendor:
	@$(PYTHON) deploy/fetch_vendor.py

migrate: setup
	@$(DEV_ENV) $(PY) manage.py migrate --no-input -v 0
	@$(DEV_ENV) $(PY) manage.py createcachetable

data: migrate
	@$(DEV_ENV) $(PY) manage.py import_territories --if-empty

demo: data
	@$(DEV_ENV) DEMO_DATA_ENABLED=1 $(PY) manage.py load_demo

# The mail/jobs worker runs beside runserver, logs to var/worker.log (so it never holds
# the caller's terminal) and is stopped by the trap whenever runserver ends.
run: demo
	@mkdir -p var
	@echo "Serving http://127.0.0.1:8000 (Ctrl-C stops); background jobs log to var/worker.log"
	@$(DEV_ENV) $(PY) manage.py procrastinate worker >var/worker.log 2>&1 </dev/null & \
	worker=$$!; \
	trap 'kill $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true' EXIT INT TERM; \
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# Backups: pg_dump (custom format) into var/backups/, with a manifest of row counts and a
# checksum per table taken in the dump's own snapshot; restore checks the data against it.
backup: setup
	@$(DEV_ENV) $(PY) deploy/backup.py backup --out "$(or $(BACKUP_DIR),var/backups)"

restore: setup
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/<name>.dump"; exit 2; }
	@$(DEV_ENV) $(PY) deploy/backup.py restore "$(FILE)"

# schemathesis over the OpenAPI schema, anonymous and three roles, on a database of its
# own (it writes through the API); not part of `make test`.
FUZZ_DB ?= terrain_commun_fuzz
api-fuzz:
	@$(MAKE) --no-print-directory demo DBNAME=$(FUZZ_DB)
	@DATABASE_URL="$$(DATABASE_URL="$(DATABASE_URL)" deploy/database-url.sh $(FUZZ_DB))" DEBUG=1 deploy/api-fuzz.sh

# Benchmark (not part of `make test`): SCALE sites (default 200,000) in a database of
# its own, each production call against its plain SQL and tipg; a table, and JSON in
# bench/results/. DEBUG off, as in production.
BENCH_DB ?= terrain_commun_bench
bench:
	@$(MAKE) --no-print-directory data DBNAME=$(BENCH_DB)
	@DATABASE_URL="$$(DATABASE_URL="$(DATABASE_URL)" deploy/database-url.sh $(BENCH_DB))" \
	  DEBUG=0 ALLOWED_HOSTS=testserver SECRET_KEY="bench-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" \
	  SCALE="$(or $(SCALE),200000)" deploy/bench.sh

# locust (installed in var/loadtest/venv) against gunicorn behind nginx with production
# settings, mixed reads and writes of every role at LOADTEST_RPS (50) requests/s for
# DURATION (5m), on a database of its own; a table of p50/p95/p99 and errors per
# endpoint group, exit code 1 on any error. A benchmark: not part of `make test`.
LOAD_DB ?= terrain_commun_load
DURATION ?= 5m
loadtest:
	@$(MAKE) --no-print-directory demo DBNAME=$(LOAD_DB)
	@DATABASE_URL="$$(DATABASE_URL="$(DATABASE_URL)" deploy/database-url.sh $(LOAD_DB))" DEBUG=1 \
	  DURATION="$(DURATION)" deploy/loadtest.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The django-stubs plugin loads the settings: DEBUG=1 spares it a SECRET_KEY.
typecheck: venv
	DEBUG=1 $(VENV)/bin/mypy

check: setup
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(PROD_ENV) $(PY) manage.py check --deploy --fail-level WARNING

pytest: setup
	$(DEV_ENV) $(PY) -m pytest -q

test: lint typecheck check pytest

# QGIS (Debian's python3-qgis, ~106 MiB, installed if missing) reads the OGC `sites`
# collection with HTTP Basic; its feature count beside the API's. Not part of `make test`.
qgis-check: demo
	@dpkg -s python3-qgis >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-qgis; }
	@$(DEV_ENV) deploy/qgis-check.sh

# Recall and false positives of the personal-data guard on data/pii/corpus.jsonl.
pii-eval: data
	@$(DEV_ENV) $(PY) manage.py pii_eval

lock: venv
	@{ echo "# Pinned versions of every Python package (pip freeze). Regenerate: make lock"; \
	  $(PY) -m pip freeze --exclude-editable; } > requirements.lock
