"""What `repair --apply --execute` refuses of the files around it: the operator key, a
journal cut or put back, a subjects file swapped, files another user owns or shares, paths
naming one file, a second run of the same plan or pool; and how it reports a person it
leaves half-done (a lost connection, an identity linked to another user since)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import boto3
import botocore.client
import pytest
from botocore.exceptions import EndpointConnectionError

from cogfed_pool.journal import RunLock
from tests.pool.applying import operator_key, sign
from tests.pool.test_apply_attacks import clean_natives, cli, reviewed_plan

NOBODY = 65534


def one_person(world: Any, capsys: Any, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path, plan = reviewed_plan(world, capsys, tmp_path)
    person = next(p for p in plan["people"] if all(m["stale_subject"] is None for m in p["merges"]))
    plan["people"] = [person]
    sign(path, plan)
    return path, plan


def apply(world: Any, capsys: Any, path: Path, *extra: str) -> tuple[int, str]:
    return cli(world, capsys, "repair", "--apply", str(path), "--execute", *extra)


def linked(world: Any, person: dict[str, Any]) -> bool:
    merge = person["merges"][0]
    kept = world.double.user(world.pool_id, person["keep_username"])
    return (merge["provider"], merge["subject"]) in kept.linked


def stop_after_the_deletion(world: Any) -> None:
    """The first real deletion goes through, then linking is throttled past the retries."""
    deletes = iter(range(1000))

    def throttle() -> None:
        if next(deletes) == 1:  # the first AdminDeleteUser is the permission probe's
            world.double.inject_fault("AdminLinkProviderForUser", times=8)

    world.double.before_call("AdminDeleteUser", throttle, times=2)


# ---------------------------------------------------------------- the operator key


@pytest.mark.parametrize("problem", ["readable by others", "a symbolic link", "another owner"])
def test_an_unsafe_key_file_is_refused(world, capsys, tmp_path, problem: str) -> None:
    path, _ = one_person(world, capsys, tmp_path)
    key = operator_key().path
    if problem == "readable by others":
        key.chmod(0o640)
        message = "may be read or written by others"
    elif problem == "a symbolic link":
        (tmp_path / "real-key").write_bytes(key.read_bytes())
        key.unlink()
        key.symlink_to(tmp_path / "real-key")
        message = "is a symbolic link"
    else:
        if os.geteuid() != 0:
            pytest.skip("only root can give a file to another user")
        os.chown(key, NOBODY, NOBODY)
        message = f"belongs to user {NOBODY}"
    before = world.double.snapshot(world.pool_id)
    code, out = apply(world, capsys, path)
    assert code == 2 and message in out, out
    assert world.double.snapshot(world.pool_id) == before


def test_a_plan_needs_the_key_it_was_signed_with(world, capsys, tmp_path) -> None:
    path, _ = one_person(world, capsys, tmp_path)
    other = tmp_path / "other-key"
    other.write_text("b" * 64)
    other.chmod(0o600)
    code, out = apply(world, capsys, path, "--key-file", str(other))
    assert code == 2 and "the plan changed since repair wrote it" in out, out
    code, out = apply(world, capsys, path, "--key-file", str(tmp_path / "missing"))
    assert code == 2 and "does not exist" in out, out


def test_a_subjects_file_other_than_the_plans_is_refused(world, capsys, tmp_path) -> None:
    subjects = tmp_path / "subjects.csv"
    exported = [["provider", "subject"]] + [
        [p, s] for (p, _), s in world.planted.exact_subjects.items()
    ]
    with subjects.open("w", newline="") as handle:
        csv.writer(handle).writerows(exported)
    path = tmp_path / "plan.json"
    argv = ("repair", "--user-pool-id", world.pool_id, "--out", str(path))
    cli(world, capsys, *argv, "--subjects", str(subjects))
    # The same rows, one subject in another case: another account at the identity provider.
    swapped = [row[:] for row in exported]
    swapped[1][1] = swapped[1][1].swapcase()
    with subjects.open("w", newline="") as handle:
        csv.writer(handle).writerows(swapped)
    before = world.double.snapshot(world.pool_id)

    code, out = apply(world, capsys, path, "--subjects", str(subjects))
    assert code == 2 and "is not the file the plan was made with" in out, out
    code, out = apply(world, capsys, path)
    assert code == 2 and "was made with a --subjects file" in out, out
    assert world.double.snapshot(world.pool_id) == before


# ---------------------------------------------------------------- the journal cut or put back


def test_a_journal_put_back_to_an_earlier_state_is_refused(world, capsys, tmp_path) -> None:
    path, plan = one_person(world, capsys, tmp_path)
    (person,) = plan["people"]
    merge = person["merges"][0]
    code, out = apply(world, capsys, path)
    assert code == 0, out
    journal = path.with_suffix(".journal")
    lines = journal.read_text().splitlines()
    # The link removed since (an administrator's decision), and the journal put back to the
    # moment its federated user was being deleted.
    boto3.client("cognito-idp").admin_disable_provider_for_user(
        UserPoolId=world.pool_id,
        User={
            "ProviderName": merge["provider"],
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": merge["subject"],
        },
    )
    cut = next(i for i, line in enumerate(lines) if '"deleting"' in line)
    journal.write_text("\n".join(lines[: cut + 1]) + "\n")

    code, out = apply(world, capsys, path)

    assert code == 3 and "lines were cut from its end, or an earlier copy" in out, out
    assert not linked(world, person)


@pytest.mark.parametrize("record", ["kept", "lost (another machine)"])
def test_a_journal_cut_after_a_deletion_reports_the_person_for_a_hand_check(
    world, capsys, tmp_path, record: str
) -> None:
    path, plan = one_person(world, capsys, tmp_path)
    (person,) = plan["people"]
    stop_after_the_deletion(world)
    code, out = apply(world, capsys, path)
    assert code == 3 and "half-done: run again to finish" in out, out
    world.double.clear_faults()
    journal = path.with_suffix(".journal")
    lines = journal.read_text().splitlines()
    cut = next(i for i, line in enumerate(lines) if '"deleting"' in line)
    journal.write_text("\n".join(lines[:cut]) + "\n")
    if record != "kept":
        for state in operator_key().directory.glob("journal-*.state"):
            state.unlink()

    code, out = apply(world, capsys, path)

    assert code == 3 and "  skipped" not in out, out
    if record == "kept":
        assert "lines were cut from its end" in out, out
    else:
        assert "half-done: check by hand" in out and "does not record deleting it" in out, out
    assert not linked(world, person)
    # Reported again on the next run, not retried.
    code, again = apply(world, capsys, path)
    assert code == 3 and ("check by hand" in again or "cut" in again), again


# ---------------------------------------------------------------- half-done people


def test_a_lost_connection_between_deletion_and_link_leaves_the_person_half_done(
    world, capsys, tmp_path, monkeypatch
) -> None:
    path, plan = one_person(world, capsys, tmp_path)
    (person,) = plan["people"]
    real = botocore.client.BaseClient._make_api_call
    links = iter(range(1000))

    def flaky(self: Any, operation: str, params: Any) -> Any:
        if operation == "AdminLinkProviderForUser" and next(links) == 1:  # 0: the probe
            raise EndpointConnectionError(endpoint_url="https://cognito-idp.example/")
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", flaky)
    code, out = apply(world, capsys, path)
    assert code == 3 and "1 person half-done: run again to finish" in out, out
    assert "stopped: EndpointConnectionError" in out, out

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", real)
    code, out = apply(world, capsys, path)
    assert code == 0 and "1 people merged" in out, out
    assert linked(world, person)


def test_an_identity_linked_to_another_user_since_is_left_to_a_human(
    world, capsys, tmp_path
) -> None:
    path, plan = one_person(world, capsys, tmp_path)
    (person,) = plan["people"]
    merge = person["merges"][0]
    stop_after_the_deletion(world)
    apply(world, capsys, path)
    world.double.clear_faults()
    (other,) = clean_natives(world, 1)
    world.double.link(world.pool_id, other.username, merge["provider"], merge["subject"])

    for _ in range(2):
        code, out = apply(world, capsys, path)
        assert code == 3 and "now linked to another user" in out, out
        assert "nothing more will be done" in out and "run again to finish" not in out, out
    assert not linked(world, person)


# ---------------------------------------------------------------- files and locks


@pytest.mark.parametrize("which", ["--backup", "--journal"])
def test_a_file_another_user_owns_or_shares_is_refused(world, capsys, tmp_path, which: str) -> None:
    path, _ = one_person(world, capsys, tmp_path)
    planted = tmp_path / "planted"
    planted.write_text("")
    if os.geteuid() == 0:
        os.chown(planted, NOBODY, NOBODY)  # planted by another user in a shared directory
    else:
        os.link(planted, tmp_path / "second-name")  # a name someone else keeps
    before = world.double.snapshot(world.pool_id)
    code, out = apply(world, capsys, path, which, str(planted))
    assert code == 2 and str(planted) in out, out
    assert planted.read_text() == ""
    assert world.double.snapshot(world.pool_id) == before


@pytest.mark.parametrize("alias", ["backup is the lock", "backup is the journal", "plan"])
def test_paths_naming_one_file_are_refused(world, capsys, tmp_path, alias: str) -> None:
    if alias == "plan":
        path, _ = one_person(world, capsys, tmp_path)
        renamed = tmp_path / "plan.backup"  # its default backup is itself
        path.rename(renamed)
        argv: tuple[str, ...] = ()
        path = renamed
    else:
        path, _ = one_person(world, capsys, tmp_path)
        journal = path.with_suffix(".journal")
        target = f"{journal}.lock" if alias == "backup is the lock" else str(journal)
        argv = ("--backup", target)
    before = world.double.snapshot(world.pool_id)
    code, out = apply(world, capsys, path, *argv)
    assert code == 2 and "is the same file as" in out, out
    assert world.double.snapshot(world.pool_id) == before


def test_a_hard_link_to_the_plan_is_not_its_backup(world, capsys, tmp_path) -> None:
    path, _ = one_person(world, capsys, tmp_path)
    os.link(path, tmp_path / "alias")
    code, out = apply(world, capsys, path, "--backup", str(tmp_path / "alias"))
    assert code == 2 and "is the same file as the plan" in out, out


def test_a_second_run_of_the_plan_or_pool_with_another_journal_refuses(
    world, capsys, tmp_path
) -> None:
    path, _ = one_person(world, capsys, tmp_path)
    before = world.double.snapshot(world.pool_id)
    held = RunLock(path.with_suffix(".journal"))  # a run of the plan under way
    try:
        code, out = apply(world, capsys, path, "--journal", str(tmp_path / "other.journal"))
    finally:
        held.release()
    assert code == 2 and "another run is using the plan" in out, out
    pool_lock = operator_key().pool_lock_path(world.pool_id)
    held = RunLock(pool_lock, path=pool_lock)  # a run of another plan of the pool
    try:
        code, out = apply(world, capsys, path)
    finally:
        held.release()
    assert code == 2 and "another run is using" in out and str(pool_lock) in out, out
    assert world.double.snapshot(world.pool_id) == before


def test_a_journal_option_naming_an_unrelated_file_leaves_it_alone(world, capsys, tmp_path) -> None:
    path, _ = one_person(world, capsys, tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("the only copy of something typed")
    code, out = apply(world, capsys, path, "--journal", str(notes))
    assert code == 2 and "is not a journal of cogfed-pool" in out, out
    assert notes.read_text() == "the only copy of something typed"


def test_another_pool_than_the_plans_is_refused(world, capsys, tmp_path) -> None:
    path, _ = one_person(world, capsys, tmp_path)
    before = world.double.snapshot(world.pool_id)
    code, out = apply(world, capsys, path, "--user-pool-id", "eu-west-1_Staging")
    assert code == 2 and "is not the plan's pool" in out, out
    assert world.double.snapshot(world.pool_id) == before


# ---------------------------------------------------------------- input no tool wrote

DEEP = "[" * 100000 + "]" * 100000


def test_deeply_nested_json_is_refused_without_a_traceback(world, capsys, tmp_path) -> None:
    path, _ = one_person(world, capsys, tmp_path)
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    cases = [
        (("repair", "--apply", str(deep)), "not a repair plan"),
        (
            (
                *("repair", "--user-pool-id", world.pool_id),
                *("--out", str(tmp_path / "o.json"), "--from-audit", str(deep)),
            ),
            "not an audit JSON",
        ),
    ]
    for argv, message in cases:
        code, out = cli(world, capsys, *argv)
        assert code == 2 and message in out, out
    path.with_suffix(".journal").write_text(DEEP + "\n{}\n")
    code, out = apply(world, capsys, path)
    assert code == 2 and "is not a journal of cogfed-pool" in out, out
    from cogfed_pool.cli import main

    code = main(["audit", "--user-pool-id", world.pool_id, "--identity-providers", f"@{deep}"])
    assert code == 2 and "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda p: p.__setitem__("version", True), "version"),
        (lambda p: p.__setitem__("version", 1.0), "version"),
        (lambda p: p["people"][0].__setitem__("email", "a\udcff@example.com"), "people[0].email"),
        (lambda p: p["people"][0]["merges"][0].__setitem__("groups", ["\ud800"]), "groups[0]"),
        (
            lambda p: p["people"][0]["merges"][0].__setitem__("subject", " padded "),
            "merges[0].subject: begins or ends with white space",
        ),
    ],
    ids=["version true", "version 1.0", "surrogate email", "surrogate group", "padded subject"],
)
def test_values_no_plan_holds_are_refused_by_key(world, capsys, tmp_path, edit, where) -> None:
    path, plan = one_person(world, capsys, tmp_path)
    edit(plan)
    sign(path, plan)
    for extra in ((), ("--execute",)):
        code, out = cli(world, capsys, "repair", "--apply", str(path), *extra)
        assert code == 2 and where in out, out


def test_a_plan_is_signed_over_its_content_and_subjects(world, capsys, tmp_path) -> None:
    path, _ = reviewed_plan(world, capsys, tmp_path)
    written = json.loads(path.read_text())
    assert written["subjects_sha256"] is None
    assert written["mac"] == operator_key().sign_plan(written)
