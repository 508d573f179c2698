"""A pool configured as `examples/complete` plans it, signed in to with one design's triggers.

Two designs are compared side by side on identical pools:
- "project": the triggers in `lambda_src/`, configured with the planned `IDENTITY_PROVIDERS`;
- "seed": the seed article's design rebuilt in `bench/lambda_baselines/`.

Both keep a DynamoDB profile of each user (the seed article does; the module does when its
optional `profile_table` is set), so both are measured doing the same job. Calls are
counted by the test double at botocore's before-call hook, identically for both.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

from cogfed_tools.example_plan import PlannedFederation

REPO_ROOT = Path(__file__).resolve().parents[1]
BASELINES = Path(__file__).resolve().parent / "lambda_baselines"
PROFILE_TABLE = "cogfed-bench-profiles"
DESIGNS = ("project", "seed")

Handler = Callable[[dict[str, Any], Any], Any]


class HandlerClock:
    """Time spent inside trigger handlers, counting a nested invocation once.

    A trigger's own AdminCreateUser makes Cognito invoke pre sign-up again inside the call
    (FACTS §2); that time is already inside the outer invocation.
    """

    def __init__(self) -> None:
        self.elapsed = 0.0
        self._depth = 0

    def wrap(self, handler: Handler) -> Handler:
        def timed(event: dict[str, Any], context: Any) -> Any:
            self._depth += 1
            started = perf_counter()
            try:
                return handler(event, context)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.elapsed += perf_counter() - started

        return timed


@dataclass
class World:
    design: str
    double: Any  # cogfed_tools.cognito_double.CognitoDouble
    sim: Any  # cogfed_tools.cognito_double.FederatedSignInSimulator
    pool_id: str
    pre_signup: Handler
    pre_token: Handler
    clock: HandlerClock = field(default_factory=HandlerClock)

    def use_pre_token(self, handler: Handler) -> None:
        """Install a pre token generation handler (timed) for the next sign-ins."""
        self.sim.pre_token = self.clock.wrap(handler)


def _double_package() -> Any:
    # The double lives with the tests; importing it puts lambda_src/ on sys.path.
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import cogfed_tools.cognito_double as double_package

    return double_package


def _load_baseline(module_name: str) -> Any:
    """Load a baseline trigger module by path, once per process.

    The seed rebuild creates its boto3 clients at import, as the article does, so it is
    loaded only after the call counter hooked boto3's default session: clients copy the
    session's handlers when they are created.
    """
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(module_name, BASELINES / f"{module_name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {module_name} from {BASELINES}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _handlers(design: str) -> tuple[Handler, Handler]:
    if design == "project":
        import pre_signup
        import pre_token_generation

        return pre_signup.handler, pre_token_generation.handler
    if design == "seed":
        return (
            _load_baseline("seed_pre_signup").handler,
            _load_baseline("seed_pre_token_generation").handler,
        )
    raise ValueError(f"unknown design {design!r}; expected one of {DESIGNS}")


@contextmanager
def world(federation: PlannedFederation, design: str) -> Iterator[World]:
    """An in-memory pool as planned, with `design`'s triggers, for the length of a block."""
    double_package = _double_package()
    import pool_providers  # lambda_src/, on sys.path once the double package is imported

    # Per-flow counts are steady-state figures: the provider list a container reads once a
    # minute (docs/triggers.md) is kept for the whole run, so that on
    # a slow machine it does not show up in whichever flow crosses the minute.
    saved_ttl = pool_providers.LIST_TTL_S
    pool_providers.LIST_TTL_S = float("inf")
    try:
        with _pool(double_package, federation, design) as planned:
            yield planned
    finally:
        pool_providers.LIST_TTL_S = saved_ttl


@contextmanager
def _pool(double_package: Any, federation: PlannedFederation, design: str) -> Iterator[World]:
    with double_package.in_memory_cognito() as double:
        double_package.ensure_hook()
        import boto3

        boto3.client("dynamodb").create_table(
            TableName=PROFILE_TABLE,
            KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        pool_id = double.create_pool(
            "bench",
            case_sensitive=federation.case_sensitive,
            custom_attributes=federation.custom_attributes,
        )
        pre_signup, pre_token = _handlers(design)
        clock = HandlerClock()
        sim = double_package.FederatedSignInSimulator(
            double,
            pool_id,
            pre_signup=clock.wrap(pre_signup),
            pre_token=clock.wrap(pre_token),
            environment={"PROFILE_TABLE_NAME": PROFILE_TABLE},
        )
        for name, idp in federation.identity_providers.items():
            sim.add_identity_provider(
                name, idp["type"], attribute_mapping=dict(idp["attribute_mapping"]), configure=False
            )
        # The triggers' configuration exactly as Terraform planned it for the functions.
        sim.identity_providers_override = federation.trigger_environment["IDENTITY_PROVIDERS"]
        yield World(design, double, sim, pool_id, pre_signup, pre_token, clock)
