"""The audit and the repair plan list the pool into an on-disk user index and group it there:
the same findings as grouping every user in memory, a listing that resumes where it stopped,
an index bound to its pool and readable by its owner only."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import boto3

from cogfed_pool.audit import (
    audit,
    person_problems,
    provider_type_problems,
    trigger_problems,
    user_problems,
)
from cogfed_pool.cli import main
from cogfed_pool.progress import Silent
from cogfed_pool.repair import plan_repair
from cogfed_pool.trigger_rules import PoolUser, ascii_case
from cogfed_pool.user_index import UserIndex
from cogfed_tools import synthetic_pool
from cogfed_tools.offline_checks import REPO_ROOT
from tests.pool.applying import apply

PAGE = 60


def _pages(users: int) -> int:
    return -(-users // PAGE)


def _argv(world, command: str, index: Path, *more: str) -> list[str]:
    return [
        command,
        "--user-pool-id",
        world.pool_id,
        "--identity-providers",
        world.planted.identity_providers_json,
        "--rate-share",
        "1",
        "--index",
        str(index),
        *more,
    ]


def _listings(world) -> int:
    """Unfiltered ListUsers requests the double received so far."""
    return sum(1 for r in world.double.requests("ListUsers") if "Filter" not in r)


def _fail_list_users_after(world, pages: int) -> None:
    """The ListUsers call after `pages` more answers fails with an access error."""
    calls = {"n": 0}

    def count() -> None:
        calls["n"] += 1
        if calls["n"] == pages + 1:
            world.double.inject_fault("ListUsers", "AccessDeniedException", message="denied")

    world.double.before_call("ListUsers", count, times=pages + 1)


def _shuffle(world) -> None:
    """List every seventh user last, so that the listing order is not the email order."""
    users = world.double.pool(world.pool_id).users
    for name in list(users)[::7]:
        users[name] = users.pop(name)


def test_grouped_on_disk_the_audit_finds_what_grouping_in_memory_finds(world) -> None:
    _shuffle(world)
    cognito = world.cognito()
    config = world.config(cognito)
    report = audit(cognito, config, Silent("u"))
    # Grouped as the findings are defined: every user once in listing order, people by the
    # email compared as the triggers compare it, in that email's order; then each user's own.
    listed = [
        PoolUser.from_api(
            {
                "Username": u.username,
                "UserStatus": u.status,
                "Enabled": u.enabled,
                "Attributes": [{"Name": k, "Value": v} for k, v in u.attributes.items()],
            }
        )
        for u in world.double.users(world.pool_id)
    ]
    people = defaultdict(list)
    for user in listed:
        if user.email:
            people[ascii_case.ascii_lower(user.email)].append(user)
    expected = trigger_problems(config) + provider_type_problems(config)
    for email in sorted(people):
        expected += person_problems(email, people[email], config)
    for user in listed:
        expected += user_problems(user, config)
    assert len(listed) > 5 * PAGE and cognito.calls["ListUsers"] == _pages(len(listed))
    assert list(report.findings) == expected
    assert report.users == len(listed) == world.planted.users
    # Written a finding at a time, as json.dumps writes the whole document.
    text = report.to_json()
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert len(json.loads(text)["findings"]) == len(expected)


def test_an_interrupted_audit_resumes_at_the_page_after_the_last_it_kept(
    world, tmp_path, capsys
) -> None:
    index = tmp_path / "audit.index.sqlite"
    pages = _pages(world.planted.users)
    _fail_list_users_after(world, 4)
    code = main(_argv(world, "audit", index, "--json", str(tmp_path / "a.json")))
    err = capsys.readouterr().err
    assert code == 2 and "AccessDeniedException" in err
    assert f"the users listed so far are kept in {index}: run again to resume" in err
    assert _listings(world) == 5 and not (tmp_path / "a.json").exists()

    world.double.clear_faults()
    before = len(world.double.requests("ListUsers"))
    code = main(_argv(world, "audit", index, "--json", str(tmp_path / "a.json")))
    err = capsys.readouterr().err
    resumed = world.double.requests("ListUsers")[before:]
    assert code == 1 and f"resuming the listing in {index} after page 4" in err
    # Only the pages not kept, the first of them asked for with the saved token.
    assert len(resumed) == pages - 4 and "PaginationToken" in resumed[0]

    # The same report as an audit never interrupted (but for the calls it made).
    code = main(
        _argv(world, "audit", tmp_path / "whole.index.sqlite", "--json", str(tmp_path / "b.json"))
    )
    resumed_report, whole = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert code == 1 and whole["calls"]["ListUsers"] == pages
    assert resumed_report["calls"]["ListUsers"] == pages - 4
    for document in (resumed_report, whole):
        del document["calls"]
    assert resumed_report == whole and whole["users"] == world.planted.users


def test_an_audit_killed_midway_resumes_without_listing_again(served, tmp_path) -> None:
    double, env = served
    pool_id = synthetic_pool.create_pool(double)
    planted = synthetic_pool.populate(double, pool_id, 700, seed=3)
    index = tmp_path / "audit.index.sqlite"
    argv = [
        sys.executable,
        "-m",
        "cogfed_pool",
        "audit",
        "--user-pool-id",
        pool_id,
        "--identity-providers",
        planted.identity_providers_json,
        "--index",
        str(index),
    ]
    # Paced at 1.5 pages a second, so that it is killed well before its last page.
    run = subprocess.Popen(
        [*argv, "--rate-share", "0.05"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(double.requests("ListUsers")) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    with sqlite3.connect(index) as connection:
        kept = int(connection.execute("SELECT value FROM meta WHERE key = 'pages'").fetchone()[0])
    assert 3 <= kept < _pages(planted.users)

    before = len(double.requests("ListUsers"))
    done = subprocess.run(
        [*argv, "--rate-share", "1", "--json", str(tmp_path / "a.json")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert len(double.requests("ListUsers")) - before == _pages(planted.users) - kept
    report = json.loads((tmp_path / "a.json").read_text())
    found = defaultdict(set)
    for finding in report["findings"]:
        found[finding["kind"]].add(finding["email"])
    assert report["users"] == planted.users
    assert dict(found) == {k: v for k, v in planted.findings.items() if v}


def test_a_resume_token_the_pool_refuses_starts_the_listing_again(world, tmp_path, capsys) -> None:
    index = tmp_path / "audit.index.sqlite"
    _fail_list_users_after(world, 3)
    assert main(_argv(world, "audit", index)) == 2
    world.double.clear_faults()
    # The saved token names the user the next page starts with; that user is gone since.
    next_user = list(world.double.pool(world.pool_id).users)[3 * PAGE]
    boto3.client("cognito-idp").admin_delete_user(UserPoolId=world.pool_id, Username=next_user)
    capsys.readouterr()
    before = _listings(world)
    code = main(_argv(world, "audit", index, "--json", str(tmp_path / "a.json")))
    err = capsys.readouterr().err
    assert code == 1
    assert f"the pool refused the PaginationToken saved in {index} after page 3" in err
    assert "starts again from the first page" in err
    remaining = world.planted.users - 1
    # The refused call, then every page from the first.
    assert _listings(world) - before == 1 + _pages(remaining)
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["users"] == remaining
    assert any("refused the PaginationToken" in note for note in report["notes"])


def test_an_index_of_another_pool_is_refused_before_any_call(world, tmp_path, capsys) -> None:
    index = tmp_path / "audit.index.sqlite"
    assert main(_argv(world, "audit", index)) == 1
    other = synthetic_pool.create_pool(world.double)
    capsys.readouterr()
    requests = len(world.double.requests("DescribeUserPool"))
    code = main(["audit", "--user-pool-id", other, "--index", str(index), "--rate-share", "1"])
    err = capsys.readouterr().err
    assert code == 2 and world.pool_id in err and other in err
    assert f"holds the users of pool {world.pool_id}, not {other}" in err
    assert len(world.double.requests("DescribeUserPool")) == requests
    code = main(
        ["repair", "--user-pool-id", other, "--index", str(index), "--out", str(tmp_path / "p")]
    )
    assert code == 2 and f"not {other}" in capsys.readouterr().err


def test_a_file_that_is_not_an_index_is_refused(world, tmp_path, capsys) -> None:
    report = tmp_path / "a.json"
    report.write_text('{"not": "an index"}')
    assert main(_argv(world, "audit", report)) == 2
    err = capsys.readouterr().err
    assert "is not a user index of cogfed-pool" in err
    assert report.read_text() == '{"not": "an index"}'


def test_the_index_is_readable_by_its_owner_only(world, tmp_path) -> None:
    report = tmp_path / "a.json"
    index = tmp_path / "a.index.sqlite"  # the default, beside the report
    index.touch(mode=0o644)
    os.chmod(index, 0o644)
    modes: dict[str, int] = {}

    def look() -> None:
        for path in tmp_path.glob("a.index.sqlite*"):
            modes[path.name] = path.stat().st_mode & 0o777

    world.double.before_call("ListUsers", look, times=3)
    args = _argv(world, "audit", index, "--json", str(report))
    args.remove("--index")
    args.remove(str(index))
    assert main(args) == 1
    look()
    # The index, the journal SQLite keeps beside it while it writes, and the run's lock.
    assert {"a.index.sqlite", "a.index.sqlite-wal", "a.index.sqlite.lock"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


def test_a_symbolic_link_as_the_index_is_refused(world, tmp_path, capsys) -> None:
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "link.sqlite").symlink_to(elsewhere)
    assert main(_argv(world, "audit", tmp_path / "link.sqlite")) == 2
    assert "symbolic link" in capsys.readouterr().err and not elsewhere.exists()


def test_repair_plans_from_the_audits_index_without_listing_again(world, tmp_path, capsys) -> None:
    index = tmp_path / "audit.index.sqlite"
    assert main(_argv(world, "audit", index)) == 1
    listed = _listings(world)
    plan = tmp_path / "plan.json"
    code = main(_argv(world, "repair", index, "--out", str(plan)))
    err = capsys.readouterr().err
    assert code == 1 and "planning from it without listing the pool again" in err
    assert _listings(world) == listed
    people = json.loads(plan.read_text())["people"]
    assert {p["email"] for p in people} == world.planted.repairable
    # An audit with an index it reported before lists the pool again: it may have changed.
    assert main(_argv(world, "audit", index)) == 1
    assert _listings(world) == listed + _pages(world.planted.users)


def test_a_plan_from_an_older_listing_leaves_out_the_people_merged_since(world, tmp_path) -> None:
    cognito = world.cognito()
    config = world.config(cognito)
    with UserIndex.open(tmp_path / "index.sqlite", world.pool_id) as index:
        index.read_pool(cognito, Silent("u"))
        first = plan_repair(cognito, config, index, {}, Silent("p"))
        path = tmp_path / "plan.json"
        path.write_text(first.to_json(), encoding="utf-8")
        result, _ = apply(world, json.loads(path.read_text()), tmp_path)
        assert set(result.done) == world.planted.repairable
        # The listing still shows them split; each person is read again before planning.
        again = plan_repair(cognito, config, index, {}, Silent("p"))
    assert again.people == []
    assert {r["email"] for r in again.refused} == world.planted.refused


def test_repair_from_an_audit_and_from_an_index_are_exclusive(world, tmp_path, capsys) -> None:
    code = main(
        [
            "repair",
            "--user-pool-id",
            world.pool_id,
            "--from-audit",
            str(tmp_path / "a.json"),
            "--index",
            str(tmp_path / "i.sqlite"),
            "--out",
            str(tmp_path / "p.json"),
        ]
    )
    assert code == 2 and "not both" in capsys.readouterr().err


def test_an_index_named_as_the_report_is_refused(world, tmp_path, capsys) -> None:
    report = tmp_path / "a.json"
    assert main(_argv(world, "audit", report, "--json", str(report))) == 2
    assert "is the same file as --json" in capsys.readouterr().err
    assert not report.exists()
