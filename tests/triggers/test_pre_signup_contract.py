"""CONTRACT §1: the pre sign-up behaviours outside checks rely on, over the Cognito double."""

from __future__ import annotations

import copy
from typing import Any

import pre_signup
import pytest

from cogfed_tools.cognito_double import FederatedSignInSimulator
from tests.triggers.assertions import assert_plain_refusal, claims, decision
from tests.triggers.conftest import SimFactory

LINKEDIN_SUBJECT = "0lAbhK9l5z"  # mixed case, as in the seed thread
# What a container's first linking decision in a pool reads: the pool's providers (cached
# afterwards, lambda_src/pool_providers.py) and the users with the email.
LOOKUPS = {"ListIdentityProviders": 1, "ListUsers": 1}

# (case_sensitive, username_attributes, alias_attributes): the pool shapes the lookup must
# work in, whether or not email is a sign-in name.
POOL_SHAPES = {
    "email-username-case-insensitive": (False, ("email",), None),
    "email-username-case-sensitive": (True, ("email",), None),
    "email-alias": (False, None, ("email",)),
    "free-form-username": (False, None, None),
}


def shaped(make_sim: SimFactory, shape: str) -> FederatedSignInSimulator:
    case_sensitive, username_attributes, alias_attributes = POOL_SHAPES[shape]
    return make_sim(
        case_sensitive=case_sensitive,
        username_attributes=username_attributes,
        alias_attributes=alias_attributes,
    )


# ----------------------------------------------------------------- behaviour 1


@pytest.mark.parametrize("source", ["PreSignUp_SignUp", "PreSignUp_AdminCreateUser"])
def test_native_and_admin_sign_ups_return_the_event_untouched(
    sim: FederatedSignInSimulator, double: Any, source: str
) -> None:
    sim.native_sign_up("ann@example.com")
    event = sim.pre_signup_event("Google", "111", claims("ann@example.com"))
    event["triggerSource"] = source
    before = double.snapshot(sim.pool_id)

    call = sim.call_trigger(pre_signup.handler, copy.deepcopy(event))

    assert call.error is None
    assert call.result == event
    assert call.calls.total() == 0
    assert double.snapshot(sim.pool_id) == before


def test_self_sign_up_is_not_auto_confirmed_or_verified(sim: FederatedSignInSimulator) -> None:
    # The seed article auto-confirms and auto-verifies self sign-ups, which hands any
    # unverified email to whoever typed it (FACTS §8): this trigger leaves both flags alone.
    user = sim.native_sign_up("typed@example.com", confirm=False, verify_email=False)
    assert user.status == "UNCONFIRMED"
    assert not user.email_verified


# ----------------------------------------------------------------- behaviour 2


@pytest.mark.parametrize("shape", sorted(POOL_SHAPES))
def test_identity_is_linked_to_the_one_verified_native_user(
    make_sim: SimFactory, double: Any, shape: str
) -> None:
    sim = shaped(make_sim, shape)
    native = sim.native_sign_up("Alice@Example.com")

    result = sim.federated_sign_in(
        "LinkedIn", LINKEDIN_SUBJECT, claims(native.email or "", sub=LINKEDIN_SUBJECT)
    )

    assert result.signed_in, result.message
    assert result.sub == native.sub  # the tokens are the native user's
    assert not result.federated_user_created and not result.duplicate_user
    # ProviderName exactly as configured, the exact-case subject (FACTS §1).
    assert double.user(sim.pool_id, native.username).linked == {("LinkedIn", LINKEDIN_SUBJECT)}
    [link] = double.requests("AdminLinkProviderForUser")
    assert link["SourceUser"] == {
        "ProviderName": "LinkedIn",
        "ProviderAttributeName": "Cognito_Subject",
        "ProviderAttributeValue": LINKEDIN_SUBJECT,
    }
    assert link["DestinationUser"] == {
        "ProviderName": "Cognito",
        "ProviderAttributeValue": native.username,
    }
    assert result.cognito_calls == {**LOOKUPS, "AdminLinkProviderForUser": 1}
    assert decision(result)["decision"] == "linked"


def test_email_is_compared_case_insensitively(sim: FederatedSignInSimulator, double: Any) -> None:
    native = sim.native_sign_up("Mixed.Case@Example.COM")

    result = sim.federated_sign_in("Google", "4242", claims("mixed.case@example.com"))

    assert result.signed_in and result.sub == native.sub
    assert double.user(sim.pool_id, native.username).linked == {("Google", "4242")}


def test_administrator_created_user_awaiting_first_password_is_linked(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    invited = sim.admin_create_user("invited@example.com")
    assert invited.status == "FORCE_CHANGE_PASSWORD"

    result = sim.federated_sign_in("Google", "777", claims("invited@example.com"))

    assert result.signed_in and result.sub == invited.sub
    after = double.user(sim.pool_id, invited.username)
    assert after.linked == {("Google", "777")}
    assert after.status == "FORCE_CHANGE_PASSWORD"  # an administrator's user is not altered


def test_identity_provider_name_with_underscores_and_subject_with_underscores(
    make_sim: SimFactory, double: Any
) -> None:
    sim = make_sim(standard_idps=False)
    sim.add_identity_provider(
        "Ok_ta", "SAML", email_trust="always", email_domains=["corp.example"],
        subject_attribute="custom:idp_sub",
    )  # fmt: skip
    native = sim.native_sign_up("eve@corp.example")

    result = sim.federated_sign_in("Ok_ta", "Eve_X_9", {"email": "eve@corp.example"})

    assert result.signed_in and result.sub == native.sub
    assert double.user(sim.pool_id, native.username).linked == {("Ok_ta", "Eve_X_9")}


def test_overlapping_provider_names_are_refused_rather_than_guessed(
    make_sim: SimFactory, double: Any
) -> None:
    # "okta_eu_7" could be Okta's subject "eu_7" or Okta_EU's "7" (FACTS §2).
    sim = make_sim(standard_idps=False, case_sensitive=True)
    for name in ("Okta", "Okta_EU"):
        sim.add_identity_provider(name, "SAML", email_trust="always", email_domains=["eu.example"])
    native = sim.native_sign_up("amy@eu.example")

    result = sim.federated_sign_in("Okta_EU", "7", {"email": "amy@eu.example"})

    assert_plain_refusal(result, "amy@eu.example")
    assert "overlap" in (result.message or "")
    assert double.user(sim.pool_id, native.username).linked == set()


# ----------------------------------------------------------------- behaviour 3


@pytest.mark.parametrize("shape", sorted(POOL_SHAPES))
def test_new_email_creates_one_verified_confirmed_native_user_and_links_it(
    make_sim: SimFactory, double: Any, shape: str
) -> None:
    sim = shaped(make_sim, shape)

    result = sim.federated_sign_in("Google", "1122334455", claims("new@example.com"))

    assert result.signed_in, result.message
    [user] = double.users(sim.pool_id)
    assert not user.is_federated
    assert user.status == "CONFIRMED" and user.email_verified
    assert user.email == "new@example.com"
    assert user.linked == {("Google", "1122334455")}
    assert result.sub == user.sub and not result.federated_user_created
    [create] = [r for r in double.requests("AdminCreateUser") if "Username" in r][-1:]
    assert create["MessageAction"] == "SUPPRESS"  # no welcome message
    # AdminCreateUser re-entered pre sign-up, which returned at once (FACTS §2).
    assert result.trigger_invocations["PreSignUp_AdminCreateUser"] >= 1
    assert decision(result)["decision"] == "created_and_linked"


def test_new_user_costs_four_calls_once_the_container_knows_the_pool(
    make_sim: SimFactory,
) -> None:
    # A generated username is tried first; a pool whose usernames are emails refuses it,
    # once per container, then every new user costs four calls.
    email_pool = make_sim()
    learning = email_pool.federated_sign_in("Google", "1", claims("one@example.com"))
    learned = email_pool.federated_sign_in("Google", "2", claims("two@example.com"))
    assert learning.signed_in and learning.cognito_calls == {
        **LOOKUPS,
        "AdminCreateUser": 2,
        "AdminSetUserPassword": 1,
        "AdminLinkProviderForUser": 1,
    }
    assert learned.signed_in and learned.cognito_calls == {
        "ListUsers": 1,
        "AdminCreateUser": 1,
        "AdminSetUserPassword": 1,
        "AdminLinkProviderForUser": 1,
    }

    # Where email is an alias (or usernames are free-form) the generated name is taken at once.
    alias_pool = make_sim(username_attributes=None, alias_attributes=("email",))
    first = alias_pool.federated_sign_in("Google", "3", claims("three@example.com"))
    assert first.signed_in and first.cognito_calls["AdminCreateUser"] == 1


def test_a_federated_user_is_never_the_destination(make_sim: SimFactory, double: Any) -> None:
    sim = make_sim()
    sim.add_identity_provider("Partner", "OIDC", link_by_email=False)
    unlinked = sim.federated_sign_in("Partner", "p-1", claims("same@example.com"))
    assert unlinked.federated_user_created  # link_by_email off: Cognito's own user

    result = sim.federated_sign_in("Google", "991", claims("same@example.com"))

    assert result.signed_in and result.decisions[0]["decision"] == "created_and_linked"
    native = next(u for u in double.users(sim.pool_id) if not u.is_federated)
    assert result.sub == native.sub and native.linked == {("Google", "991")}
    federated = next(u for u in double.users(sim.pool_id) if u.is_federated)
    assert federated.linked == {("Partner", "p-1")}


# ----------------------------------------------------------------- behaviour 4


@pytest.mark.parametrize("existing", [True, False], ids=["existing-user", "new-user"])
def test_the_same_event_delivered_twice_leaves_one_user_and_one_link(
    sim: FederatedSignInSimulator, double: Any, existing: bool
) -> None:
    if existing:
        sim.native_sign_up("twice@example.com")
    event = sim.pre_signup_event("Google", "2222", claims("twice@example.com"))

    first = sim.call_trigger(pre_signup.handler, copy.deepcopy(event))
    second = sim.call_trigger(pre_signup.handler, copy.deepcopy(event))

    assert first.error is None and second.error is None
    [user] = double.users(sim.pool_id)
    assert user.linked == {("Google", "2222")}
    assert second.cognito_calls == {"ListUsers": 1}
    assert second.decisions[-1]["decision"] == "already_linked"


# ----------------------------------------------------------------- behaviour 5


def _refusal_cases() -> dict[str, dict[str, Any]]:
    return {
        "email-not-verified-by-idp": {
            "natives": [("victim@example.com", True, True)],
            "provider": "Google",
            "claims": claims("victim@example.com", verified=False),
            "calls": {},
        },
        "email-outside-idp-domains": {
            "natives": [("victim@example.com", True, True)],
            "provider": "CorpSAML",
            "claims": {"email": "victim@example.com"},
            "calls": {},
        },
        "native-email-unverified": {
            "natives": [("victim@example.com", True, False)],
            "provider": "Google",
            "claims": claims("victim@example.com"),
            "calls": LOOKUPS,
        },
        "native-unconfirmed": {
            "natives": [("victim@example.com", False, False)],
            "provider": "Google",
            "claims": claims("victim@example.com"),
            "calls": LOOKUPS,
        },
        "native-unconfirmed-though-flagged-verified": {
            "natives": [("victim@example.com", False, True)],
            "provider": "Google",
            "claims": claims("victim@example.com"),
            "calls": LOOKUPS,
        },
        "email-with-quote": {
            "natives": [("victim@example.com", True, True)],
            "provider": "Google",
            "claims": claims('vic"tim@example.com'),
            "calls": {},
        },
        "email-with-backslash": {
            "natives": [("victim@example.com", True, True)],
            "provider": "Google",
            "claims": claims("vic\\tim@example.com"),
            "calls": {},
        },
        "no-email": {
            "natives": [("victim@example.com", True, True)],
            "provider": "Google",
            "claims": {"email_verified": "true"},
            "calls": {},
        },
        "idp-not-configured": {
            "natives": [("victim@example.com", True, True)],
            "provider": "Unlisted",
            "claims": claims("victim@example.com"),
            "calls": {},
        },
    }


@pytest.mark.parametrize("case", sorted(_refusal_cases()))
def test_unsafe_sign_ins_are_refused_and_change_nothing(
    sim: FederatedSignInSimulator, double: Any, case: str
) -> None:
    spec = _refusal_cases()[case]
    sim.add_identity_provider("Unlisted", "OIDC", configure=False)
    for email, confirm, verified in spec["natives"]:
        sim.native_sign_up(email, confirm=confirm, verify_email=verified)
    before = double.snapshot(sim.pool_id)

    result = sim.federated_sign_in(spec["provider"], "9021099", spec["claims"])

    assert_plain_refusal(result, "victim@example.com", "9021099")
    assert double.snapshot(sim.pool_id) == before
    assert not double.requests("AdminLinkProviderForUser")
    assert result.cognito_calls == spec["calls"]
    assert decision(result)["decision"] == "refused"


@pytest.mark.parametrize(
    "emails",
    [("dup@example.com", "dup@example.com"), ("Dup@Example.com", "dup@example.com")],
    ids=["same-case", "differing-case"],
)
def test_two_native_users_with_the_email_are_ambiguous(
    make_sim: SimFactory, double: Any, emails: tuple[str, str]
) -> None:
    # Only a free-form-username pool lets two native users share an email.
    sim = make_sim(username_attributes=None)
    for email in emails:
        sim.native_sign_up(email)
    before = double.snapshot(sim.pool_id)

    result = sim.federated_sign_in("Google", "31337", claims("dup@example.com"))

    assert_plain_refusal(result, "dup@example.com")
    assert "more than one account" in (result.message or "")
    assert double.snapshot(sim.pool_id) == before
    assert result.cognito_calls == LOOKUPS


# ----------------------------------------------------------------- behaviour 6


def test_case_insensitive_pool_links_the_exact_subject_from_the_mapped_attribute(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    native = sim.native_sign_up("lee@example.com")
    event = sim.pre_signup_event("LinkedIn", LINKEDIN_SUBJECT, claims("lee@example.com"))
    assert event["userName"] == f"linkedin_{LINKEDIN_SUBJECT.lower()}"  # FACTS §2

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is None
    assert double.user(sim.pool_id, native.username).linked == {("LinkedIn", LINKEDIN_SUBJECT)}


@pytest.mark.parametrize("mapped_subject", ["0lAbhK9l5zX", "someone-else"])
def test_case_insensitive_pool_refuses_a_mapped_subject_that_is_not_the_username_suffix(
    sim: FederatedSignInSimulator, double: Any, mapped_subject: str
) -> None:
    sim.native_sign_up("lee@example.com")
    event = sim.pre_signup_event("LinkedIn", LINKEDIN_SUBJECT, claims("lee@example.com"))
    event["request"]["userAttributes"]["custom:idp_sub"] = mapped_subject
    before = double.snapshot(sim.pool_id)

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is not None and "inconsistent" in str(call.error)
    assert double.snapshot(sim.pool_id) == before and call.calls.total() == 0


def test_case_insensitive_pool_without_the_subject_mapping_never_links_from_username(
    make_sim: SimFactory, double: Any
) -> None:
    sim = make_sim(map_subject=False)
    native = sim.native_sign_up("lee@example.com")

    result = sim.federated_sign_in("LinkedIn", LINKEDIN_SUBJECT, claims("lee@example.com"))

    assert_plain_refusal(result, LINKEDIN_SUBJECT)
    assert "exact case" in (result.message or "")
    assert double.user(sim.pool_id, native.username).linked == set()
    assert result.total_cognito_calls == 0


def test_digit_subjects_need_no_mapping_even_in_a_case_insensitive_pool(
    make_sim: SimFactory, double: Any
) -> None:
    # Lower-casing leaves a subject without letters unchanged (FACTS §3: Google's digits).
    sim = make_sim(map_subject=False)
    native = sim.native_sign_up("gina@example.com")

    result = sim.federated_sign_in("Google", "108986458847054040795", claims("gina@example.com"))

    assert result.signed_in and result.sub == native.sub
    assert double.user(sim.pool_id, native.username).linked == {("Google", "108986458847054040795")}


def test_link_by_email_off_skips_linking_without_any_call(
    make_sim: SimFactory, double: Any
) -> None:
    sim = make_sim()
    sim.add_identity_provider("Partner", "OIDC", link_by_email=False)
    native = sim.native_sign_up("pat@example.com")

    result = sim.federated_sign_in("Partner", "pp", claims("pat@example.com"))

    assert result.signed_in and result.federated_user_created
    assert result.total_cognito_calls == 0
    assert decision(result)["decision"] == "skipped"
    assert double.user(sim.pool_id, native.username).linked == set()
