"""The simulator plays Cognito's part faithfully: the rules the trigger tests stand on."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from cogfed_tools.cognito_double import DEFAULT_PASSWORD, FederatedSignInSimulator
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


# --------------------------------------------------------------------------- after sign-in


class EventRecorder:
    """A pre token generation handler that records each event and changes nothing."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(copy.deepcopy(event))
        return event


def test_a_refresh_runs_pre_token_generation_with_the_attributes_as_stored(
    make_sim: SimFactory, double: Any
) -> None:
    # FACTS §20: TokenGeneration_RefreshTokens, with whatever the user changed since.
    sim = make_sim(hold_email_changes=False)
    recorder = EventRecorder()
    sim.pre_token = recorder
    signed_in = sim.federated_sign_in("Google", "8001", claims("eve@example.com"))
    sim.update_own_attributes(signed_in.username, {"email": "eve@elsewhere.example"})

    refreshed = sim.refresh_tokens(signed_in.username)

    first, second = recorder.events
    assert first["triggerSource"] == "TokenGeneration_HostedAuth"
    assert second["triggerSource"] == "TokenGeneration_RefreshTokens"
    attributes = second["request"]["userAttributes"]
    assert (attributes["email"], attributes["email_verified"]) == (
        "eve@elsewhere.example",
        "false",
    )
    assert refreshed.signed_in and refreshed.sub == signed_in.sub
    assert refreshed.claims["email"] == "eve@elsewhere.example"
    assert refreshed.claims["email_verified"] is False
    assert refreshed.trigger_invocations == Counter({"TokenGeneration_RefreshTokens": 1})


def test_a_refresh_needs_a_live_session_and_an_enabled_user(
    make_sim: SimFactory, double: Any
) -> None:
    sim = make_sim()
    native = sim.native_sign_up("fay@example.com")

    never_signed_in = sim.refresh_tokens(native.username)
    signed_in = sim.password_sign_in("fay@example.com")
    sim.access_token(native.username)  # the app holds its tokens
    double.backend.admin_user_global_sign_out(sim.pool_id, native.username)
    signed_out = sim.refresh_tokens(native.username)
    again = sim.password_sign_in("fay@example.com")
    refreshed = sim.refresh_tokens(native.username)
    double.backend.admin_disable_user(sim.pool_id, native.username)
    disabled = sim.refresh_tokens(native.username)

    assert never_signed_in.outcome == "refused" and not never_signed_in.trigger_invocations
    assert signed_in.signed_in and signed_in.sub == native.sub
    assert signed_out.outcome == "refused" and not signed_out.trigger_invocations
    assert again.signed_in and refreshed.signed_in and refreshed.sub == native.sub
    assert disabled.outcome == "refused" and disabled.message == "User is disabled."
    with pytest.raises(ValueError, match="no session"):
        sim.update_own_attributes("nobody", {"name": "x"})


@pytest.mark.parametrize(
    ("hosted_ui", "source"),
    [(True, "TokenGeneration_HostedAuth"), (False, "TokenGeneration_Authentication")],
)
def test_a_password_sign_in_runs_pre_token_generation(
    make_sim: SimFactory, hosted_ui: bool, source: str
) -> None:
    # FACTS §20: managed login and InitiateAuth name their own trigger sources.
    sim = make_sim()
    recorder = EventRecorder()
    sim.pre_token = recorder
    native = sim.native_sign_up("gus@example.com")

    result = sim.password_sign_in("gus@example.com", hosted_ui=hosted_ui)

    assert result.signed_in and result.sub == native.sub
    [event] = recorder.events
    assert event["triggerSource"] == source
    assert result.trigger_invocations == Counter({source: 1})


@pytest.mark.parametrize(
    ("login", "password", "confirm", "message"),
    [
        ("hal@example.com", "wrong-Password-1", True, "Incorrect username or password."),
        ("nobody@example.com", DEFAULT_PASSWORD, True, "Incorrect username or password."),
        ("hal@example.com", DEFAULT_PASSWORD, False, "User is not confirmed."),
    ],
    ids=["wrong-password", "unknown-user", "unconfirmed"],
)
def test_a_password_sign_in_without_the_right_password_or_confirmation_gets_no_tokens(
    make_sim: SimFactory, login: str, password: str, confirm: bool, message: str
) -> None:
    sim = make_sim()
    sim.native_sign_up("hal@example.com", confirm=confirm)

    result = sim.password_sign_in(login, password)

    assert result.outcome == "refused" and result.message == message
    assert not result.trigger_invocations


def test_a_held_back_change_leaves_the_original_address_as_the_sign_in_name(
    make_sim: SimFactory, double: Any
) -> None:
    # "Your user can sign in ... with the original attribute value until they verify the new
    # value" (FACTS §20).
    sim = make_sim(hold_email_changes=True)
    native = sim.native_sign_up("ida@example.com")
    sim.password_sign_in("ida@example.com")
    sim.update_own_attributes(native.username, {"email": "ida@new.example"})

    with_new = sim.password_sign_in("ida@new.example")
    with_original = sim.password_sign_in("ida@example.com")
    sim.verify_own_attribute(native.username, double.last_code("ida@new.example"))
    after_verification = sim.password_sign_in("ida@new.example")

    assert with_new.outcome == "refused"
    assert with_original.signed_in and with_original.claims["email"] == "ida@example.com"
    assert after_verification.signed_in and after_verification.sub == native.sub
    assert after_verification.claims["email_verified"] is True


def test_a_google_provider_maps_the_hosted_domain_where_the_pool_declares_it(
    make_sim: SimFactory, double: Any
) -> None:
    # cognito_facts.json `hosted_domain`: Google's hd into custom:google_hd (FACTS §8, §20).
    with_attribute = make_sim(standard_idps=False)
    with_attribute.add_identity_provider("Google", "Google")
    without_pool = double.create_pool(custom_attributes={"idp_sub": True})
    without = FederatedSignInSimulator(double, without_pool)
    without.add_identity_provider("Google", "Google")

    event = with_attribute.pre_signup_event(
        "Google", "9001", claims("jo@ours.example", hd="ours.example")
    )
    plain = without.pre_signup_event("Google", "9001", claims("jo@ours.example", hd="ours.example"))

    assert event["request"]["userAttributes"]["custom:google_hd"] == "ours.example"
    assert "custom:google_hd" not in plain["request"]["userAttributes"]
    mapping = double.pool(without_pool).identity_providers["Google"].extended_config
    assert "custom:google_hd" not in mapping["AttributeMapping"]


@pytest.mark.parametrize(
    ("issuer", "sent", "stored"),
    [
        # Microsoft Entra ID: email_verified from xms_edov (cognito_facts.json
        # `email_verified_claim_by_issuer`, FACTS §8, §20); Entra sends no email_verified.
        ("https://login.microsoftonline.com/tenant-id/v2.0", {"xms_edov": "true"}, "true"),
        ("https://sts.windows.net/tenant-id/", {"xms_edov": "false"}, "false"),
        ("https://login.microsoftonline.com/tenant-id/v2.0", {"email_verified": "true"}, "false"),
        ("https://login.microsoftonline.com/tenant-id/v2.0", {}, "false"),
        # Any other OIDC issuer: its own email_verified claim.
        ("https://idp.example/", {"email_verified": "true", "xms_edov": "false"}, "true"),
    ],
    ids=["entra-true", "entra-sts-false", "entra-ignores-email_verified", "entra-absent", "other"],
)
def test_an_entra_provider_maps_email_verified_from_xms_edov(
    make_sim: SimFactory, issuer: str, sent: dict[str, str], stored: str
) -> None:
    sim = make_sim(standard_idps=False)
    sim.add_identity_provider("Entra", "OIDC", oidc_issuer=issuer)

    event = sim.pre_signup_event("Entra", "T1", {"email": "kay@tenant.example", **sent})

    assert event["request"]["userAttributes"]["email_verified"] == stored
    details = sim.pool.identity_providers["Entra"].extended_config["ProviderDetails"]
    assert details["oidc_issuer"] == issuer
