"""Exceptions the triggers raise to stop a sign-in.

Cognito shows a pre sign-up exception's message to the user in the callback URL as
"PreSignUp failed with error <message>" (FACTS §2), so every message here is written for a
person: what went wrong and what to do, never secrets, tokens, emails or subjects.
"""

from __future__ import annotations


class TriggerError(Exception):
    """Base class: the sign-in is refused and the message says why."""

    #: Short machine-readable reason for the decision log.
    reason: str = "refused"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    @property
    def message(self) -> str:
        return str(self.args[0])


class SignInRefused(TriggerError):
    """Linking would be unsafe or impossible; nothing was changed by this decision."""


class ServiceBusy(SignInRefused):
    """Cognito or DynamoDB was too slow or throttled to finish inside the time budget."""

    reason = "service_busy"

    def __init__(self, message: str | None = None, *, reason: str | None = None) -> None:
        super().__init__(
            message
            or "Sign-in is temporarily unavailable because the sign-in service is busy. "
            "Please try again in a minute.",
            reason=reason,
        )


class ConfigurationError(TriggerError):
    """The environment the module sets is missing or invalid: an administrator must fix it."""

    reason = "configuration_error"

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(
            "Sign-in is unavailable because the account-linking configuration is invalid: "
            f"{problem}. An administrator must {fix}."
        )


class MalformedEventError(TriggerError):
    """The trigger event does not have the shape Cognito sends."""

    reason = "malformed_event"

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"Sign-in failed because the sign-in request was malformed: {problem}. "
            "Please try again; if it keeps failing, contact support."
        )
