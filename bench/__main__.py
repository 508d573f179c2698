"""`python -m bench`: run the benchmarks, print one table, write bench/results/latest.json.

Progress goes to stderr; the table (and the notes the figures rest on) to stdout.
Options can also come from the environment, so `make bench` can be tuned without editing the
Makefile: BENCH_PARTS, BENCH_GATE_COPIES, BENCH_GATE_BUDGET_S, BENCH_WARM_REPEATS,
BENCH_IMPORT_RUNS, BENCH_POOL_USERS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import runner, table
from bench.sign_in_world import REPO_ROOT

DEFAULT_OUTPUT = REPO_ROOT / "bench" / "results" / "latest.json"


def _numbers(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas: {text!r}") from exc
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive numbers: {text!r}")
    return values


def _parts(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = set(parts) - set(runner.PARTS)
    if unknown or not parts:
        raise argparse.ArgumentTypeError(
            f"unknown part(s) {sorted(unknown)}; choose from {', '.join(runner.PARTS)}"
        )
    return parts


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    defaults = runner.Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="What a sign-in costs, and how fast the policy gate is (offline).",
    )
    parser.add_argument(
        "--parts",
        type=_parts,
        default=_parts(env("BENCH_PARTS", ",".join(defaults.parts))),
        help=f"comma-separated parts to run (default all: {','.join(runner.PARTS)})",
    )
    parser.add_argument(
        "--gate-copies",
        type=_numbers,
        default=_numbers(env("BENCH_GATE_COPIES", ",".join(map(str, defaults.gate_copies)))),
        help="sizes of the synthetic gate trees, in copies of examples/complete (default 1,50,200)",
    )
    parser.add_argument(
        "--gate-budget",
        type=float,
        default=float(env("BENCH_GATE_BUDGET_S", str(defaults.gate_budget_seconds))),
        help=(
            "skip a tree size whose predicted time for the three variants exceeds this many "
            "seconds (default 1800; 0 = never skip)"
        ),
    )
    parser.add_argument(
        "--gate-rounds",
        type=int,
        default=int(env("BENCH_GATE_ROUNDS", str(defaults.gate_rounds))),
        help="rounds of the three gate variants per tree size; the fastest counts (default 2)",
    )
    parser.add_argument(
        "--warm-repeats",
        type=int,
        default=int(env("BENCH_WARM_REPEATS", str(defaults.warm_repeats))),
        help="timed repeats of each sign-in flow per design (default 40)",
    )
    parser.add_argument(
        "--import-runs",
        type=int,
        default=int(env("BENCH_IMPORT_RUNS", str(defaults.import_runs))),
        help="fresh interpreters per module for the cold import (default 15, at least 10 advised)",
    )
    parser.add_argument(
        "--pool-users",
        type=int,
        default=int(env("BENCH_POOL_USERS", str(defaults.pool_users))),
        help="users in the synthetic pool of the live-pool part (default 100000)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="where to write the JSON results (default bench/results/latest.json)",
    )
    return parser


def notes(document: dict) -> list[str]:
    lines: list[str] = []
    if "quotas" in document:
        lines.append("Quota categories (default RPS per account and Region, the quotas page):")
        lines += [f"  {line}" for line in document["quotas"]["assumptions"]]
        lines.append(
            "  Only the triggers' calls are counted. The sign-in itself also spends a category "
            "(UserAuthentication for a native sign-in; for a federated one, probably "
            "UserFederation, unconfirmed), whatever the triggers do."
        )
    if "calls" in document:
        lines.append(
            "Both designs keep a DynamoDB profile; subjects are lower-case so the seed's "
            "lower-cased subject (FACTS §3) links the same identity. REFUSED: the sign-in "
            "failed (the seed links again on a retry and gets Cognito's merging error, FACTS §1)."
        )
    if "pool" in document:
        lines.append(
            "Live pool: the times at the quotas are computed from the call counts (the double "
            "has no quotas): the binding category at the whole default rate, and at the share "
            "cogfed-pool takes by default. Prelinked first sign-ins are compared with first "
            "sign-ins of identities that were not."
        )
    if "gate" in document:
        lines.append(
            f"Gate: the fastest of {document['gate']['rounds']} round(s) per variant and size, "
            "the variants alternating within each round; 'tree' is the sampled sum of the "
            "gate's processes (its two checkov scans run in parallel)."
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options = runner.Options(
        parts=args.parts,
        warm_repeats=max(0, args.warm_repeats),
        import_runs=max(1, args.import_runs),
        gate_copies=args.gate_copies,
        gate_budget_seconds=args.gate_budget if args.gate_budget > 0 else None,
        gate_rounds=max(1, args.gate_rounds),
        pool_users=max(100, args.pool_users),
    )
    document = runner.run(options)
    document["table"] = table.as_json_rows(document)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(table.render(document))
    for line in notes(document):
        print(line)
    durations = ", ".join(f"{k} {v:.1f} s" for k, v in document["durations_s"].items())
    print(f"Run time: {durations}. Figures written to {_display(args.output)}.")
    return 0


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
