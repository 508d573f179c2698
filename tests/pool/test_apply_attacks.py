"""Attacks on `cogfed-pool repair --apply` through the files it reads: an edited plan, a
forged journal, and what a half-done run leaves. Each runs the command as an operator does
(its `main`), against the double, and judges by the pool: whose tokens a sign-in gets, which
users exist, who is in which group, and what the backup holds."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from cogfed_pool.cli import main
from cogfed_tools import synthetic_pool
from cogfed_tools.cognito_double import FederatedSignInSimulator
from tests.pool.applying import operator_key, sign
from tests.pool.conftest import SECRET

ATTACKER_SUBJECT = "104857600123456789012"  # the attacker's own Google account
ADMINS = "admins"


@pytest.fixture(autouse=True)
def deployment_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # The operator's shell holds the deployment's LINKING_SECRET (it signs the journal).
    monkeypatch.setenv("LINKING_SECRET", SECRET)


def cli(world: Any, capsys: Any, *argv: str) -> tuple[int, str]:
    code = main(
        [
            *argv,
            "--identity-providers",
            world.planted.identity_providers_json,
            "--rate-share",
            "1",
        ]
    )
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def reviewed_plan(world: Any, capsys: Any, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "plan.json"
    cli(world, capsys, "repair", "--user-pool-id", world.pool_id, "--out", str(path))
    return path, json.loads(path.read_text())


def clean_natives(world: Any, count: int) -> list[Any]:
    """Native users of people with nothing planted and no identity linked."""
    found = [
        u
        for u in world.double.users(world.pool_id)
        if (u.email or "").startswith("clean-") and not u.linked and u.email_verified
    ]
    return sorted(found, key=lambda u: u.username)[:count]


def groups(world: Any, username: str) -> set[str]:
    user = world.double.pool(world.pool_id).users[username]
    return {g.group_name for g in user.groups}


def merge_of(world: Any, user: Any, provider: str, subject: str, **extra: Any) -> dict[str, Any]:
    """A plan merge naming `user`, filled in with what the attacker can read of it."""
    return {
        "username": user.username,
        "sub": user.sub,
        "provider": provider,
        "subject": subject,
        "subject_source": "the identities attribute",
        "attributes": {},
        "groups": [],
        "unchanged": dict(user.attributes),
        "had_groups": sorted(groups(world, user.username)),
        "stale_subject": None,
        **extra,
    }


def cases(person: dict[str, Any]) -> list[str]:
    name = person["merges"][0]["username"]
    return [name[:i] + name[i].swapcase() + name[i + 1 :] for i in range(6)]


def attackers_sign_in(world: Any) -> Any:
    sim = FederatedSignInSimulator(world.double, world.pool_id)
    sim.identity_providers_override = world.planted.identity_providers_json
    claims = {"email": "attacker@gmail.com", "email_verified": "true"}
    return sim.federated_sign_in("Google", ATTACKER_SUBJECT, claims)


def harm_done(
    world: Any, tmp_path: Path, after: dict[str, Any], victim: Any, bystander: Any
) -> dict[str, bool]:
    """Whether the run handed the victim's account over, and deleted the bystander unbacked
    (`after`: the pool right after the run; the sign-in comes last, as it adds a user)."""
    path = tmp_path / "plan.backup"
    lines = path.read_text().splitlines() if path.exists() else []
    backed_up = {json.loads(line)["username"] for line in lines}
    return {
        "a native user deleted with no backup line": (
            bystander.username not in after and bystander.username not in backed_up
        ),
        "the attacker's Google sign-in gets the victim's tokens": (
            attackers_sign_in(world).username == victim.username
        ),
    }


def test_an_entry_reusing_a_persons_label_cannot_take_over_delete_or_join(
    world, capsys, tmp_path
) -> None:
    path, plan = reviewed_plan(world, capsys, tmp_path)
    victim, bystander, attacker = clean_natives(world, 3)
    world.double.backend.create_group(world.pool_id, ADMINS, "", "", 0)
    plain = [p for p in plan["people"] if all(m["stale_subject"] is None for m in p["merges"])]
    first, second = plain[:2]
    # Each real person's merge six times over, its username spelt in six cases (one user in a
    # case-insensitive pool): checked and backed up, then skipped for want of room for six
    # links, leaving its label's progress for the next entry with that label.
    sacrificed = [
        {**p, "merges": [p["merges"][0] | {"username": spelt} for spelt in cases(p)]}
        for p in (first, second)
    ]
    ghost = {"username": "google_ghost", "sub": "ghost", "unchanged": {}, "had_groups": []}
    takeover = {
        "email": first["email"],
        "keep_username": victim.username,
        "keep_sub": victim.sub,
        "merges": [
            merge_of(
                world,
                bystander,
                "Google",
                ATTACKER_SUBJECT,
                attributes={"locale": "x"},
                groups=[synthetic_pool.GROUP],
            )
        ],
    }
    promotion = {
        "email": second["email"],
        "keep_username": attacker.username,
        "keep_sub": attacker.sub,
        "merges": [
            merge_of(world, attacker, "Google", "104857600999", **ghost)
            | {"attributes": {"locale": "y"}, "groups": [synthetic_pool.GROUP, ADMINS]}
        ],
    }
    plan["people"] = [*sacrificed, takeover, promotion]
    path.write_text(json.dumps(plan))
    before = world.double.snapshot(world.pool_id)

    code, out = cli(world, capsys, "repair", "--apply", str(path), "--execute")

    after = world.double.snapshot(world.pool_id)
    harm = {
        **harm_done(world, tmp_path, after, victim, bystander),
        "the attacker's user joined admins": ADMINS in groups(world, attacker.username),
        'the output says "2 people merged"': "2 people merged" in out,
    }
    assert not any(harm.values()), harm
    assert code == 2 and "is also in people[0].merges[0]" in out, out
    assert after == before


def old_journal_saying_backed_up(plan: dict[str, Any], label: str) -> str:
    digest = hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()
    lines = [{"plan": digest}, {"person": label, "state": "backed_up"}]
    return "".join(json.dumps(line) + "\n" for line in lines)


def test_a_journal_that_already_says_backed_up_is_refused(world, capsys, tmp_path) -> None:
    path, plan = reviewed_plan(world, capsys, tmp_path)
    victim, bystander = clean_natives(world, 2)
    entry = {
        "email": victim.email,
        "keep_username": victim.username,
        "keep_sub": victim.sub,
        "merges": [merge_of(world, bystander, "Google", ATTACKER_SUBJECT)],
    }
    plan["people"] = [entry]
    sign(path, plan)  # even an edit signed with the operator key
    path.with_suffix(".journal").write_text(old_journal_saying_backed_up(plan, victim.email))
    before = world.double.snapshot(world.pool_id)

    code, out = cli(world, capsys, "repair", "--apply", str(path), "--execute")

    after = world.double.snapshot(world.pool_id)
    harm = harm_done(world, tmp_path, after, victim, bystander)
    assert not any(harm.values()), harm
    assert code == 2 and "has no header line" in out, out
    assert after == before


def forged_journal(world, capsys, tmp_path, key: bytes) -> tuple[Path, Any]:
    """A plan entry naming the victim and a user that never existed, signed with the operator
    key (an insider's edit), and a journal saying that user was checked and is being deleted,
    signed with `key`: the evidence a resumed run links on."""
    from cogfed_pool.apply import journal_header
    from cogfed_pool.journal import Journal

    path, plan = reviewed_plan(world, capsys, tmp_path)
    (victim,) = clean_natives(world, 1)
    ghost = {"username": "google_" + ATTACKER_SUBJECT, "sub": "ghost", "unchanged": {}}
    entry = {
        "email": victim.email,
        "keep_username": victim.username,
        "keep_sub": victim.sub,
        "merges": [merge_of(world, victim, "Google", ATTACKER_SUBJECT, **ghost)],
    }
    plan["people"] = [entry]
    sign(path, plan)
    deleting = {
        "username": ghost["username"],
        "provider": "Google",
        "subject": ATTACKER_SUBJECT,
        "keep_username": victim.username,
        "email": victim.email.lower(),
    }
    forged = Journal(
        path.with_suffix(".journal"), header=journal_header(json.loads(path.read_text())), key=key
    )
    forged.record(person=victim.sub, merge="ghost", deleting=deleting)
    forged.close()
    return path, victim


@pytest.mark.parametrize(
    "key",
    [
        # The deployment's LINKING_SECRET: every reader of the function's configuration has it.
        hmac.new(SECRET.encode(), b"cogfed-pool journal", hashlib.sha256).digest(),
        hashlib.sha256(b"a key the attacker guessed").digest(),
    ],
    ids=["derived from LINKING_SECRET", "guessed"],
)
def test_a_journal_signed_without_the_operator_key_is_refused(
    world, capsys, tmp_path, key: bytes
) -> None:
    path, victim = forged_journal(world, capsys, tmp_path, key)

    code, out = cli(world, capsys, "repair", "--apply", str(path), "--execute")

    assert code == 2 and "journal:1: the line's signature does not match" in out, out
    assert attackers_sign_in(world).username != victim.username


def test_a_plan_edited_without_the_operator_key_is_refused(world, capsys, tmp_path) -> None:
    path, victim = forged_journal(world, capsys, tmp_path, operator_key().journal_key)
    plan = json.loads(path.read_text())
    plan["people"][0]["email"] = plan["people"][0]["email"].upper()  # any edit at all
    path.write_text(json.dumps(plan))

    code, out = cli(world, capsys, "repair", "--apply", str(path), "--execute")

    assert code == 2 and "the plan changed since repair wrote it" in out, out
    assert attackers_sign_in(world).username != victim.username


def test_a_deleting_line_links_nothing_without_its_backup_line(world, capsys, tmp_path) -> None:
    """Even plan and journal signed with the operator key: the identity is linked only if the
    backup line the journal names shows the deleted user holding it."""
    path, victim = forged_journal(world, capsys, tmp_path, operator_key().journal_key)

    code, out = cli(world, capsys, "repair", "--apply", str(path), "--execute")

    assert code == 3 and "check by hand" in out and "holds no line of it" in out, out
    assert attackers_sign_in(world).username != victim.username


def test_a_run_stopped_by_throttling_reports_the_half_done_person_and_the_next_finishes(
    world, capsys, tmp_path
) -> None:
    path, plan = reviewed_plan(world, capsys, tmp_path)
    deletes = iter(range(1000))

    def throttle_links_after_the_first_real_deletion() -> None:
        # The first AdminDeleteUser is the permission probe's, of a user that does not exist.
        if next(deletes) == 1:
            world.double.inject_fault("AdminLinkProviderForUser", times=8)  # past the retries

    world.double.before_call(
        "AdminDeleteUser", throttle_links_after_the_first_real_deletion, times=2
    )

    code, out = cli(world, capsys, "repair", "--apply", str(path), "--execute")

    first = plan["people"][0]
    assert "1 person half-done: run again to finish" in out, out
    assert f"half-done {first['email']}" in out and code != 0
    assert "0 people merged" in out
    assert first["merges"][0]["username"] not in world.double.snapshot(world.pool_id)

    code, out = cli(world, capsys, "repair", "--apply", str(path), "--execute")

    assert code == 0 and f"{len(plan['people'])} people merged" in out, out
    kept = world.double.user(world.pool_id, first["keep_username"])
    assert (first["merges"][0]["provider"], first["merges"][0]["subject"]) in kept.linked


def test_a_plan_missing_a_key_is_refused_without_a_traceback(world, capsys, tmp_path) -> None:
    path, plan = reviewed_plan(world, capsys, tmp_path)
    del plan["people"][1]["keep_sub"]
    path.write_text(json.dumps(plan))
    before = world.double.snapshot(world.pool_id)
    for execute in ((), ("--execute",)):
        code, out = cli(world, capsys, "repair", "--apply", str(path), *execute)
        assert code == 2 and "people[1]: no keep_sub" in out, out
    assert world.double.snapshot(world.pool_id) == before


def test_every_file_holding_user_data_is_its_owners_only(world, capsys, tmp_path) -> None:
    # Files left readable by others by an earlier tool, or made with a wide umask.
    names = ("audit.json", "audit.csv", "plan.json", "plan.backup", "plan.journal")
    for name in names:
        (tmp_path / name).write_text("")
        (tmp_path / name).chmod(0o644)
    code, _ = cli(
        world,
        capsys,
        "audit",
        "--user-pool-id",
        world.pool_id,
        "--json",
        str(tmp_path / "audit.json"),
        "--csv",
        str(tmp_path / "audit.csv"),
    )
    assert code == 1
    path, _ = reviewed_plan(world, capsys, tmp_path)
    code, out = cli(world, capsys, "repair", "--apply", str(path), "--execute")
    assert code == 0, out
    modes = {name: oct((tmp_path / name).stat().st_mode & 0o777) for name in names}
    assert modes == dict.fromkeys(names, "0o600")
