# The README's two commands: `make run` and `make test`.
# Both set up everything they need in .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench soak

$(STAMP): pyproject.toml
	infra/local/ensure-icu
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/partner-registry seed
	$(BIN)/partner-registry up

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	infra/local/ensure-postgres
	infra/local/ensure-chromium
	$(BIN)/pytest -n 4
	$(BIN)/pytest -m chaos -n 0 -s

# Benchmarks against raw baselines (about 7 minutes; --quick for a first look).
bench: install
	infra/local/ensure-postgres
	infra/local/ensure-wrk
	$(BIN)/python -m tests.benchmarks.run

# The chaos run for ten minutes instead of 45 seconds.
soak: install
	infra/local/ensure-postgres
	CHAOS_SECONDS=600 $(BIN)/pytest -m chaos -n 0 -s
