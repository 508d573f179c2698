"""Runs the root module's `terraform test` files (tests/terraform/module/) offline.

Providers are mocked (`mock_provider`); their schemas come from the offline schema
provider, so every plan is checked against the documented argument names too.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from cogfed_tools.offline_checks import COPY_IGNORE, REPO_ROOT, offline_provider_env, terraform

TEST_DIR = "tests/terraform/module"


@pytest.fixture(scope="module")
def test_output() -> tuple[int, str]:
    with tempfile.TemporaryDirectory(prefix="cogfed-tftest-") as tmp:
        workdir = Path(tmp)
        env = offline_provider_env(workdir)
        copy = workdir / "tree"
        shutil.copytree(REPO_ROOT, copy, ignore=COPY_IGNORE, symlinks=True)
        init = terraform(["init", "-backend=false", "-input=false", "-no-color"], copy, env)
        assert init.returncode == 0, init.stdout + init.stderr
        result = terraform(["test", "-no-color", f"-test-directory={TEST_DIR}"], copy, env)
        return result.returncode, result.stdout + result.stderr


def run_names() -> list[str]:
    names = []
    for path in sorted((REPO_ROOT / TEST_DIR).glob("*.tftest.hcl")):
        names += [f"{path.name}:{n}" for n in re.findall(r'^run "([^"]+)"', path.read_text(), re.M)]
    return names


@pytest.mark.parametrize("run", run_names())
def test_terraform_test_run_passes(test_output, run: str) -> None:
    _, output = test_output
    file_name, run_name = run.split(":")
    # Each file's runs are listed under its own "<file>... in progress" line.
    section = output.partition(f"{TEST_DIR}/{file_name}... in progress")[2]
    section = section.partition("... tearing down")[0]
    assert re.search(rf'run "{re.escape(run_name)}"\.\.\. pass', section), output


def test_terraform_test_exits_zero(test_output) -> None:
    code, output = test_output
    assert code == 0, output
