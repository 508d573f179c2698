"""The sign-in flows measured, played against a `World`: AWS calls and handler time.

Flows (each also with a Cognito retry):
- returning federated sign-in: the identity is already linked, so Cognito skips pre sign-up
  and runs pre token generation only (FACTS §2);
- first link of an existing user: a native user with a verified email signs in through an
  IdP for the first time;
- first sign-in of a new user: nobody has the email yet;
- native sign-in (email and password): only pre token generation runs; measured for a native
  user without linked identities and for one with a linked Google identity, because the seed
  design writes on every sign-in of a user with external identities.

Federated flows run through two IdPs of the planned example: one that sends
`email_verified` and one that does not, since Cognito resets a stored `email_verified` on
every sign-in through the latter (FACTS §4). A third IdP is the latter configured as
FACTS §4 advises: a copy of it whose directory sends an attribute that is always "true",
mapped to `email_verified`.

A retry is Cognito invoking the flow's first trigger again after a timeout, the first
answer lost and its effects kept (FACTS §2): pre sign-up where the flow runs it, otherwise
pre token generation.

Subjects are lower-case so that the seed design's lower-cased subject (FACTS §3) links the
same identity as the project's; the comparison is about cost, and every flow checks that
the sign-in landed on the one user of its email.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import statistics
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.sign_in_world import DESIGNS, Handler, World, world
from cogfed_tools.example_plan import PlannedFederation

EMAIL_DOMAIN = "example.com"  # inside the example's SAML email_domains
# Values an IdP sends for the profile attributes the example maps.
CLAIM_VALUES = {
    "email_verified": "true",
    "given_name": "Ada",
    "family_name": "Bench",
    "name": "Ada Bench",
}
_SUBJECTS = uuid.UUID("6f1d7a0e-3c52-4b8e-9a41-5d2c8e7f0b13")


@dataclass(frozen=True)
class Flow:
    key: str
    label: str
    kind: str  # returning, first_link, new_user, native_unlinked, native_linked
    provider: str | None  # the IdP signed in through; None for a native sign-in
    retry: bool = False


@dataclass
class Observation:
    """One measured sign-in."""

    cognito: Counter[str]
    dynamodb: Counter[str]
    outcome: str  # "signed in" or "refused: <message>"
    one_user: bool  # landed on the one user of its email, no duplicate created
    seconds: float  # time inside trigger handlers, all invocations of the sign-in

    @property
    def cognito_total(self) -> int:
        return sum(self.cognito.values())

    @property
    def dynamodb_total(self) -> int:
        return sum(self.dynamodb.values())


@dataclass
class FlowResult:
    flow: Flow
    design: str
    first: Observation  # the counted run
    warm_seconds: list[float] = field(default_factory=list)
    stable: bool = True  # every repetition made the same calls as the first

    @property
    def warm_median(self) -> float | None:
        return statistics.median(self.warm_seconds) if self.warm_seconds else None


def providers(federation: PlannedFederation) -> tuple[str, str | None]:
    """(an IdP that maps email_verified, one that does not), from the planned example."""
    planned = {n: i for n, i in federation.identity_providers.items() if COPY_OF not in i}
    sends = [n for n, i in planned.items() if _maps_verified(i)]
    lacks = [n for n, i in planned.items() if not _maps_verified(i)]
    if not sends:
        raise ValueError("the example has no identity provider that maps email_verified")
    return sends[0], (lacks[0] if lacks else None)


def _maps_verified(idp: dict[str, Any]) -> bool:
    return "email_verified" in idp["attribute_mapping"]


CONFIGURED_SUFFIX = "Verified"  # ProviderName of the configured copy: <name>Verified
ALWAYS_TRUE_CLAIM = "email_verified_always_true"  # the attribute the directory would send
COPY_OF = "bench_copy_of"  # marks the copy in the federation's identity_providers


def with_configured_directory(federation: PlannedFederation) -> PlannedFederation:
    """The plan plus a copy of its IdP without `email_verified`, configured to send it.

    The copy has the same type, mapping and trigger settings, and maps an attribute that is
    always "true" to `email_verified` (FACTS §4), as the module's `identity_providers` input
    accepts.
    """
    _, unverified = providers(federation)
    if unverified is None:
        return federation
    name = unverified + CONFIGURED_SUFFIX
    idp = copy.deepcopy(federation.identity_providers[unverified])
    idp["attribute_mapping"]["email_verified"] = ALWAYS_TRUE_CLAIM
    idp[COPY_OF] = unverified
    environment = dict(federation.trigger_environment)
    settings = json.loads(environment["IDENTITY_PROVIDERS"])
    settings[name] = settings[unverified]
    environment["IDENTITY_PROVIDERS"] = json.dumps(settings)
    return dataclasses.replace(
        federation,
        identity_providers={**federation.identity_providers, name: idp},
        trigger_environment=environment,
    )


def configured_provider(federation: PlannedFederation) -> str | None:
    """The copy `with_configured_directory` added, if any (it is not in the example)."""
    return next((n for n, i in federation.identity_providers.items() if COPY_OF in i), None)


def flows(federation: PlannedFederation) -> list[Flow]:
    verified, unverified = providers(federation)
    configured = configured_provider(federation)
    sends = f"{verified} (email_verified sent)"
    lacks = f"{unverified} (no email_verified)"
    fixed = f"{configured} (same, always-true email_verified mapped)"
    base: list[Flow] = []
    for kind in ("returning", "first_link", "new_user"):
        text = kind.replace("_", " ")
        base.append(Flow(f"{kind}_verified", f"{text}, {sends}", kind, verified))
        if unverified:
            base.append(Flow(f"{kind}_unverified", f"{text}, {lacks}", kind, unverified))
        if configured:
            base.append(Flow(f"{kind}_configured", f"{text}, {fixed}", kind, configured))
    base += [
        Flow("native_unlinked", "native, no linked identity", "native_unlinked", None),
        Flow("native_linked", f"native, linked {verified} identity", "native_linked", verified),
    ]
    retries = [
        Flow(f"{f.key}_retry", f"{f.label}, retried", f.kind, f.provider, retry=True) for f in base
    ]
    return [flow for pair in zip(base, retries, strict=True) for flow in pair]


# ------------------------------------------------------------------------------ playing


def _claims(federation: PlannedFederation, provider: str, email: str, subject: str) -> dict:
    """The IdP's claims for this sign-in, named as the example's attribute mapping names them.

    The subject copy gets the subject; other custom attributes (Google's hosted domain) get
    nothing: every flow signs in as a consumer account."""
    claims: dict[str, str] = {}
    settings = json.loads(federation.trigger_environment["IDENTITY_PROVIDERS"])[provider]
    for attribute, claim in federation.identity_providers[provider]["attribute_mapping"].items():
        if attribute == "email":
            claims[claim] = email
        elif attribute == settings.get("subject_attribute"):
            claims[claim] = subject  # the example maps the exact-case subject (FACTS §3)
        elif attribute in CLAIM_VALUES:
            claims[claim] = CLAIM_VALUES[attribute]
    return claims


def _subject(provider_type: str, key: str) -> str:
    digest = uuid.uuid5(_SUBJECTS, key)
    if provider_type in ("Google", "Facebook"):
        return str(digest.int)[:21]  # digits, like Google's `sub`
    return str(digest)  # lower-case, like a directory object ID written in lower case


def _invoked_twice(handler: Handler) -> Handler:
    """Cognito's retry after a timeout: the first answer is lost, its effects stay (FACTS §2)."""
    from cogfed_tools.cognito_double import LambdaContext

    def retried(event: dict[str, Any], context: Any) -> Any:
        handler(copy.deepcopy(event), context)
        return handler(event, LambdaContext(function_name="pre_token_retry"))

    return retried


def _native_sign_in(w: World, email: str) -> tuple[Counter[str], Counter[str], str]:
    """Email and password sign-in: Cognito runs only pre token generation (FACTS §5)."""
    user = next(u for u in w.double.users_with_email(w.pool_id, email) if not u.is_federated)
    attributes = {**user.attributes, "cognito:user_status": user.status}
    event = {
        "version": "2",
        "triggerSource": "TokenGeneration_Authentication",
        "region": w.double.region,
        "userPoolId": w.pool_id,
        "userName": user.username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": w.sim.client_id},
        "request": {
            "userAttributes": attributes,
            "groupConfiguration": {
                "groupsToOverride": [],
                "iamRolesToOverride": [],
                "preferredRole": None,
            },
            "scopes": ["openid", "email"],
        },
        "response": {"claimsAndScopeOverrideDetails": None},
    }
    call = w.sim.call_trigger(w.sim.pre_token, event)
    outcome = "signed in" if call.error is None else f"refused: {call.error}"
    return Counter(call.calls.cognito), Counter(call.calls.dynamodb), outcome


def play(w: World, federation: PlannedFederation, flow: Flow, index: int) -> Observation:
    """Set the flow up (not measured), then measure its sign-in."""
    email = f"{flow.key.replace('_', '-')}-{index}@{EMAIL_DOMAIN}"
    subject = ""
    claims: dict[str, str] = {}
    if flow.provider:
        provider_type = federation.identity_providers[flow.provider]["type"]
        subject = _subject(provider_type, f"{w.design}/{flow.key}/{index}")
        claims = _claims(federation, flow.provider, email, subject)

    # Setup: what happened before the measured sign-in.
    if flow.kind == "returning":
        _expect(w.sim.federated_sign_in(flow.provider, subject, claims).signed_in, flow, "setup")
    elif flow.kind in ("first_link", "native_unlinked", "native_linked"):
        w.sim.native_sign_up(email)
        _native_sign_in(w, email)  # an earlier sign-in: the seed design's profile exists
        if flow.kind == "native_linked":
            linked = w.sim.federated_sign_in(flow.provider, subject, claims)
            _expect(linked.signed_in, flow, "setup link")

    retried_token = flow.retry and flow.kind in ("returning", "native_unlinked", "native_linked")
    if retried_token:
        w.use_pre_token(_invoked_twice(w.pre_token))
    w.clock.elapsed = 0.0
    try:
        if flow.kind.startswith("native"):
            cognito, dynamodb, outcome = _native_sign_in(w, email)
            one_user = outcome == "signed in"
        else:
            timeouts = 1 if flow.retry and not retried_token else 0
            result = w.sim.federated_sign_in(
                flow.provider, subject, claims, simulated_timeouts=timeouts
            )
            cognito, dynamodb = Counter(result.cognito_calls), Counter(result.dynamodb_calls)
            outcome = "signed in" if result.signed_in else f"refused: {result.message}"
            one_user = (
                result.signed_in
                and not result.duplicate_user
                and not result.federated_user_created
                and len(w.double.users_with_email(w.pool_id, email)) == 1
            )
        seconds = w.clock.elapsed
    finally:
        if retried_token:
            w.use_pre_token(w.pre_token)
    return Observation(cognito, dynamodb, outcome, one_user, seconds)


def _expect(condition: bool, flow: Flow, step: str) -> None:
    if not condition:
        raise RuntimeError(f"{flow.key}: the {step} sign-in failed; the flow cannot be measured")


def measure(
    federation: PlannedFederation, repeats: int = 0, designs: tuple[str, ...] = DESIGNS
) -> list[FlowResult]:
    """Every flow for every design: calls of the first run, handler time of `repeats` more.

    The first run of a flow also warms the handlers' clients; only later runs are timed.
    """
    results: list[FlowResult] = []
    for design in designs:
        with world(federation, design) as w:
            for flow in flows(federation):
                first = play(w, federation, flow, 0)
                result = FlowResult(flow, design, first)
                for index in range(1, repeats + 1):
                    observation = play(w, federation, flow, index)
                    result.warm_seconds.append(observation.seconds)
                    if (observation.cognito, observation.dynamodb) != (
                        first.cognito,
                        first.dynamodb,
                    ):
                        result.stable = False
                results.append(result)
    return results
