# The two commands a new machine needs: `make run` serves the portal, `make test` runs the tests.
# Nothing else has to be installed by hand beyond Python 3.11+ and Node.js's npm.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format install install-dev messages audit mutants mutants-sample mutants-pg

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Front-end libraries (Leaflet, ECharts) from package-lock.json, served as static files.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed node_modules/.package-lock.json
install-dev: $(VENV)/.installed-dev node_modules/.package-lock.json

# Serve the portal at http://127.0.0.1:8000 with a Celery worker and beat beside it (honcho):
# on Redis when REDIS_URL is set (Procfile), else on a folder under var/celery (Procfile.embedded,
# kombu's filesystem transport: no server to install) with the cache in a database table.
# Local development: DEBUG is on unless the environment says otherwise (settings default to off).
run: export DEBUG ?= true
run: export CELERY_BROKER_DIR ?= $(if $(REDIS_URL),,$(CURDIR)/var/celery)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@if [ -n "$$REDIS_URL" ]; then \
		$(BIN)/honcho start -f Procfile; \
	else \
		$(BIN)/honcho start -f Procfile.embedded; \
	fi

# The whole test suite. Tests needing PostgreSQL/Redis/Chromium skip (saying how to enable them)
# unless DATABASE_URL/REDIS_URL point at them and /usr/bin/chromium exists; under CI=true they fail.
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Update every app's .po catalogue from the code and compile the .mo files (committed).
messages: install-dev
	bash scripts/messages.sh

# Mutation testing (README, "Mutation testing"): on demand, never in CI. mutmut mutates the
# workflow, the scope selectors, the outbox and retention ([tool.mutmut] in pyproject.toml) in a
# fresh copy under mutants/, on SQLite, and prints each module's kill rate and the survivors.
# MUTANTS_CHILDREN mutants run at once; `make mutants MUTANTS="ops.services.*"` runs some only.
MUTANTS_CHILDREN ?= 2
MUTANTS ?=
mutants: install-dev
	rm -rf mutants
	mkdir -p mutants
	ln -s ../node_modules mutants/node_modules
	env -u DATABASE_URL -u REDIS_URL -u REDIS_CACHE_URL \
		$(BIN)/mutmut run --max-children $(MUTANTS_CHILDREN) $(MUTANTS) || true
	$(BIN)/python scripts/mutants_summary.py

# After a `make mutants` stopped before its end (its slow tail): a seeded random sample of the
# mutants it did not reach, run the same way; the summary then estimates the whole set's rate.
MUTANTS_SAMPLE ?= 150
MUTANTS_SEED ?= 21
mutants-sample: install-dev
	$(BIN)/python scripts/mutants_sample.py --size $(MUTANTS_SAMPLE) --seed $(MUTANTS_SEED) \
		--max-children $(MUTANTS_CHILDREN) || true
	$(BIN)/python scripts/mutants_summary.py

# The survivors of the code that runs only on PostgreSQL (the outbox's claim and finish), run
# again there: after `make mutants` and after each sample (scripts/mutants_pg.py).
mutants-pg: install-dev
	$(BIN)/python scripts/mutants_pg.py || true
	$(BIN)/python scripts/mutants_summary.py

# Known vulnerabilities in the installed packages (pip-audit asks PyPI's JSON API). Not in CI:
# its network cannot reach that API. Fails if any package could not be audited, so a run that
# examined nothing cannot pass.
audit: install-dev
	$(BIN)/pip-audit --progress-spinner off --skip-editable -f json -o .venv/pip-audit.json || true
	$(BIN)/python scripts/audit_report.py .venv/pip-audit.json
