"""Shape checks for the events Cognito sends the triggers.

A malformed event stops the sign-in with a message that names the field, before any AWS call
is made, so nothing is changed.
"""

from __future__ import annotations

import re
from typing import Any

from errors import MalformedEventError

# UserPoolIdType pattern from the Cognito API reference.
_POOL_ID = re.compile(r"[\w-]+_[0-9a-zA-Z]+", re.ASCII)
# A federated userName is `<ProviderName>_<subject>`: a ProviderName has at most 32
# characters (API reference) and a subject, like every mapped value, at most 2,048 (FACTS §4).
MAX_USER_NAME_LENGTH = 32 + 1 + 2048


def trigger_source(event: Any) -> str:
    if not isinstance(event, dict):
        raise MalformedEventError(f"the event is a {type(event).__name__}, not an object")
    source = event.get("triggerSource")
    if not isinstance(source, str) or not source:
        raise MalformedEventError("triggerSource is missing or not a string")
    return source


def pool_id(event: dict[str, Any]) -> str:
    value = event.get("userPoolId")
    if not isinstance(value, str) or not _POOL_ID.fullmatch(value) or len(value) > 55:
        raise MalformedEventError("userPoolId is missing or not a user pool ID")
    return value


def user_name(event: dict[str, Any]) -> str:
    value = event.get("userName")
    if not isinstance(value, str) or not value:
        raise MalformedEventError("userName is missing or not a string")
    if len(value) > MAX_USER_NAME_LENGTH:
        raise MalformedEventError(f"userName is longer than {MAX_USER_NAME_LENGTH} characters")
    # Control, format and separator characters (NUL, newline, zero-width or bidirectional
    # marks, non-breaking spaces) would end up in a link's subject and in log lines; Cognito's
    # username pattern admits none of them (API reference UsernameType). The ASCII space is
    # let through: a SAML NameID in X.509 subject form contains it, and it hides nothing.
    if not value.isprintable():
        raise MalformedEventError("userName contains control or invisible characters")
    return value


def user_attributes(event: dict[str, Any]) -> dict[str, str]:
    request = event.get("request")
    if not isinstance(request, dict):
        raise MalformedEventError("request is missing or not an object")
    attributes = request.get("userAttributes")
    if not isinstance(attributes, dict):
        raise MalformedEventError("request.userAttributes is missing or not an object")
    for name, value in attributes.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise MalformedEventError(
                f"request.userAttributes[{name!r}] is a {type(value).__name__}, not a string"
            )
    return attributes


def response_object(event: dict[str, Any]) -> dict[str, Any]:
    """The event's response object, created when Cognito sent null."""
    response = event.get("response")
    if response is None:
        response = {}
        event["response"] = response
    if not isinstance(response, dict):
        raise MalformedEventError("response is not an object")
    return response
