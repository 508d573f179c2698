"""The simulator plays Cognito's part faithfully: the rules the trigger tests stand on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from cogfed_tools.cognito_double import FederatedSignInSimulator
from tests.triggers.assertions import claims
from tests.triggers.conftest import SimFactory

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_case_insensitive_events_lower_case_only_the_username(
    sim: FederatedSignInSimulator,
) -> None:
    event = sim.pre_signup_event("LinkedIn", "AbCd", claims("Mixed@Example.com"))

    attributes = event["request"]["userAttributes"]
    assert event["userName"] == "linkedin_abcd"  # FACTS §2
    assert attributes["email"] == "Mixed@Example.com"  # FACTS §2 lower-cases userName only
    assert attributes["custom:idp_sub"] == "AbCd"  # FACTS §3 (reported, unconfirmed)
    assert event["triggerSource"] == "PreSignUp_ExternalProvider"


def test_case_sensitive_events_keep_the_case(make_sim: SimFactory) -> None:
    sim = make_sim(case_sensitive=True)

    event = sim.pre_signup_event("LinkedIn", "AbCd", claims("Mixed@Example.com"))

    assert event["userName"] == "LinkedIn_AbCd"
    assert event["request"]["userAttributes"]["email"] == "Mixed@Example.com"


def test_an_unmapped_email_verified_is_stored_false_on_every_sign_in(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # FACTS §4: for the linked native user too. Pre token generation is off here so the
    # stored value shows Cognito's behaviour alone.
    sim.pre_token = None
    native = sim.native_sign_up("dee@corp.example")
    assert native.email_verified

    result = sim.federated_sign_in("CorpSAML", "Dee", {"email": "dee@corp.example"})

    assert result.sub == native.sub
    assert not double.user(sim.pool_id, native.username).email_verified
    assert result.claims["email_verified"] is False


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"email": "email", "custom:undeclared": "sub"}, "could not be determined"),
        ({"email": "email", "custom:frozen": "sub"}, "immutable"),
        ({"email": "email", "sub": "sub"}, "immutable"),
        ({"email": "email", "bogus": "sub"}, "Invalid attribute"),
    ],
    ids=["undeclared-custom", "immutable-custom", "immutable-standard", "unknown-standard"],
)
def test_mappings_the_schema_does_not_allow_fail_the_sign_in(
    double: Any, mapping: dict[str, str], message: str
) -> None:
    pool_id = double.create_pool(custom_attributes={"frozen": False})
    sim = FederatedSignInSimulator(double, pool_id)
    sim.add_identity_provider("Odd", "OIDC", attribute_mapping=mapping)

    result = sim.federated_sign_in("Odd", "1", claims("odd@example.com"))

    assert result.outcome == "refused" and message in (result.message or "")
    assert result.pre_signup_attempts == 0 and double.users(pool_id) == []


def test_required_attributes_must_be_mapped(double: Any) -> None:
    pool_id = double.create_pool(required_attributes=("name",))
    sim = FederatedSignInSimulator(double, pool_id)
    sim.add_identity_provider("Google", "Google")

    result = sim.federated_sign_in("Google", "1", claims("req@example.com"))

    assert result.outcome == "refused" and "Required attribute name" in (result.message or "")


def test_an_unlinked_identity_gets_cognitos_own_user_named_after_it(
    make_sim: SimFactory, double: Any
) -> None:
    sim = make_sim(pre_signup=lambda event, context: event)

    result = sim.federated_sign_in("LinkedIn", "XyZ", claims("own@example.com"))

    assert result.signed_in and result.federated_user_created
    user = double.user(sim.pool_id, result.username)
    assert user.username == "linkedin_xyz" and user.status == "EXTERNAL_PROVIDER"
    assert user.linked == {("LinkedIn", "XyZ")}  # the exact subject is kept
    again = sim.federated_sign_in("LinkedIn", "XyZ", claims("own@example.com"))
    assert again.sub == result.sub and not again.federated_user_created


def test_the_double_is_importable_from_the_repository_root_for_scripts() -> None:
    script = textwrap.dedent(
        """
        from cogfed_tools.cognito_double import FederatedSignInSimulator, in_memory_cognito

        with in_memory_cognito() as double:
            sim = FederatedSignInSimulator(double, double.create_pool())
            sim.add_identity_provider("Google", "Google")
            result = sim.federated_sign_in(
                "Google", "1", {"email": "a@example.com", "email_verified": "true"}
            )
            print(result.outcome, result.total_cognito_calls)
        """
    )
    env_free = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env_free,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # How many calls the trigger makes is the trigger tests' concern, not the double's.
    outcome, calls = completed.stdout.strip().splitlines()[-1].split()
    assert outcome == "signed_in" and int(calls) >= 1


def no_linking(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return event


def test_subjects_differing_only_in_case_never_overwrite_each_other(
    make_sim: SimFactory, double: Any
) -> None:
    sim = make_sim(pre_signup=no_linking)
    first = sim.federated_sign_in("LinkedIn", "AbC", claims("abc1@example.com"))
    before = double.snapshot(sim.pool_id)

    second = sim.federated_sign_in("LinkedIn", "abc", claims("abc2@example.com"))

    assert first.signed_in and first.username == "linkedin_abc"
    assert second.outcome == "refused"
    assert "Already found an entry for username linkedin_abc" in (second.message or "")
    assert double.snapshot(sim.pool_id) == before
    assert double.user(sim.pool_id, "linkedin_abc").linked == {("LinkedIn", "AbC")}
    again = sim.federated_sign_in("LinkedIn", "AbC", claims("abc1@example.com"))
    assert again.signed_in and again.sub == first.sub


def test_a_nested_sign_in_keeps_its_own_trigger_invocations(
    make_sim: SimFactory, double: Any
) -> None:
    # A sign-in raced inside another (run from a hook on the outer trigger's ListUsers call)
    # whose counter equals the outer one's at that moment: bookkeeping must go by identity.
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event["userName"].endswith("outer"):
            boto3.client("cognito-idp").list_users(UserPoolId=event["userPoolId"], Limit=1)
        if event["userName"].endswith("inner"):
            raise RuntimeError("Refused by the test")
        return event

    sim = make_sim(pre_signup=handler)
    sim.pre_token = no_linking
    inner: list[Any] = []
    double.before_call(
        "ListUsers",
        lambda: inner.append(sim.federated_sign_in("LinkedIn", "inner", claims("i@example.com"))),
    )

    outer = sim.federated_sign_in("LinkedIn", "outer", claims("o@example.com"))

    [nested] = inner
    assert nested.outcome == "refused"
    assert nested.trigger_invocations == Counter({"PreSignUp_ExternalProvider": 1})
    assert outer.signed_in
    assert outer.trigger_invocations == Counter(
        {"PreSignUp_ExternalProvider": 1, "TokenGeneration_HostedAuth": 1}
    )


@pytest.mark.parametrize("subject", ["", "s" * 2049], ids=["empty", "2049-characters"])
def test_subjects_cognito_cannot_hold_are_refused(
    make_sim: SimFactory, double: Any, subject: str
) -> None:
    # Google maps no subject attribute and the trigger links nothing: the refusal is the
    # double's own (FACTS §4 limits mapped values, and the subject is mapped into the username).
    sim = make_sim(pre_signup=no_linking)

    result = sim.federated_sign_in("Google", subject, claims("sub@example.com"))

    assert result.outcome == "refused" and result.pre_signup_attempts == 0
    assert double.users(sim.pool_id) == []


def test_a_subject_of_2048_characters_is_accepted(make_sim: SimFactory, double: Any) -> None:
    sim = make_sim(pre_signup=no_linking)

    result = sim.federated_sign_in("Google", "s" * 2048, claims("long@example.com"))

    assert result.signed_in and result.federated_user_created


def test_a_none_claim_is_a_claim_the_idp_did_not_send(make_sim: SimFactory, double: Any) -> None:
    sim = make_sim(pre_signup=no_linking)

    result = sim.federated_sign_in(
        "Google", "7001", {"email": "none@example.com", "email_verified": None}
    )

    assert result.signed_in
    user = double.user(sim.pool_id, result.username)
    # Not mapped, so stored "false" (FACTS §4), as if the IdP had not sent it.
    assert user.attributes["email_verified"] == "false"
