# Two commands set everything up on a fresh clone (Python 3.11+ and make):
#   make conformance   creates .venv, installs the kit, runs the suite against the embedded
#                      reference target and writes reports/latest/
#   make test          the project's own tests: ruff, unit tests, meta-tests (with the wheel test
#                      of tests/packaging), and the whole suite against the embedded reference
#                      with -n 2 (the meta-tests run it serially, once per fault and variant)
#   make package       only the packaging tests: builds the wheel, installs it into a fresh venv
#                      beside PyPI's fixtures and runs the suite from an empty directory
#   make bench         every script of benchmarks/ with its default (modest) size
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=

# The official TAMS API files: $TAMS_SPEC_DIR if set, else a bbc/tams checkout beside the
# project when there is one; otherwise the kit downloads the pinned version once and caches it.
TAMS_SPEC_DIR ?= $(firstword $(wildcard $(abspath ../shared/tams-api)))
ifneq ($(strip $(TAMS_SPEC_DIR)),)
export TAMS_SPEC_DIR
endif

# Bytecode, and pytest's rewritten checks, are cached in build/pycache even where the
# environment sets PYTHONDONTWRITEBYTECODE: every meta-test starts the suite in fresh processes,
# and compiling the kit and rewriting its checks again each time was a sixth of their CPU time.
unexport PYTHONDONTWRITEBYTECODE
PYTHONPYCACHEPREFIX ?= $(abspath build/pycache)
export PYTHONPYCACHEPREFIX

.PHONY: conformance test lint unit meta package suite bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tams-conformance needs Python 3.11 or newer: run make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

conformance: $(STAMP)
	$(BIN)/tams-conformance run $(ARGS)

test: lint unit meta suite

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not slow" -n 2 -q

meta: $(STAMP)
	$(BIN)/python -m pytest tests -m slow -n 2 -q --durations=15

package: $(STAMP)
	$(BIN)/python -m pytest tests/packaging -q

# One run with -n 2 for both default targets: the meta-tests already run the whole suite
# serially against the plain reference (tests/meta/test_isolation.py) and per fault and variant.
suite: $(STAMP)
	$(BIN)/tams-conformance run --target reference --target reference-async --reports-dir reports/self-test -- -n 2
	$(BIN)/tams-conformance coverage --quiet --fail-on-gaps --verify reports/self-test/latest

# Every benchmark script there is (each prints its figures: min/median/max of interleaved runs).
bench: $(STAMP)
	@for script in benchmarks/*.py; do \
		echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

clean:
	rm -rf $(VENV) build/pycache reports/*/ reports/.pytest_cache .pytest_cache .ruff_cache
