# The two commands of the README: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test test-sqlite test-postgres lint format i18n clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

## make run: set up, migrate, load demo data into an empty database, serve on http://$(HOST):$(PORT)
run: $(VENV)/.installed
	$(BIN)/chophien migrate
	$(BIN)/chophien seed-demo
	$(BIN)/chophien serve --host $(HOST) --port $(PORT)

## make test: set up with the test extras and run the whole suite (TEST_DB=sqlite|postgres)
test: $(VENV)/.installed-test
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-test
	TEST_DB=postgres $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix app tests bench
	$(BIN)/ruff format app tests bench

## make i18n: extract every user-facing string and update the Vietnamese and English catalogs
i18n: $(VENV)/.installed-test
	$(BIN)/python -m app.i18n_tools update

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
