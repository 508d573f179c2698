"""Linking and unlinking that the person confirms (lambda_src/confirmed_linking.py).

A LinkedIn sign-in that asserts an address LinkedIn has not verified may not be linked by
email; with `untrusted_sign_in = "separate_user"` it becomes a separate federated user, which
its owner links to their account by sending both access tokens. Every request goes through
the simulator's HTTP API (JWT authorizer on this pool and its app clients) to the real
handler, which talks to the Cognito double through boto3. Each attack is played with only one
side under the attacker's control and must change nothing.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cogfed_gate.offline_plan import OfflinePlanError, plan_json_text
from cogfed_tools.cognito_double import CognitoDouble, FederatedSignInSimulator
from cogfed_tools.cognito_double import backend as double_backend
from cogfed_tools.cognito_double.simulator import http_api_event
from cogfed_tools.offline_checks import COPY_IGNORE, REPO_ROOT
from tests.triggers.assertions import claims, decision
from tests.triggers.conftest import SimFactory

ALICE = "alice@example.com"
BOB = "bob@example.com"
GOOGLE_SUB = "108378475395871231834"
LINKEDIN_SUB = "Xq7RmP2aBc"  # mixed case: the exact case must be what is linked


def setup(
    make_sim: SimFactory, *, linkedin_mode: str = "separate_user"
) -> FederatedSignInSimulator:
    sim = make_sim(standard_idps=False)
    sim.add_identity_provider("Google", "Google")
    sim.add_identity_provider(
        "LinkedIn", "OIDC", subject_attribute="custom:idp_sub", untrusted_sign_in=linkedin_mode
    )
    # Links nothing by email and does not allow confirmed linking.
    sim.add_identity_provider(
        "Partner", "OIDC", subject_attribute="custom:idp_sub", link_by_email=False
    )
    return sim


def alice_account(sim: FederatedSignInSimulator) -> str:
    """Alice signs up with a password, then Google links to her account by email."""
    sim.native_sign_up(ALICE)
    signed_in = sim.password_sign_in(ALICE)
    assert signed_in.signed_in, signed_in.message
    google = sim.federated_sign_in("Google", GOOGLE_SUB, claims(ALICE))
    assert google.username == signed_in.username, google.message
    assert signed_in.username is not None
    return signed_in.username


def separate_linkedin(
    sim: FederatedSignInSimulator, subject: str = LINKEDIN_SUB, provider: str = "LinkedIn"
) -> str:
    """A LinkedIn sign-in whose address LinkedIn has not verified: its own, separate user."""
    result = sim.federated_sign_in(provider, subject, claims(ALICE, verified=False))
    assert result.signed_in, result.message
    assert result.federated_user_created
    assert result.username is not None
    return result.username


def link(sim: FederatedSignInSimulator, bearer: str, federated_token: str) -> Any:
    return sim.call_endpoint("POST /link", bearer, {"federated_access_token": federated_token})


def assert_nothing_changed(double: CognitoDouble, pool_id: str, before: dict[str, Any]) -> None:
    assert double.snapshot(pool_id) == before


def assert_no_leak(answer: Any, *secrets: str) -> None:
    text = json.dumps(answer.body) + json.dumps(answer.decisions)
    for secret in secrets:
        assert secret.lower() not in text.lower(), secret


# ---------------------------------------------------------------------------- the trigger


def test_an_untrusted_first_sign_in_is_refused_by_default(make_sim: SimFactory) -> None:
    sim = setup(make_sim, linkedin_mode="refuse")
    alice_account(sim)
    result = sim.federated_sign_in("LinkedIn", LINKEDIN_SUB, claims(ALICE, verified=False))
    assert result.outcome == "refused"
    assert not result.federated_user_created


def test_separate_user_lets_cognito_create_its_own_user_and_changes_nobody(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    before = double.user(sim.pool_id, alice)
    result = sim.federated_sign_in("LinkedIn", LINKEDIN_SUB, claims(ALICE, verified=False))
    assert result.signed_in and result.federated_user_created and result.username != alice
    assert double.user(sim.pool_id, alice) == before
    line = decision(result)
    assert (line["decision"], line["reason"]) == ("skipped", "separate_user:email_not_verified")


# ---------------------------------------------------------------------------- link


def test_link_confirmed_by_both_tokens(make_sim: SimFactory, double: CognitoDouble) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    federated_token = sim.access_token(federated)

    answer = link(sim, sim.access_token(alice), federated_token)

    assert answer.status == 200, answer.body
    assert answer.body["linked"] == {"provider": "LinkedIn"}
    assert {(i["provider"], i["subject"]) for i in answer.body["identities"]} == {
        ("Google", GOOGLE_SUB),
        ("LinkedIn", LINKEDIN_SUB),
    }
    # The separate user is gone and Alice carries the identity with its exact case.
    assert federated not in double.snapshot(sim.pool_id)
    assert double.user(sim.pool_id, alice).linked == {
        ("Google", GOOGLE_SUB),
        ("LinkedIn", LINKEDIN_SUB),
    }
    assert [d["decision"] for d in answer.decisions] == ["linked"]
    # LinkedIn links by email and may vouch for any domain, but her Google identity may be a
    # Workspace account of example.com, which no stored attribute can rule out (FACTS §20):
    # later first sign-ins are not linked here automatically.
    assert "automatically" in answer.body["note"]
    assert_no_leak(answer, ALICE)
    assert LINKEDIN_SUB not in json.dumps(answer.decisions)
    # Cognito's reported delay after a federated user is deleted, then her own account.
    assert (
        sim.federated_sign_in("LinkedIn", LINKEDIN_SUB, claims(ALICE, False)).outcome == "refused"
    )
    key = (sim.pool_id, "LinkedIn", LINKEDIN_SUB)
    double_backend.STATE.deleted_identities[key] -= 3601
    later = sim.federated_sign_in("LinkedIn", LINKEDIN_SUB, claims(ALICE, verified=False))
    assert later.username == alice and not later.federated_user_created


def test_the_federated_token_dies_with_its_user_so_a_replay_fails(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated_token = sim.access_token(separate_linkedin(sim))
    assert link(sim, sim.access_token(alice), federated_token).status == 200
    sim.native_sign_up(BOB)
    bob = sim.password_sign_in(BOB).username
    assert bob is not None
    before = double.snapshot(sim.pool_id)

    replay = link(sim, sim.access_token(bob), federated_token)

    assert (replay.status, replay.body["error"]) == (401, "token_invalid")
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_federated_token_of_another_pool_is_refused(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    other = setup(make_sim)
    alice = alice_account(sim)
    foreign = separate_linkedin(other)
    before, before_other = double.snapshot(sim.pool_id), double.snapshot(other.pool_id)

    answer = link(sim, sim.access_token(alice), other.access_token(foreign))

    assert (answer.status, answer.body["error"]) == (403, "token_other_pool")
    assert_nothing_changed(double, sim.pool_id, before)
    assert_nothing_changed(double, other.pool_id, before_other)


def test_a_bearer_of_another_pool_is_refused_by_the_authorizer_and_the_handler(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    other = setup(make_sim)
    alice_elsewhere = alice_account(other)
    federated_token = sim.access_token(separate_linkedin(sim))
    before = double.snapshot(sim.pool_id)

    assert link(sim, other.access_token(alice_elsewhere), federated_token).status == 401
    # Past a misconfigured authorizer: claims of this pool, a token of the other.
    import confirmed_linking

    forged = {
        **(double_backend.token_claims(sim.access_token(sim.session_usernames()[0])) or {}),
    }
    event = http_api_event(
        "POST /link",
        other.access_token(alice_elsewhere),
        {"federated_access_token": federated_token},
        forged,
    )
    with sim.environment(), _endpoint_env(sim):
        raw = confirmed_linking.handler(event, None)
    assert (raw["statusCode"], json.loads(raw["body"])["error"]) == (403, "token_other_pool")
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_federated_token_of_another_app_client_is_refused(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    other_client = double.backend.create_user_pool_client(
        sim.pool_id, False, {"ClientName": "other"}
    ).id
    before = double.snapshot(sim.pool_id)

    answer = link(sim, sim.access_token(alice), sim.access_token(federated, client_id=other_client))

    assert (answer.status, answer.body["error"]) == (403, "token_other_client")
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_federated_user_older_than_the_window_is_refused(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    token = sim.access_token(federated)
    sim.pool.users[federated].create_date = datetime.now(UTC) - timedelta(hours=1)
    before = double.snapshot(sim.pool_id)

    answer = link(sim, sim.access_token(alice), token)

    assert (answer.status, answer.body["error"]) == (403, "federated_user_not_fresh")
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_native_user_is_not_a_sign_in_to_add(make_sim: SimFactory, double: CognitoDouble) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    sim.native_sign_up(BOB)
    bob = sim.password_sign_in(BOB).username
    assert bob is not None
    before = double.snapshot(sim.pool_id)

    answer = link(sim, sim.access_token(alice), sim.access_token(bob))

    assert (answer.status, answer.body["error"]) == (403, "not_a_federated_sign_in")
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_provider_that_does_not_allow_it_is_refused(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    partner = separate_linkedin(sim, "PaRtNeR42", provider="Partner")
    before = double.snapshot(sim.pool_id)

    answer = link(sim, sim.access_token(alice), sim.access_token(partner))

    assert (answer.status, answer.body["error"]) == (403, "provider_not_allowed")
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_rewritten_subject_copy_is_never_linked(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    # The user rewrote her own copy of the subject (a mapped attribute is writable, FACTS §4).
    sim.pool.users[federated].update_attributes([{"Name": "custom:idp_sub", "Value": "xQ7rMp2AbC"}])
    before = double.snapshot(sim.pool_id)

    answer = link(sim, sim.access_token(alice), sim.access_token(federated))

    assert (answer.status, answer.body["error"]) == (403, "identity_unusable")
    assert_nothing_changed(double, sim.pool_id, before)


def test_the_identity_limit_is_checked_before_anything_is_deleted(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    for n in range(4):
        double.link(sim.pool_id, alice, "Google", f"9000{n}")
    federated = separate_linkedin(sim)
    before = double.snapshot(sim.pool_id)

    answer = link(sim, sim.access_token(alice), sim.access_token(federated))

    assert (answer.status, answer.body["error"]) == (409, "identity_limit")
    assert_nothing_changed(double, sim.pool_id, before)
    assert double.requests("AdminDeleteUser") == []


@pytest.mark.parametrize("status", ["RESET_REQUIRED", "UNCONFIRMED"])
def test_an_unconfirmed_destination_is_refused(
    make_sim: SimFactory, double: CognitoDouble, status: str
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    bearer = sim.access_token(alice)
    federated = separate_linkedin(sim)
    sim.pool.users[alice].status = status
    before = double.snapshot(sim.pool_id)

    answer = link(sim, bearer, sim.access_token(federated))

    assert answer.status in (401, 403) and answer.body["error"] in (
        "destination_unconfirmed",
        "token_invalid",
    )
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_disabled_destination_is_refused(make_sim: SimFactory, double: CognitoDouble) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    bearer = sim.access_token(alice)
    federated = separate_linkedin(sim)
    double.backend.admin_disable_user(sim.pool_id, alice)
    before = double.snapshot(sim.pool_id)

    answer = link(sim, bearer, sim.access_token(federated))

    assert answer.status == 401 and answer.body["error"] == "token_invalid"
    assert_nothing_changed(double, sim.pool_id, before)


def test_the_same_user_twice_is_refused(make_sim: SimFactory, double: CognitoDouble) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    before = double.snapshot(sim.pool_id)

    same_token = link(sim, sim.access_token(alice), sim.access_token(alice))
    both_federated = link(sim, sim.access_token(federated), sim.access_token(federated))

    assert (same_token.status, same_token.body["error"]) == (400, "same_user")
    assert (both_federated.status, both_federated.body["error"]) == (400, "same_user")
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_federated_destination_is_refused(make_sim: SimFactory, double: CognitoDouble) -> None:
    sim = setup(make_sim)
    alice_account(sim)
    first = separate_linkedin(sim)
    second = separate_linkedin(sim, "PaRtNeR42", provider="Partner")
    before = double.snapshot(sim.pool_id)

    answer = link(sim, sim.access_token(second), sim.access_token(first))

    assert (answer.status, answer.body["error"]) == (403, "destination_not_native")
    assert_nothing_changed(double, sim.pool_id, before)


def test_an_identity_linked_elsewhere_meanwhile_is_reported_and_never_moved(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    sim.native_sign_up(BOB)
    bob = sim.password_sign_in(BOB).username
    assert bob is not None
    # Between the delete and the link, an administrator links the identity to Bob.
    double.before_call(
        "AdminLinkProviderForUser", lambda: double.link(sim.pool_id, bob, "LinkedIn", LINKEDIN_SUB)
    )

    answer = link(sim, sim.access_token(alice), sim.access_token(federated))

    assert (answer.status, answer.body["error"]) == (409, "deleted_not_linked")
    assert "removed" in answer.body["message"] and "LinkedIn" in answer.body["message"]
    assert ("ERROR", "link_failed_after_delete") in {
        (d["level"], d["reason"]) for d in answer.decisions
    }
    assert double.user(sim.pool_id, alice).linked == {("Google", GOOGLE_SUB)}
    assert double.user(sim.pool_id, bob).linked == {("LinkedIn", LINKEDIN_SUB)}
    assert_no_leak(answer, ALICE, LINKEDIN_SUB)


def test_a_lost_link_answer_is_confirmed_from_the_account(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    double.inject_fault(
        "AdminLinkProviderForUser",
        "InvalidParameterException",
        message=double_backend.MERGING_MESSAGE,
        after=True,
    )

    answer = link(sim, sim.access_token(alice), sim.access_token(federated))

    assert answer.status == 200, answer.body
    assert ("LinkedIn", LINKEDIN_SUB) in double.user(sim.pool_id, alice).linked


def test_an_unauthenticated_or_malformed_request_changes_nothing(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    separate_linkedin(sim)
    before = double.snapshot(sim.pool_id)
    bearer = sim.access_token(alice)

    assert sim.call_endpoint("POST /link", "not-a-token", {"x": 1}).status == 401
    bad = sim.call_endpoint("POST /link", bearer, {"federated_access_token": 5})
    extra = sim.call_endpoint("POST /link", bearer, {"federated_access_token": "a", "to": "b"})
    assert (bad.status, extra.status) == (400, 400)
    assert_nothing_changed(double, sim.pool_id, before)


# ---------------------------------------------------------------------------- unlink


def linked_alice(sim: FederatedSignInSimulator) -> str:
    alice = alice_account(sim)
    assert (
        link(sim, sim.access_token(alice), sim.access_token(separate_linkedin(sim))).status == 200
    )
    return alice


def test_identities_lists_the_account_s_own(make_sim: SimFactory) -> None:
    sim = setup(make_sim)
    alice = linked_alice(sim)
    answer = sim.call_endpoint("GET /identities", sim.access_token(alice))
    assert answer.status == 200
    assert {i["provider"] for i in answer.body["identities"]} == {"Google", "LinkedIn"}


def test_unlink_removes_the_identity_and_its_next_sign_in_follows_the_rules(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = linked_alice(sim)

    answer = sim.call_endpoint("POST /unlink", sim.access_token(alice), {"provider": "LinkedIn"})

    assert answer.status == 200, answer.body
    assert double.user(sim.pool_id, alice).linked == {("Google", GOOGLE_SUB)}
    assert [i["provider"] for i in answer.body["identities"]] == ["Google"]
    double_backend.STATE.deleted_identities.clear()  # past the hour after the link's delete
    again = sim.federated_sign_in("LinkedIn", LINKEDIN_SUB, claims(ALICE, verified=False))
    assert again.signed_in and again.username != alice and again.federated_user_created


def test_unlink_of_the_last_sign_in_method_is_refused(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    # Created by the trigger with a random password: Google is her only way in.
    google = sim.federated_sign_in("Google", GOOGLE_SUB, claims(ALICE))
    assert google.username is not None
    before = double.snapshot(sim.pool_id)

    answer = sim.call_endpoint(
        "POST /unlink", sim.access_token(google.username), {"provider": "Google"}
    )

    assert (answer.status, answer.body["error"]) == (409, "last_sign_in_method")
    assert "forgot-password" in answer.body["message"]
    assert_nothing_changed(double, sim.pool_id, before)
    assert double.requests("AdminDisableProviderForUser") == []


def test_unlink_of_an_identity_not_linked_is_refused(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = linked_alice(sim)
    before = double.snapshot(sim.pool_id)
    answer = sim.call_endpoint(
        "POST /unlink", sim.access_token(alice), {"provider": "LinkedIn", "subject": "other"}
    )
    assert (answer.status, answer.body["error"]) == (404, "not_linked")
    assert_nothing_changed(double, sim.pool_id, before)


# ---------------------------------------------------------------------------- what each side proves


def handler_call(
    sim: FederatedSignInSimulator,
    route: str,
    bearer: str,
    *,
    body: str | None = None,
    base64_body: bool = False,
    claims_changes: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """The handler behind the HTTP API, given the body as the API passes it and the claims its
    JWT authorizer verified in the bearer (with `claims_changes`: those of another token of the
    same user, such as one a refresh issued long after the sign-in)."""
    import confirmed_linking

    verified = {**(double_backend.token_claims(bearer) or {}), **(claims_changes or {})}
    verified = {k: v for k, v in verified.items() if v is not None}
    event = http_api_event(route, bearer, None, verified)
    event["body"], event["isBase64Encoded"] = body, base64_body
    out = io.StringIO()
    with sim.environment(), _endpoint_env(sim), redirect_stdout(out):
        raw = confirmed_linking.handler(event, None)
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    return raw["statusCode"], json.loads(raw["body"]), lines


def test_a_copy_naming_a_subject_that_differs_in_case_only_is_never_linked(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    assert not sim.case_sensitive
    alice = alice_account(sim)
    # Her own LinkedIn subject has no capitals; another person's may be the same in capitals.
    federated = separate_linkedin(sim, "jsmith")
    # Every mapped attribute is writable by the app client (FACTS §4): she rewrites her copy.
    sim.pool.clients[sim.client_id].extended_config["WriteAttributes"] = [
        "email",
        "name",
        "custom:idp_sub",
        "custom:google_hd",
    ]
    sim.update_own_attributes(federated, {"custom:idp_sub": "JSmith"})
    before = double.snapshot(sim.pool_id)

    answer = link(sim, sim.access_token(alice), sim.access_token(federated))

    assert (answer.status, answer.body["error"]) == (403, "identity_unusable")
    assert "can't be linked here" in answer.body["message"]
    assert "contact support" in answer.body["message"]
    assert [d["reason"] for d in answer.decisions] == ["identity_record_case"]
    assert_nothing_changed(double, sim.pool_id, before)
    assert_no_leak(answer, "JSmith")
    # The other person's first sign-in never reaches Alice's account.
    other = sim.federated_sign_in("LinkedIn", "JSmith", claims(BOB, verified=False))
    assert other.username != alice


@pytest.mark.parametrize(
    "auth_time",
    [
        pytest.param(lambda now: str(now - 3600), id="an_hour_ago"),
        pytest.param(lambda now: now - 3600, id="an_hour_ago_as_a_number"),
        pytest.param(lambda now: None, id="absent"),
        pytest.param(lambda now: str(now + 3600), id="an_hour_ahead"),
        pytest.param(lambda now: "soon", id="not_a_time"),
    ],
)
def test_a_sign_in_to_the_account_that_is_not_recent_is_refused(
    make_sim: SimFactory, double: CognitoDouble, auth_time: Any
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    before = double.snapshot(sim.pool_id)
    body = json.dumps({"federated_access_token": sim.access_token(federated)})

    status, answer, lines = handler_call(
        sim,
        "POST /link",
        sim.access_token(alice),
        body=body,
        claims_changes={"auth_time": auth_time(int(time.time()))},
    )

    assert (status, answer["error"]) == (403, "sign_in_not_recent"), answer
    assert answer["message"].startswith("Sign in again right before linking")
    assert [line["decision"] for line in lines] == ["refused"]
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_window_beyond_a_quarter_hour_is_a_configuration_error(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    before = double.snapshot(sim.pool_id)

    answer = sim.call_endpoint(
        "POST /link",
        sim.access_token(alice),
        {"federated_access_token": sim.access_token(federated)},
        environment_overrides={"FEDERATED_USER_MAX_AGE_SECONDS": "901"},
    )

    assert (answer.status, answer.body["error"]) == (500, "configuration_error")
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_recent_sign_in_passed_as_the_api_passes_claims_links(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    bearer = sim.access_token(alice)
    signed_in = (double_backend.token_claims(bearer) or {})["auth_time"]
    body = json.dumps({"federated_access_token": sim.access_token(federated)})

    status, answer, _ = handler_call(
        sim, "POST /link", bearer, body=body, claims_changes={"auth_time": str(signed_in)}
    )

    assert status == 200, answer
    assert ("LinkedIn", LINKEDIN_SUB) in double.user(sim.pool_id, alice).linked


def test_a_sign_in_carrying_another_email_is_refused(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice_account(sim)
    sim.native_sign_up(BOB)
    bob = sim.password_sign_in(BOB).username
    assert bob is not None
    # Bob's LinkedIn asserts Alice's address, which LinkedIn has not verified.
    federated = separate_linkedin(sim, "B0bLinked")
    before = double.snapshot(sim.pool_id)

    answer = link(sim, sim.access_token(bob), sim.access_token(federated))

    assert (answer.status, answer.body["error"]) == (403, "email_differs")
    assert answer.body["message"].startswith("The email of your LinkedIn account differs")
    assert_no_leak(answer, ALICE, BOB)
    assert_nothing_changed(double, sim.pool_id, before)
    assert double.user(sim.pool_id, bob).email == BOB


def test_a_sign_in_without_an_email_is_refused(make_sim: SimFactory, double: CognitoDouble) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    result = sim.federated_sign_in("LinkedIn", LINKEDIN_SUB, {})
    assert result.federated_user_created and result.username is not None
    before = double.snapshot(sim.pool_id)

    answer = link(sim, sim.access_token(alice), sim.access_token(result.username))

    assert (answer.status, answer.body["error"]) == (403, "email_missing")
    assert_nothing_changed(double, sim.pool_id, before)


def test_emails_differing_in_ascii_case_only_are_the_same(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    upper = sim.federated_sign_in("LinkedIn", LINKEDIN_SUB, claims(ALICE.upper(), False))
    assert upper.username is not None

    answer = link(sim, sim.access_token(alice), sim.access_token(upper.username))

    assert answer.status == 200, answer.body
    assert ("LinkedIn", LINKEDIN_SUB) in double.user(sim.pool_id, alice).linked


def test_two_unlinks_at_once_leave_the_last_method_linked(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    # Created by the trigger with a random password: its identities are its only ways in.
    account = sim.federated_sign_in("Google", GOOGLE_SUB, claims(ALICE)).username
    assert account is not None
    assert (
        link(sim, sim.access_token(account), sim.access_token(separate_linkedin(sim))).status == 200
    )
    token = sim.access_token(account)
    first: dict[str, Any] = {}
    # Both requests read two identities; one removes Google while the other removes LinkedIn.
    double.before_call(
        "AdminDisableProviderForUser",
        lambda: first.setdefault(
            "answer", sim.call_endpoint("POST /unlink", token, {"provider": "Google"})
        ),
    )

    second = sim.call_endpoint("POST /unlink", token, {"provider": "LinkedIn"})

    assert first["answer"].status == 200
    assert (second.status, second.body["error"]) == (409, "last_sign_in_method")
    assert double.user(sim.pool_id, account).linked == {("LinkedIn", LINKEDIN_SUB)}
    assert ("unlink_undone", "last_identity_restored") in {
        (d["decision"], d["reason"]) for d in second.decisions
    }


def test_deep_json_is_a_bad_request(make_sim: SimFactory, double: CognitoDouble) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    before = double.snapshot(sim.pool_id)
    deep = '{"federated_access_token": ' + "[" * 5000 + "]" * 5000 + "}"

    status, answer, _ = handler_call(sim, "POST /link", sim.access_token(alice), body=deep)

    assert (status, answer["error"]) == (400, "bad_request")
    assert_nothing_changed(double, sim.pool_id, before)


def test_a_base64_body_longer_than_any_allowed_is_refused_undecoded(
    make_sim: SimFactory, double: CognitoDouble
) -> None:
    sim = setup(make_sim)
    alice = alice_account(sim)
    federated = separate_linkedin(sim)
    before = double.snapshot(sim.pool_id)
    request = json.dumps({"federated_access_token": sim.access_token(federated)}).encode()
    # Base64 decoding skips characters outside its alphabet: a huge body may decode small.
    padded = base64.b64encode(request).decode() + "\n" * 100_000

    status, answer, _ = handler_call(
        sim, "POST /link", sim.access_token(alice), body=padded, base64_body=True
    )

    assert (status, answer["error"]) == (400, "bad_request")
    assert_nothing_changed(double, sim.pool_id, before)


def test_the_answer_says_when_later_first_sign_ins_will_not_be_linked(
    make_sim: SimFactory,
) -> None:
    sim = setup(make_sim)
    # Links nothing by email: once linked, the trigger no longer takes the account as a
    # destination (FACTS §8).
    sim.add_identity_provider(
        "Facebook", "Facebook", link_by_email=False, untrusted_sign_in="separate_user"
    )
    alice = alice_account(sim)
    facebook = sim.federated_sign_in("Facebook", "1234567", claims(ALICE, verified=False))
    assert facebook.username is not None

    answer = link(sim, sim.access_token(alice), sim.access_token(facebook.username))

    assert answer.status == 200, answer.body
    assert "not linked to this account automatically" in answer.body["note"]
    later = sim.federated_sign_in("Google", "33333333", claims(ALICE))
    assert later.outcome == "refused"


CALLER = """
module "federation" {
  source = "../"
  name   = "linking"
  identity_providers = {
    Google = { type = "Google", client_id = "id.apps.googleusercontent.com" }
  }
  identity_provider_secrets = { Google = { client_secret = "secret" } }
  app_clients = {
    web = {
      callback_urls        = ["https://app.example.com/callback"]
      allowed_oauth_flows  = %s
      allowed_oauth_scopes = ["openid", "email", "aws.cognito.signin.user.admin"]
    }
  }
  confirmed_linking = { enabled = true, %s }
}
"""

SETTINGS = {
    "implicit_flow_client": (
        '["code", "implicit"]',
        'allowed_origins = ["https://app.example.com"]',
        'remove "implicit" from allowed_oauth_flows of web',
    ),
    "a_hyphen_for_a_host": ('["code"]', 'allowed_origins = ["https://-"]', "Not valid: https://-."),
    "a_dot_for_a_host": ('["code"]', 'allowed_origins = ["https://."]', "Not valid: https://.."),
    "plain_http_elsewhere": (
        '["code"]',
        'allowed_origins = ["http://app.example.com"]',
        "Not valid: http://app.example.com.",
    ),
    "a_window_of_a_quarter_hour_and_more": (
        '["code"]',
        "federated_user_max_age_seconds = 901",
        "must be a whole number from 30 to 900",
    ),
}


@pytest.mark.parametrize("case", sorted(SETTINGS))
def test_the_module_refuses_settings_that_expose_either_side(tmp_path: Path, case: str) -> None:
    flows, settings, problem = SETTINGS[case]
    tree = tmp_path / "tree"
    shutil.copytree(REPO_ROOT, tree, ignore=COPY_IGNORE)
    (tree / "caller").mkdir()
    (tree / "caller" / "main.tf").write_text(CALLER % (flows, settings), encoding="utf-8")
    with pytest.raises(OfflinePlanError) as refused:
        plan_json_text(tree / "caller")
    assert problem in " ".join(str(refused.value).split())


class _endpoint_env:
    """The endpoint's own environment for a direct handler call."""

    def __init__(self, sim: FederatedSignInSimulator) -> None:
        from cogfed_tools.cognito_double.double import environment

        self._cm = environment(
            {"USER_POOL_ID": sim.pool_id, "APP_CLIENT_IDS": json.dumps(sorted(sim.pool.clients))}
        )

    def __enter__(self) -> None:
        self._cm.__enter__()

    def __exit__(self, *args: object) -> None:
        self._cm.__exit__(*args)
