"""What `repair` must refuse, and what stops `repair --apply`: the review's attacks on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cogfed_pool.audit import read_users
from cogfed_pool.aws import PoolCallError, RateLimiter
from cogfed_pool.journal import Journal
from cogfed_pool.live_config import read_config
from cogfed_pool.progress import Silent
from cogfed_pool.repair import plan_repair
from cogfed_tools import synthetic_pool
from tests.pool.applying import applier


def plan(world, tmp_path: Path, providers: dict | None = None, **kwargs) -> dict:
    cognito = world.cognito()
    config = read_config(cognito, json.dumps(providers or synthetic_pool.IDENTITY_PROVIDERS))
    made = plan_repair(cognito, config, read_users(cognito, Silent("u")), {}, Silent("p"), **kwargs)
    (tmp_path / "plan.json").write_text(made.to_json())
    return json.loads((tmp_path / "plan.json").read_text())


def test_stored_emails_users_can_change_themselves_are_not_merged_by(world, tmp_path) -> None:
    # An app client without write_attributes writes every standard attribute, email too
    # (FACTS §4), and the pool does not make email changes wait for verification: anyone
    # could have put a colleague's address on their own federated user.
    world.double.backend.create_user_pool_client(world.pool_id, False, {"ClientName": "app"})
    world.double.pool(world.pool_id).extended_config.pop("UserAttributeUpdateSettings")
    refused = {r["email"]: r["reason"] for r in plan(world, tmp_path)["refused"]}
    assert world.planted.repairable <= set(refused)
    assert all("without verifying it" in refused[e] for e in world.planted.repairable)
    trusted = plan(world, tmp_path, trust_stored_emails=True)
    assert {p["email"] for p in trusted["people"]} == world.planted.repairable
    with pytest.raises(ValueError, match="--trust-stored-emails"):
        applier(world, trusted, tmp_path)


def test_a_provider_that_does_not_link_by_email_is_not_merged(world, tmp_path) -> None:
    providers = json.loads(json.dumps(synthetic_pool.IDENTITY_PROVIDERS))
    providers["LinkedIn"]["link_by_email"] = False
    document = plan(world, tmp_path, providers)
    merged = {p["email"] for p in document["people"]}
    assert merged == {e for e in world.planted.repairable if e.startswith("repairable-saml-")}
    refused = {r["email"]: r["reason"] for r in document["refused"]}
    assert all("link_by_email off" in refused[e] for e in world.planted.repairable - merged)


def test_an_identity_of_a_provider_configured_under_another_type_is_not_merged(
    world, tmp_path
) -> None:
    # The pool's LinkedIn is an OIDC provider; trust configured for a SAML directory must not
    # be lent to it: the trigger refuses its sign-ins (provider_type_mismatch), so no merge.
    providers = json.loads(json.dumps(synthetic_pool.IDENTITY_PROVIDERS))
    providers["LinkedIn"] = {
        "type": "SAML",
        "email_trust": "always",
        "email_domains": ["example.com"],
        "subject_attribute": "custom:idp_sub",
    }
    document = plan(world, tmp_path, providers)
    merged = {p["email"] for p in document["people"]}
    assert merged == {e for e in world.planted.repairable if e.startswith("repairable-saml-")}
    refused = {r["email"]: r["reason"] for r in document["refused"]}
    assert all("provider_type_mismatch" in refused[e] for e in world.planted.repairable - merged)


def test_a_disabled_federated_user_is_not_merged(world, tmp_path) -> None:
    email = sorted(world.planted.repairable)[0]
    (federated,) = [
        u
        for u in world.double.pool(world.pool_id).users.values()
        if u.status == "EXTERNAL_PROVIDER" and (u.attribute_lookup.get("email") or "") == email
    ]
    federated.enabled = False
    refused = {r["email"]: r["reason"] for r in plan(world, tmp_path)["refused"]}
    assert "is disabled" in refused[email]


class Stop(Exception):
    pass


def test_a_resumed_run_checks_the_pool_again_before_deleting(world, tmp_path) -> None:
    document = plan(world, tmp_path)
    person = document["people"][0]
    steps = iter(range(10_000))

    def stop_after_first_step() -> None:
        if next(steps) == 0:
            raise Stop

    run = applier(world, document, tmp_path, after_step=stop_after_first_step)
    with pytest.raises(Stop):
        run.run(Silent("a"))
    run.journal.close()
    federated = person["merges"][0]["username"]
    world.double.pool(world.pool_id).users[federated].update_attributes(
        [{"Name": "nickname", "Value": "added after the backup"}]
    )
    resumed = applier(world, document, tmp_path)
    result = resumed.run(Silent("a"))
    resumed.journal.close()
    assert (
        person["email"],
        f"{federated} changed since the plan (its data would be lost); plan again",
    ) in result.skipped
    assert federated in world.double.snapshot(world.pool_id)


def test_a_run_without_permission_to_link_changes_nothing(world, tmp_path) -> None:
    document = plan(world, tmp_path)
    before = world.double.snapshot(world.pool_id)
    world.double.inject_fault("AdminLinkProviderForUser", "AccessDeniedException", message="denied")
    run = applier(world, document, tmp_path)
    with pytest.raises(PoolCallError, match="AccessDeniedException"):
        run.run(Silent("a"))
    run.journal.close()
    assert world.double.snapshot(world.pool_id) == before
    assert not (tmp_path / "backup").exists()


HEADER = {"journal": "test", "pool_id": "eu-west-1_x"}
KEY = b"k" * 32


def test_a_torn_last_journal_line_is_cut_off_and_the_journal_goes_on(tmp_path) -> None:
    path = tmp_path / "journal"
    journal = Journal(path, header=HEADER, key=KEY)
    journal.record(person="a", step=0)
    journal.close()
    whole = path.read_text()
    path.write_text(whole + '{"person": "a", "st')  # the run died while writing this line
    journal = Journal(path, header=HEADER, key=KEY)
    assert journal.has(person="a", step=0) and not journal.has(person="a", step=1)
    journal.record(person="a", step=1)
    journal.close()
    again = Journal(path, header=HEADER, key=KEY)
    assert again.has(person="a", step=1) and len(again.entries) == 2
    again.close()
    header, *rest = whole.splitlines(keepends=True)
    path.write_text(header + '{"person": "a", "st\n' + "".join(rest))
    with pytest.raises(ValueError, match="journal:2: not a journal line"):
        Journal(path, header=HEADER, key=KEY)


def test_the_pace_holds_each_category_to_its_share() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(0.3, clock=lambda: now[0], sleep=sleep)
    for _ in range(10):
        limiter.wait("UserList")  # 30/s by default: 9/s at 0.3
    limiter.wait("UserRead")  # another category: no wait
    assert now[0] == pytest.approx(9 / 9.0)
    assert len(slept) == 9 and limiter.rate("UserList") == pytest.approx(9.0)


def test_a_subject_edited_to_another_case_is_not_linked(world, tmp_path) -> None:
    document = plan(world, tmp_path)
    person = next(p for p in document["people"] if p["merges"][0]["provider"] == "LinkedIn")
    merge = person["merges"][0]
    merge["subject"] = merge["subject"].swapcase()  # another account at the provider
    before = world.double.snapshot(world.pool_id)
    run = applier(world, document, tmp_path)
    result = run.run(Silent("a"))
    run.journal.close()
    assert "exact-case subject" in dict(result.skipped)[person["email"]]
    assert world.double.snapshot(world.pool_id)[merge["username"]] == before[merge["username"]]


def test_the_dry_run_shows_what_execute_does_not_the_plans_list(world, tmp_path) -> None:
    from cogfed_pool.apply import describe_steps

    document = plan(world, tmp_path)
    first = document["people"][0]
    first["actions"] = [{"do": "delete_user", "username": "bystander", "sub": "x"}]
    text = describe_steps(document)
    assert "bystander" not in text and f"delete {first['merges'][0]['username']}" in text


def test_a_value_the_kept_user_gained_since_the_plan_is_not_overwritten(world, tmp_path) -> None:
    document = plan(world, tmp_path)
    person = document["people"][0]
    assert "locale" in person["merges"][0]["attributes"]
    world.double.pool(world.pool_id).users[person["keep_username"]].update_attributes(
        [{"Name": "locale", "Value": "pt-BR"}]
    )
    run = applier(world, document, tmp_path)
    result = run.run(Silent("a"))
    run.journal.close()
    assert "now has locale" in dict(result.skipped)[person["email"]]
    kept = world.double.user(world.pool_id, person["keep_username"])
    assert kept.attributes["locale"] == "pt-BR"
    assert person["merges"][0]["username"] in world.double.snapshot(world.pool_id)


def test_no_identity_is_deleted_that_could_not_then_be_linked(world, tmp_path) -> None:
    document = plan(world, tmp_path)
    person = document["people"][0]
    run = applier(world, document, tmp_path)
    # The kept user fills up between the backup and the deletion (another sign-in links),
    # through a provider trusted for its address: only the identity limit stands in the way.
    world.double.before_call(
        "AdminDeleteUser",
        lambda: [
            world.double.link(world.pool_id, person["keep_username"], "LinkedIn", f"Filler{n}")
            for n in range(5)
        ],
    )
    result = run.run(Silent("a"))
    run.journal.close()
    reason = dict(result.skipped)[person["email"]]
    assert "maximum of 5" in reason or "no room" in reason, reason
    assert person["merges"][0]["username"] in world.double.snapshot(world.pool_id)


def test_a_journal_line_without_its_newline_is_ended(tmp_path) -> None:
    path = tmp_path / "journal"
    journal = Journal(path, header=HEADER, key=KEY)
    journal.record(person="a", step=0)
    journal.close()
    path.write_text(path.read_text().rstrip("\n"))
    journal = Journal(path, header=HEADER, key=KEY)
    journal.record(person="a", step=1)
    journal.close()
    again = Journal(path, header=HEADER, key=KEY)
    assert again.has(person="a", step=0) and again.has(person="a", step=1)
    again.close()
