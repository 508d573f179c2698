"""`cogfed-pool repair`: the plan merges exactly the repairable people, the apply moves their
data and links their identities, a second run changes nothing, and nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cogfed_pool.apply import describe_steps
from cogfed_pool.audit import audit, read_users
from cogfed_pool.progress import Silent
from cogfed_pool.repair import plan_repair
from tests.pool.applying import apply

CONFIGURATION_READS = {
    "DescribeUserPool",
    "ListIdentityProviders",
    "DescribeIdentityProvider",
    "ListUserPoolClients",
}


def make_plan(world, tmp_path: Path, subjects=None) -> dict:
    cognito = world.cognito()
    config = world.config(cognito)
    plan = plan_repair(
        cognito, config, read_users(cognito, Silent("u")), subjects or {}, Silent("p")
    )
    path = tmp_path / "plan.json"
    path.write_text(plan.to_json(), encoding="utf-8")
    return json.loads(path.read_text(encoding="utf-8"))


def by_email(world, email: str) -> list:
    return [u for u in world.double.users(world.pool_id) if (u.email or "").lower() == email]


def test_the_plan_merges_the_repairable_and_refuses_the_rest(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    assert {p["email"] for p in plan["people"]} == world.planted.repairable
    refused = {r["email"]: r["reason"] for r in plan["refused"]}
    assert set(refused) == world.planted.refused
    assert all("trigger would refuse" in refused[e] for e in refused if e.startswith("untrusted-"))
    assert all("--subjects" in refused[e] for e in refused if e.startswith("unknown-subject-"))
    assert all("settle it by hand" in refused[e] for e in refused if e.startswith("conflict-"))
    sources = {m["subject_source"] for p in plan["people"] for m in p["merges"]}
    assert sources == {"custom:idp_sub on the federated user"}
    assert len(plan["sub_changes"]) == len(world.planted.repairable)


def test_a_dry_run_changes_nothing(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    before = world.double.snapshot(world.pool_id)
    text = describe_steps(plan)
    assert "nothing changes without --execute" in text and "delete " in text
    assert world.double.snapshot(world.pool_id) == before


def test_repair_then_audit_shows_no_duplicates_and_nothing_lost(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    result, _ = apply(world, plan, tmp_path)
    assert set(result.done) == world.planted.repairable and not result.skipped
    cognito = world.cognito()
    after = audit(cognito, world.config(cognito), Silent("u"))
    split = {f.email for f in after.findings if f.kind == "split_person"}
    assert split == world.planted.refused  # the refused are left alone, and only they
    assert not [f for f in after.findings if f.kind == "stale_lower_cased_link"]
    for email in world.planted.repairable:
        (user,) = by_email(world, email)
        assert not user.is_federated
        for name, value in world.planted.moved_attributes[email].items():
            assert user.attributes.get(name) == value, (email, name)
        groups = {
            g.group_name for g in world.double.pool(world.pool_id).users[user.username].groups
        }
        assert world.planted.moved_groups[email] <= groups
        (person,) = [p for p in plan["people"] if p["email"] == email]
        linked = {(m["provider"], m["subject"]) for m in person["merges"]}
        assert linked <= user.linked
    backup = [json.loads(line) for line in (tmp_path / "backup").read_text().splitlines()]
    backed_up = {r["username"] for r in backup}
    changed = {p["keep_username"] for p in plan["people"]} | {
        m["username"] for p in plan["people"] for m in p["merges"]
    }
    assert backed_up == changed and all("attributes" in r and "groups" in r for r in backup)


def test_a_second_run_changes_nothing_and_calls_nothing(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    apply(world, plan, tmp_path)
    before = world.double.snapshot(world.pool_id)
    result, cognito = apply(world, plan, tmp_path)
    assert set(result.already) == world.planted.repairable and not result.done
    # Only the pool's configuration is read again; no user is read or touched.
    assert set(cognito.calls) <= CONFIGURATION_READS
    assert world.double.snapshot(world.pool_id) == before


def test_a_repaired_identity_signs_in_to_the_native_user(world, tmp_path) -> None:
    from cogfed_tools.cognito_double import FederatedSignInSimulator, backend

    plan = make_plan(world, tmp_path)
    apply(world, plan, tmp_path)
    person = plan["people"][0]
    merge = person["merges"][0]
    sim = FederatedSignInSimulator(world.double, world.pool_id)
    sim.identity_providers_override = world.planted.identity_providers_json
    claims = {"email": person["email"], "email_verified": "true"}
    # The deleted federated user locks its identity out for about an hour (docs/live-pools.md).
    locked = sim.federated_sign_in(merge["provider"], merge["subject"], claims)
    assert locked.outcome == "refused" and "invalid_grant" in (locked.message or "")
    for key in list(backend.STATE.deleted_identities):
        backend.STATE.deleted_identities[key] -= 3601
    result = sim.federated_sign_in(merge["provider"], merge["subject"], claims)
    assert result.signed_in and result.username == person["keep_username"]
    assert result.trigger_invocations["PreSignUp_ExternalProvider"] == 0


def test_a_user_changed_since_the_plan_is_not_deleted(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    person = plan["people"][0]
    federated = person["merges"][0]["username"]
    world.double.pool(world.pool_id).users[federated].update_attributes(
        [{"Name": "nickname", "Value": "new since the plan"}]
    )
    result, _ = apply(world, plan, tmp_path)
    assert (
        person["email"],
        f"{federated} changed since the plan (its data would be lost); plan again",
    ) in result.skipped
    assert federated in world.double.snapshot(world.pool_id)


def test_exact_subjects_from_the_identity_provider_repair_the_unknown(world, tmp_path) -> None:
    unknown = {e for e in world.planted.refused if e.startswith("unknown-subject-")}
    plan = make_plan(world, tmp_path, world.planted.exact_subjects)
    merges = {p["email"]: p["merges"] for p in plan["people"]}
    assert unknown and unknown <= set(merges)
    for email in unknown:
        (merge,) = merges[email]
        assert merge["subject_source"] == "the --subjects file"
        assert (
            merge["subject"] == world.planted.exact_subjects[("LinkedIn", merge["subject"].lower())]
        )
        assert merge["subject"] != merge["subject"].lower()


@pytest.mark.parametrize("case", ["unknown_subject", "untrusted"])
def test_refused_people_are_left_alone(world, tmp_path, case: str) -> None:
    plan = make_plan(world, tmp_path)
    before = {
        u.username: u
        for u in world.double.users(world.pool_id)
        if (u.email or "").startswith(case.replace("_", "-"))
    }
    apply(world, plan, tmp_path)
    after = world.double.snapshot(world.pool_id)
    assert before and all(after[name] == user for name, user in before.items())


def test_an_edited_plan_cannot_delete_or_link_what_the_pool_does_not_allow(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    first, second, third = plan["people"][:3]
    bystander = next(
        u for u in world.double.users(world.pool_id) if (u.email or "").startswith("clean-")
    )
    # Merge a native bystander into another person; link an identity that is not the merged
    # user's own; copy an email onto the kept user.
    first["merges"][0] |= {"username": bystander.username, "sub": bystander.sub}
    second["merges"][0]["subject"] = "AttackerSubject"
    third["merges"][0]["attributes"] = {"email": "attacker@example.com"}
    before = world.double.snapshot(world.pool_id)
    result, _ = apply(world, plan, tmp_path)
    skipped = dict(result.skipped)
    assert "is not a federated user of" in skipped[first["email"]]
    assert "is not a federated user of" in skipped[second["email"]]
    assert "copies email: a user's own, never copied" in skipped[third["email"]]
    after = world.double.snapshot(world.pool_id)
    for person in (first, second, third):
        for name in [person["keep_username"]] + [m["username"] for m in person["merges"]]:
            assert after.get(name) == before.get(name)


def test_a_journal_of_another_plan_is_refused(world, tmp_path) -> None:
    plan = make_plan(world, tmp_path)
    apply(world, plan, tmp_path)
    plan["people"] = plan["people"][1:]
    with pytest.raises(ValueError, match="journal of another run: its plan_sha256"):
        apply(world, plan, tmp_path)
