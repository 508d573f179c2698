"""`cogfed-pool prelink`: a directory's identities linked ahead of a rollout, under the
trigger's own trust rules, resumable, and then their first sign-ins never reach pre sign-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from cogfed_pool.journal import Journal
from cogfed_pool.prelink import Prelinker, PrelinkError, journal_header, read_rows
from cogfed_pool.progress import Silent
from cogfed_tools.cognito_double import FederatedSignInSimulator
from tests.pool.applying import secret

SAML_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
SAML_OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
ROWS = """email,provider,subject,create,email_verified
emp0@example.com,Corporate,Emp0-NameID-AbC,,
emp1@example.com,LinkedIn,LiNk1sUb,,true
new9@example.com,Corporate,New9-NameID-XyZ,yes,
emp2@elsewhere.org,Corporate,Out-Of-Domain,,
emp3@example.com,LinkedIn,LiNk3sUb,,
nobody@example.com,Corporate,Nobody-1,,
emp4@example.com,Okta,Okta-4,,
emp0@example.com,Corporate,Emp0-NameID-AbC,,
"""


@pytest.fixture
def rows(world, tmp_path: Path) -> Path:
    for n in range(5):
        domain = "elsewhere.org" if n == 2 else "example.com"
        world.double.put_user(
            world.pool_id,
            f"emp{n}",
            attributes={"email": f"emp{n}@{domain}", "email_verified": "true"},
        )
    path = tmp_path / "rows.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def prelink(world, rows: Path, journal: Path, *, execute: bool = True, vouch: bool = True):
    cognito = world.cognito()
    cognito.count_trigger_calls()
    handle = Journal(journal, header=journal_header(world.pool_id)) if execute else None
    try:
        prelinker = Prelinker(
            cognito, world.config(cognito), handle, csv_vouches_verified=vouch, secret=secret()
        )
        result = prelinker.run(read_rows(rows), Silent("l"), execute=execute)
    finally:
        if handle is not None:
            handle.close()
    return result, cognito


def test_rows_are_linked_or_refused_by_the_triggers_rules(world, rows, tmp_path) -> None:
    result, _ = prelink(world, rows, tmp_path / "journal")
    assert sorted(result.outcomes["linked"]) == ["Corporate:Emp0-NameID-AbC", "LinkedIn:LiNk1sUb"]
    assert result.outcomes["created_and_linked"] == ["Corporate:New9-NameID-XyZ"]
    refused = dict(result.refused)
    assert "not allowed to vouch" in refused["Corporate:Out-Of-Domain"]
    assert "did not confirm that your email address is verified" in refused["LinkedIn:LiNk3sUb"]
    assert "no native user" in refused["Corporate:Nobody-1"]
    assert "no identity provider Okta" in refused["Okta:Okta-4"]
    assert "repeats" in refused["Corporate:Emp0-NameID-AbC"]
    linked = {u.username: u.linked for u in world.double.users(world.pool_id)}
    assert ("Corporate", "Emp0-NameID-AbC") in linked["emp0"]
    assert ("LinkedIn", "LiNk1sUb") in linked["emp1"]
    assert not linked["emp3"] and not linked["emp2"]


def test_a_check_only_run_changes_nothing(world, rows, tmp_path) -> None:
    before = world.double.snapshot(world.pool_id)
    result, cognito = prelink(world, rows, tmp_path / "journal", execute=False)
    # Checked without reading users: a row without its native user passes this far.
    assert sorted(result.outcomes["would link"]) == [
        "Corporate:Emp0-NameID-AbC",
        "Corporate:New9-NameID-XyZ",
        "Corporate:Nobody-1",
        "LinkedIn:LiNk1sUb",
    ]
    assert world.double.snapshot(world.pool_id) == before
    assert "ListUsers" not in cognito.calls


def test_a_second_run_changes_nothing_and_tries_the_refused_again(world, rows, tmp_path) -> None:
    first, _ = prelink(world, rows, tmp_path / "journal")
    before = world.double.snapshot(world.pool_id)
    result, cognito = prelink(world, rows, tmp_path / "journal")
    assert sorted(result.outcomes["already done"]) == sorted(
        first.outcomes["linked"] + first.outcomes["created_and_linked"]
    )
    # Refusals are not final: a row fixed in the directory or the pool is tried again.
    assert dict(result.refused).keys() == dict(first.refused).keys()
    assert "AdminLinkProviderForUser" not in cognito.calls
    assert world.double.snapshot(world.pool_id) == before


def test_the_csv_vouches_for_verification_only_when_told(world, rows, tmp_path) -> None:
    result, _ = prelink(world, rows, tmp_path / "journal", vouch=False)
    refused = dict(result.refused)
    assert "did not confirm that your email address is verified" in refused["LinkedIn:LiNk1sUb"]
    assert "Corporate:Emp0-NameID-AbC" in result.outcomes["linked"]  # an "always" directory


def test_first_sign_ins_after_prelink_never_reach_pre_sign_up(world, rows, tmp_path) -> None:
    prelink(world, rows, tmp_path / "journal")
    sim = FederatedSignInSimulator(world.double, world.pool_id)
    sim.identity_providers_override = world.planted.identity_providers_json
    linkedin = sim.federated_sign_in(
        "LinkedIn", "LiNk1sUb", {"email": "emp1@example.com", "email_verified": "true"}
    )
    assert linkedin.signed_in and linkedin.username == "emp1"
    assert linkedin.trigger_invocations["PreSignUp_ExternalProvider"] == 0
    assert linkedin.total_cognito_calls == 0
    saml = sim.federated_sign_in(
        "Corporate",
        "Emp0-NameID-AbC",
        {SAML_EMAIL: "emp0@example.com", SAML_OBJECT_ID: "Emp0-NameID-AbC"},
    )
    assert saml.signed_in and saml.username == "emp0"
    assert saml.trigger_invocations["PreSignUp_ExternalProvider"] == 0
    # The directory maps email without email_verified: pre token generation restores it on
    # every sign-in, prelinked or not (FACTS §4), after a container's one read of whether
    # the pool holds email changes back (lambda_src/pool_settings.py).
    assert dict(saml.cognito_calls) == {"DescribeUserPool": 1, "AdminUpdateUserAttributes": 1}


def test_a_signed_in_identity_is_sent_to_repair(world, tmp_path) -> None:
    world.double.put_user(
        world.pool_id, "emp0", attributes={"email": "emp0@example.com", "email_verified": "true"}
    )
    world.double.put_user(
        world.pool_id,
        "corporate_emp0-nameid-abc",
        status="EXTERNAL_PROVIDER",
        attributes={"email": "emp0@example.com"},
    )
    path = tmp_path / "rows.csv"
    path.write_text("email,provider,subject\nemp0@example.com,Corporate,Emp0-NameID-AbC\n")
    result, _ = prelink(world, path, tmp_path / "journal")
    assert "cogfed-pool repair" in dict(result.refused)["Corporate:Emp0-NameID-AbC"]


def test_a_csv_without_the_columns_is_refused_with_the_expected_header(tmp_path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("mail,idp\nx@example.com,Corporate\n")
    with pytest.raises(PrelinkError, match="expected email,provider,subject"):
        read_rows(path)


def test_a_row_the_journal_says_is_done_is_done_again_unless_the_pool_shows_it(
    world, tmp_path: Path
) -> None:
    """The journal is not signed: its "done" is believed only once the pool shows the link."""
    world.double.put_user(
        world.pool_id, "emp0", attributes={"email": "emp0@example.com", "email_verified": "true"}
    )
    rows = tmp_path / "rows.csv"
    rows.write_text("email,provider,subject\nemp0@example.com,Corporate,Emp0-NameID-AbC\n")
    journal = tmp_path / "rows.journal"
    forged = Journal(journal, header=journal_header(world.pool_id))
    forged.record(key="Corporate:Emp0-NameID-AbC", outcome="linked", final=True)
    forged.close()

    result, _ = prelink(world, rows, journal)

    assert "already done" not in result.outcomes, result.describe()
    assert ("Corporate", "Emp0-NameID-AbC") in world.double.user(world.pool_id, "emp0").linked
    again, _ = prelink(world, rows, journal)
    assert again.outcomes == {"already done": ["Corporate:Emp0-NameID-AbC"]}, again.describe()
