"""`cogfed-pool`: audit a live pool, repair its split users, pre-link before an SSO rollout.

    cogfed-pool audit   --user-pool-id ID [--json F] [--csv F]
    cogfed-pool repair  --user-pool-id ID --out PLAN.json [--from-audit F] [--subjects F]
    cogfed-pool repair  --apply PLAN.json [--execute] [--journal F] [--backup F]
    cogfed-pool prelink --user-pool-id ID --csv F [--execute] [--journal F]

The caller's AWS credentials (the usual chain, `--profile`, `--region`, `--endpoint-url`);
every call paced at `--rate-share` of its quota category's default rate. What each command
reads and changes is in the README's "Fixing an existing pool". Exit codes: 0 nothing wrong
(or all done), 1 found problems or refused some, 2 a usage or access error or a run stopped
(the message says which), 3 someone is half-done (run again to finish).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cogfed_pool.aws import (
    DEFAULT_SHARE,
    Cognito,
    PoolCallError,
    misnamed_endpoint_variables,
    service_endpoint_variable,
)
from cogfed_pool.private_files import write_private
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
    """Checked before any call, so that a run does not fail after its work."""
    if path is None:
        return
    if path.is_symlink():
        raise UsageError(f"{what} {path} is a symbolic link: name the file itself")
    if path.is_dir():
        raise UsageError(f"{what} {path} is a directory: name a file")
    if path.exists() and not path.is_file():
        raise UsageError(f"{what} {path} is not a regular file: name a file")
    if not path.resolve().parent.is_dir():
        raise UsageError(f"{what} {path}: the directory {path.resolve().parent} does not exist")


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
            "--endpoint-url",
            help="send every AWS call here (an emulator, a VPC endpoint); default: boto3's own "
            f"configuration, e.g. AWS_ENDPOINT_URL or {service_endpoint_variable('cognito-idp')}",
        )
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
        "--linking-secret-file",
        type=Path,
        help="with --apply: a file holding the deployment's LINKING_SECRET, which signs the "
        "journal (default: the LINKING_SECRET variable, else the pre sign-up function's)",
    )
    repair.add_argument(
        "--trust-stored-emails",
        action="store_true",
        help="merge by stored email even where users can change their email without verifying "
        "it (check the people in the plan first)",
    )
    repair.add_argument(
        "--trust-stored-hosted-domains",
        action="store_true",
        help="merge Google identities at a domain that is neither Google's own nor in the "
        "provider's email_domains, taking the stored hosted domain's word that they are "
        "consumer accounts (check the people in the plan first)",
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
        "--linking-secret-file",
        type=Path,
        help="a file holding the deployment's LINKING_SECRET, needed to create users (default: "
        "the LINKING_SECRET variable, else the pre sign-up function's)",
    )
    prelink.add_argument(
        "--csv-vouches-verified",
        action="store_true",
        help="take the CSV's email_verified column as the identity provider's own claim",
    )
    return top


def _cognito(args: argparse.Namespace, pool_id: str) -> Cognito:
    region = args.region or (pool_id.split("_", 1)[0] if "_" in pool_id else None)
    misnamed = misnamed_endpoint_variables()
    real = service_endpoint_variable("cognito-idp")
    if misnamed and not (args.endpoint_url or os.environ.get(real)):
        # boto3 ignores them without a word, and the run would go to AWS itself.
        raise UsageError(
            f"{', '.join(misnamed)} is set, but boto3 reads no such variable: for cognito-idp "
            f"it reads {real} (or AWS_ENDPOINT_URL for every service). Set that, pass "
            "--endpoint-url, or unset it to use AWS"
        )
    return Cognito(
        pool_id,
        share=args.rate_share,
        region=region,
        profile=args.profile,
        endpoint_url=args.endpoint_url,
    )


def _linking_secret(cognito: Cognito, config: Any, args: argparse.Namespace) -> Any:
    from cogfed_pool.deployment import find_linking_secret, given_secret

    return find_linking_secret(cognito, config, given_secret(args.linking_secret_file))


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
    # Both hold users' emails and usernames: readable by their owner only.
    if args.json:
        write_private(args.json, report.to_json(), "--json")
        print(f"wrote {args.json}")
    if args.csv:
        write_private(args.csv, report.to_csv(), "--csv")
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
        names = _audited_names(args.from_audit, cognito.pool_id)
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
        trust_stored_hosted_domains=args.trust_stored_hosted_domains,
    )
    write_private(args.out, plan.to_json(), "--out")
    print(plan.describe())
    print(
        f"wrote {args.out}: review it, then `cogfed-pool repair --apply {args.out}` (a dry run) "
        "and `--execute`"
    )
    return 1 if plan.refused else 0


def _audited_names(path: Path, pool_id: str) -> set[str]:
    """The usernames of the split people an audit JSON names (a file like any other input)."""
    try:
        audited = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        raise UsageError(f"--from-audit {path}: not an audit JSON ({problem})") from problem
    if not isinstance(audited, dict) or not isinstance(audited.get("findings"), list):
        raise UsageError(f"--from-audit {path}: not an audit JSON (no findings list)")
    if audited.get("pool_id") != pool_id:
        raise UsageError(f"{path} is an audit of {audited.get('pool_id')}, not {pool_id}")
    names: set[str] = set()
    for index, finding in enumerate(audited["findings"]):
        if not isinstance(finding, dict):
            raise UsageError(f"--from-audit {path}: findings[{index}] is not an object")
        usernames = finding.get("usernames")
        if finding.get("kind") != "split_person":
            continue
        if not isinstance(usernames, list) or not all(isinstance(u, str) for u in usernames):
            raise UsageError(f"--from-audit {path}: findings[{index}].usernames is not a list")
        names.update(usernames)
    return names


def run_apply(args: argparse.Namespace) -> int:
    from cogfed_pool.apply import Applier, describe_steps, journal_header
    from cogfed_pool.journal import Journal, RunLock
    from cogfed_pool.plan_file import checked_plan
    from cogfed_pool.repair import load_plan, read_subjects

    plan = checked_plan(load_plan(args.apply), str(args.apply))
    if not args.execute:
        print(describe_steps(plan))
        return 0
    journal_path = args.journal or args.apply.with_suffix(".journal")
    backup = args.backup or args.apply.with_suffix(".backup")
    _writable(journal_path, "--journal")
    _writable(backup, "--backup")
    subjects = read_subjects(args.subjects)
    # Before any call: a second run of the same journal refuses here, having done nothing.
    lock = RunLock(journal_path)
    try:
        cognito = _cognito(args, plan["pool_id"])
        config = _config(cognito, args)
        key = _linking_secret(cognito, config, args).journal_key()
        journal = Journal(journal_path, header=journal_header(plan), key=key, lock=lock)
        try:
            applier = Applier(
                cognito,
                config,
                plan,
                journal,
                backup,
                trust_stored_emails=args.trust_stored_emails,
                trust_stored_hosted_domains=args.trust_stored_hosted_domains,
                subjects=subjects,
            )
            result = applier.run(Progress("merging"))
        finally:
            journal.close()
    finally:
        lock.release()
    print(result.describe())
    print(f"backup of every user changed or deleted: {backup}")
    return result.exit_code


def run_prelink(args: argparse.Namespace) -> int:
    from cogfed_pool.journal import Journal, RunLock
    from cogfed_pool.prelink import Prelinker, journal_header, read_rows

    rows = read_rows(args.csv)
    journal_path = args.journal or args.csv.with_suffix(".journal")
    if args.execute:
        _writable(journal_path, "--journal")
    lock = RunLock(journal_path) if args.execute else None
    try:
        cognito = _cognito(args, args.user_pool_id)
        cognito.count_trigger_calls()
        config = _config(cognito, args)
        secret = _linking_secret(cognito, config, args)
        journal = (
            Journal(journal_path, header=journal_header(cognito.pool_id), lock=lock)
            if args.execute
            else None
        )
        try:
            prelinker = Prelinker(
                cognito,
                config,
                journal,
                csv_vouches_verified=args.csv_vouches_verified,
                secret=secret,
            )
            result = prelinker.run(rows, Progress("linking"), execute=args.execute)
        finally:
            if journal is not None:
                journal.close()
    finally:
        if lock is not None:
            lock.release()
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
    except (UsageError, PlanError, PrelinkError, ValueError, csv.Error) as problem:
        # ValueError: JournalError, SecretError, PrivateFileError and bad input of any kind.
        print(f"cogfed-pool {args.command}: {problem}", file=sys.stderr)
        return 2
    except OSError as problem:
        print(f"cogfed-pool {args.command}: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"cogfed-pool {args.command}: interrupted; a new run resumes from the journal",
            file=sys.stderr,
        )
        return 130
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
