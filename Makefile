# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: demo test lint format dev bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: $(STAMP)   ## synthetic city + one sync on the embedded DuckDB warehouse
	$(BIN)/childreg demo

test: $(STAMP)   ## the whole suite (PostgreSQL tests run when CHILDREG_TEST_POSTGRES_URL is set)
	$(BIN)/pytest -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

dev: $(STAMP)    ## the Dagster UI on the same definitions
	mkdir -p var/dagster_home && cp pipelines/dagster.yaml var/dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/var/dagster_home $(BIN)/dagster dev -m pipelines.definitions

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --children 20000 200000 1000000
