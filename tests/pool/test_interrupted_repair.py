"""`cogfed-pool repair --apply --execute` killed midway resumes to the same end state as a
run that was never interrupted, and a further run changes nothing; a second run started while
one is under way refuses without acting.

The pools are served over HTTP by the double in server mode; the command runs as a separate
process, as an operator runs it, and is killed with SIGKILL once its journal shows progress.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cogfed_pool.audit import read_users
from cogfed_pool.aws import Cognito
from cogfed_pool.live_config import read_config
from cogfed_pool.operator_key import signed_plan_text
from cogfed_pool.progress import Silent
from cogfed_pool.repair import plan_repair
from cogfed_tools import synthetic_pool
from cogfed_tools.offline_checks import REPO_ROOT
from tests.pool.applying import operator_key

USERS = 400


def _pool_and_plan(double, tmp: Path, name: str, users: int = USERS) -> tuple[str, Path]:
    pool_id = synthetic_pool.create_pool(double)
    planted = synthetic_pool.populate(double, pool_id, users, seed=5)
    cognito = Cognito(pool_id, unlimited=True)
    config = read_config(cognito, planted.identity_providers_json)
    plan = plan_repair(cognito, config, read_users(cognito, Silent("u")), {}, Silent("p"))
    path = tmp / f"{name}.json"
    path.write_text(signed_plan_text(plan.to_json(), operator_key(), None), encoding="utf-8")
    return pool_id, path


def _apply(plan: Path, env: dict[str, str], share: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cogfed_pool",
            "repair",
            "--apply",
            str(plan),
            "--execute",
            "--identity-providers",
            synthetic_pool.json.dumps(synthetic_pool.IDENTITY_PROVIDERS),
            "--rate-share",
            share,
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _end_state(double, pool_id: str) -> dict[str, tuple]:
    pool = double.pool(pool_id)
    state = {}
    for user in double.users(pool_id):
        # moto draws each user's `sub` itself (not from the seed): compared through the plan.
        attributes = {k: v for k, v in user.attributes.items() if k not in ("identities", "sub")}
        groups = sorted(g.group_name for g in pool.users[user.username].groups)
        state[user.username] = (user.status, user.enabled, attributes, sorted(user.linked), groups)
    return state


def test_a_killed_repair_resumes_to_the_same_end_state(served, tmp_path: Path) -> None:
    double, env = served
    whole_pool, whole_plan = _pool_and_plan(double, tmp_path, "whole")
    killed_pool, killed_plan = _pool_and_plan(double, tmp_path, "killed")
    assert json.loads(whole_plan.read_text())["people"]

    whole = _apply(whole_plan, env, "1")
    assert whole.wait(timeout=300) == 0, whole.stdout.read() if whole.stdout else ""

    journal = killed_plan.with_suffix(".journal")
    slow = _apply(killed_plan, env, "0.2")  # UserUpdate at 5/s: time to stop it midway
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and slow.poll() is None:
        steps = journal.read_text().count('"step"') if journal.exists() else 0
        if steps >= 12:
            break
        time.sleep(0.05)
    assert slow.poll() is None, "the run ended before it could be interrupted"
    os.kill(slow.pid, signal.SIGKILL)
    slow.wait()
    done_before = journal.read_text().count('"state": "done"')
    planned = len(json.loads(killed_plan.read_text())["people"])
    assert journal.read_text().count('"step"') > 0 and done_before < planned

    resumed = _apply(killed_plan, env, "1")
    output = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, output
    assert f"{planned - done_before} people merged, {done_before} already done" in output

    # Same end state as the uninterrupted run, user by user (usernames are seeded), and every
    # kept user still has its own sub.
    assert _end_state(double, killed_pool) == _end_state(double, whole_pool)
    people = json.loads(killed_plan.read_text())["people"]
    kept = {u.username: u.sub for u in double.users(killed_pool)}
    assert all(kept[p["keep_username"]] == p["keep_sub"] for p in people)

    again = _apply(killed_plan, env, "1")
    output = again.communicate(timeout=120)[0]
    assert again.returncode == 0 and f"0 people merged, {planned} already done" in output


def test_two_runs_of_one_plan_at_once_cannot_both_act(served, tmp_path: Path) -> None:
    double, env = served
    _, plan = _pool_and_plan(double, tmp_path, "plan", users=150)
    planned = len(json.loads(plan.read_text())["people"])
    journal = plan.with_suffix(".journal")
    first = _apply(plan, env, "0.3")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and '"step"' not in (
        journal.read_text() if journal.exists() else ""
    ):
        time.sleep(0.05)
    assert first.poll() is None, "the first run ended before the second could start"

    second = _apply(plan, env, "1")
    output = second.communicate(timeout=120)[0]
    assert second.returncode == 2 and "another run is using" in output, output
    assert "Traceback" not in output

    output = first.communicate(timeout=300)[0]
    assert first.returncode == 0 and f"{planned} people merged" in output, output
