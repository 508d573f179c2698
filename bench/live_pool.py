"""The live-pool commands on a synthetic pool (default 100,000 users) in the test double.

1. `audit`: every user paged once, by a process of its own (as `cogfed-pool audit --json
   --csv` runs it, unpaced) against the double served over HTTP, so that its peak resident
   memory is the audit's alone; the findings must equal what was planted.
2. `repair`: a plan from the audit's user index, without listing the pool again, carried
   out; a second audit must find no split person but the refused ones, and every merged
   person must hold the attributes and groups of the users merged into it.
3. `prelink`: the directory identities (SAML, trusted "always" for its domain, sending an
   always-true email_verified) of clean native users linked from a CSV; then first sign-ins
   through them, and through identities not prelinked, with the real triggers: Cognito calls
   each.

Calls are counted per operation (the tool's own and, for prelink, the trigger code's); the
time each step would take is computed from those counts at the default quotas, whole and at
the share the tool takes by default (`cogfed_pool.aws.DEFAULT_SHARE`): the slowest category
binds. The run itself is unpaced (the double has no quotas).

The audit's memory is measured again on larger pools named in BENCH_POOL_STREAMED_USERS
(comma-separated, e.g. 1000000; none by default): the double makes those users page by page
as ListUsers asks (`synthetic_pool.stream`), since it cannot hold them, and only the audit
runs on them.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import quotas

PRELINK_ROWS = 200  # prelinked; as many clean users again sign in without it
STREAMED_USERS = "BENCH_POOL_STREAMED_USERS"
REPO_ROOT = Path(__file__).resolve().parent.parent


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
    from cogfed_pool.audit import audit
    from cogfed_pool.aws import Cognito, environment
    from cogfed_pool.journal import Journal
    from cogfed_pool.live_config import read_config
    from cogfed_pool.operator_key import load_key
    from cogfed_pool.progress import Silent
    from cogfed_pool.repair import plan_repair
    from cogfed_pool.user_index import UserIndex
    from cogfed_tools import synthetic_pool
    from cogfed_tools.cognito_double import in_memory_cognito

    result: dict[str, Any] = {"users": users, "seed": seed}
    with in_memory_cognito() as double, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pool_id = synthetic_pool.create_pool(double)
        planted = synthetic_pool.populate(double, pool_id, users, seed=seed)
        result["users"] = planted.users
        progress(f"  synthetic pool: {planted.users} users, {len(planted.repairable)} repairable")

        audited = audit_in_a_process(pool_id, planted, workdir)
        result["audit"] = audited
        progress(
            f"  audit: {audited['calls_total']} calls, {audited['calls_per_unit']} per user, "
            f"peak RSS {audited['peak_rss_mib']} MiB (its own process)"
        )

        cognito = Cognito(pool_id, unlimited=True)
        config = read_config(cognito, planted.identity_providers_json)
        cognito.calls.clear()
        started = time.perf_counter()
        # As `repair --index` does: the audit's listing, not the pool again.
        with UserIndex.open(workdir / "audit.index.sqlite", pool_id) as index:
            plan = plan_repair(cognito, config, index, {}, Silent("plan"))
        path = workdir / "plan.json"
        path.write_text(plan.to_json(), encoding="utf-8")
        document = json.loads(path.read_text(encoding="utf-8"))
        plan_calls, plan_wall = Counter(cognito.calls), time.perf_counter() - started
        cognito.calls.clear()
        started = time.perf_counter()
        # The journal is signed with the operator's key: one made for the run, in its folder.
        with environment({"XDG_CONFIG_HOME": str(workdir)}):
            key = load_key(None, create=True)
        journal = Journal(
            workdir / "journal",
            header=journal_header(document),
            key=key.journal_key,
            state_for=key.journal_state_path,
        )
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
        after = audit(cognito, config, Silent("users"))
        split = {f.email for f in after.findings if f.kind == "split_person"}
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
    result["audit_memory"] = [_memory_row(users, "the double holds the pool", result["audit"])]
    for size in streamed_sizes():
        result["audit_memory"].append(measure_streamed(size, seed, progress))
    return result


def streamed_sizes() -> list[int]:
    text = os.environ.get(STREAMED_USERS, "")
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(
            f"{STREAMED_USERS}={text!r}: give numbers of users, e.g. 1000000"
        ) from None


def measure_streamed(users: int, seed: int, progress: Callable[[str], None]) -> dict[str, Any]:
    """The audit alone on a pool the double makes page by page (`synthetic_pool.stream`)."""
    from cogfed_tools import synthetic_pool
    from cogfed_tools.cognito_double import in_memory_cognito

    progress(f"  audit of a streamed pool of {users} users (its own process)")
    with in_memory_cognito() as double, tempfile.TemporaryDirectory() as tmp:
        pool_id = synthetic_pool.create_pool(double)
        planted = synthetic_pool.stream(double, pool_id, users, seed=seed)
        figures = audit_in_a_process(pool_id, planted, Path(tmp))
    row = _memory_row(planted.users, "streamed: made page by page as listed", figures)
    progress(
        f"  audit of {planted.users} users: peak RSS {row['peak_rss_mib']} MiB, "
        f"{row['calls_per_user']} calls per user, {row['wall_s']} s, planted problems found: "
        f"{row['found_every_planted_problem_and_nothing_else']}"
    )
    return row


def _memory_row(users: int, source: str, figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "users": users,
        "source": source,
        "peak_rss_mib": figures["peak_rss_mib"],
        "calls_per_user": figures["calls_per_unit"],
        "list_users_calls": figures["calls"].get("ListUsers", 0),
        "index_mib": figures["index_mib"],
        "wall_s": figures["wall_s_in_double"],
        "found_every_planted_problem_and_nothing_else": figures[
            "found_every_planted_problem_and_nothing_else"
        ],
    }


def audit_in_a_process(pool_id: str, planted: Any, workdir: Path) -> dict[str, Any]:
    """`audit` in a child process against the double served over HTTP from this one: its
    figures, its peak resident memory (its own, read by itself), and whether its CSV report
    holds exactly the planted problems."""
    from cogfed_tools.cognito_double import moto_server

    providers = workdir / "identity-providers.json"
    providers.write_text(planted.identity_providers_json, encoding="utf-8")
    started = time.perf_counter()
    # The server would log every request (the pages of a million users) on stderr.
    server_log = logging.getLogger("werkzeug")
    level = server_log.level
    server_log.setLevel(logging.WARNING)
    with moto_server() as endpoint:
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from bench.live_pool import audit_child; audit_child(sys.argv[1:])",
                pool_id,
                endpoint,
                str(providers),
                str(workdir),
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    wall = time.perf_counter() - started
    server_log.setLevel(level)
    if child.returncode != 0:
        raise RuntimeError(f"the audit process failed: {child.stderr[-2000:]}")
    answer = json.loads(child.stdout.splitlines()[-1])
    figures = _figures(Counter(answer["calls"]), answer["users"], wall)
    figures["peak_rss_mib"] = round(answer["peak_rss_kib"] / 1024, 1)
    figures["index_mib"] = round((workdir / "audit.index.sqlite").stat().st_size / 2**20, 1)
    found: dict[str, set[str]] = defaultdict(set)
    with (workdir / "audit.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found[row["kind"]].add(row["email"])
    wanted = {k: v for k, v in planted.findings.items() if v}
    figures["found_every_planted_problem_and_nothing_else"] = {
        k: v for k, v in found.items() if v
    } == wanted
    figures["findings"] = {k: len(v) for k, v in found.items()}
    return figures


def audit_child(argv: list[str]) -> None:
    """In the child: the audit as `cogfed-pool audit --json --csv` runs it (its index beside
    the report), unpaced; prints its calls and peak resident memory as JSON."""
    from cogfed_pool.audit import audit
    from cogfed_pool.aws import Cognito
    from cogfed_pool.live_config import read_config
    from cogfed_pool.private_files import open_private
    from cogfed_pool.progress import Silent
    from cogfed_pool.user_index import UserIndex

    pool_id, endpoint, providers, workdir = argv[0], argv[1], Path(argv[2]), Path(argv[3])
    cognito = Cognito(pool_id, unlimited=True, endpoint_url=endpoint)
    config = read_config(cognito, providers.read_text(encoding="utf-8"))
    with UserIndex.open(workdir / "audit.index.sqlite", pool_id) as index:
        report = audit(cognito, config, Silent("users"), index=index)
        print(report.summary(), file=sys.stderr)
        with open_private(workdir / "audit.json", "--json", append=False) as handle:
            report.write_json(handle)
        with open_private(workdir / "audit.csv", "--csv", append=False) as handle:
            report.write_csv(handle)
        index.mark_used()
        users = report.users
    answer = {"calls": dict(cognito.calls), "users": users, "peak_rss_kib": peak_rss_kib()}
    print(json.dumps(answer))


def peak_rss_kib() -> int:
    """This process's peak resident set size (VmHWM), in KiB."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes there, KiB on Linux


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
