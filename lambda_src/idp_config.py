"""The configuration the module passes to the triggers through the environment.

`IDENTITY_PROVIDERS` is a JSON object keyed by each IdP's ProviderName exactly as created in
the pool; `USERNAME_CASE_SENSITIVE` is the pool's case-sensitivity setting. Both are parsed
once per container (cached on the raw text) and validated strictly: a typo such as
`email_domain` would otherwise silently widen what an IdP may vouch for.
"""

from __future__ import annotations

import json
import os
from typing import Any, NamedTuple

from ascii_case import ascii_lower
from cognito_facts import (
    EMAIL_TRUST_MODES_BY_TYPE,
    HOSTED_DOMAIN_ATTRIBUTES,
    HOSTED_DOMAIN_ATTRIBUTES_BY_TYPE,
    PROVIDER_TYPES,
    SOCIAL_TYPES,
)
from errors import ConfigurationError

EMAIL_TRUST_MODES = frozenset({"verified_claim", "always"})
# What a first sign-in that may not be linked by email does: refused (the default), or left
# to become a separate federated user whose owner may link it by confirming both sides
# (confirmed_linking.py).
UNTRUSTED_SIGN_IN_MODES = frozenset({"refuse", "separate_user"})
_KNOWN_KEYS = frozenset(
    {
        "type",
        "link_by_email",
        "email_trust",
        "email_domains",
        "subject_attribute",
        "untrusted_sign_in",
    }
)


# NamedTuple, not dataclass: importing dataclasses (and inspect with it) cost a third of the
# pre token handler's cold import (make bench).
class ProviderConfig(NamedTuple):
    name: str
    type: str
    link_by_email: bool = True
    email_trust: str = "verified_claim"
    email_domains: frozenset[str] | None = None
    subject_attribute: str | None = None
    untrusted_sign_in: str = "refuse"

    def vouches_for_domain(self, domain: str) -> bool:
        """An IdP may vouch only for its own domains (FACTS §8, domain authority).

        Compared ignoring ASCII case only (ascii_case.py): `str.lower()` would let a domain
        spelled with look-alike letters pass for a listed one.
        """
        return self.email_domains is None or ascii_lower(domain) in self.email_domains

    @property
    def can_vouch(self) -> bool:
        """Whether this provider's type is evidence of who owns an email under its
        email_trust (FACTS §8, cognito_facts.json `email_trust_modes`): a verified claim from
        Google, Apple or OIDC, `always` from the organisation's own OIDC or SAML directory;
        never anything from Facebook or Login with Amazon."""
        return self.email_trust in EMAIL_TRUST_MODES_BY_TYPE[self.type]

    @property
    def trusted_always(self) -> bool:
        return self.email_trust == "always" and self.can_vouch

    def vouches_as_hosted_domain(self, attributes: dict[str, str], *, any_type: bool) -> bool:
        """Whether these attributes carry no hosted domain (Google's `hd`, present only for a
        Google Workspace account: a consumer account), or one in email_domains.

        A Workspace vouches for the addresses of whoever holds its domain now, which may not
        be who held it when an account was made (FACTS §8): only a listed domain counts.
        `any_type` reads every hosted-domain attribute whatever this provider's type: true for
        a sign-in's own event, where only a mapping of this provider can have filled one (an
        OIDC provider may be Google under another name, FACTS §20); false for a stored user,
        whose attributes any of its providers may have written.
        """
        attributes_read = (
            HOSTED_DOMAIN_ATTRIBUTES
            if any_type
            else HOSTED_DOMAIN_ATTRIBUTES_BY_TYPE.get(self.type, ())
        )
        hosted = [attributes[a] for a in attributes_read if attributes.get(a)]
        return all(
            self.email_domains is not None and self.vouches_for_domain(domain) for domain in hosted
        )


def names_user_name(provider_name: str, user_name: str) -> bool:
    """Whether `<provider_name>_` begins userName, ignoring case (FACTS §2).

    In a case-insensitive pool the whole userName arrives lower-cased. How Cognito lower-cases
    non-ASCII letters is not documented, so both of Python's foldings are tried: matching too
    many names only makes a sign-in ambiguous (refused), never attributes it to a wrong one.
    """
    return any(
        fold(user_name).startswith(fold(provider_name) + "_") for fold in (str.lower, str.casefold)
    )


class TriggerConfig(NamedTuple):
    providers: dict[str, ProviderConfig]
    case_sensitive: bool

    def matching_providers(self, user_name: str) -> list[ProviderConfig]:
        """Providers whose `<ProviderName>_` is a case-insensitive prefix of userName.

        In a case-insensitive pool the whole userName arrives lower-cased and ProviderNames
        may contain underscores, so splitting on "_" is wrong (FACTS §2).
        """
        return [p for p in self.providers.values() if names_user_name(p.name, user_name)]


_cache: dict[tuple[str | None, str | None], TriggerConfig] = {}


def load() -> TriggerConfig:
    """Parse the environment, once per distinct value (so once per Lambda container)."""
    raw_providers = os.environ.get("IDENTITY_PROVIDERS")
    raw_case = os.environ.get("USERNAME_CASE_SENSITIVE")
    key = (raw_providers, raw_case)
    cached = _cache.get(key)
    if cached is None:
        cached = TriggerConfig(
            providers=parse_identity_providers(raw_providers),
            case_sensitive=parse_case_sensitive(raw_case),
        )
        _cache.clear()
        _cache[key] = cached
    return cached


def parse_case_sensitive(raw: str | None) -> bool:
    if raw is None or raw.strip().lower() not in ("true", "false"):
        raise ConfigurationError(
            f'USERNAME_CASE_SENSITIVE is {raw!r}, expected "true" or "false"',
            'set USERNAME_CASE_SENSITIVE to the pool\'s username case sensitivity ("true" or '
            '"false")',
        )
    return raw.strip().lower() == "true"


def parse_identity_providers(raw: str | None) -> dict[str, ProviderConfig]:
    fix = "set IDENTITY_PROVIDERS to a JSON object keyed by ProviderName (see the module docs)"
    if raw is None or not raw.strip():
        raise ConfigurationError("IDENTITY_PROVIDERS is not set", fix)
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ConfigurationError(f"IDENTITY_PROVIDERS is not valid JSON ({exc.msg})", fix) from exc
    if not isinstance(data, dict):
        raise ConfigurationError("IDENTITY_PROVIDERS must be a JSON object", fix)
    providers: dict[str, ProviderConfig] = {}
    for name, entry in data.items():
        providers[name] = _parse_provider(name, entry)
    lowered = [n.lower() for n in providers]
    if len(set(lowered)) != len(lowered):
        raise ConfigurationError(
            "two IDENTITY_PROVIDERS names differ only in case, so a lower-cased userName "
            "cannot tell them apart",
            "rename one of the identity providers",
        )
    return providers


def _parse_provider(name: Any, entry: Any) -> ProviderConfig:
    where = f"IDENTITY_PROVIDERS[{name!r}]"
    if not isinstance(name, str) or not name or len(name) > 32:
        raise ConfigurationError(
            f"{where}: a ProviderName must be 1-32 characters", "use the IdP's ProviderName"
        )
    if not (name.isascii() and name.isprintable()) or " " in name:
        # The subject is what follows `<ProviderName>_` in a userName that a case-insensitive
        # pool lower-cases (FACTS §2): a letter that changes length when lower-cased (the
        # dotted capital I) would shift it, and case folding beyond ASCII is not documented.
        raise ConfigurationError(
            f"{where}: a ProviderName the triggers link for must be printable ASCII without spaces",
            "rename the identity provider",
        )
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where} must be a JSON object", "give each IdP an object")
    unknown = sorted(set(entry) - _KNOWN_KEYS)
    if unknown:
        raise ConfigurationError(
            f"{where} has unknown keys {unknown}",
            f"use only {sorted(_KNOWN_KEYS)}",
        )
    ptype = entry.get("type")
    if ptype not in PROVIDER_TYPES:
        raise ConfigurationError(
            f"{where}.type is {ptype!r}", f"set it to one of {sorted(PROVIDER_TYPES)}"
        )
    if ptype in SOCIAL_TYPES and name != ptype:
        raise ConfigurationError(
            f"{where} has type {ptype} but Cognito names that provider {ptype!r}",
            f"key it as {ptype!r}",
        )
    if name in SOCIAL_TYPES and ptype != name:
        # Cognito gives that name only to that social provider: trust configured for another
        # type would be lent to it.
        raise ConfigurationError(
            f"{where} has type {ptype}, but only the {name} provider has that ProviderName",
            f'set its type to "{name}", or name the {ptype} provider otherwise',
        )
    link_by_email = entry.get("link_by_email", True)
    if not isinstance(link_by_email, bool):
        raise ConfigurationError(f"{where}.link_by_email must be true or false", "fix it")
    email_trust = entry.get("email_trust", "verified_claim")
    if email_trust not in EMAIL_TRUST_MODES:
        raise ConfigurationError(
            f"{where}.email_trust is {email_trust!r}",
            f"set it to one of {sorted(EMAIL_TRUST_MODES)}",
        )
    domains = _parse_domains(where, entry.get("email_domains"))
    if email_trust == "always" and not domains:
        raise ConfigurationError(
            f'{where}.email_trust is "always" without email_domains, which would let this IdP '
            "vouch for any address",
            "list the email domains this IdP owns in email_domains",
        )
    subject_attribute = entry.get("subject_attribute")
    if subject_attribute is not None and (
        not isinstance(subject_attribute, str) or not subject_attribute.strip()
    ):
        raise ConfigurationError(
            f'{where}.subject_attribute must be null or an attribute name such as "custom:idp_sub"',
            "fix it",
        )
    untrusted_sign_in = entry.get("untrusted_sign_in", "refuse")
    if untrusted_sign_in not in UNTRUSTED_SIGN_IN_MODES:
        raise ConfigurationError(
            f"{where}.untrusted_sign_in is {untrusted_sign_in!r}",
            f"set it to one of {sorted(UNTRUSTED_SIGN_IN_MODES)}",
        )
    return ProviderConfig(
        name=name,
        type=ptype,
        link_by_email=link_by_email,
        email_trust=email_trust,
        email_domains=domains,
        subject_attribute=subject_attribute,
        untrusted_sign_in=untrusted_sign_in,
    )


def _parse_domains(where: str, value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise ConfigurationError(
            f"{where}.email_domains must be null or a non-empty list of domains",
            "fix it",
        )
    domains = set()
    for item in value:
        if not isinstance(item, str) or not item.strip().lstrip("@") or "@" in item.lstrip("@"):
            raise ConfigurationError(
                f"{where}.email_domains holds {item!r}, which is not a domain",
                'list bare domains such as "example.com"',
            )
        domains.add(ascii_lower(item.strip().lstrip("@")))
    return frozenset(domains)
