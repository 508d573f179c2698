"""Every file `cogfed-pool` reads is input it does not trust: a damaged or edited one is
refused with where and what, exit code 2, no traceback, and nothing changed in the pool."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cogfed_pool.cli import main
from tests.pool.applying import sign
from tests.pool.conftest import SECRET

Edit = Callable[[dict[str, Any]], Any]


@pytest.fixture(autouse=True)
def deployment_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKING_SECRET", SECRET)


def run(world: Any, capsys: Any, *argv: str) -> tuple[int, str]:
    code = main(
        [*argv, "--identity-providers", world.planted.identity_providers_json, "--rate-share", "1"]
    )
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def plan(world: Any, capsys: Any, tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    run(world, capsys, "repair", "--user-pool-id", world.pool_id, "--out", str(path))
    return path


def edited(path: Path, edit: Edit) -> None:
    document = json.loads(path.read_text())
    replaced = edit(document)  # a list stands for the whole document; anything else not
    path.write_text(json.dumps(replaced if isinstance(replaced, list) else document))


def merge0(document: dict[str, Any]) -> dict[str, Any]:
    return dict(document["people"][0]["merges"][0])


EDITS: dict[str, tuple[Edit, str]] = {
    "a list": (lambda d: [d], "not a repair plan of version 1"),
    "no pool_id": (lambda d: d.pop("pool_id"), "the document: no pool_id"),
    "people an object": (lambda d: d.update(people={}), "people: expected a list, found dict"),
    "a person a string": (lambda d: d["people"].insert(0, "x"), "people[0]: expected an object"),
    "no merges": (lambda d: d["people"][0].update(merges=[]), "people[0].merges: expected a"),
    "keep_sub a number": (
        lambda d: d["people"][0].update(keep_sub=7),
        "people[0].keep_sub: expected a non-empty string, found int",
    ),
    "a merge without its sub": (
        lambda d: d["people"][0]["merges"][0].pop("sub"),
        "people[0].merges[0]: no sub",
    ),
    "attributes holding a number": (
        lambda d: d["people"][0]["merges"][0].update(attributes={"locale": 1}),
        "people[0].merges[0].attributes: expected an object of string values",
    ),
    "groups holding null": (
        lambda d: d["people"][0]["merges"][0].update(groups=[None]),
        "people[0].merges[0].groups[0]: expected a non-empty string, found null",
    ),
    "stale_subject a list": (
        lambda d: d["people"][0]["merges"][0].update(stale_subject=[]),
        "people[0].merges[0].stale_subject: expected a non-empty string, found list",
    ),
    "one user merged into two people": (
        lambda d: d["people"][1]["merges"].append(merge0(d)),
        "people[1].merges[1]: the user",
    ),
    "one identity twice": (
        lambda d: d["people"][0]["merges"].append(
            merge0(d) | {"username": "linkedin_other", "sub": "other"}
        ),
        "people[0].merges[1]: the identity",
    ),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_an_edited_plan_is_refused_where_it_is_wrong(world, capsys, plan, name: str) -> None:
    edit, message = EDITS[name]
    edited(plan, edit)
    before = world.double.snapshot(world.pool_id)
    for execute in ((), ("--execute",)):
        code, out = run(world, capsys, "repair", "--apply", str(plan), *execute)
        assert code == 2 and message in out, out
    assert world.double.snapshot(world.pool_id) == before
    assert not plan.with_suffix(".backup").exists()


@pytest.mark.parametrize("content", [b"{", b"\xff\xfe\x00", b""])
def test_a_plan_that_is_not_json_is_refused(world, capsys, plan, content: bytes) -> None:
    plan.write_bytes(content)
    code, out = run(world, capsys, "repair", "--apply", str(plan), "--execute")
    assert code == 2 and "not a repair plan" in out, out


def test_a_journal_line_that_is_not_json_mid_file_stops_the_run(world, capsys, plan) -> None:
    data = json.loads(plan.read_text())
    data["people"] = data["people"][:2]
    sign(plan, data)
    code, _ = run(world, capsys, "repair", "--apply", str(plan), "--execute")
    assert code == 0
    journal = plan.with_suffix(".journal")
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join([lines[0], "not json", *lines[1:]]) + "\n")
    code, out = run(world, capsys, "repair", "--apply", str(plan), "--execute")
    assert code == 2 and "plan.journal:2: not a journal line" in out, out


@pytest.mark.parametrize("which", ["--journal", "--backup"])
def test_a_journal_or_backup_that_is_not_a_file_is_refused_before_any_call(
    world, capsys, plan, tmp_path, which: str
) -> None:
    (tmp_path / "elsewhere").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    for target, message in ((tmp_path, "is a directory"), (tmp_path / "link", "symbolic link")):
        argv = ("repair", "--apply", str(plan), "--execute", which, str(target))
        code, out = run(world, capsys, *argv)
        assert code == 2 and message in out, out
    assert (tmp_path / "elsewhere").read_text() == ""


def test_other_inputs_that_are_not_what_they_claim(world, capsys, plan, tmp_path) -> None:
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\xff\xfe\xfa provider,subject\n")
    short = tmp_path / "short"
    short.write_text("too-short\n")
    pool = ("--user-pool-id", world.pool_id)
    rows = tmp_path / "rows.csv"
    rows.write_text("email,provider,subject\n")
    prelink = ("prelink", *pool, "--csv", str(rows), "--execute")
    cases = [
        (("repair", "--apply", str(plan), "--execute", "--subjects", str(garbage)), "--subjects"),
        (("repair", *pool, "--out", str(tmp_path / "p"), "--from-audit", str(garbage)), "audit"),
        (("prelink", *pool, "--csv", str(garbage), "--execute"), "not a CSV file"),
        (
            (*prelink, "--linking-secret-file", str(short)),
            "the trigger ignores one shorter than 16",
        ),
        ((*prelink, "--linking-secret-file", "nowhere"), "--linking-secret-file nowhere"),
    ]
    for argv, message in cases:
        code, out = run(world, capsys, *argv)
        assert code == 2 and message in out, (argv, out)
