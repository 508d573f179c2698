"""What a signed-in user does to her own account cannot hand her someone else's sign-ins.

Replays, through the simulator and the real triggers, of two takeovers (FACTS §8, §20):
- verification laundering: in a pool that applies email changes before they are verified, a
  user whose providers are all trusted `always` changes her email to a colleague's
  (UpdateUserAttributes stores it with email_verified "false"); if her next token restored
  the flag, the colleague's first Google sign-in would be linked into her account;
- Google Workspace on a re-registered domain: whoever holds a lapsed company domain now can
  create Workspace accounts for its old addresses, which Google calls verified.
Both ended in the wrong account on the triggers before trust by evidence (`TRIGGERS_LAMBDA_SRC`
runs these tests against another copy of lambda_src/).
"""

from __future__ import annotations

from typing import Any

from cogfed_tools.cognito_double import FederatedSignInSimulator, SignInResult
from tests.triggers.assertions import assert_plain_refusal, claims, decision
from tests.triggers.conftest import CORP_DOMAIN, SimFactory

CARLA = f"carla@{CORP_DOMAIN}"  # signs in through the company's SAML directory only
DANA = f"dana@{CORP_DOMAIN}"  # her colleague, not yet in the pool
DANA_GOOGLE = "108800000000000000001"


def attempt_laundering(sim: FederatedSignInSimulator) -> tuple[str, SignInResult, SignInResult]:
    """Carla's account takes Dana's address; then Carla refreshes and Dana signs in.

    Returns (Carla's username, Carla's refresh, Dana's first Google sign-in).
    """
    carla = sim.federated_sign_in("CorpSAML", "Carla", {"email": CARLA})
    assert carla.signed_in, carla.message
    assert carla.username is not None
    sim.update_own_attributes(carla.username, {"email": DANA})
    refreshed = sim.refresh_tokens(carla.username)
    dana = sim.federated_sign_in("Google", DANA_GOOGLE, claims(DANA))
    return carla.username, refreshed, dana


def test_an_email_taken_by_the_user_herself_is_never_made_verified(
    make_sim: SimFactory, double: Any
) -> None:
    sim = make_sim(hold_email_changes=False)

    carla, refreshed, dana = attempt_laundering(sim)

    account = double.user(sim.pool_id, carla)
    assert (account.email, account.attributes["email_verified"]) == (DANA, "false")
    assert refreshed.signed_in and refreshed.claims["email_verified"] in (False, "false")
    # Dana's sign-in does not land in Carla's account: the one account with her address has
    # not verified it.
    assert dana.username != carla and dana.sub != account.sub
    assert_plain_refusal(dana, DANA)
    assert decision(dana)["reason"] == "destination_email_unverified"
    assert double.user(sim.pool_id, carla).linked == {("CorpSAML", "Carla")}
    # Only Dana's mailbox received the code that would verify her address.
    assert len(double.outbox(DANA)) == 1


def test_a_pool_that_holds_changes_back_keeps_the_address_pending(
    make_sim: SimFactory, double: Any
) -> None:
    sim = make_sim(hold_email_changes=True)

    carla, refreshed, dana = attempt_laundering(sim)

    account = double.user(sim.pool_id, carla)
    assert (account.email, account.attributes["email_verified"]) == (CARLA, "true")
    assert double.pending(sim.pool_id, carla) == DANA
    assert refreshed.claims["email"] == CARLA and refreshed.claims["email_verified"] is True
    # Dana gets an account of her own.
    assert dana.signed_in and dana.username != carla
    assert double.user(sim.pool_id, dana.username or "").email == DANA
    assert double.user(sim.pool_id, carla).linked == {("CorpSAML", "Carla")}


def test_the_legitimate_change_takes_effect_with_the_code_from_the_new_mailbox(
    make_sim: SimFactory, double: Any
) -> None:
    sim = make_sim(hold_email_changes=True)
    carla = sim.federated_sign_in("CorpSAML", "Carla", {"email": CARLA})
    assert carla.username is not None
    new_address = f"carla.m@{CORP_DOMAIN}"

    sim.update_own_attributes(carla.username, {"email": new_address})
    [message] = double.outbox(new_address)
    sim.verify_own_attribute(carla.username, message.code)
    refreshed = sim.refresh_tokens(carla.username)

    account = double.user(sim.pool_id, carla.username)
    assert (account.email, account.attributes["email_verified"]) == (new_address, "true")
    assert double.pending(sim.pool_id, carla.username) is None
    assert refreshed.claims["email"] == new_address
    assert refreshed.claims["email_verified"] is True


def test_a_workspace_account_on_a_re_registered_domain_is_not_linked(
    make_sim: SimFactory, double: Any
) -> None:
    # The module's default mapping brings Google's hd into custom:google_hd (FACTS §8, §20).
    sim = make_sim()
    native = sim.native_sign_up("cfo@lapsed.example")
    before = double.snapshot(sim.pool_id)

    result = sim.federated_sign_in(
        "Google", "108800000000000000002", claims("cfo@lapsed.example", hd="lapsed.example")
    )

    assert result.username != native.username and result.sub != native.sub
    assert_plain_refusal(result, "cfo@lapsed.example")
    assert decision(result)["reason"] == "hosted_domain_not_listed"
    assert double.snapshot(sim.pool_id) == before


def test_a_pending_change_is_not_what_the_restore_verifies(
    make_sim: SimFactory, double: Any
) -> None:
    # In a pool that holds changes back, email_verified set alone verifies the waiting change
    # (API reference UserAttributeUpdateSettingsType; the double plays that reading). The
    # restore writes the address it judged together with the flag, so Carla's pending switch
    # to Dana's address is never verified by her next directory sign-in.
    sim = make_sim()
    carla = sim.native_sign_up(CARLA)
    assert sim.federated_sign_in("CorpSAML", "Carla", {"email": CARLA}).signed_in
    sim.update_own_attributes(carla.username, {"email": DANA})

    again = sim.federated_sign_in("CorpSAML", "Carla", {"email": CARLA})

    assert again.signed_in and again.sub == carla.sub
    stored = double.user(sim.pool_id, carla.username)
    assert stored.email == CARLA and stored.email_verified
    dana = sim.federated_sign_in("Google", "4242", claims(DANA))
    assert dana.sub != carla.sub
