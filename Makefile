# PlusOne: one command sets up, one command checks.
# `make run`  - set everything up and serve the demo practice on SQLite.
# `make test` - set everything up and run the fast tier.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

export PLUSONE_DATA_DIR ?= $(CURDIR)/var

.PHONY: setup system run test lint types pytest-fast bench screenshots security-report clean

# System packages (chromium, poppler, fonts, PostgreSQL client) and a running PostgreSQL.
system:
	@scripts/bootstrap-system

# The virtualenv, rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

setup: system $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

types: $(STAMP)
	$(BIN)/mypy

# The tests run with the test profile's own throwaway data dir, never the demo's var/.
pytest-fast: $(STAMP)
	PLUSONE_PROFILE=test $(BIN)/plusone makemigrations --check --dry-run
	env -u PLUSONE_DATA_DIR $(BIN)/pytest -m "not fuzz and not crash and not slow and (not browser or smoke)" -p no:cacheprovider

# The fast tier: lint, types, migrations, then the tests (one browser smoke test).
test: setup lint types pytest-fast

run: setup
	@scripts/run-demo $(HOST) $(PORT)

bench: setup
	$(BIN)/python bench/run_all.py

# Refreshes docs/screenshots/ from the demo; never run by the tests.
screenshots: setup
	scripts/screenshots

security-report: setup
	scripts/security-report

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
