"""Pre sign-up trigger: land every federated first sign-in on the one native user.

`PreSignUp_SignUp` and `PreSignUp_AdminCreateUser` return at once (the latter is this
trigger's own AdminCreateUser re-entering, FACTS §2). `PreSignUp_ExternalProvider` links the
identity to the native user with the same email when that is safe, creating the user when
none exists; when it is not safe the sign-in is refused with a message saying why, and
nothing is changed. Cognito retries a trigger that times out (FACTS §2), so every step is
idempotent.
"""

from __future__ import annotations

import time
from typing import Any

import account_linking
import decision_log
import idp_config
import pool_providers
import profile_store
import pseudonyms
import trigger_events
from cognito_api import AwsCallError, Deadline
from errors import SignInRefused, TriggerError
from federated_identity import linkable_email, resolve_identity, resolve_provider

TRIGGER = "pre_signup"
RETURN_AT_ONCE = frozenset({"PreSignUp_SignUp", "PreSignUp_AdminCreateUser"})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.monotonic()
    fields: dict[str, Any] = {}
    try:
        source = trigger_events.trigger_source(event)
        if source in RETURN_AT_ONCE:
            decision_log.emit(TRIGGER, "skipped", "not_federated", level="DEBUG", source=source)
            return event
        fields["source"] = source
        if source != "PreSignUp_ExternalProvider":
            raise SignInRefused(
                "Sign-in refused: this kind of sign-up is not supported. Please contact support.",
                reason="unexpected_trigger_source",
            )
        _link_federated_sign_in(event, Deadline.for_invocation(context), fields, started)
    except TriggerError as exc:
        _log_refusal(exc.reason, fields, started)
        raise
    except AwsCallError as exc:
        _log_refusal(f"aws_error:{exc.operation}:{exc.code}", fields, started)
        raise SignInRefused(
            "Sign-in could not be completed because your account could not be set up "
            "automatically. Please try again; if it keeps failing, contact support."
        ) from exc
    except Exception as exc:
        # Fail closed without leaking internals into the user's callback URL (FACTS §2).
        _log_refusal(f"internal_error:{type(exc).__name__}", fields, started)
        raise SignInRefused(
            "Sign-in could not be completed because of an internal error. Please try again; "
            "if it keeps failing, contact support."
        ) from exc
    return event


def _link_federated_sign_in(
    event: dict[str, Any], deadline: Deadline, fields: dict[str, Any], started: float
) -> None:
    pool_id = trigger_events.pool_id(event)
    user_name = trigger_events.user_name(event)
    attributes = trigger_events.user_attributes(event)
    config = idp_config.load()
    provider = resolve_provider(user_name, config)
    fields["provider"] = provider.name
    if not provider.link_by_email:
        # The pool owner chose not to link this IdP: Cognito creates its own user for it.
        decision_log.emit(TRIGGER, "skipped", "link_by_email_off", **fields)
        return
    identity = resolve_identity(provider, user_name, attributes, config)
    fields["subject"] = decision_log.fingerprint(identity.subject)
    fields["email"] = decision_log.mask_email(attributes.get("email"))
    try:
        email = linkable_email(identity.provider, attributes)
    except SignInRefused as exc:
        if provider.untrusted_sign_in != "separate_user":
            raise
        # Not linked by email, and not refused: Cognito creates its own user for the identity
        # (as with link_by_email off), which its owner may link by proving both sides
        # (confirmed_linking.py). No existing user is read or changed.
        decision_log.emit(TRIGGER, "skipped", f"separate_user:{exc.reason}", **fields)
        return
    if not pseudonyms.secret_is_configured():
        fields["linking_secret"] = "missing"
    # Last, as it is the first AWS call: only a sign-in that configuration alone would link
    # pays for reading the pool's providers.
    pool_providers.ensure_sole_match(pool_id, provider, user_name, deadline)
    outcome = account_linking.link_by_email(pool_id, identity, email, attributes, config, deadline)
    profile = profile_store.record_first_sign_in(
        outcome.sub, attributes, identity.provider.name, deadline
    )
    decision_log.emit(
        TRIGGER,
        outcome.decision,
        outcome.reason,
        destination=decision_log.fingerprint(outcome.username),
        profile=profile,
        duration_ms=round((time.monotonic() - started) * 1000),
        **fields,
    )


def _log_refusal(reason: str, fields: dict[str, Any], started: float) -> None:
    decision_log.emit(
        TRIGGER,
        "refused",
        reason,
        level="WARNING",
        duration_ms=round((time.monotonic() - started) * 1000),
        **fields,
    )
