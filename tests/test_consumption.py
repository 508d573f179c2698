"""Every documented way another team consumes the gate works as written, from a git tag.

A bare clone of this repository, tagged, stands in for the git host (`file://`). From it:
`pip install` at the tag into an empty environment that already has a `terraform` command,
the pre-commit hook at the tag, and plain checkov with `--external-checks-dir` of a checkout at
the tag. checkov, the gate's one dependency, comes from the development environment where the
form allows it (pip `--no-deps`); pre-commit builds its own environment, as it does for users.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cogfed_tools.offline_checks import REPO_ROOT
from tests.empty_environment import empty_environment, lend_checkov

TAG = "v0.0.0-consumption-test"
FAILING = 'resource "aws_cognito_user_pool" "pool" {\n  name = "team"\n}\n'
PASSING = (
    'resource "aws_cognito_user_pool" "pool" {\n  name = "team"\n\n'
    "  username_configuration {\n    case_sensitive = true\n  }\n}\n"
)


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare clone of the committed tree, tagged TAG: the `file://` git host."""
    bare = tmp_path_factory.mktemp("host") / "cognito-federation.git"
    _git("clone", "--quiet", "--bare", REPO_ROOT.as_uri(), str(bare), cwd=REPO_ROOT)
    _git("tag", TAG, "HEAD", cwd=bare)
    return bare


def _team_root(where: Path, text: str) -> Path:
    root = where / "infra"
    root.mkdir(parents=True)
    (root / "main.tf").write_text(text, encoding="utf-8")
    return root


def test_pip_install_from_git_at_a_tag(host: Path, tmp_path: Path) -> None:
    env = empty_environment(tmp_path / "env")
    existing = env / "bin" / "terraform"
    existing.write_text("#!/bin/sh\necho 'the team's own terraform'\n")
    existing.chmod(0o755)
    before = existing.read_bytes()
    subprocess.run(
        [
            env / "bin" / "pip",
            "install",
            "-q",
            "--no-deps",
            # the documented `cognito-federation @ git+https://…@tag`; pip 23 takes a
            # file:// host only without the name
            f"git+{host.as_uri()}@{TAG}",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert existing.read_bytes() == before, "pip install replaced an existing terraform"
    lend_checkov(env)
    added = {p.name for p in (env / "bin").iterdir()} - {"terraform"}
    assert "cogfed-gate" in added and not {"cogfed-tf-check", "cogfed-module-docs"} & added

    checkout = tmp_path / "checkout"
    _git("clone", "--quiet", "--branch", TAG, host.as_uri(), str(checkout), cwd=tmp_path)
    for example in ("complete", "minimal"):
        run = subprocess.run(
            [env / "bin" / "cogfed-gate", str(checkout / "examples" / example)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        assert "Traceback" not in run.stderr, run.stderr


def test_external_checks_dir_of_a_checkout_at_a_tag(host: Path, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    _git("clone", "--quiet", "--branch", TAG, host.as_uri(), str(checkout), cwd=tmp_path)
    checkov = Path(sys.executable).parent / "checkov"
    for text, expected in ((FAILING, 1), (PASSING, 0)):
        root = _team_root(tmp_path / f"team-{expected}", text)
        run = subprocess.run(
            [
                checkov,
                "-d",
                str(root),
                "--framework",
                "terraform",
                "--external-checks-dir",
                str(checkout / "policies"),
                "--check",
                "CKV*_COGFED_*",
                "--skip-download",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == expected, run.stdout[-2000:] + run.stderr[-2000:]
        assert "Traceback" not in run.stderr and "error" not in run.stderr.lower(), run.stderr


def test_pre_commit_hook_at_a_tag(host: Path, tmp_path: Path) -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit, "pre-commit is a development dependency (pyproject.toml)"
    team = tmp_path / "team"
    team.mkdir()
    _git("init", "--quiet", cwd=team)
    (team / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {host.as_uri()}\n    rev: {TAG}\n    hooks:\n"
        "      - id: cogfed-gate\n        args: [infra]\n",
        encoding="utf-8",
    )
    root = _team_root(team, FAILING)
    _git("add", ".", cwd=team)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("VIRTUAL_ENV", None)

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit, "run", "--all-files", "--color", "never"],
            cwd=team,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    failing = hook()
    assert failing.returncode == 1, failing.stdout[-3000:] + failing.stderr[-2000:]
    assert "FAILED CKV_COGFED_1" in failing.stdout, failing.stdout[-3000:]
    (root / "main.tf").write_text(PASSING, encoding="utf-8")
    _git("add", ".", cwd=team)
    passing = hook()
    assert passing.returncode == 0, passing.stdout[-3000:] + passing.stderr[-2000:]
    assert "Traceback" not in passing.stdout + passing.stderr
