# civicdesk — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/civicdesk_test
STAMP  := $(VENV)/.installed

.PHONY: help demo test test-pg test-browser lint bench clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP) ## Set up, load the Hangzhou configuration and demo history, serve on 127.0.0.1:8000
	$(BIN)/civicdesk demo run

test: $(STAMP) ## Set up and run the whole test suite (SQLite; browser tests when Chromium is present)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg: $(STAMP) ## The same suite against the local PostgreSQL ($(PG_TEST_URL))
	$(BIN)/python tools/ensure_pg_database.py $(PG_TEST_URL)
	CIVICDESK_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## Ruff lint and format check
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

bench: $(STAMP) ## Run the benchmarks and print their figures (see docs/benchmarks.md)
	$(BIN)/python benchmarks/run_all.py

clean: ## Remove the virtual environment and local databases
	rm -rf $(VENV) civicdesk.db civicdesk.db-wal civicdesk.db-shm
