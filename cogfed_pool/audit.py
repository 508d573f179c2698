"""`cogfed-pool audit`: what is wrong with a live pool, its configuration and its users.

The users are read page by page (ListUsers, 60 a page, paced under the UserList quota) into
an on-disk index (`user_index`), which resumes an interrupted listing, and grouped there by
person: the email, compared ignoring ASCII case as the triggers compare it. Findings are
worked out one person at a time and kept in the index too, so memory does not grow with the
pool. The findings:

- `split_person`: native and EXTERNAL_PROVIDER users share an email, so one person signs in
  to two users; each federated user says why the trigger did not link it.
- `several_native_users`: two or more native users share an email; the trigger refuses to
  choose between them (CONTRACT §1).
- `unverified_with_identities`: a native user whose email is not verified carries linked
  identities: any of them may rewrite the email on sign-in (FACTS §4), and the user can't be
  a link target until verified (FACTS §8).
- `identity_provider_gone`: a user carries an identity of a provider the pool no longer has.
- `identity_limit`: a user carries the maximum of 5 identities (FACTS §1).
- `email_refused`: an email the triggers refuse to search for (FACTS §6).
- `stale_lower_cased_link`: a native user carries an identity whose subject is the
  lower-cased copy of a federated user's subject: a link made from a case-insensitive pool's
  userName, which never matches a sign-in (FACTS §3, the seed report).
- `provider_cannot_vouch`: the triggers' configuration links a provider by email under an
  `email_trust` its type gives no evidence for (cognito_facts.json `email_trust_modes`,
  FACTS §8), so the trigger refuses every automatic link through it; about the pool, not a
  user (no email, no usernames).
- `provider_type_mismatch`: the triggers' configuration gives a provider a type other than
  the pool's provider of that name has (ListIdentityProviders' ProviderType), or keys
  another type by a social provider's fixed name, in any case (cognito_facts.json `social`,
  FACTS §1): trust configured for one kind of provider would be lent to another, so the pre
  sign-up trigger refuses such sign-ins (`provider_type_mismatch`); about the pool, not a
  user.

The pool's configuration is judged with the gate's rules (`live_config.judge`): among them
that a pool running the linking triggers holds email changes back until verified, that its
Google provider maps the hosted-domain claim, and that an `email_verified` mapping names a
claim.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from cogfed_pool.aws import Cognito
from cogfed_pool.live_config import LiveConfig, hosted_domain_doubt, pool_type, type_mismatch
from cogfed_pool.progress import Progress
from cogfed_pool.trigger_rules import (
    FACTS,
    FEDERATED_STATUS,
    MAX_IDENTITIES,
    account_linking,
    ascii_case,
    errors,
    federated_identity,
)
from cogfed_pool.user_index import UserIndex

KINDS = (
    "split_person",
    "several_native_users",
    "unverified_with_identities",
    "identity_provider_gone",
    "identity_limit",
    "email_refused",
    "stale_lower_cased_link",
    "provider_cannot_vouch",
    "provider_type_mismatch",
)


@dataclass(frozen=True)
class Finding:
    kind: str
    email: str
    usernames: tuple[str, ...]
    detail: str
    # split_person only: per federated user, why the trigger did not link it
    reasons: dict[str, str] = field(default_factory=dict)

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> Finding:
        found = json.loads(text)
        return cls(
            found["kind"],
            found["email"],
            tuple(found["usernames"]),
            found["detail"],
            found["reasons"],
        )


class Findings:
    """An audit's findings in report order, read back from its user index: a pool with many
    problems gives many findings, which are not held in memory either."""

    def __init__(self, index: UserIndex) -> None:
        self.index = index

    def __iter__(self) -> Iterator[Finding]:
        for text in self.index.records():
            yield Finding.loads(text)

    def __len__(self) -> int:
        return self.index.count_records()

    def __bool__(self) -> bool:
        return len(self) > 0


def read_users(cognito: Cognito, progress: Progress) -> UserIndex:
    """Every user once (a pool that changes while it is listed may list a user twice), in a
    temporary index."""
    index = UserIndex.temporary(cognito.pool_id)
    index.read_pool(cognito, progress)
    return index


def identity_of(user: Any) -> tuple[str, str] | None:
    """A federated user's own identity (provider, subject as its `identities` holds it)."""
    identities = user.identities()
    primary = [i for i in identities if i.get("primary") in (True, "true")] or identities
    if not primary:
        return None
    return str(primary[0].get("providerName", "")), str(primary[0].get("userId", ""))


# The trigger's refusal reasons, grouped as the audit's summary counts them.
REASON_GROUPS = {
    "subject_mismatch": "case-insensitive subject",
    "subject_case_unknown": "case-insensitive subject",
    "missing_subject": "case-insensitive subject",
    "email_missing": "untrusted email",
    "email_unsafe": "untrusted email",
    "email_not_verified": "untrusted email",
    "email_domain_not_allowed": "untrusted email",
    "provider_cannot_vouch": "untrusted email",
    "hosted_domain_not_listed": "untrusted email",
    "hosted_domain_unknown": "untrusted email",
}


def why_not_linked(federated: Any, natives: list[Any], config: LiveConfig) -> str:
    """Why the pre sign-up trigger did not give this federated user's identity to the native
    user with the same email: the trigger's own checks run on what the pool holds now
    (CONTRACT §1), and the first refusal is the reason."""
    identity = identity_of(federated)
    if identity is None:
        return "its identities attribute is unreadable"
    provider_name, subject = identity
    if config.trigger is None:
        if config.pre_signup_arn is None:
            return "the pool has no pre sign-up trigger: nothing links identities"
        return f"not known: the triggers' configuration is {config.trigger_source}"
    settings = config.trigger.providers.get(provider_name)
    if settings is None:
        return f"provider not linking: {provider_name} is not configured in the trigger"
    if not settings.link_by_email:
        return f"provider not linking: {provider_name} has link_by_email off"
    mismatch = type_mismatch(config, provider_name, settings)
    if mismatch is not None:
        return f"the trigger refuses: provider_type_mismatch ({mismatch})"
    if any(
        i.get("providerName") == provider_name and i.get("userId") == subject.lower() != subject
        for n in natives
        for i in n.identities()
    ):
        return "case-insensitive subject: linked with the lower-cased subject, which never matches"
    try:
        # As the trigger sees a first sign-in: the stored username is the event's userName
        # (lower-cased in a case-insensitive pool, FACTS §2), the stored attributes the mapped
        # ones.
        linked = federated_identity.resolve_identity(
            settings, federated.username, federated.attributes, config.trigger
        )
        federated_identity.linkable_email(settings, federated.attributes)
        if len(natives) > 1:
            return "more than one native user has the email"
        account_linking._check_destination(natives[0], federated.email, linked, config.trigger)
    except errors.SignInRefused as refusal:
        group = REASON_GROUPS.get(refusal.reason, "the trigger refuses")
        return f"{group}: {refusal.reason} ({_first_sentence(str(refusal))})"
    # The checks above read the stored hosted domain, which cannot show a Workspace account.
    doubt = hosted_domain_doubt(config, provider_name, settings, federated.email)
    if doubt is not None:
        return f"{REASON_GROUPS['hosted_domain_unknown']}: hosted_domain_unknown ({doubt})"
    return "not linked by the trigger (it ran before the trigger was installed, or failed)"


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].removeprefix("Sign-in refused: ")


def trigger_problems(config: LiveConfig) -> list[Finding]:
    """What is wrong with the triggers' configuration itself: a provider linked by email under
    an email_trust its type cannot vouch with, which the trigger refuses on every sign-in
    (federated_identity.linkable_email, reason provider_cannot_vouch)."""
    if config.trigger is None:
        return []
    found: list[Finding] = []
    for name, settings in sorted(config.trigger.providers.items()):
        if not settings.link_by_email or settings.can_vouch:
            continue
        modes = FACTS["provider_types"][settings.type]["email_trust_modes"]
        allowed = (
            f"{settings.type}'s email_trust_modes are {', '.join(modes)}"
            if modes
            else f"{settings.type} is never evidence of who owns an email"
        )
        found.append(
            Finding(
                "provider_cannot_vouch",
                "",
                (),
                f"{name}: link_by_email is true with email_trust {settings.email_trust!r}, but "
                f"{allowed} (FACTS §8), so the pre sign-up trigger refuses every automatic link "
                "through it; set link_by_email = false, or an email_trust the type supports",
            )
        )
    return found


def provider_type_problems(config: LiveConfig) -> list[Finding]:
    """IDENTITY_PROVIDERS entries whose type is not the provider's: under a social
    provider's fixed name (FACTS §1), or other than the pool's provider of that name has.
    Read from the configuration's text, as the triggers themselves may refuse to load it."""
    try:
        entries = json.loads(config.trigger_raw or "{}")
    except ValueError:
        return []
    if not isinstance(entries, dict):
        return []
    # Compared ignoring case, as the triggers match a ProviderName in a userName (FACTS §2).
    social = {
        name.lower(): name for name, fact in FACTS["provider_types"].items() if fact.get("social")
    }
    found: list[Finding] = []
    for name, entry in sorted(entries.items()):
        configured = entry.get("type") if isinstance(entry, dict) else None
        if not isinstance(configured, str):
            continue
        in_pool = pool_type(config, name)
        fixed = social.get(name.lower())
        if fixed is not None and (configured, name) != (fixed, fixed):
            problem = (
                f"only Cognito's {fixed} provider has that ProviderName (FACTS §1), so trust "
                f"configured for {configured} would be lent to {fixed} sign-ins; the triggers "
                f'refuse this configuration; key it "{fixed}" with type "{fixed}", or name the '
                f"{configured} provider otherwise"
            )
        elif in_pool is not None and in_pool != configured:
            problem = (
                f"the pool's provider {name} is of type {in_pool}: the pre sign-up trigger "
                "refuses every sign-in through it (provider_type_mismatch); set its type to "
                f'"{in_pool}", or configure the {configured} provider under its own name'
            )
        else:
            continue
        found.append(
            Finding(
                "provider_type_mismatch",
                "",
                (),
                f"{name}: IDENTITY_PROVIDERS gives it type {configured}, but {problem}",
            )
        )
    return found


def find_problems(users: UserIndex, config: LiveConfig, progress: Progress) -> Findings:
    """Every finding, kept in the index in report order: the triggers' configuration's, each
    person's (by email, compared ignoring ASCII case only, CONTRACT §1), then each user's own
    in listing order. Worked out one person at a time."""
    users.write_records(_records(users, config, progress))
    progress.done()
    return Findings(users)


def _records(
    users: UserIndex, config: LiveConfig, progress: Progress
) -> Iterator[tuple[int, int, int, str]]:
    """(section, position, n, finding) in any order; the index sorts them."""
    for n, finding in enumerate(trigger_problems(config) + provider_type_problems(config)):
        yield 0, 0, n, finding.dumps()
    for place, (email, members) in enumerate(users.people()):
        for n, finding in enumerate(person_problems(email, [u for _, u in members], config)):
            yield 1, place, n, finding.dumps()
        for seq, user in members:
            for n, finding in enumerate(user_problems(user, config)):
                yield 2, seq, n, finding.dumps()
        progress.advance(len(members))
    for seq, user in users.without_email():
        for n, finding in enumerate(user_problems(user, config)):
            yield 2, seq, n, finding.dumps()
        progress.advance()


def person_problems(email: str, members: list[Any], config: LiveConfig) -> list[Finding]:
    """What is wrong with one person's users (same email), in listing order."""
    findings: list[Finding] = []
    natives = [u for u in members if u.status != FEDERATED_STATUS]
    federated = [u for u in members if u.status == FEDERATED_STATUS]
    if natives and federated:
        reasons = {f.username: why_not_linked(f, natives, config) for f in federated}
        findings.append(
            Finding(
                "split_person",
                email,
                tuple(u.username for u in natives + federated),
                f"{len(natives)} native, {len(federated)} federated user(s)",
                reasons,
            )
        )
    if len(natives) > 1:
        findings.append(
            Finding(
                "several_native_users",
                email,
                tuple(u.username for u in natives),
                f"{len(natives)} native users",
            )
        )
    for native in natives:
        for held in native.identities():
            for fed in federated:
                own = identity_of(fed)
                if (
                    own
                    and held.get("providerName") == own[0]
                    and held.get("userId") == own[1].lower() != own[1]
                ):
                    findings.append(
                        Finding(
                            "stale_lower_cased_link",
                            email,
                            (native.username, fed.username),
                            f"{own[0]}:{held.get('userId')} on the native user",
                        )
                    )
    return findings


def user_problems(user: Any, config: LiveConfig) -> list[Finding]:
    """What is wrong with one user alone."""
    found: list[Finding] = []
    email = ascii_case.ascii_lower(user.email) if user.email else ""
    identities = user.identities()
    if (
        user.status != FEDERATED_STATUS
        and identities
        and user.attributes.get("email_verified") != "true"
    ):
        found.append(
            Finding(
                "unverified_with_identities",
                email,
                (user.username,),
                f"{len(identities)} identities, email_verified "
                f"{user.attributes.get('email_verified', 'absent')}",
            )
        )
    gone = sorted({str(i.get("providerName")) for i in identities} - set(config.providers))
    if gone:
        found.append(Finding("identity_provider_gone", email, (user.username,), ", ".join(gone)))
    if user.identities_unreadable:
        found.append(Finding("identity_provider_gone", email, (user.username,), "unreadable"))
    if user.status != FEDERATED_STATUS and len(identities) >= MAX_IDENTITIES:
        found.append(
            Finding("identity_limit", email, (user.username,), f"{len(identities)} identities")
        )
    if user.email and not federated_identity.is_filter_safe_email(user.email):
        found.append(
            Finding("email_refused", email, (user.username,), "the triggers can't search for it")
        )
    return found


# ------------------------------------------------------------------------------ reports


@dataclass
class AuditReport:
    pool_id: str
    trigger_source: str
    case_sensitive: bool
    users: int
    rules: list[dict[str, Any]]
    findings: Findings
    calls: dict[str, int]
    notes: list[str]

    def counts(self) -> dict[str, int]:
        counted = dict.fromkeys(KINDS, 0)
        for finding in self.findings:
            counted[finding.kind] += 1
        return counted

    def write_json(self, out: TextIO) -> None:
        """The report as one JSON document, as json.dumps(indent=2) writes it, the findings
        written one at a time."""
        document = {
            "pool_id": self.pool_id,
            "case_sensitive": self.case_sensitive,
            "trigger_configuration": self.trigger_source,
            "users": self.users,
            "counts": self.counts(),
            "rules": self.rules,
            "findings": self.findings,
            "calls": self.calls,
            "notes": self.notes,
        }
        out.write("{")
        for number, (key, value) in enumerate(document.items()):
            out.write(("," if number else "") + f"\n  {_json(key)}: ")
            if value is not self.findings:
                out.write(_json(value).replace("\n", "\n  "))
                continue
            out.write("[")
            for count, finding in enumerate(self.findings):
                text = _json(asdict(finding)).replace("\n", "\n    ")
                out.write(("," if count else "") + "\n    " + text)
            out.write("\n  ]" if self.findings else "]")
        out.write("\n}\n")

    def to_json(self) -> str:
        out = io.StringIO()
        self.write_json(out)
        return out.getvalue()

    def write_csv(self, out: TextIO) -> None:
        writer = csv.writer(out)
        writer.writerow(["kind", "email", "usernames", "detail", "why not linked"])
        for f in self.findings:
            why = "; ".join(f"{u}: {r}" for u, r in f.reasons.items())
            row = [f.kind, f.email, " ".join(f.usernames), f.detail, why]
            writer.writerow([_inert(cell) for cell in row])

    def to_csv(self) -> str:
        out = io.StringIO()
        self.write_csv(out)
        return out.getvalue()

    def summary(self) -> str:
        failed = [r for r in self.rules if r["result"] != "PASSED"]
        lines = [
            f"pool {self.pool_id}: {self.users} users, usernames "
            + ("case-sensitive" if self.case_sensitive else "case-insensitive"),
            f"triggers' configuration: {self.trigger_source}",
            f"configuration rules: {len(self.rules) - len(failed)} passed, {len(failed)} not",
        ]
        lines += [
            f"  {r['result']} {r['rule']} {r['resource']}: {'; '.join(r['messages'])}"
            for r in failed
        ]
        width = max(len(k) for k in KINDS)
        lines.append("")
        lines.append(f"{'finding'.ljust(width)}  count")
        lines += [f"{kind.ljust(width)}  {n}" for kind, n in self.counts().items()]
        # Findings about the pool rather than a user: few, and each needs its own fix.
        lines += [f"  {f.kind}: {f.detail}" for f in self.findings if not f.usernames]
        reasons: dict[str, int] = defaultdict(int)
        for f in self.findings:
            for reason in f.reasons.values():
                reasons[reason.split(":")[0]] += 1
        if reasons:
            lines.append("")
            lines.append("why federated users were not linked:")
            lines += [
                f"  {n:>6}  {reason}" for reason, n in sorted(reasons.items(), key=lambda x: -x[1])
            ]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _json(value: Any) -> str:
    # json.dumps writes no newline inside a string: every one it writes starts a line, which
    # the caller indents to the value's depth.
    return json.dumps(value, indent=2, ensure_ascii=False)


def audit(
    cognito: Cognito, config: LiveConfig, progress: Progress, index: UserIndex | None = None
) -> AuditReport:
    """The audit, its users listed into `index` (resumed where an earlier run stopped), or
    into a temporary one."""
    from cogfed_pool.live_config import judge

    rules = judge(config)
    if config.email_self_editable:
        config.notes.append(
            "users can change their own email without verifying it (an app client may write "
            "email, and user_attribute_update_settings does not require verification): a "
            "stored email proves nothing, so `repair` refuses to merge by it"
        )
    users = index if index is not None else UserIndex.temporary(cognito.pool_id)
    users.read_pool(cognito, progress)
    # The same kind of progress line (or none), for the second pass over every user.
    checking = type(progress)("checking users by person", len(users), progress.stream)
    findings = find_problems(users, config, checking)
    return AuditReport(
        pool_id=cognito.pool_id,
        trigger_source=config.trigger_source,
        case_sensitive=config.case_sensitive,
        users=len(users),
        rules=rules,
        findings=findings,
        calls=dict(cognito.calls),
        notes=[*config.notes, *users.notes],
    )


def _inert(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting = + - @ tab or CR (a username or email
    a user chose) would be taken for a formula, so it gets a leading apostrophe."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
