"""Run the benchmark parts and gather their figures into one JSON document.

The printed table is rendered from this document (bench/table.py), so the table and
`bench/results/latest.json` always hold the same figures.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench import cold_import, gate_timing, lambda_package, quotas, sign_in_flows, targets
from bench.sign_in_world import REPO_ROOT

PARTS = ("calls", "warm", "cold", "zip", "gate", "pool")
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Options:
    parts: tuple[str, ...] = PARTS
    warm_repeats: int = 40
    import_runs: int = 15
    gate_copies: tuple[int, ...] = (1, 50, 200)
    gate_budget_seconds: float | None = 1800.0
    gate_rounds: int = 2
    pool_users: int = 100_000


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _timed(durations: dict[str, float], part: str, action: Callable[[], Any], label: str) -> Any:
    _progress(f"== {label}")
    started = time.monotonic()
    result = action()
    durations[part] = round(time.monotonic() - started, 2)
    _progress(f"   done in {durations[part]:.1f} s")
    return result


def _counter(values: Any) -> dict[str, int]:
    # In the order the calls were first made, which reads as the flow's steps.
    return {k: int(v) for k, v in values.items()}


def _observation(observation: sign_in_flows.Observation) -> dict[str, Any]:
    return {
        "cognito": _counter(observation.cognito),
        "cognito_total": observation.cognito_total,
        "dynamodb": _counter(observation.dynamodb),
        "dynamodb_total": observation.dynamodb_total,
        "outcome": observation.outcome,
        "one_user": observation.one_user,
    }


def _by_flow(
    results: Iterable[sign_in_flows.FlowResult],
) -> dict[str, dict[str, sign_in_flows.FlowResult]]:
    grouped: dict[str, dict[str, sign_in_flows.FlowResult]] = {}
    for result in results:
        grouped.setdefault(result.flow.key, {})[result.design] = result
    return grouped


def calls_section(results: list[sign_in_flows.FlowResult]) -> list[dict[str, Any]]:
    return [
        {
            "flow": key,
            "label": designs["project"].flow.label,
            "retry": designs["project"].flow.retry,
            "designs": {d: _observation(r.first) for d, r in designs.items()},
        }
        for key, designs in _by_flow(results).items()
    ]


def _bound(calls: dict[str, int]) -> dict[str, Any]:
    primary = quotas.bound(calls)
    alternative = quotas.bound(calls, quotas.ALTERNATIVE_PLACEMENT)
    return {
        "units": primary.units,
        "sign_ins_per_second": primary.sign_ins_per_second,
        "binding": primary.binding,
        "alternative": {
            "units": alternative.units,
            "sign_ins_per_second": alternative.sign_ins_per_second,
            "binding": alternative.binding,
        },
    }


def quota_section(calls: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "default_rps": quotas.DEFAULT_RPS,
        "placement": {
            op: {"category": p.category, "documented": p.documented}
            for op, p in quotas.PLACEMENT.items()
        },
        "alternative_placement": {
            "AdminLinkProviderForUser": quotas.ALTERNATIVE_PLACEMENT[
                "AdminLinkProviderForUser"
            ].category
        },
        "assumptions": quotas.assumptions(),
        "flows": [
            {
                "flow": entry["flow"],
                "label": entry["label"],
                "retry": entry["retry"],
                **{d: _bound(o["cognito"]) for d, o in entry["designs"].items()},
            }
            for entry in calls
        ],
    }


def warm_section(results: list[sign_in_flows.FlowResult], repeats: int) -> dict[str, Any]:
    flows = []
    for key, designs in _by_flow(results).items():
        project, seed = designs["project"], designs["seed"]
        ratio = None
        if project.warm_median is not None and seed.warm_median:
            ratio = project.warm_median / seed.warm_median
        flows.append(
            {
                "flow": key,
                "label": project.flow.label,
                "project_median_s": project.warm_median,
                "seed_median_s": seed.warm_median,
                "ratio_project_to_seed": ratio,
                "calls_stable": {"project": project.stable, "seed": seed.stable},
            }
        )
    return {"repeats": repeats, "flows": flows}


def cold_section(times: dict[str, cold_import.ImportTimes], runs: int) -> dict[str, Any]:
    baseline = times[cold_import.BASELINE_KEY].median
    return {
        "runs": runs,
        "baseline": cold_import.BASELINE_KEY,
        "modules": {
            key: {
                "label": t.subject.label,
                "module": t.subject.module,
                "median_s": t.median,
                "runs_s": t.seconds,
                "sdk_loaded": t.sdk_loaded,
                "ratio_to_eager_boto3": t.median / baseline,
            }
            for key, t in times.items()
        },
    }


def gate_section(timing: gate_timing.GateTiming, options: Options) -> dict[str, Any]:
    sizes = sorted({r.copies for r in timing.runs})
    return {
        "copies_requested": list(options.gate_copies),
        "budget_s": options.gate_budget_seconds,
        "cpu_count": os.cpu_count(),
        "variants": gate_timing.VARIANT_LABELS,
        "rounds": options.gate_rounds,
        "runs": [
            {
                "variant": r.variant,
                "copies": r.copies,
                "round": r.round,
                "best": r is timing.run(r.variant, r.copies),
                "wall_s": round(r.wall_seconds, 3),
                "check_s": None if r.check_seconds is None else round(r.check_seconds, 3),
                "peak_process_bytes": r.peak_process_bytes,
                "peak_tree_bytes": r.peak_tree_bytes,
                "returncode": r.returncode,
                "timed_out": r.timed_out,
                "ok": r.ok,
                "stderr_tail": r.stderr_tail if not r.ok else "",
            }
            for r in timing.runs
        ],
        "ratios": {
            str(n): {v: timing.ratio(v, n) for v in ("project", "gate", "offline", "plan")}
            for n in sizes
        },
        # The pre-commit form over the static reading, same tree, same run.
        "offline_to_static": {
            str(n): timing.ratio_between("offline", "gate", n)
            for n in sizes
            if timing.run("offline", n) is not None
        },
        # Seconds to make the offline plan the `plan` variant reads (not part of its time).
        "plan_s": {str(n): round(s, 3) for n, s in timing.plan_seconds.items()},
        # Time inside the project's checks (median over rounds) / checkov built-ins' wall.
        "check_share": {str(n): timing.check_share(n) for n in sizes},
        "skipped": {str(n): why for n, why in timing.skipped.items()},
    }


def run(options: Options) -> dict[str, Any]:
    unknown = set(options.parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}; choose from {PARTS}")
    started = time.monotonic()
    durations: dict[str, float] = {}
    document: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
        },
        "options": {
            "parts": list(options.parts),
            "warm_repeats": options.warm_repeats,
            "import_runs": options.import_runs,
            "gate_copies": list(options.gate_copies),
            "gate_budget_s": options.gate_budget_seconds,
            "pool_users": options.pool_users,
        },
        "durations_s": durations,
    }

    if {"calls", "warm"} & set(options.parts):
        from cogfed_tools.example_plan import plan_example

        federation = _timed(
            durations,
            "plan",
            lambda: sign_in_flows.with_configured_directory(
                plan_example(REPO_ROOT / "examples" / "complete")
            ),
            "Planning examples/complete (Terraform core) for the pool and IdP settings",
        )
        document["example"] = {
            "case_sensitive": federation.case_sensitive,
            "identity_providers": {
                name: idp["type"] for name, idp in federation.identity_providers.items()
            },
            "profile_table": "on for both designs (the module's optional profile_table)",
            "added_by_bench": sign_in_flows.configured_provider(federation),
        }
        repeats = options.warm_repeats if "warm" in options.parts else 0
        results = _timed(
            durations,
            "sign_ins",
            lambda: sign_in_flows.measure(federation, repeats=repeats),
            f"Sign-ins against the test double: calls, then {repeats} timed repeats per flow",
        )
        document["calls"] = calls_section(results)
        document["quotas"] = quota_section(document["calls"])
        if "warm" in options.parts:
            document["warm"] = warm_section(results, repeats)

    if "cold" in options.parts:
        times = _timed(
            durations,
            "cold_import",
            lambda: cold_import.measure(options.import_runs),
            f"Cold imports in fresh interpreters ({options.import_runs} runs per module)",
        )
        document["cold_import"] = cold_section(times, options.import_runs)

    if "zip" in options.parts:
        size = _timed(durations, "lambda_zip", lambda_package.measure, "Lambda package size")
        document["lambda_zip"] = {
            "files": size.files,
            "source_bytes": size.source_bytes,
            "zip_bytes": size.zip_bytes,
        }

    if "gate" in options.parts:
        timing = _timed(
            durations,
            "gate",
            lambda: gate_timing.measure(
                options.gate_copies,
                options.gate_budget_seconds,
                progress=_progress,
                rounds=options.gate_rounds,
            ),
            f"Policy gate on trees of {', '.join(map(str, options.gate_copies))} copies",
        )
        document["gate"] = gate_section(timing, options)

    if "pool" in options.parts:
        from bench import live_pool

        document["pool"] = _timed(
            durations,
            "pool",
            lambda: live_pool.measure(options.pool_users, progress=_progress),
            f"Live-pool commands on a synthetic pool of {options.pool_users} users (test double)",
        )

    document["targets"] = [t.as_json() for t in targets.judge(document)]
    durations["total"] = round(time.monotonic() - started, 2)
    return document
