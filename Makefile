# Everything runs inside .venv, built from pyproject.toml on first use: a fresh
# machine needs only Python 3.11+ and the package registry.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: install test fuzz demo lint fmt docs bench tf-check gate clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

test: $(STAMP)
	$(BIN)/python -m pytest

# The fuzzer's large profile (tests/fuzz): 20,000 trigger events by default; prints what it
# covered, and the minimal failing sequence (exit 1) on an invariant violation.
# FUZZ_ARGS, e.g. "--seed 7 --events 50000" or "--without kelvin,partner".
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz $(FUZZ_ARGS)

demo: $(STAMP)
	$(BIN)/python -m cogfed_tools.demo

tf-check: $(STAMP)
	$(BIN)/cogfed-tf-check

gate: $(STAMP)
	$(BIN)/cogfed-gate examples/complete examples/minimal

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/terraform fmt -check -recursive -diff

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/terraform fmt -recursive

docs: $(STAMP)
	$(BIN)/cogfed-module-docs

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
