"""The offline rehearsal (`make demo`) runs end to end in either world, and its expectations
can fail."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cogfed_tools import demo
from cogfed_tools.conformance.planned_pool import plan_pool
from cogfed_tools.offline_checks import REPO_ROOT


@pytest.mark.parametrize("world", ["double", "ministack"])
def test_the_rehearsal_meets_every_expectation(world: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogfed_tools.demo", "--world", world],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "All expectations met" in output
    # The two tables and the gate's readable failures on the broken copy.
    assert "FAILED CKV_COGFED_3" in output and "Fix: " in output
    assert output.count("alice's native user") >= 6
    assert "ANOTHER user with alice's email" in output
    assert (f"in ministack {('(pinned)')}" in output) == (world == "ministack")


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    return plan_pool(tmp_path_factory.mktemp("plan"), demo.EXAMPLE)[0]


def test_expectations_fail_on_the_seed_setup(planned) -> None:
    rows, summary = demo.play_double(planned, subject_mapping=False, naive=True)
    with pytest.raises(demo.ExpectationFailed, match="tokens are for"):
        demo.check_fixed(rows, summary)


def test_without_the_mapping_the_triggers_refuse_rather_than_duplicate(planned) -> None:
    rows, summary = demo.play_double(planned, subject_mapping=False, naive=False)
    by_key = {row.sign_in.key: row for row in rows}
    assert by_key["alice-linkedin"].landed == "refused"
    assert by_key["alice-saml"].landed == "refused"
    assert summary["alice_users"] == 1
    with pytest.raises(demo.ExpectationFailed):
        demo.check_fixed(rows, summary)


def test_a_returning_sign_in_that_calls_cognito_fails_the_double_world(planned) -> None:
    rows, summary = demo.play_double(planned)
    demo.check_fixed(rows, summary)
    returning = next(r for r in rows if r.sign_in.key == "alice-linkedin-again")
    returning.landing = type(returning.landing)("signed in", returning.landing.sub, calls="1: Get")
    with pytest.raises(demo.ExpectationFailed, match="returning LinkedIn sign-in made"):
        demo.check_fixed(rows, summary)
    demo.check_fixed(rows, summary, counts_calls=False)  # ministack cannot count them
