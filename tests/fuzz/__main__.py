"""`make fuzz`: the large profile, until at least `--events` trigger events have run.

Batches of examples run with seeds `--seed`, `--seed + 1`, ...; the first invariant
violation stops the run: hypothesis shrinks it and prints the minimal failing sequence, and
the exit code is 1. At the end the events run and the categories covered are printed.
"""

from __future__ import annotations

import argparse
import sys
import time

from hypothesis import HealthCheck, Phase, settings
from hypothesis.internal.conjecture import engine

from tests.fuzz.machine import SURFACES, fuzz_session, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="trigger events to reach")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--batch", type=int, default=100, help="examples (pools) per batch")
    parser.add_argument("--steps", type=int, default=40, help="steps per example at most")
    parser.add_argument(
        "--without",
        default="",
        help=f"comma-separated attack surfaces to leave out: {', '.join(sorted(SURFACES))}",
    )
    parser.add_argument("--no-shrink", action="store_true", help="report the first failure as is")
    parser.add_argument(
        "--strict-stale",
        action="store_true",
        help="fail a link that only a stale ListUsers answer justifies (counted otherwise)",
    )
    args = parser.parse_args(argv)
    without = frozenset(s for s in args.without.split(",") if s)
    phases = [Phase.generate] if args.no_shrink else [Phase.generate, Phase.shrink]
    profile = settings(
        max_examples=args.batch,
        stateful_step_count=args.steps,
        database=None,
        deadline=None,
        print_blob=False,
        phases=phases,
        suppress_health_check=list(HealthCheck),
    )
    # Long sequences with many arguments need more than hypothesis's default 500 shrinks
    # (and 300 s) to reach a minimal one; both limits are documented as monkeypatchable.
    engine.MAX_SHRINKS = max(engine.MAX_SHRINKS, 5_000)
    engine.MAX_SHRINKING_SECONDS = max(engine.MAX_SHRINKING_SECONDS, 900)
    started = time.monotonic()
    status = 0
    with fuzz_session(without, strict_stale=args.strict_stale) as session:
        batch = 0
        try:
            while session.stats.total_events < args.events:
                run(session, profile, seed=args.seed + batch)
                batch += 1
        except Exception as exc:  # an invariant violation, or the harness itself failing
            status = 1
            kind = "INVARIANT VIOLATION" if isinstance(exc, AssertionError) else "ERROR"
            print(f"\n{kind}: {type(exc).__name__}")
            print(str(exc))
            # hypothesis attaches the minimal failing sequence as notes on the exception.
            print("\nminimal failing sequence (hypothesis):")
            print("\n".join(getattr(exc, "__notes__", [])))
        print("\n" + "=" * 78)
        print(
            f"make fuzz: {'FAILED' if status else 'passed'}; seed {args.seed}, "
            f"{batch} full batch(es) of {args.batch} examples, "
            f"without {sorted(without) or 'nothing'}, {time.monotonic() - started:.1f} s"
        )
        if session.at_first_violation is not None:
            print("coverage up to the first violation (before shrinking):")
            print(session.at_first_violation.report())
            print("\nincluding the shrinking replays:")
        print(session.stats.report())
    return status


if __name__ == "__main__":
    sys.exit(main())
