"""The one table `python -m bench` prints, rendered from the results document.

Every section has the same columns: the figure, this project's value, the baseline it is
compared with (named in the section's heading) and their ratio or the target's status.
"""

from __future__ import annotations

from typing import Any

from bench.gate_timing import copies_text

COLUMNS = ("figure", "this project", "baseline", "ratio / status")
SHORT_OPERATIONS = {
    "ListUsers": "List",
    "AdminCreateUser": "Create",
    "AdminSetUserPassword": "SetPassword",
    "AdminLinkProviderForUser": "Link",
    "AdminGetUser": "Get",
    "AdminUpdateUserAttributes": "Update",
}
SHORT_DYNAMODB = {"GetItem": "Get", "PutItem": "Put", "UpdateItem": "Update"}

Row = tuple[str, str, str, str]
Section = tuple[str, list[Row]]


def _operations(counts: dict[str, int], names: dict[str, str]) -> str:
    return ", ".join(
        names.get(op, op) + (f" x{n}" if n > 1 else "") for op, n in counts.items() if n
    )


def calls_text(observation: dict[str, Any]) -> str:
    text = str(observation["cognito_total"])
    if observation["cognito_total"]:
        text += f" ({_operations(observation['cognito'], SHORT_OPERATIONS)})"
    if observation["dynamodb_total"]:
        text += f" + DDB {_operations(observation['dynamodb'], SHORT_DYNAMODB)}"
    return text


def _landing(design: str, observation: dict[str, Any]) -> str | None:
    if not observation["outcome"].startswith("signed in"):
        return f"{design} REFUSED"
    if not observation["one_user"]:
        return f"{design} DUPLICATE USER"
    return None


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.3f} ms" if seconds < 0.001 else f"{seconds * 1000:.1f} ms"


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}x" if value < 0.1 else f"{value:.2f}x"


def _mib(value: int) -> str:
    return f"{value / 2**20:.0f} MiB"


def _rate(bound: dict[str, Any]) -> str:
    if bound["sign_ins_per_second"] is None:
        return "unbounded"
    rate = f"{bound['sign_ins_per_second']:.1f}".rstrip("0").rstrip(".")
    return f"{rate}/s {bound['binding']}"


def calls_rows(document: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for entry in document.get("calls", []):
        project, seed = entry["designs"]["project"], entry["designs"]["seed"]
        delta = seed["cognito_total"] - project["cognito_total"]
        status = [f"seed {delta:+d}" if delta else "same"]
        status += [
            s for s in (_landing("project", project), _landing("seed", seed)) if s is not None
        ]
        rows.append((entry["label"], calls_text(project), calls_text(seed), ", ".join(status)))
    return rows


def quota_rows(document: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for entry in document.get("quotas", {}).get("flows", []):
        if entry["retry"]:
            continue  # a retry is a rare extra; the bound of the flow itself is what plans use
        project, seed = entry["project"], entry["seed"]
        differs = [
            f"{name} {_rate(b['alternative'])}"
            for name, b in (("project", project), ("seed", seed))
            if b["alternative"]["sign_ins_per_second"] != b["sign_ins_per_second"]
        ]
        note = ("if Link is UserUpdate: " + ", ".join(differs)) if differs else ""
        rows.append((entry["label"], _rate(project), _rate(seed), note))
    return rows


def cold_rows(document: dict[str, Any]) -> list[Row]:
    cold = document.get("cold_import")
    if not cold:
        return []
    baseline = cold["modules"][cold["baseline"]]
    rows: list[Row] = []
    for key, module in cold["modules"].items():
        if key == cold["baseline"]:
            continue
        sdk = ", imports boto3" if module["sdk_loaded"] else ", no boto3"
        rows.append(
            (
                module["label"] + sdk,
                _ms(module["median_s"]),
                _ms(baseline["median_s"]),
                _ratio(module["ratio_to_eager_boto3"]),
            )
        )
    return rows


def warm_rows(document: dict[str, Any]) -> list[Row]:
    warm = document.get("warm")
    if not warm:
        return []
    return [
        (
            entry["label"],
            _ms(entry["project_median_s"]),
            _ms(entry["seed_median_s"]),
            _ratio(entry["ratio_project_to_seed"]),
        )
        for entry in warm["flows"]
    ]


def zip_rows(document: dict[str, Any]) -> list[Row]:
    package = document.get("lambda_zip")
    if not package:
        return []
    return [
        (
            f"lambda_src/ zipped ({package['files']} files, {package['source_bytes']} B source)",
            f"{package['zip_bytes']} B ({package['zip_bytes'] / 1024:.1f} KiB)",
            "-",
            "-",
        )
    ]


def _gate_value(run: dict[str, Any], with_tree: bool) -> str:
    if run["timed_out"]:
        return f">{run['wall_s']:.0f} s (stopped: budget spent)"
    value = f"{run['wall_s']:.1f} s, {_mib(run['peak_process_bytes'])}"
    if with_tree:
        value += f" (tree {_mib(run['peak_tree_bytes'])})"
    if not run["ok"]:
        value += f" EXIT {run['returncode']}"
    return value


def gate_rows(document: dict[str, Any]) -> list[Row]:
    gate = document.get("gate")
    if not gate:
        return []
    runs = {(r["variant"], r["copies"]): r for r in gate["runs"] if r.get("best", True)}
    rows: list[Row] = []
    for copies in sorted({r["copies"] for r in gate["runs"]}):
        base = runs.get(("builtin", copies))
        base_text = _gate_value(base, with_tree=False) if base else "-"
        for variant in ("project", "gate", "offline", "plan"):
            run = runs.get((variant, copies))
            if run is None:
                continue
            ratio = _ratio(gate["ratios"][str(copies)].get(variant))
            if run["timed_out"] or (base is not None and base["timed_out"]):
                ratio = "unknown" if base is None or base["timed_out"] else f">{ratio}"
            label = f"{copies_text(copies)}: {gate['variants'][variant]}"
            rows.append((label, _gate_value(run, with_tree=variant == "gate"), base_text, ratio))
        made = gate.get("plan_s", {}).get(str(copies))
        if made is not None:
            label = f"{copies_text(copies)}: making the offline plan (before the plan gate)"
            rows.append((label, f"{made:.1f} s", "-", "not in the gate's time"))
        share = gate.get("check_share", {}).get(str(copies))
        spent = sorted(
            r["check_s"]
            for r in gate["runs"]
            if r["variant"] == "project" and r["copies"] == copies and r.get("check_s") is not None
        )
        if share is not None and spent:
            label = f"{copies_text(copies)}: time inside the project's checks"
            value = " / ".join(f"{s:.2f} s" for s in spent) + " (rounds)"
            rows.append((label, value, base_text, f"+{share:.1%} of built-ins"))
    for copies, why in gate.get("skipped", {}).items():
        rows.append((copies_text(int(copies)), "skipped", "-", why))
    return rows


def pool_rows(document: dict[str, Any]) -> list[Row]:
    pool = document.get("pool")
    if not pool:
        return []

    def step(name: str, figures: dict[str, Any], unit: str) -> Row:
        whole, share = figures["at_default_quotas"], figures["at_tool_share"]
        return (
            f"{name}: calls per {unit}",
            f"{figures['calls_per_unit']} ({figures['calls_total']} calls)",
            "-",
            f"{whole['seconds']} s at default quotas, {share['seconds']} s at share "
            f"{share['share']} ({share['binding']})",
        )

    prelink = pool["prelink"]
    return [
        step(f"audit of {pool['users']} users", pool["audit"], "user"),
        step(
            f"repair plan ({pool['repair']['people_merged']} merged)",
            pool["repair"]["plan"],
            "person",
        ),
        step("repair apply", pool["repair"]["apply"], "person merged"),
        step("prelink", prelink, "row"),
        (
            "first sign-in, trigger calls (baseline: not prelinked)",
            str(prelink["first_sign_ins_prelinked"]["trigger_calls_per_sign_in"]),
            str(prelink["first_sign_ins_not_prelinked"]["trigger_calls_per_sign_in"]),
            "per sign-in",
        ),
    ]


def target_rows(document: dict[str, Any]) -> list[Row]:
    return [
        (
            t["target"],
            t["value"],
            t["threshold"],
            t["status"].upper() if t["status"] != "met" else "met",
        )
        for t in document.get("targets", [])
    ]


def sections(document: dict[str, Any]) -> list[Section]:
    found: list[Section] = [
        (
            "Cognito calls per sign-in, counted at botocore (baseline: seed article's design)",
            calls_rows(document),
        ),
        (
            "Sign-ins/s under default Cognito quotas, binding category (baseline: seed)",
            quota_rows(document),
        ),
        (
            "Warm handler time per sign-in, all trigger invocations, median (baseline: seed)",
            warm_rows(document),
        ),
        (
            "Cold import in a fresh interpreter, median (baseline: handler importing boto3)",
            cold_rows(document),
        ),
        ("Lambda deployment package (as archive_file zips it)", zip_rows(document)),
        (
            "Policy gate: wall time, peak RSS of largest process (baseline: checkov built-ins)",
            gate_rows(document),
        ),
        ("Live-pool commands on a synthetic pool (test double)", pool_rows(document)),
        ("Targets", target_rows(document)),
    ]
    return [(title, rows) for title, rows in found if rows]


def render(document: dict[str, Any]) -> str:
    found = sections(document)
    all_rows = [row for _, rows in found for row in rows]
    widths = [max(len(COLUMNS[i]), *(len(r[i]) for r in all_rows)) for i in range(3)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(COLUMNS[:3], widths, strict=True)) + "  " + COLUMNS[3],
        "  ".join("-" * w for w in widths) + "  " + "-" * len(COLUMNS[3]),
    ]
    for title, rows in found:
        lines.append(f"[{title}]")
        for row in rows:
            cells = "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True))
            lines.append(f"{cells}  {row[3]}".rstrip())
    return "\n".join(lines)


def as_json_rows(document: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"section": title, **dict(zip(COLUMNS, row, strict=True))}
        for title, rows in sections(document)
        for row in rows
    ]
