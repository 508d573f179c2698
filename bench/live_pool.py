"""The live-pool commands on a synthetic pool (default 100,000 users) in the test double.

1. `audit`: every user paged once; the findings must equal what was planted.
2. `repair`: a plan from the same users, carried out; a second audit must find no split
   person but the refused ones, and every merged person must hold the attributes and groups
   of the users merged into it.
3. `prelink`: the directory identities (SAML, trusted "always" for its domain, sending an
   always-true email_verified) of clean native users linked from a CSV; then first sign-ins
   through them, and through identities not prelinked, with the real triggers: Cognito calls
   each.

Calls are counted per operation (the tool's own and, for prelink, the trigger code's); the
time each step would take is computed from those counts at the default quotas, whole and at
the share the tool takes by default (`cogfed_pool.aws.DEFAULT_SHARE`): the slowest category
binds. The run itself is unpaced (the double has no quotas).
"""

from __future__ import annotations

import csv
import json
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import quotas

PRELINK_ROWS = 200  # prelinked; as many clean users again sign in without it


def _at_quotas(calls: dict[str, int], share: float) -> dict[str, Any]:
    per_category: Counter[str] = Counter()
    for operation, count in calls.items():
        per_category[quotas.PLACEMENT[operation].category] += count
    seconds = {c: n / (quotas.DEFAULT_RPS[c] * share) for c, n in per_category.items()}
    binding = max(seconds, key=lambda c: seconds[c]) if seconds else None
    return {"seconds": round(seconds[binding], 1) if binding else 0.0, "binding": binding}


def _figures(calls: Counter[str], units: int, wall: float) -> dict[str, Any]:
    from cogfed_pool.aws import DEFAULT_SHARE

    total = sum(calls.values())
    return {
        "calls": dict(calls),
        "calls_total": total,
        "calls_per_unit": round(total / units, 3) if units else None,
        "at_default_quotas": _at_quotas(dict(calls), 1.0),
        "at_tool_share": {**_at_quotas(dict(calls), DEFAULT_SHARE), "share": DEFAULT_SHARE},
        "wall_s_in_double": round(wall, 1),
    }


def measure(users: int, seed: int = 7, progress: Callable[[str], None] = print) -> dict[str, Any]:
    from cogfed_pool.apply import Applier, journal_header
    from cogfed_pool.audit import find_problems, read_users
    from cogfed_pool.aws import Cognito
    from cogfed_pool.deployment import LinkingSecret
    from cogfed_pool.journal import Journal
    from cogfed_pool.live_config import read_config
    from cogfed_pool.progress import Silent
    from cogfed_pool.repair import plan_repair
    from cogfed_tools import synthetic_pool
    from cogfed_tools.cognito_double import in_memory_cognito

    result: dict[str, Any] = {"users": users, "seed": seed}
    with in_memory_cognito() as double, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pool_id = synthetic_pool.create_pool(double)
        planted = synthetic_pool.populate(double, pool_id, users, seed=seed)
        result["users"] = planted.users
        progress(f"  synthetic pool: {planted.users} users, {len(planted.repairable)} repairable")

        cognito = Cognito(pool_id, unlimited=True)
        config = read_config(cognito, planted.identity_providers_json)
        started = time.perf_counter()
        pool_users = read_users(cognito, Silent("users"))
        findings = find_problems(pool_users, config)
        audit_calls = Counter(cognito.calls)
        result["audit"] = _figures(audit_calls, planted.users, time.perf_counter() - started)
        found: dict[str, set[str]] = defaultdict(set)
        for finding in findings:
            found[finding.kind].add(finding.email)
        wanted = {k: v for k, v in planted.findings.items() if v}
        result["audit"]["found_every_planted_problem_and_nothing_else"] = {
            k: v for k, v in found.items() if v
        } == wanted
        result["audit"]["findings"] = {k: len(v) for k, v in found.items()}
        progress(f"  audit: {sum(audit_calls.values())} calls")

        cognito.calls.clear()
        started = time.perf_counter()
        plan = plan_repair(cognito, config, pool_users, {}, Silent("plan"))
        path = workdir / "plan.json"
        path.write_text(plan.to_json(), encoding="utf-8")
        document = json.loads(path.read_text(encoding="utf-8"))
        plan_calls, plan_wall = Counter(cognito.calls), time.perf_counter() - started
        cognito.calls.clear()
        started = time.perf_counter()
        # The journal is signed under the deployment's LINKING_SECRET (a made-up one here).
        key = LinkingSecret("benchmark-deployment-secret", "the benchmark").journal_key()
        journal = Journal(workdir / "journal", header=journal_header(document), key=key)
        applied = Applier(cognito, config, document, journal, workdir / "backup").run(
            Silent("apply")
        )
        journal.close()
        apply_calls = Counter(cognito.calls)
        merged = len(applied.done)
        result["repair"] = {
            "people_merged": merged,
            "people_refused": len(plan.refused),
            "plan": _figures(plan_calls, merged + len(plan.refused), plan_wall),
            "apply": _figures(apply_calls, merged, time.perf_counter() - started),
        }
        progress(f"  repair: {merged} people merged, {len(plan.refused)} refused")

        cognito.calls.clear()
        after = find_problems(read_users(cognito, Silent("users")), config)
        split = {f.email for f in after if f.kind == "split_person"}
        lost = 0
        by_email = {(u.email or "").lower(): u for u in double.users(pool_id) if not u.is_federated}
        for email in planted.repairable:
            user = by_email.get(email)
            groups = (
                {g.group_name for g in double.pool(pool_id).users[user.username].groups}
                if user
                else set()
            )
            if (
                user is None
                or any(
                    user.attributes.get(k) != v for k, v in planted.moved_attributes[email].items()
                )
                or not planted.moved_groups[email] <= groups
            ):
                lost += 1
        result["repair"]["split_people_left"] = len(split)
        result["repair"]["split_people_left_are_the_refused"] = split == planted.refused
        result["repair"]["people_with_lost_attributes_or_groups"] = lost

        result["prelink"] = _prelink(double, pool_id, planted, cognito, config, workdir)
        progress("  prelink: done")
    return result


def _prelink(
    double: Any, pool_id: str, planted: Any, cognito: Any, config: Any, workdir: Path
) -> dict[str, Any]:
    from cogfed_pool.journal import Journal
    from cogfed_pool.prelink import Prelinker, journal_header, read_rows
    from cogfed_pool.progress import Silent
    from cogfed_tools import synthetic_pool
    from cogfed_tools.cognito_double import FederatedSignInSimulator as Simulator

    clean = [
        u
        for u in double.users(pool_id)
        if (u.email or "").startswith("clean-") and not u.linked and u.email_verified
    ][: 2 * PRELINK_ROWS]
    subjects = {u.username: f"Pre{index:05d}-NaMeId" for index, u in enumerate(clean)}
    prelinked, left = clean[:PRELINK_ROWS], clean[PRELINK_ROWS:]
    path = workdir / "rows.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "provider", "subject"])
        for user in prelinked:
            writer.writerow([user.email, "Directory", subjects[user.username]])
    cognito.calls.clear()
    cognito.count_trigger_calls()
    journal = Journal(workdir / "prelink.journal", header=journal_header(pool_id))
    started = time.perf_counter()
    outcome = Prelinker(cognito, config, journal).run(read_rows(path), Silent("rows"), execute=True)
    journal.close()
    figures = _figures(Counter(cognito.calls), len(prelinked), time.perf_counter() - started)
    figures["outcomes"] = {k: len(v) for k, v in outcome.outcomes.items()}

    sim = Simulator(double, pool_id)
    sim.identity_providers_override = planted.identity_providers_json

    def first_sign_ins(users: list[Any]) -> dict[str, Any]:
        calls: Counter[str] = Counter()
        landed = 0
        for user in users:
            subject = subjects[user.username]
            claims = {
                synthetic_pool.DIRECTORY_EMAIL: user.email,
                synthetic_pool.DIRECTORY_VERIFIED: "true",
                synthetic_pool.DIRECTORY_SUBJECT: subject,
            }
            signed = sim.federated_sign_in("Directory", subject, claims)
            calls.update(signed.cognito_calls)
            landed += signed.signed_in and signed.username == user.username
        return {
            "sign_ins": len(users),
            "landed_on_their_native_user": landed,
            "trigger_calls_total": sum(calls.values()),
            "trigger_calls_per_sign_in": round(sum(calls.values()) / len(users), 2)
            if users
            else None,
            "trigger_calls": dict(calls),
        }

    figures["first_sign_ins_prelinked"] = first_sign_ins(prelinked)
    figures["first_sign_ins_not_prelinked"] = first_sign_ins(left)
    return figures
