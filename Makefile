# Every target creates the virtual environment and installs into it what it needs: `serve`
# mockquay alone (with pip, from a bare Python), `test` and `bench` mockquay with its test extra
# (with uv, which pip installs first: several times faster than pip; it compiles the bytecode
# as pip does, so that the suite's processes do not each compile it at once).
# The suite runs on every core (pytest-xdist); ARGS="-n 0" runs it in one process.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVE_STAMP := $(VENV)/.installed-serve
TEST_STAMP := $(VENV)/.installed-test
# The floors check: mockquay and its test extra at the lowest versions setup.cfg allows.
FLOORS := .venv-floors
FLOORS_STAMP := $(FLOORS)/.installed
FLOORS_SMOKE := $(FLOORS)/bin/python -m pytest -q -p no:warnings \
	tests/test_fixtures.py tests/test_conformance_get.py tests/test_cli.py
# Prerequisites are made side by side: `test` builds the floors venv while `check` runs.
MAKEFLAGS += --jobs=2

.PHONY: serve check test floors bench container-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(SERVE_STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(SERVE_STAMP)

$(TEST_STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[test]'
	touch $(TEST_STAMP)

$(FLOORS_STAMP): setup.cfg pyproject.toml $(TEST_STAMP)
	rm -rf $(FLOORS)
	$(BIN)/uv venv --quiet --python $(BIN)/python $(FLOORS)
	$(BIN)/uv pip install --quiet --python $(FLOORS)/bin/python --resolution lowest-direct -e '.[test]'
	touch $(FLOORS_STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/mockquay serve $(ARGS)

check: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy mockquay
	$(BIN)/python -m pytest -n auto $(ARGS)

test: check $(FLOORS_STAMP)
	$(FLOORS_SMOKE)

floors: $(FLOORS_STAMP)
	$(FLOORS_SMOKE)

bench: $(TEST_STAMP)
	$(BIN)/python bench/run.py $(ARGS)

# Builds the image and runs it (docs/container.md); not part of `test`: it takes a minute.
container-smoke:
	container/smoke.sh

clean:
	rm -rf $(VENV) $(FLOORS) build *.egg-info
