# Two commands do everything on a fresh machine:
#   make run    install, migrate, seed and serve on SQLite (DEMO=1 adds demo users and updates)
#   make test   install what the tests need and run the suite on SQLite and on a throwaway PostgreSQL
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := APP_ENV=development $(VENV)/bin/flask --app wsgi
export CHROMIUM_PATH ?= /usr/bin/chromium
# Two workers: the machines have two cores, and every test has its own database.
PYTEST_ARGS ?= -n 2
# `make bench` measures at 1x, 10x and 100x, the sizes issue 11 names; BENCH_SCALE=10 is quicker.
export BENCH_SCALE ?= 100

.PHONY: run test test-sqlite test-postgres install install-test system-test-deps lint bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test system-test-deps

run: install
	mkdir -p instance
	$(FLASK) db upgrade heads
	$(FLASK) seed $(if $(DEMO),--demo,)
	$(FLASK) init-admin
	$(FLASK) run --host 127.0.0.1 --port 5000

# Debian packages the tests drive: Chromium (browser tests; Playwright cannot download its own here),
# libatomic1 (Playwright's node driver), PostgreSQL (second database run), LibreOffice Calc (pack check).
system-test-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	ldconfig -p | grep -q libatomic.so.1 || missing="$$missing libatomic1"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-calc-nogui"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

test: install-test
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "== test suite on SQLite =="
	APP_ENV=test $(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres:
	@echo "== test suite on PostgreSQL =="
	APP_ENV=test scripts/with-postgres.sh $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check app tests bench

# Every bench runs, even after one misses a goal; the target fails if any did.
bench: install-test
	@status=0; \
	$(PY) bench/bench_disclosure.py || status=1; \
	$(PY) bench/bench_scale.py || status=1; \
	$(PY) bench/bench_load.py || status=1; \
	exit $$status
