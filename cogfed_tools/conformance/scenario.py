"""The sign-ins played in every Cognito world, and what AWS does with each.

The first eight are the rehearsal's (`make demo`); then the security cases of CONTRACT §1
that a browser can reach: a retried trigger, an email outside the directory's domains, a
subject copy that does not match the NameID, a pre-hijack through an unfinished self
sign-up, a provider the triggers are not configured for, and an email Cognito could not
search for; then linking that the person confirms (lambda_src/confirmed_linking.py): a
separate user linked with both access tokens, the attacks that hold one side only, and
unlinking. `expect` is AWS's behaviour as FACTS.md and CONTRACT §1 state it; a world that
lands elsewhere is wrong, or differs for a reason `known_differences` records.

Users are named as a reader would: a sign-in that lands on a user not seen before is
"<owner>'s new user", or "ANOTHER user with <owner>'s email" when that email already has
one, which is the duplicate this project exists to prevent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

NATIVE = "email + password"
REFUSED = "refused"
SAML_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
SAML_GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
SAML_OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
SUBJECT_ATTRIBUTE = "custom:idp_sub"  # where examples/complete copies the exact-case subject
# The providers of examples/complete the sign-ins go through, with their types.
PROVIDER_TYPES = {"Google": "Google", "LinkedIn": "OIDC", "Corporate": "SAML"}
# A provider in the pool that the triggers are not configured for, whose name starts with a
# configured one and "_", and whose tenant controls the claim copied into the subject
# attribute: its userName reads as the configured provider's, and only the pool's own
# provider list tells them apart (FACTS §2, red-team finding).
UNCONFIGURED_PROVIDER = "LinkedIn_Partner"
UNCONFIGURED_SUBJECT_CLAIM = "preferred_username"
# examples/complete sets no provider to `untrusted_sign_in = "separate_user"`, so the run adds
# one: an OIDC provider configured and mapped as the example's OIDC provider, whose sign-ins
# that may not be linked by email become separate users to link by confirmation.
SEPARATE_PROVIDER = "Community"
ROUTES = ("POST /link", "POST /unlink")


def with_separate_provider(identity_providers: str) -> str:
    """The planned IDENTITY_PROVIDERS with SEPARATE_PROVIDER added: the OIDC provider's entry,
    with `untrusted_sign_in = "separate_user"`."""
    config = json.loads(identity_providers)
    oidc = next(entry for entry in config.values() if entry.get("type") == "OIDC")
    return json.dumps({**config, SEPARATE_PROVIDER: {**oidc, "untrusted_sign_in": "separate_user"}})


def unconfigured_provider_mapping(oidc_mapping: dict[str, str]) -> dict[str, str]:
    """The partner's mapping: the configured OIDC provider's, with the subject copied from a
    claim its tenant chooses."""
    return {**oidc_mapping, SUBJECT_ATTRIBUTE: UNCONFIGURED_SUBJECT_CLAIM}


@dataclass(frozen=True)
class SignIn:
    key: str  # stable name of the row
    who: str
    through: str  # NATIVE, or the ProviderName
    subject: str = ""
    claims: dict[str, str] = field(default_factory=dict)
    note: str = ""
    expect: str = ""  # the user AWS gives tokens for, or REFUSED
    # That user's stored email_verified afterwards on AWS: a provider that maps email without
    # email_verified stores "false" (FACTS §4); pre token generation stores "true" again for a
    # user whose every identity is trusted "always" (CONTRACT §1).
    verified: str = "true"
    confirm: bool = True  # native sign-up: the emailed code is entered
    retried: bool = False  # Cognito's first pre sign-up answer is lost, so it invokes again
    email: str = ""  # native sign-up: the email, when it is not <who>@example.com
    # A federated sign-in the triggers leave to Cognito: "<owner>'s separate <provider> user".
    separate: bool = False
    # A request to the confirmed-linking endpoint (`through` is its route): the bearer is the
    # access token of the user row `bearer` landed on; POST /link sends the token of the user
    # row `token_of` landed on, or with `other_pool`, a token of another pool's user named as
    # that user is here; POST /unlink removes `unlink` (provider, subject).
    bearer: str = ""
    token_of: str = ""
    other_pool: bool = False
    unlink: tuple[str, str] = ("", "")
    # An endpoint request AWS refuses: the `error` the endpoint answers (confirmed_linking.py).
    error: str = ""

    @property
    def native(self) -> bool:
        return self.through == NATIVE

    @property
    def endpoint(self) -> bool:
        return self.through in ROUTES

    @property
    def expect_verified(self) -> str:
        return "-" if self.expect == REFUSED else self.verified

    @property
    def sign_up_email(self) -> str:
        return self.email or f"{self.who}@example.com"


@dataclass(frozen=True)
class Landing:
    """Where one sign-in ended, as the world reports it."""

    outcome: str  # "signed in", "signed up", "signed up, unconfirmed" or REFUSED
    sub: str | None = None
    message: str = ""
    calls: str = "-"  # the triggers' Cognito calls, where the world counts them
    how: str = ""  # how the world played it, when not as a browser would


@dataclass(frozen=True)
class UserState:
    username: str
    sub: str
    status: str
    email: str
    email_verified: bool
    identities: frozenset[tuple[str, str]]  # (providerName, userId)


@dataclass(frozen=True)
class PoolSettings:
    """What a world's pool says of itself (DescribeUserPool): the settings the triggers rely
    on, carried over from the plan."""

    custom_attributes: frozenset[str]  # schema names, without custom:
    # UserAttributeUpdateSettings holds "email": a user's own email change waits until the new
    # address is verified, the one pool where pre token generation restores (FACTS §8, §20).
    holds_email_changes: bool

    @classmethod
    def described(cls, pool: dict[str, Any]) -> PoolSettings:
        """From a DescribeUserPool answer's UserPool."""
        names = [a.get("Name", "") for a in pool.get("SchemaAttributes") or []]
        settings = pool.get("UserAttributeUpdateSettings") or {}
        return cls(
            custom_attributes=frozenset(
                n.removeprefix("custom:") for n in names if n.startswith("custom:")
            ),
            holds_email_changes="email"
            in (settings.get("AttributesRequireVerificationBeforeUpdate") or []),
        )


class World(Protocol):
    name: str

    def native_sign_up(self, sign_in: SignIn) -> Landing: ...

    def federated_sign_in(self, sign_in: SignIn) -> Landing: ...

    def users(self) -> list[UserState]: ...

    def pool_settings(self) -> PoolSettings: ...

    def access_token(self, sub: str) -> str:
        """The access token of the user's last sign-in in this world."""
        ...

    def other_pool_token(self, username: str) -> str:
        """An access token of another pool of this world, for a user named `username`."""
        ...

    def call_endpoint(
        self, route: str, bearer: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """The confirmed-linking endpoint's status and JSON body, behind the JWT authorizer."""
        ...


def _saml(email: str, name_id: str, given_name: str, object_id: str = "") -> dict[str, str]:
    # The directory sends the NameID's value in the object-identifier attribute too; the
    # example maps it into custom:idp_sub (FACTS §3).
    return {SAML_EMAIL: email, SAML_GIVEN_NAME: given_name, SAML_OBJECT_ID: object_id or name_id}


def _oidc(email: str, verified: str) -> dict[str, str]:
    return {"email": email, "email_verified": verified, "given_name": email.split("@")[0]}


ALICE, BOB = "alice@example.com", "bob@example.com"
LINKEDIN_SUBJECT = "Xq7RmP2aBc"  # LinkedIn subjects are mixed-case
ALICE_NAME_ID = "AaF3c9E1-7Bd2-4C55-9E0a-2F6B1C8D7E4F"  # the directory's object ID
BOB_NAME_ID = "B0b5E1d2-9Ac4-4F77-8D1b-3E7C2A9F6D5B"
ALICE_USER = "alice's native user"

DEMO_SIGN_INS: tuple[SignIn, ...] = (
    SignIn("alice-signs-up", "alice", NATIVE, note="native sign-up", expect=ALICE_USER),
    SignIn(
        "alice-google",
        "alice",
        "Google",
        "108378475395871231834",
        _oidc(ALICE, "true"),
        expect=ALICE_USER,
    ),
    SignIn(
        "alice-linkedin",
        "alice",
        "LinkedIn",
        LINKEDIN_SUBJECT,
        _oidc(ALICE, "true"),
        "mixed-case subject",
        expect=ALICE_USER,
    ),
    SignIn(
        "alice-saml",
        "alice",
        "Corporate",
        ALICE_NAME_ID,
        _saml(ALICE, ALICE_NAME_ID, "Alice"),
        "SAML, mixed-case NameID",
        expect=ALICE_USER,
        verified="false",  # alice also has identities not trusted "always"
    ),
    SignIn(
        "alice-linkedin-again",
        "alice",
        "LinkedIn",
        LINKEDIN_SUBJECT,
        _oidc(ALICE, "true"),
        "returning",
        expect=ALICE_USER,
    ),
    SignIn(
        "alice-saml-again",
        "alice",
        "Corporate",
        ALICE_NAME_ID,
        _saml(ALICE, ALICE_NAME_ID, "Alice"),
        "returning",
        expect=ALICE_USER,
        verified="false",
    ),
    SignIn(
        "bob-saml",
        "bob",
        "Corporate",
        BOB_NAME_ID,
        _saml(BOB, BOB_NAME_ID, "Bob"),
        "new user",
        expect="bob's new user",
    ),
    SignIn(
        "mallory-unverified",
        "mallory",
        "LinkedIn",
        "MaL1c3Sub9",
        _oidc(ALICE, "false"),
        "asserts alice's email, unverified",
        expect=REFUSED,
    ),
)

SECURITY_SIGN_INS: tuple[SignIn, ...] = (
    SignIn(
        "frank-retried",
        "frank",
        "Corporate",
        "F7aNk0E2-1Ab3-4C5d-8E9f-0A1B2C3D4E5F",
        _saml("frank@example.com", "F7aNk0E2-1Ab3-4C5d-8E9f-0A1B2C3D4E5F", "Frank"),
        "trigger retried (first answer lost)",
        expect="frank's new user",
        retried=True,
    ),
    SignIn(
        "bob-saml-again",
        "bob",
        "Corporate",
        BOB_NAME_ID,
        _saml(BOB, BOB_NAME_ID, "Bob"),
        "returning, created by the trigger",
        expect="bob's new user",
    ),
    SignIn(
        "erin-linkedin-new",
        "erin",
        "LinkedIn",
        "eRiN5uBj3cT",
        _oidc("erin@example.com", "true"),
        "new user, verified email",
        expect="erin's new user",
    ),
    SignIn(
        "dave-outside-domains",
        "dave",
        "Corporate",
        "D4vE0000-aaaa-4bbb-8ccc-DDDDDDDDDDDD",
        _saml("dave@elsewhere.org", "D4vE0000-aaaa-4bbb-8ccc-DDDDDDDDDDDD", "Dave"),
        "email outside the directory's domains",
        expect=REFUSED,
    ),
    SignIn(
        "grace-subject-mismatch",
        "grace",
        "Corporate",
        "G6aCe111-2B3c-4D5e-9F6a-7B8C9D0E1F2A",
        _saml("grace@example.com", "G6aCe111-2B3c-4D5e-9F6a-7B8C9D0E1F2A", "Grace", "Someone-Else"),
        "subject copy differs from the NameID",
        expect=REFUSED,
    ),
    SignIn(
        "mallory-pre-hijack",
        "mallory",
        NATIVE,
        note="signs up with carol's email, never confirms",
        expect="mallory's native user",
        verified="false",
        confirm=False,
        email="carol@example.com",
    ),
    SignIn(
        "carol-after-pre-hijack",
        "carol",
        "LinkedIn",
        "C4r0LsUbJ",
        _oidc("carol@example.com", "true"),
        "her email has an unconfirmed user",
        expect=REFUSED,
    ),
    SignIn(
        "partner-unconfigured",
        "mallory",
        UNCONFIGURED_PROVIDER,
        "PaRtNeR42",
        # The suffix after "LinkedIn_", so that the copy matches it as a LinkedIn subject would.
        {**_oidc(ALICE, "true"), UNCONFIGURED_SUBJECT_CLAIM: "Partner_PaRtNeR42"},
        "provider not configured, name starts LinkedIn_",
        expect=REFUSED,
    ),
    SignIn(
        "quote-in-email",
        "quinn",
        "LinkedIn",
        "QuInN77",
        _oidc('quinn"@example.com', "true"),
        'email holding a "',
        expect=REFUSED,
    ),
)

COMMUNITY_SUBJECTS = ("CoMmU1nity", "CoMmU2nity", "CoMmU3nity", "CoMmU4nity")  # FACTS §3
# Alice's address as her Community account writes it: the same mailbox in other ASCII case.
ALICE_WRITTEN_OTHERWISE = "Alice@Example.COM"
ALICE_ELSEWHERE = "alice@example.org"  # another mailbox of hers


def _separate(key: str, subject: str, note: str, email: str = ALICE) -> SignIn:
    return SignIn(
        key,
        "alice",
        SEPARATE_PROVIDER,
        subject,
        _oidc(email, "false"),  # unverified: not linked by email, not refused either
        note,
        expect=f"alice's separate {SEPARATE_PROVIDER} user",
        verified="false",
        separate=True,
    )


def _link(key: str, who: str, note: str, expect: str, **how: Any) -> SignIn:
    return SignIn(
        key,
        who,
        "POST /link",
        note=note,
        expect=expect,
        verified="false",  # alice's, as the Corporate sign-in left it (FACTS §4)
        **how,
    )


LINKING_SIGN_INS: tuple[SignIn, ...] = (
    _separate("alice-community", COMMUNITY_SUBJECTS[0], "unverified email: a separate user"),
    _link(
        "alice-links-community",
        "alice",
        "her account's token + the separate user's",
        ALICE_USER,
        bearer="alice-signs-up",
        token_of="alice-community",
    ),
    _link(
        "bob-replays-token",
        "bob",
        "replays alice's Community token (its user was deleted)",
        REFUSED,
        bearer="bob-saml",
        token_of="alice-community",
        error="token_invalid",
    ),
    _separate(
        "alice-community-2",
        COMMUNITY_SUBJECTS[1],
        "second account, her email in other case: a separate user",
        ALICE_WRITTEN_OTHERWISE,
    ),
    _link(
        "bob-other-pool",
        "bob",
        "a token of another pool, its user named as alice's separate user",
        REFUSED,
        bearer="bob-saml",
        token_of="alice-community-2",
        other_pool=True,
        error="token_other_pool",
    ),
    _link(
        "bob-victim-account",
        "bob",
        "his token + alice's account's (not a separate user)",
        REFUSED,
        bearer="bob-saml",
        token_of="alice-signs-up",
        error="not_a_federated_sign_in",
    ),
    _separate(
        "alice-community-other",
        COMMUNITY_SUBJECTS[3],
        "another address of hers: a separate user",
        ALICE_ELSEWHERE,
    ),
    _link(
        "alice-links-other-address",
        "alice",
        "its email is not her account's (it would rewrite hers)",
        REFUSED,
        bearer="alice-signs-up",
        token_of="alice-community-other",
        error="email_differs",
    ),
    _link(
        "alice-links-community-2",
        "alice",
        "her fifth identity (the same email, in other case)",
        ALICE_USER,
        bearer="alice-signs-up",
        token_of="alice-community-2",
    ),
    _separate("alice-community-3", COMMUNITY_SUBJECTS[2], "third account: a separate user"),
    _link(
        "alice-link-limit",
        "alice",
        "a sixth identity (Cognito's limit is five)",
        REFUSED,
        bearer="alice-signs-up",
        token_of="alice-community-3",
        error="identity_limit",
    ),
    SignIn(
        "alice-unlinks-community",
        "alice",
        "POST /unlink",
        note="her first Community identity",
        expect=ALICE_USER,
        verified="false",
        bearer="alice-signs-up",
        unlink=(SEPARATE_PROVIDER, COMMUNITY_SUBJECTS[0]),
    ),
    SignIn(
        "bob-unlinks-last",
        "bob",
        "POST /unlink",
        note="his only sign-in method",
        expect=REFUSED,
        bearer="bob-saml",
        unlink=("Corporate", BOB_NAME_ID),
        error="last_sign_in_method",
    ),
)

SIGN_INS: tuple[SignIn, ...] = DEMO_SIGN_INS + SECURITY_SIGN_INS + LINKING_SIGN_INS


@dataclass
class Row:
    step: int
    sign_in: SignIn
    landed: str  # the user the tokens are for, as a reader names it, or REFUSED
    landing: Landing
    email_verified_after: str  # that user's stored email_verified after the sign-in


def play(world: World, sign_ins: tuple[SignIn, ...] = SIGN_INS) -> list[Row]:
    """Play the sign-ins in order against one world; name the user each one landed on."""
    labels: dict[str, str] = {}  # sub -> the reader's name for that user
    users_per_email: dict[str, int] = {}
    landed_on: dict[str, str] = {}  # row key -> the sub it landed on
    rows: list[Row] = []
    for step, sign_in in enumerate(sign_ins, start=1):
        if sign_in.endpoint:
            landing = _request(world, sign_in, sign_ins, landed_on)
        elif sign_in.native:
            landing = world.native_sign_up(sign_in)
            owner = sign_in.sign_up_email.split("@")[0]
            if landing.sub is not None:
                users_per_email[owner] = users_per_email.get(owner, 0) + 1
                labels[landing.sub] = f"{sign_in.who}'s native user"
        else:
            landing = world.federated_sign_in(sign_in)
            if landing.sub is not None and landing.sub not in labels:
                owner = sign_in.claims.get("email", sign_in.who).split("@")[0]
                known = users_per_email.get(owner, 0)
                users_per_email[owner] = known + 1
                labels[landing.sub] = (
                    f"{sign_in.who}'s separate {sign_in.through} user"
                    if sign_in.separate
                    else f"ANOTHER user with {owner}'s email"
                    if known
                    else f"{owner}'s new user"
                )
        if landing.sub is not None:
            landed_on[sign_in.key] = landing.sub
        if landing.sub is not None:
            landed = labels.get(landing.sub, "an unknown user")
        else:
            landed = REFUSED if landing.outcome == REFUSED else landing.outcome
        rows.append(Row(step, sign_in, landed, landing, _email_verified(world, landing.sub)))
    return rows


def _request(
    world: World, sign_in: SignIn, played: tuple[SignIn, ...], landed_on: dict[str, str]
) -> Landing:
    """One request to the confirmed-linking endpoint; a 200 is reported only as far as the
    pool shows it: a link moved the identity to the account and its separate user is gone,
    an unlink left no user holding the identity."""
    bearer_sub = landed_on[sign_in.bearer]
    bearer = world.access_token(bearer_sub)
    body: dict[str, Any]
    if sign_in.through == "POST /link":
        source = next(s for s in played if s.key == sign_in.token_of)
        source_sub = landed_on[source.key]
        if sign_in.other_pool:
            (named,) = [u.username for u in world.users() if u.sub == source_sub]
            token = world.other_pool_token(named)
        else:
            token = world.access_token(source_sub)
        body = {"federated_access_token": token}
        identity = (source.through, source.subject)
    else:
        body = {"provider": sign_in.unlink[0], "subject": sign_in.unlink[1]}
        identity = sign_in.unlink
    status, answer = world.call_endpoint(sign_in.through, bearer, body)
    if status != 200:
        message = f"{status} {answer.get('error', '')}: {answer.get('message', '')}"
        return Landing(REFUSED, message=message)
    users = world.users()
    holders = [u.sub for u in users if identity in u.identities]
    if sign_in.through == "POST /unlink":
        if holders:
            return Landing("answered 200, the identity still linked")
        return Landing("unlinked", bearer_sub)
    if any(u.sub == landed_on[sign_in.token_of] for u in users):
        return Landing("answered 200, the separate user still there")
    if len(holders) != 1:
        return Landing(f"answered 200, {len(holders)} users hold the identity")
    return Landing("linked", holders[0])


def _email_verified(world: World, sub: str | None) -> str:
    if sub is None:
        return "-"
    found = [user for user in world.users() if user.sub == sub]
    return ("true" if found[0].email_verified else "false") if found else "?"
