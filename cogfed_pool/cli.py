"""`cogfed-pool`: audit a live pool, repair its split users, pre-link before an SSO rollout.

    cogfed-pool audit   --user-pool-id ID [--json F] [--csv F] [--index F]
    cogfed-pool repair  --user-pool-id ID --out PLAN.json [--from-audit F | --index F]
                        [--subjects F]
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cogfed_pool.aws import (
    DEFAULT_SHARE,
    Cognito,
    PoolCallError,
    misnamed_endpoint_variables,
    service_endpoint_variable,
)
from cogfed_pool.private_files import open_private, write_private
from cogfed_pool.progress import Progress

INDEX_SUFFIX = ".index.sqlite"


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
    audit.add_argument(
        "--index",
        type=Path,
        help="the file the users are listed into, grouped by email there (default: beside "
        f"--json, else --csv, named *{INDEX_SUFFIX}; without either, a temporary one). An "
        "interrupted audit run again with it resumes the listing; `repair --index` plans "
        "from it without reading the pool again",
    )

    repair = commands.add_parser("repair", help="plan the merge of split users, or apply a plan")
    common(repair, pool=False)
    repair.add_argument("--user-pool-id", help="the pool to plan for (not with --apply)")
    repair.add_argument("--out", type=Path, help="where to write the plan (JSON)")
    repair.add_argument(
        "--from-audit", type=Path, help="plan for the people of this audit JSON only"
    )
    repair.add_argument(
        "--index",
        type=Path,
        help="plan from this user index (an audit's, used as it is, without reading the pool "
        "again), or list the users into it, resuming an interrupted listing (default: a "
        "temporary index)",
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
        "--key-file",
        type=Path,
        help="the operator key that signs the plan (--out) and is checked with it and signs "
        "the journal (--apply): a file only you may read (default: "
        "$XDG_CONFIG_HOME/cogfed-pool/key, made on first use); a plan applied on another "
        "machine needs the same key",
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
    prelink.add_argument(
        "--unconfirmed-linking-secret",
        action="store_true",
        help="create users under a LINKING_SECRET given with --linking-secret-file or the "
        "variable even though neither the pre sign-up function's configuration nor any user "
        "the trigger created confirms it. RISK: if it is not the deployment's (another "
        "stage's, an old one), every user created gets a username the trigger never gives, "
        "and a first sign-in while ListUsers lags creates a second user for the same person",
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


@contextmanager
def _user_index(args: argparse.Namespace, path: Path | None, pool_id: str) -> Iterator[Any]:
    """The user index at `path` (refused when another pool's), held by this run alone, or a
    temporary one; opened before any call."""
    from cogfed_pool.journal import RunLock
    from cogfed_pool.user_index import UserIndex

    if path is None:
        args.resume_hint = (
            "the users listed so far were in a temporary index: name a file with --index so "
            "that a run can resume"
        )
        with UserIndex.temporary(pool_id) as index:
            yield index
        return
    _writable(path, "--index")
    lock = RunLock(path)
    try:
        with UserIndex.open(path, pool_id) as index:
            # For the messages of a run that stops: the next one resumes from this index.
            args.resume_hint = f"the users listed so far are kept in {path}: run again to resume"
            yield index
    finally:
        lock.release()


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_audit(args: argparse.Namespace) -> int:
    from cogfed_pool.audit import audit

    _writable(args.json, "--json")
    _writable(args.csv, "--csv")
    beside = args.json or args.csv
    path = args.index or (beside.with_suffix(INDEX_SUFFIX) if beside else None)
    for report, what in ((args.json, "--json"), (args.csv, "--csv")):
        if path is not None and report is not None and path.resolve() == report.resolve():
            # Writing the report would destroy the index, or the index the report.
            raise UsageError(f"--index {path} is the same file as {what}: name another file")
    with _user_index(args, path, args.user_pool_id) as index:
        cognito = _cognito(args, args.user_pool_id)
        config = _config(cognito, args)
        if index.used:
            # The pool may have changed since that audit (a repair, sign-ins): list it again.
            _say(f"{index.describe()}, reported before: listing the pool again")
            index.start_over()
        elif index.complete:
            _say(f"{index.describe()}: reporting from it without listing the pool again")
        total = config.pool.get("EstimatedNumberOfUsers")
        report = audit(
            cognito,
            config,
            Progress("reading users", total if isinstance(total, int) else None),
            index=index,
        )
        print(report.summary())
        # Both hold users' emails and usernames: readable by their owner only.
        if args.json:
            with open_private(args.json, "--json", append=False) as handle:
                report.write_json(handle)
            print(f"wrote {args.json}")
        if args.csv:
            with open_private(args.csv, "--csv", append=False) as handle:
                report.write_csv(handle)
            print(f"wrote {args.csv}")
        index.mark_used()
        if path is not None:
            print(
                f"users listed in {path} (readable by you only): `repair --index {path}` plans "
                "from it; delete it when done"
            )
        failed = any(r["result"] != "PASSED" for r in report.rules)
        return 1 if report.findings or failed else 0


def run_repair(args: argparse.Namespace) -> int:
    if args.apply is not None:
        return run_apply(args)
    if not args.user_pool_id or not args.out:
        raise UsageError("repair needs --user-pool-id and --out (or --apply PLAN)")
    if args.from_audit and args.index:
        raise UsageError(
            "give --from-audit (plan for the people an audit named) or --index (for everyone "
            "an index lists), not both"
        )
    from cogfed_pool.operator_key import load_key, signed_plan_text
    from cogfed_pool.repair import plan_repair, read_subjects

    _writable(args.out, "--out")
    subjects = read_subjects(args.subjects)
    key = load_key(args.key_file, create=True)  # before any call: the plan is signed with it
    with _user_index(args, args.index, args.user_pool_id) as users:
        cognito = _cognito(args, args.user_pool_id)
        config = _config(cognito, args)
        if args.from_audit:
            names = _audited_names(args.from_audit, cognito.pool_id)
            users.add(_audited_users(cognito, sorted(names)))
        elif users.complete:
            _say(
                f"{users.describe()}: planning from it without listing the pool again (each "
                "person is read again before it is planned)"
            )
        else:
            users.read_pool(cognito, Progress("reading users"))
        plan = plan_repair(
            cognito,
            config,
            users,
            subjects,
            Progress("planning"),
            trust_stored_emails=args.trust_stored_emails,
            trust_stored_hosted_domains=args.trust_stored_hosted_domains,
        )
        users.mark_used()
    write_private(args.out, signed_plan_text(plan.to_json(), key, args.subjects), "--out")
    print(plan.describe())
    print(
        f"wrote {args.out}: review it, then `cogfed-pool repair --apply {args.out}` (a dry run) "
        "and `--execute`"
    )
    return 1 if plan.refused else 0


def _audited_users(cognito: Cognito, names: list[str]) -> Iterator[Any]:
    from cogfed_pool.trigger_rules import PoolUser

    for name in names:
        try:
            yield PoolUser.from_api(cognito.user(name))
        except PoolCallError as problem:
            if problem.code != "UserNotFoundException":
                raise


def _audited_names(path: Path, pool_id: str) -> set[str]:
    """The usernames of the split people an audit JSON names (a file like any other input)."""
    try:
        audited = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as problem:
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
    from cogfed_pool.journal import Journal, JournalCut, RunLock
    from cogfed_pool.operator_key import check_subjects, distinct_files, load_key, verify_plan
    from cogfed_pool.plan_file import checked_plan
    from cogfed_pool.repair import load_plan, read_subjects

    plan = checked_plan(load_plan(args.apply), str(args.apply))
    pool_id = plan["pool_id"]
    if args.user_pool_id and args.user_pool_id != pool_id:
        raise UsageError(
            f"--user-pool-id {args.user_pool_id} is not the plan's pool {pool_id}: a plan is "
            "applied to the pool it was made for; leave --user-pool-id out, or give that "
            "pool's plan"
        )
    key = load_key(args.key_file, create=False)
    verify_plan(plan, key, str(args.apply))
    check_subjects(plan, args.subjects, str(args.apply))
    if not args.execute:
        print(describe_steps(plan))
        return 0
    journal_path = args.journal or args.apply.with_suffix(".journal")
    backup = args.backup or args.apply.with_suffix(".backup")
    _writable(journal_path, "--journal")
    _writable(backup, "--backup")
    # Locks: the journal's, the plan's (its default journal's: a run of the same plan with
    # another --journal) and the pool's (another plan of the same people).
    plan_journal = args.apply.with_suffix(".journal")
    lock_paths = {"the journal's lock": journal_path.with_name(journal_path.name + ".lock")}
    if plan_journal != journal_path:
        lock_paths["the plan's lock"] = plan_journal.with_name(plan_journal.name + ".lock")
    lock_paths["the pool's lock"] = key.pool_lock_path(pool_id)
    distinct_files(
        {
            "the plan": args.apply,
            "--journal": journal_path,
            "--backup": backup,
            **lock_paths,
            "the operator key": key.path,
        }
    )
    subjects = read_subjects(args.subjects)
    # Before any call: a second run of the same journal, plan or pool refuses here.
    locks: list[RunLock] = []
    try:
        pool_lock = key.pool_lock_path(pool_id)
        locks.append(RunLock(pool_lock, path=pool_lock, using=f"pool {pool_id}"))
        locks.append(RunLock(journal_path))
        if plan_journal != journal_path:
            locks.append(RunLock(plan_journal, using=f"the plan {args.apply}"))
        cognito = _cognito(args, pool_id)
        config = _config(cognito, args)
        try:
            journal = Journal(
                journal_path,
                header=journal_header(plan),
                key=key.journal_key,
                lock=locks[1],
                state_for=key.journal_state_path,
            )
        except JournalCut as problem:
            print(f"cogfed-pool repair: {problem}", file=sys.stderr)
            return 3
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
        for lock in reversed(locks):
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
        if any(row.create for row in rows):
            from cogfed_pool.deployment import confirm_secret

            secret = confirm_secret(cognito, secret, take_it=args.unconfirmed_linking_secret)
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
    from cogfed_pool.operator_key import file_sha256

    # The rows are the only evidence of who owns which email: compare with the export's.
    print(f"rows from {args.csv}, SHA-256 {file_sha256(args.csv)}")
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
        resume = getattr(args, "resume_hint", None) or "a new run resumes from the journal"
        print(f"cogfed-pool {args.command}: interrupted; {resume}", file=sys.stderr)
        return 130
    except PoolCallError as problem:
        resume = getattr(args, "resume_hint", None)
        print(
            f"cogfed-pool {args.command}: {problem} (check the pool ID, Region and your "
            "credentials' cognito-idp permissions)" + (f"; {resume}" if resume else ""),
            file=sys.stderr,
        )
        return 2
    except RecursionError:
        print(
            f"cogfed-pool {args.command}: an input is nested too deeply to be read (no plan, "
            "journal, audit or configuration of this tool is): check the files given",
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
