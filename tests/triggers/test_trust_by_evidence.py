"""Automatic linking only on evidence each provider type can give (FACTS §8).

cognito_facts.json's `email_trust_modes` and `hosted_domain` decide: a Google consumer account
and Apple by their verified claim, a Google Workspace account only for a listed domain, the
organisation's own OIDC or SAML directory by `always` with its domains, and nothing from
Facebook or Login with Amazon. Each case names what it defends against.
"""

from __future__ import annotations

from typing import Any

import pre_signup
import pytest

from tests.triggers.assertions import assert_plain_refusal, claims, decision
from tests.triggers.conftest import CORP_DOMAIN, SimFactory

HD = "custom:google_hd"
GOOGLE_MAPPING = {"email": "email", "email_verified": "email_verified", HD: "hd"}


def google_sim(make_sim: SimFactory, email_domains: list[str] | None = None) -> Any:
    sim = make_sim(standard_idps=False)
    sim.add_identity_provider(
        "Google", "Google", attribute_mapping=GOOGLE_MAPPING, email_domains=email_domains
    )
    return sim


def test_a_workspace_account_of_an_unlisted_domain_is_not_linked(
    make_sim: SimFactory, double: Any
) -> None:
    # A lapsed company domain, re-registered by someone else with a Google Workspace: Google
    # calls its old addresses verified (FACTS §8).
    sim = google_sim(make_sim)
    native = sim.native_sign_up("cfo@lapsed.example")
    before = double.snapshot(sim.pool_id)

    result = sim.federated_sign_in(
        "Google", "3001", claims("cfo@lapsed.example", hd="lapsed.example")
    )

    assert_plain_refusal(result, "lapsed.example", "cfo")
    assert decision(result)["reason"] == "hosted_domain_not_listed"
    assert double.snapshot(sim.pool_id) == before
    assert double.user(sim.pool_id, native.username).linked == set()


def test_a_workspace_account_of_a_listed_domain_is_linked(
    make_sim: SimFactory, double: Any
) -> None:
    sim = google_sim(make_sim, email_domains=["ours.example"])
    native = sim.native_sign_up("ana@ours.example")

    result = sim.federated_sign_in("Google", "3002", claims("ana@ours.example", hd="OURS.example"))

    assert result.signed_in and result.sub == native.sub
    assert double.user(sim.pool_id, native.username).linked == {("Google", "3002")}


def test_a_listed_email_domain_does_not_admit_another_workspace(
    make_sim: SimFactory, double: Any
) -> None:
    # The address is in a listed domain, but the Workspace that vouches for it is another
    # organisation's: its administrator can create any address it likes.
    sim = google_sim(make_sim, email_domains=["ours.example"])
    sim.native_sign_up("ana@ours.example")

    result = sim.federated_sign_in(
        "Google", "3003", claims("ana@ours.example", hd="theirs.example")
    )

    assert_plain_refusal(result, "theirs.example")
    assert decision(result)["reason"] == "hosted_domain_not_listed"


def test_a_consumer_google_account_links_as_before(make_sim: SimFactory, double: Any) -> None:
    sim = google_sim(make_sim)
    native = sim.native_sign_up("kim@example.com")

    result = sim.federated_sign_in("Google", "3004", claims("kim@example.com"))

    assert result.signed_in and result.sub == native.sub


@pytest.mark.parametrize(
    ("name", "provider_type", "trust", "domains", "mapping"),
    [
        # Facebook sends no email_verified; a claim mapped into it proves nothing.
        ("Facebook", "Facebook", "verified_claim", None, {"email_verified": "verified"}),
        # Nor does Login with Amazon, whatever the configuration says of it.
        ("LoginWithAmazon", "LoginWithAmazon", "always", ["example.com"], {}),
        # Google is not the organisation's directory: an unverified address is no evidence.
        ("Google", "Google", "always", ["example.com"], {"email_verified": "email_verified"}),
        # A SAML directory's "verified" attribute is whatever its administrator sends, and
        # verified_claim would let it vouch for any domain: only `always` with domains.
        ("Directory", "SAML", "verified_claim", None, {"email_verified": "verified"}),
    ],
)
def test_providers_that_prove_nothing_under_their_trust_mode_are_not_linked(
    make_sim: SimFactory,
    double: Any,
    name: str,
    provider_type: str,
    trust: str,
    domains: list[str] | None,
    mapping: dict[str, str],
) -> None:
    sim = make_sim(standard_idps=False, case_sensitive=True)
    sim.add_identity_provider(
        name,
        provider_type,
        attribute_mapping={"email": "email", **mapping},
        email_trust=trust,
        email_domains=domains,
    )
    native = sim.native_sign_up("lee@example.com")
    before = double.snapshot(sim.pool_id)

    result = sim.federated_sign_in(
        name, "Lee4005", {"email": "lee@example.com", "email_verified": "true", "verified": "true"}
    )

    assert_plain_refusal(result, "lee@example.com")
    assert decision(result)["reason"] == "provider_cannot_vouch"
    assert double.snapshot(sim.pool_id) == before
    assert double.user(sim.pool_id, native.username).linked == set()


def test_a_user_reachable_through_a_provider_that_proves_nothing_is_no_destination(
    make_sim: SimFactory, double: Any
) -> None:
    # Facebook rewrites the linked user's email on every sign-in (FACTS §4) without proving
    # anything about it, so the user's verified flag is no evidence either.
    sim = make_sim(case_sensitive=True)
    sim.add_identity_provider("Facebook", "Facebook")
    native = sim.native_sign_up("max@example.com")
    double.link(sim.pool_id, native.username, "Facebook", "1234")

    result = sim.federated_sign_in("Google", "3006", claims("max@example.com"))

    assert_plain_refusal(result, "max@example.com")
    assert decision(result)["reason"] == "destination_identity_untrusted"


@pytest.mark.parametrize(
    ("name_id", "expected"),
    [
        # Letters beyond ASCII, lower-cased by the pool (FACTS §3): the copy keeps the case.
        ("JÖRG.M", "linked"),
        ("Ørsted", "linked"),
        ("ΣΟΦΙΑ", "linked"),
        # The Kelvin sign lower-cases into an ASCII k: a look-alike copy never stands in.
        ("\u212aATE", "refused"),
    ],
)
def test_non_ascii_name_ids_link_by_their_exact_copy(
    make_sim: SimFactory, double: Any, name_id: str, expected: str
) -> None:
    sim = make_sim()  # case-insensitive, NameID copied into custom:idp_sub
    native = sim.native_sign_up(f"user@{CORP_DOMAIN}")

    result = sim.federated_sign_in("CorpSAML", name_id, {"email": f"user@{CORP_DOMAIN}"})
    again = sim.federated_sign_in("CorpSAML", name_id, {"email": f"user@{CORP_DOMAIN}"})

    if expected == "linked":
        assert result.signed_in and result.sub == native.sub, result.message
        assert again.signed_in and again.sub == native.sub
        assert double.user(sim.pool_id, native.username).linked == {("CorpSAML", name_id)}
    else:
        assert_plain_refusal(result)
        assert decision(result)["reason"] == "subject_mismatch"


def test_a_copy_that_differs_beyond_case_is_still_refused(make_sim: SimFactory) -> None:
    sim = make_sim(standard_idps=False)
    sim.add_identity_provider(
        "CorpSAML",
        "SAML",
        attribute_mapping={"email": "email", "custom:idp_sub": "other"},
        email_trust="always",
        email_domains=[CORP_DOMAIN],
        subject_attribute="custom:idp_sub",
    )
    sim.native_sign_up(f"user@{CORP_DOMAIN}")

    result = sim.federated_sign_in(
        "CorpSAML", "JÖRG.M", {"email": f"user@{CORP_DOMAIN}", "other": "JÖRG.N"}
    )

    assert_plain_refusal(result)
    assert decision(result)["reason"] == "subject_mismatch"


def test_no_restore_in_a_pool_that_applies_email_changes_unverified(
    make_sim: SimFactory, double: Any
) -> None:
    # Elsewhere a stored unverified email may be one the user typed herself (FACTS §8).
    sim = make_sim(hold_email_changes=False)
    native = sim.native_sign_up(f"carla@{CORP_DOMAIN}")
    sim.federated_sign_in("CorpSAML", "Carla", {"email": f"carla@{CORP_DOMAIN}"})

    result = sim.federated_sign_in("CorpSAML", "Carla", {"email": f"carla@{CORP_DOMAIN}"})

    assert result.signed_in and result.sub == native.sub
    assert not double.user(sim.pool_id, native.username).email_verified
    assert result.claims["email_verified"] is False
    assert "AdminUpdateUserAttributes" not in result.cognito_calls
    [line] = [d for d in result.decisions if d["trigger"] == "pre_token_generation"]
    assert line["reason"] == "pool_applies_email_changes_unverified"


def test_a_subject_copy_is_compared_under_one_reading_of_the_lower_casing(
    make_sim: SimFactory, double: Any
) -> None:
    # A userName whose subject still has capitals beyond ASCII was lower-cased by ASCII rules
    # only. Accepting both readings would let a copy `JÖRG` stand for the subject `Jörg`
    # under one and for `JÖRG` under the other: two users, one link. The Unicode reading is
    # the evidence (FACTS §20); under the other, such subjects are refused.
    sim = make_sim()
    sim.native_sign_up(f"user@{CORP_DOMAIN}")
    event = sim.pre_signup_event("CorpSAML", "JÖRG", {"email": f"user@{CORP_DOMAIN}"})
    event["userName"] = "corpsaml_jÖrg"
    before = double.snapshot(sim.pool_id)

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is not None and "inconsistent" in str(call.error)
    assert double.snapshot(sim.pool_id) == before


def test_a_hosted_domain_is_judged_whichever_provider_sends_it(
    make_sim: SimFactory, double: Any
) -> None:
    # Google set up as an OIDC provider (issuer accounts.google.com) sends the same hd.
    sim = make_sim(standard_idps=False, case_sensitive=True)
    sim.add_identity_provider(
        "GoogleOIDC",
        "OIDC",
        attribute_mapping={"email": "email", "email_verified": "email_verified", HD: "hd"},
    )
    sim.native_sign_up("cfo@lapsed.example")

    result = sim.federated_sign_in(
        "GoogleOIDC", "3009", claims("cfo@lapsed.example", hd="lapsed.example")
    )

    assert_plain_refusal(result, "lapsed.example")
    assert decision(result)["reason"] == "hosted_domain_not_listed"


@pytest.mark.parametrize("name", ["Facebook", "Google"])
def test_a_social_providers_name_cannot_carry_another_type(
    make_sim: SimFactory, double: Any, name: str
) -> None:
    # Only that social provider has the name: a type given to it by hand would lend its trust.
    sim = make_sim(standard_idps=False, case_sensitive=True)
    sim.add_identity_provider(name, name, configure=False)
    sim.providers[name] = {"type": "SAML", "email_trust": "always", "email_domains": ["x.example"]}
    native = sim.native_sign_up("ceo@x.example")

    result = sim.federated_sign_in(name, "5001", claims("ceo@x.example"))

    assert result.outcome == "refused"
    assert "only the" in (result.message or "") and f'"{name}"' in (result.message or "")
    assert double.user(sim.pool_id, native.username).linked == set()
