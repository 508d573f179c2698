"""`python -m bench.check_timer` times every evaluation of the project's checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "policies" / "fixtures" / "cases" / "literal_pass"


def test_every_project_check_evaluation_is_timed(tmp_path: Path) -> None:
    report, results = tmp_path / "checks.json", tmp_path / "results"
    command = [
        sys.executable,
        "-m",
        "bench.check_timer",
        str(report),
        "-d",
        str(FIXTURE),
        "--framework",
        "terraform",
        "--skip-download",
        "--external-checks-dir",
        str(REPO_ROOT / "policies"),
        "--check",
        "CKV*_COGFED_*",
        "-o",
        "json",
        "--output-file-path",
        str(results),
    ]
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    scan = json.loads((results / "results_json.json").read_text())
    records = [
        r
        for kind in ("passed_checks", "failed_checks")
        for r in scan["results"][kind]
        if "_COGFED_" in r["check_id"]
    ]
    spent = json.loads(report.read_text())
    assert records and spent["calls"] == len(records)
    assert spent["seconds"] > 0
