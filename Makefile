# The README's two commands: `make run` and `make test`.
# Both set up everything they need in .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench soak mutate catalogue

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
	$(BIN)/lint-imports

# Branch coverage of the code run in the test processes (the parts the tests
# start as processes are not measured): a floor for all of it, and a higher
# one for the domain, the service layer, the record contract and projections.
CORE_FILES := registry/domain/* registry/service/* registry/record/* projections/*
comma := ,
space := $(subst ,, )
CORE := $(subst $(space),$(comma),$(strip $(CORE_FILES)))

test: lint
	infra/local/ensure-postgres
	infra/local/ensure-chromium
	infra/local/ensure-go
	infra/local/ensure-oidc-provider
	infra/local/ensure-axe
	$(BIN)/pytest -n 4 --durations=25 --cov --cov-report=term --cov-fail-under=78
	$(BIN)/coverage report --include='$(CORE)' --fail-under=95
	$(BIN)/pytest -m chaos -n 0 -s

# Benchmarks against raw baselines (about 20 minutes on two cores; --quick for a first look).
bench: install
	infra/local/ensure-postgres
	infra/local/ensure-wrk
	$(BIN)/python -m tests.benchmarks.run

# The chaos run for ten minutes instead of 45 seconds.
soak: install
	infra/local/ensure-postgres
	CHAOS_SECONDS=600 $(BIN)/pytest -m chaos -n 0 -s

# Mutation testing of the domain and the current-partners fold (about a minute).
mutate: install
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/mutmut results

# The message catalogue brought up to date with what the pages and refusals say.
catalogue: install
	$(BIN)/python infra/local/update-catalogue
