"""`cogfed-pool`: audit a live pool, repair its split users, pre-link before an SSO rollout.

    cogfed-pool audit   --user-pool-id ID [--json F] [--csv F]
    cogfed-pool repair  --user-pool-id ID --out PLAN.json [--from-audit F] [--subjects F]
    cogfed-pool repair  --apply PLAN.json [--execute] [--journal F] [--backup F]
    cogfed-pool prelink --user-pool-id ID --csv F [--execute] [--journal F]

The caller's AWS credentials (the usual chain, `--profile`, `--region`); every call paced at
`--rate-share` of its quota category's default rate. What each command reads and changes is
in the README's "Fixing an existing pool". Exit codes: 0 nothing wrong (or all done), 1 found
problems or refused some, 2 a usage or access error (the message says which).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cogfed_pool.aws import DEFAULT_SHARE, Cognito, PoolCallError
from cogfed_pool.progress import Progress


class UsageError(Exception):
    pass


def _identity_providers(value: str | None) -> str | None:
    if value is None or not value.startswith("@"):
        return value
    try:
        return Path(value[1:]).read_text(encoding="utf-8")
    except OSError as problem:
        raise UsageError(f"--identity-providers {value}: {problem.strerror}") from problem


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= 1:
        raise argparse.ArgumentTypeError(
            f"{text}: give a share of the default rate above 0 and at most 1 (0.3 is 30 percent)"
        )
    return value


def _writable(path: Path | None, what: str) -> None:
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"{what} {path} is a directory: name a file")
    if not path.resolve().parent.is_dir():
        raise UsageError(f"{what} {path}: the directory {path.resolve().parent} does not exist")


def _write_private(path: Path, text: str) -> None:
    """A file holding users' attributes: readable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    with open(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cogfed-pool", description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser, pool: bool = True) -> None:
        if pool:
            sub.add_argument(
                "--user-pool-id", required=True, help="the pool, e.g. eu-west-1_AbC123"
            )
        sub.add_argument(
            "--region",
            help="AWS Region (default: from the pool ID's prefix, else your configuration)",
        )
        sub.add_argument("--profile", help="AWS profile to use")
        sub.add_argument(
            "--rate-share",
            type=_share,
            default=DEFAULT_SHARE,
            help="share of each quota category's default rate the tool may use (default "
            f"{DEFAULT_SHARE}: ListUsers at 9/s, user updates at 7.5/s)",
        )
        sub.add_argument(
            "--identity-providers",
            help="the triggers' IDENTITY_PROVIDERS (JSON, or @file), when the pre sign-up "
            "function's configuration cannot be read",
        )

    audit = commands.add_parser("audit", help="what is wrong with the pool and its users")
    common(audit)
    audit.add_argument("--json", type=Path, help="write the full report as JSON")
    audit.add_argument("--csv", type=Path, help="write one row per finding as CSV")

    repair = commands.add_parser("repair", help="plan the merge of split users, or apply a plan")
    common(repair, pool=False)
    repair.add_argument("--user-pool-id", help="the pool to plan for (not with --apply)")
    repair.add_argument("--out", type=Path, help="where to write the plan (JSON)")
    repair.add_argument(
        "--from-audit", type=Path, help="plan for the people of this audit JSON only"
    )
    repair.add_argument(
        "--subjects", type=Path, help="CSV provider,subject: exact-case subjects from the IdP"
    )
    repair.add_argument("--apply", type=Path, metavar="PLAN", help="carry out a reviewed plan")
    repair.add_argument(
        "--execute", action="store_true", help="with --apply: make the changes (default: dry run)"
    )
    repair.add_argument(
        "--journal", type=Path, help="with --apply: journal file (default PLAN.journal)"
    )
    repair.add_argument(
        "--backup", type=Path, help="with --apply: backup file (default PLAN.backup)"
    )
    repair.add_argument(
        "--trust-stored-emails",
        action="store_true",
        help="merge by stored email even where users can change their email without verifying "
        "it (check the people in the plan first)",
    )

    prelink = commands.add_parser(
        "prelink", help="link a directory's identities ahead of a rollout"
    )
    common(prelink)
    prelink.add_argument(
        "--csv", type=Path, required=True, help="email,provider,subject[,create][,email_verified]"
    )
    prelink.add_argument(
        "--execute", action="store_true", help="make the links (default: check the rows only)"
    )
    prelink.add_argument("--journal", type=Path, help="journal file (default CSV.journal)")
    prelink.add_argument(
        "--csv-vouches-verified",
        action="store_true",
        help="take the CSV's email_verified column as the identity provider's own claim",
    )
    return top


def _cognito(args: argparse.Namespace, pool_id: str) -> Cognito:
    region = args.region or (pool_id.split("_", 1)[0] if "_" in pool_id else None)
    if region:
        os.environ["AWS_REGION"] = region  # the trigger code (prelink) reads it
    return Cognito(pool_id, share=args.rate_share, region=region, profile=args.profile)


def _config(cognito: Cognito, args: argparse.Namespace) -> Any:
    from cogfed_pool.live_config import read_config

    return read_config(cognito, _identity_providers(args.identity_providers))


def run_audit(args: argparse.Namespace) -> int:
    from cogfed_pool.audit import audit

    _writable(args.json, "--json")
    _writable(args.csv, "--csv")
    cognito = _cognito(args, args.user_pool_id)
    config = _config(cognito, args)
    total = config.pool.get("EstimatedNumberOfUsers")
    report = audit(
        cognito, config, Progress("reading users", total if isinstance(total, int) else None)
    )
    print(report.summary())
    if args.json:
        args.json.write_text(report.to_json(), encoding="utf-8")
        print(f"wrote {args.json}")
    if args.csv:
        args.csv.write_text(report.to_csv(), encoding="utf-8")
        print(f"wrote {args.csv}")
    failed = any(r["result"] != "PASSED" for r in report.rules)
    return 1 if report.findings or failed else 0


def run_repair(args: argparse.Namespace) -> int:
    if args.apply is not None:
        return run_apply(args)
    if not args.user_pool_id or not args.out:
        raise UsageError("repair needs --user-pool-id and --out (or --apply PLAN)")
    from cogfed_pool.audit import read_users
    from cogfed_pool.repair import plan_repair, read_subjects
    from cogfed_pool.trigger_rules import PoolUser

    _writable(args.out, "--out")
    subjects = read_subjects(args.subjects)
    cognito = _cognito(args, args.user_pool_id)
    config = _config(cognito, args)
    if args.from_audit:
        audited = json.loads(args.from_audit.read_text(encoding="utf-8"))
        if audited.get("pool_id") != cognito.pool_id:
            raise UsageError(
                f"{args.from_audit} is an audit of {audited.get('pool_id')}, not {cognito.pool_id}"
            )
        names = {
            u for f in audited["findings"] if f["kind"] == "split_person" for u in f["usernames"]
        }
        users = []
        for name in sorted(names):
            try:
                users.append(PoolUser.from_api(cognito.user(name)))
            except PoolCallError as problem:
                if problem.code != "UserNotFoundException":
                    raise
    else:
        users = read_users(cognito, Progress("reading users"))
    plan = plan_repair(
        cognito,
        config,
        users,
        subjects,
        Progress("planning"),
        trust_stored_emails=args.trust_stored_emails,
    )
    _write_private(args.out, plan.to_json())
    print(plan.describe())
    print(
        f"wrote {args.out}: review it, then `cogfed-pool repair --apply {args.out}` (a dry run) "
        "and `--execute`"
    )
    return 1 if plan.refused else 0


def run_apply(args: argparse.Namespace) -> int:
    from cogfed_pool.apply import Applier, describe_steps
    from cogfed_pool.journal import Journal
    from cogfed_pool.repair import load_plan, read_subjects

    plan = load_plan(args.apply)
    if not args.execute:
        print(describe_steps(plan))
        return 0
    cognito = _cognito(args, plan["pool_id"])
    config = _config(cognito, args)
    journal = Journal(args.journal or args.apply.with_suffix(".journal"))
    backup = args.backup or args.apply.with_suffix(".backup")
    try:
        applier = Applier(
            cognito,
            config,
            plan,
            journal,
            backup,
            trust_stored_emails=args.trust_stored_emails,
            subjects=read_subjects(args.subjects),
        )
        result = applier.run(Progress("merging"))
    finally:
        journal.close()
    print(result.describe())
    print(f"backup of every user changed or deleted: {backup}")
    return 1 if result.skipped else 0


def run_prelink(args: argparse.Namespace) -> int:
    from cogfed_pool.journal import Journal
    from cogfed_pool.prelink import Prelinker, read_rows

    rows = read_rows(args.csv)
    cognito = _cognito(args, args.user_pool_id)
    cognito.count_trigger_calls()
    config = _config(cognito, args)
    journal = Journal(args.journal or args.csv.with_suffix(".journal")) if args.execute else None
    try:
        prelinker = Prelinker(
            cognito, config, journal, csv_vouches_verified=args.csv_vouches_verified
        )
        result = prelinker.run(rows, Progress("linking"), execute=args.execute)
    finally:
        if journal is not None:
            journal.close()
    print(result.describe())
    if not args.execute:
        print("checked only: nothing changes without --execute")
    return 1 if result.refused else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    commands = {"audit": run_audit, "repair": run_repair, "prelink": run_prelink}
    from cogfed_pool.prelink import PrelinkError
    from cogfed_pool.repair import PlanError

    try:
        return commands[args.command](args)
    except (UsageError, PlanError, PrelinkError, ValueError) as problem:
        print(f"cogfed-pool {args.command}: {problem}", file=sys.stderr)
        return 2
    except PoolCallError as problem:
        print(
            f"cogfed-pool {args.command}: {problem} (check the pool ID, Region and your "
            "credentials' cognito-idp permissions)",
            file=sys.stderr,
        )
        return 2
    except Exception as problem:
        from botocore.exceptions import BotoCoreError

        if isinstance(problem, BotoCoreError):
            print(f"cogfed-pool {args.command}: {problem}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
