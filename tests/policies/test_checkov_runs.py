"""checkov runs forked from one import answer as `python -m checkov.main` does.

The gate's scans are forks of one process that imported checkov (cogfed_gate/checkov_runs.py).
Each must give what a separate `python -m checkov.main` with the same arguments gives: the
same records, the same exit code, the same errors; an overdue run is killed and said."""

from __future__ import annotations

import json
import os
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
