"""`cogfed-pool repair --apply PLAN --execute`: carry a reviewed plan out, resumably.

Per person, in the plan's order:

1. The plan is checked again against the pool, as if it had not been reviewed (a plan file
   can be edited after review): the kept user is native and each merged user is a federated
   user with the same email whose own identity is the one to link; the trigger's trust rules
   still allow the link (the same checks as the plan's); what is copied and joined is the
   merged user's own; and each user still exists with the planned `sub`, a user to delete
   holding exactly the attributes and groups the plan saw (otherwise its new data would be
   lost). A person failing any of these is skipped: plan again. The steps are derived from
   the merges, never read from the plan's `actions` list.
2. A backup of each of them (every attribute, status, enabled, groups) is appended to the
   backup file and fsynced before anything changes.
3. The steps run one by one, each recorded in the journal when done. Every step is
   idempotent (an attribute set twice, a group joined twice, a user already deleted, an
   identity already linked to this user), so a run killed at any point resumes from the
   journal to the same end state, and a second run finds nothing to do.

Without `--execute` it only says what it would do.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cogfed_pool.audit import identity_of
from cogfed_pool.aws import SYSTEMIC, Cognito, PoolCallError
from cogfed_pool.journal import Journal
from cogfed_pool.live_config import LiveConfig
from cogfed_pool.progress import Progress
from cogfed_pool.repair import (
    NOT_MOVED,
    actions_of,
    exact_subject,
    groups_of,
    users_with_email,
)
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


@dataclass
class ApplyResult:
    done: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        lines = [
            f"{len(self.done)} people merged, {len(self.already)} already done before this run, "
            f"{len(self.skipped)} skipped"
        ]
        lines += [f"  skipped {email}: {why}" for email, why in self.skipped]
        return "\n".join(lines)


def _changed_since_plan(user: Any, groups: list[str], merge: dict[str, Any]) -> str | None:
    """Deleting a user that gained data since the plan would lose that data."""
    if user.attributes != merge["unchanged"] or sorted(groups) != sorted(merge["had_groups"]):
        return f"{merge['username']} changed since the plan (its data would be lost); plan again"
    return None


def describe_steps(plan: dict[str, Any]) -> str:
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
        subjects: dict[tuple[str, str], str] | None = None,
    ) -> None:
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
        digest = hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()
        started = [e["plan"] for e in journal.entries if "plan" in e]
        if started and started[0] != digest:
            raise ValueError(f"{journal.path} is the journal of another plan; give a new --journal")
        if not started:
            journal.record(plan=digest)
        self.config = config
        self.subjects = subjects or {}
        self.probe_user = f"cogfed-pool-probe-{uuid.uuid4().hex}"  # a user nobody has
        self.cognito = cognito
        self.plan = plan
        self.journal = journal
        self.backup = backup
        self.after_step = after_step  # tests: a place to stop the run midway

    def run(self, progress: Progress) -> ApplyResult:
        result = ApplyResult()
        progress.total = len(self.plan["people"])
        probed = False
        for person in self.plan["people"]:
            progress.advance()
            email = person["email"]
            if self.journal.has(person=email, state="done"):
                result.already.append(email)
                continue
            if not probed:
                self._probe_permissions()
                probed = True
            problem = self._apply_person(person)
            if problem is None:
                self.journal.record(person=email, state="done")
                result.done.append(email)
            else:
                self.journal.record(person=email, state="skipped", reason=problem)
                result.skipped.append((email, problem))
        progress.done()
        return result

    def _apply_person(self, person: dict[str, Any]) -> str | None:
        email = person["email"]
        if not self.journal.has(person=email, state="backed_up"):
            problem = self._check_and_back_up(person)
            if problem is not None:
                return problem
            self.journal.record(person=email, state="backed_up")
        for index, step in enumerate(actions_of(person["merges"])):
            if self.journal.has(person=email, step=index):
                continue
            try:
                problem = self._recheck(person, step)
                if problem is not None:
                    return problem
                self._do(person, step)
            except PoolCallError as problem:
                if problem.code in SYSTEMIC:
                    # Every later person would fail the same way, possibly half merged: stop;
                    # the journal resumes here once the cause is fixed.
                    raise
                return f"step {index + 1} ({_step_text(step)}) failed: {problem}"
            self.journal.record(person=email, step=index, do=step["do"])
            self.after_step()
        return None

    def _check_and_back_up(self, person: dict[str, Any]) -> str | None:
        records = []
        keep = self._get(person["keep_username"])
        if keep is None or keep.sub != person["keep_sub"] or keep.status == FEDERATED_STATUS:
            return f"{person['keep_username']} is not the user the plan keeps any more; plan again"
        natives = [
            u for u in users_with_email(self.cognito, keep.email) if u.status != FEDERATED_STATUS
        ]
        if [u.username for u in natives] != [keep.username]:
            return f"{len(natives)} native users have the email now; plan again"
        records.append(self._record(keep))
        for merge in person["merges"]:
            user = self._get(merge["username"])
            if user is None or user.sub != merge["sub"]:
                return f"{merge['username']} is not the user the plan merges any more; plan again"
            record = self._record(user)
            problem = self._merge_problem(keep, user, record["groups"], merge)
            if problem is not None:
                return problem
            records.append(record)
        # Personal data: readable by its owner only.
        descriptor = os.open(self.backup, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with open(descriptor, "a", encoding="utf-8") as handle:
            for record in records:
                handle.write(
                    json.dumps({"person": person["email"], **record}, ensure_ascii=False) + "\n"
                )
            handle.flush()
            os.fsync(handle.fileno())
        return None

    def _probe_permissions(self) -> None:
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
                    "SourceUser": {
                        "ProviderName": self.plan["people"][0]["merges"][0]["provider"]
                        if self.plan["people"][0]["merges"]
                        else "Cognito",
                        "ProviderAttributeName": "Cognito_Subject",
                        "ProviderAttributeValue": self.probe_user,
                    },
                },
            ),
        ]
        for method, params in probes:
            try:
                self.cognito.call(method, UserPoolId=self.cognito.pool_id, **params)
            except PoolCallError as problem:
                if problem.code in SYSTEMIC - {"ResourceNotFoundException"}:
                    raise
                continue
            raise PoolCallError(method, "Unexpected", f"{self.probe_user} exists; remove it first")

    def _recheck(self, person: dict[str, Any], step: dict[str, Any]) -> str | None:
        """Right before each step the users it touches are read again: a resumed run may
        come days after the backup, and nothing may be lost or handed over meanwhile."""
        kind = step["do"]
        if kind == "delete_user":
            (merge,) = [m for m in person["merges"] if m["username"] == step["username"]]
            user = self._get(merge["username"])
            if user is None:
                return None  # deleted by the interrupted run: the backup holds it
            if user.sub != merge["sub"] or not user.enabled:
                return f"{merge['username']} is not the user the plan merges any more; plan again"
            changed = _changed_since_plan(user, self._record(user)["groups"], merge)
            if changed is not None:
                return changed
            # Once deleted, the identity must be linkable: the trigger's checks on the kept
            # user as it is now, and room for every link of this person still to make.
            return self._keep_problem(person, merge)
        if kind == "link":
            (merge,) = [
                m
                for m in person["merges"]
                if (m["provider"], m["subject"]) == (step["provider"], step["subject"])
            ]
            return self._keep_problem(person, merge)
        if kind == "copy_attributes":
            keep = self._get(person["keep_username"])
            if keep is None:
                return f"{person['keep_username']} is not the user the plan keeps any more"
            # Only what the kept user still lacks: a value it gained since the plan stays.
            taken = [
                k
                for k, v in step["attributes"].items()
                if keep.attributes.get(k) not in ("", None, v)
            ]
            if taken:
                return f"{person['keep_username']} now has {', '.join(taken)}; plan again"
        return None

    def _keep_problem(self, person: dict[str, Any], merge: dict[str, Any]) -> str | None:
        keep = self._get(person["keep_username"])
        if keep is None or keep.sub != person["keep_sub"] or keep.status == FEDERATED_STATUS:
            return f"{person['keep_username']} is not the user the plan keeps any more; plan again"
        settings = self.config.trigger.providers.get(merge["provider"])
        if settings is None:
            return f"{merge['provider']} is not configured in the trigger"
        linked = federated_identity.FederatedIdentity(settings, merge["subject"])
        try:
            account_linking._check_destination(keep, keep.email, linked, self.config.trigger)
        except errors.SignInRefused as refusal:
            return f"the trigger would refuse the link now: {refusal}"
        held = {(i.get("providerName"), i.get("userId")) for i in keep.identities()}
        pending = [m for m in person["merges"] if (m["provider"], m["subject"]) not in held]
        if len(held) + len(pending) > MAX_IDENTITIES:
            return f"{person['keep_username']} has no room left for every identity of the plan"
        return None

    def _merge_problem(
        self, keep: Any, user: Any, groups: list[str], merge: dict[str, Any]
    ) -> str | None:
        """Why this merge may not go ahead now, or None."""
        name, provider, subject = merge["username"], merge["provider"], merge["subject"]
        identity = identity_of(user)
        suffix = user.username[len(provider) + 1 :]
        if (
            user.status != FEDERATED_STATUS
            or identity is None
            or identity[0] != provider
            or not user.username.lower().startswith(provider.lower() + "_")
            or not ascii_case.same_ignoring_ascii_case(identity[1], subject)
            or not ascii_case.same_ignoring_ascii_case(suffix, subject)
            or not ascii_case.same_ignoring_ascii_case(user.email, keep.email)
        ):
            return f"{name} is not a federated user of {keep.email} holding {provider}:{subject}"
        exact = exact_subject(user, self.config, self.subjects)
        if exact is None or exact[0] != subject:
            # Only the exact subject Cognito matches by may be linked (FACTS §1, §3): one that
            # differs in case would be another account at the identity provider.
            return (
                f"the exact-case subject of {name} is not the plan's (or can't be known: give "
                "the same --subjects as the plan)"
            )
        settings = self.config.trigger.providers.get(provider)
        if settings is None or not settings.link_by_email:
            return f"{provider} does not link by email in the trigger"
        if not user.enabled:
            return f"{name} is disabled: merging would unblock it"
        try:
            federated_identity.linkable_email(settings, user.attributes)
            linked = federated_identity.FederatedIdentity(settings, subject)
            account_linking._check_destination(keep, user.email, linked, self.config.trigger)
        except errors.SignInRefused as refusal:
            return f"the trigger would refuse {name} now: {refusal}"
        copied = merge["attributes"]
        if set(copied) & NOT_MOVED or any(user.attributes.get(k) != v for k, v in copied.items()):
            return f"the plan copies onto {keep.username} attributes {name} does not hold"
        if not set(merge["groups"]) <= set(groups):
            return f"the plan joins groups {name} is not in"
        stale = merge["stale_subject"]
        if stale is not None and (stale != subject.lower() or stale == subject):
            return f"the plan removes a link that is not {name}'s lower-cased one"
        return _changed_since_plan(user, groups, merge)

    def _get(self, username: str) -> Any | None:
        try:
            return PoolUser.from_api(self.cognito.user(username))
        except PoolCallError as problem:
            if problem.code == "UserNotFoundException":
                return None
            raise

    def _record(self, user: Any) -> dict[str, Any]:
        groups = groups_of(self.cognito, user.username)
        return {
            "username": user.username,
            "status": user.status,
            "enabled": user.enabled,
            "attributes": user.attributes,
            "groups": groups,
        }

    def _do(self, person: dict[str, Any], step: dict[str, Any]) -> None:
        pool_id, keep = self.cognito.pool_id, person["keep_username"]
        kind = step["do"]
        if kind == "copy_attributes":
            self.cognito.call(
                "admin_update_user_attributes",
                UserPoolId=pool_id,
                Username=keep,
                UserAttributes=[{"Name": k, "Value": v} for k, v in step["attributes"].items()],
            )
        elif kind == "add_to_group":
            self.cognito.call(
                "admin_add_user_to_group",
                UserPoolId=pool_id,
                Username=keep,
                GroupName=step["group"],
            )
        elif kind == "unlink":
            try:
                self.cognito.call(
                    "admin_disable_provider_for_user",
                    UserPoolId=pool_id,
                    User={
                        "ProviderName": step["provider"],
                        "ProviderAttributeName": "Cognito_Subject",
                        "ProviderAttributeValue": step["subject"],
                    },
                )
            except PoolCallError as problem:
                if not (
                    problem.code in ("ResourceNotFoundException", "InvalidParameterException")
                    and not self._holds(keep, step["provider"], step["subject"])
                ):
                    raise
        elif kind == "delete_user":
            try:
                self.cognito.call(
                    "admin_delete_user", UserPoolId=pool_id, Username=step["username"]
                )
            except PoolCallError as problem:
                if problem.code != "UserNotFoundException":  # deleted by the interrupted run
                    raise
        elif kind == "link":
            try:
                self.cognito.call(
                    "admin_link_provider_for_user",
                    UserPoolId=pool_id,
                    DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": keep},
                    SourceUser={
                        "ProviderName": step["provider"],
                        "ProviderAttributeName": "Cognito_Subject",
                        "ProviderAttributeValue": step["subject"],
                    },
                )
            except PoolCallError as problem:
                # The same error answers "already linked here" (an interrupted run linked it)
                # and "linked elsewhere": only the user's identities tell (FACTS §1).
                if MERGING not in problem.message.lower() or not self._holds(
                    keep, step["provider"], step["subject"]
                ):
                    raise
        else:
            raise ValueError(f"unknown step {kind!r} in the plan")

    def _holds(self, username: str, provider: str, subject: str) -> bool:
        user = self._get(username)
        return user is not None and any(
            i.get("providerName") == provider and i.get("userId") == subject
            for i in user.identities()
        )
