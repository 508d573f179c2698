"""A synthetic pool in the double (cogfed_tools.synthetic_pool), and the tool pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cogfed_pool.aws import Cognito
from cogfed_pool.live_config import LiveConfig, read_config
from cogfed_tools import synthetic_pool
from cogfed_tools.cognito_double import in_memory_cognito

USERS = 600


@dataclass
class World:
    double: Any
    pool_id: str
    planted: synthetic_pool.Planted

    def cognito(self) -> Cognito:
        return Cognito(self.pool_id, unlimited=True)

    def config(self, cognito: Cognito | None = None) -> LiveConfig:
        return read_config(cognito or self.cognito(), self.planted.identity_providers_json)


@pytest.fixture
def world() -> Iterator[World]:
    with in_memory_cognito() as double:
        pool_id = synthetic_pool.create_pool(double)
        planted = synthetic_pool.populate(double, pool_id, USERS, seed=11)
        yield World(double, pool_id, planted)
