"""AWS calls under a deadline: lazy clients, bounded timeouts, retries that stop in time.

Cognito waits 5 seconds for a trigger and then retries it (FACTS §2), so a trigger must
answer well inside that even when Cognito is slow or throttling: every call here is bounded
by a deadline (3 s, or less when the Lambda has less time left). botocore's own retries are
off because they do not know the deadline; the loop below retries throttling, 5xx and
network timeouts only while an attempt can still finish in time.

boto3 is imported on first use, so an invocation that needs no AWS call pays no SDK import,
and clients are created once per container (FACTS §7: every call spends shared quotas, so
the callers keep calls to the minimum).
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from errors import ServiceBusy

TRIGGER_BUDGET_S = 3.0
# Time kept back from the Lambda's own limit to return or raise cleanly.
LAMBDA_MARGIN_S = 0.25
# (connect_timeout, read_timeout) per attempt, longest first: each attempt uses the longest
# that still fits in the time left, so a slow service gets a fair first try and later
# attempts shrink instead of overrunning the deadline.
ATTEMPT_TIMEOUTS: tuple[tuple[float, float], ...] = ((1.0, 1.5), (0.5, 0.75), (0.25, 0.4))
MAX_ATTEMPTS = 4
_BACKOFF_BASE_S = 0.05
_BACKOFF_CAP_S = 0.4

RETRYABLE_CODES = frozenset(
    {
        "TooManyRequestsException",  # Cognito's throttling signal (FACTS §7)
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalErrorException",
        "InternalServerError",
        "ServiceUnavailable",
        "RequestTimeout",
    }
)


class Deadline:
    """The moment by which a trigger must have returned or raised."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    @classmethod
    def for_invocation(cls, context: Any) -> Deadline:
        budget = TRIGGER_BUDGET_S
        remaining_ms = None
        getter = getattr(context, "get_remaining_time_in_millis", None)
        if callable(getter):
            remaining_ms = getter()
        if isinstance(remaining_ms, int | float):
            budget = min(budget, remaining_ms / 1000.0 - LAMBDA_MARGIN_S)
        return cls(max(budget, 0.0))

    def remaining(self) -> float:
        return self._end - time.monotonic()


class AwsCallError(Exception):
    """A non-retryable error answer from an AWS API, without botocore types."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(operation, code, message)
        self.operation = operation
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.operation}: {self.code}: {self.message}"


_clients: dict[tuple[str, int, str | None, str | None], Any] = {}


def reset_clients() -> None:
    """Forget cached clients (a new endpoint or session in the same process)."""
    _clients.clear()


def _region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def _client(service: str, tier: int) -> Any:
    key = (service, tier, _region(), os.environ.get("AWS_ENDPOINT_URL"))
    client = _clients.get(key)
    if client is None:
        import boto3  # deferred: invocations without AWS calls never import the SDK
        from botocore.config import Config

        connect_timeout, read_timeout = ATTEMPT_TIMEOUTS[tier]
        client = boto3.client(
            service,
            region_name=_region(),
            config=Config(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                # One attempt per call: the loop in call() retries against the deadline.
                # ("max_attempts" would count retries, not attempts.)
                retries={"total_max_attempts": 1, "mode": "standard"},
            ),
        )
        _clients[key] = client
    return client


def _tier_for(remaining: float) -> int | None:
    for tier, (connect_timeout, read_timeout) in enumerate(ATTEMPT_TIMEOUTS):
        if connect_timeout + read_timeout <= remaining:
            return tier
    return None


def call(
    service: str,
    operation: str,
    deadline: Deadline,
    *,
    attempts: int = MAX_ATTEMPTS,
    **params: Any,
) -> dict[str, Any]:
    """Call `operation` (snake_case) on `service`, retrying only while time allows.

    Raises AwsCallError for an error answer that retrying cannot fix, ServiceBusy when the
    deadline (or `attempts`) runs out first.
    """
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    last_problem = "no attempt fitted in the time left"
    for attempt in range(attempts):
        tier = _tier_for(deadline.remaining())
        if tier is None:
            break
        try:
            return getattr(_client(service, tier), operation)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code not in RETRYABLE_CODES and not (isinstance(status, int) and status >= 500):
                raise AwsCallError(operation, code, str(error.get("Message", ""))) from exc
            last_problem = code
        except (
            ReadTimeoutError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ConnectionClosedError,
        ) as exc:
            last_problem = type(exc).__name__
        # Full-jitter backoff, never sleeping into the time the next attempt needs.
        pause = random.uniform(0, min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2**attempt))
        smallest = sum(ATTEMPT_TIMEOUTS[-1])
        if deadline.remaining() - pause < smallest:
            break
        time.sleep(pause)
    raise ServiceBusy(reason=f"service_busy:{operation}:{last_problem}")
