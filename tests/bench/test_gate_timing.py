"""The gate benchmark measures what it names: every round of every variant runs its command."""

from __future__ import annotations

from pathlib import Path

from bench import gate_timing


def test_every_round_of_the_plan_variant_reads_the_plan(tmp_path: Path) -> None:
    # The measuring wrapper's report once shared the plan's file name and overwrote it, so
    # rounds after the first timed a gate refusing its input.
    module = gate_timing.write_module(tmp_path)
    tree = gate_timing.write_tree(tmp_path, module, 1)
    gate_timing.write_plan(tmp_path, module, 1)
    runs = [gate_timing.run_measured("plan", 1, tree, tmp_path) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0], [run.stderr_tail for run in runs]


def test_a_run_that_did_not_scan_never_stands_for_its_variant() -> None:
    timing = gate_timing.GateTiming()
    timing.runs = [
        gate_timing.GateRun("plan", 1, 0.1, 0, 0, 2, "not a Terraform JSON plan"),
        gate_timing.GateRun("plan", 1, 0.4, 0, 0, 0, ""),
    ]
    chosen = timing.run("plan", 1)
    assert chosen is not None and chosen.returncode == 0
