"""The hypothesis state machine: one fresh pool per example, invariants after every step.

Steps are played through the project's Cognito double and `FederatedSignInSimulator` around
the real triggers of `lambda_src/` (or of `FUZZ_LAMBDA_SRC`, to fuzz another copy). A
`FuzzSession` opens moto and the double once for a whole run and collects coverage counts;
`run(session, settings)` runs the machine under it. Besides sign-ins, people act on their
own accounts once signed in (UpdateUserAttributes, VerifyUserAttribute with a code from a
mailbox of their own, refreshes, password sign-ins): the self-service steps need a double
that models them (FACTS §8, §20).

Work-arounds for the double, local to this file (see `FuzzSimulator`). The double fixed
both in commit 19a3204; they stay so that the unfixed tree (the double and triggers of
eb44128, where the takeover paths were found) can be fuzzed with the same code:
- the simulator's race bookkeeping removed its invocation counters by equality, so a nested
  (racing) sign-in could remove its parent's; the fuzzer's simulator removes by identity;
- a federated user whose username (folded as the pool folds) already exists is refused
  instead of silently overwriting that user.
A double without `stale_list_users` (eb44128) makes the stale-lookup rule a no-op.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    get_state_machine_test,
    initialize,
    rule,
)

from cogfed_tools.cognito_double import (
    CognitoDouble,
    FederatedSignInSimulator,
    UserView,
    counting,
)
from cogfed_tools.cognito_double import backend as double_backend
from cogfed_tools.cognito_double import simulator as double_simulator
from cogfed_tools.cognito_double.facts import STANDARD_ATTRIBUTES

from . import oracle
from .oracle import (
    EndpointRecord,
    IssueRecord,
    SignInRecord,
    StepRecord,
    TokenRecord,
    Verdict,
)
from .world import (
    APPLE,
    ATTACKER,
    ATTACKER_WORKSPACES,
    CASE_VARIANTS,
    CONSUMER_DOMAINS,
    ENTRA,
    FACEBOOK,
    GOOGLE,
    IDEOGRAPHIC_KIM,
    KELVIN_KIM,
    LINKEDIN,
    NBSP_KIM,
    OKTA,
    OWN_MAILBOXES,
    PARTNER,
    PERSONS,
    PROVIDERS,
    QUOTED_KIM,
    SENDS_VERIFIED,
    SLOTS,
    SPACE_ANN,
    VERIFIED_CLAIMS,
    PoolConfig,
    ProviderSetup,
    ascii_fold,
    could_write_untrusted,
    domain_of,
    email_kind,
    hosted_domain_of,
    identity_owner,
    leniently_trusted,
    look_alike,
    owner_of,
    subject_of,
    trust_label,
    written,
)

REGION = "eu-west-1"
POOL_SHAPES: dict[str, tuple[tuple[str, ...] | None, tuple[str, ...] | None]] = {
    # shape -> (username_attributes, alias_attributes), as in test_pre_signup_contract.py
    "email-username": (("email",), None),
    "email-alias": (None, ("email",)),
    "free-form": (None, None),
}
LOOKALIKES: tuple[str, ...] = (KELVIN_KIM, NBSP_KIM, IDEOGRAPHIC_KIM, SPACE_ANN, QUOTED_KIM)
PLAIN_OWN: dict[str, tuple[str, ...]] = {
    person: tuple(m for m in mailboxes if m not in LOOKALIKES)
    for person, mailboxes in OWN_MAILBOXES.items()
}
VERIFIED_VALUES: tuple[str | None, ...] = (
    "true",
    "true",
    "true",
    "false",
    None,
    "True",
    "TRUE",
    "1",
)
# Where a person signs in: every provider, the ones that link by email more often.
SIGN_IN_PROVIDERS: tuple[str, ...] = (*PROVIDERS, GOOGLE, LINKEDIN, ENTRA, OKTA, GOOGLE, APPLE)
# First sign-ins that reach the lookup (races only make sense there).
LINKING_PROVIDERS: tuple[str, ...] = (GOOGLE, LINKEDIN, ENTRA, OKTA, APPLE)
# "pool": an address some user in the pool carries now.
EMAIL_CHOICES = ("own", "own", "pool", "victim", "lookalike", "pool", "none")
HOOK_OPERATIONS = (
    "ListUsers",
    "AdminCreateUser",
    "AdminSetUserPassword",
    "AdminLinkProviderForUser",
    "ListIdentityProviders",
)
FAULTS = (
    ("ListUsers", "throttle"),
    ("AdminCreateUser", "lost-answer"),
    ("AdminCreateUser", "throttle"),
    ("AdminSetUserPassword", "throttle"),
    ("AdminLinkProviderForUser", "lost-answer"),
    ("AdminLinkProviderForUser", "throttle"),
    ("AdminGetUser", "throttle"),
)
PRE_SIGNUP_MALFORMED = (
    "not-an-object",
    "no-trigger-source",
    "trigger-source-not-string",
    "unknown-trigger-source",
    "no-pool-id",
    "pool-id-garbage",
    "no-username",
    "username-not-string",
    "username-empty",
    "username-prefix-only",
    "username-nul",
    "username-newline",
    "username-huge",
    "no-request",
    "attributes-not-object",
    "email-not-string",
    "verified-not-string",
)
PRE_TOKEN_MALFORMED = (
    "not-an-object",
    "no-trigger-source",
    "trigger-source-not-string",
    "version-unknown",
    "version-not-string",
    "no-request",
    "attributes-not-object",
    "verified-not-string",
    "identities-not-json",
    "identities-not-a-list",
    "response-not-object",
    "pool-id-garbage",
    "no-username",
)
# Attack surfaces that `--without` can switch off, to isolate one finding from another.
# "rewrite": identities linked to native users always send the email the user has (no
# mapping rewrites it), and no administrator links of identities that could write the
# user's email untrusted.
# "case-variants": write every address as-is (an older double's ListUsers compared exactly).
# "workspace": every Google account is a consumer account (no `hd` claim).
# "self-service": no user changes or verifies their own attributes (UpdateUserAttributes,
# GetUserAttributeVerificationCode, VerifyUserAttribute); refreshes and password sign-ins stay.
SURFACES = frozenset(
    {
        "kelvin",
        "padding",
        "partner",
        "rewrite",
        "verified-variants",
        "malformed-username",
        "case-variants",
        "workspace",
        "self-service",
    }
)
# Where a signed-in user points her own email: as for sign-ins, plus a colleague's address in
# her current address's domain (the laundering of FACTS §8, §20).
OWN_CHANGE_CHOICES = ("own", "own", "victim", "colleague", "colleague", "pool", "lookalike")
# Providers set to `untrusted_sign_in = "separate_user"` in a pool (none: the default, refuse).
SEPARATE_USER_CHOICES: tuple[tuple[str, ...], ...] = (
    (),
    (LINKEDIN,),
    (LINKEDIN, ENTRA, APPLE),
    (GOOGLE, LINKEDIN, FACEBOOK),
    (LINKEDIN, OKTA, PARTNER),
)
# What an attacker holding one side only sends to POST /link (lambda_src/confirmed_linking.py):
# her account's token and a forged token naming someone else's fresh separate user; a forged
# bearer naming a victim's account and her own separate user's token; her account's token and
# a copied federated token already spent by a link; her account's token and a token of
# another pool whose user is named as someone else's separate user; a genuine token of a
# victim's session signed in long ago (left open, refreshed since) and her own fresh separate
# user asserting the victim's address.
LINK_ATTACKS = ("forged-federated", "forged-bearer", "replay", "other-pool", "stale-bearer")
# The endpoint's window (FEDERATED_USER_MAX_AGE_SECONDS) in the fuzzed pools: both sign-ins
# of a link must be at most this old.
LINK_WINDOW_S = 300
# How long ago the victim's stolen session signed in, in seconds.
STALE_SIGN_INS = (LINK_WINDOW_S + 120, 3600, 86400)
# The address a person's sign-in through a `separate_user` provider shares before she links
# it: her account's, written in some ASCII case (as a person linking her own LinkedIn sends
# it), mostly; another of her mailboxes, or none, sometimes (links the endpoint must refuse).
SEPARATE_EMAILS = ("account",) * 6 + ("other", "none")


class InvariantViolation(AssertionError):
    """An invariant failed; the message names it and ends with the steps so far."""


# --------------------------------------------------------------------------- the simulator


class _IdentityList(list):  # type: ignore[type-arg]
    """A list whose remove() removes that very object, not the first equal one."""

    def remove(self, value: Any) -> None:
        for index, item in enumerate(self):
            if item is value:
                del self[index]
                return
        raise ValueError("not in list")


class FuzzSimulator(FederatedSignInSimulator):
    """The double's simulator with the two work-arounds named in the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._invocations = _IdentityList()

    def _create_federated_user(
        self, pool: Any, idp: Any, provider_name: str, subject: str, mapped: dict[str, str]
    ) -> Any:
        username = f"{provider_name}_{subject}"
        wanted = username if self.case_sensitive else username.lower()
        for user in pool.users.values():
            name = user.username if self.case_sensitive else user.username.lower()
            if name == wanted:
                if double_backend.holds_identity(user, provider_name, subject):
                    return user
                raise double_simulator._Refused(f"Already found an entry for username {wanted}")
        return super()._create_federated_user(pool, idp, provider_name, subject, mapped)


# --------------------------------------------------------------------------- the session


@dataclass
class Stats:
    examples: int = 0
    steps: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    pools: Counter[str] = field(default_factory=Counter)
    pool_variants: Counter[str] = field(default_factory=Counter)
    providers: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    emails: Counter[str] = field(default_factory=Counter)
    claims: Counter[str] = field(default_factory=Counter)
    special: Counter[str] = field(default_factory=Counter)
    malformed: Counter[str] = field(default_factory=Counter)
    checks: Counter[str] = field(default_factory=Counter)
    abstained: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    @property
    def total_events(self) -> int:
        return sum(self.events.values())

    def report(self) -> str:
        elapsed = time.monotonic() - self.started
        lines = [
            f"trigger events run: {self.total_events} "
            f"(pre sign-up and pre token generation invocations, malformed ones included), "
            f"{sum(self.steps.values())} steps, {self.examples} pools, {elapsed:.1f} s",
        ]
        sections = [
            ("trigger events by triggerSource", self.events),
            ("steps by kind", self.steps),
            ("pools by sign-in attribute / case setting", self.pools),
            ("pool configuration variants", self.pool_variants),
            ("federated sign-ins by provider type / trust", self.providers),
            ("sign-in outcomes (refused: by the trigger's reason)", self.outcomes),
            ("emails by kind", self.emails),
            ("claims", self.claims),
            ("retries, races, stale lookups, faults", self.special),
            ("malformed events by handler:kind", self.malformed),
            ("invariant checks made", self.checks),
            ("where the model abstained", self.abstained),
        ]
        for title, counter in sections:
            lines.append(f"{title}:")
            for key, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"  {count:7d}  {key}")
        return "\n".join(lines)


@dataclass
class FuzzSession:
    double: CognitoDouble
    stats: Stats = field(default_factory=Stats)
    without: frozenset[str] = frozenset()
    trace_lines: int = 40
    strict_stale: bool = False  # fail links that only a stale ListUsers answer justifies
    # Coverage as it stood when the first violation was found (before shrinking replays).
    at_first_violation: Stats | None = None


_SESSION: FuzzSession | None = None


def _import_lambda(name: str) -> Any:
    return importlib.import_module(name)


@contextmanager
def fuzz_session(
    without: frozenset[str] = frozenset(), *, strict_stale: bool = False
) -> Iterator[FuzzSession]:
    """moto + the double, fake credentials, and the triggers' modules ready to import.

    `FUZZ_LAMBDA_SRC` names another copy of `lambda_src/` to fuzz (e.g. an older commit's);
    it must be set before any trigger module is imported in the process.
    """
    global _SESSION
    from moto import mock_aws

    from cogfed_tools.cognito_double.double import environment

    other_src = os.environ.get("FUZZ_LAMBDA_SRC")
    if other_src:
        if "pre_signup" in sys.modules and not sys.modules["pre_signup"].__file__.startswith(
            os.path.abspath(other_src)
        ):
            raise RuntimeError("FUZZ_LAMBDA_SRC is set but the triggers are already imported")
        if os.path.abspath(other_src) not in sys.path:
            sys.path.insert(0, os.path.abspath(other_src))
    unknown = set(without) - SURFACES
    if unknown:
        raise ValueError(f"unknown surfaces {sorted(unknown)}; known: {sorted(SURFACES)}")
    fake = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }
    cleared = {
        k: os.environ.pop(k)
        for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "PROFILE_TABLE_NAME", "LOG_LEVEL")
        if k in os.environ
    }
    try:
        with environment(fake), mock_aws(), CognitoDouble(region=REGION) as double:
            _SESSION = FuzzSession(
                double=double, without=frozenset(without), strict_stale=strict_stale
            )
            try:
                yield _SESSION
            finally:
                _SESSION = None
    finally:
        os.environ.update(cleared)


def run(session: FuzzSession, settings: Settings, seed: int | None = None) -> None:
    """Run the state machine under `session` (raises on an invariant violation)."""
    test = get_state_machine_test(SignInMachine, settings=settings)
    if seed is not None:
        from hypothesis import seed as with_seed

        test = with_seed(seed)(test)
    test()


def replay(config: PoolConfig, steps: list[tuple[str, dict[str, Any]]]) -> SignInMachine:
    """Play a fixed sequence of the machine's rules (a finding) under the open session."""
    machine = SignInMachine()
    try:
        machine.create_pool(config=config)
        for name, arguments in steps:
            getattr(machine, name)(**arguments)
    finally:
        machine.teardown()
    return machine


# --------------------------------------------------------------------------- strategies


@st.composite
def pool_configs(draw: st.DrawFn) -> PoolConfig:
    return PoolConfig(
        shape=draw(st.sampled_from(tuple(POOL_SHAPES))),
        case_sensitive=draw(st.booleans()),
        token_version=draw(st.sampled_from(("V2_0", "V1_0"))),
        google_links=draw(st.sampled_from((True, True, True, False))),
        linkedin_subject=draw(st.sampled_from(("mapped", "configured-unmapped", "none"))),
        okta_subject_mapped=draw(st.booleans()),
        okta_maps_always_true_verified=draw(st.booleans()),
        partner_maps_subject=draw(st.booleans()),
        partner_configured=draw(st.sampled_from((False, False, True))),
        hold_email_changes=draw(st.booleans()),
        google_lists_corp=draw(st.sampled_from((False, False, True))),
        separate_user=draw(st.sampled_from(SEPARATE_USER_CHOICES)),
    )


persons = st.sampled_from(PERSONS)
providers = st.sampled_from(SIGN_IN_PROVIDERS)
linking_providers = st.sampled_from(LINKING_PROVIDERS)
slots = st.integers(0, SLOTS - 1)
picks = st.integers(0, 4)
variants = st.sampled_from(CASE_VARIANTS)
verified_values = st.sampled_from(VERIFIED_VALUES)
email_choices = st.sampled_from(EMAIL_CHOICES)
timeouts = st.sampled_from((0, 0, 0, 0, 1, 2, 3))


# --------------------------------------------------------------------------- the machine


class SignInMachine(RuleBasedStateMachine):
    """Sign-in sequences against one pool; every rule ends by checking the invariants."""

    def __init__(self) -> None:
        super().__init__()
        if _SESSION is None:
            raise RuntimeError("run the machine inside fuzz_session()")
        self.session = _SESSION
        self.double = _SESSION.double
        self.stats = _SESSION.stats
        self.pool_id: str | None = None
        self.sim: FuzzSimulator | None = None
        self.config: PoolConfig | None = None
        self.setups: dict[str, ProviderSetup] = {}
        self.providers_config: dict[str, dict[str, Any] | None] = {}
        self.owners: dict[str, str] = {}
        self.seen_mailboxes: set[str] = set()
        self.trace: list[str] = []
        self.token_records: list[TokenRecord] = []
        self.stale_armed = False
        self.stale_view: dict[str, UserView] | None = None
        self.fault_armed: tuple[str, str] | None = None
        self.counter = 0
        # username -> the ASCII-folded address an IdP's mapping wrote verified into it, while
        # it is still stored so (oracle.check_ownership).
        self.vouched: dict[str, str] = {}
        self.addresses: set[str] = set()  # addresses users pointed their own email to
        self.with_password: set[str] = set()  # users who signed up with a password
        # Federated access tokens a confirmed link spent, with their sender (copied, replayed).
        self.spent_tokens: list[str] = []
        self.other_pool: tuple[str, FederatedSignInSimulator] | None = None

    # ------------------------------------------------------------------ setup

    @initialize(config=pool_configs())
    def create_pool(self, config: PoolConfig) -> None:
        username_attributes, alias_attributes = POOL_SHAPES[config.shape]
        self.config = config
        self.pool_id = self.double.create_pool(
            f"fuzz{self.stats.examples}",
            case_sensitive=config.case_sensitive,
            username_attributes=username_attributes,
            alias_attributes=alias_attributes,
            custom_attributes={"idp_sub": True, "google_hd": True},
            hold_email_changes=config.hold_email_changes,
        )
        sim = FuzzSimulator(
            self.double,
            self.pool_id,
            pre_signup=self._pre_signup,
            pre_token=self._pre_token,
            token_version=config.token_version,
        )
        self.setups = config.providers()
        for name, setup in self.setups.items():
            self.double.add_identity_provider(
                self.pool_id, name, _provider_type(name), {**setup.mapping, "username": "sub"}
            )
        sim.identity_providers_override = config.identity_providers_json()
        # The module's clients may write every standard and custom attribute a mapping writes
        # (FACTS §4): so may their users, custom:google_hd included.
        sim.pool.clients[sim.client_id].extended_config["WriteAttributes"] = sorted(
            STANDARD_ATTRIBUTES | {"custom:idp_sub", "custom:google_hd"}
        )
        self.providers_config = {n: s.config for n, s in self.setups.items()}
        self.sim = sim
        self.stats.examples += 1
        self.stats.pools[config.label()] += 1
        for variant in (
            f"token {config.token_version}",
            f"Google link_by_email {config.google_links}",
            f"LinkedIn subject {config.linkedin_subject}",
            f"Okta subject mapped {config.okta_subject_mapped}",
            f"Okta maps always-true email_verified {config.okta_maps_always_true_verified}",
            f"Okta_Partner maps subject {config.partner_maps_subject}",
            f"Okta_Partner configured {config.partner_configured}",
            f"holds email changes back {config.hold_email_changes}",
            f"Google lists corp.example {config.google_lists_corp}",
            f"separate_user {'+'.join(config.separate_user) or 'none'}",
        ):
            self.stats.pool_variants[variant] += 1
        self.trace.append(f"pool {config}")

    def teardown(self) -> None:
        self.double.clear_faults()
        if self.other_pool is not None:
            self.double.backend.user_pools.pop(self.other_pool[0], None)
            double_backend.STATE.triggers.pop(self.other_pool[0], None)
        if self.pool_id is not None:
            self.double.backend.user_pools.pop(self.pool_id, None)
            double_backend.STATE.triggers.pop(self.pool_id, None)
            with double_backend.STATE.lock:
                double_backend.STATE.requests.clear()

    # ------------------------------------------------------------------ the triggers

    def _pre_signup(self, event: dict[str, Any], context: Any) -> Any:
        self.stats.events[_source(event)] += 1
        return _import_lambda("pre_signup").handler(event, context)

    def _pre_token(self, event: dict[str, Any], context: Any) -> Any:
        self.stats.events[_source(event)] += 1
        attributes = dict(event["request"]["userAttributes"])
        username = str(event["userName"])
        error: str | None = None
        answer: Any = None
        with counting() as calls:
            try:
                answer = _import_lambda("pre_token_generation").handler(event, context)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
        stored = self.double.user(self.pool_id, username).attributes.get("email_verified")
        has_override, override = _verified_override(answer)
        self.token_records.append(
            TokenRecord(attributes, username, stored, override, has_override, calls.total(), error)
        )
        if error is not None:
            raise RuntimeError(error)
        return answer

    def _direct(self, handler_name: str, event: Any) -> Exception | None:
        """A malformed event straight to a handler (not through Cognito)."""
        self.stats.events[f"direct:{handler_name}"] += 1
        handler = _import_lambda(handler_name).handler
        assert self.sim is not None
        return self.sim.call_trigger(handler, event).error

    # ------------------------------------------------------------------ claims

    def _email(
        self, person: str, provider: str, choice: str, pick: int, victim: str, variant: str
    ) -> str | None:
        if choice == "none":
            return None
        if choice == "lookalike":
            usable = [m for m in LOOKALIKES if self._surface_on_for(m)]
            return self._written(usable[pick % len(usable)], variant) if usable else None
        if choice in ("pool", "pool-lookalike"):
            stored = self._pool_emails()
            if not stored:
                return None
            email = stored[pick % len(stored)]
            if choice == "pool-lookalike":
                email = look_alike(email, pick // len(stored))
                if not self._surface_on_for(email):
                    return None
            return email
        if choice == "victim":
            if victim == person:
                victim = PERSONS[(PERSONS.index(person) + 1) % len(PERSONS)]
            mailboxes = PLAIN_OWN[victim]
        else:
            mailboxes = self._vouchable(person, provider) or PLAIN_OWN[person]
        return self._written(mailboxes[pick % len(mailboxes)], variant)

    def _written(self, mailbox: str, variant: str) -> str:
        if "case-variants" in self.session.without:
            return mailbox
        return written(mailbox, variant)

    def _pool_emails(self) -> list[str]:
        """The emails users in the pool carry now (so sign-ins meet existing accounts)."""
        assert self.pool_id is not None
        return sorted({u.email for u in self.double.users(self.pool_id) if u.email})

    def _vouchable(self, person: str, provider: str) -> tuple[str, ...]:
        config = self.providers_config.get(provider)
        domains = (config or {}).get("email_domains")
        if not domains:
            return ()
        return tuple(m for m in PLAIN_OWN[person] if domain_of(m) in domains)

    def _surface_on_for(self, mailbox: str) -> bool:
        if "\u212a" in mailbox:
            return "kelvin" not in self.session.without
        if mailbox != mailbox.strip():
            return "padding" not in self.session.without
        return True

    def _claims(
        self,
        person: str,
        provider: str,
        subject: str,
        email: str | None,
        verified: str | None,
    ) -> tuple[dict[str, str], str | None, str] | None:
        """The IdP's claims, made realistic; None when no honest IdP could send them.

        Returns (claims, the email_verified the trigger sees, a label for coverage).
        """
        setup = self.setups[provider]
        config = self.providers_config.get(provider)
        if "verified-variants" in self.session.without and verified in ("True", "TRUE"):
            verified = "true"
        if provider == OKTA and setup.maps_verified:
            verified = "true"  # the directory's always-true attribute (FACTS §4)
        elif provider not in SENDS_VERIFIED:
            verified = None  # Facebook, Login with Amazon and SAML send none (FACTS §4)
        elif email is None and config is not None and config.get("link_by_email", True):
            # An IdP trusted for emails says "verified" only of an email it sends (the email
            # scope carries both); a mapping would otherwise mark the stored one (FACTS §4).
            verified = None
        if "rewrite" in self.session.without:
            holder = self._native_holding(provider, subject)
            if holder is not None:
                email = holder.email  # a returning identity sends the email it has: no rewrite
        verified_claim = VERIFIED_CLAIMS.get(provider, "email_verified")
        hosted = (
            None if "workspace" in self.session.without else hosted_domain_of(provider, subject)
        )
        if hosted is not None and email is not None and "@" in email:
            local = email.rpartition("@")[0]
            if domain_of(email) in CONSUMER_DOMAINS.get(_provider_type(provider), ()):
                # A Workspace account's address is never at Google's own domains (FACTS §20).
                email = f"{local}@{hosted}"
        claims: dict[str, str] = {}
        if email is not None:
            claims["email"] = email
        if verified is not None:
            claims[verified_claim] = verified
        if hosted is not None:
            claims["hd"] = hosted  # a Google Workspace account (FACTS §8)
        label = "honest"
        if email is not None and owner_of(email) != person:
            label = "untrusted"
            seen = _event_verified(setup, claims)
            if hosted in ATTACKER_WORKSPACES and domain_of(email) == hosted:
                # The attacker runs this Workspace now: Google calls its addresses verified,
                # whoever owned them before (FACTS §8).
                label = "attacker's Workspace"
            elif leniently_trusted(config, email, seen):
                # An IdP trusted for this mailbox does not vouch for someone else's.
                if config is not None and config.get("email_trust") == "always":
                    own = self._vouchable(person, provider)
                    if not own:
                        return None
                    claims["email"] = written(own[0], "as-is")
                    label = "honest"
                else:
                    claims[verified_claim] = "false"
        return claims, _event_verified(setup, claims), label

    def _native_holding(self, provider: str, subject: str) -> UserView | None:
        assert self.pool_id is not None
        return next(
            (
                u
                for u in self.double.users(self.pool_id)
                if (provider, subject) in u.linked and not u.is_federated
            ),
            None,
        )

    # ------------------------------------------------------------------ step plumbing

    def _snapshot(self) -> dict[str, UserView]:
        assert self.pool_id is not None
        return self.double.snapshot(self.pool_id)

    def _begin(self, kind: str) -> StepRecord:
        self.token_records = []
        step = StepRecord(kind=kind, before=self._snapshot())
        step.workspaces = "workspace" not in self.session.without
        step.stale = self.stale_armed
        step.stale_view = self.stale_view if self.stale_armed else None
        step.faulty = self.fault_armed is not None
        self.stats.steps[kind] += 1
        return step

    def _sign_in(
        self,
        step: StepRecord,
        person: str,
        provider: str,
        slot: int,
        email: str | None,
        verified: str | None,
        timeouts_: int,
        role: str = "main",
    ) -> SignInRecord | None:
        assert self.sim is not None
        if provider == PARTNER and "partner" in self.session.without:
            self.stats.steps["skipped:partner-off"] += 1
            return None
        subject = subject_of(provider, person, slot)
        made = self._claims(person, provider, subject, email, verified)
        if made is None:
            self.stats.steps["skipped:no-honest-claim"] += 1
            return None
        claims, seen, label = made
        record = SignInRecord(person, provider, subject, claims, seen, timeouts_, role)
        hosted_attribute = next(
            (a for a, claim in self.setups[provider].mapping.items() if claim == "hd"), None
        )
        record.hosted = claims.get("hd") if hosted_attribute else None
        record.first = not any((provider, subject) in u.linked for u in step.before.values())
        before = set(self._snapshot())
        record.result = self.sim.federated_sign_in(
            provider, subject, claims, simulated_timeouts=timeouts_
        )
        record.created = set(self._snapshot()) - before
        step.sign_ins.append(record)
        self._count_sign_in(record, label)
        return record

    def _count_sign_in(self, record: SignInRecord, label: str) -> None:
        result = record.result
        self.stats.providers[trust_label(self.setups[record.provider])] += 1
        self.stats.emails[email_kind(record.email)] += 1
        claim = VERIFIED_CLAIMS.get(record.provider, "email_verified")
        verified = record.claims.get(claim)
        self.stats.claims[f"{label}, {claim} {verified!a}"] += 1
        if record.provider == GOOGLE:
            hosted = record.hosted
            config = self.providers_config.get(GOOGLE) or {}
            kind = "consumer (no hd)"
            if hosted in ATTACKER_WORKSPACES:
                kind = "Workspace, the attacker's domain"
            elif hosted:
                listed = hosted in (config.get("email_domains") or ())
                kind = f"Workspace, {'listed' if listed else 'unlisted'} domain"
            self.stats.claims[f"Google account: {kind}"] += 1
        if result.pre_signup_attempts > 1:
            self.stats.special[f"retried: {result.pre_signup_attempts} pre sign-up attempts"] += 1
        decisions = [d for d in result.decisions if d.get("trigger") == "pre_signup"]
        if result.outcome == "refused":
            reasons = [d.get("reason") for d in decisions if d.get("decision") == "refused"]
            reason = reasons[-1] if reasons else (result.message or "?")[:60]
            self.stats.outcomes[f"refused: {reason}"] += 1
        elif not record.first:
            self.stats.outcomes["signed in: returning identity"] += 1
        elif result.federated_user_created:
            why = decisions[-1].get("reason") if decisions else "?"
            self.stats.outcomes[f"signed in: Cognito created a federated user ({why})"] += 1
        else:
            last = decisions[-1] if decisions else {}
            self.stats.outcomes[f"signed in: {last.get('decision')} ({last.get('reason')})"] += 1

    def _native(
        self,
        step: StepRecord,
        person: str,
        email: str,
        *,
        verified: bool,
        confirmed: bool,
        admin: bool,
    ) -> None:
        assert self.sim is not None and self.config is not None
        if owner_of(email) != person:
            verified = False  # nobody can verify a mailbox they do not own
        before = set(self._snapshot())
        self.counter += 1
        try:
            if admin:
                username = None
                if self.config.shape == "email-alias":
                    username = f"admin{self.counter}"
                view = self.sim.admin_create_user(email, username=username, verify_email=verified)
            else:
                view = self.sim.native_sign_up(
                    email, password_of(person), confirm=confirmed, verify_email=verified
                )
        except Exception as exc:  # e.g. UsernameExistsException: Cognito refuses it too
            self.stats.outcomes[f"native refused: {type(exc).__name__}"] += 1
            self.trace.append(f"    -> refused by Cognito: {type(exc).__name__}")
            return
        for name in set(self._snapshot()) - before:
            step.natives[name] = (person, self.double.user(self.pool_id, name))
            if not admin:
                self.with_password.add(name)
        kind = "admin-created" if admin else "self sign-up"
        self.stats.outcomes[
            f"native {kind}: {view.status}, email_verified {view.email_verified}"
        ] += 1
        self.trace.append(f"    -> {view.username!a} {view.status} verified={view.email_verified}")

    def _describe(self, record: SignInRecord | None) -> str:
        if record is None:
            return "    -> skipped (no realistic claim)"
        result = record.result
        decisions = [
            f"{d.get('decision')}:{d.get('reason')}"
            for d in result.decisions
            if d.get("trigger") == "pre_signup"
        ]
        return (
            f"    {record.role}: {record.person} via {record.provider} subject "
            f"{record.subject!a} claims {record.claims!a} -> {result.outcome} as "
            f"{result.username!a} {decisions} {result.message or ''}"
        )

    def _finish(self, step: StepRecord) -> None:
        """Attribute new users to people, then check every invariant."""
        after = self._snapshot()
        for name, (person, _) in step.natives.items():
            self.owners.setdefault(name, person)
        for record in step.sign_ins:
            for name in record.created:
                if name not in step.natives:
                    self.owners.setdefault(name, record.person)
        for name in after:
            if name not in self.owners:
                self.stats.abstained["owner:unattributed-user"] += 1
        # Checked against the mailboxes seen before this step, then this step's are added.
        seen = set(self.seen_mailboxes)
        for name, user in after.items():
            if name not in step.before:
                self.seen_mailboxes.add(ascii_fold(user.email or ""))
                self.seen_mailboxes.add(ascii_fold(user.username))
        for record in step.sign_ins:
            self.trace.append(self._describe(record))
        self._note_vouched(step, after)
        assert self.config is not None
        maps_subject = {n: s.maps_subject for n, s in self.setups.items()}
        verdicts = [
            oracle.check_links(step, after, self.providers_config, self.session.strict_stale),
            oracle.check_tokens(step, self.owners),
            oracle.check_due_link(
                step, self.providers_config, maps_subject, self.config.case_sensitive, seen
            ),
            oracle.check_pre_token(
                self.token_records,
                self.providers_config,
                step.faulty,
                self.config.shape == "email-alias",
                after,
                self.config.hold_email_changes,
            ),
            oracle.check_refusals(step, after),
            oracle.check_ownership(step, after, self.owners, self.vouched),
            oracle.check_confirmed_links(step, after, self.owners, LINK_WINDOW_S),
        ]
        self._settle(verdicts)
        if self.fault_armed is not None and step.sign_ins:
            self.double.clear_faults()
            self.fault_armed = None
        if self.stale_armed and self.pool_id not in getattr(double_backend.STATE, "stale", {}):
            self.stale_armed = False

    def _note_vouched(self, step: StepRecord, after: dict[str, UserView]) -> None:
        """Track the verified addresses identity providers' mappings wrote (FACTS §4)."""
        for name, address in list(self.vouched.items()):
            user = after.get(name)
            if (
                user is None
                or user.attributes.get("email_verified") != "true"
                or ascii_fold(user.email or "") != address
            ):
                del self.vouched[name]
        for record in step.sign_ins:
            result = record.result
            if result is None or not result.signed_in or record.event_verified != "true":
                continue
            # The sign-in's mapping wrote email_verified "true" into the user it landed on.
            user = after.get(result.username or "")
            if user is not None and user.email and user.attributes.get("email_verified") == "true":
                self.vouched[user.username] = ascii_fold(user.email)

    def _settle(self, verdicts: list[Verdict]) -> None:
        problems = [p for v in verdicts for p in v.problems]
        for verdict in verdicts:
            self.stats.checks.update(verdict.checked)
            self.stats.abstained.update(verdict.abstained)
        if problems:
            self.stats.checks["VIOLATION"] += len(problems)
            if self.session.at_first_violation is None:
                self.session.at_first_violation = copy.deepcopy(self.stats)
            trace = "\n".join(self.trace[-self.session.trace_lines :])
            raise InvariantViolation("\n".join(problems) + "\n--- steps so far:\n" + trace)

    # ------------------------------------------------------------------ rules

    @rule(
        person=persons,
        provider=providers,
        slot=slots,
        choice=email_choices,
        pick=picks,
        victim=persons,
        variant=variants,
        verified=verified_values,
        retries=timeouts,
    )
    def sign_in(
        self,
        person: str,
        provider: str,
        slot: int,
        choice: str,
        pick: int,
        victim: str,
        variant: str,
        verified: str | None,
        retries: int,
    ) -> None:
        """A federated sign-in by anyone, with their own or attack-shaped claims."""
        step = self._begin("sign-in")
        email = self._email(person, provider, choice, pick, victim, variant)
        self.trace.append(f"sign_in {person} via {provider}#{slot} email {email!a}")
        self._sign_in(step, person, provider, slot, email, verified, retries)
        self._finish(step)

    @rule(
        provider=providers,
        slot=slots,
        choice=st.sampled_from(("victim", "lookalike", "own", "pool", "pool-lookalike")),
        pick=picks,
        victim=persons,
        variant=variants,
        verified=verified_values,
    )
    def attacker_sign_in(
        self,
        provider: str,
        slot: int,
        choice: str,
        pick: int,
        victim: str,
        variant: str,
        verified: str | None,
    ) -> None:
        """The attacker signs in with someone else's or a look-alike address."""
        step = self._begin("sign-in")
        email = self._email(ATTACKER, provider, choice, pick, victim, variant)
        self.trace.append(f"attacker_sign_in via {provider}#{slot} email {email!a}")
        self._sign_in(step, ATTACKER, provider, slot, email, verified, 0)
        self._finish(step)

    @rule(
        index=st.integers(0, 50),
        choice=email_choices,
        pick=picks,
        victim=persons,
        variant=variants,
        verified=verified_values,
    )
    def returning_sign_in(
        self,
        index: int,
        choice: str,
        pick: int,
        victim: str,
        variant: str,
        verified: str | None,
    ) -> None:
        """An identity the pool knows signs in again; Cognito rewrites the mapped email."""
        assert self.pool_id is not None
        known = sorted(
            (p, s)
            for p, s in {i for u in self.double.users(self.pool_id) for i in u.linked}
            if identity_owner(p, s) is not None
        )
        if not known:
            self.stats.steps["skipped:no-known-identity"] += 1
            return
        provider, subject = known[index % len(known)]
        person = identity_owner(provider, subject)
        assert person is not None
        slot = _slot_of(provider, person, subject)
        step = self._begin("sign-in")
        email = self._email(person, provider, choice, pick, victim, variant)
        self.trace.append(f"returning_sign_in {person} via {provider}#{slot} email {email!a}")
        self._sign_in(step, person, provider, slot, email, verified, 0)
        self._finish(step)

    @rule(
        index=st.integers(0, 50),
        provider=linking_providers,
        slot=slots,
        variant=variants,
        retries=timeouts,
    )
    def owner_sign_in(
        self, index: int, provider: str, slot: int, variant: str, retries: int
    ) -> None:
        """The owner of an address some user carries signs in with it, verified."""
        stored = self._pool_emails()
        owners = [(e, owner_of(e)) for e in stored if owner_of(e) is not None]
        if not owners:
            self.stats.steps["skipped:no-owned-email-in-pool"] += 1
            return
        email, person = owners[index % len(owners)]
        assert person is not None
        email = self._written(email, variant)
        step = self._begin("sign-in")
        self.trace.append(f"owner_sign_in {person} via {provider}#{slot} email {email!a}")
        self._sign_in(step, person, provider, slot, email, "true", retries)
        self._finish(step)

    @rule(index=st.integers(0, 50), pick=picks, victim=persons, variant=variants)
    def attacker_rewrite(self, index: int, pick: int, victim: str, variant: str) -> None:
        """An attacker's identity linked to a native user returns with someone else's email."""
        assert self.pool_id is not None
        mine = sorted(
            (p, s)
            for u in self.double.users(self.pool_id)
            if not u.is_federated
            for p, s in u.linked
            if identity_owner(p, s) == ATTACKER
        )
        if not mine:
            self.stats.steps["skipped:no-linked-attacker-identity"] += 1
            return
        provider, subject = mine[index % len(mine)]
        slot = _slot_of(provider, ATTACKER, subject)
        email = self._email(ATTACKER, provider, "victim", pick, victim, variant)
        step = self._begin("sign-in")
        self.trace.append(f"attacker_rewrite via {provider}#{slot} email {email!a}")
        self._sign_in(step, ATTACKER, provider, slot, email, "true", 0)
        self._finish(step)

    @rule(
        person=persons,
        choice=st.sampled_from(("own", "own", "victim", "lookalike")),
        pick=picks,
        victim=persons,
        variant=variants,
        verified=st.booleans(),
        confirmed=st.booleans(),
    )
    def native_sign_up(
        self,
        person: str,
        choice: str,
        pick: int,
        victim: str,
        variant: str,
        verified: bool,
        confirmed: bool,
    ) -> None:
        """Email-and-password sign-up (someone else's address stays unverified)."""
        step = self._begin("native sign-up")
        email = self._email(person, GOOGLE, choice, pick, victim, variant) or PLAIN_OWN[person][0]
        self.trace.append(
            f"native_sign_up {person} {email!a} verified={verified} confirmed={confirmed}"
        )
        self._native(step, person, email, verified=verified, confirmed=confirmed, admin=False)
        self._finish(step)

    @rule(person=persons, pick=picks, variant=variants, verified=st.booleans())
    def admin_create(self, person: str, pick: int, variant: str, verified: bool) -> None:
        """An administrator creates a user for a person (FORCE_CHANGE_PASSWORD)."""
        step = self._begin("admin create")
        email = self._written(PLAIN_OWN[person][pick % len(PLAIN_OWN[person])], variant)
        self.trace.append(f"admin_create for {person} {email!a} verified={verified}")
        self._native(step, person, email, verified=verified, confirmed=False, admin=True)
        self._finish(step)

    # ------------------------------------------------------------------ self-service
    # A signed-in user's own calls (FACTS §8, §20). No preconditions, as for the rules below:
    # a rule that cannot act is a no-op.

    def _signed_in(self, index: int) -> tuple[str, str] | None:
        """(username, person) of a user with a session whose person is known, or None."""
        assert self.sim is not None
        users = [(u, self.owners[u]) for u in self.sim.session_usernames() if u in self.owners]
        return users[index % len(users)] if users else None

    def _self_service_actor(self, index: int) -> tuple[str, str] | None:
        """The signed-in user a self-service step acts as, or None (counted as a skip)."""
        if "self-service" in self.session.without:
            self.stats.steps["skipped:self-service-off"] += 1
            return None
        found = self._signed_in(index)
        if found is None:
            self.stats.steps["skipped:no-session"] += 1
        return found

    def _own_call(self, label: str, call: Callable[[], Any], done: Callable[[], str]) -> None:
        """Make one of the user's own API calls; count and trace what Cognito answered."""
        try:
            call()
            outcome = done()
        except ClientError as exc:
            outcome = f"refused: {exc.response['Error']['Code']}"
        self.stats.outcomes[f"{label}: {outcome}"] += 1
        self.trace.append(f"    -> {outcome}")

    def _own_change_target(
        self, person: str, current: str | None, choice: str, pick: int, victim: str, variant: str
    ) -> str | None:
        if choice == "colleague":
            domain = domain_of(current or "")
            others = [
                m
                for p, mailboxes in PLAIN_OWN.items()
                if p != person
                for m in mailboxes
                if domain_of(m) == domain
            ]
            return self._written(others[pick % len(others)], variant) if others else None
        if choice == "own":
            mine = PLAIN_OWN[person]
            return self._written(mine[pick % len(mine)], variant)
        # "victim", "pool" and "lookalike" as for sign-ins (no provider decides them).
        return self._email(person, FACEBOOK, choice, pick, victim, variant)

    @rule(
        index=st.integers(0, 50),
        choice=st.sampled_from(OWN_CHANGE_CHOICES),
        pick=picks,
        victim=persons,
        variant=variants,
    )
    def own_email_change(
        self, index: int, choice: str, pick: int, victim: str, variant: str
    ) -> None:
        """A signed-in user points her own email elsewhere (UpdateUserAttributes)."""
        assert self.sim is not None and self.pool_id is not None
        found = self._self_service_actor(index)
        if found is None:
            return
        username, person = found
        sim, pool_id = self.sim, self.pool_id
        current = self.double.user(pool_id, username).email
        email = self._own_change_target(person, current, choice, pick, victim, variant)
        if email is None:
            self.stats.steps["skipped:no-address"] += 1
            return
        step = self._begin("self-service: change own email")
        self.trace.append(f"own_email_change {person} {username!a} {current!a} -> {email!a}")
        self.addresses.add(email)
        self._own_call(
            f"own email change ({choice})",
            lambda: sim.update_own_attributes(username, {"email": email}),
            lambda: (
                "held back until verified"
                if self.double.pending(pool_id, username) == email
                else "stored"
            ),
        )
        self._finish(step)

    @rule(index=st.integers(0, 50), value=st.sampled_from(("", "corp.example", "gmail.com")))
    def own_hosted_domain_change(self, index: int, value: str) -> None:
        """A signed-in user rewrites or clears her stored hosted domain (custom:google_hd):
        a mapped attribute is hers to write (FACTS §4), so it is only a hint (FACTS §20)."""
        assert self.sim is not None
        found = self._self_service_actor(index)
        if found is None:
            return
        username, person = found
        sim = self.sim
        step = self._begin("self-service: change own hosted domain")
        self.trace.append(f"own_hosted_domain_change {person} {username!a} -> {value!a}")
        self._own_call(
            f"own hosted domain change ({value or 'cleared'})",
            lambda: sim.update_own_attributes(username, {"custom:google_hd": value}),
            lambda: "stored",
        )
        self._finish(step)

    @rule(index=st.integers(0, 50))
    def request_code(self, index: int) -> None:
        """The user asks for a new code for her email (GetUserAttributeVerificationCode)."""
        assert self.sim is not None
        found = self._self_service_actor(index)
        if found is None:
            return
        username, person = found
        sim = self.sim
        step = self._begin("self-service: request code")
        self.trace.append(f"request_code {person} {username!a}")
        self._own_call(
            "code request", lambda: sim.request_verification_code(username), lambda: "sent"
        )
        self._finish(step)

    @rule(index=st.integers(0, 50))
    def own_verify(self, index: int) -> None:
        """The user enters the newest code her own mailboxes received for her account
        (VerifyUserAttribute): nobody reads a mailbox of another person."""
        assert self.sim is not None and self.pool_id is not None
        found = self._self_service_actor(index)
        if found is None:
            return
        username, person = found
        sim = self.sim
        addresses = self.addresses | {u.email for u in self.double.users(self.pool_id) if u.email}
        received = sorted(
            (
                m
                for address in addresses
                if owner_of(address) == person
                for m in self.double.outbox(address)
                if m.pool_id == self.pool_id and m.username == username
            ),
            key=lambda m: m.sent_at,
        )
        if not received:
            self.stats.steps["skipped:no-code-in-own-mailboxes"] += 1
            return
        step = self._begin("self-service: verify")
        message = received[-1]
        self.trace.append(
            f"own_verify {person} {username!a} with the code sent to {message.address!a}"
        )
        self._own_call(
            "verification",
            lambda: sim.verify_own_attribute(username, message.code),
            lambda: "verified",
        )
        self._finish(step)

    @rule(index=st.integers(0, 50))
    def refresh(self, index: int) -> None:
        """A signed-in user's app refreshes its tokens: pre token generation runs (FACTS §20)."""
        assert self.sim is not None
        found = self._signed_in(index)
        if found is None:
            self.stats.steps["skipped:no-session"] += 1
            return
        username, person = found
        step = self._begin("refresh")
        self.trace.append(f"refresh {person} {username!a}")
        result = self.sim.refresh_tokens(username)
        step.issued.append(IssueRecord(person, "refresh", result))
        self._count_issue("refresh", result)
        self._finish(step)

    @rule(index=st.integers(0, 50), by_email=st.booleans(), hosted_ui=st.booleans())
    def password_sign_in(self, index: int, by_email: bool, hosted_ui: bool) -> None:
        """A person signs in with her own password to a user she signed up, by its username or
        its email (FACTS §6: a sign-in attribute where the pool has one)."""
        assert self.sim is not None and self.pool_id is not None
        natives = sorted(
            (u.username, self.owners[u.username])
            for u in self.double.users(self.pool_id)
            if u.username in self.with_password and u.username in self.owners
        )
        if not natives:
            self.stats.steps["skipped:no-native-user"] += 1
            return
        username, person = natives[index % len(natives)]
        email = self.double.user(self.pool_id, username).email
        login = email if by_email and email else username
        step = self._begin("password sign-in")
        self.trace.append(f"password_sign_in {person} as {login!a} (hosted UI {hosted_ui})")
        result = self.sim.password_sign_in(login, password_of(person), hosted_ui=hosted_ui)
        step.issued.append(IssueRecord(person, "password sign-in", result))
        self._count_issue("password sign-in", result)
        self._finish(step)

    def _count_issue(self, kind: str, result: Any) -> None:
        outcome = "tokens" if result.signed_in else f"refused: {result.message}"
        self.stats.outcomes[f"{kind}: {outcome}"] += 1
        self.trace.append(
            f"    -> {result.outcome} as {result.username!a}, email {result.claims.get('email')!a} "
            f"email_verified {result.claims.get('email_verified')!a}"
        )

    @rule(person=persons, provider=providers, slot=slots)
    def admin_link(self, person: str, provider: str, slot: int) -> None:
        """An administrator links a person's own identity to that person's native user."""
        assert self.pool_id is not None
        mine = [
            u
            for u in self.double.users(self.pool_id)
            if not u.is_federated and self.owners.get(u.username) == person
        ]
        if not mine:
            self.stats.steps["skipped:no-native-user"] += 1
            return
        subject = subject_of(provider, person, slot)
        hosted = (
            None if "workspace" in self.session.without else hosted_domain_of(provider, subject)
        )
        if "rewrite" in self.session.without and could_write_untrusted(
            self.providers_config.get(provider), mine[0].email, hosted
        ):
            self.stats.steps["skipped:untrusted-writer-off"] += 1
            return
        step = self._begin("admin link")
        self.trace.append(f"admin_link {provider}#{slot} ({subject!a}) to {mine[0].username!a}")
        try:
            self.double.link(self.pool_id, mine[0].username, provider, subject)
            step.admin_links.add((provider, subject))
            self.stats.outcomes[f"admin link: {provider}"] += 1
        except Exception as exc:
            self.stats.outcomes[f"admin link refused: {type(exc).__name__}"] += 1
        self._finish(step)

    @rule(
        person=persons,
        provider=linking_providers,
        slot=slots,
        pick=picks,
        variant=variants,
        inner=st.sampled_from(("sign-in", "sign-in", "native-unverified", "native-verified")),
        inner_person=persons,
        inner_provider=linking_providers,
        inner_email=st.sampled_from(("same", "own")),
        hook=st.sampled_from(HOOK_OPERATIONS),
    )
    def race(
        self,
        person: str,
        provider: str,
        slot: int,
        pick: int,
        variant: str,
        inner: str,
        inner_person: str,
        inner_provider: str,
        inner_email: str,
        hook: str,
    ) -> None:
        """A first sign-in, with a second sign-in or sign-up played when it reaches `hook`."""
        assert self.pool_id is not None
        step = self._begin("race")
        step.race_hook = hook
        email = self._email(person, provider, "own", pick, person, variant)
        other = (
            email
            if inner_email == "same"
            else self._email(inner_person, inner_provider, "own", pick, inner_person, "as-is")
        )
        self.trace.append(
            f"race: {person} via {provider}#{slot} {email!a}; at {hook}: {inner} by "
            f"{inner_person} ({inner_provider}) {other!a}"
        )

        crashed: list[BaseException] = []

        def play_inner() -> None:
            try:
                _play_inner()
            except BaseException as exc:  # re-raised below, not swallowed by the trigger
                crashed.append(exc)

        def _play_inner() -> None:
            step.race_ran = True
            step.before_inner = self._snapshot()
            if inner == "sign-in":
                self._sign_in(step, inner_person, inner_provider, 1, other, "true", 0, "inner")
            else:
                self._native(
                    step,
                    inner_person,
                    other or PLAIN_OWN[inner_person][0],
                    verified=inner == "native-verified",
                    confirmed=True,
                    admin=False,
                )
            step.after_inner = self._snapshot()

        self.double.before_call(hook, play_inner)
        try:
            outer = self._sign_in(step, person, provider, slot, email, "true", 0)
        finally:
            self.double.clear_faults()
        if crashed:
            raise crashed[0]
        if outer is not None and step.race_ran:
            inner_record = next((r for r in step.sign_ins if r.role == "inner"), None)
            if inner_record is not None:
                outer.created -= inner_record.created
            outer.created -= set(step.natives)
        self.stats.special[f"race at {hook}: {'ran' if step.race_ran else 'not reached'}"] += 1
        self._finish(step)

    # No preconditions: a rule that is not enabled shifts which rule later draws pick, which
    # keeps the shrinker from deleting steps. A rule that cannot act is a no-op instead.
    @rule(times=st.integers(1, 2))
    def stale_lookups(self, times: int) -> None:
        """The next ListUsers calls answer from a snapshot taken now (FACTS §6)."""
        assert self.pool_id is not None
        stale = getattr(self.double, "stale_list_users", None)
        if stale is None:
            self.stats.special["stale ListUsers: not offered by this double"] += 1
            return
        stale(self.pool_id, times=times)
        self.stale_view = self._snapshot()
        self.stale_armed = True
        self.stats.special[f"stale ListUsers armed (times={times})"] += 1
        self.trace.append(f"stale_lookups times={times}")

    @rule(fault=st.sampled_from(FAULTS))
    def arm_fault(self, fault: tuple[str, str]) -> None:
        """The next sign-in meets throttling or a lost answer on one operation."""
        if self.fault_armed is not None:
            return  # one at a time: stacked faults only exhaust the trigger's deadline
        operation, kind = fault
        if kind == "throttle":
            self.double.inject_fault(operation)
        else:
            self.double.inject_fault(operation, "InternalErrorException", after=True, status=500)
        self.fault_armed = fault
        self.stats.special[f"fault armed: {kind} on {operation}"] += 1
        self.trace.append(f"arm_fault {kind} on {operation}")

    @rule(
        handler=st.sampled_from(("pre_signup", "pre_token_generation")),
        kind=st.integers(0, 100),
        person=persons,
        pick=picks,
    )
    def malformed_event(self, handler: str, kind: int, person: str, pick: int) -> None:
        """A malformed event straight to a handler: a clear error, nothing changed."""
        assert self.sim is not None
        kinds = PRE_SIGNUP_MALFORMED if handler == "pre_signup" else PRE_TOKEN_MALFORMED
        if "malformed-username" in self.session.without:
            kinds = tuple(
                k for k in kinds if k not in ("username-nul", "username-newline", "username-huge")
            )
        name = kinds[kind % len(kinds)]
        event = (
            self._malformed_pre_signup(name, person, pick)
            if handler == "pre_signup"
            else self._malformed_pre_token(name, person, pick)
        )
        if event is None:
            self.stats.steps["skipped:no-linking-provider"] += 1
            return
        step = self._begin("malformed")
        self.trace.append(f"malformed_event {handler} {name}")
        error = self._direct(handler, event)
        self.stats.malformed[f"{handler}:{name}"] += 1
        after = self._snapshot()
        verdict = oracle.check_malformed(error, step.before, after)
        self._settle([verdict])
        self._finish(step)

    # ------------------------------------------------------------------ malformed events

    def _malformed_pre_signup(self, kind: str, person: str, pick: int) -> Any:
        """A PreSignUp_ExternalProvider event a linking IdP would send, then broken."""
        assert self.sim is not None
        linking = [
            name
            for name in (GOOGLE, LINKEDIN, OKTA)
            if (self.providers_config.get(name) or {}).get("link_by_email")
        ]
        if not linking:
            return None
        provider = linking[pick % len(linking)]
        subject = subject_of(provider, person, 1)
        email = (self._vouchable(person, provider) or PLAIN_OWN[person])[0]
        made = self._claims(person, provider, subject, email, "true")
        assert made is not None
        event = self.sim.pre_signup_event(provider, subject, made[0])
        attributes = event["request"]["userAttributes"]
        user_name = event["userName"]
        changes: dict[str, Callable[[], Any]] = {
            "not-an-object": lambda: [event],
            "no-trigger-source": lambda: event.pop("triggerSource"),
            "trigger-source-not-string": lambda: event.update(triggerSource=7),
            "unknown-trigger-source": lambda: event.update(triggerSource="PreSignUp_Other"),
            "no-pool-id": lambda: event.pop("userPoolId"),
            "pool-id-garbage": lambda: event.update(userPoolId="not a pool"),
            "no-username": lambda: event.pop("userName"),
            "username-not-string": lambda: event.update(userName=[user_name]),
            "username-empty": lambda: event.update(userName=""),
            "username-prefix-only": lambda: event.update(userName=user_name.split("_")[0] + "_"),
            "username-nul": lambda: event.update(userName=user_name + "\x00"),
            "username-newline": lambda: event.update(userName=user_name + "\nx"),
            "username-huge": lambda: event.update(userName=user_name + "9" * 3000),
            "no-request": lambda: event.pop("request"),
            "attributes-not-object": lambda: event["request"].update(userAttributes=[]),
            "email-not-string": lambda: attributes.update(email=5),
            "verified-not-string": lambda: attributes.update(email_verified=True),
        }
        replaced = changes[kind]()
        return replaced if kind == "not-an-object" else event

    def _malformed_pre_token(self, kind: str, person: str, pick: int) -> Any:
        """A pre token event that would restore email_verified, then broken."""
        assert self.sim is not None and self.pool_id is not None and self.config is not None
        users = sorted(self.double.users(self.pool_id), key=lambda u: u.username)
        username = users[pick % len(users)].username if users else "nobody"
        attributes = {
            "sub": "00000000-0000-0000-0000-000000000000",
            "email": (self._vouchable(person, OKTA) or ("bob@corp.example",))[0],
            "email_verified": "false",
            "identities": json.dumps([{"providerName": OKTA, "userId": "KimL"}]),
            "cognito:user_status": "EXTERNAL_PROVIDER",
        }
        event: dict[str, Any] = {
            "version": "1" if self.config.token_version == "V1_0" else "2",
            "triggerSource": "TokenGeneration_HostedAuth",
            "region": REGION,
            "userPoolId": self.pool_id,
            "userName": username,
            "callerContext": {"awsSdkVersion": "x", "clientId": self.sim.client_id},
            "request": {"userAttributes": attributes, "groupConfiguration": {}},
            "response": {"claimsOverrideDetails": None},
        }
        changes: dict[str, Callable[[], Any]] = {
            "not-an-object": lambda: "event",
            "no-trigger-source": lambda: event.pop("triggerSource"),
            "trigger-source-not-string": lambda: event.update(triggerSource=None),
            "version-unknown": lambda: event.update(version="9"),
            "version-not-string": lambda: event.update(version=2),
            "no-request": lambda: event.pop("request"),
            "attributes-not-object": lambda: event["request"].update(userAttributes="x"),
            "verified-not-string": lambda: attributes.update(email_verified=False),
            "identities-not-json": lambda: attributes.update(identities="[{"),
            "identities-not-a-list": lambda: attributes.update(identities='{"providerName": 1}'),
            "response-not-object": lambda: event.update(response=[]),
            "pool-id-garbage": lambda: event.update(userPoolId="../other"),
            "no-username": lambda: event.pop("userName"),
        }
        replaced = changes[kind]()
        return replaced if kind == "not-an-object" else copy.deepcopy(event)

    # --------------------------------------------------------------------------- helpers

    # ------------------------------------------------------------------ confirmed linking

    def _endpoint(self, record: EndpointRecord, bearer: str, body: dict[str, Any]) -> None:
        """One request through the simulator's HTTP API (JWT authorizer) to the handler."""
        assert self.sim is not None
        handler = _import_lambda("confirmed_linking").handler
        claims = double_backend.token_claims(bearer) or {}
        signed_in = claims.get("auth_time")
        record.signed_in_ago = (
            time.time() - signed_in if isinstance(signed_in, int | float) else None
        )
        answer = self.sim.call_endpoint(
            record.route,
            bearer,
            body,
            handler=handler,
            environment_overrides={"FEDERATED_USER_MAX_AGE_SECONDS": str(LINK_WINDOW_S)},
        )
        record.status = answer.status
        record.error = str(answer.body.get("error", ""))
        self.stats.events[f"ConfirmedLinking {record.route}"] += 1
        self.stats.outcomes[
            f"{record.route} {record.how}: {answer.status} {record.error or 'ok'}"
        ] += 1
        self.trace.append(f"    -> {answer.status} {record.error or 'ok'}")

    def _accounts(self, owned_by: Callable[[str | None], bool], index: int) -> list[UserView]:
        """Accounts (not separate users) whose owner passes `owned_by` and who can sign in to
        them (a session, or a password), the `index`-th first."""
        assert self.sim is not None and self.pool_id is not None
        sessions = set(self.sim.session_usernames())
        accounts = sorted(
            (
                u
                for u in self.double.users(self.pool_id)
                if not u.is_federated
                and owned_by(self.owners.get(u.username))
                and (u.username in sessions or u.username in self.with_password)
            ),
            key=lambda u: u.username,
        )
        if not accounts:
            return []
        at = index % len(accounts)
        return accounts[at:] + accounts[:at]

    def _account_token(self, step: StepRecord, username: str, person: str) -> str | None:
        """The access token of `person`'s account `username` from a sign-in made minutes ago
        at most: its session's, or a password sign-in's made now; None if she has neither."""
        assert self.sim is not None
        if username not in set(self.sim.session_usernames()):
            if username not in self.with_password:
                return None
            result = self.sim.password_sign_in(username, password_of(person))
            step.issued.append(IssueRecord(person, "password sign-in", result))
            if not result.signed_in or result.username != username:
                return None
        token = str(self.sim.access_token(username))
        signed_in = (double_backend.token_claims(token) or {}).get("auth_time")
        if not isinstance(signed_in, int | float) or time.time() - signed_in > LINK_WINDOW_S / 2:
            # She signs in again right before linking, as the endpoint asks.
            self.stats.special["confirmed link: the person signed in again"] += 1
            token = self._session_token(username, signed_in_ago=0)
        return token

    def _session_token(self, username: str, *, signed_in_ago: int) -> str:
        """A genuine access token of `username`'s session (GetUser accepts it) whose sign-in
        was `signed_in_ago` seconds ago: what Cognito issues on a refresh of a session left
        open (`auth_time` is the sign-in's, as OpenID Connect defines it; FACTS §20)."""
        assert self.sim is not None
        pool = self.sim.pool
        client_id = self.sim.client_id
        _, origin_jti = pool.create_refresh_token(client_id, username)
        token, _ = pool.create_jwt(
            client_id,
            username,
            "access",
            extra_data={
                "origin_jti": origin_jti,
                "scope": "aws.cognito.signin.user.admin",
                "auth_time": int(time.time()) - signed_in_ago,
            },
        )
        pool.access_tokens[token] = (client_id, username)
        return str(token)

    def _separate_users(self, owned_by: Callable[[str | None], bool]) -> list[UserView]:
        """Separate (federated) users with a session and one identity, by their owner."""
        assert self.sim is not None and self.pool_id is not None
        sessions = set(self.sim.session_usernames())
        return [
            u
            for u in self.double.users(self.pool_id)
            if u.is_federated
            and u.username in sessions
            and len(u.linked) == 1
            and owned_by(self.owners.get(u.username))
        ]

    def _separate_sign_in(
        self, person: str, pick: int, slot: int, email: str | None
    ) -> UserView | None:
        """`person` signs in through a provider set to `separate_user`, sharing `email`
        unverified (a step of its own); the separate user it made, or None."""
        assert self.config is not None and self.pool_id is not None
        usable = [p for p in sorted(self.config.separate_user) if p in self.setups]
        if PARTNER in usable and "partner" in self.session.without:
            usable.remove(PARTNER)
        if not usable:
            self.stats.steps["skipped:no-separate-user-provider"] += 1
            return None
        provider = usable[pick % len(usable)]
        # An identity the pool does not know yet, where one is left: a first sign-in.
        known = {i for u in self.double.users(self.pool_id) for i in u.linked}
        slot = next(
            (
                s
                for s in (slot + n for n in range(SLOTS))
                if (provider, subject_of(provider, person, s)) not in known
            ),
            slot,
        )
        step = self._begin("sign-in")
        self.trace.append(f"separate_sign_in {person} via {provider}#{slot} email {email!a}")
        record = self._sign_in(step, person, provider, slot, email, "false", 0)
        self._finish(step)
        made = None if record is None else record.result.username
        user = next(
            (u for u in self._separate_users(lambda owner: owner == person) if u.username == made),
            None,
        )
        if user is None or record is None or made not in record.created:
            self.stats.steps["skipped:separate-sign-in-made-no-separate-user"] += 1
            return None
        return user

    @rule(
        account=st.integers(0, 50),
        fresh=st.sampled_from((True, True, True, False)),
        shares=st.sampled_from(SEPARATE_EMAILS),
        pick=st.integers(0, 50),
        slot=slots,
        variant=variants,
    )
    def confirmed_link(
        self,
        account: int,
        fresh: bool,
        shares: str,
        pick: int,
        slot: int,
        variant: str,
    ) -> None:
        """A person links her own separate user to her account, sending both tokens: mostly
        one she makes right before through a `separate_user` provider sharing her account's
        address (SEPARATE_EMAILS), else one she already has."""
        assert self.sim is not None
        accounts = self._accounts(lambda owner: owner is not None, account)
        if not accounts:
            self.stats.steps["skipped:no-account-to-link-to"] += 1
            return
        destination = accounts[0]
        person = self.owners[destination.username]
        if fresh:
            own = [
                m for m in PLAIN_OWN[person] if ascii_fold(m) != ascii_fold(destination.email or "")
            ]
            email = {
                "account": self._written(destination.email, variant) if destination.email else None,
                "other": self._written(own[pick % len(own)], variant) if own else None,
                "none": None,
            }[shares]
            federated = self._separate_sign_in(person, pick, slot, email)
            if federated is None:
                return
        else:
            separate = self._separate_users(lambda owner: owner == person)
            if not separate:
                self.stats.steps["skipped:no-separate-user"] += 1
                return
            federated = separate[pick % len(separate)]
        step = self._begin("confirmed link")
        bearer = self._account_token(step, destination.username, person)
        if bearer is None:
            self.stats.steps["skipped:no-session-to-link-with"] += 1
            self._finish(step)
            return
        token = str(self.sim.access_token(federated.username))
        (identity,) = federated.linked
        record = EndpointRecord(person, "POST /link", "honest", identity)
        record.account, record.federated = destination.username, federated.username
        step.requests.append(record)
        self.trace.append(
            f"confirmed_link {person}: {federated.username!a} {identity!a} "
            f"email {federated.email!a} -> {destination.username!a} email {destination.email!a}"
        )
        self._endpoint(record, bearer, {"federated_access_token": token})
        if record.status == 200:
            self.spent_tokens.append(token)
        self._finish(step)

    @rule(
        attack=st.sampled_from(LINK_ATTACKS),
        index=st.integers(0, 50),
        ago=st.sampled_from(STALE_SIGN_INS),
        slot=slots,
    )
    def attacker_link(self, attack: str, index: int, ago: int, slot: int) -> None:
        """The attacker tries POST /link holding one side only (LINK_ATTACKS)."""
        assert self.sim is not None and self.pool_id is not None
        if attack == "stale-bearer":
            self._stale_bearer_link(index, ago, slot)
            return
        step = self._begin("confirmed link attack")
        theirs = self._separate_users(lambda owner: owner not in (None, ATTACKER))
        identity: tuple[str, str] | None = None
        bearer: str | None = None
        token: str | None = None
        if attack == "forged-bearer":
            mine = self._separate_users(lambda owner: owner == ATTACKER)
            victims = [
                u
                for u in self.double.users(self.pool_id)
                if not u.is_federated and self.owners.get(u.username) not in (None, ATTACKER)
            ]
            if mine and victims:
                (identity,) = mine[index % len(mine)].linked
                bearer = self._forged(victims[index % len(victims)])
                token = str(self.sim.access_token(mine[index % len(mine)].username))
        else:
            accounts = self._accounts(lambda owner: owner == ATTACKER, index)
            if accounts:
                bearer = self._account_token(step, accounts[0].username, ATTACKER)
            if attack == "replay" and self.spent_tokens:
                token = self.spent_tokens[index % len(self.spent_tokens)]
            elif attack in ("forged-federated", "other-pool") and theirs:
                victim = theirs[index % len(theirs)]
                (identity,) = victim.linked
                forged = attack == "forged-federated"
                token = self._forged(victim) if forged else self._other_pool_token(victim)
        if bearer is None or token is None:
            self.stats.steps[f"skipped:attack-{attack}-not-playable"] += 1
            self._finish(step)
            return
        record = EndpointRecord(ATTACKER, "POST /link", attack, identity)
        step.requests.append(record)
        self.trace.append(f"attacker_link {attack} {identity!a}")
        self._endpoint(record, bearer, {"federated_access_token": token})
        self._finish(step)

    def _stale_bearer_link(self, index: int, ago: int, slot: int) -> None:
        """The attacker holds a genuine token of a victim's session that signed in `ago`
        seconds ago, and makes a fresh separate user of her own asserting the victim's
        address: only the bearer's old sign-in is wrong, and the link must be refused."""
        assert self.sim is not None and self.pool_id is not None
        # Her session signed in once (a session, or a password of hers): long ago.
        victims = self._accounts(lambda owner: owner not in (None, ATTACKER), index)
        if not victims:
            self.stats.steps["skipped:attack-stale-bearer-not-playable"] += 1
            return
        victim = victims[0]
        mine = self._separate_sign_in(ATTACKER, index, slot, victim.email)
        if mine is None:
            return
        step = self._begin("confirmed link attack")
        (identity,) = mine.linked
        record = EndpointRecord(ATTACKER, "POST /link", "stale-bearer", identity)
        record.account, record.federated = victim.username, mine.username
        step.requests.append(record)
        self.trace.append(
            f"attacker_link stale-bearer ({ago} s) {identity!a} -> {victim.username!a}"
        )
        bearer = self._session_token(victim.username, signed_in_ago=ago)
        self._endpoint(
            record, bearer, {"federated_access_token": str(self.sim.access_token(mine.username))}
        )
        self._finish(step)

    @rule(index=st.integers(0, 50), pick=st.integers(0, 5))
    def confirmed_unlink(self, index: int, pick: int) -> None:
        """A person removes one identity from her own account (never the last one)."""
        assert self.pool_id is not None
        held = sorted(
            (u.username, p, s)
            for u in self.double.users(self.pool_id)
            if not u.is_federated and self.owners.get(u.username) is not None
            for p, s in u.linked
        )
        if not held:
            self.stats.steps["skipped:no-linked-identity"] += 1
            return
        username, provider, subject = held[index % len(held)]
        person = self.owners[username]
        assert self.sim is not None
        if username not in set(self.sim.session_usernames()):
            self.stats.steps["skipped:no-session-to-unlink-with"] += 1
            return
        step = self._begin("confirmed unlink")
        record = EndpointRecord(person, "POST /unlink", "honest", None)
        step.requests.append(record)
        self.trace.append(f"confirmed_unlink {person}: {username!a} {(provider, subject)!a}")
        body = {"provider": provider, **({"subject": subject} if pick else {})}
        self._endpoint(record, str(self.sim.access_token(username)), body)
        self._finish(step)

    def _forged(self, user: UserView) -> str:
        """An access token naming `user` with claims as Cognito writes them, signed by
        nobody: what someone without the user's token can make."""
        assert self.sim is not None
        pool = self.sim.pool
        claims = {
            "sub": user.sub,
            "username": user.username,
            "client_id": self.sim.client_id,
            "iss": f"https://cognito-idp.{pool.region}.amazonaws.com/{pool.id}",
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "exp": int(time.time()) + 3600,
        }

        def part(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

        return f"{part({'alg': 'RS256', 'kid': 'forged'})}.{part(claims)}.Zm9yZ2Vk"

    def _other_pool_token(self, victim: UserView) -> str:
        """A token of another pool (the attacker's), whose user is named as `victim` is here."""
        if self.other_pool is None:
            pool_id = self.double.create_pool(
                f"elsewhere{self.stats.examples}", case_sensitive=True, username_attributes=None
            )
            self.other_pool = (pool_id, FederatedSignInSimulator(self.double, pool_id))
        other = self.other_pool[1]
        if other.pool._get_user(victim.username) is None:
            other.native_sign_up("attacker@elsewhere.example", username=victim.username)
        result = other.password_sign_in(victim.username)
        assert result.username is not None, result.message
        return str(other.access_token(result.username))


def password_of(person: str) -> str:
    """Each person's own password: a password sign-in by one never opens another's account."""
    return f"Pw-{person}-9-Secret"


def _provider_type(name: str) -> str:
    from .world import PROVIDER_TYPES

    return PROVIDER_TYPES[name]


def _source(event: Any) -> str:
    return str(event.get("triggerSource")) if isinstance(event, dict) else "?"


def _event_verified(setup: ProviderSetup, claims: dict[str, str]) -> str | None:
    """The email_verified the trigger sees: mapped (from the claim the IdP's mapping names),
    or "false" where email is mapped alone or the claim is missing."""
    claim = setup.mapping.get("email_verified")
    if "email" not in claims:
        return claims.get(claim) if claim else None
    if claim and claim in claims:
        return claims[claim]
    return "false"  # FACTS §4


def _verified_override(answer: Any) -> tuple[bool, Any]:
    response = (answer or {}).get("response") if isinstance(answer, dict) else None
    if not isinstance(response, dict):
        return False, None
    for details_key, inner in (
        ("claimsOverrideDetails", None),
        ("claimsAndScopeOverrideDetails", "idTokenGeneration"),
    ):
        details = response.get(details_key)
        if not isinstance(details, dict):
            continue
        if inner is not None:
            details = details.get(inner)
            if not isinstance(details, dict):
                continue
        claims = details.get("claimsToAddOrOverride") or {}
        if "email_verified" in claims:
            return True, claims["email_verified"]
    return False, None


def _slot_of(provider: str, person: str, subject: str) -> int:
    return next(s for s in range(SLOTS) if subject_of(provider, person, s) == subject)
