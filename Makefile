# Hearth: `make demo` runs the embedded demo; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install demo test load lint format migrate web worker clean bench

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The demo: SQLite in var/, a Celery worker with embedded beat on the filesystem broker, and
# the web app. Ctrl-C stops both.
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Hearth demo: http://127.0.0.1:$(PORT)/   login: demo / demo"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A config worker --beat --pool=solo --loglevel=INFO \
		--schedule=var/celerybeat-schedule >var/worker.log 2>&1 & \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT) --noreload

web: install
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(BIN)/celery -A config worker --beat --pool=solo --loglevel=INFO

# Two processes (pytest-xdist; the CI machine has two cores), tests shared out as they finish
# (worksteal: by position, since schemathesis gives all its cases one node id, which the
# scope-based modes would run once); PYTEST_WORKERS=0 runs the suite in this one process.
PYTEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The heavy household end to end on PostgreSQL (benchmarks/household.py): one table of
# every step's time and peak memory beside its target. Drops and recreates the database.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hearth_bench
BENCH_ARGS ?=
# The app's modules are compiled first, as the image does: with PYTHONDONTWRITEBYTECODE set
# (as the Dockerfile does, and this machine's shell) every command compiles them again.
bench: install
	$(BIN)/python -m compileall -q alerts config income portfolios reporting benchmarks >/dev/null
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python benchmarks/household.py $(BENCH_ARGS)

# Load test: the heavy household behind gunicorn (as docker-compose.yml), 20 Locust users for
# 60 s on 127.0.0.1 only; prints p50/p95, the error rate and the largest worker's memory.
# LOAD_USERS, LOAD_SECONDS and LOAD_DATABASE_URL (default: PostgreSQL on 127.0.0.1:5432 as in
# docker-compose.yml, database hearth_load, when one answers; else SQLite in var/load/) change it.
LOAD_STAMP := $(VENV)/.load-installed

$(LOAD_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[load]'
	touch $(LOAD_STAMP)

load: install $(LOAD_STAMP)
	$(BIN)/python benchmarks/load/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var staticfiles
