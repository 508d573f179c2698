"""Cognito calls for a live pool: the caller's credentials, a rate per quota category, retries.

Every call is charged to its quota category (the facts table, from the developer guide's
quotas page; FACTS §7) and paced so that the tool spends at most `share` of each category's
default rate: quotas are per account and Region, shared with the pool's own sign-ins and
every other caller, so the tool must leave them most of it. Throttling
(TooManyRequestsException) is retried with backoff; other errors reach the caller as
`PoolCallError` with the operation, code and message. Calls are counted by operation for the
reports and the benchmark.

Where the calls go: `--endpoint-url` when given (every client, and the trigger code prelink
runs), else boto3's own configuration. boto3 reads `AWS_ENDPOINT_URL` and, per service, a
variable named after the service's ID in botocore's models: for cognito-idp that ID is
"Cognito Identity Provider", so the variable is `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`;
`AWS_ENDPOINT_URL_COGNITO_IDP` is read by nothing, and a run relying on it would go to AWS
(`misnamed_endpoint_variables` lets the command refuse it instead).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cogfed_pool.trigger_rules import FACTS

DEFAULT_SHARE = 0.3  # of each category's default rate: ListUsers at 9/s, writes at 7.5/s
RETRYABLE = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "InternalErrorException",
        "ServiceUnavailable",
    }
)
MAX_ATTEMPTS = 8
# Errors no later user or row would escape (credentials, permissions, the pool itself): a run
# stops on them instead of failing everyone, possibly half done; its journal resumes it.
SYSTEMIC = frozenset(
    {
        "AccessDeniedException",
        "NotAuthorizedException",
        "UnrecognizedClientException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "ResourceNotFoundException",
    }
)


class PoolCallError(Exception):
    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message


class RateLimiter:
    """Token buckets, one per quota category, each at `share` of its default rate."""

    def __init__(
        self,
        share: float,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("the rate share must be above 0 and at most 1 (the whole default)")
        self.share = share
        # This module's clock, read when the limiter is made (not when this was defined), so
        # that a run's whole pacing, retries included, follows one clock.
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def rate(self, category: str) -> float:
        return FACTS["quota_default_rps"][category] * self.share

    def wait(self, category: str) -> None:
        interval = 1.0 / self.rate(category)
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(category, now))
            self._next[category] = start + interval
        delay = start - now
        if delay > 0:
            self.waited_s += delay
            self._sleep(delay)


def category_of(operation: str) -> str:
    try:
        return str(FACTS["quota_categories"][operation])
    except KeyError:
        raise KeyError(
            f"no quota category known for {operation}; add it to the facts table"
        ) from None


def _operation_name(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_"))


class Cognito:
    """cognito-idp (and lambda, to read the trigger's configuration) for one pool."""

    def __init__(
        self,
        pool_id: str,
        *,
        share: float = DEFAULT_SHARE,
        region: str | None = None,
        profile: str | None = None,
        unlimited: bool = False,
        endpoint_url: str | None = None,
    ) -> None:
        import boto3

        session = boto3.session.Session(profile_name=profile, region_name=region)
        self.profile, self.region, self.endpoint_url = profile, region, endpoint_url
        self.pool_id = pool_id
        self.client = session.client("cognito-idp", endpoint_url=endpoint_url)
        self.lambda_client = session.client("lambda", endpoint_url=endpoint_url)
        self.limiter = None if unlimited else RateLimiter(share)
        self.calls: Counter[str] = Counter()
        self._trigger_session = False

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """`method` (snake_case) on cognito-idp, paced by its quota category."""
        from botocore.exceptions import ClientError

        operation = _operation_name(method)
        category = category_of(operation)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if self.limiter is not None:
                self.limiter.wait(category)
            self.calls[operation] += 1
            try:
                return dict(getattr(self.client, method)(**params))
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = str(error.get("Code", "Unknown"))
                if code in RETRYABLE and attempt < MAX_ATTEMPTS:
                    time.sleep(min(8.0, 0.2 * 2**attempt) * random.uniform(0.5, 1.0))
                    continue
                raise PoolCallError(operation, code, str(error.get("Message", ""))) from exc
        raise AssertionError("unreachable")

    def pages(self, method: str, key: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        """Each page's `key` list of a paginated call, following PaginationToken/NextToken."""
        token_names = ("PaginationToken", "NextToken")
        while True:
            answer = self.call(method, **params)
            yield list(answer.get(key, []))
            token = next((answer[t] for t in token_names if answer.get(t)), None)
            if token is None:
                return
            name = next(t for t in token_names if answer.get(t))
            params = {**params, name: token}

    def count_trigger_calls(self) -> None:
        """Point boto3's default session, which the trigger code's clients come from (prelink
        runs it unchanged), at this object's profile, Region and endpoint, and count its
        calls with this object's own.

        The endpoint is given to each client it makes, not left to the AWS_ENDPOINT_URL*
        variables: with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS set, boto3 ignores those, and
        the trigger code's calls would go to AWS itself."""
        import boto3

        if self._trigger_session:
            return
        self._trigger_session = True

        def counted(model: Any, **_: Any) -> None:
            self.calls[model.name] += 1

        boto3.setup_default_session(profile_name=self.profile, region_name=self.region)
        session = boto3.DEFAULT_SESSION
        session.events.register("before-call.cognito-idp", counted)
        if self.endpoint_url:
            make_client = session.client
            endpoint = self.endpoint_url

            def client(service_name: str, *args: Any, **kwargs: Any) -> Any:
                kwargs["endpoint_url"] = kwargs.get("endpoint_url") or endpoint
                return make_client(service_name, *args, **kwargs)

            session.client = client  # type: ignore[method-assign]

    @contextmanager
    def trigger_environment(self) -> Iterator[None]:
        """This object's Region and endpoint where the trigger code reads them (its
        environment: cognito_api.py), for a block; the variables as they were, after it."""
        values: dict[str, str | None] = {"AWS_REGION": self.region or os.environ.get("AWS_REGION")}
        if self.endpoint_url:
            values["AWS_ENDPOINT_URL"] = self.endpoint_url
            values[service_endpoint_variable("cognito-idp")] = self.endpoint_url
        with environment(values):
            yield

    def user(self, username: str) -> dict[str, Any]:
        return self.call("admin_get_user", UserPoolId=self.pool_id, Username=username)


@contextmanager
def environment(values: dict[str, str | None]) -> Iterator[None]:
    """Environment variables set (None: unset) for a block, and as they were after it."""
    saved = {k: os.environ.get(k) for k in values}
    _set_environment(values)
    try:
        yield
    finally:
        _set_environment(saved)


def _set_environment(values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def service_endpoint_variable(service: str) -> str:
    """The environment variable boto3 reads for `service`'s endpoint (botocore's rule: the
    service ID, hyphenated, upper-cased, with underscores)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    return "AWS_ENDPOINT_URL_" + model.service_id.hyphenize().replace("-", "_").upper()


def misnamed_endpoint_variables(environ: dict[str, str] | None = None) -> list[str]:
    """Set `AWS_ENDPOINT_URL_COGNITO*` variables that boto3 reads for no service."""
    import botocore.session

    environ = dict(os.environ if environ is None else environ)
    session = botocore.session.get_session()
    real = {
        service_endpoint_variable(name)
        for name in session.get_available_services()
        if name.startswith("cognito")
    }
    return sorted(
        name
        for name, value in environ.items()
        if name.startswith("AWS_ENDPOINT_URL_COGNITO") and value and name not in real
    )
