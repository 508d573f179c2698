"""A seeded pool in the test double with problems planted among clean users, for the live-pool
commands' tests and benchmark.

The pool is configured like `examples/complete` (case-insensitive, `custom:idp_sub`, Google,
LinkedIn over OIDC and the corporate SAML directory) and its users are written directly into
the double (`populate`), or, for a pool too large to hold, made page by page as ListUsers
asks for them (`stream`). Every planted problem is recorded (`Planted`) with the email of the
person it concerns, so that a test can require the audit to find exactly these and nothing
else, and the repair to merge exactly the repairable people.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_FACTS = json.loads(
    (Path(__file__).resolve().parent.parent / "lambda_src" / "cognito_facts.json").read_text(
        encoding="utf-8"
    )
)
# Google's hosted-domain claim and the attribute the module maps it into (FACTS §8, §20).
HOSTED_DOMAIN = _FACTS["provider_types"]["Google"]["hosted_domain"]

IDENTITY_PROVIDERS = {
    "Corporate": {
        "type": "SAML",
        "email_trust": "always",
        "email_domains": ["example.com"],
        "subject_attribute": "custom:idp_sub",
    },
    "Google": {"type": "Google"},
    "LinkedIn": {"type": "OIDC", "subject_attribute": "custom:idp_sub"},
    # The directory an SSO rollout moves to, sending an always-true attribute mapped to
    # email_verified (FACTS §4), so that no sign-in needs a restore.
    "Directory": {
        "type": "SAML",
        "email_trust": "always",
        "email_domains": ["example.com"],
        "subject_attribute": "custom:idp_sub",
    },
}
DIRECTORY_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
DIRECTORY_VERIFIED = "urn:example:email_verified"  # always "true" at the directory
DIRECTORY_SUBJECT = "http://schemas.microsoft.com/identity/claims/objectidentifier"
MAPPINGS = {
    "Corporate": {
        "email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "custom:idp_sub": "http://schemas.microsoft.com/identity/claims/objectidentifier",
    },
    "Google": {
        "email": "email",
        "email_verified": "email_verified",
        "username": "sub",
        HOSTED_DOMAIN["attribute"]: HOSTED_DOMAIN["claim"],
    },
    "LinkedIn": {
        "email": "email",
        "email_verified": "email_verified",
        "custom:idp_sub": "sub",
        "username": "sub",
    },
    "Directory": {
        "email": DIRECTORY_EMAIL,
        "email_verified": DIRECTORY_VERIFIED,
        "custom:idp_sub": DIRECTORY_SUBJECT,
    },
}
GROUP = "beta-testers"
# Shares of the users in each planted case (the rest are clean).
MIX = {
    "repairable_linkedin": 0.03,  # a seed-thread duplicate; the subject copy is mapped
    "repairable_stale": 0.02,  # the same, plus the native user's lower-cased link
    "repairable_saml": 0.02,  # the directory's duplicate
    "untrusted": 0.005,  # LinkedIn never said the email is verified
    "unknown_subject": 0.005,  # no subject copy, `identities` lower-cased
    "conflict": 0.003,  # the federated user holds a value the native user lacks
    "several_natives": 0.003,
    "unverified_with_identities": 0.003,
    "provider_gone": 0.002,
    "identity_limit": 0.002,
    "email_refused": 0.002,
}
REPAIRABLE = ("repairable_linkedin", "repairable_stale", "repairable_saml")


@dataclass
class Planted:
    pool_id: str
    users: int = 0
    # audit finding kind -> the emails (lower-cased) it concerns
    findings: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    repairable: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    # email -> what the repair must carry onto the native user
    moved_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    moved_groups: dict[str, set[str]] = field(default_factory=dict)
    # (provider, lower-cased subject) -> the exact subject, as the identity provider exports it
    exact_subjects: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def identity_providers_json(self) -> str:
        return json.dumps(IDENTITY_PROVIDERS)


def _subject(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(12)) + "Q"


def create_pool(double: Any) -> str:
    pool_id = double.create_pool(
        "synthetic",
        case_sensitive=False,
        custom_attributes={
            "idp_sub": True,
            HOSTED_DOMAIN["attribute"].removeprefix("custom:"): True,
        },
    )
    for name, provider in IDENTITY_PROVIDERS.items():
        double.add_identity_provider(pool_id, name, provider["type"], MAPPINGS[name])
    double.backend.create_group(pool_id, GROUP, "", "", 0)
    return pool_id


@dataclass
class SyntheticUser:
    username: str
    status: str
    attributes: dict[str, str]
    groups: list[str] = field(default_factory=list)


class _Writer:
    def __init__(self, rng: random.Random, planted: Planted) -> None:
        self.rng, self.planted = rng, planted
        self.count = 0
        self.made: list[SyntheticUser] = []  # since the last `drain`

    def drain(self) -> list[SyntheticUser]:
        made, self.made = self.made, []
        return made

    def native(
        self,
        email: str,
        *,
        verified: bool = True,
        identities: list[dict[str, Any]] | None = None,
        extra: dict[str, str] | None = None,
    ) -> str:
        self.count += 1
        username = str(uuid.UUID(int=self.rng.getrandbits(128)))
        attributes = {
            "sub": username,
            "email": email,
            "email_verified": "true" if verified else "false",
        }
        if identities:
            attributes["identities"] = json.dumps(identities)
        attributes |= extra or {}
        self.made.append(SyntheticUser(username, "CONFIRMED", attributes))
        return username

    def federated(
        self,
        provider: str,
        subject: str,
        email: str,
        *,
        verified: str = "true",
        stored_subject: str | None = None,
        copy: bool = True,
        extra: dict[str, str] | None = None,
    ) -> str:
        """A user Cognito created for an identity in this case-insensitive pool: its username
        lower-cased (FACTS §2, §3); `stored_subject` is what its `identities` holds."""
        self.count += 1
        username = f"{provider}_{subject}".lower()
        attributes = {
            "sub": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "email": email,
            "identities": json.dumps([identity(provider, stored_subject or subject, primary=True)]),
        }
        if "email_verified" in MAPPINGS[provider]:
            attributes["email_verified"] = verified
        else:
            attributes["email_verified"] = "false"  # mapping email alone stores "false" (FACTS §4)
        if copy and "custom:idp_sub" in MAPPINGS[provider]:
            attributes["custom:idp_sub"] = subject
        attributes |= extra or {}
        self.made.append(SyntheticUser(username, "EXTERNAL_PROVIDER", attributes))
        return username

    def join(self, username: str) -> None:
        next(u for u in self.made if u.username == username).groups.append(GROUP)


def identity(provider: str, subject: str, *, primary: bool = False) -> dict[str, Any]:
    kind = IDENTITY_PROVIDERS.get(provider, {}).get("type", "OIDC")
    return {
        "userId": subject,
        "providerName": provider,
        "providerType": kind,
        "issuer": None,
        "primary": primary,
        "dateCreated": 1700000000000,
    }


def populate(double: Any, pool_id: str, users: int, seed: int = 7) -> Planted:
    """About `users` users: the planted cases in the shares of MIX, the rest clean."""
    planted = Planted(pool_id)
    for user in synthetic_users(users, seed, planted):
        double.put_user(pool_id, user.username, status=user.status, attributes=user.attributes)
        for group in user.groups:
            double.backend.admin_add_user_to_group(pool_id, group, user.username)
    return planted


def stream(double: Any, pool_id: str, users: int, seed: int = 7) -> Planted:
    """The users `populate` would write, made as unfiltered ListUsers pages ask for them
    (`backend.stream_users`) rather than held: for a pool too large for the double. Nothing
    but an unfiltered ListUsers sees them (no lookup, no group)."""
    from moto.cognitoidp.models import CognitoIdpUser

    from cogfed_tools.cognito_double import backend

    planted = Planted(pool_id)
    for _ in synthetic_users(users, seed, planted):
        pass

    def start() -> Iterator[Any]:
        for user in synthetic_users(users, seed, Planted(pool_id)):
            attributes = [{"Name": k, "Value": v} for k, v in user.attributes.items()]
            # Made without moto's BaseModel.__new__, which keeps every model it makes: a
            # page's users are freed once it is sent.
            made = object.__new__(CognitoIdpUser)
            made.__init__(pool_id, user.username, None, user.status, attributes)
            yield made

    backend.stream_users(pool_id, start)
    return planted


def synthetic_users(users: int, seed: int, planted: Planted) -> Iterator[SyntheticUser]:
    """About `users` users, made one person at a time, each planted problem recorded in
    `planted` as its users are made."""
    rng = random.Random(seed)
    w = _Writer(rng, planted)
    counts = {case: max(1, int(users * share)) for case, share in MIX.items()}
    serial = 0

    def email(case: str) -> str:
        nonlocal serial
        serial += 1
        return f"{case.replace('_', '-')}-{serial}@example.com"

    for case, n in counts.items():
        for _ in range(n):
            address = email(case)
            _plant(w, case, address, rng)
            yield from w.drain()
    clean = max(0, users - w.count)
    for _ in range(clean):
        address = email("clean")
        if rng.random() < 0.3:
            subject = _subject(rng)
            w.native(address, identities=[identity("LinkedIn", subject)])
        else:
            w.native(address)
        yield from w.drain()
    planted.users = w.count


def _plant(w: _Writer, case: str, address: str, rng: random.Random) -> None:
    planted = w.planted
    subject = _subject(rng)
    if case in REPAIRABLE:
        provider = "Corporate" if case == "repairable_saml" else "LinkedIn"
        held = [identity(provider, subject.lower())] if case == "repairable_stale" else None
        w.native(address, identities=held)
        federated = w.federated(provider, subject, address, extra={"locale": "fr-FR"})
        w.join(federated)
        planted.findings["split_person"].add(address)
        if case == "repairable_stale":
            planted.findings["stale_lower_cased_link"].add(address)
        planted.repairable.add(address)
        planted.moved_attributes[address] = {"locale": "fr-FR"}
        planted.moved_groups[address] = {GROUP}
    elif case == "untrusted":
        w.native(address)
        w.federated("LinkedIn", subject, address, verified="false")
        planted.findings["split_person"].add(address)
        planted.refused.add(address)
    elif case == "unknown_subject":
        w.native(address)
        w.federated("LinkedIn", subject, address, stored_subject=subject.lower(), copy=False)
        planted.exact_subjects[("LinkedIn", subject.lower())] = subject
        planted.findings["split_person"].add(address)
        planted.refused.add(address)
    elif case == "conflict":
        w.native(address, extra={"locale": "en-GB"})
        w.federated("LinkedIn", subject, address, extra={"locale": "de-DE"})
        planted.findings["split_person"].add(address)
        planted.refused.add(address)
    elif case == "several_natives":
        w.native(address)
        w.native(address.upper().replace("@EXAMPLE.COM", "@example.com"))
        planted.findings["several_native_users"].add(address)
    elif case == "unverified_with_identities":
        w.native(address, verified=False, identities=[identity("Google", str(rng.getrandbits(60)))])
        planted.findings["unverified_with_identities"].add(address)
    elif case == "provider_gone":
        w.native(address, identities=[identity("RetiredOkta", subject)])
        planted.findings["identity_provider_gone"].add(address)
    elif case == "identity_limit":
        held = [
            identity(p, _subject(rng))
            for p in ("Google", "Google", "LinkedIn", "LinkedIn", "Corporate")
        ]
        w.native(address, identities=held)
        planted.findings["identity_limit"].add(address)
    elif case == "email_refused":
        quoted = address.replace("@", '"@', 1)
        w.native(quoted)
        planted.findings["email_refused"].add(quoted.lower())
    else:
        raise ValueError(case)
