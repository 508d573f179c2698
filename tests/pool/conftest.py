"""A synthetic pool in the double (cogfed_tools.synthetic_pool), and the tool pointed at it:
in this process (`world`), or served over HTTP for the command run as its own process
(`served`)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cogfed_pool import aws
from cogfed_pool.aws import Cognito
from cogfed_pool.live_config import LiveConfig, read_config
from cogfed_tools import synthetic_pool
from cogfed_tools.cognito_double import CognitoDouble, in_memory_cognito, moto_server

USERS = 600
REGION = "eu-west-1"
# The test deployment's LINKING_SECRET (the module generates one per deployment).
SECRET = "pool-tests-linking-secret-0123456789"


@dataclass
class World:
    double: Any
    pool_id: str
    planted: synthetic_pool.Planted

    def cognito(self) -> Cognito:
        return Cognito(self.pool_id, unlimited=True)

    def config(self, cognito: Cognito | None = None) -> LiveConfig:
        return read_config(cognito or self.cognito(), self.planted.identity_providers_json)


@pytest.fixture(autouse=True)
def operator_key_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own operator key (made on first use under XDG_CONFIG_HOME)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


class VirtualTime:
    """`time` for cogfed_pool.aws: a sleep moves this clock on at once. The tool's pacing and
    backoff run unchanged (the calls made, their order, the waits computed); only the
    waiting is skipped, which would otherwise be most of these tests' time. The pacing
    itself is tested against a clock of its own in test_repair_safety.py, and the benchmark
    runs it in real time."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._offset += max(0.0, seconds)


@pytest.fixture(autouse=True)
def paced_without_waiting(monkeypatch: pytest.MonkeyPatch) -> VirtualTime:
    clock = VirtualTime()
    monkeypatch.setattr(aws, "time", clock)
    return clock


@pytest.fixture
def world() -> Iterator[World]:
    with in_memory_cognito() as double:
        pool_id = synthetic_pool.create_pool(double)
        planted = synthetic_pool.populate(double, pool_id, USERS, seed=11)
        yield World(double, pool_id, planted)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CognitoDouble, dict[str, str]]]:
    """The double served over HTTP, and an environment for a command pointed at it with
    AWS_ENDPOINT_URL (without that variable, it must be given --endpoint-url)."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with CognitoDouble(region=REGION) as double, moto_server() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        # The deployment's LINKING_SECRET, which signs the journal.
        yield double, {**os.environ, **env, "AWS_ENDPOINT_URL": endpoint, "LINKING_SECRET": SECRET}
