"""Pre token generation: restore a trusted email_verified, and only then (CONTRACT §1)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pre_token_generation
import pytest

from cogfed_tools.cognito_double import FederatedSignInSimulator
from tests.triggers.assertions import claims
from tests.triggers.conftest import CORP_DOMAIN, SimFactory

CARLOS = f"carlos@{CORP_DOMAIN}"


def token_event(
    sim: FederatedSignInSimulator,
    username: str,
    attributes: dict[str, str],
    version: str = "2",
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": version,
        "triggerSource": "TokenGeneration_HostedAuth",
        "region": sim.double.region,
        "userPoolId": sim.pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "x", "clientId": sim.client_id},
        "request": {"userAttributes": attributes, "groupConfiguration": {}},
        "response": (
            {"claimsOverrideDetails": None}
            if version == "1"
            else {"claimsAndScopeOverrideDetails": None}
        ),
    }
    return event


def identities(*providers: tuple[str, str]) -> str:
    return json.dumps(
        [{"providerName": name, "userId": subject, "primary": False} for name, subject in providers]
    )


@pytest.mark.parametrize("token_version", ["V1_0", "V2_0"])
def test_saml_sign_in_restores_email_verified_and_the_claim(
    make_sim: SimFactory, double: Any, token_version: str
) -> None:
    sim = make_sim(token_version=token_version)
    native = sim.native_sign_up(CARLOS)
    sim.federated_sign_in("CorpSAML", "Carlos", {"email": CARLOS})

    result = sim.federated_sign_in("CorpSAML", "Carlos", {"email": CARLOS})

    assert result.signed_in and result.sub == native.sub
    # SAML sends no email_verified, so Cognito stored "false" (FACTS §4); restored.
    assert double.user(sim.pool_id, native.username).email_verified
    assert result.cognito_calls == {"AdminUpdateUserAttributes": 1}
    expected = "true" if token_version == "V1_0" else True
    assert result.claims["email_verified"] == expected


def test_already_verified_makes_no_call_and_changes_nothing(
    sim: FederatedSignInSimulator,
) -> None:
    attributes = {
        "email": CARLOS,
        "email_verified": "true",
        "identities": identities(("CorpSAML", "Carlos")),
    }
    event = token_event(sim, "carlos", attributes)

    call = sim.call_trigger(pre_token_generation.handler, copy.deepcopy(event))

    assert call.error is None and call.result == event
    assert call.calls.total() == 0


@pytest.mark.parametrize(
    ("linked", "email", "reason"),
    [
        ((("CorpSAML", "C"), ("Google", "1")), CARLOS, "identity_not_trusted_always"),
        ((("CorpSAML", "C"),), "carlos@elsewhere.example", "email_outside_domains"),
        ((), CARLOS, "no_linked_identity"),
        ((("Retired", "C"),), CARLOS, "identity_not_configured"),
    ],
    ids=["mixed-trust", "outside-domains", "no-identities", "unconfigured-idp"],
)
def test_email_verified_is_left_alone_unless_every_identity_vouches(
    sim: FederatedSignInSimulator,
    double: Any,
    linked: tuple[tuple[str, str], ...],
    email: str,
    reason: str,
) -> None:
    native = double.put_user(
        sim.pool_id,
        "mixed-user",
        attributes={"email": email, "email_verified": "false"},
    )
    attributes = {"email": email, "email_verified": "false"}
    if linked:
        attributes["identities"] = identities(*linked)
    event = token_event(sim, native.username, attributes)

    call = sim.call_trigger(pre_token_generation.handler, copy.deepcopy(event))

    assert call.error is None and call.result == event
    assert call.calls.total() == 0
    assert not double.user(sim.pool_id, native.username).email_verified
    assert call.decisions[-1]["reason"] == reason


def test_mixed_trust_through_the_simulator_keeps_the_token_truthful(
    make_sim: SimFactory, double: Any
) -> None:
    # Google lists the organisation's domain: an account holding a Google identity elsewhere
    # is no link target for the directory at all (README, "Linking rules and trust").
    sim = make_sim(standard_idps=False)
    sim.add_identity_provider("Google", "Google", email_domains=[CORP_DOMAIN, "gmail.com"])
    sim.add_identity_provider(
        "CorpSAML",
        "SAML",
        email_trust="always",
        email_domains=[CORP_DOMAIN],
        subject_attribute="custom:idp_sub",
    )
    native = sim.native_sign_up(CARLOS)
    sim.federated_sign_in("Google", "9001", claims(CARLOS))
    sim.federated_sign_in("CorpSAML", "Carlos", {"email": CARLOS})

    result = sim.federated_sign_in("CorpSAML", "Carlos", {"email": CARLOS})

    assert result.sub == native.sub
    assert result.total_cognito_calls == 0
    assert result.claims["email_verified"] is False
    assert not double.user(sim.pool_id, native.username).email_verified


def test_a_failed_restore_lets_the_sign_in_through_without_overriding_the_claim(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    native = sim.native_sign_up(CARLOS)
    sim.federated_sign_in("CorpSAML", "Carlos", {"email": CARLOS})
    double.inject_fault("AdminUpdateUserAttributes", times=100)

    result = sim.federated_sign_in("CorpSAML", "Carlos", {"email": CARLOS})

    assert result.signed_in and result.sub == native.sub
    assert result.claims["email_verified"] is False
    assert not double.user(sim.pool_id, native.username).email_verified
    assert [d["decision"] for d in result.decisions] == ["restore_failed"]


def test_client_credentials_tokens_are_returned_at_once(sim: FederatedSignInSimulator) -> None:
    event = {"version": "3", "triggerSource": "TokenGeneration_ClientCredentials"}

    call = sim.call_trigger(pre_token_generation.handler, copy.deepcopy(event))

    assert call.error is None and call.result == event and call.calls.total() == 0


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda e: e["request"].update(userAttributes="x"), "request.userAttributes"),
        (lambda e: e["request"]["userAttributes"].update(identities="[not json"), "identities"),
        (lambda e: e.update(version=2), "version"),
        (lambda e: e.pop("userPoolId"), "userPoolId"),
    ],
    ids=["attributes-not-object", "identities-not-json", "version-not-string", "no-pool-id"],
)
def test_malformed_token_events_are_refused_clearly(
    sim: FederatedSignInSimulator, double: Any, mutate: Any, named: str
) -> None:
    native = double.put_user(
        sim.pool_id, "carlos", attributes={"email": CARLOS, "email_verified": "false"}
    )
    attributes = {
        "email": CARLOS,
        "email_verified": "false",
        "identities": identities(("CorpSAML", "Carlos")),
    }
    event = token_event(sim, native.username, attributes)
    mutate(event)

    call = sim.call_trigger(pre_token_generation.handler, event)

    assert call.error is not None and named in str(call.error)
    assert call.calls.total() == 0
    assert not double.user(sim.pool_id, native.username).email_verified
