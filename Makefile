# Two commands on a fresh machine (Python 3.11+ and make): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_WORKERS ?= 2

.PHONY: run setup worker test lint format check-migrations messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## setup: install, migrate and load the demo data on the first start only
setup: $(VENV)/.runtime
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty

## run: set up, start the background worker (queue + scheduler) and serve
## http://127.0.0.1:8000 (DEBUG on for the local run); Ctrl+C stops both
run: setup
	@echo "Serving on http://$(HOST):$(PORT)/ with the background worker (Ctrl+C stops both)"
	@DEBUG=1 $(MANAGE) run_huey --quiet --simple & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(MANAGE) runserver $(HOST):$(PORT)

## worker: the background worker alone (for a production-like setup)
worker: $(VENV)/.runtime
	$(MANAGE) run_huey

## test: install the test dependencies and run the whole suite
test: $(VENV)/.dev
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## messages: refresh the English catalogue after changing UI strings (needs GNU gettext)
messages: $(VENV)/.dev
	$(MANAGE) makemessages -l en --ignore=.venv --ignore=var --no-obsolete
	$(MANAGE) makemessages -d djangojs -l en --ignore=.venv --ignore=var --no-obsolete
	$(MANAGE) compilemessages -l en --ignore=.venv

## bench: page benchmarks and a load run on SQLite and PostgreSQL (not part of make test);
## the data set is generated once per database (BENCH_SCALE=city|province|town)
BENCH_SCALE ?= city
bench: $(VENV)/.dev
	$(BIN)/python bench/run.py --scale $(BENCH_SCALE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
