"""`python -m bench --parts pool` at a small size: the live-pool targets hold and the figures
add up, and the audit's peak memory is measured in a process of its own, on the pool the
double holds and on a larger one it makes page by page (BENCH_POOL_STREAMED_USERS). (The
100,000-user run is `make bench`'s.)"""

from __future__ import annotations

import json
import os
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
        env={**os.environ, "BENCH_POOL_STREAMED_USERS": "3000"},
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

    held, streamed = pool["audit_memory"]
    assert held["source"] == "the double holds the pool" and held["users"] == pool["users"]
    assert streamed["source"].startswith("streamed") and streamed["users"] >= 3000
    for row in (held, streamed):
        assert row["found_every_planted_problem_and_nothing_else"] is True
        assert row["list_users_calls"] == -(-row["users"] // 60)
        assert row["peak_rss_mib"] > 0 and row["index_mib"] > 0
    assert f"audit of {streamed['users']} users: peak RSS" in result.stderr
