"""`cogfed-pool prelink`: link a directory's identities to native users before an SSO rollout.

On the day a company switches to SSO, thousands of first sign-ins would each run the pre
sign-up trigger's lookup and link at once, in the UserList and UserUpdate quotas (FACTS §7).
Linked ahead of time, each of those sign-ins finds its link and never reaches the trigger.

The CSV has the columns `email,provider,subject`, and optionally `create` (`yes`: create a
verified native user when none has the email) and `email_verified` (`true` when the directory
vouches that the email is verified; needed for a provider whose `email_trust` is
`verified_claim`, and taken only with `--csv-vouches-verified`: by default such a provider's
rows are refused, since only the provider itself can say its emails are verified). Each row
goes through the trigger's own code (`lambda_src/`): the same
trust rules (the provider configured and linking, trusted for the email and its domain, one
linkable native user with a verified email and no untrusted provider linked to it, the
identity limit) and the same calls. Rows are paced under the quotas, recorded in a journal
(so an interrupted run resumes and a second run changes nothing), and without `--execute`
only checked.

A row with `create` makes a native user with the trigger's own code, which names it with an
HMAC of the email under the deployment's `LINKING_SECRET` (lambda_src/pseudonyms.py). The
tool must give the very name the trigger would, or a sign-in that ListUsers does not yet show
the new user to (FACTS §6) creates a second user for the same person; so such a row is
refused unless the secret is known (deployment.py) and set where the trigger code reads it.
The journal is bound to the pool (journal.py) and not signed: a row it says is done is
reported done only once the pool shows the link (a native user with the email holding the
identity); otherwise the row is done again.

The CSV itself is the only evidence of which person owns which email and identity, and nothing
in the pool can check it: it must come straight from the directory (the run prints its SHA-256
to compare with the export's).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cogfed_pool.aws import SYSTEMIC, Cognito, PoolCallError
from cogfed_pool.deployment import LinkingSecret, trigger_secret
from cogfed_pool.journal import Journal
from cogfed_pool.live_config import LiveConfig
from cogfed_pool.progress import Progress
from cogfed_pool.repair import users_with_email
from cogfed_pool.trigger_rules import (
    FEDERATED_STATUS,
    account_linking,
    cognito_api,
    errors,
    federated_identity,
)

ROW_DEADLINE_S = 30.0
YES = frozenset({"yes", "true", "1"})
JOURNAL_COMMAND = "cogfed-pool prelink"


def journal_header(pool_id: str) -> dict[str, str]:
    return {"journal": JOURNAL_COMMAND, "pool_id": pool_id}


class PrelinkError(Exception):
    pass


@dataclass(frozen=True)
class Row:
    line: int
    email: str
    provider: str
    subject: str
    create: bool
    email_verified: str

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.subject}"


@dataclass
class PrelinkResult:
    outcomes: dict[str, list[str]] = field(default_factory=dict)  # outcome -> row keys
    refused: list[tuple[str, str]] = field(default_factory=list)

    def add(self, outcome: str, row: Row) -> None:
        self.outcomes.setdefault(outcome, []).append(row.key)

    def describe(self) -> str:
        lines = [
            ", ".join(f"{len(keys)} {outcome}" for outcome, keys in self.outcomes.items())
            or "no rows"
        ]
        lines += [f"  refused {key}: {why}" for key, why in self.refused]
        return "\n".join(lines)


def read_rows(path: Path) -> list[Row]:
    try:
        # utf-8-sig: a spreadsheet's CSV starts with a byte-order mark.
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as problem:
        raise PrelinkError(f"{path}: {problem.strerror}") from problem
    try:
        with handle:
            return _rows(path, csv.DictReader(handle))
    except (csv.Error, UnicodeError) as problem:
        raise PrelinkError(f"{path}: not a CSV file of rows ({problem})") from problem


def _rows(path: Path, reader: csv.DictReader[str]) -> list[Row]:
    missing = {"email", "provider", "subject"} - set(reader.fieldnames or [])
    if missing:
        raise PrelinkError(
            f"{path}: no column {', '.join(sorted(missing))} "
            "(expected email,provider,subject[,create][,email_verified])"
        )
    rows = []
    for line, record in enumerate(reader, start=2):
        # Values are taken exactly as given (Cognito matches subjects and stores emails as
        # sent); only an empty cell is an error.
        email, provider, subject = (record.get(k) or "" for k in ("email", "provider", "subject"))
        if not (email and provider and subject):
            raise PrelinkError(f"{path}:{line}: email, provider and subject are all required")
        rows.append(
            Row(
                line,
                email,
                provider,
                subject,
                (record.get("create") or "").strip().lower() in YES,
                "true" if (record.get("email_verified") or "").strip().lower() in YES else "false",
            )
        )
    return rows


class Prelinker:
    def __init__(
        self,
        cognito: Cognito,
        config: LiveConfig,
        journal: Journal | None,
        *,
        csv_vouches_verified: bool = False,
        secret: LinkingSecret | None = None,
    ) -> None:
        if config.trigger is None:
            raise PrelinkError(f"the triggers' configuration is {config.trigger_source}")
        if journal is not None and journal.header.get("pool_id") != cognito.pool_id:
            raise PrelinkError(f"{journal.path} is the journal of another pool")
        self.secret = secret or LinkingSecret(None, "not given")
        # The CSV's email_verified column stands in for the identity provider's own claim only
        # when the operator says the directory may vouch for it.
        self.csv_vouches_verified = csv_vouches_verified
        self.cognito = cognito
        self.config = config
        self.journal = journal
        self._seen: set[str] = set()

    def check(self, row: Row) -> Any:
        """The identity to link, or SignInRefused: the checks that need no call."""
        if row.provider not in self.config.providers:
            raise errors.SignInRefused(
                f"the pool has no identity provider {row.provider}", reason="unknown_provider"
            )
        settings = self.config.trigger.providers.get(row.provider)
        if settings is None or not settings.link_by_email:
            raise errors.SignInRefused(
                f"{row.provider} does not link by email in the trigger",
                reason="provider_not_linking",
            )
        verified = row.email_verified if self.csv_vouches_verified else "false"
        federated_identity.linkable_email(
            settings, {"email": row.email, "email_verified": verified}
        )
        refusal = self.secret.refusal() if row.create else None
        if refusal is not None:
            raise errors.SignInRefused(
                f"create is set, but a user created now could get another username than the "
                f"trigger gives the same person: {refusal}",
                reason="linking_secret_unknown",
            )
        return federated_identity.FederatedIdentity(settings, row.subject)

    def run(self, rows: list[Row], progress: Progress, *, execute: bool) -> PrelinkResult:
        self.cognito.count_trigger_calls()  # the trigger code's clients: this endpoint too
        with self.cognito.trigger_environment(), trigger_secret(self.secret):
            cognito_api.reset_clients()  # clients of this run's session and endpoint
            try:
                return self._run(rows, progress, execute=execute)
            finally:
                cognito_api.reset_clients()

    def _run(self, rows: list[Row], progress: Progress, *, execute: bool) -> PrelinkResult:
        result = PrelinkResult()
        progress.total = len(rows)
        for row in rows:
            progress.advance()
            if row.key in self._seen:
                result.refused.append((row.key, f"line {row.line} repeats {row.key}"))
                result.add("refused", row)
                continue
            self._seen.add(row.key)
            if (
                self.journal is not None
                and self.journal.has(key=row.key, final=True)
                and self._linked_now(row)
            ):
                result.add("already done", row)
                continue
            try:
                identity = self.check(row)
                outcome = self._link(row, identity) if execute else "would link"
            except errors.SignInRefused as refusal:
                # Not journaled: a row fixed in the directory or the pool is tried again.
                result.refused.append((row.key, str(refusal)))
                result.add("refused", row)
                continue
            except cognito_api.AwsCallError as problem:
                if problem.code in SYSTEMIC:
                    raise PrelinkError(
                        f"stopped at line {row.line}: {problem} (check your credentials' "
                        "cognito-idp permissions); a new run resumes from the journal"
                    ) from problem
                result.refused.append((row.key, f"failed: {problem}"))
                result.add("failed", row)
                continue
            if execute and self.journal is not None:
                self.journal.record(key=row.key, outcome=outcome, final=True)
            result.add(outcome, row)
        progress.done()
        return result

    def _link(self, row: Row, identity: Any) -> str:
        limiter = self.cognito.limiter
        if limiter is not None:
            # The calls one row may make, paced as the tool's own calls are.
            categories = ["UserList", "UserUpdate"] + (
                ["UserCreation", "UserAccountRecovery"] if row.create else []
            )
            for category in categories:
                limiter.wait(category)
        pool_id = self.cognito.pool_id
        deadline = cognito_api.Deadline(ROW_DEADLINE_S)
        if self._federated_profile_exists(row):
            raise errors.SignInRefused(
                f"{row.key} has signed in already and has a user of its own: merge it with "
                "`cogfed-pool repair`",
                reason="federated_user_exists",
            )
        if row.create:
            outcome = account_linking.link_by_email(
                pool_id, identity, row.email, {}, self.config.trigger, deadline
            )
            return str(outcome.decision)
        natives = account_linking._native_users_with_email(pool_id, row.email, deadline)
        if not natives:
            raise errors.SignInRefused(
                "no native user has the email (set create to yes to create one)",
                reason="no_native_user",
            )
        if len(natives) > 1:
            raise errors.SignInRefused(
                "more than one native user has the email", reason="ambiguous_email"
            )
        destination = natives[0]
        account_linking._check_destination(destination, row.email, identity, self.config.trigger)
        if destination.has_identity(identity):
            return "already_linked"
        return str(
            account_linking._link(
                pool_id, destination, identity, deadline, "linked", "prelink"
            ).decision
        )

    def _linked_now(self, row: Row) -> bool:
        """Whether the pool shows the row's link: a native user with its email holding its
        identity (the journal is not signed, so its word alone is not taken)."""
        if not federated_identity.is_filter_safe_email(row.email):
            return False
        return any(
            user.status != FEDERATED_STATUS
            and any(
                i.get("providerName") == row.provider and i.get("userId") == row.subject
                for i in user.identities()
            )
            for user in users_with_email(self.cognito, row.email)
        )

    def _federated_profile_exists(self, row: Row) -> bool:
        """Whether the identity signed in before: its own user blocks linking (FACTS §1)."""
        username = f"{row.provider}_{row.subject}"
        if not self.config.case_sensitive:
            username = username.lower()  # FACTS §2, §3
        try:
            self.cognito.user(username)
        except PoolCallError as problem:
            if problem.code == "UserNotFoundException":
                return False
            raise
        return True
