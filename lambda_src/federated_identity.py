"""Who is signing in: the configured IdP, the exact-case subject and a linkable email.

Every rule here decides from the event and the configuration alone, without any AWS call, so
a sign-in that must be refused is refused before anything is looked up or changed. The one
question configuration cannot settle, whether another provider in the pool could have produced
the same userName, is answered by pool_providers.py.
"""

from __future__ import annotations

from typing import NamedTuple

from ascii_case import email_domain, same_ignoring_ascii_case
from errors import SignInRefused
from idp_config import ProviderConfig, TriggerConfig

MAX_ATTRIBUTE_LENGTH = 2048  # Mapped values are limited to 2,048 characters (FACTS §4).
SUPPORT = "contact support"


class FederatedIdentity(NamedTuple):
    provider: ProviderConfig
    subject: str


def resolve_provider(user_name: str, config: TriggerConfig) -> ProviderConfig:
    """The one configured IdP whose `<ProviderName>_` prefixes userName, ignoring case.

    ProviderName always comes from configuration, never from the (possibly lower-cased)
    userName prefix, because AdminLinkProviderForUser needs it exactly as created (FACTS §1,
    §2). This is a candidate only: pool_providers.ensure_sole_match must confirm that no
    provider outside the configuration also fits the userName before anything is linked.
    """
    matches = config.matching_providers(user_name)
    if not matches:
        raise SignInRefused(
            "Sign-in refused: this identity provider is not set up for this application. "
            f"Please use another sign-in method or {SUPPORT}.",
            reason="unknown_provider",
        )
    if len(matches) > 1:
        raise SignInRefused(
            "Sign-in refused: the identity provider could not be determined because two "
            f"configured provider names overlap. Please {SUPPORT}.",
            reason="ambiguous_provider",
        )
    return matches[0]


def resolve_identity(
    provider: ProviderConfig, user_name: str, attributes: dict[str, str], config: TriggerConfig
) -> FederatedIdentity:
    """The identity with its subject in the exact case Cognito matches links by."""
    suffix = user_name[len(provider.name) + 1 :]
    if not suffix:
        raise SignInRefused(
            f"Sign-in refused: {provider.name} did not send a user identifier. Please {SUPPORT}.",
            reason="missing_subject",
        )
    return FederatedIdentity(provider, _exact_subject(provider, suffix, attributes, config))


def _exact_subject(
    provider: ProviderConfig, suffix: str, attributes: dict[str, str], config: TriggerConfig
) -> str:
    mapped = attributes.get(provider.subject_attribute) if provider.subject_attribute else None
    if mapped:
        # The mapped value is only a hint: an IdP (or a tenant of it) could map any value
        # into the attribute, so it must be the userName suffix apart from case (FACTS §3,
        # §8).
        if not same_subject_apart_from_case(mapped, suffix, config.case_sensitive):
            raise SignInRefused(
                f"Sign-in refused: the identity {provider.name} presented is inconsistent "
                f"(its mapped user identifier does not match). Please {SUPPORT}.",
                reason="subject_mismatch",
            )
        # A case-sensitive pool passes userName unchanged (FACTS §2), so the suffix is exact
        # there; a case-insensitive pool lower-cases it and only the mapped value keeps the
        # case Cognito matches links by (FACTS §3).
        return suffix if config.case_sensitive else mapped
    if config.case_sensitive or not any(ch.lower() != ch.upper() for ch in suffix):
        # A suffix without cased characters (Google and Facebook use digits) is unchanged by
        # lower-casing, so it is exact even in a case-insensitive pool (FACTS §3).
        return suffix
    raise SignInRefused(
        f"Sign-in through {provider.name} can't be linked to your account because this user "
        "pool does not receive that provider's user identifier in its exact case. An "
        f"administrator must map the identifier to "
        f"{provider.subject_attribute or 'a custom attribute'}; please {SUPPORT}.",
        reason="subject_case_unknown",
    )


def same_subject_apart_from_case(mapped: str, suffix: str, case_sensitive: bool) -> bool:
    """Whether `suffix` (the userName's subject) is the subject copy `mapped`, as the pool
    passes it.

    ASCII letters compare ignoring case, as everywhere: lower-casing them is the same under
    any reading. Beyond ASCII, a case-sensitive pool passes the subject unchanged, and a
    case-insensitive one lower-cases it by Unicode's rules as far as is known (FACTS §20): the
    suffix must be the copy itself or the copy lower-cased. A subject that another reading
    would lower-case differently (`JÖRG` as `jÖrg`, ASCII letters only) is refused rather than
    matched to a second user's. A letter beyond ASCII that lower-cases into ASCII (the Kelvin
    sign into `k`) never matches: a look-alike copy must not stand for another subject
    (ascii_case.py).
    """
    if mapped.isascii() and suffix.isascii():
        return same_ignoring_ascii_case(mapped, suffix)
    if any(not ch.isascii() and ch.lower().isascii() for ch in mapped + suffix):
        return False
    return suffix == mapped or (not case_sensitive and suffix == mapped.lower())


def linkable_email(provider: ProviderConfig, attributes: dict[str, str]) -> str:
    """The event's email when this IdP may vouch for it; otherwise the sign-in is refused.

    Linking by email hands the account to whoever controls the email at the IdP, so the
    IdP must assert the email is verified (or be one the organisation controls), and only
    for the domains it owns (FACTS §8). The email is taken exactly as sent, never trimmed or
    otherwise normalised: Cognito stores what the IdP sent, so a decision on a cleaned-up
    copy would be about another address than the one the user ends up with. Messages name
    the provider (from configuration) but repeat nothing the IdP sent: hosted sign-in shows
    them in the callback URL (FACTS §2).
    """
    email = attributes.get("email", "")
    if not email:
        raise SignInRefused(
            f"Sign-in refused: {provider.name} did not share your email address, which is "
            f"needed to find your account. Allow it to share your email, or {SUPPORT}.",
            reason="email_missing",
        )
    if not is_filter_safe_email(email):
        # No escaping of `"` or `\` inside a ListUsers filter value is documented (FACTS §6).
        raise SignInRefused(
            f"Sign-in refused: the email address {provider.name} sent can't be used to find "
            f"your account. Please {SUPPORT}.",
            reason="email_unsafe",
        )
    if not provider.can_vouch:
        # Facebook and Login with Amazon prove nothing about an email; a SAML directory only
        # as the organisation's own (`always` with its domains); Google and Apple only by
        # their verified claim (FACTS §8).
        raise SignInRefused(
            f"Sign-in refused: {provider.name} can't prove that your email address is yours, "
            "so this sign-in can't be linked to an account automatically. Please use another "
            f"sign-in method or {SUPPORT}.",
            reason="provider_cannot_vouch",
        )
    # Exactly "true": Cognito stores the flag as the strings "true" and "false" (FACTS §4).
    if provider.email_trust != "always" and attributes.get("email_verified") != "true":
        raise SignInRefused(
            f"Sign-in refused: {provider.name} did not confirm that your email address is "
            f"verified. Verify it with {provider.name} and try again, or {SUPPORT}.",
            reason="email_not_verified",
        )
    if not provider.vouches_as_hosted_domain(attributes, any_type=True):
        raise SignInRefused(
            f"Sign-in refused: your {provider.name} account is managed by an organisation this "
            "application does not trust to vouch for email addresses, so it can't be linked "
            f"to an account automatically. Please use another sign-in method or {SUPPORT}.",
            reason="hosted_domain_not_listed",
        )
    if not provider.vouches_for_domain(email_domain(email)):
        raise SignInRefused(
            f"Sign-in refused: {provider.name} is not allowed to vouch for email addresses of "
            "your domain. Please use the sign-in method of the organisation that provides your "
            f"email address, or {SUPPORT}.",
            reason="email_domain_not_allowed",
        )
    return email


def is_filter_safe_email(email: str) -> bool:
    """One `@`, non-empty parts, no quote, backslash, whitespace or control characters."""
    if len(email) > MAX_ATTRIBUTE_LENGTH or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    if not local or not domain or "." not in domain.strip("."):
        return False
    return not any(ch in '"\\' or ch.isspace() or not ch.isprintable() for ch in email)
