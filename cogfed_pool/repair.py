"""`cogfed-pool repair`: a plan, per person split across users, for a human to review.

For each person the audit found split (one native user, one or more federated users with
the same email), the plan keeps the native user and merges each federated user into it:

1. the attributes the native user lacks are copied onto it, and it joins the federated
   user's groups;
2. a stale link with the lower-cased subject (the seed failure) is removed;
3. the federated user is deleted (a federated profile that exists blocks linking its
   identity, FACTS §1);
4. the identity is linked to the native user with its exact-case subject, so every later
   sign-in through it lands on the native user.

A person is refused, and left alone, when the trigger itself would refuse to link (the same
checks, run from the trigger's own code: trusted email and domain, one linkable verified
native user, no untrusted provider already linked, the identity limit), when the exact-case
subject cannot be known, or when a federated user holds data the plan would not move (an
attribute whose value differs from the native user's and that its provider does not rewrite
at every sign-in, FACTS §4). The trigger's checks run on stored attributes here, not on a
sign-in's claims: a Google identity (or one of an OIDC provider at Google's issuer) at a
domain that is neither Google's own nor in the provider's email_domains may be a Workspace
account the trigger would refuse, whatever its stored hosted domain says
(`live_config.hosted_domain_doubt`), so it is merged only with --trust-stored-hosted-domains.

Where the subject comes from, in order: the pool is case-sensitive (the `identities` value is
exact); the provider's subject copy (e.g. `custom:idp_sub`) on the federated user, when it
equals the username's subject apart from case (FACTS §3); the `identities` value holds an
upper-case letter, so it was not lower-cased; it holds no letter at all; a `--subjects` file
exported from the identity provider. Whether Cognito lower-cases the `identities` value in a
case-insensitive pool is not documented (docs/live-pools.md), so an all-lower-case value with
letters is never trusted alone.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cogfed_pool.audit import identity_of
from cogfed_pool.aws import Cognito
from cogfed_pool.live_config import LiveConfig, hosted_domain_doubt, type_mismatch
from cogfed_pool.progress import Progress
from cogfed_pool.trigger_rules import (
    FEDERATED_STATUS,
    MAX_IDENTITIES,
    PoolUser,
    account_linking,
    ascii_case,
    errors,
    federated_identity,
)
from cogfed_pool.user_index import UserIndex

PLAN_VERSION = 1
# Attributes that are the user's own identity in Cognito, never copied between users.
NOT_MOVED = frozenset({"sub", "identities", "email", "email_verified", "phone_number_verified"})


class PlanError(Exception):
    pass


@dataclass
class Merge:
    username: str
    sub: str
    provider: str
    subject: str
    subject_source: str
    attributes: dict[str, str]  # copied onto the native user
    groups: list[str]  # joined by the native user
    unchanged: dict[str, str]  # the federated user's attributes, for the apply-time check
    had_groups: list[str]
    stale_subject: str | None = None  # a lower-cased link on the native user to remove


@dataclass
class Person:
    email: str
    keep_username: str
    keep_sub: str
    merges: list[Merge] = field(default_factory=list)

    def actions(self) -> list[dict[str, Any]]:
        return actions_of([asdict(m) for m in self.merges])


def actions_of(merges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps `repair --apply` carries out for a person's merges, in order; each is
    idempotent. Apply derives them from the merges, never from the plan's `actions` list,
    which is there for the reviewer."""
    steps: list[dict[str, Any]] = []
    for merge in merges:
        if merge["attributes"]:
            steps.append(
                {
                    "do": "copy_attributes",
                    "from": merge["username"],
                    "attributes": merge["attributes"],
                }
            )
        steps += [{"do": "add_to_group", "group": g} for g in merge["groups"]]
        if merge["stale_subject"] is not None:
            steps.append(
                {"do": "unlink", "provider": merge["provider"], "subject": merge["stale_subject"]}
            )
        steps.append({"do": "delete_user", "username": merge["username"], "sub": merge["sub"]})
        steps.append({"do": "link", "provider": merge["provider"], "subject": merge["subject"]})
    return steps


@dataclass
class RepairPlan:
    pool_id: str
    people: list[Person]
    refused: list[dict[str, str]]

    def to_json(self) -> str:
        document = {
            "version": PLAN_VERSION,
            "pool_id": self.pool_id,
            "people": [{**asdict(p), "actions": p.actions()} for p in self.people],
            "refused": self.refused,
            "sub_changes": [
                {"from": m.sub, "to": p.keep_sub, "provider": m.provider, "email": p.email}
                for p in self.people
                for m in p.merges
            ],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def describe(self) -> str:
        lines = [
            f"repair plan for {self.pool_id}: {len(self.people)} people to merge, "
            f"{len(self.refused)} refused"
        ]
        for person in self.people:
            lines.append(f"- {person.email}: keep {person.keep_username} ({person.keep_sub})")
            for m in person.merges:
                lines.append(
                    f"    merge {m.username} ({m.sub}): link {m.provider}:{m.subject} "
                    f"[subject from {m.subject_source}]"
                )
                if m.attributes:
                    lines.append(f"      copy {', '.join(sorted(m.attributes))}")
                if m.groups:
                    lines.append(f"      join {', '.join(m.groups)}")
                if m.stale_subject is not None:
                    lines.append(f"      remove the stale link {m.provider}:{m.stale_subject}")
        for refusal in self.refused:
            lines.append(f"- refused {refusal['email']}: {refusal['reason']}")
        return "\n".join(lines)


def load_plan(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as problem:
        raise PlanError(
            f"{path}: not a repair plan ({problem}); make one with `cogfed-pool repair`"
        ) from problem
    if not isinstance(document, dict) or document.get("version") != PLAN_VERSION:
        raise PlanError(f"{path}: not a repair plan of version {PLAN_VERSION}")
    return dict(document)


def read_subjects(path: Path | None) -> dict[tuple[str, str], str]:
    """A `--subjects` CSV (provider,subject) from the identity provider: exact subjects, by
    provider and lower-cased subject."""
    if path is None:
        return {}
    found: dict[tuple[str, str], str] = {}
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as problem:
        raise PlanError(f"--subjects {path}: {problem.strerror}") from problem
    try:
        with handle:
            reader = csv.DictReader(handle)
            if not {"provider", "subject"} <= set(reader.fieldnames or []):
                raise PlanError(f"--subjects {path}: expected the columns provider,subject")
            for line, row in enumerate(reader, start=2):
                # Taken exactly as exported: a subject is matched with its exact characters.
                provider, subject = row.get("provider") or "", row.get("subject") or ""
                if not (provider and subject):
                    continue
                key = (provider, ascii_case.ascii_lower(subject))
                if found.get(key, subject) != subject:
                    # Two subjects that differ only in case: which one a user has can't be told.
                    raise PlanError(
                        f"--subjects {path}:{line}: two {provider} subjects differ only in case"
                    )
                found[key] = subject
    except (csv.Error, UnicodeError) as problem:
        raise PlanError(f"--subjects {path}: not a CSV file of subjects ({problem})") from problem
    return found


def exact_subject(
    user: Any, config: LiveConfig, subjects: dict[tuple[str, str], str]
) -> tuple[str, str] | None:
    """(subject, where it came from) for a federated user's identity, or None."""
    identity = identity_of(user)
    if identity is None:
        return None
    provider, stored = identity
    settings = config.trigger.providers.get(provider) if config.trigger else None
    if config.case_sensitive:
        return stored, "the identities attribute (case-sensitive pool)"
    suffix = user.username[len(provider) + 1 :]
    copy_name = settings.subject_attribute if settings else None
    copied = user.attributes.get(copy_name) if copy_name else None
    if copied and ascii_case.same_ignoring_ascii_case(copied, suffix):
        return copied, f"{copy_name} on the federated user"
    if any(ch.isupper() for ch in stored) and ascii_case.same_ignoring_ascii_case(stored, suffix):
        return stored, "the identities attribute (mixed case, so not lower-cased)"
    if not any(ch.lower() != ch.upper() for ch in stored):
        return stored, "the identities attribute (no letters: case cannot change it)"
    given = subjects.get((provider, ascii_case.ascii_lower(stored)))
    if given is not None:
        return given, "the --subjects file"
    return None


def users_with_email(cognito: Cognito, email: str) -> list[Any]:
    found: dict[str, Any] = {}
    # The email was checked free of `"` and `\\` (FACTS §6).
    for page in cognito.pages(
        "list_users", "Users", UserPoolId=cognito.pool_id, Filter=f'email = "{email}"', Limit=60
    ):
        for data in page:
            user = PoolUser.from_api(data)
            # Searches fold case in ways AWS does not document (FACTS §6): compare again.
            if ascii_case.same_ignoring_ascii_case(user.email, email):
                found[user.username] = user
    return list(found.values())


def _refuse(refused: list[dict[str, str]], email: str, reason: str) -> None:
    refused.append({"email": email, "reason": reason})


def plan_repair(
    cognito: Cognito,
    config: LiveConfig,
    users: UserIndex,
    subjects: dict[tuple[str, str], str],
    progress: Progress,
    *,
    trust_stored_emails: bool = False,
    trust_stored_hosted_domains: bool = False,
) -> RepairPlan:
    """A plan for every person `users` shows split (native and federated users with the
    email, compared as the triggers compare it), read from the index one person at a time;
    the plan itself holds only the people it merges or refuses."""
    planned: list[Person] = []
    refused: list[dict[str, str]] = []
    progress.total = users.count_split_people()
    if config.email_self_editable and not trust_stored_emails:
        # Before any per-person call: every person would be refused for the same reason.
        for email, _ in users.split_people():
            _refuse(
                refused,
                email,
                "users can change their own email in this pool without verifying it, so the "
                "stored email does not show who holds the address: require verification "
                "(user_attribute_update_settings, attributes_require_verification_before_update "
                '= ["email"]) or pass --trust-stored-emails after checking these users',
            )
        progress.done()
        return RepairPlan(cognito.pool_id, planned, refused)
    for email, stored in users.split_people():
        progress.advance()
        # Fresh: everyone with the email now, found as the trigger finds them (a native user
        # created since the audit counts too).
        if not federated_identity.is_filter_safe_email(stored):
            _refuse(refused, email, "the email can't be searched for (FACTS §6): merge by hand")
            continue
        fresh = users_with_email(cognito, stored)
        if fresh and not any(u.status == FEDERATED_STATUS for u in fresh):
            # Merged (or its federated users gone) since the listing, which may be an older
            # audit's: nothing left to merge. (Nobody found at all is refused below: a
            # lagging ListUsers, FACTS §6, must not hide a person.)
            continue
        person = _plan_person(
            cognito, config, email, fresh, subjects, refused, trust_stored_hosted_domains
        )
        if person is not None:
            planned.append(person)
    progress.done()
    return RepairPlan(cognito.pool_id, planned, refused)


def _plan_person(
    cognito: Cognito,
    config: LiveConfig,
    email: str,
    members: list[Any],
    subjects: dict[tuple[str, str], str],
    refused: list[dict[str, str]],
    trust_stored_hosted_domains: bool = False,
) -> Person | None:
    natives = [u for u in members if u.status != FEDERATED_STATUS]
    federated = [u for u in members if u.status == FEDERATED_STATUS]
    if config.trigger is None:
        _refuse(refused, email, f"the triggers' configuration is {config.trigger_source}")
        return None
    if len(natives) != 1:
        _refuse(refused, email, f"{len(natives)} native users: choose which to keep by hand")
        return None
    native = natives[0]
    immutable = _immutable_custom_attributes(config)
    if immutable & set(native.attributes):
        _refuse(
            refused,
            email,
            "the native user has an immutable custom attribute, so no "
            "identity can be linked to it (FACTS §1)",
        )
        return None
    person = Person(email, native.username, native.sub or "")
    identities = len(native.identities())
    for user in federated:
        found = exact_subject(user, config, subjects)
        identity = identity_of(user)
        if identity is None or found is None:
            _refuse(
                refused,
                email,
                f"the exact-case subject of {user.username} can't be known: "
                "export it from the identity provider and pass --subjects",
            )
            return None
        provider, _stored = identity
        settings = config.trigger.providers.get(provider)
        if settings is None:
            _refuse(
                refused,
                email,
                f"{provider} is not configured in the trigger: it may not vouch for emails",
            )
            return None
        if not settings.link_by_email:
            _refuse(refused, email, f"{provider} does not link by email (link_by_email off)")
            return None
        mismatch = type_mismatch(config, provider, settings)
        if mismatch is not None:
            _refuse(refused, email, f"{mismatch}: fix the configuration first")
            return None
        if not user.enabled:
            _refuse(refused, email, f"{user.username} is disabled: merging would unblock it")
            return None
        subject, source = found
        linked = federated_identity.FederatedIdentity(settings, subject)
        try:
            federated_identity.linkable_email(settings, user.attributes)
            account_linking._check_destination(native, user.email, linked, config.trigger)
        except errors.SignInRefused as refusal:
            _refuse(refused, email, f"the trigger would refuse {user.username}: {refusal}")
            return None
        doubt = hosted_domain_doubt(config, provider, settings, user.email)
        if doubt is not None and not trust_stored_hosted_domains:
            _refuse(
                refused,
                email,
                f"{user.username} is not merged: {doubt}. Check that it is a consumer account "
                f"(or add {user.email.rpartition('@')[2]} to email_domains), then pass "
                "--trust-stored-hosted-domains",
            )
            return None
        identities += 1
        if identities > MAX_IDENTITIES:
            _refuse(
                refused, email, f"the native user would hold more than {MAX_IDENTITIES} identities"
            )
            return None
        copied, conflict = _attributes_to_move(native, user, config.providers.get(provider, {}))
        if conflict:
            _refuse(
                refused,
                email,
                f"{user.username} holds {conflict} with a value the native "
                "user does not have and that its provider does not rewrite: settle it by hand",
            )
            return None
        groups = groups_of(cognito, user.username)
        native_groups = set(groups_of(cognito, native.username))
        stale = next(
            (
                i.get("userId")
                for i in native.identities()
                if i.get("providerName") == provider
                and i.get("userId") == subject.lower() != subject
            ),
            None,
        )
        person.merges.append(
            Merge(
                username=user.username,
                sub=user.sub or "",
                provider=provider,
                subject=subject,
                subject_source=source,
                attributes=copied,
                # Cognito's own group of a provider's users is not the person's to carry over.
                groups=[
                    g
                    for g in groups
                    if g not in native_groups and g != f"{cognito.pool_id}_{provider}"
                ],
                unchanged=dict(user.attributes),
                had_groups=groups,
                stale_subject=stale,
            )
        )
    return person


def _immutable_custom_attributes(config: LiveConfig) -> set[str]:
    return {
        entry["Name"]
        for entry in config.pool.get("SchemaAttributes", [])
        if entry["Name"].startswith("custom:") and entry.get("Mutable") is False
    }


def _attributes_to_move(
    native: Any, user: Any, provider: dict[str, Any]
) -> tuple[dict[str, str], str | None]:
    """(attributes the native user lacks, the first attribute whose value would be lost)."""
    rewritten = set(provider.get("AttributeMapping") or {})
    copied: dict[str, str] = {}
    for name, value in sorted(user.attributes.items()):
        if name in NOT_MOVED or name.startswith("cognito:") or value == "":
            continue
        have = native.attributes.get(name)
        if have is None or have == "":
            copied[name] = value
        elif have != value and name not in rewritten:
            return {}, name
    return copied, None


def groups_of(cognito: Cognito, username: str) -> list[str]:
    names: list[str] = []
    for page in cognito.pages(
        "admin_list_groups_for_user",
        "Groups",
        UserPoolId=cognito.pool_id,
        Username=username,
        Limit=60,
    ):
        names += [g["GroupName"] for g in page]
    return names
