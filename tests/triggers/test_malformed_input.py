"""Malformed events and configuration: a clear error naming the problem, nothing changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pre_signup
import pytest

from cogfed_tools.cognito_double import FederatedSignInSimulator
from tests.triggers.assertions import claims

Mutation = Callable[[dict[str, Any]], Any]


def _set(path: tuple[str, ...], value: Any) -> Mutation:
    def mutate(event: dict[str, Any]) -> None:
        target = event
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _drop(*path: str) -> Mutation:
    def mutate(event: dict[str, Any]) -> None:
        target = event
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


MALFORMED: dict[str, tuple[Mutation, str]] = {
    "no-trigger-source": (_drop("triggerSource"), "triggerSource"),
    "trigger-source-not-string": (_set(("triggerSource",), 7), "triggerSource"),
    "no-username": (_drop("userName"), "userName"),
    "username-not-string": (_set(("userName",), ["google_1"]), "userName"),
    "no-request": (_drop("request"), "request"),
    "attributes-not-object": (_set(("request", "userAttributes"), []), "userAttributes"),
    "email-not-string": (_set(("request", "userAttributes", "email"), 5), "'email'"),
    "verified-flag-boolean": (
        _set(("request", "userAttributes", "email_verified"), True),
        "'email_verified'",
    ),
    "pool-id-garbage": (_set(("userPoolId",), "not a pool"), "userPoolId"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_pre_signup_events_fail_clearly_and_change_nothing(
    sim: FederatedSignInSimulator, double: Any, case: str
) -> None:
    mutate, named = MALFORMED[case]
    sim.native_sign_up("mal@example.com")
    event = sim.pre_signup_event("Google", "8001", claims("mal@example.com"))
    mutate(event)
    before = double.snapshot(sim.pool_id)

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is not None
    assert named in str(call.error) and "malformed" in str(call.error)
    assert call.calls.total() == 0
    assert double.snapshot(sim.pool_id) == before


@pytest.mark.parametrize("event", [None, "text", ["list"]], ids=["none", "string", "list"])
def test_an_event_that_is_not_an_object_fails_clearly(
    sim: FederatedSignInSimulator, event: Any
) -> None:
    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is not None and "not an object" in str(call.error)


def test_an_unknown_trigger_source_is_refused(sim: FederatedSignInSimulator) -> None:
    event = sim.pre_signup_event("Google", "8002", claims("x@example.com"))
    event["triggerSource"] = "PreSignUp_Something"

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is not None and "not supported" in str(call.error)
    assert call.calls.total() == 0


CONFIG_ERRORS: dict[str, tuple[str | None, str, str]] = {
    "unset": (None, "true", "IDENTITY_PROVIDERS is not set"),
    "not-json": ("{google:", "true", "not valid JSON"),
    "not-object": ('["Google"]', "true", "must be a JSON object"),
    "unknown-type": ('{"Okta": {"type": "LDAP"}}', "true", ".type is 'LDAP'"),
    "typo-key": (
        '{"Google": {"type": "Google", "email_domain": ["a.example"]}}',
        "true",
        "unknown keys ['email_domain']",
    ),
    "always-without-domains": (
        '{"Corp": {"type": "SAML", "email_trust": "always"}}',
        "true",
        "without email_domains",
    ),
    "social-name-mismatch": ('{"google": {"type": "Google"}}', "true", "key it as 'Google'"),
    "bad-domain": (
        '{"Corp": {"type": "SAML", "email_domains": ["x@y"]}}',
        "true",
        "not a domain",
    ),
    "case-setting-missing": ('{"Google": {"type": "Google"}}', None, "USERNAME_CASE_SENSITIVE"),
    "case-setting-garbage": ('{"Google": {"type": "Google"}}', "yes", "USERNAME_CASE_SENSITIVE"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_ERRORS))
def test_invalid_configuration_names_the_problem_and_the_fix(
    sim: FederatedSignInSimulator, double: Any, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    providers, case_setting, named = CONFIG_ERRORS[case]
    sim.native_sign_up("cfg@example.com")
    event = sim.pre_signup_event("Google", "8003", claims("cfg@example.com"))
    before = double.snapshot(sim.pool_id)
    sim.environment_overrides["IDENTITY_PROVIDERS"] = providers or ""
    sim.environment_overrides["USERNAME_CASE_SENSITIVE"] = case_setting or ""

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is not None
    message = str(call.error)
    assert named in message and "An administrator must" in message
    assert call.calls.total() == 0
    assert double.snapshot(sim.pool_id) == before


def test_defaults_apply_to_missing_keys(sim: FederatedSignInSimulator, double: Any) -> None:
    # Only "type" given: link_by_email true, trust the verified claim, any domain.
    sim.environment_overrides["IDENTITY_PROVIDERS"] = json.dumps({"Google": {"type": "Google"}})
    native = sim.native_sign_up("dflt@example.com")

    linked = sim.federated_sign_in("Google", "8004", claims("dflt@example.com"))
    refused = sim.federated_sign_in("Google", "8005", claims("dflt@example.com", verified=False))

    assert linked.signed_in and linked.sub == native.sub
    assert refused.outcome == "refused"
