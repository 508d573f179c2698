"""What `repair --apply` believes of its journal and of the pool between steps: a run cut
between a deletion and its link is finished by the next, a journal is bound to its plan and
pool and signed, and each step is checked at the moment it runs."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from cogfed_pool.apply import journal_header
from cogfed_pool.audit import read_users
from cogfed_pool.journal import Journal
from cogfed_pool.progress import Silent
from cogfed_pool.repair import plan_repair
from tests.pool.applying import applier, apply, open_journal, operator_key


def make_plan(world, tmp_path: Path) -> dict:
    cognito = world.cognito()
    made = plan_repair(
        cognito, world.config(cognito), read_users(cognito, Silent("u")), {}, Silent("p")
    )
    (tmp_path / "plan.json").write_text(made.to_json())
    return json.loads((tmp_path / "plan.json").read_text())


class Stop(Exception):
    pass


def stop_after(tmp_path: Path, step: str):
    """A place to stop the run: right after the first journal line recording `step`."""

    def after_step() -> None:
        lines = (tmp_path / "journal").read_text().splitlines()
        if json.loads(lines[-1]).get("step") == step:
            raise Stop

    return after_step


def cut_after_the_first_deletion(world, tmp_path: Path) -> tuple[dict, dict, dict]:
    """(plan, its first person, that person's merge) after a run stopped right after deleting
    the merged user, before linking its identity."""
    plan = make_plan(world, tmp_path)
    run = applier(world, plan, tmp_path, after_step=stop_after(tmp_path, "delete_user"))
    with pytest.raises(Stop):
        run.run(Silent("a"))
    run.journal.close()
    return plan, plan["people"][0], plan["people"][0]["merges"][0]


def test_a_run_cut_between_deletion_and_link_is_finished_by_the_next(world, tmp_path) -> None:
    plan, first, merge = cut_after_the_first_deletion(world, tmp_path)
    assert merge["username"] not in world.double.snapshot(world.pool_id)
    kept = world.double.user(world.pool_id, first["keep_username"])
    assert (merge["provider"], merge["subject"]) not in kept.linked

    result, _ = apply(world, plan, tmp_path)

    assert set(result.done) == {p["email"] for p in plan["people"]} and not result.half_done
    kept = world.double.user(world.pool_id, first["keep_username"])
    assert (merge["provider"], merge["subject"]) in kept.linked


def test_a_deleted_user_created_again_leaves_the_person_half_done(world, tmp_path) -> None:
    plan, first, merge = cut_after_the_first_deletion(world, tmp_path)
    # A sign-in through the identity made its federated user again meanwhile.
    world.double.put_user(
        world.pool_id,
        merge["username"],
        status="EXTERNAL_PROVIDER",
        attributes={"email": first["email"]},
    )

    result, _ = apply(world, plan, tmp_path)

    (half,) = result.half_done
    assert half[0] == first["email"] and "created again by a sign-in" in half[1]
    assert "1 person half-done: run again to finish" in result.describe()
    assert result.exit_code == 3


def test_the_person_label_must_be_the_kept_users_email(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    first = plan["people"][0]
    first["email"] = "someone-else@example.com"
    before = world.double.snapshot(world.pool_id)
    result, _ = apply(world, plan, tmp_path)
    why = dict(result.skipped)["someone-else@example.com"]
    assert f"is not {first['keep_username']}'s email" in why
    names = [first["keep_username"], first["merges"][0]["username"]]
    assert all(world.double.snapshot(world.pool_id)[n] == before[n] for n in names)


def test_a_group_the_merged_user_left_since_the_check_is_not_joined(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    first = plan["people"][0]
    merge = first["merges"][0]
    (group,) = merge["groups"]

    def leave() -> None:
        world.double.backend.admin_remove_user_from_group(world.pool_id, group, merge["username"])

    # Between the copy step and the group step (an administrator, or the user's own app).
    world.double.before_call("AdminUpdateUserAttributes", leave)
    result, _ = apply(world, plan, tmp_path)
    assert (
        f"joins groups {merge['username']} is not in: {group}"
        in dict(result.skipped)[first["email"]]
    )
    kept = world.double.pool(world.pool_id).users[first["keep_username"]]
    assert group not in {g.group_name for g in kept.groups}
    assert merge["username"] in world.double.snapshot(world.pool_id)


def test_a_journal_is_bound_to_its_pool_and_plan_and_signed(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    path = tmp_path / "journal"
    apply(world, plan, tmp_path)
    lines = path.read_text().splitlines()

    other_pool = {**journal_header(plan), "pool_id": "eu-west-1_other"}
    differs = f"its pool_id '{world.pool_id}' (this run: 'eu-west-1_other')"
    with pytest.raises(ValueError, match=re.escape(differs)):
        Journal(path, header=other_pool, key=operator_key().journal_key)
    with pytest.raises(ValueError, match="another operator key"):
        Journal(path, header=journal_header(plan), key=hashlib.sha256(b"another key").digest())
    # A line taken out of the middle ("done" for someone who is not) breaks the chain.
    path.write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    with pytest.raises(ValueError, match="journal:3: the line's signature does not match"):
        open_journal(plan, path)


def test_a_second_run_of_the_same_journal_refuses_while_the_first_holds_it(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    first = open_journal(plan, tmp_path / "journal")
    with pytest.raises(ValueError, match=r"another run is using .*journal"):
        open_journal(plan, tmp_path / "journal")
    first.close()
    open_journal(plan, tmp_path / "journal").close()  # free again once the first ends


def test_a_journal_saying_done_only_makes_the_run_do_less(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    first = plan["people"][0]
    journal = open_journal(plan, tmp_path / "journal")
    journal.record(person=first["keep_sub"], state="done")
    journal.close()
    result, _ = apply(world, plan, tmp_path)
    assert result.already == [first["email"]]
    assert first["merges"][0]["username"] in world.double.snapshot(world.pool_id)
