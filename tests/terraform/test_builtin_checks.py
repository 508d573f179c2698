"""The module's own resources pass checkov's built-in checks, or skip them with a reason."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cogfed_tools.offline_checks import REPO_ROOT


@pytest.fixture(scope="module")
def report() -> dict:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkov.main",
            "-d",
            "examples",
            "--framework",
            "terraform",
            "--skip-download",
            "-o",
            "json",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def test_checkov_scanned_the_module_through_the_examples(report: dict) -> None:
    resources = {c["resource"] for c in report["results"]["passed_checks"]}
    assert any(
        r.startswith("module.cognito_federation.module.triggers.aws_lambda_function")
        for r in resources
    ), sorted(resources)


def test_no_builtin_check_fails(report: dict) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range']})"
        for c in report["results"]["failed_checks"]
    ]
    assert failed == []


def test_every_skipped_check_carries_a_reason(report: dict) -> None:
    skipped = report["results"]["skipped_checks"]
    assert skipped, "the module skips some built-in checks inline; none were seen"
    unexplained = [
        f"{c['check_id']} {c['resource']}"
        for c in skipped
        if len((c.get("check_result") or {}).get("suppress_comment") or "") < 20
    ]
    assert unexplained == []
