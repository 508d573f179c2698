"""Assertions and IdP claims shared by the trigger tests."""

from __future__ import annotations

from typing import Any

from cogfed_tools.cognito_double import SignInResult

VERIFIED = {"email_verified": "true"}


def claims(email: str, verified: bool = True, **extra: str) -> dict[str, str]:
    """IdP claims: an email and whether the IdP says it is verified."""
    return {"email": email, "email_verified": "true" if verified else "false", **extra}


def assert_plain_refusal(result: SignInResult, *secrets: str) -> None:
    """Refused with a message a person can act on, leaking none of `secrets`."""
    assert result.outcome == "refused", result
    message = result.message or ""
    assert message.startswith("PreSignUp failed with error Sign-in"), message
    assert "contact support" in message or "try again" in message.lower(), message
    for secret in secrets:
        assert secret.lower() not in message.lower(), (secret, message)
    for internal in ("Traceback", "Exception", "botocore", "ClientError", "{"):
        assert internal not in message, message


def decision(result: Any) -> dict[str, Any]:
    """The pre sign-up decision line of a sign-in or a trigger call."""
    lines = [d for d in result.decisions if d["trigger"] == "pre_signup"]
    assert len(lines) == 1, result.decisions
    return lines[0]
