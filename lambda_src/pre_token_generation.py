"""Pre token generation trigger (V1_0 and V2_0 events): keep a trusted email verified.

Mapping `email` makes Cognito store `email_verified` = "false" on every federated sign-in
unless the IdP sends `email_verified` (FACTS §4), which breaks forgot-password. For a user
whose every linked identity comes from an IdP trusted `always` and owning the email's
domain, the stored attribute is set back to "true" (one AdminUpdateUserAttributes); in every
other case it is left alone, and when it is already "true" no call is made. Who may be
restored is decided from the event alone; whether the pool allows any restore at all is its
own setting (pool_settings.py): only a pool that holds a user's own email change back until
it is verified, because elsewhere the stored email may be one the user merely typed (FACTS §8).

Token claim: overriding `email_verified` in the token does not change the stored attribute
(FACTS §4), so the claim is overridden only together with a successful restore. Then it is
needed: the event carries the attributes as Cognito stored them for this sign-in, with
"false", and the token would otherwise contradict the stored value just written (whether
Cognito re-reads attributes after the trigger is not documented). When the restore fails or
is not warranted, the token keeps telling the truth. V1_0 overrides take strings only, so a
V1_0 token carries "true"; V2_0 carries the boolean Cognito itself uses.
"""

from __future__ import annotations

import json
import time
from typing import Any

import decision_log
import idp_config
import pool_settings
import trigger_events
from ascii_case import email_domain
from cognito_api import AwsCallError, Deadline, call
from errors import MalformedEventError, ServiceBusy, SignInRefused, TriggerError
from federated_identity import is_filter_safe_email

TRIGGER = "pre_token_generation"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.monotonic()
    deadline = Deadline.for_invocation(context)
    try:
        source = trigger_events.trigger_source(event)
        if source == "TokenGeneration_ClientCredentials":
            return event  # machine-to-machine: no user (V3_0)
        version = _event_version(event)
        attributes = trigger_events.user_attributes(event)
        if attributes.get("email_verified") == "true":
            decision_log.emit(TRIGGER, "unchanged", "already_verified", level="DEBUG")
            return event
        reason = _restore_blocker(attributes)
        if reason is not None:
            decision_log.emit(TRIGGER, "skipped", reason, email=_masked(attributes))
            return event
        pool_id = trigger_events.pool_id(event)
        user_name = trigger_events.user_name(event)
        response = trigger_events.response_object(event)
    except TriggerError as exc:
        decision_log.emit(TRIGGER, "refused", exc.reason, level="WARNING")
        raise
    except Exception as exc:
        decision_log.emit(
            TRIGGER, "refused", f"internal_error:{type(exc).__name__}", level="WARNING"
        )
        raise SignInRefused(
            "Sign-in could not be completed because of an internal error. Please try again; "
            "if it keeps failing, contact support."
        ) from exc

    try:
        if not pool_settings.holds_email_changes(pool_id, deadline):
            decision_log.emit(
                TRIGGER,
                "skipped",
                "pool_applies_email_changes_unverified",
                level="WARNING",
                email=_masked(attributes),
            )
            return event
        call(
            "cognito-idp",
            "admin_update_user_attributes",
            deadline,
            UserPoolId=pool_id,
            Username=user_name,
            # The address is written with the flag: set alone, the flag would verify an
            # address change the user has pending instead (API reference
            # UserAttributeUpdateSettingsType: AdminUpdateUserAttributes with
            # email_verified true verifies an update), while this request can only verify
            # the address this event was judged on (FACTS §20).
            UserAttributes=[
                {"Name": "email", "Value": attributes["email"]},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
    except Exception as exc:
        # A failed repair (or a pool setting that could not be read, which leaves the flag
        # alone) must not block the sign-in, whatever failed (an error answer, the deadline,
        # or the SDK itself: TLS, credentials, proxy); the next sign-in tries again. The
        # exception's text stays out of the log line, as it may carry internals.
        if isinstance(exc, AwsCallError):
            detail = exc.code
        elif isinstance(exc, ServiceBusy):
            detail = exc.reason
        else:
            detail = f"internal_error:{type(exc).__name__}"
        decision_log.emit(
            TRIGGER, "restore_failed", detail, level="WARNING", email=_masked(attributes)
        )
        return event
    _override_claim(response, version)
    decision_log.emit(
        TRIGGER,
        "restored",
        "all_identities_trusted_always",
        email=_masked(attributes),
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    return event


def _restore_blocker(attributes: dict[str, str]) -> str | None:
    """None when the stored email_verified must become "true", else why it must not."""
    # Exactly "false": Cognito stores the flag as the strings "true" and "false" (FACTS §4);
    # anything else is not the value a mapping reset, so it is not repaired.
    if attributes.get("email_verified") != "false":
        return "email_verified_not_false"
    email = attributes.get("email", "")
    if not email or not is_filter_safe_email(email):
        return "no_usable_email"
    identities = _identities(attributes)
    if not identities:
        return "no_linked_identity"
    providers = idp_config.load().providers
    domain = email_domain(email)
    for identity in identities:
        provider = providers.get(identity["providerName"])
        if provider is None:
            return "identity_not_configured"
        if not provider.trusted_always:
            return "identity_not_trusted_always"
        if not provider.vouches_for_domain(domain):
            return "email_outside_domains"
    return None


def _identities(attributes: dict[str, str]) -> list[dict[str, Any]]:
    raw = attributes.get("identities")
    if not raw:
        return []
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise MalformedEventError("request.userAttributes.identities is not JSON") from exc
    if not isinstance(parsed, list) or not all(
        isinstance(i, dict) and isinstance(i.get("providerName"), str) for i in parsed
    ):
        raise MalformedEventError(
            "request.userAttributes.identities is not a list of identities with providerName"
        )
    return parsed


def _event_version(event: dict[str, Any]) -> str:
    version = event.get("version")
    if version is None:
        return "2" if "claimsAndScopeOverrideDetails" in (event.get("response") or {}) else "1"
    if not isinstance(version, str) or version not in ("1", "2", "3"):
        raise MalformedEventError(f'version is {version!r}, expected "1", "2" or "3"')
    return version


def _override_claim(response: dict[str, Any], version: str) -> None:
    if version == "1":
        details = _child(response, "claimsOverrideDetails")
        _child(details, "claimsToAddOrOverride")["email_verified"] = "true"
    else:
        details = _child(response, "claimsAndScopeOverrideDetails")
        id_token = _child(details, "idTokenGeneration")
        _child(id_token, "claimsToAddOrOverride")["email_verified"] = True


def _child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        value = {}
        parent[key] = value
    return value


def _masked(attributes: dict[str, str]) -> dict[str, str] | None:
    return decision_log.mask_email(attributes.get("email"))
