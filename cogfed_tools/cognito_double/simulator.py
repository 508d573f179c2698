"""`FederatedSignInSimulator`: Cognito's side of a sign-in, around the real triggers.

moto never runs triggers or federated sign-ins (FACTS §9), so this plays Cognito's part:
it builds the trigger events as Cognito does, invokes the triggers from `lambda_src/` (or
any handler, such as the seed's naive one), decides which user the tokens are for, and
reports the AWS calls the triggers made. Each imitated rule cites its FACTS.md heading.

Besides federated sign-ins it plays what a signed-in user does next: password sign-ins,
token refreshes (each runs pre token generation, FACTS §20) and the user's own attribute
changes and verifications, sent through boto3 with the user's access token as an app would.
"""

from __future__ import annotations

import copy
import io
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPoolAttribute

from . import backend
from .api_calls import ApiCalls, counting
from .double import CognitoDouble, UserView, environment, view
from .facts import HOSTED_DOMAIN, SENDS_EMAIL_VERIFIED, email_verified_claim

Handler = Callable[[dict[str, Any], Any], Any]

TRIGGER_TIMEOUT_S = 5.0  # Cognito waits 5 seconds for a trigger (FACTS §2)
TRIGGER_ATTEMPTS = 3  # ... and gives up after three attempts (FACTS §2)
MAX_MAPPED_LENGTH = 2048  # FACTS §4
# The subject is mapped into the username, so the mapped-value limit of FACTS §4 is taken to
# bound it too (unconfirmed: no AWS page states a subject limit).
MAX_SUBJECT_LENGTH = MAX_MAPPED_LENGTH
DEFAULT_PASSWORD = "Correct-Horse-9-Battery"
DELETED_IDENTITY_LOCKOUT_S = 3600.0  # docs/live-pools.md (amplify-js #11543, #6172)
# Claims a pre token generation trigger cannot override (FACTS §5).
PROTECTED_CLAIMS = frozenset({"sub", "cognito:username", "identities"})


class LambdaContext:
    """The part of the Lambda context object the triggers use."""

    def __init__(self, timeout_s: float = TRIGGER_TIMEOUT_S, function_name: str = "trigger"):
        self._end = time.monotonic() + timeout_s
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._end - time.monotonic()) * 1000))


@dataclass
class TriggerCall:
    """One direct trigger invocation: its answer or exception, calls and log lines."""

    result: Any
    error: Exception | None
    calls: ApiCalls
    decisions: list[dict[str, Any]]

    @property
    def cognito_calls(self) -> Counter[str]:
        return self.calls.cognito


@dataclass
class SignInResult:
    outcome: str  # "signed_in" or "refused"
    message: str | None
    username: str | None  # the user the tokens are for (cognito:username)
    sub: str | None
    claims: dict[str, Any]
    cognito_calls: Counter[str]
    dynamodb_calls: Counter[str]
    duplicate_user: bool  # this sign-in added a second user with the same email
    federated_user_created: bool  # Cognito created its own EXTERNAL_PROVIDER user
    pre_signup_attempts: int
    decisions: list[dict[str, Any]] = field(default_factory=list)
    # Trigger invocations by triggerSource, including Cognito's re-entries (FACTS §2).
    trigger_invocations: Counter[str] = field(default_factory=Counter)

    @property
    def signed_in(self) -> bool:
        return self.outcome == "signed_in"

    @property
    def total_cognito_calls(self) -> int:
        return sum(self.cognito_calls.values())


class _Refused(Exception):
    """Cognito stops the sign-in with this message."""


@dataclass
class _Session:
    """A signed-in user's tokens in moto's pool, minted when first needed."""

    refresh_token: str | None = None
    access_token: str | None = None


class FederatedSignInSimulator:
    """Sign-ins against one pool of a `CognitoDouble`, with the configured triggers."""

    def __init__(
        self,
        double: CognitoDouble,
        pool_id: str,
        *,
        pre_signup: Handler | None = None,
        pre_token: Handler | None = None,
        token_version: str = "V2_0",
        endpoint_url: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        import pre_signup as pre_signup_module
        import pre_token_generation

        self.double = double
        self.pool_id = pool_id
        self.pre_signup: Handler = pre_signup or pre_signup_module.handler
        self.pre_token: Handler | None = (
            pre_token if pre_token is not None else pre_token_generation.handler
        )
        if token_version not in ("V1_0", "V2_0"):
            raise ValueError("token_version must be V1_0 or V2_0")
        self.token_version = token_version
        self.endpoint_url = endpoint_url
        self.environment_overrides: dict[str, str] = dict(environment or {})
        self.providers: dict[str, dict[str, Any]] = {}
        self.identity_providers_override: str | None = None
        self.client_id = double.backend.create_user_pool_client(
            pool_id, False, {"ClientName": "app"}
        ).id
        self._native_count = 0
        self._invocations: list[Counter[str]] = []
        self._sessions: dict[str, _Session] = {}
        self._user_client: Any = None
        double.set_pre_signup_trigger(pool_id, self._pre_signup_from_cognito)

    # ------------------------------------------------------------------ configuration

    @property
    def pool(self) -> Any:
        return self.double.pool(self.pool_id)

    @property
    def case_sensitive(self) -> bool:
        return backend.is_case_sensitive(self.pool)

    def add_identity_provider(
        self,
        name: str,
        provider_type: str,
        *,
        attribute_mapping: Mapping[str, str] | None = None,
        link_by_email: bool = True,
        email_trust: str = "verified_claim",
        email_domains: list[str] | None = None,
        subject_attribute: str | None = None,
        map_subject: bool = True,
        configure: bool = True,
        oidc_issuer: str | None = None,
        untrusted_sign_in: str | None = None,
    ) -> None:
        """Create the IdP in the pool and (unless `configure=False`) in IDENTITY_PROVIDERS.

        The default mapping is the module's, from the facts table: `email`; `email_verified`
        for IdPs that send it, from the claim its issuer uses (`xms_edov` for an OIDC
        `oidc_issuer` on Microsoft Entra ID); the hosted-domain claim (Google's `hd`) into
        its custom attribute where the pool declares that attribute (FACTS §8, §20); and the
        subject into `subject_attribute` when one is given and `map_subject` is true.
        """
        mapping = dict(attribute_mapping or {"email": "email"})
        if attribute_mapping is None:
            mapping.update(self._default_claims(provider_type, oidc_issuer))
        if attribute_mapping is None and subject_attribute and map_subject:
            mapping[subject_attribute] = "sub"
        mapping.setdefault("username", "sub")
        details = {"oidc_issuer": oidc_issuer} if oidc_issuer else None
        self.double.add_identity_provider(self.pool_id, name, provider_type, mapping, details)
        if configure:
            self.providers[name] = {
                "type": provider_type,
                "link_by_email": link_by_email,
                "email_trust": email_trust,
                "email_domains": email_domains,
                "subject_attribute": subject_attribute,
            }
            if untrusted_sign_in is not None:
                self.providers[name]["untrusted_sign_in"] = untrusted_sign_in

    def _default_claims(self, provider_type: str, oidc_issuer: str | None) -> dict[str, str]:
        """Attribute <- claim pairs the module maps beyond `email` (cognito_facts.json)."""
        mapped: dict[str, str] = {}
        if provider_type in SENDS_EMAIL_VERIFIED:
            issuer_claim = email_verified_claim(oidc_issuer) if provider_type == "OIDC" else None
            mapped["email_verified"] = issuer_claim or "email_verified"
        hosted = HOSTED_DOMAIN.get(provider_type)
        if hosted is not None and hosted["attribute"] in self.pool.schema_attributes:
            mapped[hosted["attribute"]] = hosted["claim"]
        return mapped

    @property
    def identity_providers_json(self) -> str:
        if self.identity_providers_override is not None:
            return self.identity_providers_override
        return json.dumps(self.providers)

    def trigger_environment(self) -> dict[str, str]:
        env = {
            "IDENTITY_PROVIDERS": self.identity_providers_json,
            "USERNAME_CASE_SENSITIVE": "true" if self.case_sensitive else "false",
            "AWS_REGION": self.double.region,
            "AWS_DEFAULT_REGION": self.double.region,
        }
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        env.update(self.environment_overrides)
        return env

    @contextmanager
    def environment(self) -> Iterator[None]:
        """The Lambda environment the module would set, for the duration of a block."""
        with environment(self.trigger_environment()):
            yield

    # ------------------------------------------------------------------ native users

    def native_sign_up(
        self,
        email: str,
        password: str = DEFAULT_PASSWORD,
        *,
        confirm: bool = True,
        verify_email: bool = True,
        username: str | None = None,
    ) -> UserView:
        """Self sign-up through SignUp (pre sign-up runs as PreSignUp_SignUp, FACTS §2)."""
        pool = self.pool
        if "email" in (pool.extended_config.get("UsernameAttributes") or []):
            username = email
        elif username is None:
            self._native_count += 1
            username = f"member{self._native_count}"
        with redirect_stdout(io.StringIO()):
            user, _ = self.double.backend.sign_up(
                self.client_id, username, password, [{"Name": "email", "Value": email}]
            )
        if confirm:
            self.double.backend.admin_confirm_sign_up(self.pool_id, user.username)
        if verify_email:
            user.update_attributes([{"Name": "email_verified", "Value": "true"}])
        return view(user)

    def admin_create_user(
        self, email: str, *, username: str | None = None, verify_email: bool = True
    ) -> UserView:
        """An administrator's AdminCreateUser: FORCE_CHANGE_PASSWORD until a password is set."""
        attributes = [{"Name": "email", "Value": email}]
        if verify_email:
            attributes.append({"Name": "email_verified", "Value": "true"})
        with redirect_stdout(io.StringIO()):
            user = self.double.backend.admin_create_user(
                self.pool_id, username or email, "SUPPRESS", None, attributes
            )
        return view(user)

    # ------------------------------------------------------------------ triggers

    def _note_invocation(self, event: dict[str, Any]) -> None:
        if self._invocations:
            self._invocations[-1][str(event.get("triggerSource"))] += 1

    def _pre_signup_from_cognito(self, event: dict[str, Any]) -> Any:
        # Cognito invoking pre sign-up from SignUp / AdminCreateUser (FACTS §2).
        self._note_invocation(event)
        with self.environment():
            return self.pre_signup(event, LambdaContext(function_name="pre_signup"))

    def call_trigger(self, handler: Handler, event: Any, context: Any = None) -> TriggerCall:
        """Invoke a handler directly, in the module's environment, counting its AWS calls."""
        buffer = io.StringIO()
        error: Exception | None = None
        result: Any = None
        with self.environment(), counting() as calls, redirect_stdout(buffer):
            try:
                result = handler(event, context if context is not None else LambdaContext())
            except Exception as exc:
                error = exc
        return TriggerCall(result, error, calls, _parse_lines(buffer.getvalue()))

    # ------------------------------------------------------------------ sign-in

    def federated_sign_in(
        self,
        provider_name: str,
        subject: str,
        attributes: Mapping[str, str] | None = None,
        *,
        simulated_timeouts: int = 0,
    ) -> SignInResult:
        """Sign in through IdP `provider_name` as `subject` with these IdP claims.

        `attributes` are the IdP's claims (e.g. email, email_verified); they reach the pool
        through the IdP's attribute mapping. A claim whose value is None is one the IdP did
        not send. `simulated_timeouts` makes Cognito treat that many pre sign-up attempts as
        timed out: their effects stay, their answers are lost, and Cognito invokes the
        trigger again (FACTS §2). An empty subject, or one longer than 2,048 characters, is
        refused before any trigger runs (FACTS §4; the subject limit is unconfirmed).
        """
        pool = self.pool
        idp = pool.identity_providers.get(provider_name)
        if idp is None:
            raise ValueError(f"no identity provider {provider_name!r} in the pool")
        sent = {k: v for k, v in (attributes or {}).items() if v is not None}
        claims = {"sub": subject, **sent}
        return self._play(
            lambda state: self._sign_in(
                pool, idp, provider_name, subject, claims, simulated_timeouts, state
            ),
            claims.get("email"),
        )

    def password_sign_in(
        self, login: str, password: str = DEFAULT_PASSWORD, *, hosted_ui: bool = True
    ) -> SignInResult:
        """A native user signs in with a password: `login` is the username or a sign-in
        attribute (email where the pool signs in by it; FACTS §6 for aliases).

        Through the hosted UI (managed login) pre token generation runs with
        TokenGeneration_HostedAuth, through InitiateAuth with TokenGeneration_Authentication
        (FACTS §20). An unconfirmed user, or one that must set a new password
        (FORCE_CHANGE_PASSWORD: a challenge, not tokens), gets no tokens.
        """
        pool = self.pool
        source = "TokenGeneration_HostedAuth" if hosted_ui else "TokenGeneration_Authentication"

        def flow(state: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            user = pool._get_user(login)
            if user is None or _status(user) == backend.FEDERATED_STATUS:
                raise _Refused("Incorrect username or password.")
            if user.password != password:
                raise _Refused("Incorrect username or password.")
            if not user.enabled:
                raise _Refused("User is disabled.")
            if _status(user) == "UNCONFIRMED":
                raise _Refused("User is not confirmed.")
            if _status(user) != "CONFIRMED":
                raise _Refused(f"NEW_PASSWORD_REQUIRED: the user is {_status(user)}.")
            return user, self._issue_tokens(pool, user, source)

        return self._play(flow, None)

    def refresh_tokens(self, username: str) -> SignInResult:
        """The user's app refreshes its tokens: pre token generation runs with
        TokenGeneration_RefreshTokens and the attributes as stored now (FACTS §20).

        Needs a session from an earlier sign-in of this user through the simulator.
        """
        pool = self.pool

        def flow(state: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            user = self._session_user(pool, username)
            if user is None:
                raise _Refused("Invalid Refresh Token")
            token = self._sessions[user.username].refresh_token
            if token is not None and pool.refresh_tokens.get(token) is None:
                raise _Refused("Refresh Token has been revoked")  # a global sign-out
            if not user.enabled:
                raise _Refused("User is disabled.")
            return user, self._issue_tokens(pool, user, "TokenGeneration_RefreshTokens")

        return self._play(flow, None, new_session=False)

    def _play(
        self,
        flow: Callable[[dict[str, Any]], tuple[Any, dict[str, Any]]],
        email: str | None,
        *,
        new_session: bool = True,
    ) -> SignInResult:
        """Run one token-issuing flow, recording its calls, trigger invocations and outcome;
        a sign-in starts a new session (for refreshes and the user's own API calls)."""
        buffer = io.StringIO()
        state = {"attempts": 0, "federated_created": False}
        invocations: Counter[str] = Counter()
        self._invocations.append(invocations)
        try:
            with counting() as calls, redirect_stdout(buffer):
                email_before = self._email_count(email)
                try:
                    user, token_claims = flow(state)
                    outcome, message = "signed_in", None
                except _Refused as refusal:
                    user, token_claims, outcome, message = None, {}, "refused", str(refusal)
                email_after = self._email_count(email)
        finally:
            # By identity: a racing (nested) sign-in's counter may equal this one.
            for index in range(len(self._invocations) - 1, -1, -1):
                if self._invocations[index] is invocations:
                    del self._invocations[index]
                    break
        if user is not None and new_session:
            self._sessions[user.username] = _Session()
        return SignInResult(
            outcome=outcome,
            message=message,
            username=user.username if user is not None else None,
            sub=user.attribute_lookup.get("sub") if user is not None else None,
            claims=token_claims,
            cognito_calls=calls.cognito,
            dynamodb_calls=calls.dynamodb,
            duplicate_user=email_after > 1 and email_after > email_before,
            federated_user_created=bool(state["federated_created"]),
            pre_signup_attempts=int(state["attempts"]),
            decisions=_parse_lines(buffer.getvalue()),
            trigger_invocations=invocations,
        )

    def _sign_in(
        self,
        pool: Any,
        idp: Any,
        provider_name: str,
        subject: str,
        claims: dict[str, str],
        simulated_timeouts: int,
        state: dict[str, Any],
    ) -> tuple[Any, dict[str, Any]]:
        if not subject:
            raise _Refused("The identity provider sent no subject.")
        if len(subject) > MAX_SUBJECT_LENGTH:
            # FACTS §4 limits mapped values; the subject is mapped into the username
            # (unconfirmed: the limit for the subject itself).
            raise _Refused(f"The subject exceeds {MAX_SUBJECT_LENGTH} characters.")
        freed = backend.STATE.deleted_identities.get((pool.id, provider_name, subject))
        if freed is not None and time.time() - freed < DELETED_IDENTITY_LOCKOUT_S:
            # Reported, not documented: a sign-in through an identity whose federated user
            # was deleted fails for about an hour (docs/live-pools.md).
            raise _Refused("invalid_grant: the identity's user was deleted less than an hour ago")
        mapped = self._map_attributes(pool, idp, claims)
        user = self._linked_user(pool, provider_name, subject)
        if user is None:
            event = self._pre_signup_event(pool, provider_name, subject, mapped)
            self._run_pre_signup(event, simulated_timeouts, state)
            # A link made by the trigger is found by the exact subject (FACTS §1, §3).
            user = self._linked_user(pool, provider_name, subject)
            if user is None:
                user = self._create_federated_user(pool, idp, provider_name, subject, mapped)
                state["federated_created"] = True
        if not user.enabled:
            raise _Refused("User is disabled.")
        # Every mapped attribute is rewritten on every sign-in, and mapping email without
        # email_verified stores email_verified "false", on a linked native user too (FACTS §4).
        user.update_attributes([{"Name": k, "Value": v} for k, v in _stored(mapped).items()])
        return user, self._issue_tokens(pool, user, "TokenGeneration_HostedAuth")

    def _map_attributes(self, pool: Any, idp: Any, claims: dict[str, str]) -> dict[str, str]:
        """Apply the IdP's attribute mapping; refuse what the pool's schema does not allow."""
        mapped = mapped_claims(idp.extended_config.get("AttributeMapping", {}), claims)
        schema = pool.schema_attributes
        for attr, value in mapped.items():
            if attr.startswith("custom:") and attr not in schema:
                # A mapped custom attribute must be declared (FACTS §4).
                raise _Refused(f"Type for attribute {{{attr}}} could not be determined")
            spec = schema.get(attr)
            if spec is None and attr not in CognitoIdpUserPoolAttribute.STANDARD_SCHEMA:
                raise _Refused(f"Invalid attribute {attr} in the attribute mapping")
            mutable = (
                spec.mutable
                if spec is not None
                else CognitoIdpUserPoolAttribute.STANDARD_SCHEMA[attr]["Mutable"]
            )
            if not mutable:
                # Mapped attributes must be mutable (FACTS §4).
                raise _Refused(f"Attribute {attr} is immutable and cannot be mapped")
            if len(value) > MAX_MAPPED_LENGTH:
                raise _Refused(f"Attribute {attr} exceeds {MAX_MAPPED_LENGTH} characters")
        for attr, spec in schema.items():
            # Required pool attributes must be mapped by every IdP (FACTS §4).
            if spec.required and attr != "sub" and attr not in mapped:
                raise _Refused(f"Required attribute {attr} is not mapped")
        return mapped

    def _linked_user(self, pool: Any, provider_name: str, subject: str) -> Any:
        # Existing users and links are matched by the exact subject whatever the pool's case
        # setting (FACTS §3).
        for user in pool.users.values():
            if backend.holds_identity(user, provider_name, subject):
                return user
        return None

    def pre_signup_event(
        self, provider_name: str, subject: str, claims: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The PreSignUp_ExternalProvider event Cognito would send for this first sign-in.

        Built for any subject, even one `federated_sign_in` refuses (empty, too long), so
        that tests can send malformed events to the trigger directly. A None claim is one the
        IdP did not send.
        """
        pool = self.pool
        idp = pool.identity_providers[provider_name]
        sent = {k: v for k, v in (claims or {}).items() if v is not None}
        mapped = self._map_attributes(pool, idp, {"sub": subject, **sent})
        return self._pre_signup_event(pool, provider_name, subject, mapped)

    def _pre_signup_event(
        self, pool: Any, provider_name: str, subject: str, mapped: dict[str, str]
    ) -> dict[str, Any]:
        return external_provider_event(
            region=pool.region,
            pool_id=pool.id,
            client_id=self.client_id,
            provider_name=provider_name,
            subject=subject,
            mapped=mapped,
            case_sensitive=self.case_sensitive,
        )

    def _run_pre_signup(
        self, event: dict[str, Any], simulated_timeouts: int, state: dict[str, Any]
    ) -> None:
        """Invoke pre sign-up, retrying after a timeout, three attempts at most (FACTS §2)."""
        for attempt in range(TRIGGER_ATTEMPTS):
            state["attempts"] += 1
            self._note_invocation(event)
            started = time.monotonic()
            try:
                with self.environment():
                    self.pre_signup(copy.deepcopy(event), LambdaContext(function_name="pre_signup"))
            except Exception as exc:
                # The user sees the message in the callback URL (FACTS §2).
                raise _Refused(f"PreSignUp failed with error {exc}") from exc
            timed_out = attempt < simulated_timeouts
            if time.monotonic() - started <= TRIGGER_TIMEOUT_S and not timed_out:
                return
        raise _Refused("PreSignUp invocation failed due to error TimeoutError.")

    def _create_federated_user(
        self, pool: Any, idp: Any, provider_name: str, subject: str, mapped: dict[str, str]
    ) -> Any:
        """No link matched: Cognito creates its own user for the identity (FACTS §1, §3).

        It never overwrites: a user already named so (compared as the pool compares
        usernames, FACTS §3) that does not hold this exact identity fails the sign-in.
        """
        username = f"{provider_name}_{subject}"
        if not self.case_sensitive:
            username = username.lower()
        existing = backend.user_named(pool, username)
        if existing is not None:
            if backend.holds_identity(existing, provider_name, subject):
                return existing
            # (unconfirmed) The message FACTS §1 quotes for the historic failure of linking
            # in pre sign-up; what Cognito answers here is not documented.
            raise _Refused(f"Already found an entry for username {username}")
        identity = {
            "userId": subject,
            "providerName": provider_name,
            "providerType": idp.extended_config.get("ProviderType"),
            "issuer": None,
            "primary": True,
            "dateCreated": int(time.time() * 1000),
        }
        attributes = {**_stored(mapped), "identities": json.dumps([identity])}
        user = CognitoIdpUser(
            pool.id,
            username,
            None,
            backend.FEDERATED_STATUS,
            [{"Name": k, "Value": v} for k, v in attributes.items()],
        )
        pool.users[user.username] = user
        return user

    def _issue_tokens(self, pool: Any, user: Any, source: str) -> dict[str, Any]:
        """ID token claims for `user`, after the pre token generation trigger (FACTS §5).

        `source` is the event's triggerSource (FACTS §20); the event carries the attributes
        as stored now, whatever the user changed since an earlier sign-in.
        """
        attributes = dict(user.attribute_lookup)
        status = _status(user)
        claims: dict[str, Any] = {
            "sub": attributes.get("sub"),
            "cognito:username": user.username,
            "email": attributes.get("email"),
            "email_verified": attributes.get("email_verified") == "true",
        }
        if attributes.get("identities"):
            claims["identities"] = json.loads(attributes["identities"])
        if self.pre_token is None:
            return claims
        event = self._pre_token_event(
            pool, user, {**attributes, "cognito:user_status": status}, source
        )
        self._note_invocation(event)
        try:
            with self.environment():
                answer = self.pre_token(event, LambdaContext(function_name="pre_token"))
        except Exception as exc:
            raise _Refused(f"PreTokenGeneration failed with error {exc}") from exc
        overrides = _claim_overrides(answer, self.token_version)
        claims.update({k: v for k, v in overrides.items() if k not in PROTECTED_CLAIMS})
        return claims

    def _pre_token_event(
        self, pool: Any, user: Any, attributes: dict[str, str], source: str
    ) -> dict[str, Any]:
        # The event carries the attributes as stored for this sign-in (FACTS §4, §5, §20).
        event: dict[str, Any] = {
            "version": "1" if self.token_version == "V1_0" else "2",
            "triggerSource": source,
            "region": pool.region,
            "userPoolId": pool.id,
            "userName": user.username,
            "callerContext": {
                "awsSdkVersion": "aws-sdk-unknown-unknown",
                "clientId": self.client_id,
            },
            "request": {
                "userAttributes": attributes,
                "groupConfiguration": {
                    "groupsToOverride": [],
                    "iamRolesToOverride": [],
                    "preferredRole": None,
                },
            },
        }
        if self.token_version == "V1_0":
            event["response"] = {"claimsOverrideDetails": None}
        else:
            event["request"]["scopes"] = ["openid", "email"]
            event["response"] = {"claimsAndScopeOverrideDetails": None}
        return event

    # ------------------------------------------------------------------ self-service

    def access_token(self, username: str, *, client_id: str | None = None) -> str:
        """The access token of `username`'s session (from a sign-in through the simulator);
        with `client_id`, a new token of that session issued to another app client."""
        pool = self.pool
        user = self._session_user(pool, username)
        if user is None:
            raise ValueError(f"{username!r} has no session: sign in through the simulator first")
        if client_id is not None and client_id != self.client_id:
            _, origin_jti = pool.create_refresh_token(client_id, user.username)
            return str(pool.create_access_token(client_id, user.username, origin_jti)[0])
        session = self._sessions[user.username]
        if session.access_token is None or session.access_token not in pool.access_tokens:
            refresh_token, origin_jti = pool.create_refresh_token(self.client_id, user.username)
            session.refresh_token = refresh_token
            session.access_token, _ = pool.create_access_token(
                self.client_id, user.username, origin_jti
            )
        return session.access_token

    def update_own_attributes(self, username: str, attributes: Mapping[str, str]) -> Any:
        """The signed-in user's own UpdateUserAttributes, through boto3 with their access
        token (FACTS §8, §20); answers Cognito's response, raises botocore's ClientError."""
        return self.user_client().update_user_attributes(
            AccessToken=self.access_token(username),
            UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
        )

    def request_verification_code(self, username: str, attribute: str = "email") -> Any:
        """GetUserAttributeVerificationCode by the signed-in user (FACTS §8, §20)."""
        return self.user_client().get_user_attribute_verification_code(
            AccessToken=self.access_token(username), AttributeName=attribute
        )

    def verify_own_attribute(self, username: str, code: str, attribute: str = "email") -> Any:
        """VerifyUserAttribute by the signed-in user with a code (FACTS §8, §20)."""
        return self.user_client().verify_user_attribute(
            AccessToken=self.access_token(username), AttributeName=attribute, Code=code
        )

    def call_endpoint(
        self,
        route: str,
        access_token: str,
        body: Mapping[str, Any] | None = None,
        *,
        handler: Handler | None = None,
        environment_overrides: Mapping[str, str] | None = None,
    ) -> EndpointAnswer:
        """One request to the confirmed-linking API (lambda_src/confirmed_linking.py), as an
        HTTP API with a JWT authorizer on this pool and its app clients would pass it.

        The authorizer's part is played here: the bearer's claims reach the handler only when
        the token names this pool as issuer and one of its app clients (API Gateway developer
        guide, JWT authorizers), as strings (`authorizer_claims`); otherwise the answer is API
        Gateway's 401.
        """
        if handler is None:
            import confirmed_linking

            handler = confirmed_linking.handler
        claims = backend.token_claims(access_token) or {}
        pool = self.pool
        issuer = f"https://cognito-idp.{pool.region}.amazonaws.com/{pool.id}"
        if claims.get("iss") != issuer or claims.get("client_id") not in pool.clients:
            return EndpointAnswer(401, {"message": "Unauthorized"}, [])
        event = http_api_event(route, access_token, body, authorizer_claims(claims))
        env = {
            "USER_POOL_ID": pool.id,
            "APP_CLIENT_IDS": json.dumps(sorted(pool.clients)),
            **(environment_overrides or {}),
        }
        buffer = io.StringIO()
        with self.environment(), environment(env), redirect_stdout(buffer):
            answer = handler(event, LambdaContext(timeout_s=25.0, function_name="linking"))
        return EndpointAnswer(
            int(answer["statusCode"]), json.loads(answer["body"]), _parse_lines(buffer.getvalue())
        )

    def session_usernames(self) -> list[str]:
        """Users that signed in through the simulator (and may refresh or call the API)."""
        pool = self.pool
        return sorted(name for name in self._sessions if name in pool.users)

    def user_client(self) -> Any:
        """A cognito-idp client as the user's app has: its calls are no trigger's."""
        if self._user_client is None:
            self._user_client = boto3.session.Session().client(
                "cognito-idp", region_name=self.double.region, endpoint_url=self.endpoint_url
            )
        return self._user_client

    def _session_user(self, pool: Any, username: str) -> Any:
        user = pool.users.get(username) or backend.user_named(pool, username)
        if user is None or user.username not in self._sessions:
            return None
        return user

    def _email_count(self, email: str | None) -> int:
        if not email:
            return 0
        return len(self.double.users_with_email(self.pool_id, email))


@dataclass(frozen=True)
class EndpointAnswer:
    """The confirmed-linking API's answer: HTTP status, JSON body, its decision lines."""

    status: int
    body: dict[str, Any]
    decisions: list[dict[str, Any]]


def http_api_event(
    route: str, access_token: str, body: Mapping[str, Any] | None, claims: Mapping[str, Any]
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event behind a JWT authorizer that accepted `claims`."""
    method, _, path = route.partition(" ")
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "headers": {"authorization": f"Bearer {access_token}", "content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path},
            "authorizer": {"jwt": {"claims": dict(claims), "scopes": None}},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def authorizer_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """A token's claims as an HTTP API's JWT authorizer passes them to the integration: every
    value a string (`auth_time` 1700000000 becomes "1700000000"), as the Lambda event types
    declare them (aws-lambda-go `APIGatewayV2HTTPRequestContextAuthorizerJWTDescription.Claims`
    is a map of strings); a list is written "[a b]" (unconfirmed)."""

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return "[" + " ".join(text(v) for v in value) + "]"
        return str(value)

    return {name: text(value) for name, value in claims.items()}


def mapped_claims(mapping: Mapping[str, str], claims: Mapping[str, str]) -> dict[str, str]:
    """The pool attributes an IdP's claims fill through its mapping (`username` is the subject,
    not an attribute)."""
    return {
        attribute: claims[claim]
        for attribute, claim in mapping.items()
        if attribute != "username" and claim in claims
    }


def external_provider_event(
    *,
    region: str,
    pool_id: str,
    client_id: str,
    provider_name: str,
    subject: str,
    mapped: dict[str, str],
    case_sensitive: bool,
) -> dict[str, Any]:
    """The PreSignUp_ExternalProvider event Cognito sends for an identity's first sign-in."""
    attributes = _stored(mapped)
    user_name = f"{provider_name}_{subject}"
    if not case_sensitive:
        # A case-insensitive pool lower-cases userName, prefix included (FACTS §2). Only
        # userName: FACTS states no lower-casing of email or other attributes, and custom
        # attributes keep their case (FACTS §3: reported by a user, unconfirmed by AWS).
        user_name = user_name.lower()
    attributes.update({"cognito:email_alias": "", "cognito:phone_number_alias": ""})
    return {
        "version": "1",
        "region": region,
        "userPoolId": pool_id,
        "userName": user_name,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "triggerSource": "PreSignUp_ExternalProvider",
        "request": {"userAttributes": attributes, "validationData": {}},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


def _status(user: Any) -> str:
    return str(getattr(user.status, "value", user.status))


def _stored(mapped: dict[str, str]) -> dict[str, str]:
    """Mapped attributes as stored: email_verified "false" unless the IdP maps it (FACTS §4)."""
    stored = dict(mapped)
    if "email" in stored and "email_verified" not in stored:
        stored["email_verified"] = "false"
    return stored


def _claim_overrides(answer: Any, version: str) -> dict[str, Any]:
    response = (answer or {}).get("response") or {}
    if version == "V1_0":
        details = response.get("claimsOverrideDetails") or {}
        return dict(details.get("claimsToAddOrOverride") or {})
    details = response.get("claimsAndScopeOverrideDetails") or {}
    id_token = details.get("idTokenGeneration") or {}
    return dict(id_token.get("claimsToAddOrOverride") or {})


def _parse_lines(text: str) -> list[dict[str, Any]]:
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "decision" in record:
            records.append(record)
    return records
