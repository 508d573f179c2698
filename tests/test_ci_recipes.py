"""The CI recipes in docs/ci/ run as their CI would run them.

Each recipe is read as YAML. The commands it runs (a GitHub Actions job's `run:` steps, a
GitLab job's `before_script` and `script`) are run in order, in bash with the CI's error
settings, in a clone of `main` without tags, with REPO_URL and COMMIT filled in as in
tests/test_consumption.py and the job's root set to `examples/complete` (passes) or to a team
root whose pool breaks a rule (fails). `python` is an empty environment (checkov lent from the
development one, `PIP_NO_DEPS`); `terraform` is the development environment's Terraform core
with the offline provider, standing in for the Terraform the recipe installs. What a recipe
hands to CI features that cannot run here (the actions a workflow `uses:`, GitLab's artifacts)
is checked against the gate's own command line, which the gate's parser must accept.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from cogfed_gate.gate import build_parser
from cogfed_tools.offline_checks import REPO_ROOT, offline_provider_env
from tests.empty_environment import empty_environment, lend_checkov
from tests.test_consumption import FAILING, GitHost, bash, clean_host, git, pip_form

RECIPES = REPO_ROOT / "docs" / "ci"
GITHUB = RECIPES / "github-actions.yml"
GITLAB = RECIPES / "gitlab-ci.yml"
PASSING_ROOT = "examples/complete"
FAILING_ROOT = "infra/team"
TEAM_PROVIDER = 'provider "aws" {\n  region = "eu-west-1"\n}\n\n'


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> GitHost:
    return clean_host(tmp_path_factory.mktemp("host"))


@dataclass
class Runner:
    """A fresh CI machine: a workspace (the clone the job checks out), an empty Python, and
    Terraform with the offline provider."""

    workspace: Path
    temp: Path
    env: dict[str, str]

    @classmethod
    def create(cls, where: Path, host: GitHost) -> Runner:
        where.mkdir(parents=True, exist_ok=True)
        workspace = where / "workspace"
        git("clone", "--quiet", host.url, str(workspace), cwd=where)
        complete = workspace / PASSING_ROOT
        # The root's variables, as its own pipeline would give them.
        shutil.copy(complete / "terraform.tfvars.example", complete / "terraform.tfvars")
        team = workspace / FAILING_ROOT
        team.mkdir(parents=True)
        (team / "main.tf").write_text(TEAM_PROVIDER + FAILING, encoding="utf-8")

        python = empty_environment(where / "python")
        lend_checkov(python)
        tools = where / "tools"
        tools.mkdir()
        terraform = tools / "terraform"
        terraform.write_text(
            f'#!/bin/sh\nPYTHONPATH="{REPO_ROOT}" exec "{sys.executable}" '
            '-P -m cogfed_gate.terraform_cli "$@"\n'
        )
        terraform.chmod(0o755)
        offline = offline_provider_env(where / "offline")
        # The job's temporary directory. Short: the offline provider puts its socket there,
        # and a Unix socket's path is limited to about 100 bytes.
        temp = Path(tempfile.mkdtemp(prefix="cogfed-ci-"))
        env = {
            "PATH": f"{python / 'bin'}:{tools}:/usr/local/bin:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", str(where)),
            "PIP_NO_DEPS": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            **{k: v for k, v in offline.items() if k.startswith(("TF_", "CHECKPOINT_"))},
        }
        return cls(workspace, temp, env)

    def run(self, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return bash(script, cwd=self.workspace, env={**self.env, **env})

    def remove_temp(self) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)


@pytest.fixture
def runners(tmp_path: Path, host: GitHost) -> Iterator[Callable[[str], Runner]]:
    made: list[Runner] = []

    def make(name: str) -> Runner:
        made.append(Runner.create(tmp_path / name, host))
        return made[-1]

    yield make
    for runner in made:
        runner.remove_temp()


def _ci_values(host: GitHost, root: str) -> dict[str, str]:
    return {"COGFED_REPO_URL": host.url, "COGFED_COMMIT": host.commit, "TF_ROOT": root}


def _variables(mapping: dict[str, Any]) -> dict[str, str]:
    """A recipe's variables; GitHub expressions (`${{ … }}`) are not evaluated here."""
    values = {k: str(v) for k, v in mapping.items()}
    assert not [v for v in values.values() if "${{" in v], values
    return values


def _gate_argv(script: str) -> list[str]:
    """The gate's command line in a script (continuations joined, comments dropped)."""
    commands = [
        shlex.split(line, comments=True)
        for line in script.replace("\\\n", " ").splitlines()
        if line.strip().startswith("cogfed-gate")
    ]
    assert len(commands) == 1, script
    return commands[0]


def _accepted(argv: list[str]) -> Any:
    assert argv[0] == "cogfed-gate"
    return build_parser().parse_args(argv[1:])


def _static_forms(recipe: Path) -> list[Any]:
    """The static-mode alternative each recipe gives in a comment."""
    lines = re.findall(r"^\s*#\s+(cogfed-gate .*)$", recipe.read_text(encoding="utf-8"), re.M)
    assert lines, recipe
    return [_accepted(shlex.split(line)) for line in lines]


def _check_reports(runner: Runner, sarif: str, junit: str, *, failed: bool) -> None:
    report = json.loads((runner.workspace / sarif).read_text(encoding="utf-8"))
    results = report["runs"][0]["results"]
    assert bool(results) == failed, results
    for result in results:
        for location in result["locations"]:
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            # relative to the top directory, where code scanning looks for it
            assert not Path(uri).is_absolute() and (runner.workspace / uri).is_file(), uri
    suites = ET.parse(runner.workspace / junit).getroot()
    failures = sum(int(s.get("failures", 0)) for s in suites.iter("testsuite"))
    assert (failures > 0) == failed, ET.tostring(suites)[:2000]


def _terraform_version() -> str:
    shown = subprocess.run(
        [sys.executable, "-m", "cogfed_gate.terraform_cli", "version", "-json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return str(json.loads(shown)["terraform_version"])


def _same_install_form(script: str) -> None:
    # The recipe installs the gate with the form docs/policy-gate.md documents, without the
    # `plan` extra: it judges the pipeline's own plan, so it makes no offline plan.
    documented = pip_form().removeprefix("pip install ").replace("[plan]", "")
    assert documented != pip_form().removeprefix("pip install "), "the page's form lost [plan]"
    expected = documented.replace("REPO_URL", "${COGFED_REPO_URL}").replace(
        "COMMIT", "${COGFED_COMMIT}"
    )
    assert expected in script, (expected, script)


# GitHub Actions ------------------------------------------------------------------------------


def _github() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    workflow = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    return workflow, job, job["steps"]


def _step(steps: list[dict[str, Any]], *, uses: str = "", step_id: str = "") -> dict[str, Any]:
    (found,) = [
        s
        for s in steps
        if (uses and str(s.get("uses", "")).split("@")[0] == uses)
        or (step_id and s.get("id") == step_id)
    ]
    return found


def _github_job(runner: Runner, host: GitHost, root: str) -> tuple[dict[str, int], str]:
    """Run the job's `run:` steps in order, as GitHub does: a failed step ends the job.
    The exit code of each step that ran, and the output of the last one."""
    workflow, job, steps = _github()
    assert job["defaults"]["run"]["shell"] == "bash"
    codes: dict[str, int] = {}
    output = ""
    for step in steps:
        if "run" not in step:
            continue
        assert "if" not in step and not step.get("continue-on-error"), step
        env = {
            **_variables(workflow.get("env", {})),
            **_variables(job.get("env", {})),
            **_variables(step.get("env", {})),
            **_ci_values(host, root),
            "RUNNER_TEMP": str(runner.temp),
        }
        result = runner.run(step["run"], env)
        codes[step["id"]] = result.returncode
        output = result.stdout[-4000:] + result.stderr[-4000:]
        if result.returncode != 0:
            break
    return codes, output


def test_github_actions_recipe_yaml() -> None:
    workflow, _, steps = _github()
    events = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert {"pull_request", "push"} <= set(events), events
    assert workflow["permissions"]["security-events"] == "write"
    assert workflow["permissions"]["id-token"] == "write"
    assert [s["id"] for s in steps if "run" in s] == ["install", "plan", "gate"]
    setup = _step(steps, uses="hashicorp/setup-terraform")
    assert setup["with"]["terraform_wrapper"] is False
    assert workflow["env"]["TERRAFORM_VERSION"] == _terraform_version()
    assert _step(steps, uses="aws-actions/configure-aws-credentials")["with"]["role-to-assume"]
    _same_install_form(_step(steps, step_id="install")["run"])

    # The SARIF the gate writes is uploaded, also after the gate failed, when it exists.
    gate = _accepted(_gate_argv(_step(steps, step_id="gate")["run"]))
    assert gate.plan and gate.sarif and gate.junitxml and gate.root == "$TF_ROOT"
    upload = _step(steps, uses="github/codeql-action/upload-sarif")
    assert upload["with"]["sarif_file"] == gate.sarif
    condition = upload["if"].replace(" ", "")
    assert "always()" in condition and f"hashFiles('{gate.sarif}')!=''" in condition, condition
    assert steps.index(upload) > steps.index(_step(steps, step_id="gate"))
    for static in _static_forms(GITHUB):
        assert not static.plan and static.directories == ["$TF_ROOT"]
        assert static.sarif == gate.sarif


def test_github_actions_recipe_runs(host: GitHost, runners: Callable[[str], Runner]) -> None:
    _, _, steps = _github()
    gate = _accepted(_gate_argv(_step(steps, step_id="gate")["run"]))

    passing = runners("passing")
    codes, output = _github_job(passing, host, PASSING_ROOT)
    assert codes == {"install": 0, "plan": 0, "gate": 0}, (codes, output)
    assert "cogfed-gate PASSED (plan)" in output, output
    _check_reports(passing, gate.sarif, gate.junitxml, failed=False)
    assert not list(passing.workspace.rglob("cogfed-plan.json")), "the plan is in the workspace"

    failing = runners("failing")
    codes, output = _github_job(failing, host, FAILING_ROOT)
    assert codes == {"install": 0, "plan": 0, "gate": 1}, (codes, output)
    assert "FAILED CKV_COGFED_1" in output, output
    _check_reports(failing, gate.sarif, gate.junitxml, failed=True)


# GitLab CI/CD --------------------------------------------------------------------------------


def _gitlab() -> dict[str, Any]:
    pipeline = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    (job,) = pipeline.values()
    return job


def _gitlab_script(job: dict[str, Any]) -> str:
    # GitLab runs before_script and script as one shell script, stopping at a failure.
    return "\n".join([*job["before_script"], *job["script"]])


def test_gitlab_recipe_yaml() -> None:
    job = _gitlab()
    script = _gitlab_script(job)
    syntax = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    assert job["variables"]["TERRAFORM_VERSION"] == _terraform_version()
    assert "AWS_ID_TOKEN" in job["id_tokens"]
    _same_install_form("\n".join(job["before_script"]))

    gate = _accepted(_gate_argv("\n".join(job["script"])))
    assert gate.plan and gate.sarif and gate.junitxml and gate.root == "$TF_ROOT"
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert {gate.sarif, gate.junitxml} <= set(artifacts["paths"])
    assert artifacts["reports"]["junit"] == gate.junitxml
    assert not [p for p in artifacts["paths"] if "plan" in p], "the plan holds secrets"
    for static in _static_forms(GITLAB):
        assert not static.plan and static.directories == ["$TF_ROOT"]
        assert static.sarif == gate.sarif


def test_gitlab_recipe_runs(host: GitHost, runners: Callable[[str], Runner]) -> None:
    job = _gitlab()
    script = _gitlab_script(job)
    gate = _accepted(_gate_argv("\n".join(job["script"])))

    def run_job(runner: Runner, root: str) -> subprocess.CompletedProcess[str]:
        env = {
            **_variables(job["variables"]),
            **_ci_values(host, root),
            "AWS_ID_TOKEN": "the job's ID token",
            "COGFED_PLAN_ROLE_ARN": "arn:aws:iam::111122223333:role/cognito-plan",
            "TMPDIR": str(runner.temp),
        }
        return runner.run(script, env)

    passing = runners("passing")
    result = run_job(passing, PASSING_ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "cogfed-gate PASSED (plan)" in result.stdout
    _check_reports(passing, gate.sarif, gate.junitxml, failed=False)
    assert not list(passing.workspace.rglob("cogfed-plan.json")), "the plan is in the workspace"

    failing = runners("failing")
    result = run_job(failing, FAILING_ROOT)
    assert result.returncode == 1, result.stdout[-4000:] + result.stderr[-4000:]
    assert "FAILED CKV_COGFED_1" in result.stdout
    _check_reports(failing, gate.sarif, gate.junitxml, failed=True)


@pytest.mark.parametrize("recipe", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_a_recipe_refuses_a_commit_that_is_not_a_full_sha(
    recipe: Path, host: GitHost, runners: Callable[[str], Runner]
) -> None:
    if recipe == GITHUB:
        workflow, _, steps = _github()
        shipped, script = workflow["env"], _step(steps, step_id="install")["run"]
    else:
        job = _gitlab()
        shipped, script = job["variables"], _gitlab_script(job)
    runner = runners("machine")
    # The recipe as shipped (its placeholder), a branch, an abbreviated SHA.
    for commit in (shipped["COGFED_COMMIT"], "main", host.commit[:12]):
        values = {**_ci_values(host, PASSING_ROOT), "COGFED_COMMIT": commit}
        result = runner.run(script, values)
        assert result.returncode == 2, (commit, result.stdout, result.stderr)
        assert "full 40-hex SHA" in result.stderr
        assert not (runner.workspace.parent / "python" / "bin" / "cogfed-gate").exists()
