# Two commands set everything up on a fresh clone (Python 3.11+ and make):
#   make conformance   creates .venv, installs the kit, runs the suite against the embedded
#                      reference target and writes reports/latest/
#   make test          the project's own tests: ruff, unit tests, meta-tests (with the wheel test
#                      of tests/packaging), and the whole suite against the embedded reference,
#                      serially and with -n 2
#   make package       only the packaging tests: builds the wheel, installs it into a fresh venv
#                      beside PyPI's fixtures and runs the suite from an empty directory
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
	$(BIN)/python -m pytest tests -m slow -n 2 -q

package: $(STAMP)
	$(BIN)/python -m pytest tests/packaging -q

suite: $(STAMP)
	$(BIN)/tams-conformance run --target reference --target reference-async --reports-dir reports/self-test
	$(BIN)/tams-conformance coverage --quiet --fail-on-gaps --verify reports/self-test/latest
	$(BIN)/tams-conformance run --target reference --target reference-async --reports-dir reports/self-test -- -n 2

bench: $(STAMP)
	$(BIN)/python benchmarks/mock_s3_throughput.py
	$(BIN)/python benchmarks/reference_scaling.py

clean:
	rm -rf $(VENV) reports/*/ reports/.pytest_cache .pytest_cache .ruff_cache
