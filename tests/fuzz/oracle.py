"""The invariants, as checks over what a step did and the pool before and after it.

Each check returns the problems it found (empty: the invariant held) and, where the model
cannot decide, abstains with a reason the caller counts. The model is deliberately simple:
it knows the configuration, who owns which mailbox and identity, and the pool snapshots
around a step; it never re-implements the triggers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from cogfed_tools.cognito_double import UserView
from cogfed_tools.cognito_double.facts import HOSTED_DOMAIN

from .world import (
    PROVIDERS,
    ascii_fold,
    could_write_untrusted,
    domain_of,
    hosted_domain_of,
    identity_owner,
    is_clean,
    may_be_unlisted_workspace,
    owner_of,
    strictly_trusted,
)

LINKABLE_STATUSES = frozenset({"CONFIRMED", "FORCE_CHANGE_PASSWORD"})
MAX_IDENTITIES = 5
# What a refusal message must never carry (CONTRACT §1, FACTS §2).
INTERNAL_TEXT = ("Traceback", "botocore", "ClientError", "Exception", 'File "')

Snapshot = dict[str, UserView]


@dataclass
class SignInRecord:
    """One federated sign-in played in a step, and what came of it."""

    person: str
    provider: str
    subject: str
    claims: dict[str, str]  # as the IdP sent them (without the subject)
    event_verified: str | None  # the email_verified the trigger sees (mapped or "false")
    timeouts: int
    role: str = "main"  # "main" or "inner" (played inside a race hook)
    first: bool = False  # no user held this identity before the step
    result: Any = None  # SignInResult
    created: set[str] = field(default_factory=set)  # usernames that appeared during it
    hosted: str | None = None  # Google's `hd` as the trigger sees it (a Workspace account)

    @property
    def email(self) -> str | None:
        return self.claims.get("email")


@dataclass
class IssueRecord:
    """Tokens a person obtained without a federated sign-in: a password sign-in or refresh."""

    person: str
    kind: str  # "password sign-in" or "refresh"
    result: Any  # SignInResult


@dataclass
class EndpointRecord:
    """One request to the confirmed-linking endpoint (lambda_src/confirmed_linking.py)."""

    person: str  # who sent it
    route: str
    how: str  # "honest", or the attack played
    # The identity the federated token's user held when the request was made, if any.
    identity: tuple[str, str] | None
    status: int = 0
    error: str = ""
    # POST /link: the account the bearer names and the separate user the other token names,
    # when the request is played with genuine ones; how long ago the bearer's sign-in was
    # (its `auth_time`), None when the token carries none.
    account: str | None = None
    federated: str | None = None
    signed_in_ago: float | None = None


@dataclass
class StepRecord:
    kind: str
    before: Snapshot
    sign_ins: list[SignInRecord] = field(default_factory=list)
    issued: list[IssueRecord] = field(default_factory=list)
    # username -> (person, view when created) for users this step created itself
    # (native sign-ups and administrator-created users, including inside a race).
    natives: dict[str, tuple[str, UserView]] = field(default_factory=dict)
    admin_links: set[tuple[str, str]] = field(default_factory=set)
    stale: bool = False  # ListUsers may answer from an old snapshot
    stale_view: Snapshot | None = None  # the pool when that snapshot was taken
    faulty: bool = False  # an injected fault was armed
    workspaces: bool = True  # Google accounts may be Workspace accounts (world.py)
    race_hook: str | None = None
    race_ran: bool = False
    before_inner: Snapshot | None = None
    after_inner: Snapshot | None = None
    requests: list[EndpointRecord] = field(default_factory=list)


@dataclass
class TokenRecord:
    """One pre token generation invocation: the stored attributes before, what it did."""

    attributes: dict[str, str]
    username: str
    stored_after: str | None
    override: Any  # the email_verified claim override the answer carries (None: none)
    has_override: bool
    cognito_calls: int
    error: str | None


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    abstained: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)


def natives_with(snapshot: Snapshot, email: str | None) -> list[UserView]:
    """Native users whose email is the same mailbox (ASCII case only)."""
    if email is None:
        return []
    key = ascii_fold(email)
    return [u for u in snapshot.values() if not u.is_federated and ascii_fold(u.email or "") == key]


def untrusted_writers(
    user: UserView, providers: dict[str, dict[str, Any] | None], workspaces: bool = True
) -> list[str]:
    """Linked IdPs that could have written the user's current email without being trusted.

    `workspaces`: whether Google accounts may be Workspace accounts (the "workspace" surface).
    """
    return sorted(
        p
        for p, subject in user.linked
        if could_write_untrusted(
            providers.get(p), user.email, hosted_domain_of(p, subject) if workspaces else None
        )
    )


def eligible_problem(
    user: UserView, providers: dict[str, dict[str, Any] | None], workspaces: bool = True
) -> str | None:
    """Why `user` may not receive a link (CONTRACT §1 behaviours 2 and 5), or None."""
    if user.is_federated:
        return "the destination is a federated (EXTERNAL_PROVIDER) user"
    if not user.enabled:
        return "the destination is disabled"
    if user.status not in LINKABLE_STATUSES:
        return f"the destination's status is {user.status}"
    if user.attributes.get("email_verified") != "true":
        return (
            "the destination's own email_verified is "
            f"{user.attributes.get('email_verified')!a}, not 'true'"
        )
    writers = untrusted_writers(user, providers, workspaces)
    if writers:
        return (
            f"the destination carries identities of {writers}, which could have written its "
            f"email {user.email!a} without being trusted for it"
        )
    doubted = sorted(
        p for p, _ in user.linked if may_be_unlisted_workspace(providers.get(p), user.email)
    )
    if doubted:
        return (
            f"the destination carries identities of {doubted}, which may be Workspace "
            f"accounts of unlisted domains, and its email {user.email!a} is at neither a "
            "consumer nor a listed domain (a stored hosted domain is only a hint)"
        )
    hinted = sorted(p for p, _ in user.linked if _hint_unlisted(user, providers.get(p)))
    if hinted:
        # The user (or the IdP's last sign-in) stored a hosted domain the provider does not
        # list: a trigger may refuse on it, though it proves nothing either way.
        return f"the destination's stored hosted domain for {hinted} is not a listed one"
    return None


def _hint_unlisted(user: UserView, config: dict[str, Any] | None) -> bool:
    if config is None or config.get("type") not in HOSTED_DOMAIN:
        return False
    stored = user.attributes.get(HOSTED_DOMAIN[config["type"]]["attribute"])
    listed = {ascii_fold(d) for d in config.get("email_domains") or ()}
    return bool(stored) and ascii_fold(stored or "") not in listed


def trust_problem(
    config: dict[str, Any] | None,
    email: str | None,
    verified: str | None,
    hosted: str | None = None,
) -> str | None:
    if config is None:
        return "the provider is not in IDENTITY_PROVIDERS"
    if not config.get("link_by_email", True):
        return "the provider has link_by_email off"
    if not is_clean(email):
        return f"the email {email!a} is missing, padded or unsafe"
    if strictly_trusted(config, email, verified, hosted):
        return None
    domains = config.get("email_domains")
    if domains is not None and domain_of(email or "") not in domains:
        return f"the email's domain is outside the provider's email_domains {domains}"
    if hosted and strictly_trusted(config, email, verified):
        return f"a Workspace account of {hosted!a}, a domain the provider does not list"
    return f"the provider is trusted by verified claim and email_verified was {verified!a}"


# --------------------------------------------------------------------------- invariant 1


def check_links(
    step: StepRecord,
    after: Snapshot,
    providers: dict[str, dict[str, Any] | None],
    strict_stale: bool = False,
) -> Verdict:
    """No identity is linked unless provider, email and destination allow it.

    A link that only the stale ListUsers answer justifies (the destination was eligible when
    the snapshot was taken, no longer) is counted, not failed, unless `strict_stale`:
    ListUsers is eventually consistent (FACTS §6) and the contract does not say how fresh
    the trigger's view must be.
    """
    verdict = Verdict()
    for name, user in sorted(after.items()):
        if user.is_federated:
            continue  # Cognito's own user for an identity: not a link
        previous = step.before[name].linked if name in step.before else set()
        for provider, subject in sorted(user.linked - previous):
            if (provider, subject) in step.admin_links:
                continue
            if any(r.identity == (provider, subject) and r.status == 200 for r in step.requests):
                continue  # linked by confirmation: check_confirmed_links
            verdict.checked.append("link")
            problem = _link_problem(step, name, provider, subject, providers)
            if (
                problem
                and step.stale_view is not None
                and name in step.stale_view
                and not strict_stale
            ):
                stale_step = replace(step, before=step.stale_view, after_inner=None)
                if _link_problem(stale_step, name, provider, subject, providers) is None:
                    verdict.abstained.append("link:justified-only-by-stale-ListUsers")
                    continue
            if problem:
                verdict.problems.append(
                    f"[invariant 1] identity ({provider!a}, {subject!a}) was linked to "
                    f"{name!a}: {problem}"
                )
    return verdict


def _link_problem(
    step: StepRecord,
    name: str,
    provider: str,
    subject: str,
    providers: dict[str, dict[str, Any] | None],
) -> str | None:
    signers = [s for s in step.sign_ins if s.provider == provider and s.subject == subject]
    if not signers:
        played = [(s.provider, s.subject) for s in step.sign_ins]
        return (
            "no sign-in through that provider with that exact subject happened in this step "
            f"(sign-ins played: {played})"
        )
    signer = signers[-1]
    problem = trust_problem(
        providers.get(provider), signer.email, signer.event_verified, signer.hosted
    )
    if problem:
        return problem
    # The pool as the trigger may have seen it: before the step; in a race, the racing
    # sign-in may have run before or after the lookup, so either view is allowed.
    if signer.role == "inner":
        views = [step.before_inner or step.before]
    else:
        views = [step.before] + ([step.after_inner] if step.after_inner is not None else [])
    problems = [_destination_problem(step, view, name, signer, providers) for view in views]
    return None if None in problems else problems[-1]


def _destination_problem(
    step: StepRecord,
    view: Snapshot,
    name: str,
    signer: SignInRecord,
    providers: dict[str, dict[str, Any] | None],
) -> str | None:
    email = signer.email or ""
    destination = view.get(name)
    if destination is None and name in step.natives:
        destination = step.natives[name][1]
    if destination is None:
        # Created by the trigger in this step: only when no native user had the mailbox.
        existing = [u.username for u in natives_with(view, email)]
        if existing and not step.stale:
            return f"a new user was created and linked although {existing} already had the email"
        return None
    problem = eligible_problem(destination, providers, step.workspaces)
    if problem:
        return problem
    if ascii_fold(destination.email or "") != ascii_fold(email):
        return (
            f"the destination's email {destination.email!a} and the sign-in's {email!a} differ "
            "beyond ASCII case"
        )
    same = natives_with(view, email)
    if len(same) > 1 and not step.stale:
        return f"{len(same)} native users had the email: {[u.username for u in same]}"
    return None


# --------------------------------------------------------------------------- invariant 2


def check_tokens(step: StepRecord, owners: dict[str, str]) -> Verdict:
    """No person gets tokens for a user another person owns."""
    verdict = Verdict()
    played: list[tuple[str, str, Any]] = [
        (s.person, f"signed in through {s.provider} ({s.subject!a}, email {s.email!a})", s.result)
        for s in step.sign_ins
    ]
    played += [(i.person, f"made a {i.kind}", i.result) for i in step.issued]
    for person, how, result in played:
        if result is None or not result.signed_in:
            continue
        verdict.checked.append("tokens")
        owner = owners.get(result.username or "")
        if owner is None:
            verdict.abstained.append("tokens:owner-unknown")
        elif owner != person:
            verdict.problems.append(
                f"[invariant 2] {person} {how} and got tokens for {result.username!a} "
                f"(sub {result.sub}), which {owner} owns"
            )
    return verdict


# --------------------------------------------------------------------------- invariant 3


def check_due_link(
    step: StepRecord,
    providers: dict[str, dict[str, Any] | None],
    maps_subject: dict[str, bool],
    case_sensitive: bool,
    seen_mailboxes: set[str],
) -> Verdict:
    """A trusted first sign-in lands on the one eligible native user (or a new native one).

    `seen_mailboxes`: ASCII-folded emails users were created with. A mailbox some user was
    created with (its email may have changed since) may have left a username behind that the
    trigger's create collides with: the model does not know the trigger's username scheme,
    so it does not ask for a new user then.
    """
    verdict = Verdict()
    if step.kind != "sign-in" or step.stale or step.faulty:
        return verdict
    for signer in step.sign_ins:
        reason = _due_abstain(signer, step, providers, maps_subject, case_sensitive)
        if reason:
            verdict.abstained.append(f"due-link:{reason}")
            continue
        email = signer.email or ""
        candidates = natives_with(step.before, email)
        result = signer.result
        if len(candidates) == 1:
            target = candidates[0]
            ineligible = eligible_problem(target, providers, step.workspaces)
            if ineligible or len(target.linked) >= MAX_IDENTITIES:
                verdict.abstained.append("due-link:one-ineligible-native")
                continue
            verdict.checked.append("due-link:existing")
            if not (result.signed_in and result.username == target.username):
                verdict.problems.append(
                    f"[invariant 3] {signer.person}'s trusted first sign-in through "
                    f"{signer.provider} ({signer.subject!a}, {email!a}) should have landed on "
                    f"{target.username!a}, the one eligible native user with that email; it "
                    f"ended {result.outcome} as {result.username!a} ({result.message})"
                )
        elif not candidates:
            if ascii_fold(email) in seen_mailboxes:
                verdict.abstained.append("due-link:new-mailbox-seen-before")
                continue
            if not email.isascii():
                # Whether Cognito accepts such an address as a new user's username or email is
                # not documented (the double's email-format check refuses it).
                verdict.abstained.append("due-link:new-non-ascii-email")
                continue
            verdict.checked.append("due-link:new")
            new_native = result.signed_in and result.username not in step.before
            if not new_native or result.federated_user_created:
                verdict.problems.append(
                    f"[invariant 3] {signer.person}'s trusted first sign-in through "
                    f"{signer.provider} ({signer.subject!a}, {email!a}) with no native user "
                    f"for the email should have created and linked one; it ended "
                    f"{result.outcome} as {result.username!a} "
                    f"(federated user created: {result.federated_user_created}; "
                    f"{result.message})"
                )
        else:
            verdict.abstained.append("due-link:several-natives")
    return verdict


def _due_abstain(
    signer: SignInRecord,
    step: StepRecord,
    providers: dict[str, dict[str, Any] | None],
    maps_subject: dict[str, bool],
    case_sensitive: bool,
) -> str | None:
    if signer.role != "main" or signer.result is None:
        return "not-a-plain-sign-in"
    if not signer.first:
        return "returning-identity"
    if signer.timeouts >= 3:
        return "all-attempts-timed-out"
    config = providers.get(signer.provider)
    if trust_problem(config, signer.email, signer.event_verified, signer.hosted):
        return "not-trusted"
    assert config is not None
    user_name = f"{signer.provider}_{signer.subject}".lower()
    if any(
        other != signer.provider and user_name.startswith(other.lower() + "_")
        for other in PROVIDERS
    ):
        return "provider-prefix-overlap"
    exact = (
        case_sensitive
        or (config.get("subject_attribute") and maps_subject.get(signer.provider))
        or not any(ch.isalpha() for ch in signer.subject)
    )
    if not exact:
        return "subject-case-unknown"
    if _confusable(step.before, signer.email or ""):
        return "confusable-user"
    return None


def _confusable(snapshot: Snapshot, email: str) -> bool:
    """A user whose email or username equals `email` under some wider folding than ASCII."""
    key = ascii_fold(email)
    for user in snapshot.values():
        for value in (user.email, user.username):
            if not value or ascii_fold(value) == key:
                continue
            if (
                value.lower() == email.lower()
                or value.casefold() == email.casefold()
                or ascii_fold(value.strip()) == key
            ):
                return True
    return False


# --------------------------------------------------------------------------- invariant 4


def check_pre_token(
    records: list[TokenRecord],
    providers: dict[str, dict[str, Any] | None],
    faulty: bool,
    alias_pool: bool,
    users: Snapshot,
    holds_changes: bool = True,
) -> Verdict:
    """Pre token generation restores email_verified only as CONTRACT §1 says.

    In a pool where email is an alias, verifying an email another native user holds as a
    verified alias fails (the double's AliasExistsException): the restore may then fail,
    which must not block the sign-in, so the model does not ask for it. In a pool that applies
    a user's own email change at once (`holds_changes` false), the stored email may be one
    the user typed (FACTS §8, §20): the model asks for no restore there, and the ownership
    invariants (`check_ownership`) judge whatever happens.
    """
    verdict = Verdict()
    for record in records:
        if record.error is not None:
            verdict.problems.append(
                f"[invariant 4] pre token generation raised for {record.username!a}: {record.error}"
            )
            continue
        stored = record.attributes.get("email_verified")
        email = record.attributes.get("email")
        identities = _identity_providers(record.attributes.get("identities"))
        if stored == "true" and record.cognito_calls:
            verdict.problems.append(
                f"[invariant 4] email_verified was already 'true' for {record.username!a} "
                f"but pre token generation made {record.cognito_calls} Cognito call(s)"
            )
        due = (
            stored == "false"
            and bool(identities)
            and all(_always_for(providers.get(p), email) for p in identities)
        )
        if due and not is_clean(email):
            verdict.abstained.append("pre-token:unsafe-email")
            continue
        if due:
            if not holds_changes:
                verdict.abstained.append("pre-token:pool-applies-changes-unverified")
                continue
            if faulty:
                verdict.abstained.append("pre-token:fault-armed")
                continue
            if alias_pool and _alias_held_elsewhere(users, record.username, email or ""):
                verdict.abstained.append("pre-token:alias-held-by-another-user")
                continue
            if _held_by_separate_user(users, record.username, email or ""):
                # A separate user (`untrusted_sign_in = "separate_user"`) carries the same
                # address: the double refuses the restore (AliasExistsException) and the
                # token keeps telling the truth; what AWS answers here is not documented.
                verdict.abstained.append("pre-token:address-held-by-a-separate-user")
                continue
            verdict.checked.append("pre-token:restore")
            if record.stored_after != "true" or record.override not in (True, "true"):
                verdict.problems.append(
                    f"[invariant 4] {record.username!a} (email {email!a}, identities "
                    f"{identities}) should have had email_verified restored: stored is "
                    f"{record.stored_after!a}, token claim override {record.override!a}"
                )
        else:
            verdict.checked.append("pre-token:leave-alone")
            if record.stored_after != stored or record.has_override:
                verdict.problems.append(
                    f"[invariant 4] {record.username!a} (email {email!a}, email_verified "
                    f"{stored!a}, identities {identities}) must be left alone: stored became "
                    f"{record.stored_after!a}, token claim override {record.override!a}"
                )
    return verdict


def _held_by_separate_user(users: Snapshot, username: str, email: str) -> bool:
    return any(
        name != username and user.is_federated and (user.email or "").lower() == email.lower()
        for name, user in users.items()
    )


def _alias_held_elsewhere(users: Snapshot, username: str, email: str) -> bool:
    return any(
        name != username
        and not user.is_federated
        and user.attributes.get("email_verified") == "true"
        and (user.email or "").lower() == email.lower()
        for name, user in users.items()
    )


def _identity_providers(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [str(i.get("providerName")) for i in json.loads(raw)]


def _always_for(config: dict[str, Any] | None, email: str | None) -> bool:
    if config is None or config.get("email_trust") != "always":
        return False
    domains = config.get("email_domains") or []
    return domain_of(email or "") in {ascii_fold(d) for d in domains}


# --------------------------------------------------------------------------- invariants 7-9


def check_ownership(
    step: StepRecord, after: Snapshot, owners: dict[str, str], vouched: dict[str, str]
) -> Verdict:
    """Nobody's account holds, or gets tokens saying, a verified address of another person,
    and no identity lands in another person's account (FACTS §8).

    `vouched`: username -> the (ASCII-folded) address an identity provider's mapping wrote
    verified into that user and that is still stored so. What an IdP asserts is Cognito's to
    store (FACTS §4), not the triggers' doing: the linking rules (invariant 1) judge what
    follows from it. Everything else that marks an address verified, the triggers' restore
    and creation, a user's own verification, must leave it with its owner.
    """
    verdict = Verdict()
    for name, user in sorted(after.items()):
        owner = owners.get(name)
        if owner is None:
            continue
        if user.email and user.attributes.get("email_verified") == "true":
            verdict.checked.append("verified-address:stored")
            holder = owner_of(user.email)
            if holder != owner and vouched.get(name) != ascii_fold(user.email or ""):
                verdict.problems.append(
                    f"[invariant 7] {name!a} ({owner}'s) has email_verified 'true' on "
                    f"{user.email!a}, {holder}'s address, and no identity provider asserted it"
                )
        if user.is_federated:
            continue
        previous = step.before[name].linked if name in step.before else set()
        for provider, subject in sorted(user.linked - previous):
            if (provider, subject) in step.admin_links:
                continue
            verdict.checked.append("identity-owner")
            person = identity_owner(provider, subject)
            if person is not None and person != owner:
                verdict.problems.append(
                    f"[invariant 9] {person}'s identity ({provider!a}, {subject!a}) landed in "
                    f"{name!a}, which {owner} owns"
                )
    issued = [s.result for s in step.sign_ins] + [i.result for i in step.issued]
    for result in issued:
        if result is None or not result.signed_in:
            continue
        claims = result.claims
        if not claims.get("email") or claims.get("email_verified") not in (True, "true"):
            continue
        verdict.checked.append("verified-address:token")
        owner = owners.get(result.username or "")
        holder = owner_of(claims.get("email"))
        if owner is None:
            verdict.abstained.append("verified-address:token-owner-unknown")
        elif holder != owner and vouched.get(result.username or "") != ascii_fold(
            claims.get("email") or ""
        ):
            verdict.problems.append(
                f"[invariant 8] tokens for {result.username!a} ({owner}'s) say "
                f"email_verified {claims.get('email_verified')!a} for {claims.get('email')!a}, "
                f"{holder}'s address, and no identity provider asserted it"
            )
    return verdict


# --------------------------------------------------------------------------- invariants 5, 6


def check_malformed(error: Exception | None, before: Snapshot, after: Snapshot) -> Verdict:
    verdict = Verdict(checked=["malformed"])
    if error is None:
        verdict.problems.append("[invariant 5] the malformed event was accepted without an error")
    else:
        message = str(error)
        if not message.startswith("Sign-in") or any(t in message for t in INTERNAL_TEXT):
            verdict.problems.append(
                f"[invariant 5] unclear error for a malformed event: {type(error).__name__}: "
                f"{message[:300]!a}"
            )
    if after != before:
        verdict.problems.append(
            "[invariant 5] the malformed event changed the pool: " + describe_change(before, after)
        )
    return verdict


def check_refusals(step: StepRecord, after: Snapshot) -> Verdict:
    """No refused sign-in changes the pool."""
    verdict = Verdict()
    for signer in step.sign_ins:
        result = signer.result
        if result is None or result.outcome != "refused":
            continue
        reference: Snapshot | None
        if signer.role == "inner":
            before, reference = step.before_inner, step.after_inner
        elif step.race_ran:
            # The racing sign-in ran inside this one: compare with the pool as it left it,
            # which is only this sign-in's doing when the race ran before its first write.
            if step.race_hook not in ("ListUsers", "AdminCreateUser"):
                verdict.abstained.append("refusal:race-after-a-write")
                continue
            before, reference = step.after_inner, after
        else:
            before, reference = step.before, after
        if step.faulty:
            verdict.abstained.append("refusal:fault-armed")
            continue
        if result.pre_signup_attempts > 1:
            verdict.abstained.append("refusal:after-a-retry")
            continue
        if before is None or reference is None:
            verdict.abstained.append("refusal:no-snapshot")
            continue
        verdict.checked.append("refusal")
        if reference != before:
            verdict.problems.append(
                f"[invariant 6] {signer.person}'s sign-in through {signer.provider} was "
                f"refused ({result.message}) but changed the pool: "
                + describe_change(before, reference)
            )
    return verdict


def check_confirmed_links(
    step: StepRecord, after: Snapshot, owners: dict[str, str], window_s: int
) -> Verdict:
    """The confirmed-linking endpoint links an identity only into an account of the person
    who controls it, the request's sender, and a refused request changes nothing: nobody
    gets tokens for a user holding an identity they do not control. A link is made only for
    a bearer whose sign-in is at most `window_s` old, and from a separate user carrying the
    account's address (ASCII case aside): a linked provider's mapping rewrites the account's
    email on every sign-in (FACTS §4)."""
    verdict = Verdict()
    if not step.requests:
        return verdict
    for request in step.requests:
        if request.route != "POST /link" or request.status != 200:
            continue
        verdict.checked.append("confirmed link: recent sign-in, same address")
        ago = request.signed_in_ago
        if ago is None or ago > window_s:
            verdict.problems.append(
                f"[invariant 7] a link was made for a bearer whose sign-in is "
                f"{'unknown' if ago is None else f'{ago:.0f} s old'} (window {window_s} s)"
            )
        account = step.before.get(request.account or "")
        federated = step.before.get(request.federated or "")
        if account is None or federated is None:
            continue
        if not federated.email or ascii_fold(federated.email) != ascii_fold(account.email or ""):
            verdict.problems.append(
                f"[invariant 7] {federated.username!a} carrying {federated.email!a} was linked "
                f"into {account.username!a} carrying {account.email!a}"
            )
    for name, user in sorted(after.items()):
        if user.is_federated:
            continue
        previous = step.before[name].linked if name in step.before else set()
        for provider, subject in sorted(user.linked - previous):
            if (provider, subject) in step.admin_links:
                continue
            verdict.checked.append("confirmed link")
            controls = identity_owner(provider, subject)
            owner = owners.get(name)
            senders = {
                r.person for r in step.requests if r.identity == (provider, subject) and r.status
            }
            if controls is None or owner != controls or senders != {controls}:
                verdict.problems.append(
                    f"[invariant 7] identity ({provider!a}, {subject!a}), which "
                    f"{controls or 'nobody known'} controls, was linked to {name!a} "
                    f"(owned by {owner}) by a request of {sorted(senders) or 'nobody'}"
                )
    for request in step.requests:
        if request.status == 200 and request.how != "honest":
            verdict.problems.append(
                f"[invariant 7] {request.person}'s {request.how} request to {request.route} "
                "was accepted"
            )
    if all(r.status != 200 for r in step.requests):
        verdict.checked.append("refused request")
        if after != step.before:
            verdict.problems.append(
                "[invariant 7] refused requests to the confirmed-linking endpoint "
                f"({[(r.how, r.error) for r in step.requests]}) changed the pool: "
                + describe_change(step.before, after)
            )
    return verdict


def describe_change(before: Snapshot, after: Snapshot) -> str:
    parts = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None:
            parts.append(f"created {name!a} ({new.status if new else '?'})")
        elif new is None:
            parts.append(f"removed {name!a}")
        else:
            changed = {
                k: (old.attributes.get(k), new.attributes.get(k))
                for k in set(old.attributes) | set(new.attributes)
                if old.attributes.get(k) != new.attributes.get(k)
            }
            if old.status != new.status:
                changed["status"] = (old.status, new.status)
            parts.append(f"changed {name!a}: {changed}")
    return "; ".join(parts) or "(no visible change)"
