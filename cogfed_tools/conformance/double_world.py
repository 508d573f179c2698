"""The project's world: the Cognito test double, with the triggers from `lambda_src/`.

The pool is configured from the same plan as the ministack world's (`PlannedPool`: case
setting, custom attributes, whether a changed email waits for verification); the
double plays Cognito's side of each sign-in (`FederatedSignInSimulator`), and a retried
step makes it lose the trigger's first answer, as Cognito does after a timeout (FACTS §2).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from cogfed_tools.conformance.planned_pool import PlannedPool
from cogfed_tools.conformance.scenario import (
    REFUSED,
    SEPARATE_PROVIDER,
    SUBJECT_ATTRIBUTE,
    UNCONFIGURED_PROVIDER,
    Landing,
    PoolSettings,
    SignIn,
    UserState,
    unconfigured_provider_mapping,
    with_separate_provider,
)

SHORT_NAMES = {
    "ListUsers": "List",
    "AdminCreateUser": "Create",
    "AdminSetUserPassword": "SetPassword",
    "AdminLinkProviderForUser": "Link",
    "AdminGetUser": "Get",
    "AdminUpdateUserAttributes": "UpdateAttributes",
    "DescribeUserPool": "DescribePool",
}


class DoubleWorld:
    name = "double"

    def __init__(
        self, double: Any, sim: Any, pool_id: str, endpoint_environment: dict[str, str]
    ) -> None:
        self.double = double
        self.sim = sim
        self.pool_id = pool_id
        # The planned confirmed-linking function's own settings (its max age).
        self.endpoint_environment = endpoint_environment
        self.tokens: dict[str, str] = {}  # sub -> access token of its last sign-in

    def native_sign_up(self, sign_in: SignIn) -> Landing:
        user = self.sim.native_sign_up(
            sign_in.sign_up_email, confirm=sign_in.confirm, verify_email=sign_in.confirm
        )
        outcome = "signed up" if sign_in.confirm else "signed up, unconfirmed"
        return Landing(outcome, user.sub, calls="0")

    def federated_sign_in(self, sign_in: SignIn) -> Landing:
        result = self.sim.federated_sign_in(
            sign_in.through,
            sign_in.subject,
            sign_in.claims,
            simulated_timeouts=1 if sign_in.retried else 0,
        )
        calls = ", ".join(
            SHORT_NAMES.get(operation, operation) + (f" x{n}" if n > 1 else "")
            for operation, n in sorted(result.cognito_calls.items())
        )
        count = str(result.total_cognito_calls) + (f": {calls}" if calls else "")
        if not result.signed_in:
            return Landing(REFUSED, message=result.message or "", calls=count)
        return Landing("signed in", result.sub, calls=count)

    def users(self) -> list[UserState]:
        return [
            UserState(
                username=u.username,
                sub=u.sub or "",
                status=u.status,
                email=u.email or "",
                email_verified=u.email_verified,
                identities=frozenset(u.linked),
            )
            for u in self.double.users(self.pool_id)
        ]

    def pool_settings(self) -> PoolSettings:
        return PoolSettings.described(self.double.pool(self.pool_id).to_json(extended=True))

    def access_token(self, sub: str) -> str:
        if sub not in self.tokens:  # kept: a replay sends it after its user is gone
            (user,) = [u for u in self.users() if u.sub == sub]
            if user.username not in self.sim.session_usernames():
                # A native user signs in on the hosted page, as the ministack world's does.
                self.sim.password_sign_in(user.email)
            self.tokens[sub] = str(self.sim.access_token(user.username))
        return self.tokens[sub]

    def other_pool_token(self, username: str) -> str:
        """A pool of the same double with a native user of that name, signed in."""
        from cogfed_tools.cognito_double import FederatedSignInSimulator

        pool_id = self.double.create_pool(
            "elsewhere", case_sensitive=True, username_attributes=None
        )
        other = FederatedSignInSimulator(self.double, pool_id)
        other.native_sign_up("someone@example.net", username=username)
        signed_in = other.password_sign_in(username)
        if not signed_in.signed_in or signed_in.username is None:
            raise RuntimeError(f"the other pool's user could not sign in: {signed_in.message}")
        return str(other.access_token(signed_in.username))

    def call_endpoint(
        self, route: str, bearer: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        answer = self.sim.call_endpoint(
            route, bearer, body, environment_overrides=self.endpoint_environment
        )
        return answer.status, answer.body


@contextmanager
def double_world(
    planned: PlannedPool, *, subject_mapping: bool = True, naive: bool = False
) -> Iterator[DoubleWorld]:
    """The planned pool in the double; without the subject mapping and with the seed's
    naive trigger, it is the seed report's setup."""
    from cogfed_tools.cognito_double import (
        FederatedSignInSimulator,
        in_memory_cognito,
        naive_pre_signup_handler,
    )

    with ExitStack() as stack:
        double = stack.enter_context(in_memory_cognito())
        pool_id = double.create_pool(
            planned.name,
            case_sensitive=planned.case_sensitive,
            username_attributes=tuple(planned.username_attributes) or None,
            custom_attributes=planned.custom_attributes,
            hold_email_changes="email" in planned.attributes_require_verification,
        )
        sim = FederatedSignInSimulator(
            double,
            pool_id,
            pre_signup=naive_pre_signup_handler if naive else None,
            pre_token=(lambda event, context: event) if naive else None,
        )
        providers = {
            name: (p.type, dict(p.attribute_mapping))
            for name, p in planned.identity_providers.items()
        }
        linkedin = next(mapping for kind, mapping in providers.values() if kind == "OIDC")
        providers[UNCONFIGURED_PROVIDER] = ("OIDC", unconfigured_provider_mapping(linkedin))
        providers[SEPARATE_PROVIDER] = ("OIDC", dict(linkedin))
        for name, (kind, mapping) in providers.items():
            if not subject_mapping:
                mapping.pop(SUBJECT_ATTRIBUTE, None)
            sim.add_identity_provider(name, kind, attribute_mapping=mapping, configure=False)
        # The triggers' configuration as Terraform planned it for the functions, with the
        # provider whose sign-ins become separate users added.
        sim.identity_providers_override = with_separate_provider(
            planned.functions["PreSignUp"].environment["IDENTITY_PROVIDERS"]
        )
        endpoint = planned.functions.get("ConfirmedLinking")
        linking = endpoint.environment if endpoint else {}
        endpoint_environment = {
            name: linking[name] for name in ("FEDERATED_USER_MAX_AGE_SECONDS",) if name in linking
        }
        yield DoubleWorld(double, sim, pool_id, endpoint_environment)
