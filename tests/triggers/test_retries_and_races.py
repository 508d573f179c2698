"""Idempotence under Cognito's retries, racing first sign-ins, throttling and the time limit."""

from __future__ import annotations

import copy
from typing import Any

import pre_signup
import pytest

from cogfed_tools.cognito_double import FederatedSignInSimulator, LambdaContext, SignInResult
from tests.triggers.assertions import assert_plain_refusal, claims, decision
from tests.triggers.conftest import SimFactory, warm_container

NEW = "newcomer@example.com"


def test_a_retry_after_a_timeout_finds_the_link_the_lost_attempt_made(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # The first attempt finishes but Cognito has given up waiting and invokes it again.
    warm_container(sim)
    result = sim.federated_sign_in("Google", "6001", claims(NEW), simulated_timeouts=1)

    assert result.signed_in and result.pre_signup_attempts == 2
    [user] = double.users_with_email(sim.pool_id, NEW)
    assert result.sub == user.sub and user.linked == {("Google", "6001")}
    assert result.cognito_calls == {
        "ListUsers": 2,
        "AdminCreateUser": 1,
        "AdminSetUserPassword": 1,
        "AdminLinkProviderForUser": 1,
    }
    assert [d["decision"] for d in result.decisions if d["trigger"] == "pre_signup"] == [
        "created_and_linked",
        "already_linked",
    ]


def test_three_timed_out_attempts_fail_the_sign_in_without_a_duplicate(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    result = sim.federated_sign_in("Google", "6002", claims(NEW), simulated_timeouts=3)

    assert result.outcome == "refused" and "Timeout" in (result.message or "")
    [user] = double.users(sim.pool_id)  # the link survives; the next sign-in lands on it
    assert user.linked == {("Google", "6002")}
    later = sim.federated_sign_in("Google", "6002", claims(NEW))
    assert later.signed_in and later.sub == user.sub and later.total_cognito_calls == 0


def test_a_half_finished_attempt_is_completed_by_the_next(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # Cognito throttles every link attempt: the user is created but stays unlinked.
    double.inject_fault("AdminLinkProviderForUser", times=100)
    failed = sim.federated_sign_in("Google", "6003", claims(NEW))
    assert_plain_refusal(failed, NEW)
    assert "temporarily unavailable" in (failed.message or "")
    [half] = double.users(sim.pool_id)
    assert half.linked == set() and half.status == "CONFIRMED" and half.email_verified

    double.clear_faults()
    result = sim.federated_sign_in("Google", "6003", claims(NEW))

    assert result.signed_in and result.sub == half.sub
    assert double.user(sim.pool_id, half.username).linked == {("Google", "6003")}
    assert result.cognito_calls == {"ListUsers": 1, "AdminLinkProviderForUser": 1}


def test_a_lost_answer_to_the_create_call_carries_on_with_the_created_user(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # AdminCreateUser succeeds but its answer is lost to a 5xx: the retry meets
    # UsernameExistsException and carries on with that user.
    warm_container(sim)
    double.inject_fault("AdminCreateUser", "InternalErrorException", after=True, status=500)

    result = sim.federated_sign_in("Google", "6004", claims(NEW))

    assert result.signed_in, result.message
    [user] = double.users_with_email(sim.pool_id, NEW)
    assert result.sub == user.sub and user.linked == {("Google", "6004")}
    assert result.cognito_calls["AdminCreateUser"] == 2
    assert result.cognito_calls["AdminGetUser"] == 1


def test_throttling_in_the_middle_of_a_link_is_retried_within_the_deadline(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    native = sim.native_sign_up("busy@example.com")
    double.inject_fault("AdminLinkProviderForUser", times=2)

    result = sim.federated_sign_in("Google", "6005", claims("busy@example.com"))

    assert result.signed_in and result.sub == native.sub
    assert result.cognito_calls == {
        "ListIdentityProviders": 1,
        "ListUsers": 1,
        "AdminLinkProviderForUser": 3,
    }


def test_a_link_made_although_the_call_failed_is_confirmed_from_the_identities(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # The link is made but throttling eats the answer; the retry then hears "Merging is not
    # currently supported" and confirms the link on the destination (FACTS §1).
    native = sim.native_sign_up("ghost@example.com")
    double.inject_fault("AdminLinkProviderForUser", after=True)

    result = sim.federated_sign_in("Google", "6006", claims("ghost@example.com"))

    assert result.signed_in and result.sub == native.sub
    assert double.user(sim.pool_id, native.username).linked == {("Google", "6006")}
    assert result.cognito_calls == {
        "ListIdentityProviders": 1,
        "ListUsers": 1,
        "AdminLinkProviderForUser": 2,
        "AdminGetUser": 1,
    }
    assert decision(result)["reason"] == "merge_error_confirmed"


def test_merging_error_for_an_identity_linked_elsewhere_is_refused(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    owner = sim.native_sign_up("owner@example.com")
    double.link(sim.pool_id, owner.username, "Google", "6007")
    other = sim.native_sign_up("other@example.com")
    event = sim.pre_signup_event("Google", "6007", claims("other@example.com"))
    before = double.snapshot(sim.pool_id)

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is not None and "already attached to another account" in str(call.error)
    assert double.snapshot(sim.pool_id) == before
    assert double.user(sim.pool_id, other.username).linked == set()


def _race(sim: FederatedSignInSimulator, double: Any, operation: str) -> list[SignInResult]:
    """Google's first sign-in for NEW; LinkedIn's runs in full when Google reaches `operation`."""
    results: list[SignInResult] = []
    double.before_call(
        operation,
        lambda: results.append(
            sim.federated_sign_in("LinkedIn", "LiRacer", claims(NEW, sub="LiRacer"))
        ),
    )
    results.insert(0, sim.federated_sign_in("Google", "6008", claims(NEW)))
    return results


@pytest.mark.parametrize(
    "operation", ["AdminCreateUser", "AdminSetUserPassword", "AdminLinkProviderForUser"]
)
@pytest.mark.parametrize("alias_pool", [False, True], ids=["email-username", "email-alias"])
def test_racing_first_sign_ins_from_two_idps_end_on_one_user_with_both_identities(
    make_sim: SimFactory, double: Any, operation: str, alias_pool: bool
) -> None:
    sim = (
        make_sim(username_attributes=None, alias_attributes=("email",))
        if alias_pool
        else make_sim()
    )

    google, linkedin = _race(sim, double, operation)

    assert google.signed_in and linkedin.signed_in, (google.message, linkedin.message)
    [user] = double.users(sim.pool_id)
    assert google.sub == linkedin.sub == user.sub
    assert user.linked == {("Google", "6008"), ("LinkedIn", "LiRacer")}
    assert not google.duplicate_user and not linkedin.duplicate_user


def test_a_race_that_cannot_be_joined_safely_is_refused_with_nothing_half_done(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # While Google's sign-in creates the user, someone self-registers the same email and
    # leaves it unverified: the create collides and the existing account may not be joined.
    double.before_call(
        "AdminCreateUser",
        lambda: sim.native_sign_up(NEW, confirm=False, verify_email=False),
    )

    result = sim.federated_sign_in("Google", "6009", claims(NEW))

    assert_plain_refusal(result, NEW)
    [squatter] = double.users(sim.pool_id)
    assert squatter.status == "UNCONFIRMED" and squatter.linked == set()


def test_a_destination_with_five_identities_is_refused(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    native = sim.native_sign_up("full@example.com")
    for n in range(5):
        sim.add_identity_provider(f"Idp{n}", "OIDC")
        double.link(sim.pool_id, native.username, f"Idp{n}", f"s{n}")
    before = double.snapshot(sim.pool_id)

    result = sim.federated_sign_in("Google", "6010", claims("full@example.com"))

    assert_plain_refusal(result, "full@example.com")
    assert "maximum of 5" in (result.message or "")
    assert double.snapshot(sim.pool_id) == before
    assert result.cognito_calls == {"ListIdentityProviders": 1, "ListUsers": 1}


def test_little_time_left_fails_closed_before_any_call(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    sim.native_sign_up("late@example.com")
    event = sim.pre_signup_event("Google", "6011", claims("late@example.com"))
    before = double.snapshot(sim.pool_id)

    call = sim.call_trigger(pre_signup.handler, copy.deepcopy(event), LambdaContext(timeout_s=0.6))

    assert call.error is not None and "temporarily unavailable" in str(call.error)
    assert call.calls.total() == 0
    assert double.snapshot(sim.pool_id) == before


def test_persistent_throttling_of_the_lookup_fails_closed(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    double.inject_fault("ListUsers", times=100)

    result = sim.federated_sign_in("Google", "6012", claims(NEW))

    assert_plain_refusal(result, NEW)
    assert double.users(sim.pool_id) == []
    assert 1 <= result.cognito_calls["ListUsers"] <= 4  # bounded attempts
