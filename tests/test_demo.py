"""The offline rehearsal (`make demo`) runs end to end, and its expectations can fail."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cogfed_tools import demo
from cogfed_tools.example_plan import plan_example
from cogfed_tools.offline_checks import REPO_ROOT


def test_the_rehearsal_meets_every_expectation() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogfed_tools.demo"],
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


@pytest.fixture(scope="module")
def federation():
    return plan_example(demo.EXAMPLE)


def test_expectations_fail_on_the_seed_setup(federation) -> None:
    rows, summary = demo.play(federation, subject_mapping=False, naive=True)
    with pytest.raises(demo.ExpectationFailed, match="tokens are for"):
        demo.check_fixed(rows, summary)


def test_without_the_mapping_the_triggers_refuse_rather_than_duplicate(federation) -> None:
    rows, summary = demo.play(federation, subject_mapping=False, naive=False)
    by_step = {row.step: row for row in rows}
    assert by_step[3].outcome.startswith("refused") and by_step[4].outcome.startswith("refused")
    assert summary["alice_users"] == 1
    with pytest.raises(demo.ExpectationFailed):
        demo.check_fixed(rows, summary)
