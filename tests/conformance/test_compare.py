"""A row is settled only by AWS's answer or a known difference that names its row and column."""

from __future__ import annotations

from cogfed_tools.conformance.compare import compare_rows, pool_facts
from cogfed_tools.conformance.scenario import (
    REFUSED,
    SIGN_INS,
    Landing,
    PoolSettings,
    Row,
    UserState,
)

BY_KEY = {s.key: s for s in SIGN_INS}
SAML = {"email": "emailaddress"}  # maps email without email_verified
OIDC = {"email": "email", "email_verified": "email_verified"}
MAPPINGS = {"Corporate": SAML, "LinkedIn": OIDC, "Google": OIDC}


def row(key: str, landed: str, verified: str = "", message: str = "") -> Row:
    sign_in = BY_KEY[key]
    verified = verified or sign_in.expect_verified
    sub = None if landed == REFUSED else landed
    outcome = REFUSED if landed == REFUSED else "signed in"
    return Row(1, sign_in, landed, Landing(outcome, sub, message), verified)


def verdict(double: Row, ministack: Row) -> tuple[str, bool]:
    (compared,) = compare_rows([double], [ministack], MAPPINGS)
    return compared.verdict, compared.ok


def test_both_giving_aws_answer_is_the_same() -> None:
    assert verdict(
        row("alice-linkedin", "alice's native user"), row("alice-linkedin", "alice's native user")
    ) == ("same", True)


def test_ministack_landing_elsewhere_is_a_disagreement() -> None:
    text, ok = verdict(
        row("alice-linkedin", "alice's native user"),
        row("alice-linkedin", "ANOTHER user with alice's email"),
    )
    assert not ok and "ministack gives" in text


def test_the_double_is_held_to_aws_even_when_both_worlds_agree() -> None:
    text, ok = verdict(
        row("mallory-unverified", "mallory's new user"),
        row("mallory-unverified", "mallory's new user"),
    )
    assert not ok and "the double gives" in text


def test_email_verified_is_held_to_aws_in_both_worlds() -> None:
    # AWS stores "false" after alice's SAML sign-in (FACTS §4): both must.
    assert verdict(
        row("alice-saml", "alice's native user", "false"),
        row("alice-saml", "alice's native user", "false"),
    ) == ("same", True)
    double_wrong = verdict(
        row("alice-saml", "alice's native user", "true"),
        row("alice-saml", "alice's native user", "false"),
    )
    assert not double_wrong[1] and "the double stores email_verified true" in double_wrong[0]
    ministack_wrong = verdict(
        row("alice-saml", "alice's native user", "false"),
        row("alice-saml", "alice's native user", "true"),
    )
    assert not ministack_wrong[1] and "ministack stores email_verified true" in ministack_wrong[0]


def test_refusals_must_give_the_same_reason() -> None:
    reason = "Sign-in refused: LinkedIn did not confirm that your email address is verified."
    double = row("mallory-unverified", REFUSED, "-", "PreSignUp failed with error " + reason)
    same = row("mallory-unverified", REFUSED, "-", reason)
    assert verdict(double, same) == ("same", True)
    other = row("mallory-unverified", REFUSED, "-", "Sign-in refused: another reason.")
    assert not verdict(double, other)[1]


def test_pools_are_compared_fact_by_fact() -> None:
    alice = UserState("alice", "s1", "CONFIRMED", "alice@example.com", True, frozenset())
    twin = UserState(
        "Corporate_x", "s2", "EXTERNAL_PROVIDER", "alice@example.com", False, frozenset()
    )
    facts = {f.what: f.ok for f in pool_facts([alice], [alice, twin])}
    assert facts == {
        "users": False,
        "users per email": False,
        "users Cognito created for an identity": False,
        "alice's identities": True,
    }


def test_pool_settings_must_be_the_planned_ones_in_both_worlds() -> None:
    planned = PoolSettings(frozenset({"idp_sub", "google_hd"}), holds_email_changes=True)
    lost = PoolSettings(frozenset({"idp_sub"}), holds_email_changes=False)
    facts = {f.what: f.ok for f in pool_facts([], [], (planned, planned, planned))}
    assert facts == {
        "custom attributes (planned: google_hd, idp_sub)": True,
        "a changed email waits for verification (planned: yes)": True,
        "users": True,
        "users per email": True,
        "users Cognito created for an identity": True,
        "alice's identities": True,
    }
    # Both worlds agreeing is not enough: each must hold what was planned.
    facts = {f.what: f.ok for f in pool_facts([], [], (planned, lost, lost))}
    assert facts["custom attributes (planned: google_hd, idp_sub)"] is False
    assert facts["a changed email waits for verification (planned: yes)"] is False


def test_pool_settings_are_read_from_the_pools_description() -> None:
    described = {
        "SchemaAttributes": [
            {"Name": "email"},
            {"Name": "custom:idp_sub"},
            {"Name": "custom:google_hd"},
        ],
        "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    }
    assert PoolSettings.described(described) == PoolSettings(
        frozenset({"idp_sub", "google_hd"}), holds_email_changes=True
    )
    assert PoolSettings.described({}) == PoolSettings(frozenset(), holds_email_changes=False)
