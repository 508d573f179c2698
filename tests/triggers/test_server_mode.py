"""The double in server mode: real HTTP, so real timeouts when Cognito is slow."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pre_signup
import pytest

from cogfed_tools.cognito_double import CognitoDouble, FederatedSignInSimulator, moto_server
from tests.triggers.assertions import claims
from tests.triggers.conftest import REGION

COGNITO_WAITS_S = 5.0  # FACTS §2


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def server_sim(endpoint: str) -> Iterator[FederatedSignInSimulator]:
    with CognitoDouble(region=REGION) as double:
        pool_id = double.create_pool()
        sim = FederatedSignInSimulator(double, pool_id, endpoint_url=endpoint)
        sim.add_identity_provider("Google", "Google")
        sim.add_identity_provider(
            "CorpSAML", "SAML", email_trust="always", email_domains=["corp.example"]
        )
        yield sim


def test_sign_ins_over_http_link_create_and_restore(server_sim: FederatedSignInSimulator) -> None:
    double: Any = server_sim.double
    native = server_sim.native_sign_up("http@example.com")

    linked = server_sim.federated_sign_in("Google", "4001", claims("http@example.com"))
    created = server_sim.federated_sign_in("CorpSAML", "9876", {"email": "neo@corp.example"})

    assert linked.signed_in and linked.sub == native.sub
    assert linked.cognito_calls == {
        "ListIdentityProviders": 1,
        "ListUsers": 1,
        "AdminLinkProviderForUser": 1,
    }
    # 4 for the new user, 1 to restore email_verified (FACTS §4), 1 to learn that the pool's
    # usernames are emails (once per container, lambda_src/account_linking.py), 1 to read
    # that the pool holds email changes back (once per container, lambda_src/pool_settings.py).
    assert created.signed_in and created.total_cognito_calls == 7
    assert created.claims["email_verified"] is True
    assert double.user(server_sim.pool_id, native.username).linked == {("Google", "4001")}
    [new_user] = double.users_with_email(server_sim.pool_id, "neo@corp.example")
    assert new_user.email_verified and new_user.linked == {("CorpSAML", "9876")}


def test_a_slow_cognito_fails_closed_before_cognito_gives_up(
    server_sim: FederatedSignInSimulator,
) -> None:
    double: Any = server_sim.double
    server_sim.native_sign_up("slow@example.com")
    event = server_sim.pre_signup_event("Google", "4002", claims("slow@example.com"))
    before = double.snapshot(server_sim.pool_id)
    double.inject_fault("ListUsers", None, delay=2.0, times=10)
    started = time.monotonic()

    call = server_sim.call_trigger(pre_signup.handler, copy.deepcopy(event))

    elapsed = time.monotonic() - started
    assert call.error is not None and "temporarily unavailable" in str(call.error)
    assert elapsed < COGNITO_WAITS_S  # answered before Cognito stops waiting
    # Each attempt's read timeout shrinks to fit the time left; how many fit depends on the
    # machine, never more than the attempt sizes allow.
    assert 2 <= call.cognito_calls["ListUsers"] <= 3
    assert call.decisions[-1]["reason"] == "service_busy:list_users:ReadTimeoutError"
    assert double.snapshot(server_sim.pool_id) == before
