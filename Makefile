# Quick start: `make serve` serves the bundled data, `make test` runs the whole test suite.
# Both create the virtual environment in .venv when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint format validate clean

$(BIN)/paxsilica: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

serve: $(BIN)/paxsilica
	$(BIN)/paxsilica serve

# The suite runs on two workers, each taking whole test files (their fixtures stay together):
# most tests wait on a real server, a browser or Virtuoso, so two share two CPUs well.
TEST_WORKERS ?= 2

test: $(BIN)/paxsilica
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(BIN)/paxsilica
	$(BIN)/ruff check .

format: $(BIN)/paxsilica
	$(BIN)/ruff format .

validate: $(BIN)/paxsilica
	$(BIN)/paxsilica validate

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
