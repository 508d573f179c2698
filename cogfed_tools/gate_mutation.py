"""Mutation testing for the policy gate: break an example one rule at a time, see it fail.

``run_mutations(example, mutations)`` copies ``copy_root`` (default: the example itself; pass
the repository root when the example calls modules by a relative path such as ``../..``) once
unchanged and once per mutation, applies each mutation to its own copy, scans all copies in one
checkov run, and returns what failed in each copy. A mutation is caught when its expected check
fails in its copy; the unchanged copy must fail nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cogfed_tools import gate

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
        # One checkov run over all copies: checkov links references only within a directory,
        # so the copies do not see each other; records are told apart by their file path.
        scans, _ = gate.run_scans([base], policies, rules.CHECK_PATTERN)
        scan = scans[0]
        problems = scan.problems + scan.parsing_errors
        failed: list[dict[str, list[str]]] = [{} for _ in copies]
        for record in scan.records:
            path = Path(str(record["file_abs_path"])).resolve()
            index = int(path.relative_to(base.resolve()).parts[0][len("copy") :])
            if record["result"] == "FAILED":
                failed[index].setdefault(str(record["check_id"]), []).append(
                    str(record["resource"])
                )
    outcomes = [
        MutationOutcome(mutation, found)
        for mutation, found in zip(mutations, failed[1:], strict=True)
    ]
    return MutationRun(baseline_failed=failed[0], outcomes=outcomes, problems=problems)
