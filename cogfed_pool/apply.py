"""`cogfed-pool repair --apply PLAN --execute`: carry a reviewed plan out, resumably.

The plan, the journal and the `--subjects` file are input that may have been edited since the
review, so none of them is believed where believing it could hand an account over or lose
data:

- The plan is checked for its shape first (plan_file.py: every key of the right type; each
  person, user, `sub` and identity named once). The steps are derived from its merges, never
  read from its `actions` list.
- Progress is keyed by the kept user's `sub` and each merged user's `sub` (unique, and checked
  against the pool), never by the plan's free-text email label.
- Every step is checked against the pool at the moment it runs, with the users it touches read
  again: the kept user is the plan's native user (same `sub`), the only native user with the
  email, and its email is the plan's label; the user to delete is a federated user of exactly
  that person (the same email as the kept user, compared as the trigger compares it; status
  EXTERNAL_PROVIDER; holding exactly the identity being moved, with its exact-case subject,
  FACTS §1, §3), enabled, and unchanged since the plan (its data would be lost otherwise);
  what is copied and joined is that user's own; and the trigger's own checks would link the
  identity to the kept user now (its code, CONTRACT §1). A person failing any of these is
  skipped, with what differs named.
- A user's backup line (every attribute, status, enabled, groups) is appended to the backup
  file and fsynced before the user is changed: the kept user before the run's first change to
  it, a merged user right before it is deleted, from the state just checked. Nothing the
  journal says skips that.
- The journal is bound to the plan and the pool and signed under the operator's key (journal.py,
  operator_key.py). The run believes two of its lines: "this person is done" (then it is skipped
  without a call: believing it can only make the run do less), and "this federated user was
  checked and is being deleted", the only evidence left, once that user is gone, that its
  identity was that person's (FACTS §1: the federated user must be deleted before its identity
  can be linked). That line carries the SHA-256 of the user's backup line, and a later run links
  only an identity that backup line shows the user held. So a person whose deletion went through
  but whose link did not (throttling, a killed run, a lost connection) is finished by the next
  run, and reported half-done until then; one the run cannot finish (the identity linked to
  another user since, the backup line missing, a deleted user with a backup line but no journal
  line) is reported for a person to check by hand.
- A run stops, instead of going on person after person, on an error no later person would
  escape (access, credentials, the pool, the connection, the disk) and on throttling that
  outlasted the retries: the person it was on is reported half-done if its federated user was
  already deleted.

Without `--execute` it only says what it would do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import BotoCoreError

from cogfed_pool.aws import RETRYABLE, SYSTEMIC, Cognito, PoolCallError
from cogfed_pool.journal import Journal
from cogfed_pool.live_config import LiveConfig, hosted_domain_doubt, type_mismatch
from cogfed_pool.plan_file import checked_plan, plan_digest
from cogfed_pool.private_files import append_durably, open_private
from cogfed_pool.progress import Progress
from cogfed_pool.repair import NOT_MOVED, actions_of, exact_subject, groups_of, users_with_email
from cogfed_pool.trigger_rules import (
    FEDERATED_STATUS,
    MAX_IDENTITIES,
    PoolUser,
    account_linking,
    ascii_case,
    errors,
    federated_identity,
)

MERGING = "merging is not currently supported"
JOURNAL_COMMAND = "cogfed-pool repair --apply"
PLAN_AGAIN = "plan again"
# Errors after which the run stops rather than go on to the next person (see the docstring).
STOPPING = SYSTEMIC | RETRYABLE


def journal_header(plan: dict[str, Any]) -> dict[str, Any]:
    """What a journal of this plan's runs is bound to."""
    return {
        "journal": JOURNAL_COMMAND,
        "pool_id": plan["pool_id"],
        "plan_sha256": plan_digest(plan),
    }


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


@dataclass
class ApplyResult:
    done: list[str] = field(default_factory=list)  # finished by this run
    already: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    half_done: list[tuple[str, str]] = field(default_factory=list)
    by_hand: list[tuple[str, str]] = field(default_factory=list)  # half-done, not finishable
    stopped: str | None = None
    not_reached: int = 0

    def describe(self) -> str:
        lines = [
            f"{len(self.done)} people merged, {len(self.already)} already done before this run, "
            f"{len(self.skipped)} skipped"
        ]
        if self.half_done:
            lines.append(f"{_people(len(self.half_done))} half-done: run again to finish")
            lines += [f"  half-done {email}: {why}" for email, why in self.half_done]
        if self.by_hand:
            lines.append(
                f"{_people(len(self.by_hand))} half-done: check by hand (the tool will do "
                "nothing more for them)"
            )
            lines += [f"  check by hand {email}: {why}" for email, why in self.by_hand]
        lines += [f"  skipped {email}: {why}" for email, why in self.skipped]
        if self.stopped is not None:
            lines.append(
                f"stopped: {self.stopped}; {_people(self.not_reached)} not reached: fix the "
                "cause (or wait for the pool's traffic to drop), then run again to go on"
            )
        return "\n".join(lines)

    @property
    def exit_code(self) -> int:
        """3 someone half-done (stopped or not), 2 stopped, 1 someone skipped, 0 all done."""
        if self.half_done or self.by_hand:
            return 3
        if self.stopped is not None:
            return 2
        return 1 if self.skipped else 0


class Skip(Exception):
    """This person may not go ahead now; the message says why."""


class ByHand(Exception):
    """This person is (or may be) half-done and no run can finish it: a human must look."""


BY_HAND = "nothing more will be done for this person"


def describe_steps(plan: dict[str, Any]) -> str:
    plan = checked_plan(plan, "the plan")
    lines = [f"dry run: nothing changes without --execute ({len(plan['people'])} people)"]
    for person in plan["people"]:
        lines.append(f"- {person['email']}: keep {person['keep_username']}")
        for step in actions_of(person["merges"]):
            lines.append("    " + _step_text(step))
    return "\n".join(lines)


def _step_text(step: dict[str, Any]) -> str:
    kind = step["do"]
    if kind == "copy_attributes":
        return f"copy {', '.join(sorted(step['attributes']))} from {step['from']}"
    if kind == "add_to_group":
        return f"join group {step['group']}"
    if kind == "unlink":
        return f"remove the link {step['provider']}:{step['subject']}"
    if kind == "delete_user":
        return f"delete {step['username']} ({step['sub']})"
    return f"link {step['provider']}:{step['subject']}"


@dataclass
class Merged:
    """A merged user as the pool holds it now (None once deleted), and its groups."""

    user: Any | None
    groups: list[str]


class Applier:
    def __init__(
        self,
        cognito: Cognito,
        config: LiveConfig,
        plan: dict[str, Any],
        journal: Journal,
        backup: Path,
        after_step: Callable[[], None] = lambda: None,
        *,
        trust_stored_emails: bool = False,
        trust_stored_hosted_domains: bool = False,
        subjects: dict[tuple[str, str], str] | None = None,
    ) -> None:
        plan = checked_plan(plan, "the plan")
        if plan["pool_id"] != cognito.pool_id:
            raise ValueError(f"the plan is for pool {plan['pool_id']}, not {cognito.pool_id}")
        if config.trigger is None:
            raise ValueError(f"the triggers' configuration is {config.trigger_source}")
        if config.email_self_editable and not trust_stored_emails:
            raise ValueError(
                "users can change their own email in this pool without verifying it, so a "
                "stored email does not show who holds the address; require verification "
                "first, or pass --trust-stored-emails"
            )
        if journal.key is None:
            raise ValueError(f"{journal.path} is not signed: a repair journal must be")
        wanted = journal_header(plan)
        differing = [k for k, v in wanted.items() if journal.header.get(k) != v]
        if differing:
            raise ValueError(
                f"{journal.path} is the journal of another run (its {', '.join(differing)} "
                "differ from this plan's); give a new --journal"
            )
        self.config = config
        self.trust_stored_hosted_domains = trust_stored_hosted_domains
        self.subjects = subjects or {}
        self.probe_user = f"cogfed-pool-probe-{uuid.uuid4().hex}"  # a user nobody has
        self.cognito = cognito
        self.plan = plan
        self.journal = journal
        self.backup = backup
        self._backup: IO[str] | None = None
        # The backup's lines of federated users, by SHA-256 (read on first need): what a
        # "deleting" journal line vouches for.
        self._backed_up: dict[str, dict[str, Any]] | None = None
        self.after_step = after_step  # tests: a place to stop the run midway

    # ------------------------------------------------------------------ the run

    def run(self, progress: Progress) -> ApplyResult:
        result = ApplyResult()
        people = self.plan["people"]
        progress.total = len(people)
        try:
            for index, person in enumerate(people):
                progress.advance()
                label, key = person["email"], person["keep_sub"]
                if self.journal.has(person=key, state="done"):
                    result.already.append(label)
                    continue
                marked = self.journal.find(person=key, state="by_hand")
                if marked:
                    result.by_hand.append((label, str(marked[-1].get("reason"))))
                    continue
                if self._backup is None:
                    self._probe_permissions(person)
                    self._backup = open_private(self.backup, "--backup", append=True)
                try:
                    self._apply_person(person)
                except Skip as skip:
                    self._settle(person, result, str(skip))
                    continue
                except ByHand as problem:
                    self._record_quietly(person=key, state="by_hand", reason=str(problem))
                    result.by_hand.append((label, str(problem)))
                    continue
                except PoolCallError as problem:
                    if problem.code not in STOPPING:
                        self._settle(person, result, f"a call failed: {problem}")
                        continue
                    result.stopped = str(problem)
                    self._settle(person, result, f"the run stopped at {problem.operation}")
                    result.not_reached = len(people) - index - 1
                    break
                except (BotoCoreError, OSError) as problem:
                    # The connection or the disk: no later person would fare better.
                    result.stopped = f"{type(problem).__name__}: {problem}"
                    self._settle(person, result, "the run stopped (connection or disk)")
                    result.not_reached = len(people) - index - 1
                    break
                self.journal.record(person=key, state="done")
                result.done.append(label)
        finally:
            if self._backup is not None:
                self._backup.close()
                self._backup = None
        progress.done()
        return result

    def _settle(self, person: dict[str, Any], result: ApplyResult, why: str) -> None:
        """Record a person that did not finish: half-done (a federated user deleted, or maybe
        deleted, and its identity not yet linked) or skipped."""
        key = person["keep_sub"]
        pending = [
            m
            for m in person["merges"]
            if self._deleting(person, m)
            and not self.journal.has(person=key, merge=m["sub"], step="link")
        ]
        if pending:
            names = ", ".join(
                f"{m['username']} {self._deleted_or_maybe(person, m)}, "
                f"{m['provider']}:{m['subject']} not linked yet"
                for m in pending
            )
            self._record_quietly(person=key, state="half_done", reason=why)
            result.half_done.append((person["email"], f"{names} ({why})"))
        else:
            self._record_quietly(person=key, state="skipped", reason=why)
            result.skipped.append((person["email"], why))

    def _record_quietly(self, **entry: Any) -> None:
        """A report line in the journal, if the disk still takes it: the outcome is printed
        either way, and these lines are never acted on."""
        with contextlib.suppress(OSError):
            self.journal.record(**entry)

    def _deleted_or_maybe(self, person: dict[str, Any], merge: dict[str, Any]) -> str:
        if self.journal.has(person=person["keep_sub"], merge=merge["sub"], step="delete_user"):
            return "deleted"
        return "perhaps deleted (the run stopped during the deletion)"

    def _apply_person(self, person: dict[str, Any]) -> None:
        keep = self._kept(person, everyone=True)
        merged: dict[str, Merged] = {}
        for merge in person["merges"]:
            merged[merge["sub"]] = self._merged(person, keep, merge)
        self._room(person, keep)
        records = [self._record(keep, groups_of(self.cognito, keep.username))]
        records += [self._record(m.user, m.groups) for m in merged.values() if m.user]
        self._back_up(person, records)
        self.journal.record(person=person["keep_sub"], state="backed_up")
        for merge in person["merges"]:
            if merged[merge["sub"]].user is not None:
                for step in actions_of([merge])[:-2]:  # all but delete_user and link
                    self._step(person, merge, step)
                self._delete(person, merge)
            if not self._holds(self._kept(person), merge):
                self._link(person, merge)

    # ------------------------------------------------------------------ checks

    def _kept(self, person: dict[str, Any], *, everyone: bool = False) -> Any:
        """The kept user as the pool holds it now, if it is still the plan's."""
        name, sub, label = person["keep_username"], person["keep_sub"], person["email"]
        keep = self._get(name)
        if keep is None:
            raise Skip(f"{name}, the user the plan keeps, no longer exists; {PLAN_AGAIN}")
        if keep.sub != sub:
            raise Skip(f"{name} has sub {keep.sub}, not the plan's {sub}; {PLAN_AGAIN}")
        if keep.status == FEDERATED_STATUS:
            raise Skip(f"{name} is a federated user: only a native user is kept; {PLAN_AGAIN}")
        if not ascii_case.same_ignoring_ascii_case(keep.email, label):
            raise Skip(
                f"the plan's person {label!r} is not {name}'s email {keep.email!r}; {PLAN_AGAIN}"
            )
        if everyone:
            if not federated_identity.is_filter_safe_email(keep.email):
                raise Skip("the email can't be searched for (FACTS §6): merge by hand")
            natives = [
                u.username
                for u in users_with_email(self.cognito, keep.email)
                if u.status != FEDERATED_STATUS
            ]
            if natives != [keep.username]:
                raise Skip(
                    f"{len(natives)} native users have the email now ({', '.join(natives)}), "
                    f"not {name} alone: which one to keep is for a person to decide; "
                    f"{PLAN_AGAIN}"
                )
        return keep

    def _merged(self, person: dict[str, Any], keep: Any, merge: dict[str, Any]) -> Merged:
        """The merged user now, checked; or, once deleted, proof that this run's journal
        deleted it (otherwise nothing shows its identity was this person's)."""
        user = self._get(merge["username"])
        if user is None:
            if self._holds(keep, merge) or self._deleting(person, merge):
                return Merged(None, [])
            if self._backup_line_of(person, merge) is not None:
                # Backed up by a run of this plan, yet this journal never recorded deleting
                # it (its end cut, or another journal's run): only a person can tell.
                raise ByHand(
                    f"{merge['username']} is gone and the backup holds its line, but this "
                    f"journal does not record deleting it: check by hand whether "
                    f"{merge['provider']}:{merge['subject']} should be linked to "
                    f"{person['keep_username']}; {BY_HAND}"
                )
            raise Skip(
                f"{merge['username']} no longer exists and this journal did not delete it, so "
                f"nothing shows that {merge['provider']}:{merge['subject']} was this person's "
                f"(if a run with another journal deleted it, its backup line shows the user); "
                f"{PLAN_AGAIN}"
            )
        if user.sub != merge["sub"]:
            again = " (created again by a sign-in since it was deleted)" * bool(
                self._deleting(person, merge)
            )
            raise Skip(
                f"{merge['username']} has sub {user.sub}, not the plan's {merge['sub']}{again}; "
                f"{PLAN_AGAIN}"
            )
        groups = groups_of(self.cognito, user.username)
        self._check_merge(keep, user, groups, merge)
        return Merged(user, groups)

    def _check_merge(self, keep: Any, user: Any, groups: list[str], merge: dict[str, Any]) -> None:
        """The merged user is a federated user of exactly the kept user's person, holding
        exactly the identity to move, which the trigger would link to the kept user now."""
        name, provider, subject = merge["username"], merge["provider"], merge["subject"]
        identities = user.identities()
        held = [(str(i.get("providerName")), str(i.get("userId"))) for i in identities]
        differs = []
        if user.status != FEDERATED_STATUS:
            differs.append(f"its status is {user.status}, not {FEDERATED_STATUS}")
        if not ascii_case.same_ignoring_ascii_case(user.email, keep.email):
            differs.append(f"its email is {user.email!r}, not {keep.email!r}")
        if len(held) != 1 or held[0][0] != provider or not _same(held[0][1], subject):
            differs.append(f"it holds {', '.join(':'.join(h) for h in held) or 'no identity'}")
        # Cognito names a federated user <provider>_<subject> (FACTS §2, §3).
        if not _same(user.username, f"{provider}_{subject}"):
            differs.append(f"its username is not {provider}_{subject}")
        if differs:
            raise Skip(
                f"{name} is not a federated user of {keep.email} holding exactly "
                f"{provider}:{subject}: {'; '.join(differs)}"
            )
        exact = exact_subject(user, self.config, self.subjects)
        if exact is None or exact[0] != subject:
            # Only the exact subject Cognito matches by may be linked (FACTS §1, §3): one that
            # differs in case would be another account at the identity provider.
            raise Skip(
                f"the exact-case subject of {name} is not the plan's (or can't be known: give "
                "the same --subjects as the plan)"
            )
        settings = self.config.trigger.providers.get(provider)
        if settings is None or not settings.link_by_email:
            raise Skip(f"{provider} does not link by email in the trigger")
        mismatch = type_mismatch(self.config, provider, settings)
        if mismatch is not None:
            raise Skip(mismatch)
        if not user.enabled:
            raise Skip(f"{name} is disabled: merging would unblock it")
        try:
            federated_identity.linkable_email(settings, user.attributes)
            linked = federated_identity.FederatedIdentity(settings, subject)
            account_linking._check_destination(keep, user.email, linked, self.config.trigger)
        except errors.SignInRefused as refusal:
            raise Skip(f"the trigger would refuse {name} now: {refusal}") from None
        doubt = hosted_domain_doubt(self.config, provider, settings, user.email)
        if doubt is not None and not self.trust_stored_hosted_domains:
            raise Skip(f"{doubt}; pass --trust-stored-hosted-domains once checked")
        copied = merge["attributes"]
        own = sorted(set(copied) & NOT_MOVED)
        if own:
            raise Skip(f"the plan copies {', '.join(own)}: a user's own, never copied")
        foreign = sorted(k for k, v in copied.items() if user.attributes.get(k) != v)
        if foreign:
            raise Skip(f"the plan copies {', '.join(foreign)}, which {name} does not hold")
        taken = sorted(k for k, v in copied.items() if keep.attributes.get(k) not in ("", None, v))
        if taken:
            # A value the kept user gained since the plan stays.
            raise Skip(f"{keep.username} now has {', '.join(taken)}; {PLAN_AGAIN}")
        own_group = f"{self.cognito.pool_id}_{provider}"
        if own_group in merge["groups"]:
            raise Skip(f"the plan joins {own_group}: Cognito's group of {provider}'s users")
        strange = sorted(g for g in merge["groups"] if g not in groups)
        if strange:
            raise Skip(f"the plan joins groups {name} is not in: {', '.join(strange)}")
        stale = merge["stale_subject"]
        if stale is not None and (stale != subject.lower() or stale == subject):
            raise Skip(f"the plan removes a link that is not {name}'s lower-cased one")
        if user.attributes != merge["unchanged"] or sorted(groups) != sorted(merge["had_groups"]):
            raise Skip(f"{name} changed since the plan (its data would be lost); {PLAN_AGAIN}")

    def _room(self, person: dict[str, Any], keep: Any) -> None:
        held = {(i.get("providerName"), i.get("userId")) for i in keep.identities()}
        pending = [m for m in person["merges"] if (m["provider"], m["subject"]) not in held]
        if len(held) + len(pending) > MAX_IDENTITIES:
            raise Skip(f"{keep.username} has no room left for every identity of the plan")

    def _deleting(self, person: dict[str, Any], merge: dict[str, Any]) -> bool:
        """Whether this journal recorded checking this merged user and going on to delete it."""
        return self.journal.has(
            person=person["keep_sub"], merge=merge["sub"], deleting=_deleting_record(person, merge)
        )

    def _holds(self, keep: Any, merge: dict[str, Any]) -> bool:
        # Cognito matches links by provider name and the exact subject (FACTS §1, §3).
        return any(
            i.get("providerName") == merge["provider"] and i.get("userId") == merge["subject"]
            for i in keep.identities()
        )

    def _fresh(self, person: dict[str, Any], merge: dict[str, Any]) -> tuple[Any, Merged]:
        """Both users read again and checked, right before a step that changes either."""
        keep = self._kept(person)
        merged = self._merged(person, keep, merge)
        if merged.user is None:
            raise Skip(f"{merge['username']} was deleted during the run by someone else")
        return keep, merged

    # ------------------------------------------------------------------ steps

    def _step(self, person: dict[str, Any], merge: dict[str, Any], step: dict[str, Any]) -> None:
        keep, _ = self._fresh(person, merge)
        pool_id, kind = self.cognito.pool_id, step["do"]
        try:
            if kind == "copy_attributes":
                self.cognito.call(
                    "admin_update_user_attributes",
                    UserPoolId=pool_id,
                    Username=keep.username,
                    UserAttributes=[
                        {"Name": k, "Value": v} for k, v in merge["attributes"].items()
                    ],
                )
            elif kind == "add_to_group":
                self.cognito.call(
                    "admin_add_user_to_group",
                    UserPoolId=pool_id,
                    Username=keep.username,
                    GroupName=step["group"],
                )
            elif kind == "unlink" and any(
                (i.get("providerName"), i.get("userId")) == (merge["provider"], step["subject"])
                for i in keep.identities()
            ):
                self.cognito.call(
                    "admin_disable_provider_for_user",
                    UserPoolId=pool_id,
                    User=_source(merge["provider"], step["subject"]),
                )
        except PoolCallError as problem:
            if problem.code in STOPPING:
                raise
            raise Skip(f"{_step_text(step)} failed: {problem}") from None
        self._journal_step(person, merge, kind)

    def _delete(self, person: dict[str, Any], merge: dict[str, Any]) -> None:
        # The whole person again (the only native user with the email, room for every link)
        # before the one step that cannot be undone (no undelete: docs/live-pools.md).
        keep = self._kept(person, everyone=True)
        merged = self._merged(person, keep, merge)
        if merged.user is None:
            raise Skip(f"{merge['username']} was deleted during the run by someone else")
        self._room(person, keep)
        (line,) = self._back_up(person, [self._record(merged.user, merged.groups)])
        self.journal.record(
            person=person["keep_sub"],
            merge=merge["sub"],
            deleting=_deleting_record(person, merge),
            backup_sha256=_sha256(line),
        )
        try:
            self.cognito.call(
                "admin_delete_user", UserPoolId=self.cognito.pool_id, Username=merge["username"]
            )
        except PoolCallError as problem:
            if problem.code in STOPPING:
                raise
            if problem.code != "UserNotFoundException":  # deleted by an interrupted attempt
                raise Skip(f"deleting {merge['username']} failed: {problem}") from None
        self._journal_step(person, merge, "delete_user")

    def _link(self, person: dict[str, Any], merge: dict[str, Any]) -> None:
        keep = self._kept(person)
        if self._get(merge["username"]) is not None:
            raise Skip(
                f"{merge['username']} exists again: a sign-in through "
                f"{merge['provider']}:{merge['subject']} created it after it was deleted; "
                f"{PLAN_AGAIN}"
            )
        if not self._deleting(person, merge):
            raise Skip(f"this journal did not delete {merge['username']}; {PLAN_AGAIN}")
        self._check_backed_up(person, merge)
        settings = self.config.trigger.providers.get(merge["provider"])
        if settings is None or not settings.link_by_email:
            raise Skip(f"{merge['provider']} does not link by email in the trigger")
        linked = federated_identity.FederatedIdentity(settings, merge["subject"])
        try:
            account_linking._check_destination(keep, keep.email, linked, self.config.trigger)
        except errors.SignInRefused as refusal:
            raise Skip(f"the trigger would refuse the link now: {refusal}") from None
        try:
            self.cognito.call(
                "admin_link_provider_for_user",
                UserPoolId=self.cognito.pool_id,
                DestinationUser={
                    "ProviderName": "Cognito",
                    "ProviderAttributeValue": keep.username,
                },
                SourceUser=_source(merge["provider"], merge["subject"]),
            )
        except PoolCallError as problem:
            if problem.code in STOPPING:
                raise
            # The same error answers "already linked here" (an interrupted attempt linked it)
            # and "linked elsewhere": only the user's identities tell (FACTS §1).
            if MERGING not in problem.message.lower():
                raise Skip(
                    f"linking {merge['provider']}:{merge['subject']} failed: {problem}"
                ) from None
            if not self._holds(self._kept(person), merge):
                # Linked to someone else since the deletion: no later run can link it here.
                raise ByHand(
                    f"{merge['provider']}:{merge['subject']} is now linked to another user, "
                    f"not {person['keep_username']}; {BY_HAND}"
                ) from None
        self._journal_step(person, merge, "link")

    def _journal_step(self, person: dict[str, Any], merge: dict[str, Any], kind: str) -> None:
        self.journal.record(person=person["keep_sub"], merge=merge["sub"], step=kind)
        self.after_step()

    # ------------------------------------------------------------------ the pool

    def _probe_permissions(self, person: dict[str, Any]) -> None:
        """Delete and link a user that does not exist: "not found" proves the permissions,
        before anything is changed (a run that could delete but not link would leave people
        with neither their federated user nor the link)."""
        probes = [
            ("admin_delete_user", {"Username": self.probe_user}),
            (
                "admin_link_provider_for_user",
                {
                    "DestinationUser": {
                        "ProviderName": "Cognito",
                        "ProviderAttributeValue": self.probe_user,
                    },
                    "SourceUser": _source(person["merges"][0]["provider"], self.probe_user),
                },
            ),
        ]
        for method, params in probes:
            try:
                self.cognito.call(method, UserPoolId=self.cognito.pool_id, **params)
            except PoolCallError as problem:
                if problem.code in STOPPING - {"ResourceNotFoundException"}:
                    raise
                continue
            raise PoolCallError(method, "Unexpected", f"{self.probe_user} exists; remove it first")

    def _get(self, username: str) -> Any | None:
        try:
            return PoolUser.from_api(self.cognito.user(username))
        except PoolCallError as problem:
            if problem.code == "UserNotFoundException":
                return None
            if problem.code in STOPPING:
                raise
            raise Skip(f"reading {username} failed: {problem}") from None

    def _record(self, user: Any, groups: list[str]) -> dict[str, Any]:
        return {
            "username": user.username,
            "sub": user.sub,
            "status": user.status,
            "enabled": user.enabled,
            "attributes": user.attributes,
            "groups": groups,
        }

    def _back_up(self, person: dict[str, Any], records: list[dict[str, Any]]) -> list[str]:
        """Lines on disk (fsynced) before the change they make undoable; the lines."""
        assert self._backup is not None
        lines = [
            json.dumps({"person": person["keep_sub"], **record}, ensure_ascii=False)
            for record in records
        ]
        append_durably(self._backup, lines)
        if self._backed_up is not None:
            for line in lines:
                self._index_backup_line(line)
        return lines

    # ------------------------------------------------------------------ the backup, read back

    def _index_backup_line(self, line: str) -> None:
        assert self._backed_up is not None
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            return  # a torn or foreign line vouches for nothing
        if isinstance(record, dict) and record.get("status") == FEDERATED_STATUS:
            self._backed_up[_sha256(line)] = record

    def _backup_lines(self) -> dict[str, dict[str, Any]]:
        if self._backed_up is None:
            self._backed_up = {}
            try:
                with self.backup.open(encoding="utf-8", errors="replace") as handle:
                    for line in handle:
                        self._index_backup_line(line.rstrip("\n"))
            except FileNotFoundError:
                pass
        return self._backed_up

    def _backup_line_of(self, person: dict[str, Any], merge: dict[str, Any]) -> Any:
        return next(
            (
                r
                for r in self._backup_lines().values()
                if r.get("person") == person["keep_sub"] and r.get("sub") == merge["sub"]
            ),
            None,
        )

    def _check_backed_up(self, person: dict[str, Any], merge: dict[str, Any]) -> None:
        """The deleted user's backup line, as the journal's "deleting" line names it by
        SHA-256, shows that user holding the identity about to be linked."""
        wanted = {
            e.get("backup_sha256")
            for e in self.journal.find(
                person=person["keep_sub"],
                merge=merge["sub"],
                deleting=_deleting_record(person, merge),
            )
        }
        lines = self._backup_lines()
        for digest in wanted:
            record = lines.get(str(digest))
            if record is None or record.get("person") != person["keep_sub"]:
                continue
            if record.get("sub") != merge["sub"] or record.get("username") != merge["username"]:
                continue
            attributes = record.get("attributes")
            held = PoolUser.from_api(
                {
                    "Username": merge["username"],
                    "UserAttributes": [
                        {"Name": k, "Value": v}
                        for k, v in (attributes if isinstance(attributes, dict) else {}).items()
                        if isinstance(v, str)
                    ],
                }
            ).identities()
            if any(
                i.get("providerName") == merge["provider"]
                and _same(str(i.get("userId")), merge["subject"])
                for i in held
            ):
                return
        raise ByHand(
            f"{merge['username']} was deleted, but the backup ({self.backup}) holds no line "
            f"of it with {merge['provider']}:{merge['subject']} as this journal names it: "
            f"check by hand whether that identity should be linked to "
            f"{person['keep_username']} (give the run's own --backup); {BY_HAND}"
        )


def _source(provider: str, subject: str) -> dict[str, str]:
    """An identity as AdminLinkProviderForUser and AdminDisableProviderForUser name it."""
    return {
        "ProviderName": provider,
        "ProviderAttributeName": "Cognito_Subject",
        "ProviderAttributeValue": subject,
    }


def _sha256(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8", "surrogatepass")).hexdigest()


def _same(a: str, b: str) -> bool:
    return bool(ascii_case.same_ignoring_ascii_case(a, b))


def _deleting_record(person: dict[str, Any], merge: dict[str, Any]) -> dict[str, str]:
    """What the journal keeps about a user it deletes: enough to link only its identity, and
    only to the person it was checked against."""
    return {
        "username": merge["username"],
        "provider": merge["provider"],
        "subject": merge["subject"],
        "keep_username": person["keep_username"],
        "email": ascii_case.ascii_lower(person["email"]),
    }
