"""The fuzzer's world: people and the mailboxes they own, identity providers and their trust.

Mailbox identity: two addresses are the same mailbox when they are equal after lower-casing
the ASCII letters A-Z only (CONTRACT §1 behaviour 2). `"\\u212aim@example.com"` (KELVIN
SIGN), a whitespace-padded address or one with a quote are other mailboxes, owned here by
the attacker `mal`, who may well control such an address at some provider.

Each identity provider is in the pool in every example; what varies per example is how it is
configured (`PoolConfig`). An IdP is *honest where it is trusted*: whenever the configuration
would trust its email for a person who does not own the mailbox, it does not send that claim
(`realistic_claims`). Everywhere else its claims are attacker-controlled.

One exception is Google Workspace (FACTS §8): whoever holds a domain now runs its Workspace
and Google calls every address of it verified. `lapsed.example` was kim's company's domain;
the attacker registered it since, so her Workspace account vouches for kim's old address.
Each person's first Google account is a consumer account (no `hd`), the second a Workspace
account of `WORKSPACE_DOMAINS`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cogfed_tools.cognito_double.facts import HOSTED_DOMAIN, TABLE

PERSONS: tuple[str, ...] = ("kim", "ann", "bob", "mal")
ATTACKER = "mal"

KELVIN_KIM = "\u212aim@example.com"  # str.lower() gives "kim@example.com"
NBSP_KIM = "kim@example.com\u00a0"
IDEOGRAPHIC_KIM = "\u3000kim@example.com"
SPACE_ANN = " ann@gmail.com"
QUOTED_KIM = 'k"im@example.com'
LAPSED = "lapsed.example"  # kim's old company domain, registered by the attacker since

# address -> owner. Each mailbox has one owner; its ASCII case variants are the same mailbox.
MAILBOXES: dict[str, str] = {
    "kim@example.com": "kim",
    "kim@corp.example": "kim",
    f"kim@{LAPSED}": "kim",
    "ann@gmail.com": "ann",
    "ann@tenant.example": "ann",
    "bob@tenant.example": "bob",
    "bob@corp.example": "bob",
    "bob@example.com": "bob",
    "mal@evil.example": "mal",
    "mal@tenant.example": "mal",
    "mal@corp.example": "mal",
    "mal@partner.example": "mal",
    KELVIN_KIM: "mal",
    NBSP_KIM: "mal",
    IDEOGRAPHIC_KIM: "mal",
    SPACE_ANN: "mal",
    QUOTED_KIM: "mal",
}
ALL_MAILBOXES: tuple[str, ...] = tuple(MAILBOXES)
OWN_MAILBOXES: dict[str, tuple[str, ...]] = {
    person: tuple(m for m, owner in MAILBOXES.items() if owner == person) for person in PERSONS
}

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

# How an address is written: the same mailbox in other ASCII case.
CASE_VARIANTS: tuple[str, ...] = ("as-is", "upper", "title", "domain-upper")


def ascii_fold(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def mailbox_key(email: str) -> str:
    return ascii_fold(email)


def owner_of(email: str | None) -> str | None:
    """Who owns the mailbox; any address outside MAILBOXES is the attacker's (crafted)."""
    if email is None:
        return None
    key = mailbox_key(email)
    return next((o for m, o in MAILBOXES.items() if mailbox_key(m) == key), ATTACKER)


def look_alike(email: str, pick: int) -> str:
    """Another mailbox that looks like `email`: a KELVIN SIGN for a k, else padding."""
    local, _, domain = email.rpartition("@")
    for i, ch in enumerate(local):
        if ch in "kK" and pick % 2 == 0:
            return local[:i] + "\u212a" + local[i + 1 :] + "@" + domain
    return "\u3000" + email if pick % 4 == 1 else email + "\u00a0"


def written(mailbox: str, variant: str) -> str:
    """The mailbox written in one of CASE_VARIANTS (ASCII letters only change)."""
    if variant == "upper":
        return mailbox.translate(_ASCII_UPPER)
    if variant == "title":
        local, _, domain = mailbox.rpartition("@")
        return _title(local) + "@" + _title(domain)
    if variant == "domain-upper":
        local, _, domain = mailbox.rpartition("@")
        return local + "@" + domain.translate(_ASCII_UPPER)
    return mailbox


def _title(part: str) -> str:
    for i, ch in enumerate(part):
        if "a" <= ch <= "z":
            return part[:i] + ch.upper() + part[i + 1 :]
    return part


def domain_of(email: str) -> str:
    return ascii_fold(email.rsplit("@", 1)[1]) if "@" in email else ""


def is_clean(email: str | None) -> bool:
    """CONTRACT §1 behaviour 5: no quote, backslash, control character or whitespace."""
    if not email or len(email) > 2048 or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    if not local or "." not in domain.strip("."):
        return False
    return not any(ch in '"\\' or ch.isspace() or not ch.isprintable() for ch in email)


def email_kind(email: str | None) -> str:
    """A coverage label for an address."""
    if email is None:
        return "none"
    if "\u212a" in email:
        return "kelvin-lookalike"
    if email != email.strip():
        pad = email[0] if email[0].isspace() else email[-1]
        return {"\u00a0": "nbsp-padded", "\u3000": "ideographic-padded"}.get(pad, "space-padded")
    if '"' in email:
        return "quote"
    return "plain" if email in MAILBOXES else "ascii-case-variant"


# --------------------------------------------------------------------------- providers

GOOGLE = "Google"
APPLE = "SignInWithApple"
FACEBOOK = "Facebook"
AMAZON = "LoginWithAmazon"
LINKEDIN = "LinkedIn"
ENTRA = "Entra"
OKTA = "Okta"
PARTNER = "Okta_Partner"
GITHUB = "GitHub"

PROVIDERS: tuple[str, ...] = (
    GOOGLE,
    APPLE,
    FACEBOOK,
    AMAZON,
    LINKEDIN,
    ENTRA,
    OKTA,
    PARTNER,
    GITHUB,
)
PROVIDER_TYPES: dict[str, str] = {
    GOOGLE: "Google",
    APPLE: "SignInWithApple",
    FACEBOOK: "Facebook",
    AMAZON: "LoginWithAmazon",
    LINKEDIN: "OIDC",
    ENTRA: "OIDC",
    OKTA: "SAML",
    PARTNER: "SAML",
    GITHUB: "OIDC",
}
# IdPs that send an email_verified claim of their own (FACTS §4).
SENDS_VERIFIED = frozenset({GOOGLE, APPLE, LINKEDIN, ENTRA, GITHUB})
SUBJECT_ATTRIBUTE = "custom:idp_sub"

# Subjects: person i, identity slot s -> SUBJECTS[provider][2 * i + s]. Each identity has one
# owner. Mixed case, underscores and digits; Okta's "Partner_7" (bob) is what an
# `Okta_Partner` sign-in with NameID "7" (mal) reads as when only configured names decide.
SLOTS = 2
SUBJECTS: dict[str, tuple[str, ...]] = {
    GOOGLE: ("1000001", "1000002", "2000001", "2000002", "3000001", "3000002", "4000001", "4"),
    APPLE: (
        "000111.aBc1.0001",
        "000111.aBc1.0002",
        "000222.Ann.01",
        "000222.ann.02",
        "000333.B0b.01",
        "000333.b0b.02",
        "000444.MaL.01",
        "000444.mal.02",
    ),
    FACEBOOK: (
        "10158001",
        "10158002",
        "10158003",
        "10158004",
        "10158005",
        "10158006",
        "10158007",
        "10158008",
    ),
    AMAZON: (
        "amzn1.account.AFKim1",
        "amzn1.account.AFKim2",
        "amzn1.account.AFAnn1",
        "amzn1.account.afann2",
        "amzn1.account.AFBob1",
        "amzn1.account.AFBob2",
        "amzn1.account.AFMal1",
        "amzn1.account.AFMAL2",
    ),
    LINKEDIN: ("0lAbhK9l5z", "Kim_2x", "aNn_9", "ann10", "B0b_Li", "bob_LI", "MaL_1", "mal_1"),
    ENTRA: ("KimT", "kim_t2", "AnnT_1", "annt2", "BobT", "bob_t", "MalT", "malT_2"),
    OKTA: ("KimL", "kim_2", "Ann.W", "ann_9", "Partner_7", "BOB", "MalX", "x_1"),
    PARTNER: ("p_1", "P2", "p3", "p4", "p5", "p6", "7", "Partner_7"),
    GITHUB: ("kimGH", "KimGH2", "annGH", "ann_gh", "bobGH", "B0B", "malGH", "mal_gh"),
}


# Google: a person's slot-1 account is a Google Workspace account of this domain (`hd`), the
# slot-0 account a consumer account (FACTS §8). The attacker holds the lapsed domain's.
WORKSPACE_DOMAINS: dict[str, str] = {
    "kim": "corp.example",
    "ann": "tenant.example",
    "bob": "corp.example",
    "mal": LAPSED,
}
# Domains whose Workspace the attacker runs: it vouches for any address there.
ATTACKER_WORKSPACES = frozenset({LAPSED})
# Google's own address domains: no Workspace account has an address there (FACTS §20).
CONSUMER_DOMAINS: dict[str, frozenset[str]] = {
    t: frozenset(domains) for t, domains in TABLE["consumer_email_domains"].items()
}
# The claim each IdP's email_verified is mapped from, where not `email_verified`: Microsoft
# Entra ID sends `xms_edov` (cognito_facts.json `email_verified_claim_by_issuer`).
VERIFIED_CLAIMS: dict[str, str] = {ENTRA: "xms_edov"}


def hosted_domain_of(provider: str, subject: str) -> str | None:
    """The `hd` claim a Google account sends: its Workspace domain, None for a consumer one."""
    if provider != GOOGLE:
        return None
    person = identity_owner(provider, subject)
    if person is None or SUBJECTS[GOOGLE].index(subject) % SLOTS == 0:
        return None
    return WORKSPACE_DOMAINS[person]


def subject_of(provider: str, person: str, slot: int) -> str:
    return SUBJECTS[provider][2 * PERSONS.index(person) + slot % SLOTS]


def identity_owner(provider: str, subject: str) -> str | None:
    subjects = SUBJECTS.get(provider, ())
    return PERSONS[subjects.index(subject) // 2] if subject in subjects else None


@dataclass(frozen=True)
class ProviderSetup:
    """One IdP as created in the pool, and its IDENTITY_PROVIDERS entry (None: not configured)."""

    name: str
    mapping: dict[str, str]
    config: dict[str, Any] | None

    @property
    def maps_verified(self) -> bool:
        return "email_verified" in self.mapping

    @property
    def maps_subject(self) -> bool:
        return SUBJECT_ATTRIBUTE in self.mapping


@dataclass(frozen=True)
class PoolConfig:
    """What one example's pool looks like (drawn by the state machine's initialize rule)."""

    shape: str  # "email-username", "email-alias" or "free-form"
    case_sensitive: bool
    token_version: str  # "V1_0" or "V2_0"
    google_links: bool  # Google configured with link_by_email true (else false)
    linkedin_subject: str  # "mapped", "configured-unmapped" or "none"
    okta_subject_mapped: bool
    okta_maps_always_true_verified: bool  # FACTS §4: a directory attribute that is always "true"
    partner_maps_subject: bool
    partner_configured: bool
    # FACTS §8, §20: UserAttributeUpdateSettings holds a user's own email change back until it
    # is verified (the module's pool), or applies it at once, unverified.
    hold_email_changes: bool = True
    # Google configured with email_domains ["corp.example"]: that Workspace is the
    # organisation's own (FACTS §8); else Google vouches for consumer accounts of any domain.
    google_lists_corp: bool = False
    # Providers whose sign-ins that may not be linked by email become separate users, which
    # their owner may link by confirming both sides (`untrusted_sign_in = "separate_user"`).
    separate_user: tuple[str, ...] = ()

    def label(self) -> str:
        case = "case-sensitive" if self.case_sensitive else "case-insensitive"
        return f"{self.shape}/{case}"

    def providers(self) -> dict[str, ProviderSetup]:
        def entry(ptype: str, **settings: Any) -> dict[str, Any]:
            return {
                "type": ptype,
                "link_by_email": settings.get("link_by_email", True),
                "email_trust": settings.get("email_trust", "verified_claim"),
                "email_domains": settings.get("email_domains"),
                "subject_attribute": settings.get("subject_attribute"),
            }

        def separate(name: str, config: dict[str, Any] | None) -> dict[str, Any] | None:
            if config is None or name not in self.separate_user:
                return config
            return {**config, "untrusted_sign_in": "separate_user"}

        verified = {"email": "email", "email_verified": "email_verified"}
        plain = {"email": "email"}
        hosted = HOSTED_DOMAIN["Google"]
        google = {**verified, hosted["attribute"]: hosted["claim"]}
        google_domains = ["corp.example"] if self.google_lists_corp else None
        sub = {SUBJECT_ATTRIBUTE: "sub"}
        linkedin_attr = SUBJECT_ATTRIBUTE if self.linkedin_subject != "none" else None
        okta_mapping = dict(plain)
        if self.okta_maps_always_true_verified:
            okta_mapping["email_verified"] = "email_verified"
        if self.okta_subject_mapped:
            okta_mapping.update(sub)
        okta_attr = SUBJECT_ATTRIBUTE if self.okta_subject_mapped else None
        partner_mapping = {**plain, **(sub if self.partner_maps_subject else {})}
        partner_attr = SUBJECT_ATTRIBUTE if self.partner_maps_subject else None
        setups = [
            ProviderSetup(
                GOOGLE,
                google,
                entry("Google", link_by_email=self.google_links, email_domains=google_domains),
            ),
            ProviderSetup(APPLE, verified, entry("SignInWithApple")),
            ProviderSetup(FACEBOOK, plain, entry("Facebook")),
            ProviderSetup(AMAZON, plain, entry("LoginWithAmazon")),
            ProviderSetup(
                LINKEDIN,
                {**verified, **(sub if self.linkedin_subject == "mapped" else {})},
                entry("OIDC", subject_attribute=linkedin_attr),
            ),
            ProviderSetup(
                ENTRA,
                {**plain, "email_verified": VERIFIED_CLAIMS[ENTRA], **sub},
                entry(
                    "OIDC", email_domains=["tenant.example"], subject_attribute=SUBJECT_ATTRIBUTE
                ),
            ),
            ProviderSetup(
                OKTA,
                okta_mapping,
                entry(
                    "SAML",
                    email_trust="always",
                    email_domains=["corp.example"],
                    subject_attribute=okta_attr,
                ),
            ),
            ProviderSetup(
                PARTNER,
                partner_mapping,
                entry(
                    "SAML",
                    email_trust="always",
                    email_domains=["partner.example"],
                    subject_attribute=partner_attr,
                )
                if self.partner_configured
                else None,
            ),
            ProviderSetup(GITHUB, verified, entry("OIDC", link_by_email=False)),
        ]
        return {
            s.name: ProviderSetup(s.name, s.mapping, separate(s.name, s.config)) for s in setups
        }

    def identity_providers_json(self) -> str:
        return json.dumps(
            {name: s.config for name, s in self.providers().items() if s.config is not None}
        )


def trust_label(setup: ProviderSetup) -> str:
    """Coverage label: provider type and how it is trusted."""
    ptype = PROVIDER_TYPES[setup.name]
    config = setup.config
    if config is None:
        return f"{ptype}/not-configured"
    if not config["link_by_email"]:
        return f"{ptype}/link-off"
    trust = config["email_trust"]
    domains = "domains" if config["email_domains"] else "any-domain"
    extra = "+verified-mapped" if trust == "always" and setup.maps_verified else ""
    return f"{ptype}/{trust}/{domains}{extra}"


def strictly_trusted(
    config: dict[str, Any] | None,
    email: str | None,
    verified: str | None,
    hosted: str | None = None,
) -> bool:
    """CONTRACT §1: may this configured IdP vouch for `email`, given the event's verified flag
    and hosted domain (Google's `hd`: a Workspace vouches only where its domain is listed,
    FACTS §8)?"""
    if config is None or not config.get("link_by_email", True) or not is_clean(email):
        return False
    assert email is not None
    domains = config.get("email_domains")
    domain = domain_of(email)
    if domains is not None and domain not in {ascii_fold(d) for d in domains}:
        return False
    listed = {ascii_fold(d) for d in domains or ()}
    if hosted and config.get("type") in HOSTED_DOMAIN and ascii_fold(hosted) not in listed:
        return False
    if config.get("email_trust", "verified_claim") == "always":
        return domains is not None
    return verified == "true"


def leniently_trusted(
    config: dict[str, Any] | None, email: str | None, verified: str | None
) -> bool:
    """Could a sloppy reading of the rules trust this claim? (strips, folds, "True" counts)

    Used only to keep honest IdPs honest: an IdP trusted for a mailbox under any reading must
    not assert it for someone who does not own it.
    """
    if config is None or not config.get("link_by_email", True) or not email:
        return False
    domain = email.strip().rsplit("@", 1)[-1].lower()
    domains = config.get("email_domains")
    if domains is not None and domain not in {d.lower() for d in domains}:
        return False
    if config.get("email_trust", "verified_claim") == "always":
        return True
    return (verified or "").strip().lower() == "true"


def could_write_untrusted(
    config: dict[str, Any] | None, email: str | None, hosted: str | None = None
) -> bool:
    """CONTRACT §1 behaviour 5: could this linked IdP have written `email` without trust?

    `hosted`: the identity's Google Workspace domain (`hd`): a Workspace of a domain the
    provider does not list vouches for nothing (FACTS §8), yet its mapping writes the email.
    """
    if config is None or not config.get("link_by_email", True):
        return True
    domains = config.get("email_domains")
    listed = {ascii_fold(d) for d in domains or ()}
    ptype = config.get("type")
    if (
        hosted
        and ptype in HOSTED_DOMAIN
        and ascii_fold(hosted) not in listed
        and domain_of(email or "") not in CONSUMER_DOMAINS.get(ptype, frozenset())
    ):
        # A Workspace account never holds an address at Google's own domains.
        return True
    return domains is not None and domain_of(email or "") not in listed


def may_be_unlisted_workspace(config: dict[str, Any] | None, email: str | None) -> bool:
    """Could a linked identity of this IdP be a Workspace account of an unlisted domain that
    wrote `email`, as far as anything but its own sign-in can tell?

    Only a sign-in carries a hosted domain the user cannot touch: a stored one is a hint its
    user may clear (every mapped attribute is writable, FACTS §4, §20). So a destination
    reached by such an IdP is not a link target unless the email is at one of the type's
    consumer domains or at a listed one (FACTS §8).
    """
    if config is None or config.get("type") not in HOSTED_DOMAIN:
        return False
    domain = domain_of(email or "")
    if domain in CONSUMER_DOMAINS.get(config["type"], frozenset()):
        return False
    domains = config.get("email_domains")
    return domains is None or domain not in {ascii_fold(d) for d in domains}
