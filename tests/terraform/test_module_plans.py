"""Runs the modules' `terraform test` files offline.

Providers are mocked (`mock_provider`); their schemas come from the offline schema
provider, so every plan is also checked against the documented argument names.
Each suite is a configuration directory and the directory of its .tftest.hcl files.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from cogfed_tools.offline_checks import COPY_IGNORE, REPO_ROOT, offline_provider_env, terraform

SUITES = {
    # configuration directory: test directory (both relative to the repository)
    ".": "tests/terraform/module",
    "modules/triggers": "tests/terraform/triggers",
}


@pytest.fixture(scope="module")
def suite_output() -> dict[str, tuple[int, str]]:
    results: dict[str, tuple[int, str]] = {}
    with tempfile.TemporaryDirectory(prefix="cogfed-tftest-") as tmp:
        workdir = Path(tmp)
        env = offline_provider_env(workdir)
        copy = workdir / "tree"
        shutil.copytree(REPO_ROOT, copy, ignore=COPY_IGNORE, symlinks=True)
        for config, test_dir in SUITES.items():
            cwd = copy / config
            # Terraform wants the test directory inside the configuration directory.
            relative = "cogfed-tests"
            shutil.copytree(copy / test_dir, cwd / relative)
            init = terraform(["init", "-backend=false", "-input=false", "-no-color"], cwd, env)
            assert init.returncode == 0, init.stdout + init.stderr
            result = terraform(["test", "-no-color", f"-test-directory={relative}"], cwd, env)
            results[config] = (result.returncode, result.stdout + result.stderr)
    return results


def run_names() -> list[tuple[str, str, str]]:
    cases = []
    for config, test_dir in SUITES.items():
        for path in sorted((REPO_ROOT / test_dir).glob("*.tftest.hcl")):
            for name in re.findall(r'^run "([^"]+)"', path.read_text(), re.M):
                cases.append((config, path.name, name))
    return cases


@pytest.mark.parametrize(("config", "file_name", "run_name"), run_names())
def test_terraform_test_run_passes(suite_output, config: str, file_name: str, run_name: str):
    _, output = suite_output[config]
    # Each file's runs are listed under its own "<dir>/<file>... in progress" line.
    section = output.partition(f"/{file_name}... in progress")[2]
    section = section.partition("... tearing down")[0]
    assert re.search(rf'run "{re.escape(run_name)}"\.\.\. pass', section), output


@pytest.mark.parametrize("config", sorted(SUITES))
def test_terraform_test_suite_exits_zero(suite_output, config: str) -> None:
    code, output = suite_output[config]
    assert code == 0, output
    assert re.search(r"Success! [1-9][0-9]* passed, 0 failed", output), output
