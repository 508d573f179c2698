"""Linking and unlinking that the person confirms: the handler behind the module's HTTPS API.

A sign-in the pre sign-up trigger may not link by email (a provider not trusted for the
address, `untrusted_sign_in = "separate_user"`) becomes a separate federated user. Its owner,
signed in to their own account, links it by proving they control both sides:

    POST /link    {"federated_access_token": "..."}   bearer: the account's access token
    POST /unlink  {"provider": "...", "subject": "..."?}
    GET  /identities

Both access tokens are checked by Cognito itself (GetUser), never by decoding or verifying a
JWT here, and each is bound to this pool by comparing the `sub` GetUser returns with the `sub`
AdminGetUser returns in this pool: a token of another pool names no user here, or another one.
Every check runs before anything changes; then the federated user is deleted (Cognito refuses
to link an identity whose federated profile exists, FACTS §1) and its identity linked to the
account with its exact-case subject, as the trigger would link it (federated_identity.py).
The federated user's token dies with it, so a copied token cannot be replayed; the user must
have been created moments ago (FEDERATED_USER_MAX_AGE_SECONDS), so an old separate account,
which may hold data of its own, is never merged by self-service. The account's own sign-in
must be as recent (the authorizer-verified `auth_time`), so a stolen or long-lived session
cannot add a permanent way in. The two emails must be the same: a linked provider's mapping
rewrites the account's email on every sign-in through it (FACTS §4).

Refusals use the triggers' style: plain words, nothing a token or an IdP sent is repeated, and
one decision line per request (decision_log.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from datetime import UTC, datetime
from typing import Any, NamedTuple

import account_linking
import decision_log
import idp_config
import pool_providers
from account_linking import (
    FEDERATED_STATUS,
    LINKABLE_STATUSES,
    MAX_IDENTITIES,
    PoolUser,
)
from ascii_case import same_ignoring_ascii_case
from cognito_api import LAMBDA_MARGIN_S, AwsCallError, Deadline, call
from errors import ConfigurationError, ServiceBusy, TriggerError
from federated_identity import (
    FederatedIdentity,
    resolve_identity,
    resolve_provider,
    same_subject_apart_from_case,
)

TRIGGER = "confirmed_linking"
COGNITO = "cognito-idp"
# HTTP APIs wait 30 s for an integration; the delete and the link need a few seconds even
# under throttling, so the checks stop and refuse when less than LINK_RESERVE_S is left.
REQUEST_BUDGET_S = 20.0
LINK_RESERVE_S = 5.0
DEFAULT_MAX_AGE_S = 600
# The module's bounds (modules/triggers/variables.tf): both sign-ins are minutes old.
MIN_AGE_S = 30
MAX_AGE_S = 900
MAX_TOKEN_LENGTH = 8192
MAX_BODY_LENGTH = 16384
# A base64 body of MAX_BODY_LENGTH bytes, padding included: longer is refused undecoded.
MAX_ENCODED_BODY_LENGTH = MAX_BODY_LENGTH * 4 // 3 + 4
# Clocks of Cognito and Lambda may differ a little; a time further ahead is not believed.
CLOCK_SKEW_S = 60
# Sign-ins through an identity whose federated user was deleted are reported to fail with
# invalid_grant for about an hour (FACTS §20): the answer says so.
DELETED_IDENTITY_DELAY_S = 3600
SUPPORT = "contact support"


class Refused(TriggerError):
    """The request is refused; nothing was changed unless the message says so."""

    def __init__(self, status: int, code: str, message: str, *, reason: str | None = None):
        super().__init__(message, reason=reason or code)
        self.status = status
        self.code = code


class Settings(NamedTuple):
    pool_id: str
    client_ids: frozenset[str]
    max_age_s: int


class TokenUser(NamedTuple):
    """A user a token belongs to, as GetUser and then AdminGetUser in this pool show it."""

    user: PoolUser
    client_id: str
    created: datetime | None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.monotonic()
    fields: dict[str, Any] = {}
    try:
        route = str(event.get("routeKey", "")) if isinstance(event, dict) else ""
        fields["route"] = route
        settings = _settings()
        deadline = _deadline(context)
        if route == "POST /link":
            body = _link(event, settings, deadline, fields)
        elif route == "POST /unlink":
            body = _unlink(event, settings, deadline, fields)
        elif route == "GET /identities":
            body = _identities(event, settings, deadline, fields)
        else:
            raise Refused(404, "not_found", "There is no such request.", reason="unknown_route")
    except Refused as exc:
        _log("refused", exc.reason, fields, started, "WARNING")
        return _answer(exc.status, {"error": exc.code, "message": exc.message})
    except ConfigurationError as exc:
        _log("refused", exc.reason, fields, started, "ERROR")
        return _answer(500, {"error": "configuration_error", "message": exc.message})
    except ServiceBusy as exc:
        _log("refused", exc.reason, fields, started, "WARNING")
        return _answer(
            503,
            {
                "error": "busy",
                "message": "The sign-in service is busy; nothing was changed. Please try again "
                "in a minute.",
            },
        )
    except AwsCallError as exc:
        _log("refused", f"aws_error:{exc.operation}:{exc.code}", fields, started, "ERROR")
        return _answer(
            502,
            {
                "error": "service_error",
                "message": f"The request could not be completed. Please try again, or {SUPPORT}.",
            },
        )
    except Exception as exc:
        _log("refused", f"internal_error:{type(exc).__name__}", fields, started, "ERROR")
        return _answer(
            500,
            {
                "error": "internal_error",
                "message": f"The request could not be completed. Please try again, or {SUPPORT}.",
            },
        )
    _log(body.pop("_decision"), body.pop("_reason"), fields, started, "INFO")
    return _answer(200, body)


# --------------------------------------------------------------------------- routes


def _link(
    event: dict[str, Any], settings: Settings, deadline: Deadline, fields: dict[str, Any]
) -> dict[str, Any]:
    request = _body(event, required={"federated_access_token"}, optional=set())
    federated_token = request["federated_access_token"]
    if not isinstance(federated_token, str) or not 0 < len(federated_token) <= MAX_TOKEN_LENGTH:
        raise Refused(400, "bad_request", "federated_access_token must be an access token.")
    bearer = _bearer(event)
    caller_client = _caller_client(event, settings)
    if federated_token == bearer:
        raise Refused(
            400,
            "same_user",
            "Both tokens are the same: sign in with the provider "
            "to add first, and send that sign-in's access token.",
        )
    person = _token_user(bearer, settings, deadline, "your account")
    fields["person"] = decision_log.fingerprint(person.user.sub or "")
    _check_recent_sign_in(event, settings)
    federated = _token_user(federated_token, settings, deadline, "the sign-in to add")
    fields["federated"] = decision_log.fingerprint(federated.user.sub or "")
    if person.user.sub == federated.user.sub:
        raise Refused(
            400,
            "same_user",
            "Both tokens belong to the same account: sign in "
            "with the provider to add, and send that sign-in's access token.",
        )
    if federated.client_id != caller_client:
        # The federated token was checked by Cognito (GetUser) above: its claims are Cognito's.
        raise Refused(
            403,
            "token_other_client",
            "The sign-in to add was made through "
            "another application. Sign in with that provider in this application "
            "and try again.",
        )
    config = idp_config.load()
    identity = _linkable_identity(federated, settings, config, deadline)
    fields["provider"] = identity.provider.name
    fields["subject"] = decision_log.fingerprint(identity.subject)
    _check_destination(person.user, identity, settings, deadline)
    _check_same_email(person.user, federated.user, identity)
    if deadline.remaining() < LINK_RESERVE_S:
        raise ServiceBusy(reason="no_time_to_link")
    # Every check passed: from here on the federated user is gone whatever happens next.
    _delete_federated_user(settings.pool_id, federated.user, deadline)
    _link_after_delete(settings.pool_id, person.user, identity, deadline, fields)
    current = _admin_user(settings.pool_id, person.user.username, deadline)
    note = (
        f"Signing in through {identity.provider.name} may fail for up to an hour while "
        "Cognito forgets the separate account it made; sign in another way meanwhile."
    )
    if account_linking._untrusted_writer(current, config):
        # The trigger links a first sign-in only to an account no untrusted provider can
        # reach (account_linking._check_destination, FACTS §8): this account is now one.
        note += (
            " From now on, a first sign-in through another provider is not linked to this "
            "account automatically: link it here instead."
        )
    return {
        "_decision": "linked",
        "_reason": "confirmed_by_both_tokens",
        "linked": {"provider": identity.provider.name},
        "identities": _identity_list(current),
        "note": note,
        "provider_sign_in_from": int(time.time()) + DELETED_IDENTITY_DELAY_S,
    }


def _unlink(
    event: dict[str, Any], settings: Settings, deadline: Deadline, fields: dict[str, Any]
) -> dict[str, Any]:
    request = _body(event, required={"provider"}, optional={"subject"})
    provider = request["provider"]
    subject = request.get("subject")
    if not isinstance(provider, str) or not provider or provider == "Cognito":
        raise Refused(400, "bad_request", "provider must name a linked identity provider.")
    if subject is not None and (not isinstance(subject, str) or not subject):
        raise Refused(400, "bad_request", "subject, when given, must be a linked identity's id.")
    _caller_client(event, settings)
    person = _token_user(_bearer(event), settings, deadline, "your account")
    fields["person"] = decision_log.fingerprint(person.user.sub or "")
    user = person.user
    if user.status == FEDERATED_STATUS:
        raise Refused(403, "not_an_account", "This sign-in is not linked to an account.")
    if user.identities_unreadable:
        raise Refused(
            409, "identities_unreadable", f"Your sign-in methods can't be read; {SUPPORT}."
        )
    matching = [
        i
        for i in user.identities()
        if i.get("providerName") == provider and (subject is None or i.get("userId") == subject)
    ]
    if not matching:
        raise Refused(404, "not_linked", "No such sign-in method is linked to your account.")
    if len(matching) > 1:
        raise Refused(
            400,
            "ambiguous",
            "More than one identity of that provider is linked: "
            "give the subject of the one to remove (GET /identities lists them).",
        )
    chosen = matching[0]
    fields["provider"] = provider
    fields["subject"] = decision_log.fingerprint(str(chosen.get("userId", "")))
    if len(user.identities()) <= 1:
        # The endpoint cannot tell whether the account has a password its owner knows (a user
        # the pre sign-up trigger created has a random one nobody knows, and Cognito reports
        # nothing about passwords): the last linked identity stays.
        raise Refused(
            409,
            "last_sign_in_method",
            "This is the last sign-in method linked to your account, so it can't be removed "
            "here: link another one first. If you have set a password (forgot-password sets "
            f"one), {SUPPORT} to remove it.",
        )
    try:
        call(
            COGNITO,
            "admin_disable_provider_for_user",
            deadline,
            UserPoolId=settings.pool_id,
            User={
                "ProviderName": provider,
                "ProviderAttributeName": "Cognito_Subject",
                # The exact subject it was linked with (FACTS §1): Cognito's own copy.
                "ProviderAttributeValue": str(chosen.get("userId", "")),
            },
        )
    except AwsCallError as exc:
        if exc.code not in ("UserNotFoundException", "ResourceNotFoundException"):
            raise
        # Already removed (a repeated request): the answer below shows the identities now.
    current = _admin_user(settings.pool_id, user.username, deadline)
    if any(
        i.get("providerName") == provider and i.get("userId") == chosen.get("userId")
        for i in current.identities()
    ):
        raise ServiceBusy(reason="unlink_not_visible")
    if not current.identities_unreadable and not current.identities():
        # Another request removed the other method meanwhile (both saw two): put this one back.
        _restore_last_identity(settings.pool_id, current, provider, chosen, deadline, fields)
    return {
        "_decision": "unlinked",
        "_reason": "requested_by_owner",
        "unlinked": {"provider": provider},
        "identities": _identity_list(current),
    }


def _identities(
    event: dict[str, Any], settings: Settings, deadline: Deadline, fields: dict[str, Any]
) -> dict[str, Any]:
    _caller_client(event, settings)
    person = _token_user(_bearer(event), settings, deadline, "your account")
    fields["person"] = decision_log.fingerprint(person.user.sub or "")
    return {
        "_decision": "listed",
        "_reason": "identities",
        "identities": _identity_list(person.user),
    }


# --------------------------------------------------------------------------- checks


def _token_user(token: str, settings: Settings, deadline: Deadline, whose: str) -> TokenUser:
    """The user of `token` in THIS pool, or a refusal: Cognito checks the token (GetUser)."""
    try:
        answer = call(COGNITO, "get_user", deadline, AccessToken=token)
    except AwsCallError as exc:
        if exc.code in ("NotAuthorizedException", "UserNotFoundException"):
            raise Refused(
                401,
                "token_invalid",
                f"The access token of {whose} is not valid (expired, signed out, or its user "
                "was removed). Sign in again and retry.",
                reason=f"token_invalid:{exc.code}",
            ) from exc
        raise
    username = str(answer.get("Username", ""))
    attributes = {a["Name"]: a.get("Value", "") for a in answer.get("UserAttributes", [])}
    found = _admin_get(settings.pool_id, username, deadline)
    user = found[0] if found else None
    if user is None or not attributes.get("sub") or user.sub != attributes.get("sub"):
        raise Refused(
            403,
            "token_other_pool",
            f"The access token of {whose} was not issued by this application's user pool.",
        )
    if not user.enabled:
        raise Refused(
            403, "user_disabled", f"The account of {whose} is disabled. Please {SUPPORT}."
        )
    return TokenUser(user, _claim(token, "client_id"), found[1] if found else None)


def _linkable_identity(
    federated: TokenUser,
    settings: Settings,
    config: idp_config.TriggerConfig,
    deadline: Deadline,
) -> FederatedIdentity:
    """The identity a fresh, single-identity federated user of a provider that allows
    confirmed linking holds, with its exact-case subject (as the trigger reads it)."""
    user = federated.user
    if user.status != FEDERATED_STATUS:
        raise Refused(
            403,
            "not_a_federated_sign_in",
            "The sign-in to add must be a sign-in "
            "through an identity provider that made a separate account.",
        )
    linked = user.identities()
    if user.identities_unreadable or len(linked) != 1:
        raise Refused(
            403,
            "not_a_single_identity",
            "The sign-in to add holds more than one "
            f"identity, so it can't be linked here. Please {SUPPORT}.",
        )
    try:
        provider = resolve_provider(user.username, config)
    except TriggerError as exc:
        raise Refused(
            403,
            "provider_not_allowed",
            "That identity provider is not set up for linking in this application.",
            reason=exc.reason,
        ) from exc
    if provider.untrusted_sign_in != "separate_user":
        raise Refused(
            403,
            "provider_not_allowed",
            f"{provider.name} sign-ins can't be linked "
            f"by confirmation in this application. Please {SUPPORT}.",
        )
    # The same checks the trigger makes before it links (FACTS §2): the pool's own provider
    # list must show exactly one provider fitting the username, of the configured type.
    try:
        pool_providers.ensure_sole_match(settings.pool_id, provider, user.username, deadline)
        identity = resolve_identity(provider, user.username, user.attributes, config)
    except ServiceBusy:
        raise
    except TriggerError as exc:
        raise Refused(
            403,
            "identity_unusable",
            f"This {provider.name} sign-in can't be linked: "
            f"its identity can't be read exactly. Please {SUPPORT}.",
            reason=exc.reason,
        ) from exc
    own = linked[0]
    recorded = str(own.get("userId", ""))
    # Cognito's own record of the identity (`identities`, which no user can write, FACTS §5)
    # must be the subject the mapped copy names, exactly; a copy the user rewrote (a mapped
    # attribute is writable, FACTS §4), even only in case, is never linked: in a
    # case-insensitive pool another person's subject may differ from hers in case alone.
    if (
        own.get("providerName") == provider.name
        and recorded != identity.subject
        and not config.case_sensitive
        and same_subject_apart_from_case(identity.subject, recorded, case_sensitive=False)
    ):
        # The record may have lost the case the copy keeps (unconfirmed, FACTS §20), or the
        # copy was rewritten: which one can't be told, so nothing is linked.
        raise Refused(
            403,
            "identity_unusable",
            f"This {provider.name} sign-in can't be linked here: its identity's exact case "
            f"can't be confirmed. Please {SUPPORT}.",
            reason="identity_record_case",
        )
    if own.get("providerName") != provider.name or recorded != identity.subject:
        raise Refused(
            403,
            "identity_unusable",
            f"This {provider.name} sign-in can't be linked: its identity is inconsistent. "
            f"Please {SUPPORT}.",
            reason="identity_record_mismatch",
        )
    created = federated.created
    age = None if created is None else (datetime.now(UTC) - created).total_seconds()
    if age is None or age > settings.max_age_s or age < -CLOCK_SKEW_S:
        raise Refused(
            403,
            "federated_user_not_fresh",
            f"Sign in with {provider.name} again "
            "right before linking; a separate account older than a few minutes can't "
            f"be linked here. Please {SUPPORT} to merge it.",
        )
    return identity


def _check_destination(
    user: PoolUser, identity: FederatedIdentity, settings: Settings, deadline: Deadline
) -> None:
    """The account must be able to take the identity now: everything Cognito would refuse
    after the federated user is deleted is refused here first (FACTS §1)."""
    if user.status == FEDERATED_STATUS:
        raise Refused(
            403,
            "destination_not_native",
            "Sign in to your main account (not a "
            "separate provider account) to link another sign-in method.",
        )
    if user.status not in LINKABLE_STATUSES:
        raise Refused(
            403,
            "destination_unconfirmed",
            "Your account must be confirmed before another sign-in method can be linked to it.",
            reason=f"destination_status_{user.status.lower() or 'unknown'}",
        )
    if user.identities_unreadable:
        raise Refused(
            409, "identities_unreadable", f"Your sign-in methods can't be read; {SUPPORT}."
        )
    if user.has_identity(identity):
        raise Refused(409, "already_linked", "That identity is already linked to your account.")
    if len(user.identities()) >= MAX_IDENTITIES:
        # Checked without a lock: two links racing at the limit both pass, and the second
        # deletes its separate user for nothing (answered "deleted_not_linked"). Only the
        # account's owner, holding both sign-ins twice over, can start both: no lock for that.
        raise Refused(
            409,
            "identity_limit",
            f"Your account already has the maximum of "
            f"{MAX_IDENTITIES} linked sign-in methods: remove one first.",
        )
    immutable = _immutable_custom_attributes(settings.pool_id, deadline)
    if any(name in user.attributes for name in immutable):
        # Cognito refuses to link a user holding an immutable custom attribute (FACTS §1).
        raise Refused(
            409,
            "destination_immutable_attribute",
            "Your account can't take linked "
            f"sign-in methods (it has a fixed attribute). Please {SUPPORT}.",
        )


def _check_recent_sign_in(event: dict[str, Any], settings: Settings) -> None:
    """The account's sign-in must be minutes old: a stolen or planted session, or one left
    open, must not add a permanent way into the account. `auth_time` is read from the claims
    the API's JWT authorizer verified (FACTS §20), never from the token itself."""
    raw = _authorizer_claims(event).get("auth_time")
    # HTTP APIs pass claims as strings; a number is taken too.
    text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    age = time.time() - int(text) if text.isdigit() else None
    if age is None or age > settings.max_age_s or age < -CLOCK_SKEW_S:
        raise Refused(
            403,
            "sign_in_not_recent",
            "Sign in again right before linking: your sign-in to this account is too old "
            "to add a sign-in method.",
            reason="bearer_auth_time_not_recent" if age is not None else "bearer_no_auth_time",
        )


def _check_same_email(account: PoolUser, federated: PoolUser, identity: FederatedIdentity) -> None:
    """The sign-in to add must carry the account's email, compared as the triggers compare
    emails (ascii_case.py): once linked, its provider's mapping writes its email into the
    account on every sign-in through it (FACTS §4), which would let an address nobody
    verified replace the account's."""
    provider = identity.provider.name
    if not federated.email:
        # Nothing would be written now, but the next sign-in through a provider that starts
        # sending an email would write one no one checked: refused like a different email.
        raise Refused(
            403,
            "email_missing",
            f"Your {provider} account did not share an email address, which must be the same "
            f"as this account's: allow {provider} to share it and sign in with {provider} "
            f"again, or {SUPPORT}.",
        )
    if not same_ignoring_ascii_case(account.email, federated.email):
        raise Refused(
            403,
            "email_differs",
            f"The email of your {provider} account differs from this account's: make them "
            f"the same there, or {SUPPORT}.",
        )


def _immutable_custom_attributes(pool_id: str, deadline: Deadline) -> frozenset[str]:
    answer = call(COGNITO, "describe_user_pool", deadline, UserPoolId=pool_id)
    schema = (answer.get("UserPool") or {}).get("SchemaAttributes") or []
    return frozenset(
        "custom:" + str(a.get("Name", "")).removeprefix("custom:")
        for a in schema
        if str(a.get("Name", "")).startswith("custom:") and a.get("Mutable") is False
    )


# --------------------------------------------------------------------------- changes


def _delete_federated_user(pool_id: str, user: PoolUser, deadline: Deadline) -> None:
    try:
        call(COGNITO, "admin_delete_user", deadline, UserPoolId=pool_id, Username=user.username)
    except AwsCallError as exc:
        if exc.code != "UserNotFoundException":
            raise
        # Deleted by a repeated request a moment ago: its link attempt follows, or followed.


def _link_after_delete(
    pool_id: str,
    destination: PoolUser,
    identity: FederatedIdentity,
    deadline: Deadline,
    fields: dict[str, Any],
) -> None:
    """The trigger's own link (account_linking.py): exact-case subject, and a "merging" error
    taken as success only when the destination holds the identity (FACTS §1)."""
    try:
        account_linking._link(pool_id, destination, identity, deadline, "linked", "confirmed")
        return
    except (AwsCallError, TriggerError) as exc:
        problem = exc.code if isinstance(exc, AwsCallError) else exc.reason
    fields["problem"] = problem
    decision_log.emit(
        TRIGGER, "deleted_not_linked", "link_failed_after_delete", level="ERROR", **fields
    )
    raise Refused(
        409,
        "deleted_not_linked",
        f"Your separate {identity.provider.name} account was removed, but linking "
        f"{identity.provider.name} to your account failed. Your account is unchanged; your "
        f"next {identity.provider.name} sign-in follows the usual rules (it may fail for up "
        f"to an hour). Please try linking again later, or {SUPPORT}.",
        reason=f"link_failed_after_delete:{problem}",
    )


def _restore_last_identity(
    pool_id: str,
    account: PoolUser,
    provider: str,
    removed: dict[str, Any],
    deadline: Deadline,
    fields: dict[str, Any],
) -> None:
    """Link back the identity just removed from an account left with none. No user holds it
    (its link was removed, and its next sign-in has not happened), so Cognito links it again
    (FACTS §1); then the request is refused as a last-method removal."""
    try:
        account_linking.admin_link(
            pool_id, account.username, provider, str(removed.get("userId", "")), deadline
        )
        restored = "restored"
    except AwsCallError as exc:
        restored = f"restore_failed:{exc.code}"
    level = "WARNING" if restored == "restored" else "ERROR"
    decision_log.emit(TRIGGER, "unlink_undone", f"last_identity_{restored}", level=level, **fields)
    raise Refused(
        409,
        "last_sign_in_method",
        "Another request removed your other sign-in method meanwhile, so this one can't be "
        + (
            "removed: it is still linked."
            if restored == "restored"
            else f"removed, and putting it back failed. Please {SUPPORT}."
        ),
        reason=f"last_identity_{restored}",
    )


# --------------------------------------------------------------------------- plumbing


def _settings() -> Settings:
    pool_id = os.environ.get("USER_POOL_ID", "")
    if "_" not in pool_id:
        raise ConfigurationError("USER_POOL_ID is not set", "set USER_POOL_ID to the pool's id")
    try:
        clients = json.loads(os.environ.get("APP_CLIENT_IDS", ""))
    except ValueError:
        clients = None
    if not isinstance(clients, list) or not clients or not all(isinstance(c, str) for c in clients):
        raise ConfigurationError(
            "APP_CLIENT_IDS is not a JSON list of app client ids",
            "set APP_CLIENT_IDS to the app clients allowed to call the endpoint",
        )
    raw_age = os.environ.get("FEDERATED_USER_MAX_AGE_SECONDS", str(DEFAULT_MAX_AGE_S))
    if not raw_age.isdigit() or not MIN_AGE_S <= int(raw_age) <= MAX_AGE_S:
        raise ConfigurationError(
            f"FEDERATED_USER_MAX_AGE_SECONDS must be {MIN_AGE_S} to {MAX_AGE_S}",
            "set it to how many seconds before a link both sign-ins may have been made",
        )
    return Settings(pool_id, frozenset(clients), int(raw_age))


def _deadline(context: Any) -> Deadline:
    budget = REQUEST_BUDGET_S
    getter = getattr(context, "get_remaining_time_in_millis", None)
    remaining_ms = getter() if callable(getter) else None
    if isinstance(remaining_ms, int | float):
        budget = min(budget, remaining_ms / 1000.0 - LAMBDA_MARGIN_S)
    return Deadline(max(budget, 0.0))


def _bearer(event: dict[str, Any]) -> str:
    headers = event.get("headers") or {}
    raw = next((v for k, v in headers.items() if str(k).lower() == "authorization"), "")
    scheme, _, token = str(raw).partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else str(raw).strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise Refused(401, "token_invalid", "Send your access token as 'Authorization: Bearer'.")
    return token


def _caller_client(event: dict[str, Any], settings: Settings) -> str:
    """The app client of the bearer token, as the API's JWT authorizer verified it."""
    claims = _authorizer_claims(event)
    client_id = claims.get("client_id")
    if claims.get("token_use") != "access" or client_id not in settings.client_ids:
        raise Refused(
            401,
            "token_other_client",
            "Send the access token this application received when you signed in.",
        )
    return str(client_id)


def _authorizer_claims(event: dict[str, Any]) -> dict[str, Any]:
    """The bearer's claims as the API's JWT authorizer verified them (signature, expiry,
    issuer, client: FACTS §20)."""
    claims = (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get(
        "claims"
    )
    return claims if isinstance(claims, dict) else {}


def _body(event: dict[str, Any], *, required: set[str], optional: set[str]) -> dict[str, Any]:
    raw = event.get("body") or ""
    too_big = Refused(400, "bad_request", "The request body must be a small JSON object.")
    if not isinstance(raw, str):
        raise too_big
    if event.get("isBase64Encoded"):
        # Measured before decoding, so a huge body is never decoded.
        if len(raw) > MAX_ENCODED_BODY_LENGTH:
            raise too_big
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Refused(400, "bad_request", "The request body must be JSON.") from exc
    if len(raw) > MAX_BODY_LENGTH:
        raise too_big
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        # Deep nesting exhausts the parser's recursion: malformed, not a failure of ours.
        raise Refused(400, "bad_request", "The request body must be JSON.") from exc
    if not isinstance(data, dict) or not required <= set(data) or set(data) - required - optional:
        fields = ", ".join(sorted(required | optional))
        raise Refused(400, "bad_request", f"The request body must be a JSON object with {fields}.")
    return data


def _claim(token: str, name: str) -> str:
    """A claim of a token Cognito has just accepted (GetUser): read, not verified, here."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return ""
    value = claims.get(name) if isinstance(claims, dict) else None
    return value if isinstance(value, str) else ""


def _admin_user(pool_id: str, username: str, deadline: Deadline) -> PoolUser:
    found = _admin_get(pool_id, username, deadline)
    if found is None:
        raise Refused(409, "account_changed", "Your account changed during the request; retry.")
    return found[0]


def _admin_get(
    pool_id: str, username: str, deadline: Deadline
) -> tuple[PoolUser, datetime | None] | None:
    """AdminGetUser in this pool, with UserCreateDate; None when no such user."""
    try:
        answer = call(COGNITO, "admin_get_user", deadline, UserPoolId=pool_id, Username=username)
    except AwsCallError as exc:
        if exc.code in ("UserNotFoundException", "InvalidParameterException"):
            return None
        raise
    return PoolUser.from_api(answer), _date(answer.get("UserCreateDate"))


def _date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return None


def _identity_list(user: PoolUser) -> list[dict[str, Any]]:
    return [
        {
            "provider": str(i.get("providerName", "")),
            "subject": str(i.get("userId", "")),
            "linked_at": i.get("dateCreated"),
        }
        for i in user.identities()
    ]


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", "cache-control": "no-store"},
        "body": json.dumps(body, sort_keys=True),
    }


def _log(decision: str, reason: str, fields: dict[str, Any], started: float, level: str) -> None:
    decision_log.emit(
        TRIGGER,
        decision,
        reason,
        level=level,
        duration_ms=round((time.monotonic() - started) * 1000),
        **fields,
    )
