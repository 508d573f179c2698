"""The fuzzer as a standing test: a small, deterministic profile for `make test`.

`make fuzz` runs the same state machine with a large profile (`python -m tests.fuzz`).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from tests.fuzz.findings import FINDINGS
from tests.fuzz.machine import fuzz_session, replay, run

# Deterministic (derandomize) and small enough for `make test`: about 3,500 trigger events.
CI_PROFILE = settings(
    max_examples=150,
    stateful_step_count=40,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)


def test_sign_in_sequences_keep_every_invariant() -> None:
    with fuzz_session() as session:
        run(session, CI_PROFILE)
    stats = session.stats
    # The profile must keep reaching the paths that matter, not only pass.
    assert stats.total_events > 2_000, stats.report()
    assert stats.checks["link"] > 100 and stats.checks["due-link:existing"] > 0, stats.report()
    assert stats.checks["pre-token:restore"] > 0 and stats.checks["malformed"] > 100
    # A signed-in user's own calls, and what they could launder (FACTS §8, §20).
    assert stats.steps["self-service: change own email"] > 20, stats.report()
    assert stats.steps["self-service: verify"] > 0, stats.report()
    assert stats.events["TokenGeneration_RefreshTokens"] > 20, stats.report()
    assert stats.checks["verified-address:stored"] > 100 and stats.checks["identity-owner"] > 0


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_findings_against_the_unfixed_triggers_stay_fixed(name: str) -> None:
    config, steps, _ = FINDINGS[name]
    with fuzz_session():
        replay(config, steps)
