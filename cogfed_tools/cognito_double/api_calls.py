"""Count the AWS API calls code makes, at the botocore layer.

A `before-call` handler on boto3's default session sees every operation any client made from
that session performs, whichever endpoint answers (moto in-process or a server), so counts
hold in both modes. botocore copies a session's handlers into each client when the client is
created, so the hook is installed before the triggers' clients exist (their cache is reset
whenever the hook has to be installed again).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"
if str(LAMBDA_SRC) not in sys.path:
    sys.path.insert(0, str(LAMBDA_SRC))

_HOOK_ID = "cognito-double-api-call-counter"
_hooked_session: Any = None
_recorders: list[ApiCalls] = []


class ApiCalls:
    """Operation names per service, e.g. `calls.cognito["ListUsers"]`."""

    def __init__(self) -> None:
        self.by_service: dict[str, Counter[str]] = {}

    def record(self, service: str, operation: str) -> None:
        self.by_service.setdefault(service, Counter())[operation] += 1

    @property
    def cognito(self) -> Counter[str]:
        return self.by_service.get("cognito-idp", Counter())

    @property
    def dynamodb(self) -> Counter[str]:
        return self.by_service.get("dynamodb", Counter())

    def total(self, service: str = "cognito-idp") -> int:
        return sum(self.by_service.get(service, Counter()).values())


def _on_before_call(model: Any, **_: Any) -> None:
    if _recorders:
        # The innermost recorder owns the call: a sign-in nested in another (a race played
        # inside a hook) is counted for itself.
        _recorders[-1].record(model.service_model.endpoint_prefix, model.name)


def ensure_hook() -> None:
    """Hook boto3's default session; reset the triggers' clients if it had to be hooked.

    `mock_aws()` swaps boto3's default session for None while it runs; the hooked session is
    put back then, so clients (created once per container in Lambda) survive across tests.
    """
    global _hooked_session
    session = boto3.DEFAULT_SESSION
    if session is None and _hooked_session is not None:
        boto3.DEFAULT_SESSION = _hooked_session
        return
    if session is None:
        boto3.setup_default_session()
        session = boto3.DEFAULT_SESSION
    if session is _hooked_session:
        return
    session.events.register("before-call", _on_before_call, unique_id=_HOOK_ID)
    _hooked_session = session
    import cognito_api

    cognito_api.reset_clients()


@contextmanager
def counting() -> Iterator[ApiCalls]:
    ensure_hook()
    calls = ApiCalls()
    _recorders.append(calls)
    try:
        yield calls
    finally:
        _recorders.remove(calls)
