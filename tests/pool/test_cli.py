"""`cogfed-pool` as an operator runs it: its files, its exit codes, its errors."""

from __future__ import annotations

import json

import pytest

from cogfed_pool.cli import main
from tests.pool.applying import sign
from tests.pool.conftest import SECRET


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_audit_writes_its_reports_and_says_something_is_wrong(world, tmp_path, capsys) -> None:
    code, out, _ = run(
        capsys,
        "audit",
        "--user-pool-id",
        world.pool_id,
        "--rate-share",
        "1",
        "--identity-providers",
        world.planted.identity_providers_json,
        "--json",
        str(tmp_path / "a.json"),
        "--csv",
        str(tmp_path / "a.csv"),
    )
    assert code == 1 and "split_person" in out
    document = json.loads((tmp_path / "a.json").read_text())
    assert document["pool_id"] == world.pool_id and document["counts"]["split_person"] > 0
    assert (tmp_path / "a.csv").read_text().startswith("kind,email,usernames")


def test_repair_plans_from_an_audit_then_applies_only_when_told(
    world, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("LINKING_SECRET", SECRET)  # the deployment's: it signs the journal
    providers = (
        "--identity-providers",
        world.planted.identity_providers_json,
        "--rate-share",
        "1",
    )
    run(
        capsys,
        "audit",
        "--user-pool-id",
        world.pool_id,
        *providers,
        "--json",
        str(tmp_path / "a.json"),
    )
    plan = tmp_path / "plan.json"
    code, out, _ = run(
        capsys,
        "repair",
        "--user-pool-id",
        world.pool_id,
        *providers,
        "--from-audit",
        str(tmp_path / "a.json"),
        "--out",
        str(plan),
    )
    assert code == 1 and "refused" in out  # the planted refusals
    people = json.loads(plan.read_text())["people"]
    assert {p["email"] for p in people} == world.planted.repairable

    before = world.double.snapshot(world.pool_id)
    code, out, _ = run(capsys, "repair", "--apply", str(plan))
    assert code == 0 and "dry run" in out
    assert world.double.snapshot(world.pool_id) == before

    code, _, err = run(capsys, "repair", "--apply", str(plan), "--execute")
    assert code == 2 and "pass --identity-providers" in err  # no trigger to read it from
    assert world.double.snapshot(world.pool_id) == before

    code, out, _ = run(capsys, "repair", "--apply", str(plan), "--execute", *providers)
    assert code == 0 and f"{len(people)} people merged" in out
    assert plan.with_suffix(".backup").is_file() and plan.with_suffix(".journal").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["repair", "--user-pool-id", "eu-west-1_x"], "needs --user-pool-id and --out"),
        (["repair", "--apply", "missing.json"], "not a repair plan"),
    ],
)
def test_usage_errors_say_what_to_do(capsys, tmp_path, monkeypatch, argv, message) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err


def test_an_unknown_pool_is_an_access_error(world, capsys) -> None:
    code, _, err = run(capsys, "audit", "--user-pool-id", "eu-west-1_doesnotexist")
    assert code == 2 and "ResourceNotFoundException" in err and "pool ID" in err


def test_a_plan_for_a_pool_that_is_gone_is_an_access_error(world, tmp_path, capsys) -> None:
    merge = {
        "username": "linkedin_x",
        "sub": "t",
        "provider": "LinkedIn",
        "subject": "X",
        "subject_source": "",
        "attributes": {},
        "groups": [],
        "unchanged": {},
        "had_groups": [],
        "stale_subject": None,
    }
    person = {
        "email": "a@example.com",
        "keep_username": "a",
        "keep_sub": "s",
        "merges": [merge],
        "actions": [],
    }
    plan = tmp_path / "plan.json"
    sign(plan, {"version": 1, "pool_id": "eu-west-1_gone", "people": [person], "refused": []})
    code, _, err = run(capsys, "repair", "--apply", str(plan), "--execute")
    assert code == 2 and "ResourceNotFoundException" in err
    assert not plan.with_suffix(".backup").exists()


def test_prelink_takes_the_csv_verification_only_with_its_flag(world, tmp_path, capsys) -> None:
    world.double.put_user(
        world.pool_id, "emp1", attributes={"email": "emp1@example.com", "email_verified": "true"}
    )
    rows = tmp_path / "rows.csv"
    # A spreadsheet's export: a byte-order mark first.
    rows.write_text(
        "\ufeffemail,provider,subject,email_verified\nemp1@example.com,LinkedIn,LiNk1,true\n"
    )
    common = (
        "prelink",
        "--user-pool-id",
        world.pool_id,
        "--csv",
        str(rows),
        "--execute",
        "--identity-providers",
        world.planted.identity_providers_json,
        "--rate-share",
        "1",
    )
    code, out, _ = run(capsys, *common)
    assert code == 1 and "did not confirm" in out
    code, out, _ = run(capsys, *common, "--csv-vouches-verified")
    assert code == 0 and "1 linked" in out


def test_a_plan_is_written_for_its_owner_only(world, tmp_path, capsys) -> None:
    plan = tmp_path / "plan.json"
    run(
        capsys,
        "repair",
        "--user-pool-id",
        world.pool_id,
        "--identity-providers",
        world.planted.identity_providers_json,
        "--rate-share",
        "1",
        "--out",
        str(plan),
    )
    assert plan.stat().st_mode & 0o777 == 0o600


def test_an_output_that_is_a_directory_is_refused_before_any_call(world, tmp_path, capsys) -> None:
    code, _, err = run(capsys, "audit", "--user-pool-id", world.pool_id, "--json", str(tmp_path))
    assert code == 2 and "is a directory" in err
