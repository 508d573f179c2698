"""cogfed-gate: the project's checkov checks, with proof that they ran.

checkov passes quietly when a check fails to load, when a value is unresolved, or when a module
was never downloaded (FACTS.md §9). The gate runs the contract's checkov command
(CONTRACT.md §2) and then proves the scan meant something:

1. canary: the same checkov, with the same policies, scans a bundled tree (``gate_canary``)
   where every check must fail one resource and pass another; a check that did not load, was
   filtered out or misbehaves is named;
2. coverage: the gate parses the scanned Terraform itself and requires a result from every
   applicable check on every Cognito resource block and module call it finds (an instance
   checkov silently dropped, e.g. a count it evaluated to 0, is named);
3. module sources: a module call whose source checkov did not scan fails (CKV_COGFED_5; the
   canary proves that check runs);
4. parse errors, unknown checkov exit codes, load errors in checkov's log, and suppressions
   without a reason all fail the gate.

checkov runs with the exact arguments of the contract's command line, from the gate's own
interpreter (the same checkov the gate depends on), each scan in a process of its own, so no
process-global registry is shared between the canary scan and the real one, and the scans
run in parallel. Where the system can fork, those processes are forks of one that imported
checkov once (cogfed_gate/checkov_runs.py), which saves most of a small scan's CPU.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from cogfed_gate import checkov_runs, gate_canary, gate_report

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

POLICIES_ENV = "COGFED_POLICIES_DIR"
NO_INSTANCES = re.compile(r"cogfed-gate:\s*no-instances\b[ \t:]*(?P<reason>[^\n]*)")
IGNORED_DIRS = frozenset({"node_modules", ".terraform", ".serverless"})  # checkov's defaults
LOAD_ERRORS = re.compile(
    r"Cannot load external check[^\n]*|Failed to parse check id[^\n]*|"
    r"Loaded data from JSON is not Dict[^\n]*|Refusing to load unverified[^\n]*"
)


class GateError(Exception):
    """A usage or environment problem: the message names it and the fix."""


# --------------------------------------------------------------------------------------------
# Finding the policies


def _valid_policies_dir(path: Path) -> bool:
    return (path / "cogfed_rules.py").is_file() and (path / "__init__.py").is_file()


def find_policies_dir(explicit: str | None = None) -> Path:
    """The project's external-checks directory.

    Looked up as: ``--policies-dir``; ``$COGFED_POLICIES_DIR``; then the checks that ship
    beside this file: ``cogfed_gate/policies`` in an installed wheel, ``policies/`` next to
    ``cogfed_gate/`` in a checkout. Never another installation's copy: the gate and its checks
    come from one tree.
    """
    if explicit:
        path = Path(explicit).resolve()
        if not _valid_policies_dir(path):
            raise GateError(
                f"--policies-dir {explicit}: no cogfed_rules.py and __init__.py there; point it "
                "at the repository's policies/ directory"
            )
        return path
    candidates: list[Path] = []
    if os.environ.get(POLICIES_ENV):
        candidates.append(Path(os.environ[POLICIES_ENV]))
    here = Path(__file__).resolve().parent
    candidates += [here / "policies", here.parent / "policies"]
    for candidate in candidates:
        if _valid_policies_dir(candidate.resolve()):
            return candidate.resolve()
    raise GateError(
        "cannot find the policy checks (policies/cogfed_rules.py): reinstall the package so it "
        f"ships cogfed_gate/policies, or pass --policies-dir PATH / set {POLICIES_ENV}"
    )


def load_rules(policies: Path) -> ModuleType:
    """The rule catalogue from the policies directory (it imports nothing from checkov)."""
    spec = importlib.util.spec_from_file_location("cogfed_gate_rules", policies / "cogfed_rules.py")
    if spec is None or spec.loader is None:
        raise GateError(f"cannot import {policies / 'cogfed_rules.py'}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module while the class is built
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------
# Running checkov


@dataclass
class Scan:
    """One checkov run: its records, parse errors, exit code and log."""

    directory: Path
    returncode: int
    records: list[dict[str, Any]]
    parsing_errors: list[str]
    stderr: str
    problems: list[str] = field(default_factory=list)


def checkov_command(
    directory: Path,
    policies: Path,
    pattern: str,
    *,
    download_external_modules: bool = False,
    var_files: Sequence[str] = (),
) -> list[str]:
    """The contract's command line (CONTRACT.md §2), plus JSON output for the gate to read."""
    command = [
        sys.executable,
        "-m",
        "checkov.main",
        "-d",
        str(directory),
        "--framework",
        "terraform",
        "--external-checks-dir",
        str(policies),
        "--check",
        pattern,
        "--skip-download",
        "-o",
        "json",
    ]
    if download_external_modules:
        command += ["--download-external-modules", "true"]
    for var_file in var_files:
        command += ["--var-file", var_file]
    return command


def _checkov_arguments(command: list[str]) -> list[str]:
    if command[: len(checkov_runs.CHECKOV)] != checkov_runs.CHECKOV:
        raise AssertionError(f"not a checkov command: {command}")
    return command[len(checkov_runs.CHECKOV) :]


def _scan(finished: checkov_runs.Finished, directory: Path, timeout: float) -> Scan:
    if finished.timed_out:
        return Scan(directory, -1, [], [], "", [f"checkov did not finish within {timeout:.0f} s"])
    stdout, stderr = finished.stdout, finished.stderr
    scan = Scan(directory, finished.returncode, [], [], stderr)
    if finished.returncode not in (0, 1):
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        scan.problems.append(f"checkov exited with {finished.returncode}:\n{tail}")
        return scan
    try:
        document = json.loads(stdout) if stdout.strip() else {}
    except json.JSONDecodeError as exc:
        scan.problems.append(f"checkov's JSON output could not be read ({exc})")
        return scan
    reports = document if isinstance(document, list) else [document]
    for report in reports:
        results = report.get("results") if isinstance(report, dict) else None
        if not isinstance(results, dict):
            continue  # a summary-only document: nothing was found to scan
        for kind, result in (
            ("failed_checks", "FAILED"),
            ("passed_checks", "PASSED"),
            ("skipped_checks", "SKIPPED"),
        ):
            for record in results.get(kind, []):
                entry = _record(record, result, directory)
                details = entry["details"]
                if any(line.startswith("Undecided:") for line in details):
                    if result == "PASSED":
                        # not blocking (values hidden by a module-call cycle): checkov knows
                        # no "undecided", so the policies pass with these details
                        entry["result"] = "UNDECIDED"
                    elif not any(line.startswith(("Violation:", "Error:")) for line in details):
                        entry["undecided"] = True  # failed because it could not be decided
                scan.records.append(entry)
        scan.parsing_errors += [str(p) for p in results.get("parsing_errors", [])]
    for match in LOAD_ERRORS.finditer(stderr):
        scan.problems.append(f"checkov could not load a policy: {match.group(0).strip()}")
    return scan


def _record(raw: dict[str, Any], result: str, directory: Path) -> dict[str, Any]:
    check_result = raw.get("check_result") or {}
    caller = raw.get("caller_file_path")
    return {
        "check_id": raw.get("check_id"),
        "check_name": raw.get("check_name"),
        "result": result,
        "resource": raw.get("resource"),
        "file_abs_path": raw.get("file_abs_path"),
        "file_path": raw.get("file_path"),
        "lines": raw.get("file_line_range") or [0, 0],
        "caller_file_path": str(directory / caller.lstrip("/")) if caller else None,
        "caller_lines": raw.get("caller_file_line_range"),
        # checkov can repeat a check's detail lines; keep each once, in order
        "details": list(dict.fromkeys(raw.get("details") or [])),
        "severity": raw.get("severity"),
        "suppress_comment": check_result.get("suppress_comment"),
    }


def run_scans(
    directories: Sequence[Path],
    policies: Path,
    pattern: str,
    *,
    download_external_modules: bool = False,
    var_files: Sequence[str] = (),
    timeout: float = 900.0,
    canary_dir: Path | None = None,
) -> tuple[list[Scan], Scan | None]:
    """Scan every directory (and the canary, when given), a few checkov processes at a time.
    checkov runs in an empty directory (checkov_runs.py), so every path it gets is absolute."""
    commands = [
        (
            directory,
            checkov_command(
                directory.absolute(),
                policies.absolute(),
                pattern,
                download_external_modules=download_external_modules,
                var_files=[str(Path(v).absolute()) for v in var_files],
            ),
        )
        for directory in directories
    ]
    if canary_dir is not None:
        commands.append(
            (canary_dir, checkov_command(canary_dir.absolute(), policies.absolute(), pattern))
        )
    env = dict(
        os.environ, ANSI_COLORS_DISABLED="1", LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING")
    )
    runs = checkov_runs.run_all(
        [_checkov_arguments(command) for _, command in commands],
        width=max(2, os.cpu_count() or 2),
        timeout=timeout,
        env=env,
    )
    finished = [
        _scan(run, directory, timeout) for (directory, _), run in zip(commands, runs, strict=True)
    ]
    if canary_dir is not None:
        return finished[:-1], finished[-1]
    return finished, None


# --------------------------------------------------------------------------------------------
# Coverage: what the gate itself finds in the Terraform


@dataclass
class Block:
    kind: str  # "resource" or "module"
    type: str  # resource type, or "module"
    name: str
    file: Path
    start: int
    end: int
    multi: bool  # has count or for_each
    marker: str | None  # the reason of a `cogfed-gate: no-instances` comment, if any
    instances: str | None = None  # the count expression, as written
    visible: frozenset[str] = frozenset()  # variables of its module whose value checkov sees


def _tf_files(directory: Path, skipped: list[str] | None = None) -> Iterable[Path]:
    """The .tf files under `directory`, as checkov walks it. Directory links are not followed
    (so a link back up the tree cannot loop); a file link that loops or dangles is left out,
    and said in `skipped`."""
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in IGNORED_DIRS)
        for name in sorted(files):
            if not name.endswith(".tf"):
                continue
            path = Path(root) / name
            problem = _link_problem(path)
            if problem is None:
                yield path
            elif skipped is not None and problem not in skipped:
                skipped.append(problem)


def _parse(path: Path) -> dict[str, Any]:
    import hcl2  # checkov's own HCL parser, installed with it

    try:
        # utf-8-sig: a byte order mark is valid for Terraform, and checkov reads past it too.
        with path.open(encoding="utf-8-sig") as handle:
            return hcl2.load(handle)
    except Exception as exc:  # hcl2 raises lark errors of many kinds
        line = getattr(exc, "line", None)
        where = f"{_display(path)}:{line}" if isinstance(line, int) else _display(path)
        verdict = _terraform_verdict(path)
        if verdict is None:
            raise GateError(
                f"checkov could not read {where} ({type(exc).__name__}), and Terraform confirms "
                "it is valid; its resources were not checked: run the gate on the plan "
                "(`cogfed-gate --plan`)"
            ) from exc
        raise GateError(f"{where}: not valid HCL ({verdict}); fix the syntax") from exc


def _unparsed(path: Path) -> str:
    verdict = _terraform_verdict(path)
    if verdict is None:
        return (
            f"checkov could not read {_display(path)}, a valid file (Terraform parses it); its "
            "resources were not checked: run the gate on the plan (`cogfed-gate --plan`)"
        )
    return (
        f"checkov could not parse {_display(path)} ({verdict}): fix the file, nothing in it "
        "was checked"
    )


def _terraform_verdict(path: Path) -> str | None:
    """None when Terraform core parses the file; else its complaint (or why it could not tell)."""
    # PATH first; else the environment the gate runs in (a virtualenv's bin/ is not always
    # on PATH when its python is run directly).
    terraform = shutil.which("terraform") or shutil.which(
        "terraform", path=str(Path(sys.executable).parent)
    )
    if terraform is None:
        return "Terraform is not installed here to confirm it"
    result = subprocess.run(
        [terraform, "fmt", "-check", "-list=false", "-no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode in (0, 3):  # 3: parses, but is not in canonical format
        return None
    return " ".join(result.stderr.split())[:300] or f"terraform fmt exit {result.returncode}"


def inventory(
    directory: Path,
    types: set[str],
    notes: list[str] | None = None,
    var_files: Sequence[str] = (),
) -> tuple[list[Block], list[str]]:
    """Resource blocks of ``types`` and module calls under ``directory`` and its local modules."""
    blocks: list[Block] = []
    problems: list[str] = []
    root = directory.resolve()
    root_blocks: list[Block] = []
    defaults: set[str] = set()  # variables of the root module with a default
    files = [path.resolve() for path in _tf_files(directory, notes)]
    seen_dirs = {path.parent for path in files} | {directory.resolve()}
    index = 0
    while index < len(files):
        path = files[index]
        index += 1
        try:
            parsed = _parse(path)
        except GateError as exc:
            problems.append(str(exc))
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        if path.parent == root:
            for block in parsed.get("variable", []):
                defaults |= {name for name, body in block.items() if "default" in body}
        for block in parsed.get("resource", []):
            for resource_type, by_name in block.items():
                if resource_type not in types:
                    continue
                for name, body in by_name.items():
                    block = _block("resource", resource_type, name, path, body, lines)
                    if path.parent == root:
                        root_blocks.append(block)
                    blocks.append(block)
        for block in parsed.get("module", []):
            for name, body in block.items():
                blocks.append(_block("module", "module", name, path, body, lines))
                source = body.get("source", [""])
                source = source[0] if isinstance(source, list) and source else source
                if isinstance(source, str) and source.startswith(("./", "../")):
                    try:
                        module_dir = (path.parent / source).resolve()
                    except (OSError, RuntimeError):  # RuntimeError: a link loop (3.11)
                        problem = f"{_display(path.parent / source)} is a symbolic link loop"
                        if notes is not None and problem not in notes:
                            notes.append(f"{problem}; the module call to it was not followed")
                        continue
                    if module_dir.is_dir() and module_dir not in seen_dirs:
                        seen_dirs.add(module_dir)
                        files += [
                            p.resolve()
                            for p in _tf_files(module_dir, notes)
                            if p.parent == module_dir
                        ]
    visible = _visible_root_variables(files, root, defaults, var_files)
    for block in root_blocks:
        block.visible = visible
    return blocks, problems


def _block(
    kind: str, type_: str, name: str, path: Path, body: dict[str, Any], lines: list[str]
) -> Block:
    start = int(body.get("__start_line__", 1))
    end = int(body.get("__end_line__", start))
    text = "\n".join(lines[start - 1 : end])
    match = NO_INSTANCES.search(text)
    instances = body.get("count")
    if isinstance(instances, list) and len(instances) == 1:
        instances = instances[0]  # python-hcl2 wraps attribute values in a list
    return Block(
        kind=kind,
        type=type_,
        name=name,
        file=path,
        start=start,
        end=end,
        multi="count" in body or "for_each" in body,
        marker=match.group("reason").strip() if match else None,
        instances=None if instances is None else str(instances),
    )


def _visible_root_variables(
    files: Sequence[Path], root: Path, defaults: set[str], var_files: Sequence[str]
) -> frozenset[str]:
    """Variables of the root module in ``root`` whose value checkov sees: ``defaults`` (read
    from its .tf ``files`` by the inventory), and entries in terraform.tfvars, *.auto.tfvars
    or a --var-file."""
    if any(
        p.parent == root and (p.name == "override.tf" or p.name.endswith("_override.tf"))
        for p in files
    ):
        return frozenset()  # override files change values in ways checkov does not model
    names = set(defaults)
    value_files = [root / "terraform.tfvars", *sorted(root.glob("*.auto.tfvars"))]
    for path in [*value_files, *map(Path, var_files)]:
        if not path.is_file() or _link_problem(path):
            continue
        try:
            parsed = _parse(path)
        except GateError:
            continue  # a values file that does not parse makes none of its values visible
        names |= {name for name in parsed if not name.startswith("__")}
    return frozenset(names)


# What a count expression may hold for the gate to trust checkov's "no instance": variables
# of the root module (no attribute or index), literals and operators. checkov evaluates
# functions, object attributes and templates differently from Terraform in places
# (upper(), optional() attributes, "${...}"), so anything else keeps the proof.
_COUNT_TOKEN = re.compile(
    r"\s+|var\.[A-Za-z_][\w-]*(?![\w.\[-])|\d+(?:\.\d+)?|true\b|false\b|null\b"
    r'|"[^"$\\%]*"|==|!=|<=|>=|&&|\|\||[?:!()<>+*/-]'
)


def _known_without_instances(block: Block) -> str | None:
    """When checkov's "no instance" can be trusted: the count of a root module's resource is
    a plain expression over variables whose values checkov sees. Their names, or None."""
    if block.instances is None:
        return None
    text = str(block.instances).strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    position, names = 0, set()
    while position < len(text):
        token = _COUNT_TOKEN.match(text, position)
        if token is None:
            return None
        if token.group(0).startswith("var."):
            names.add(token.group(0)[4:])
        position = token.end()
    if not names <= block.visible:
        return None
    return ", ".join(f"var.{name}" for name in sorted(names)) or "literal values"


_INDEX = re.compile(r"\[[^\]]*\]")


def _record_key(record: dict[str, Any], module_checks: set[str]) -> tuple[str, str]:
    """(resource type or "module", name) of a record, without module path or instance key."""
    address = _INDEX.sub("", str(record.get("resource", "")))
    parts = address.split(".")
    if str(record.get("check_id")) in module_checks:
        return "module", parts[-1]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return "", address


def coverage_problems(
    blocks: list[Block], records: list[dict[str, Any]], checks_by_type: dict[str, list[str]]
) -> tuple[list[str], list[str]]:
    """Blocks some applicable check gave no result for; and notes on excused blocks."""
    module_checks = set(checks_by_type.get("module", []))
    have: set[tuple[str, str, str, str]] = set()
    for record in records:
        type_, name = _record_key(record, module_checks)
        file = str(Path(str(record.get("file_abs_path", ""))).resolve())
        have.add((str(record.get("check_id")), type_, name, file))
    problems: list[str] = []
    notes: list[str] = []
    for block in blocks:
        expected = checks_by_type.get(block.type, [])
        missing = [
            check_id
            for check_id in expected
            if (check_id, block.type, block.name, str(block.file)) not in have
        ]
        if not missing:
            continue
        if len(missing) < len(expected):
            problems.append(
                f"{', '.join(missing)} gave no result on {block.type}.{block.name} "
                f"({_display(block.file)}:{block.start}) while other checks did: the check did "
                "not load or did not run"
            )
            continue
        where = f"{_display(block.file)}:{block.start}"
        label = block.name if block.kind == "module" else f"{block.type}.{block.name}"
        if block.marker:
            notes.append(f"{label} ({where}) not evaluated; marked no-instances: {block.marker}")
            continue
        known = _known_without_instances(block)
        if known and block.marker is None:
            notes.append(
                f"{label} ({where}) has no instance: its count/for_each depends only on "
                f"{known}, whose values checkov sees"
            )
            continue
        text = (
            f"checkov gave no result for {', '.join(missing)} on {label} ({where}), so the gate "
            "cannot show the rules hold there"
        )
        if block.marker == "":
            text += "; its `cogfed-gate: no-instances` comment needs a reason"
        elif block.multi:
            text += (
                "; checkov found no instance of it (count or for_each evaluated to nothing). "
                "If it really has none here, say so inside the block: "
                "`# cogfed-gate: no-instances <reason>`, or run the gate on the plan "
                "(`cogfed-gate --plan`), which holds exactly the instances that exist"
            )
        problems.append(text)
    return problems, notes


# --------------------------------------------------------------------------------------------
# The gate


@dataclass
class GateResult:
    records: list[dict[str, Any]]
    proof_failures: list[str]
    notes: list[str]
    canary_ok: bool
    rules: dict[str, Any]
    # "static" (checkov on the source), "plan" (a saved plan's JSON), "offline plan" (every
    # root planned by the gate), "offline plan + static" (the roots it could not plan, static)
    mode: str = "static"

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["result"] == "FAILED"]

    @property
    def undecided(self) -> list[dict[str, Any]]:
        """Rules the gate could not decide: failed, or reported where a module-call cycle
        hides the values (static mode)."""
        return [r for r in self.records if r["result"] == "UNDECIDED" or r.get("undecided")]

    def block_on_undecided(self) -> None:
        """--fail-on-undecided: static mode fails on what it cannot see, as plan mode does."""
        for record in self.records:
            if record["result"] == "UNDECIDED":
                record["result"], record["undecided"] = "FAILED", True

    @property
    def ok(self) -> bool:
        return not self.failed and not self.proof_failures


def _display(path: Path | str) -> str:
    # abspath, not resolve: the path may be a link that loops.
    absolute = Path(os.path.abspath(path))
    with contextlib.suppress(ValueError):
        return str(absolute.relative_to(Path.cwd().resolve()))
    return str(path)


def _link_problem(path: Path) -> str | None:
    """Why a file cannot be read because of links, or None."""
    try:
        path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (3.11)
        why = "a symbolic link loop" if "loop" in str(exc).lower() else "a broken link"
        return f"{_display(path)} is {why}; skipped, nothing in it was read"
    return None


# Settings of checkov's configuration file that load Python from elsewhere: checkov reads
# `.checkov.yaml` from the scanned directory, which the change under review can add.
CODE_LOADING_SETTINGS = ("external-checks-dir", "external-checks-git")


def _checkov_config_problems(directory: Path) -> Iterable[str]:
    import yaml  # installed with checkov

    for name in (".checkov.yaml", ".checkov.yml"):
        path = directory / name
        if not path.exists():
            continue
        try:
            settings = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as problem:
            yield (
                f"{_display(path)} cannot be read ({problem}); checkov would read it as its "
                "configuration: fix or remove it"
            )
            continue
        keys = {str(k).replace("_", "-") for k in settings} if isinstance(settings, dict) else set()
        for key in sorted(keys & set(CODE_LOADING_SETTINGS)):
            yield (
                f"{_display(path)} sets {key}: checkov would load and run Python from there, "
                "which the gate's proof cannot vouch for. Remove the setting (the gate runs "
                "this project's checks itself)"
            )


def _check_directories(directories: Sequence[Path]) -> None:
    for directory in directories:
        if not directory.is_dir():
            raise GateError(f"{directory}: not a directory; pass the Terraform root to scan")
        if not any(_tf_files(directory)):
            raise GateError(
                f"{directory}: no .tf file found (hidden directories and .terraform are "
                "skipped); pass the directory that holds the Terraform configuration"
            )
        problems = list(_checkov_config_problems(directory))
        if problems:
            raise GateError("; ".join(problems))


def _decided(path: Any, decided: frozenset[Path] | set[Path]) -> bool:
    return bool(decided) and Path(str(path)).resolve().parent in decided


def run_gate(
    directories: Sequence[Path],
    *,
    policies: Path,
    download_external_modules: bool = False,
    var_files: Sequence[str] = (),
    timeout: float = 900.0,
    decided: frozenset[Path] | set[Path] = frozenset(),
) -> GateResult:
    """The static reading: checkov on `directories`, with the gate's proof. What lies in the
    module directories `decided` (judged on offline plans) is left out."""
    rules_module = load_rules(policies)
    rules: dict[str, Any] = rules_module.RULES
    pattern: str = rules_module.CHECK_PATTERN
    checks_by_type: dict[str, list[str]] = {}
    for rule_id, rule in sorted(rules.items()):
        checks_by_type.setdefault(rule.entity, []).append(rule_id)

    _check_directories(directories)
    proof_failures: list[str] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cogfed-canary-") as tmp:
        canary_dir = gate_canary.write(Path(tmp), getattr(rules_module, "HOSTED_DOMAIN", {}))
        scans, canary = run_scans(
            directories,
            policies,
            pattern,
            download_external_modules=download_external_modules,
            var_files=var_files,
            timeout=timeout,
            canary_dir=canary_dir,
        )
        canary_problems = list(canary.problems) if canary else ["the canary did not run"]
        if canary:
            canary_problems += gate_canary.verify(canary.records, set(rules))
    proof_failures += [f"canary: {p}" for p in canary_problems]

    records: list[dict[str, Any]] = []
    for scan in scans:
        scan.records = [r for r in scan.records if not _decided(r["file_abs_path"], decided)]
        records += scan.records
        proof_failures += [f"{_display(scan.directory)}: {p}" for p in scan.problems]
        for unparsed in map(Path, scan.parsing_errors):
            problem = _link_problem(unparsed)
            if problem is None:
                proof_failures.append(_unparsed(unparsed))
            elif problem not in notes:
                notes.append(problem)
        blocks, parse_problems = inventory(
            scan.directory, set(checks_by_type) - {"module"}, notes, var_files
        )
        blocks = [b for b in blocks if not _decided(b.file, decided)]
        proof_failures += parse_problems
        problems, excused = coverage_problems(blocks, scan.records, checks_by_type)
        proof_failures += problems
        notes += excused
    proof_failures += _unexplained_skips(records)
    return GateResult(
        records=records,
        proof_failures=proof_failures,
        notes=notes,
        canary_ok=not canary_problems,
        rules=rules,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cogfed-gate",
        description=(
            "Run the Cognito federation checkov policies on Terraform directories and prove "
            "every check loaded and ran. Exit 0: all rules hold; 1: a rule or a proof failed; "
            "2: bad input."
        ),
    )
    parser.add_argument(
        "directories",
        nargs="*",
        metavar="DIR",
        help=(
            "directories of Terraform (default .): each root under them is judged on an "
            "offline plan where it can be planned here, else read statically by checkov"
        ),
    )
    parser.add_argument(
        "--static",
        action="store_true",
        help="read the directories with checkov only; make no offline plan",
    )
    parser.add_argument(
        "--plan",
        metavar="PLAN.json",
        action="append",
        default=[],
        help=(
            "check `terraform show -json` of a saved plan instead of the source (recommended in "
            "pull requests; repeatable)"
        ),
    )
    parser.add_argument(
        "--root",
        default=".",
        metavar="DIR",
        help="with --plan: the Terraform root the plan was made in, for file and line (default .)",
    )
    parser.add_argument("--policies-dir", help="the policies directory (found automatically)")
    parser.add_argument(
        "--download-external-modules",
        choices=("true", "false"),
        default="false",
        help="let checkov download registry/git modules so their resources are checked",
    )
    parser.add_argument(
        "--var-file", action="append", default=[], help="tfvars file for checkov (repeatable)"
    )
    parser.add_argument("--sarif", metavar="PATH", help="also write SARIF 2.1.0 to PATH")
    parser.add_argument("--junitxml", metavar="PATH", help="also write JUnit XML to PATH")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds per checkov run (default 900)"
    )
    parser.add_argument(
        "--show-passed", action="store_true", help="list passed checks in the text report"
    )
    parser.add_argument(
        "--fail-on-undecided",
        action="store_true",
        help=(
            "static mode: fail also on rules whose values a module-call cycle hides from "
            "checkov (reported, not blocking, without it); every other undecided rule fails"
        ),
    )
    return parser


def run_plan_gate(plans: Sequence[Path], *, policies: Path, root: Path) -> GateResult:
    from cogfed_gate.gate_plan import plan_records
    from cogfed_gate.plan_model import PlanError

    if not root.is_dir():
        raise GateError(f"--root {root}: not a directory; pass the Terraform root of the plan")
    records: list[dict[str, Any]] = []
    notes: list[str] = []
    for plan in plans:
        try:
            more, more_notes = plan_records(plan, policies, root)
        except PlanError as problem:
            raise GateError(f"--plan {plan}: {problem}") from problem
        records += more
        notes += more_notes
    return _plan_result(records, [], notes, policies, "plan")


def _plan_result(
    records: list[dict[str, Any]],
    failures: list[str],
    notes: list[str],
    policies: Path,
    mode: str,
) -> GateResult:
    """A result judged on plans alone: no checkov scan, so no canary, and the rules of plans
    (module calls are resolved there, not checked as such)."""
    rules: dict[str, Any] = load_rules(policies).RULES
    plan_rules = {k: v for k, v in rules.items() if v.entity != "module"}
    return GateResult(
        records, [*failures, *_unexplained_skips(records)], notes, True, plan_rules, mode
    )


def run_dir_gate(
    directories: Sequence[Path],
    *,
    policies: Path,
    download_external_modules: bool = False,
    var_files: Sequence[str] = (),
    timeout: float = 900.0,
) -> GateResult:
    """`cogfed-gate DIR`: every root under each directory judged on its offline plan
    (``gate_offline``); checkov's static reading for the roots that cannot be planned here."""
    from cogfed_gate import gate_offline
    from cogfed_gate.gate_plan import plan_records
    from cogfed_gate.plan_model import PlanError

    _check_directories(directories)
    records: list[dict[str, Any]] = []
    notes: list[str] = []
    refusals: list[str] = []
    static: list[Path] = []
    every_root: list[gate_offline.Root] = []
    planned = 0
    with tempfile.TemporaryDirectory(prefix="cogfed-gate-plans-") as tmp:
        for number, directory in enumerate(directories):
            workdir = Path(tmp) / str(number)
            workdir.mkdir()
            limit = gate_offline.boundary(directory)
            found = gate_offline.find_roots(directory, _tf_files(directory))
            roots = gate_offline.plan_all(found, limit, workdir, var_files)
            if any(root.unplanned is not None for root in roots):
                static.append(directory)
            # Modules no caller instantiates, tried alone; not judged where they cannot be.
            alone = gate_offline.plan_all(
                gate_offline.uninstantiated(roots), limit, workdir, var_files
            )
            for module in alone:
                if module.plan is None:
                    notes.append(
                        f"{_display(module.directory)}: no caller creates an instance of its "
                        "resources, and it cannot be planned alone "
                        f"({module.unplanned or 'Terraform refuses its defaults'}); not judged"
                    )
            roots += [module for module in alone if module.plan is not None]
            every_root += roots
            for root in roots:
                label = _display(root.directory)
                if root.refused is not None:
                    refusals.append(f"{label}: Terraform refuses it:\n{root.refused}")
                elif root.unplanned is not None:
                    notes.append(f"{label}: read statically (not planned: {root.unplanned})")
                else:
                    assert root.plan is not None
                    try:
                        more, more_notes = plan_records(root.plan, policies, root.directory)
                    except PlanError as problem:
                        raise GateError(f"{label}: the offline plan: {problem}") from problem
                    planned += 1
                    records += more
                    notes += [f"{label}: {note}" for note in root.notes]
                    notes += [
                        n.replace(str(root.plan), f"{label} (offline plan)") for n in more_notes
                    ]
    # Over every directory given: a module one of them reads statically stays read.
    decided = gate_offline.decided_by_plans(every_root)
    if not static:
        return _plan_result(records, refusals, notes, policies, "offline plan")
    result = run_gate(
        static,
        policies=policies,
        download_external_modules=download_external_modules,
        var_files=var_files,
        timeout=timeout,
        decided=decided,
    )
    result.records = records + result.records
    result.proof_failures = refusals + _unexplained_skips(records) + result.proof_failures
    result.notes = notes + result.notes
    result.mode = "offline plan + static" if planned or refusals else "static"
    return result


def _unexplained_skips(records: list[dict[str, Any]]) -> list[str]:
    return [
        f"{record['check_id']} is suppressed on {record['resource']} "
        f"({_display(record['file_abs_path'])}) without a reason: write "
        f"`#checkov:skip={record['check_id']}:<why this is safe>`"
        for record in records
        if record["result"] == "SKIPPED"
        and str(record.get("suppress_comment") or "").strip() in ("", "No comment provided")
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        policies = find_policies_dir(args.policies_dir)
        if args.plan:
            if args.directories:
                raise GateError("give either directories or --plan files, not both")
            result = run_plan_gate(
                [Path(p) for p in args.plan], policies=policies, root=Path(args.root)
            )
            return _report(result, args)
        for var_file in args.var_file:
            if not Path(var_file).is_file():
                raise GateError(f"--var-file {var_file}: no such file")
        result = (run_gate if args.static else run_dir_gate)(
            [Path(d) for d in args.directories or ["."]],
            policies=policies,
            download_external_modules=args.download_external_modules == "true",
            var_files=args.var_file,
            timeout=args.timeout,
        )
    except GateError as exc:
        print(f"cogfed-gate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.fail_on_undecided:
        result.block_on_undecided()
    return _report(result, args)


def _repository_display(args: argparse.Namespace) -> Any:
    """Paths as SARIF consumers (code scanning) take them: relative to the top of the git work
    tree holding what was scanned, wherever the gate ran from."""
    from cogfed_gate.gate_offline import boundary

    scanned = Path(args.root if args.plan else (args.directories or ["."])[0])
    top = boundary(scanned if scanned.is_dir() else Path("."))

    def display(path: Path | str) -> str:
        absolute = Path(os.path.abspath(path))
        with contextlib.suppress(ValueError):
            return absolute.relative_to(top).as_posix()
        return _display(path)

    return display


def _report(result: GateResult, args: argparse.Namespace) -> int:
    print(gate_report.text(result, show_passed=args.show_passed, display=_display))
    if args.sarif:
        gate_report.write_sarif(result, Path(args.sarif), display=_repository_display(args))
    if args.junitxml:
        gate_report.write_junit(result, Path(args.junitxml), display=_display)
    return EXIT_OK if result.ok else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
