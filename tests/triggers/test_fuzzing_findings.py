"""The takeover paths and smaller faults a fuzzing run found (issue 11), each closed.

The three takeover scenarios run in two worlds: moto in this process (decorator mode) and moto
served over HTTP, so the triggers' boto3 calls cross a real socket. Both carry the Cognito
double's additions (linking, case-insensitive pools, federated sign-in), because moto alone
neither links nor signs anyone in (FACTS §9).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pre_signup
import pytest
from moto import mock_aws

from cogfed_tools.cognito_double import CognitoDouble, FederatedSignInSimulator, moto_server
from cogfed_tools.cognito_double import backend as double_backend
from tests.triggers.assertions import assert_plain_refusal, claims, decision
from tests.triggers.conftest import REGION, SimFactory

KELVIN = "\u212a"  # KELVIN SIGN: str.lower() turns it into the ASCII "k"

World = Callable[..., FederatedSignInSimulator]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(params=["moto-in-process", "moto-over-http"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    def maker(double: CognitoDouble, url: str | None) -> World:
        def make(
            *, case_sensitive: bool, username_attributes: tuple[str, ...] | None = ("email",)
        ) -> FederatedSignInSimulator:
            pool_id = double.create_pool(
                case_sensitive=case_sensitive,
                username_attributes=username_attributes,
                custom_attributes={"idp_sub": True},
            )
            return FederatedSignInSimulator(double, pool_id, endpoint_url=url)

        return make

    if request.param == "moto-in-process":
        with mock_aws(), CognitoDouble(region=REGION) as double:
            yield maker(double, None)
    else:
        url = request.getfixturevalue("endpoint")
        with CognitoDouble(region=REGION) as double:
            yield maker(double, url)


def _owner_of(sim: FederatedSignInSimulator, sub: str | None) -> str | None:
    """The email the user with this sub was created with (who owns the account)."""
    for user in sim.double.users(sim.pool_id):
        if user.sub == sub:
            return user.email
    return None


# ----------------------------------------------------------------- takeover 1: Unicode case


def test_a_kelvin_sign_email_is_not_the_victims_account(world: World) -> None:
    sim = world(case_sensitive=False)
    sim.add_identity_provider("Google", "Google")
    sim.add_identity_provider("Attacker", "OIDC", subject_attribute="custom:idp_sub")
    victim = sim.native_sign_up("kim@example.com")

    attack = sim.federated_sign_in(
        "Attacker", "mal1", claims(f"{KELVIN}im@example.com", sub="mal1")
    )

    assert attack.sub != victim.sub
    after = sim.double.user(sim.pool_id, victim.username)
    assert after.linked == set() and after.email == "kim@example.com"


def test_a_kelvin_sign_account_made_first_does_not_receive_the_victim(world: World) -> None:
    # Free-form usernames: the double, like moto, refuses a non-ASCII email as a username
    # where email is the username attribute, which would stop the attacker's first step.
    sim = world(case_sensitive=False, username_attributes=None)
    sim.add_identity_provider("Google", "Google")
    sim.add_identity_provider("Attacker", "OIDC", subject_attribute="custom:idp_sub")
    attacker = sim.federated_sign_in(
        "Attacker", "mal2", claims(f"{KELVIN}im@example.com", sub="mal2")
    )
    assert attacker.signed_in

    victim = sim.federated_sign_in("Google", "1000001", claims("kim@example.com"))

    # Refused or in an account of its own, never in the attacker's.
    assert victim.sub != attacker.sub
    attackers_user = sim.double.user(sim.pool_id, attacker.username or "")
    assert ("Google", "1000001") not in attackers_user.linked


# ----------------------------------------------------------------- takeover 2: email rewrite


def test_a_linked_tenant_rewriting_the_email_does_not_receive_the_victims_google(
    world: World,
) -> None:
    sim = world(case_sensitive=False)
    sim.add_identity_provider("Google", "Google")
    sim.add_identity_provider(
        "Entra", "OIDC", email_domains=["tenant.example"], subject_attribute="custom:idp_sub"
    )
    attacker = sim.native_sign_up("attacker@tenant.example")
    linked = sim.federated_sign_in(
        "Entra", "AttackerEntra", claims("attacker@tenant.example", sub="AttackerEntra")
    )
    assert linked.signed_in and linked.sub == attacker.sub  # allowed: its own domain
    # The next Entra sign-in asserts the victim's address; Cognito's mapping rewrites the
    # stored email and email_verified (FACTS §4).
    sim.federated_sign_in("Entra", "AttackerEntra", claims("victim@gmail.com", sub="AttackerEntra"))
    assert sim.double.user(sim.pool_id, attacker.username).email == "victim@gmail.com"

    victim = sim.federated_sign_in("Google", "2000002", claims("victim@gmail.com"))

    assert victim.sub != attacker.sub
    assert_plain_refusal(victim, "victim@gmail.com")
    assert decision(victim)["reason"] == "destination_identity_untrusted"
    assert ("Google", "2000002") not in sim.double.user(sim.pool_id, attacker.username).linked


def test_an_always_trusted_directory_rewriting_the_email_does_not_receive_the_victim(
    world: World,
) -> None:
    # The directory sends an always-true attribute mapped into email_verified, as FACTS §4
    # advises, so the rewritten email is stored verified.
    sim = world(case_sensitive=True)
    sim.add_identity_provider("Google", "Google")
    sim.add_identity_provider(
        "CorpSAML",
        "SAML",
        email_trust="always",
        email_domains=["corp.example"],
        attribute_mapping={"email": "email", "email_verified": "verified_flag"},
    )
    insider = sim.native_sign_up("insider@corp.example")
    sim.federated_sign_in(
        "CorpSAML", "Insider", {"email": "insider@corp.example", "verified_flag": "true"}
    )
    sim.federated_sign_in(
        "CorpSAML", "Insider", {"email": "victim@gmail.com", "verified_flag": "true"}
    )
    rewritten = sim.double.user(sim.pool_id, insider.username)
    assert rewritten.email == "victim@gmail.com" and rewritten.email_verified

    victim = sim.federated_sign_in("Google", "2000003", claims("victim@gmail.com"))

    assert victim.sub != insider.sub
    assert_plain_refusal(victim, "victim@gmail.com")
    assert ("Google", "2000003") not in sim.double.user(sim.pool_id, insider.username).linked


# ----------------------------------------------------------------- takeover 3: name prefixes


def test_an_unconfigured_provider_extending_a_configured_name_is_not_taken_for_it(
    world: World,
) -> None:
    sim = world(case_sensitive=True)
    sim.add_identity_provider("Okta", "SAML", email_trust="always", email_domains=["corp.example"])
    sim.add_identity_provider("Okta_Partner", "SAML", configure=False)
    executive = sim.native_sign_up("ceo@corp.example")

    # "Okta_Partner_7" reads as Okta + "Partner_7" to configuration alone.
    attack = sim.federated_sign_in("Okta_Partner", "7", {"email": "ceo@corp.example"})

    assert_plain_refusal(attack, "ceo@corp.example")
    assert "overlap" in (attack.message or "")
    assert sim.double.user(sim.pool_id, executive.username).linked == set()
    # The Okta user whose NameID is "Partner_7" never receives the executive's tokens.
    okta_user = sim.federated_sign_in("Okta", "Partner_7", {"email": "p7@corp.example"})
    assert okta_user.sub != executive.sub


def test_a_provider_added_to_the_pool_later_is_seen_once_the_cached_list_expires(
    make_sim: SimFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pool_providers

    sim = make_sim(case_sensitive=True, standard_idps=False)
    sim.add_identity_provider("Okta", "SAML", email_trust="always", email_domains=["corp.example"])
    sim.native_sign_up("first@corp.example")
    assert sim.federated_sign_in("Okta", "First", {"email": "first@corp.example"}).signed_in
    sim.add_identity_provider("Okta_Partner", "SAML", configure=False)
    executive = sim.native_sign_up("ceo@corp.example")
    monkeypatch.setattr(pool_providers, "LIST_TTL_S", 0.0)

    attack = sim.federated_sign_in("Okta_Partner", "7", {"email": "ceo@corp.example"})

    assert_plain_refusal(attack, "ceo@corp.example")
    assert attack.cognito_calls["ListIdentityProviders"] == 1
    assert sim.double.user(sim.pool_id, executive.username).linked == set()


# ----------------------------------------------------------------- smaller faults


@pytest.mark.parametrize(
    "sent",
    [" kim@example.com", "kim@example.com\u00a0", "\u3000kim@example.com", "kim@example.com\n"],
    ids=["leading-space", "trailing-nbsp", "ideographic-space", "newline"],
)
def test_an_email_with_surrounding_whitespace_is_refused_not_trimmed(
    sim: FederatedSignInSimulator, sent: str
) -> None:
    # Cognito stores what the IdP sent: deciding on a trimmed copy links an address that is
    # not the one stored, and a later sign-in with the plain address makes a second user.
    native = sim.native_sign_up("kim@example.com")
    before = sim.double.snapshot(sim.pool_id)

    result = sim.federated_sign_in("Google", "3000001", claims(sent))

    assert_plain_refusal(result, "kim@example.com")
    assert decision(result)["reason"] == "email_unsafe"
    assert sim.double.snapshot(sim.pool_id) == before
    assert sim.double.user(sim.pool_id, native.username).linked == set()


@pytest.mark.parametrize("flag", ["True", "TRUE", " true", "1", "yes"])
def test_only_the_exact_string_true_counts_as_verified(
    sim: FederatedSignInSimulator, flag: str
) -> None:
    native = sim.native_sign_up("flag@example.com")

    result = sim.federated_sign_in(
        "Google", "3000002", {"email": "flag@example.com", "email_verified": flag}
    )

    assert_plain_refusal(result, "flag@example.com")
    assert decision(result)["reason"] == "email_not_verified"
    assert sim.double.user(sim.pool_id, native.username).linked == set()


def test_a_destination_flagged_verified_in_another_case_is_not_verified(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    holder = double.put_user(
        sim.pool_id,
        "holder",
        attributes={"email": "holder@example.com", "email_verified": "True"},
    )

    result = sim.federated_sign_in("Google", "3000003", claims("holder@example.com"))

    assert_plain_refusal(result, "holder@example.com")
    assert decision(result)["reason"] == "destination_email_unverified"
    assert double.user(sim.pool_id, holder.username).linked == set()


@pytest.mark.parametrize(
    "user_name",
    ["google_123\x00456", "google_123\n456", "google_123\u200b", "google_" + "1" * 1_000_000],
    ids=["nul", "newline", "zero-width-space", "one-megabyte"],
)
def test_a_user_name_cognito_cannot_hold_is_malformed_and_changes_nothing(
    sim: FederatedSignInSimulator, user_name: str
) -> None:
    sim.native_sign_up("nul@example.com")
    event = sim.pre_signup_event("Google", "123", claims("nul@example.com"))
    event["userName"] = user_name
    before = sim.double.snapshot(sim.pool_id)

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is not None and "malformed" in str(call.error)
    assert "userName" in str(call.error) and user_name[:20] not in str(call.error)
    assert call.calls.total() == 0
    assert sim.double.snapshot(sim.pool_id) == before


def test_a_refusal_repeats_nothing_the_idp_sent(make_sim: SimFactory) -> None:
    sim = make_sim()
    sim.add_identity_provider("Entra", "OIDC", email_domains=["tenant.example"])
    sent = "x@<b>click.here</b>.example"

    result = sim.federated_sign_in("Entra", "4000001", claims(sent))

    assert_plain_refusal(result, sent, "<b>", "click.here")
    assert "<" not in (result.message or "") and "&" not in (result.message or "")


@pytest.mark.parametrize("shape", ["email-alias", "free-form-username"])
def test_a_squatted_username_does_not_block_the_first_sign_in(
    make_sim: SimFactory, shape: str
) -> None:
    # The username the trigger gives a new user must not be one an attacker can register
    # first: not the email (free-form pools), not a UUID over public values (alias pools).
    import uuid

    email = "victim@example.com"
    if shape == "email-alias":
        sim = make_sim(username_attributes=None, alias_attributes=("email",))
    else:
        sim = make_sim(username_attributes=None)
    public_namespace = uuid.UUID("1b6f6a52-5f0e-4c1e-9a57-0c9a3f7d2e41")
    squats = [str(uuid.uuid5(public_namespace, f"{sim.pool_id}/{email}"))]
    if shape == "free-form-username":
        squats.append(email)
    for name in squats:
        sim.native_sign_up("squatter@example.com", username=name)

    result = sim.federated_sign_in("Google", "5000001", claims(email))

    assert result.signed_in, result.message
    [user] = sim.double.users_with_email(sim.pool_id, email)
    assert result.sub == user.sub and user.username not in squats


def test_generated_usernames_are_stable_for_one_secret_and_differ_between_secrets(
    make_sim: SimFactory,
) -> None:
    import pseudonyms

    sim = make_sim(username_attributes=None, alias_attributes=("email",))
    sim.environment_overrides["LINKING_SECRET"] = "a" * 32
    with sim.environment():
        first = pseudonyms.native_username(sim.pool_id, "Same@Example.com")
        again = pseudonyms.native_username(sim.pool_id, "same@example.com")
        kelvin = pseudonyms.native_username(sim.pool_id, f"Same@Example.{KELVIN}om")
    sim.environment_overrides["LINKING_SECRET"] = "b" * 32
    with sim.environment():
        other = pseudonyms.native_username(sim.pool_id, "same@example.com")

    assert first == again  # one mailbox, one name: retries collide
    assert kelvin != first and other != first

    result = sim.federated_sign_in("Google", "5000002", claims("new@example.com"))
    with sim.environment():
        assert result.username == pseudonyms.native_username(sim.pool_id, "new@example.com")


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"configure": False}, "not configured"),
        ({"link_by_email": False}, "link_by_email off"),
        ({"email_domains": ["tenant.example"]}, "email outside its domains"),
    ],
    ids=["unconfigured", "not-linking", "outside-domains"],
)
def test_a_destination_reached_by_an_untrusted_provider_is_not_a_link_target(
    sim: FederatedSignInSimulator, double: Any, settings: dict[str, Any], why: str
) -> None:
    # A provider linked to the account (here by an administrator) that could have written
    # its email without being trusted for it: the email proves nothing (CONTRACT §1
    # behaviour 5; a linked provider rewrites the email on every sign-in, FACTS §4).
    sim.add_identity_provider("Other", "OIDC", **settings)
    native = sim.native_sign_up("holder@example.com")
    double.link(sim.pool_id, native.username, "Other", "o-7")
    before = double.snapshot(sim.pool_id)

    result = sim.federated_sign_in("Google", "6000001", claims("holder@example.com"))

    assert_plain_refusal(result, "holder@example.com")
    assert decision(result)["reason"] == "destination_identity_untrusted", why
    assert double.snapshot(sim.pool_id) == before


def test_a_destination_whose_providers_are_all_trusted_for_its_email_is_linked(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # The passing side of the rule: Google and LinkedIn both vouch for any verified address,
    # and no Google Workspace account can hold a gmail.com one (FACTS §20).
    native = sim.native_sign_up("both@gmail.com")
    double.link(sim.pool_id, native.username, "Google", "6000003")

    result = sim.federated_sign_in("LinkedIn", "Both_7", claims("both@gmail.com"))

    assert result.signed_in and result.sub == native.sub
    assert double.user(sim.pool_id, native.username).linked == {
        ("Google", "6000003"),
        ("LinkedIn", "Both_7"),
    }


def test_a_cleared_hosted_domain_does_not_hide_a_linked_workspace(
    make_sim: SimFactory, double: Any
) -> None:
    # Fuzzing run of December 2026. The attacker holds lapsed.example, kim's old company
    # domain, and links his own Workspace account there to his account by confirming both
    # sides (untrusted_sign_in = "separate_user"). Renamed to kim's old address, its next
    # sign-in writes that address, verified, into his account, and custom:google_hd with it;
    # he then clears custom:google_hd himself (a mapped attribute is writable by the app
    # clients, FACTS §4). The stored hosted domain is only a hint (FACTS §20): kim's consumer
    # Google sign-in must not be linked into his account.
    sim = make_sim(standard_idps=False)
    sim.add_identity_provider("Google", "Google", untrusted_sign_in="separate_user")
    sim.pool.clients[sim.client_id].extended_config["WriteAttributes"] = [
        "email",
        "custom:idp_sub",
        "custom:google_hd",
    ]
    mal = sim.native_sign_up("mal@lapsed.example")
    assert sim.password_sign_in("mal@lapsed.example").signed_in
    workspace = sim.federated_sign_in(
        "Google", "4000002", claims("mal@lapsed.example", hd="lapsed.example")
    )
    assert workspace.federated_user_created and workspace.username is not None
    assert decision(workspace)["reason"] == "separate_user:hosted_domain_not_listed"
    linked = sim.call_endpoint(
        "POST /link",
        sim.access_token(mal.username),
        {"federated_access_token": sim.access_token(workspace.username)},
    )
    assert linked.status == 200, linked.body
    # An hour later, once Cognito has forgotten the separate user (FACTS §20).
    del double_backend.STATE.deleted_identities[(sim.pool_id, "Google", "4000002")]
    renamed = sim.federated_sign_in(
        "Google", "4000002", claims("kim@lapsed.example", hd="lapsed.example")
    )
    assert renamed.signed_in and renamed.sub == mal.sub
    sim.update_own_attributes(mal.username, {"custom:google_hd": ""})
    account = double.user(sim.pool_id, mal.username)
    assert (account.email, account.attributes["email_verified"]) == ("kim@lapsed.example", "true")
    before = double.snapshot(sim.pool_id)

    kim = sim.federated_sign_in("Google", "1000001", claims("kim@lapsed.example"))

    assert kim.sub != mal.sub
    assert_plain_refusal(kim, "kim@lapsed.example")
    assert decision(kim)["reason"] == "destination_identity_untrusted"
    assert double.snapshot(sim.pool_id) == before


# ----------------------------------------------------------------- found in review


@pytest.mark.parametrize("shape", ["free-form-username", "email-alias", "email-username"])
def test_a_retry_over_a_stale_user_list_creates_one_user(make_sim: SimFactory, shape: str) -> None:
    # ListUsers is eventually consistent (FACTS §6): the retry does not see the user the lost
    # attempt created, so only the username can make the two creations collide.
    if shape == "free-form-username":
        sim = make_sim(username_attributes=None)
    elif shape == "email-alias":
        sim = make_sim(username_attributes=None, alias_attributes=("email",))
    else:
        sim = make_sim()
    sim.double.stale_list_users(sim.pool_id, times=2)

    result = sim.federated_sign_in(
        "Google", "7000003", claims("stale@example.com"), simulated_timeouts=1
    )

    assert result.signed_in, result.message
    [user] = sim.double.users_with_email(sim.pool_id, "stale@example.com")
    assert result.sub == user.sub and user.linked == {("Google", "7000003")}


def test_racing_first_sign_ins_from_a_cold_and_a_warm_container_make_one_user(
    make_sim: SimFactory,
) -> None:
    # A free-form pool: a container that has not yet created a user there races one that has.
    import account_linking

    sim = make_sim(username_attributes=None)
    assert sim.federated_sign_in("Google", "7000004", claims("earlier@example.com")).signed_in
    raced: dict[str, Any] = {}

    def cold_container_signs_in() -> None:
        learned = dict(account_linking._username_kind)
        account_linking._username_kind.clear()
        try:
            raced["result"] = sim.federated_sign_in(
                "LinkedIn", "LiRacer", claims("racer@example.com", sub="LiRacer")
            )
        finally:
            account_linking._username_kind.clear()
            account_linking._username_kind.update(learned)

    sim.double.before_call("AdminCreateUser", cold_container_signs_in)
    google = sim.federated_sign_in("Google", "7000005", claims("racer@example.com"))

    [user] = sim.double.users_with_email(sim.pool_id, "racer@example.com")
    assert google.signed_in and raced["result"].signed_in
    assert google.sub == raced["result"].sub == user.sub
    assert user.linked == {("Google", "7000005"), ("LinkedIn", "LiRacer")}


def test_a_provider_name_beyond_ascii_is_a_configuration_error(make_sim: SimFactory) -> None:
    # "İ".lower() is two characters: the subject after "<name>_" in a lower-cased userName
    # would be read one character late and link an identity nobody signed in with.
    sim = make_sim(standard_idps=False)
    sim.add_identity_provider(
        "İstanbulSSO", "SAML", email_trust="always", email_domains=["corp.example"]
    )
    ceo = sim.native_sign_up("ceo@corp.example")
    before = sim.double.snapshot(sim.pool_id)

    result = sim.federated_sign_in("İstanbulSSO", "1001", {"email": "ceo@corp.example"})

    assert result.outcome == "refused" and "printable ASCII" in (result.message or "")
    assert sim.double.snapshot(sim.pool_id) == before
    assert sim.double.user(sim.pool_id, ceo.username).linked == set()


def test_an_unexpected_failure_of_the_restore_does_not_block_the_sign_in(
    sim: FederatedSignInSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pre_token_generation

    def broken_call(*_: Any, **__: Any) -> Any:
        raise OSError("SSL validation failed for https://internal-proxy.corp:3128")

    sim.native_sign_up("dee@corp.example")
    monkeypatch.setattr(pre_token_generation, "call", broken_call)

    result = sim.federated_sign_in("CorpSAML", "Dee", {"email": "dee@corp.example"})

    assert result.signed_in, result.message
    [restore] = [d for d in result.decisions if d["trigger"] == "pre_token_generation"]
    assert restore["decision"] == "restore_failed"
    assert restore["reason"] == "internal_error:OSError" and "proxy" not in str(restore)


def test_a_pool_id_with_a_trailing_newline_is_malformed(sim: FederatedSignInSimulator) -> None:
    event = sim.pre_signup_event("Google", "7000006", claims("nl@example.com"))
    event["userPoolId"] += "\n"

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.error is not None and "userPoolId" in str(call.error)
    assert call.calls.total() == 0


def test_a_configured_provider_missing_from_the_list_is_read_again_then_refused(
    sim: FederatedSignInSimulator, double: Any
) -> None:
    # A provider created after the cached read is not in it: the list is read afresh. When
    # even the fresh list lacks it (an eventually consistent answer), its type cannot be
    # confirmed, so nothing is linked yet: the person is asked to try again in a minute.
    sim.native_sign_up("fresh@example.com")
    sim.providers["Fresh"] = {"type": "OIDC"}  # configured, but not created in the pool
    event = sim.pre_signup_event("Google", "8000001", claims("fresh@example.com"))
    event["userName"] = "fresh_8000001"
    before = double.snapshot(sim.pool_id)

    call = sim.call_trigger(pre_signup.handler, event)

    assert call.cognito_calls["ListIdentityProviders"] == 2
    assert "ListUsers" not in call.cognito_calls
    assert call.error is not None and "try again in a minute" in str(call.error)
    assert double.snapshot(sim.pool_id) == before


def test_a_configured_type_the_pool_does_not_have_is_refused(
    make_sim: SimFactory, double: Any
) -> None:
    # The configuration trusts "Corp" as the organisation's SAML directory; the pool's "Corp"
    # is an OIDC provider anyone's tenant can sign in through. The trust stays with the type.
    sim = make_sim(standard_idps=False, case_sensitive=True)
    sim.add_identity_provider("Corp", "OIDC", configure=False)
    sim.providers["Corp"] = {
        "type": "SAML",
        "email_trust": "always",
        "email_domains": ["corp.example"],
    }
    native = sim.native_sign_up("ceo@corp.example")

    result = sim.federated_sign_in("Corp", "Tenant-7", {"email": "ceo@corp.example"})

    assert result.outcome == "refused"
    assert decision(result)["reason"] == "provider_type_mismatch"
    assert double.user(sim.pool_id, native.username).linked == set()
