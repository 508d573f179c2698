"""Every documented way another team consumes this repository works as written, pinned by
commit, from a clone that has no tags.

Each form is read from docs/policy-gate.md ("Installing: pin a commit", "Plain checkov with
`--external-checks-dir`"), so the page and this test cannot drift apart. A bare clone of
`main` with every tag deleted stands in for the git host; REPO_URL becomes its URL
(`file://localhost/…`: pip's requirement parser wants a host in the URL, and git, pre-commit
and Terraform take it too) and COMMIT its head commit. From it: `pip install` into an empty
environment that already has a `terraform` command, the pre-commit hook, the Terraform module
in `examples/minimal` with the documented `source`, plain checkov with the checks of a
checkout at the commit, and the command that finds a version's release commit. checkov, the
gate's one dependency, comes from the development environment where the form allows it
(`PIP_NO_DEPS`); pre-commit builds its own environment, as it does for users.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cogfed_gate.offline_plan import plan_in
from cogfed_tools.offline_checks import REPO_ROOT
from tests.empty_environment import empty_environment, lend_checkov

DOC = REPO_ROOT / "docs" / "policy-gate.md"
FULL_SHA = re.compile(r"[0-9a-f]{40}")
FAILING = 'resource "aws_cognito_user_pool" "pool" {\n  name = "team"\n}\n'
PASSING = (
    'resource "aws_cognito_user_pool" "pool" {\n  name = "team"\n\n'
    "  username_configuration {\n    case_sensitive = true\n  }\n}\n"
)


@dataclass(frozen=True)
class GitHost:
    """A bare clone of `main` without tags, and what the documented forms pin."""

    bare: Path
    url: str
    commit: str

    def fill(self, form: str) -> str:
        """`form` with REPO_URL and COMMIT replaced; both must be in it."""
        assert "REPO_URL" in form and "COMMIT" in form, form
        return form.replace("REPO_URL", self.url).replace("COMMIT", self.commit)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def clean_host(where: Path) -> GitHost:
    """Only the commits of `main` travel: a single-branch bare clone, every tag deleted."""
    bare = where / "cognito-federation.git"
    clone = ["clone", "--quiet", "--bare", "--single-branch", "--branch", "main", "--no-tags"]
    git(*clone, REPO_ROOT.as_uri(), str(bare), cwd=where)
    for tag in git("tag", "--list", cwd=bare).split():
        git("tag", "--delete", tag, cwd=bare)
    commit = git("rev-parse", "HEAD", cwd=bare).strip()
    assert FULL_SHA.fullmatch(commit), commit
    return GitHost(bare, f"file://localhost{bare}", commit)


def fenced_blocks(language: str) -> list[str]:
    """The code blocks of docs/policy-gate.md fenced as `language`."""
    text = DOC.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def the_block(language: str, marker: str) -> str:
    """The one `language` block of the page that holds `marker`."""
    found = [block for block in fenced_blocks(language) if marker in block]
    assert len(found) == 1, f"{len(found)} {language} blocks hold {marker!r} in {DOC.name}"
    return found[0]


def pip_form() -> str:
    """The page's `pip install` command: one form wherever it appears."""
    forms = {
        line.strip()
        for block in fenced_blocks("sh")
        for line in block.splitlines()
        if line.strip().startswith("pip install")
    }
    assert len(forms) == 1, forms
    return forms.pop()


def bash(script: str, *, cwd: Path, env: dict[str, str], timeout: int = 900):
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def pyproject_version(host: GitHost, commit: str) -> str:
    text = git("show", f"{commit}:pyproject.toml", cwd=host.bare)
    return str(tomllib.loads(text)["project"]["version"])


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> GitHost:
    return clean_host(tmp_path_factory.mktemp("host"))


def _team_root(where: Path, text: str) -> Path:
    root = where / "infra"
    root.mkdir(parents=True)
    (root / "main.tf").write_text(text, encoding="utf-8")
    return root


def _checkout(host: GitHost, target: Path) -> Path:
    git("clone", "--quiet", host.url, str(target), cwd=target.parent)
    git("checkout", "--quiet", "--detach", host.commit, cwd=target)
    return target


def test_pip_install_pinned_by_commit(host: GitHost, tmp_path: Path) -> None:
    env = empty_environment(tmp_path / "env")
    existing = env / "bin" / "terraform"
    existing.write_text("#!/bin/sh\necho 'the team's own terraform'\n")
    existing.chmod(0o755)
    before = existing.read_bytes()
    lend_checkov(env)
    run = bash(
        host.fill(pip_form()),
        cwd=tmp_path,
        env={
            "PATH": f"{env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "PIP_NO_DEPS": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        },
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert existing.read_bytes() == before, "pip install replaced an existing terraform"
    added = {p.name for p in (env / "bin").iterdir()} - {"terraform"}
    assert {"cogfed-gate", "cogfed-pool"} <= added, added
    assert not {"cogfed-tf-check", "cogfed-module-docs"} & added, added

    # The version pip reports is the one the pinned commit carries.
    shown = subprocess.run(
        [env / "bin" / "python", "-m", "pip", "show", "cognito-federation"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Version: {pyproject_version(host, host.commit)}\n" in shown, shown

    checkout = _checkout(host, tmp_path / "checkout")
    for example in ("complete", "minimal"):
        gate = subprocess.run(
            [env / "bin" / "cogfed-gate", str(checkout / "examples" / example)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert gate.returncode == 0, gate.stdout[-3000:] + gate.stderr[-2000:]
        assert "Traceback" not in gate.stderr, gate.stderr


def test_plain_checkov_with_the_checks_of_a_checkout_at_a_commit(
    host: GitHost, tmp_path: Path
) -> None:
    form = host.fill(the_block("sh", "--external-checks-dir"))
    path = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
    for text, expected in ((FAILING, 1), (PASSING, 0)):
        team = tmp_path / f"team-{expected}"
        root = _team_root(team, text)
        run = bash(
            form.replace("DIR", str(root)),
            cwd=team,
            env={"PATH": path, "HOME": os.environ.get("HOME", str(tmp_path))},
            timeout=600,
        )
        assert run.returncode == expected, run.stdout[-2000:] + run.stderr[-2000:]
        assert "CKV_COGFED_1" in run.stdout, run.stdout[-2000:]
        assert "Traceback" not in run.stderr and "error" not in run.stderr.lower(), run.stderr
        checked_out = git("rev-parse", "HEAD", cwd=team / "cognito-federation").strip()
        assert checked_out == host.commit


def test_pre_commit_hook_pinned_by_commit(host: GitHost, tmp_path: Path) -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit, "pre-commit is a development dependency (pyproject.toml)"
    config = host.fill(the_block("yaml", "id: cogfed-gate"))
    (hook,) = yaml.safe_load(config)["repos"][0]["hooks"]
    team = tmp_path / "team"
    team.mkdir()
    git("init", "--quiet", cwd=team)
    (team / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    (root,) = (team / arg for arg in hook["args"])
    root.mkdir(parents=True)
    (root / "main.tf").write_text(FAILING, encoding="utf-8")
    git("add", ".", cwd=team)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("VIRTUAL_ENV", None)

    def run_hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit, "run", "--all-files", "--color", "never", "--verbose"],
            cwd=team,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    failing = run_hook()
    assert failing.returncode == 1, failing.stdout[-3000:] + failing.stderr[-2000:]
    assert "FAILED CKV_COGFED_1" in failing.stdout, failing.stdout[-3000:]
    (root / "main.tf").write_text(PASSING, encoding="utf-8")
    git("add", ".", cwd=team)
    passing = run_hook()
    assert passing.returncode == 0, passing.stdout[-3000:] + passing.stderr[-2000:]
    assert "Traceback" not in passing.stdout + passing.stderr
    # pre-commit keeps its clones of the hook repository (one more for the hook's extra
    # dependencies, `.[plan]`): each is at the pinned commit.
    clones = {
        Path(p).parent for p in (tmp_path / "pre-commit-home").glob("repo*/.pre-commit-hooks.yaml")
    }
    assert clones
    for clone in clones:
        assert git("rev-parse", "HEAD", cwd=clone).strip() == host.commit
    # The hook judged the root on an offline plan: the extra was installed from the clone.
    assert "cogfed-gate PASSED (offline plan)" in passing.stdout, passing.stdout[-2000:]


def test_terraform_module_source_pinned_by_commit(host: GitHost, tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    sources = set(re.findall(r"git::REPO_URL[^\"`\s]*", text))
    assert "git::REPO_URL?ref=COMMIT" in sources, sources
    for source in sources:
        # Every documented subdirectory exists at the commit; `depth` cannot go with a SHA.
        subdirectory = source.removeprefix("git::REPO_URL").partition("?")[0].strip("/")
        assert source.endswith("?ref=COMMIT") and "depth" not in source, source
        if subdirectory:
            git("cat-file", "-e", f"{host.commit}:{subdirectory}/main.tf", cwd=host.bare)

    (line,) = [
        line.strip()
        for line in the_block("hcl", "git::REPO_URL").splitlines()
        if line.strip().startswith("source")
    ]
    team = tmp_path / "team"
    team.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", host.commit, "examples/minimal"],
        cwd=host.bare,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(team)], input=archive, check=True)
    root = team / "examples" / "minimal"
    main_tf = root / "main.tf"
    local = main_tf.read_text(encoding="utf-8")
    assert local.count('source = "../.."') == 1
    main_tf.write_text(local.replace('source = "../.."', host.fill(line)), encoding="utf-8")

    # terraform init fetches the module at the commit; the offline provider plans it.
    plan_text, _ = plan_in(tmp_path / "plan", root)
    plan = json.loads(plan_text)
    call = plan["configuration"]["root_module"]["module_calls"]["cognito_federation"]
    assert call["source"] == host.fill(line.partition("=")[2].strip().strip('"'))
    (tmp_path / "plan.json").write_text(plan_text, encoding="utf-8")
    gate = subprocess.run(
        [
            Path(sys.executable).parent / "cogfed-gate",
            "--plan",
            str(tmp_path / "plan.json"),
            "--root",
            str(root),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert gate.returncode == 0, gate.stdout[-3000:] + gate.stderr[-2000:]
    assert "checked 1 user pools, 1 identity providers" in gate.stdout, gate.stdout


def test_the_release_command_finds_the_commit_that_carries_the_version(
    host: GitHost, tmp_path: Path
) -> None:
    form = the_block("sh", "VERSION")
    clone = tmp_path / "clone"
    git("clone", "--quiet", host.url, str(clone), cwd=tmp_path)
    assert not git("tag", "--list", cwd=clone).strip()
    version = pyproject_version(host, host.commit)
    run = bash(
        form.replace("VERSION", version),
        cwd=clone,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    release = run.stdout.strip()
    assert FULL_SHA.fullmatch(release), run.stdout
    assert pyproject_version(host, release) == version
    assert f"\n## [{version}] - " in git("show", f"{release}:CHANGELOG.md", cwd=clone)
    git("merge-base", "--is-ancestor", release, host.commit, cwd=clone)
