"""`python -m bench --parts pool` at a small size: the live-pool targets hold and the figures
add up. (The 100,000-user run is `make bench`'s.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_live_pool_part_meets_its_targets(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--parts",
            "pool",
            "--pool-users",
            "1500",
            "--output",
            str(output),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[Live-pool commands on a synthetic pool" in result.stdout
    document = json.loads(output.read_text())
    pool = document["pool"]
    statuses = {
        t["target"]: t["status"]
        for t in document["targets"]
        if "prelink" in t["target"] or "audit" in t["target"] or "repair" in t["target"]
    }
    assert len(statuses) == 3 and set(statuses.values()) == {"met"}, statuses
    audit = pool["audit"]
    assert audit["calls"]["ListUsers"] == -(-pool["users"] // 60)
    assert audit["calls_total"] == sum(audit["calls"].values())
    prelink = pool["prelink"]
    assert prelink["first_sign_ins_not_prelinked"]["trigger_calls_per_sign_in"] >= 2
    assert prelink["outcomes"] == {"linked": prelink["first_sign_ins_prelinked"]["sign_ins"]}
