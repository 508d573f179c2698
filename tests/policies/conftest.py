"""Shared checkov runs for the policy tests: each fixture tree is scanned once per run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cogfed_gate import gate
from tests.conftest import RunCache

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
POLICIES = REPO / "policies"
FIXTURES = HERE / "fixtures"
CASES = FIXTURES / "cases"
EXAMPLE = FIXTURES / "example"
PATTERN = "CKV*_COGFED_*"


def contract_command(directory: Path) -> list[str]:
    """CONTRACT.md §2's command line, exactly, plus JSON output to read the results."""
    return [
        sys.executable,
        "-m",
        "checkov.main",
        "-d",
        str(directory),
        "--framework",
        "terraform",
        "--external-checks-dir",
        str(POLICIES),
        "--check",
        PATTERN,
        "--skip-download",
    ]


class CaseResults:
    """Records of one checkov scan over fixtures/cases, grouped by case directory."""

    def __init__(self, scan: gate.Scan) -> None:
        self.scan = scan
        self.by_case: dict[str, list[dict[str, Any]]] = {}
        for record in scan.records:
            path = Path(str(record["file_abs_path"])).resolve()
            if not path.is_relative_to(CASES):
                # A module of this repository a case calls (own_pool_*: modules/triggers),
                # shared by its callers; its own tests check it.
                continue
            case = path.relative_to(CASES).parts[0]
            self.by_case.setdefault(case, []).append(record)

    def find(self, case: str, check_id: str, resource: str) -> list[dict[str, Any]]:
        return [
            r
            for r in self.by_case.get(case, [])
            if r["check_id"] == check_id and r["resource"] == resource
        ]


def _scan_cases(workdir: Path) -> gate.Scan:
    scans, _ = gate.run_scans([CASES], POLICIES, PATTERN)
    return scans[0]


@pytest.fixture(scope="session")
def case_results(run_cache: RunCache, repo_digest: str) -> CaseResults:
    # Once per run: several modules, on any of the workers, read this scan.
    scan = run_cache.get("checkov-cases", [repo_digest], _scan_cases)
    assert not scan.problems, scan.problems
    assert not scan.parsing_errors, scan.parsing_errors
    return CaseResults(scan)


@pytest.fixture(scope="session")
def example_contract_run() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        contract_command(EXAMPLE), capture_output=True, text=True, timeout=600, check=False
    )


def load_rules() -> Any:
    return gate.load_rules(POLICIES)
