"""FACTS §8: the account-takeover routes automatic linking opens, and that each is closed."""

from __future__ import annotations

from typing import Any

import pre_signup

from cogfed_tools.cognito_double import FederatedSignInSimulator
from tests.triggers.assertions import assert_plain_refusal, claims
from tests.triggers.conftest import SimFactory

VICTIM = "victim@example.com"


def test_pre_hijack_with_an_unconfirmed_native_sign_up_is_refused(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # The attacker registers the victim's email first and never confirms it.
    squatter = sim.native_sign_up(VICTIM, confirm=False, verify_email=False)

    result = sim.federated_sign_in("Google", "5550001", claims(VICTIM))

    assert_plain_refusal(result, VICTIM)
    assert "never confirmed" in (result.message or "")
    assert double.user(sim.pool_id, squatter.username).linked == set()
    assert result.username is None  # no tokens for anyone


def test_pre_hijack_with_a_confirmed_but_unverified_native_account_is_refused(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # Confirmed (e.g. by phone or an administrator) but the email itself never verified.
    squatter = sim.native_sign_up(VICTIM, confirm=True, verify_email=False)

    result = sim.federated_sign_in("Google", "5550002", claims(VICTIM))

    assert_plain_refusal(result, VICTIM)
    assert "has not verified" in (result.message or "")
    assert double.user(sim.pool_id, squatter.username).linked == set()


def test_an_attackers_idp_asserting_the_victims_email_unverified_is_refused(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    victim = sim.native_sign_up(VICTIM)
    before = double.snapshot(sim.pool_id)

    result = sim.federated_sign_in(
        "LinkedIn", "AttackerSub1", claims(VICTIM, verified=False, sub="AttackerSub1")
    )

    assert_plain_refusal(result, VICTIM, "AttackerSub1")
    assert double.snapshot(sim.pool_id) == before
    assert double.user(sim.pool_id, victim.username).linked == set()
    assert result.total_cognito_calls == 0  # refused before any lookup


def test_a_tenant_asserting_another_domains_email_is_refused(
    make_sim: SimFactory, double: Any
) -> None:
    # "nOAuth": a multi-tenant IdP lets any tenant's admin assert any email, verified.
    sim = make_sim()
    sim.add_identity_provider(
        "Entra", "OIDC", email_domains=["tenant.example"], subject_attribute="custom:idp_sub"
    )
    victim = sim.native_sign_up(VICTIM)

    result = sim.federated_sign_in("Entra", "TenantUser7", claims(VICTIM, sub="TenantUser7"))

    # The message explains without repeating what the IdP sent (it ends up in the callback
    # URL's error_description, FACTS §2).
    assert_plain_refusal(result, "TenantUser7", "example.com")
    assert "not allowed to vouch" in (result.message or "")
    assert double.user(sim.pool_id, victim.username).linked == set()


def test_an_always_trusted_directory_cannot_vouch_outside_its_domains(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    victim = sim.native_sign_up(VICTIM)

    result = sim.federated_sign_in("CorpSAML", "Mallory@Corp.Example", {"email": VICTIM})

    assert_plain_refusal(result, "Mallory")
    assert double.user(sim.pool_id, victim.username).linked == set()


def test_a_mapped_subject_that_does_not_match_the_username_is_refused(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # The attacker's identity carries the victim's subject in the mapped attribute, hoping
    # the link is made for the victim's identity.
    victim = sim.native_sign_up(VICTIM)
    event = sim.pre_signup_event("LinkedIn", "AttackerSub1", claims(VICTIM))
    event["request"]["userAttributes"]["custom:idp_sub"] = "VictimSub99"
    before = double.snapshot(sim.pool_id)

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is not None
    assert "inconsistent" in str(call.error) and "VictimSub99" not in str(call.error)
    assert double.snapshot(sim.pool_id) == before
    assert double.user(sim.pool_id, victim.username).linked == set()


def test_a_disabled_account_is_not_reopened_through_a_new_identity(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    blocked = double.put_user(
        sim.pool_id,
        "blocked-user",
        attributes={"email": VICTIM, "email_verified": "true"},
        enabled=False,
    )

    result = sim.federated_sign_in("Google", "5550003", claims(VICTIM))

    assert_plain_refusal(result, VICTIM)
    assert "disabled" in (result.message or "")
    assert double.user(sim.pool_id, blocked.username).linked == set()
    assert len(double.users(sim.pool_id)) == 1
