"""The seed report: linked SAML and LinkedIn users still got tokens for a second user.

A SAML NameID and a LinkedIn subject in mixed case, in a case-insensitive pool: linking from
the lower-cased userName (the naive trigger) leaves Cognito unable to match the link, so it
creates a second, unlinked user and issues the tokens for it (FACTS §3). Mapping the subject
into a custom attribute fixes it; so does a case-sensitive pool.
"""

from __future__ import annotations

from typing import Any

import pytest

from cogfed_tools.cognito_double import naive_pre_signup_handler
from tests.triggers.assertions import assert_plain_refusal, claims
from tests.triggers.conftest import SimFactory

NAME_ID = "Carlos@Corp.Example"
LINKEDIN_SUB = "0lAbhK9l5z"
CARLOS = "carlos@corp.example"

SIGN_INS = [
    ("CorpSAML", NAME_ID, {"email": CARLOS}),
    ("LinkedIn", LINKEDIN_SUB, claims(CARLOS, sub=LINKEDIN_SUB)),
]


@pytest.mark.parametrize(("provider", "subject", "idp_claims"), SIGN_INS, ids=["saml", "linkedin"])
def test_naive_linking_in_a_case_insensitive_pool_gives_tokens_for_a_duplicate(
    make_sim: SimFactory, double: Any, provider: str, subject: str, idp_claims: dict[str, str]
) -> None:
    sim = make_sim(map_subject=False, pre_signup=naive_pre_signup_handler, pre_token=None)
    native = sim.native_sign_up(CARLOS)

    result = sim.federated_sign_in(provider, subject, idp_claims)

    assert result.signed_in
    assert result.duplicate_user and result.federated_user_created
    assert result.sub != native.sub  # the tokens are for the second user
    # The native user got a link, but with the lower-cased subject Cognito never matches.
    assert double.user(sim.pool_id, native.username).linked == {(provider, subject.lower())}


@pytest.mark.parametrize(("provider", "subject", "idp_claims"), SIGN_INS, ids=["saml", "linkedin"])
def test_without_the_mapping_the_trigger_refuses_instead_of_duplicating(
    make_sim: SimFactory, double: Any, provider: str, subject: str, idp_claims: dict[str, str]
) -> None:
    sim = make_sim(map_subject=False)
    native = sim.native_sign_up(CARLOS)

    result = sim.federated_sign_in(provider, subject, idp_claims)

    assert_plain_refusal(result, subject)
    assert not result.duplicate_user
    assert double.user(sim.pool_id, native.username).linked == set()


@pytest.mark.parametrize(("provider", "subject", "idp_claims"), SIGN_INS, ids=["saml", "linkedin"])
@pytest.mark.parametrize("case_sensitive", [False, True], ids=["mapped-subject", "case-sensitive"])
def test_one_user_with_the_subject_mapping_or_a_case_sensitive_pool(
    make_sim: SimFactory,
    double: Any,
    provider: str,
    subject: str,
    idp_claims: dict[str, str],
    case_sensitive: bool,
) -> None:
    # The case-sensitive pool runs without the mapping; the case-insensitive one with it.
    sim = make_sim(case_sensitive=case_sensitive, map_subject=not case_sensitive)
    native = sim.native_sign_up(CARLOS)

    first = sim.federated_sign_in(provider, subject, idp_claims)
    again = sim.federated_sign_in(provider, subject, idp_claims)

    for result in (first, again):
        assert result.signed_in and result.sub == native.sub
        assert not result.duplicate_user and not result.federated_user_created
    assert len(double.users(sim.pool_id)) == 1
    assert double.user(sim.pool_id, native.username).linked == {(provider, subject)}
    assert again.pre_signup_attempts == 0  # a returning identity never reaches pre sign-up


def test_both_identities_end_on_one_user(make_sim: SimFactory, double: Any) -> None:
    sim = make_sim()
    native = sim.native_sign_up(CARLOS)

    results = [sim.federated_sign_in(p, s, c) for p, s, c in SIGN_INS]

    assert {r.sub for r in results} == {native.sub}
    assert double.user(sim.pool_id, native.username).linked == {
        ("CorpSAML", NAME_ID),
        ("LinkedIn", LINKEDIN_SUB),
    }
