"""Find or create the one native user for an email and attach a federated identity to it.

Lookup choice: one ListUsers call with `email = "..."` (FACTS §6). It works whether or not
email is a sign-in attribute of the pool, it shows when two or more native users share the
email (AdminGetUser by alias cannot), and it returns each user's status, `email_verified`
and `identities` in the same answer, so the first link of an existing user costs just
ListUsers + AdminLinkProviderForUser. ListUsers spends the UserList quota (30 RPS, FACTS §7),
but it runs only on an identity's first sign-in: returning sign-ins never reach pre sign-up.
Its results include federated users, and its matching folds case in ways AWS does not document
(FACTS §6), so every result is compared again here, ignoring ASCII case only (ascii_case.py).
Results may be stale (FACTS §6), which the create path tolerates by treating "username exists"
as "carry on with that user" after re-checking it.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from ascii_case import email_domain, same_ignoring_ascii_case
from cognito_api import AwsCallError, Deadline, call
from cognito_facts import CONSUMER_EMAIL_DOMAINS_BY_TYPE, FACTS, HOSTED_DOMAIN_ATTRIBUTES_BY_TYPE
from errors import SignInRefused
from federated_identity import FederatedIdentity
from idp_config import ProviderConfig, TriggerConfig
from pseudonyms import native_username

COGNITO = "cognito-idp"
# A user can carry at most 5 linked identities (FACTS §1).
MAX_IDENTITIES = 5
# CONFIRMED, or FORCE_CHANGE_PASSWORD (created by an administrator or by this trigger);
# never UNCONFIRMED, an unfinished self sign-up (FACTS §8, pre-hijack).
LINKABLE_STATUSES = frozenset({"CONFIRMED", "FORCE_CHANGE_PASSWORD"})
FEDERATED_STATUS = "EXTERNAL_PROVIDER"
MERGING_ERROR = "merging is not currently supported"
MAX_LIST_PAGES = 3
# Standard profile attributes copied from the event onto a user this trigger creates, so a
# pool that requires one of them (every IdP must map required attributes, FACTS §4) accepts
# the new user: every standard attribute (cognito_facts.json) but the email, which is set on
# its own, verification flags, phone numbers, and those Cognito or the user own.
NOT_COPIED = frozenset(
    {"email", "email_verified", "phone_number", "phone_number_verified"}
    | {"sub", "preferred_username", "updated_at"}
)
PROFILE_ATTRIBUTES = tuple(a for a in FACTS["standard_attributes"] if a not in NOT_COPIED)
# How AdminCreateUser must be given a Username in each pool, learned once per container: a
# generated one (pseudonyms.native_username) wherever the pool takes it (free-form usernames,
# email as an alias), or the email itself where email is a username attribute (Cognito then
# generates a UUID username). Never the email where it is merely accepted: in a free-form
# pool anyone can register an email-shaped username first.
_username_kind: dict[str, str] = {}

SUPPORT = "contact support"


@dataclass
class PoolUser:
    username: str
    status: str
    enabled: bool
    attributes: dict[str, str] = field(default_factory=dict)
    # The `identities` attribute, parsed once; None when present but unreadable: nothing can
    # then be said about who else reaches this user, so it is never a link target.
    linked: list[dict[str, Any]] | None = field(default_factory=list)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PoolUser:
        raw = data.get("Attributes", data.get("UserAttributes", []))
        attributes = {a["Name"]: a.get("Value", "") for a in raw}
        return cls(
            username=str(data.get("Username", "")),
            status=str(data.get("UserStatus", "")),
            enabled=bool(data.get("Enabled", True)),
            attributes=attributes,
            linked=_parse_identities(attributes.get("identities")),
        )

    @property
    def email(self) -> str:
        return self.attributes.get("email", "")

    @property
    def sub(self) -> str | None:
        return self.attributes.get("sub")

    @property
    def identities_unreadable(self) -> bool:
        return self.linked is None

    def identities(self) -> list[dict[str, Any]]:
        return self.linked or []

    def has_identity(self, identity: FederatedIdentity) -> bool:
        # Cognito matches links by provider name and the exact subject (FACTS §1, §3).
        return any(
            i.get("providerName") == identity.provider.name and i.get("userId") == identity.subject
            for i in self.identities()
        )


def _parse_identities(raw: str | None) -> list[dict[str, Any]] | None:
    if not raw:
        return []
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(parsed, list) or not all(
        isinstance(i, dict) and isinstance(i.get("providerName"), str) for i in parsed
    ):
        return None
    return parsed


@dataclass(frozen=True)
class LinkOutcome:
    decision: str  # "linked", "created_and_linked" or "already_linked"
    reason: str
    username: str
    sub: str | None


def link_by_email(
    pool_id: str,
    identity: FederatedIdentity,
    email: str,
    event_attributes: dict[str, str],
    config: TriggerConfig,
    deadline: Deadline,
) -> LinkOutcome:
    """Attach `identity` to the one native user with `email`, creating that user if needed.

    Cognito calls: an existing user costs 2 (ListUsers, AdminLinkProviderForUser); a new one
    costs 4 (plus AdminCreateUser, AdminSetUserPassword); a retry of an attempt that already
    linked costs 1. Learning how a pool takes usernames costs one more AdminCreateUser on a
    container's first creation in a pool where email is a username attribute.
    """
    natives = _native_users_with_email(pool_id, email, deadline)
    if len(natives) > 1:
        raise SignInRefused(
            "Sign-in refused: more than one account uses your email address, so it can't be "
            f"decided which one to sign you in to. Please {SUPPORT} to merge them.",
            reason="ambiguous_email",
        )
    if natives:
        destination = natives[0]
        _check_destination(destination, email, identity, config)
        if destination.has_identity(identity):
            return LinkOutcome(
                "already_linked", "identity_present", destination.username, destination.sub
            )
        return _link(pool_id, destination, identity, deadline, "linked", "existing_user")

    destination, created = _create_native_user(pool_id, email, event_attributes, deadline)
    if not created:
        # Another sign-in (a Cognito retry or a racing IdP) created it first: carry on with
        # it only if it is one this identity may join.
        _check_destination(destination, email, identity, config)
        if destination.has_identity(identity):
            return LinkOutcome(
                "already_linked", "identity_present", destination.username, destination.sub
            )
        return _link(pool_id, destination, identity, deadline, "linked", "created_concurrently")
    _confirm_with_random_password(pool_id, destination.username, deadline)
    return _link(pool_id, destination, identity, deadline, "created_and_linked", "new_user")


def _native_users_with_email(pool_id: str, email: str, deadline: Deadline) -> list[PoolUser]:
    natives: list[PoolUser] = []
    token: str | None = None
    for _ in range(MAX_LIST_PAGES):
        params: dict[str, Any] = {
            "UserPoolId": pool_id,
            # The value was checked free of `"` and `\` (FACTS §6).
            "Filter": f'email = "{email}"',
            "Limit": 60,
        }
        if token:
            params["PaginationToken"] = token
        page = call(COGNITO, "list_users", deadline, **params)
        for data in page.get("Users", []):
            user = PoolUser.from_api(data)
            # Results include federated users, which are never a destination (FACTS §6).
            if user.status != FEDERATED_STATUS and same_ignoring_ascii_case(user.email, email):
                natives.append(user)
        token = page.get("PaginationToken")
        if not token or len(natives) > 1:
            return natives
    # Pages left unread could hold a second native user: undecidable, so do not link.
    raise SignInRefused(
        "Sign-in refused: too many accounts use your email address to decide which one to "
        f"sign you in to. Please {SUPPORT}.",
        reason="ambiguous_email",
    )


def _check_destination(
    user: PoolUser, email: str, identity: FederatedIdentity, config: TriggerConfig
) -> None:
    """Only a native, enabled, verified, finished account may receive the identity (FACTS §8),
    and only one whose email no other sign-in method could have written without being trusted
    for it."""
    provider = identity.provider.name
    if user.status == FEDERATED_STATUS or not same_ignoring_ascii_case(user.email, email):
        raise SignInRefused(
            "Sign-in refused: an account with a conflicting name already exists, so your "
            f"{provider} sign-in can't be linked automatically. Please {SUPPORT}.",
            reason="destination_conflict",
        )
    if not user.enabled:
        raise SignInRefused(
            f"Sign-in refused: the account for your email address is disabled. Please {SUPPORT}.",
            reason="destination_disabled",
        )
    if user.status == "UNCONFIRMED":
        raise SignInRefused(
            "Sign-in refused: an account with your email address was registered but never "
            f"confirmed, so it can't be linked to {provider}. Complete its registration by "
            f"confirming the email address, or {SUPPORT}.",
            reason="destination_unconfirmed",
        )
    if user.status not in LINKABLE_STATUSES:
        raise SignInRefused(
            "Sign-in refused: the account for your email address must first be recovered "
            f"(reset its password), or {SUPPORT}.",
            reason=f"destination_status_{user.status.lower() or 'unknown'}",
        )
    # Exactly "true": Cognito stores the flag as the strings "true" and "false" (FACTS §4).
    if user.attributes.get("email_verified") != "true":
        raise SignInRefused(
            "Sign-in refused: the account with your email address has not verified that "
            f"address, so it can't be linked to {provider}. Sign in with your password and "
            f"verify your email address first, or {SUPPORT}.",
            reason="destination_email_unverified",
        )
    if _untrusted_writer(user, config, identity):
        raise SignInRefused(
            "Sign-in refused: the account with your email address can also be signed in to "
            "through a provider that is not trusted for that address, so it can't be linked "
            f"to {provider} automatically. Please {SUPPORT}.",
            reason="destination_identity_untrusted",
        )
    if not user.has_identity(identity) and len(user.identities()) >= MAX_IDENTITIES:
        raise SignInRefused(
            f"Sign-in refused: your account already has the maximum of {MAX_IDENTITIES} linked "
            f"sign-in methods. Remove one before adding {provider}, or {SUPPORT}.",
            reason="destination_identity_limit",
        )


def _untrusted_writer(
    user: PoolUser, config: TriggerConfig, identity: FederatedIdentity | None = None
) -> bool:
    """Whether a provider linked to `user` could have written its email without trust for it.

    A linked provider's mapping rewrites the user's email (and email_verified) on every
    sign-in through it (FACTS §4), so a verified email on a user proves nothing once such a
    provider could have put it there: one that is not configured, does not link by email, is
    of a type that proves nothing about emails under its trust mode, or may not vouch for the
    email's domain. Linking a new identity to that user would hand it to whoever controls that
    provider (FACTS §8).
    """
    if user.identities_unreadable:
        return True
    domain = email_domain(user.email)
    for linked in user.identities():
        settings = config.providers.get(linked["providerName"])
        if settings is None or not settings.link_by_email or not settings.can_vouch:
            return True
        if not settings.vouches_as_hosted_domain(user.attributes, any_type=False):
            # The user's last sign-in through it came from a Google Workspace whose domain
            # is not listed (the mapping rewrote the stored hosted domain, FACTS §4, §20).
            return True
        if _may_be_unlisted_workspace(settings, domain) and not _is_identity(linked, identity):
            # `identity` itself (a retry after its link) was judged by its own sign-in.
            return True
        if not settings.vouches_for_domain(domain):
            return True
    return False


def _is_identity(linked: dict[str, Any], identity: FederatedIdentity | None) -> bool:
    return (
        identity is not None
        and linked.get("providerName") == identity.provider.name
        and linked.get("userId") == identity.subject
    )


def _may_be_unlisted_workspace(settings: ProviderConfig, domain: str) -> bool:
    """Whether an identity of this provider may be a Workspace account of an unlisted domain
    that wrote an address at `domain` (lower-cased), whatever the stored hosted domain says.

    A stored hosted domain is only a hint: whoever signs in to the user may rewrite or clear
    it (every mapped attribute is writable by the app clients, FACTS §4, §20), and users linked
    before it was mapped lack it. So only the email's domain decides, as for `cogfed-pool
    repair`: the type's consumer domains are never a Workspace's, and a domain in
    email_domains is vouched for even by a Workspace (FACTS §8).
    """
    if settings.type not in HOSTED_DOMAIN_ATTRIBUTES_BY_TYPE:
        return False
    if domain in CONSUMER_EMAIL_DOMAINS_BY_TYPE.get(settings.type, frozenset()):
        return False
    return settings.email_domains is None or not settings.vouches_for_domain(domain)


def _create_native_user(
    pool_id: str, email: str, event_attributes: dict[str, str], deadline: Deadline
) -> tuple[PoolUser, bool]:
    """Create the native user (verified email, no message); (user, False) if it exists.

    Calling AdminCreateUser re-enters pre sign-up as PreSignUp_AdminCreateUser, which
    returns at once (FACTS §2).
    """
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    attributes += [
        {"Name": name, "Value": event_attributes[name]}
        for name in PROFILE_ATTRIBUTES
        if event_attributes.get(name)
    ]
    # A generated name first, in every pool: it is the one nobody can register before us, so
    # a retried or racing creation of the same user always collides with it. Only a pool
    # that takes emails as usernames refuses it ("Username should be an email"), and there
    # the email is unique as a username, which serves the same purpose.
    kind = _username_kind.get(pool_id, "generated")
    tried: set[str] = set()
    while kind not in tried:
        tried.add(kind)
        username = email if kind == "email" else native_username(pool_id, email)
        try:
            answer = call(
                COGNITO,
                "admin_create_user",
                deadline,
                UserPoolId=pool_id,
                Username=username,
                UserAttributes=attributes,
                MessageAction="SUPPRESS",
            )
        except AwsCallError as exc:
            if exc.code == "UsernameExistsException":
                # A retried or racing creation of the same user, or (where emails are
                # usernames) another user holding the email: the caller's checks decide
                # whether it may be joined.
                _username_kind[pool_id] = kind
                return _get_user(pool_id, username, deadline), False
            if exc.code == "AliasExistsException":
                raise SignInRefused(
                    "Sign-in could not be completed because another sign-in for your email "
                    "address is in progress. Please try again in a moment.",
                    reason="create_alias_conflict",
                ) from exc
            other = _other_username_kind(kind, exc)
            if other is None:
                raise
            kind = other
            continue
        _username_kind[pool_id] = kind
        return PoolUser.from_api(answer["User"]), True
    raise SignInRefused(
        f"Sign-in could not be completed: your account could not be created. Please {SUPPORT}.",
        reason="create_username_rejected",
    )


def _other_username_kind(kind: str, exc: AwsCallError) -> str | None:
    # Only a pool whose usernames are emails refuses the generated name, which is tried
    # first: "Username should be an email." Nothing refuses the email after that.
    if exc.code != "InvalidParameterException":
        return None
    message = exc.message.lower()
    if kind == "generated" and "should be" in message and "email" in message:
        return "email"
    return None


def _confirm_with_random_password(pool_id: str, username: str, deadline: Deadline) -> None:
    """Move the new user from FORCE_CHANGE_PASSWORD to CONFIRMED with an unknown password.

    Linking to FORCE_CHANGE_PASSWORD users has been reported to fail (FACTS §8), and only a
    CONFIRMED user can later set a password through forgot-password. A refused password (an
    unusual policy) leaves the user FORCE_CHANGE_PASSWORD, which is still linkable.
    """
    try:
        call(
            COGNITO,
            "admin_set_user_password",
            deadline,
            UserPoolId=pool_id,
            Username=username,
            Password=_random_password(),
            Permanent=True,
        )
    except AwsCallError as exc:
        if exc.code not in ("InvalidPasswordException", "InvalidParameterException"):
            raise


def _random_password() -> str:
    symbols = "!#%&*+-=?@^_~"
    alphabet = string.ascii_letters + string.digits + symbols
    body = [secrets.choice(alphabet) for _ in range(60)]
    body += [
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.digits),
        secrets.choice(symbols),
    ]
    secrets.SystemRandom().shuffle(body)
    return "".join(body)


def _get_user(pool_id: str, username: str, deadline: Deadline) -> PoolUser:
    answer = call(COGNITO, "admin_get_user", deadline, UserPoolId=pool_id, Username=username)
    return PoolUser.from_api(answer)


def admin_link(
    pool_id: str, username: str, provider_name: str, subject: str, deadline: Deadline
) -> None:
    """AdminLinkProviderForUser: the identity (provider name as created, exact-case subject)
    onto the native user `username` (FACTS §1)."""
    call(
        COGNITO,
        "admin_link_provider_for_user",
        deadline,
        UserPoolId=pool_id,
        DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": username},
        SourceUser={
            "ProviderName": provider_name,
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": subject,
        },
    )


def _link(
    pool_id: str,
    destination: PoolUser,
    identity: FederatedIdentity,
    deadline: Deadline,
    decision: str,
    reason: str,
) -> LinkOutcome:
    try:
        admin_link(
            pool_id, destination.username, identity.provider.name, identity.subject, deadline
        )
    except AwsCallError as exc:
        if exc.code == "InvalidParameterException" and MERGING_ERROR in exc.message.lower():
            # The same error means "already linked here" (an earlier attempt whose answer was
            # lost) or "linked to someone else": only the destination's identities tell
            # (FACTS §1).
            fresh = _get_user(pool_id, destination.username, deadline)
            if fresh.has_identity(identity):
                return LinkOutcome(
                    "already_linked", "merge_error_confirmed", fresh.username, fresh.sub
                )
            raise SignInRefused(
                f"Sign-in refused: this {identity.provider.name} identity is already attached "
                f"to another account. Please {SUPPORT}.",
                reason="identity_linked_elsewhere",
            ) from exc
        if exc.code == "LimitExceededException":
            raise SignInRefused(
                f"Sign-in refused: your account already has the maximum of {MAX_IDENTITIES} "
                f"linked sign-in methods. Please {SUPPORT}.",
                reason="destination_identity_limit",
            ) from exc
        if exc.code == "UserNotFoundException":
            raise SignInRefused(
                "Sign-in could not be completed because your account changed during sign-in. "
                "Please try again.",
                reason="destination_vanished",
            ) from exc
        raise
    return LinkOutcome(decision, reason, destination.username, destination.sub)
