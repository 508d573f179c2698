"""The ministack world: the planned pool built in ministack, signed in to as a browser does.

The pool, its identity providers, the app client and both trigger functions are created
from the plan (`PlannedPool`), the functions from the zip Terraform's packaging wrote.
Only the providers' endpoints are the run's own: LinkedIn and the corporate directory are
the local identity provider on 127.0.0.1. Federated sign-ins go `/oauth2/authorize` ->
the identity provider -> `/oauth2/idpresponse` or `/saml2/idpresponse` -> the app's
callback -> `/oauth2/token`; native users sign up through the API (SignUp, ConfirmSignUp)
and sign in on the hosted sign-in page. The user a sign-in landed on is the `sub` of the
ID token it ends with.

Where ministack cannot play a step as AWS would, the adapter says so in `Landing.how` and
the known difference it works around is listed in `known_differences`.
"""

from __future__ import annotations

import ast
import base64
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from cogfed_tools.cognito_double.simulator import (
    authorizer_claims,
    external_provider_event,
    http_api_event,
    mapped_claims,
)
from cogfed_tools.conformance.browser import Browser, Response, forms, query_of, with_query
from cogfed_tools.conformance.known_differences import (
    CONFIRM_SIGN_UP_LEAVES_EMAIL_UNVERIFIED,
    EMAIL_VERIFIED_NOT_RESET,
    NO_LOWER_CASING,
    ONE_ATTRIBUTE_PER_CLAIM,
    REFUSAL_AS_ERROR_RESPONSE,
    SOCIAL_PROVIDERS_NOT_FEDERATED,
)
from cogfed_tools.conformance.local_idp import (
    OIDC_CLIENT_ID,
    LocalIdentityProvider,
    running_identity_provider,
)
from cogfed_tools.conformance.ministack_server import running_ministack
from cogfed_tools.conformance.planned_pool import PlannedPool, PlannedProvider
from cogfed_tools.conformance.scenario import (
    REFUSED,
    SEPARATE_PROVIDER,
    UNCONFIGURED_PROVIDER,
    Landing,
    PoolSettings,
    SignIn,
    UserState,
    unconfigured_provider_mapping,
    with_separate_provider,
)

REGION = "us-east-1"
PASSWORD = "Correct-Horse-9-Battery"
SIGN_UP_CODE = "123456"  # ministack's fixed confirmation code
HOSTED_FEDERATION_TYPES = ("SAML", "OIDC")  # what ministack's /oauth2/authorize federates
# The landing of an identity no user holds after pre sign-up: Cognito creates a user of its
# own for it, which this run cannot (the provider is not federated by ministack).
NEW_USER = "created by Cognito for "


class MinistackWorldError(RuntimeError):
    pass


def _mapping_for_ministack(mapping: dict[str, str]) -> dict[str, str]:
    """The planned mapping, `username` first: ministack keeps one pool attribute per IdP
    claim, the last listed, and the subject copy must survive (known difference)."""
    return dict(sorted(mapping.items(), key=lambda item: item[0] != "username"))


class MinistackWorld:
    name = "ministack"

    def __init__(self, planned: PlannedPool, endpoint: str, idp: LocalIdentityProvider) -> None:
        self.planned = planned
        self.endpoint = endpoint
        self.idp = idp
        self.browser = Browser()
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        config = Config(retries={"max_attempts": 1})
        self.cognito = session.client("cognito-idp", endpoint_url=endpoint, config=config)
        self.lambda_ = session.client("lambda", endpoint_url=endpoint, config=config)
        self.providers: dict[str, PlannedProvider] = dict(planned.identity_providers)
        self.pool_id = ""
        self.client_id = ""
        self.callback_url = planned.client.callback_urls[0]
        self.function_arns: dict[str, str] = {}
        self.workarounds: set[str] = set()  # known differences this run had to work around
        self.tokens: dict[str, str] = {}  # sub -> access token of its last sign-in
        self.issuer = ""

    # ------------------------------------------------------------------ building

    def build(self) -> None:
        planned = self.planned
        for trigger, function in planned.functions.items():
            if trigger == "ConfirmedLinking":
                continue  # needs the pool's and the client's ids: created with the client
            created = self.lambda_.create_function(
                FunctionName=function.name,
                Runtime=function.runtime,
                Role=f"arn:aws:iam::000000000000:role/{function.name}",
                Handler=function.handler,
                Code={"ZipFile": function.package.read_bytes()},
                Timeout=function.timeout,
                Environment={"Variables": self._environment(function.environment)},
            )
            self.function_arns[trigger] = created["FunctionArn"]
        settings: dict[str, Any] = {}
        if planned.attributes_require_verification:
            settings["UserAttributeUpdateSettings"] = {
                "AttributesRequireVerificationBeforeUpdate": planned.attributes_require_verification
            }
        pool = self.cognito.create_user_pool(
            PoolName=planned.name,
            UsernameAttributes=planned.username_attributes,
            UsernameConfiguration={"CaseSensitive": planned.case_sensitive},
            AutoVerifiedAttributes=planned.auto_verified_attributes,
            Schema=planned.schema,
            LambdaConfig={
                "PreSignUp": self.function_arns["PreSignUp"],
                "PreTokenGenerationConfig": {
                    "LambdaVersion": planned.pre_token_version,
                    "LambdaArn": self.function_arns["PreTokenGeneration"],
                },
            },
            **settings,
        )["UserPool"]
        self.pool_id = pool["Id"]
        self.issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{self.pool_id}"
        if not planned.case_sensitive:
            self.workarounds.add(NO_LOWER_CASING)
        linkedin = next(p for p in self.providers.values() if p.type == "OIDC")
        self.providers[UNCONFIGURED_PROVIDER] = PlannedProvider(
            UNCONFIGURED_PROVIDER, "OIDC", unconfigured_provider_mapping(linkedin.attribute_mapping)
        )
        self.providers[SEPARATE_PROVIDER] = PlannedProvider(
            SEPARATE_PROVIDER, "OIDC", dict(linkedin.attribute_mapping)
        )
        for provider in self.providers.values():
            mapping = _mapping_for_ministack(provider.attribute_mapping)
            if list(mapping) != list(provider.attribute_mapping):
                self.workarounds.add(ONE_ATTRIBUTE_PER_CLAIM)
            self.cognito.create_identity_provider(
                UserPoolId=self.pool_id,
                ProviderName=provider.name,
                ProviderType=provider.type,
                ProviderDetails=self._provider_details(provider.type),
                AttributeMapping=mapping,
            )
        client = planned.client
        self.client_id = self.cognito.create_user_pool_client(
            UserPoolId=self.pool_id,
            ClientName=client.name,
            CallbackURLs=client.callback_urls,
            AllowedOAuthFlows=client.allowed_oauth_flows,
            AllowedOAuthScopes=client.allowed_oauth_scopes,
            AllowedOAuthFlowsUserPoolClient=client.allowed_oauth_flows_user_pool_client,
            SupportedIdentityProviders=[
                *client.supported_identity_providers,
                UNCONFIGURED_PROVIDER,
                SEPARATE_PROVIDER,
            ],
            ExplicitAuthFlows=client.explicit_auth_flows,
            ReadAttributes=client.read_attributes,
            WriteAttributes=client.write_attributes,
        )["UserPoolClient"]["ClientId"]
        endpoint = planned.functions.get("ConfirmedLinking")
        if endpoint is not None:
            # What Terraform fills in at apply: this pool, and the app client the API's JWT
            # authorizer accepts (modules/triggers/confirmed_linking.tf).
            environment = {
                **self._environment(endpoint.environment),
                "USER_POOL_ID": self.pool_id,
                "APP_CLIENT_IDS": json.dumps([self.client_id]),
            }
            self.function_arns["ConfirmedLinking"] = self.lambda_.create_function(
                FunctionName=endpoint.name,
                Runtime=endpoint.runtime,
                Role=f"arn:aws:iam::000000000000:role/{endpoint.name}",
                Handler=endpoint.handler,
                Code={"ZipFile": endpoint.package.read_bytes()},
                Timeout=endpoint.timeout,
                Environment={"Variables": environment},
            )["FunctionArn"]
        self._warm_up()

    @staticmethod
    def _environment(planned: dict[str, str]) -> dict[str, str]:
        """The planned environment, with the provider whose sign-ins become separate users."""
        if "IDENTITY_PROVIDERS" not in planned:
            return dict(planned)
        return {
            **planned,
            "IDENTITY_PROVIDERS": with_separate_provider(planned["IDENTITY_PROVIDERS"]),
        }

    def _warm_up(self) -> None:
        """One invocation of each function that needs no Cognito call, so that ministack's
        worker start is not counted against the planned timeout of the first sign-in."""
        events = {
            "PreSignUp": {"triggerSource": "PreSignUp_SignUp", "request": {}, "response": {}},
            "PreTokenGeneration": {
                "version": "1",
                "triggerSource": "TokenGeneration_HostedAuth",
                "userPoolId": self.pool_id,
                "userName": "warm-up",
                "request": {"userAttributes": {"email_verified": "true"}},
                "response": {},
            },
            # A route the endpoint does not serve: answered without a Cognito call.
            "ConfirmedLinking": {"routeKey": "GET /warm-up"},
        }
        for trigger, event in events.items():
            if trigger not in self.function_arns:
                continue
            answer = self.lambda_.invoke(
                FunctionName=self.function_arns[trigger], Payload=json.dumps(event).encode()
            )
            if answer.get("FunctionError"):
                raise MinistackWorldError(
                    f"the {trigger} function failed its warm-up: {answer['Payload'].read()!r}"
                )

    def _provider_details(self, provider_type: str) -> dict[str, str]:
        if provider_type == "SAML":
            return {"MetadataFile": self.idp.saml_metadata()}
        details = {
            "client_id": OIDC_CLIENT_ID,
            "client_secret": "conformance-secret",
            "authorize_scopes": "openid email profile",
        }
        if provider_type == "OIDC":
            details |= {"oidc_issuer": self.idp.oidc_issuer, "attributes_request_method": "GET"}
        return details

    # ------------------------------------------------------------------ sign-ins

    def native_sign_up(self, sign_in: SignIn) -> Landing:
        email = sign_in.sign_up_email
        sub = self.cognito.sign_up(
            ClientId=self.client_id,
            Username=email,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}],
        )["UserSub"]
        if not sign_in.confirm:
            return Landing("signed up, unconfirmed", sub)
        self.cognito.confirm_sign_up(
            ClientId=self.client_id, Username=email, ConfirmationCode=SIGN_UP_CODE
        )
        how = ""
        if not self._user(sub).email_verified:
            # AWS marks the email verified when the emailed code is entered (known difference).
            self.workarounds.add(CONFIRM_SIGN_UP_LEAVES_EMAIL_UNVERIFIED)
            self.cognito.admin_update_user_attributes(
                UserPoolId=self.pool_id,
                Username=self._user(sub).username,
                UserAttributes=[{"Name": "email_verified", "Value": "true"}],
            )
            how = "email_verified set after ConfirmSignUp"
            how += f" ({CONFIRM_SIGN_UP_LEAVES_EMAIL_UNVERIFIED})"
        landing = self._password_sign_in(email)
        if landing.sub != sub:
            raise MinistackWorldError(f"{email} signed up as {sub} but signed in as {landing.sub}")
        return Landing("signed up", sub, how=how)

    def federated_sign_in(self, sign_in: SignIn) -> Landing:
        provider = self.providers[sign_in.through]
        unmapped = set(sign_in.claims) - set(provider.attribute_mapping.values())
        if unmapped:
            # ministack would store them as attributes of their own names; AWS drops them
            # (known difference): the worlds would no longer see the same user.
            raise MinistackWorldError(
                f"{sign_in.key} sends claims {sorted(unmapped)} that {provider.name} does not map"
            )
        if provider.type not in HOSTED_FEDERATION_TYPES:
            self.workarounds.add(SOCIAL_PROVIDERS_NOT_FEDERATED)
            how = f"trigger invoked directly ({SOCIAL_PROVIDERS_NOT_FEDERATED})"
            return self._trigger_alone(sign_in, provider, attempts=1, how=how)
        if sign_in.retried:
            # Cognito's first attempt ran and its answer was lost, so it invoked the trigger
            # again with the same event (FACTS §2). ministack resolves a link before it would
            # invoke pre sign-up, so both attempts are direct, and the browser's sign-in then
            # must land on the user they linked.
            how = "pre sign-up invoked twice with the same event, the first answer discarded"
            linked = self._trigger_alone(sign_in, provider, attempts=2, how=how)
            if linked.outcome == REFUSED or linked.sub is None or linked.sub.startswith(NEW_USER):
                return linked
            landing = self._browser_sign_in(sign_in, provider)
            if landing.sub != linked.sub:
                raise MinistackWorldError(
                    f"{sign_in.key}: the trigger linked {linked.sub}, the sign-in landed on "
                    f"{landing.sub}"
                )
            return Landing(landing.outcome, landing.sub, landing.message, how=how)
        return self._browser_sign_in(sign_in, provider)

    def _browser_sign_in(self, sign_in: SignIn, provider: PlannedProvider) -> Landing:
        self.idp.next_sign_in(sign_in.subject, sign_in.claims)
        at_idp = self._authorize({"identity_provider": provider.name})
        if provider.type == "OIDC":
            back = self.browser.get(at_idp.location)
            answer = self.browser.get(back.location) if back.status == 302 else back
        else:
            page = self.browser.get(at_idp.location)
            (form,) = forms(page.body, at_idp.location)
            answer = self.browser.post(form.action, form.fields)
        if _is_callback(answer, self.callback_url) and _maps_email_alone(provider):
            self._reset_email_verified(provider, sign_in.subject)
        return self._tokens(answer)

    def _reset_email_verified(self, provider: PlannedProvider, subject: str) -> None:
        """What AWS does at this point and ministack does not (known difference): mapping email
        without email_verified stores email_verified "false" on every sign-in (FACTS §4).
        Done before the code is exchanged, so pre token generation sees it as on AWS."""
        self.workarounds.add(EMAIL_VERIFIED_NOT_RESET)
        (holder,) = [u for u in self.users() if (provider.name, subject) in u.identities]
        self.cognito.admin_update_user_attributes(
            UserPoolId=self.pool_id,
            Username=holder.username,
            UserAttributes=[{"Name": "email_verified", "Value": "false"}],
        )

    def _authorize(self, params: dict[str, str]) -> Response:
        answer = self.browser.get(
            with_query(
                f"{self.endpoint}/oauth2/authorize",
                {
                    "client_id": self.client_id,
                    "redirect_uri": self.callback_url,
                    "response_type": "code",
                    # The planned client's scopes: GetUser, which the confirmed-linking
                    # endpoint checks tokens with, needs aws.cognito.signin.user.admin.
                    "scope": " ".join(self.planned.client.allowed_oauth_scopes),
                    "state": "conformance",
                    **params,
                },
            )
        )
        if answer.status not in (200, 302):
            raise MinistackWorldError(
                f"/oauth2/authorize answered {answer.status}: {answer.body!r}"
            )
        return answer

    def _password_sign_in(self, email: str) -> Landing:
        page = self._authorize({})
        (form,) = forms(page.body, f"{self.endpoint}/oauth2/authorize")
        answer = self.browser.post(
            form.action, {**form.fields, "username": email, "password": PASSWORD}
        )
        return self._tokens(answer)

    def _tokens(self, answer: Response) -> Landing:
        """The ID token's user after the pool's answer to the identity provider's callback."""
        if _is_callback(answer, self.callback_url):
            params = query_of(answer.location)
            if "error" in params:  # AWS's way to report a refusal (known difference)
                return Landing(REFUSED, message=params.get("error_description", params["error"]))
            token = self.browser.post(
                f"{self.endpoint}/oauth2/token",
                {
                    "grant_type": "authorization_code",
                    "code": params["code"],
                    "client_id": self.client_id,
                    "redirect_uri": self.callback_url,
                },
            )
            if token.status != 200:
                raise MinistackWorldError(f"/oauth2/token answered {token.status}: {token.body!r}")
            claims = _jwt_claims(token.json()["id_token"])
            self.tokens[str(claims["sub"])] = token.json()["access_token"]
            return Landing("signed in", str(claims["sub"]))
        if answer.status == 400:
            error = answer.json()
            if error.get("__type") == "UserLambdaValidationException":
                self.workarounds.add(REFUSAL_AS_ERROR_RESPONSE)
                return Landing(REFUSED, message=_trigger_message(str(error.get("message", ""))))
        raise MinistackWorldError(
            f"unexpected answer to the sign-in: {answer.status} {answer.location} "
            f"{answer.body[:300]!r}"
        )

    # ------------------------------------------------------------------ the trigger alone

    def _invoke_pre_signup(self, sign_in: SignIn, provider: PlannedProvider) -> str | None:
        """The packaged pre sign-up function given the event AWS would send (the same builder
        as the double's); its error message, or None."""
        event = external_provider_event(
            region=REGION,
            pool_id=self.pool_id,
            client_id=self.client_id,
            provider_name=provider.name,
            subject=sign_in.subject,
            mapped=mapped_claims(
                provider.attribute_mapping, {"sub": sign_in.subject, **sign_in.claims}
            ),
            case_sensitive=self.planned.case_sensitive,
        )
        answer = self.lambda_.invoke(
            FunctionName=self.function_arns["PreSignUp"], Payload=json.dumps(event).encode()
        )
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            message = payload.get("errorMessage", "") if isinstance(payload, dict) else ""
            return message or str(payload)
        return None

    def _trigger_alone(
        self, sign_in: SignIn, provider: PlannedProvider, *, attempts: int, how: str
    ) -> Landing:
        """Cognito's part played by the run: the trigger invoked `attempts` times with one
        event (any failure refuses the sign-in, FACTS §2), then the user holding the identity.
        None holding it means Cognito would create its own user for it (FACTS §1, §3)."""
        for _ in range(attempts):
            error = self._invoke_pre_signup(sign_in, provider)
            if error is not None:
                return Landing(REFUSED, message=error, how=how)
        holders = [u for u in self.users() if (provider.name, sign_in.subject) in u.identities]
        if len(holders) > 1:
            raise MinistackWorldError(f"{sign_in.key}: {len(holders)} users hold the identity")
        if not holders:
            return Landing("signed in", f"{NEW_USER}{provider.name}_{sign_in.subject}", how=how)
        return Landing("signed in", holders[0].sub, how=how)

    # ------------------------------------------------------------------ state

    def users(self) -> list[UserState]:
        found: list[UserState] = []
        for page in self.cognito.get_paginator("list_users").paginate(UserPoolId=self.pool_id):
            for user in page["Users"]:
                attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
                identities = json.loads(attributes.get("identities") or "[]")
                found.append(
                    UserState(
                        username=user["Username"],
                        sub=attributes.get("sub", ""),
                        status=user["UserStatus"],
                        email=attributes.get("email", ""),
                        email_verified=attributes.get("email_verified") == "true",
                        identities=frozenset((i["providerName"], i["userId"]) for i in identities),
                    )
                )
        return found

    def pool_settings(self) -> PoolSettings:
        return PoolSettings.described(
            self.cognito.describe_user_pool(UserPoolId=self.pool_id)["UserPool"]
        )

    # ------------------------------------------------------------------ the endpoint

    def access_token(self, sub: str) -> str:
        return self.tokens[sub]

    def other_pool_token(self, username: str) -> str:
        """A second pool in this ministack, with a user of that name signed in (InitiateAuth)."""
        pool_id = self.cognito.create_user_pool(PoolName="elsewhere")["UserPool"]["Id"]
        client_id = self.cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="elsewhere",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        self.cognito.admin_create_user(
            UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS"
        )
        self.cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        answer = self.cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        return str(answer["AuthenticationResult"]["AccessToken"])

    def call_endpoint(
        self, route: str, bearer: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """API Gateway's part played by the run, as the double's `call_endpoint` plays it: the
        JWT authorizer passes the bearer's claims only for an unexpired access token of this
        pool's app client, else answers 401; then the packaged function is invoked with the
        HTTP API's event (the same builder as the double's), the verified claims in it as the
        authorizer passes them: all of the access token's, `auth_time` (when its user signed
        in, which the function requires to be recent) among them, as strings. The signature
        is left to Cognito's GetUser, which the function calls on both tokens (FACTS §20)."""
        claims = _jwt_claims(bearer)
        if (
            claims.get("iss") != self.issuer
            or claims.get("client_id") != self.client_id
            or claims.get("token_use") != "access"
            or not isinstance(claims.get("exp"), int | float)
            or claims["exp"] <= time.time()
        ):
            return 401, {"message": "Unauthorized"}
        if not isinstance(claims.get("auth_time"), int | float):
            # Cognito writes the sign-in's time into every access token it issues.
            raise MinistackWorldError(
                f"ministack issued an access token without auth_time: {claims}"
            )
        event = http_api_event(route, bearer, body, authorizer_claims(claims))
        answer = self.lambda_.invoke(
            FunctionName=self.function_arns["ConfirmedLinking"], Payload=json.dumps(event).encode()
        )
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError") or not isinstance(payload, dict):
            raise MinistackWorldError(f"the confirmed-linking function failed: {payload!r}")
        return int(payload["statusCode"]), json.loads(payload["body"])

    def _user(self, sub: str) -> UserState:
        (user,) = [u for u in self.users() if u.sub == sub]
        return user


def _is_callback(answer: Response, callback_url: str) -> bool:
    return answer.status == 302 and answer.location.startswith(callback_url)


def _maps_email_alone(provider: PlannedProvider) -> bool:
    return (
        "email" in provider.attribute_mapping and "email_verified" not in provider.attribute_mapping
    )


def _trigger_message(text: str) -> str:
    """The trigger's own message: ministack quotes the function's error payload as a repr."""
    try:
        payload = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return str(payload.get("errorMessage", text)) if isinstance(payload, dict) else text


def _jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@contextmanager
def ministack_world(
    planned: PlannedPool, workdir: Path, progress: Callable[[str], None] = print
) -> Iterator[MinistackWorld]:
    """ministack and the local identity provider running, the planned pool built in it; both
    stop when the block ends."""
    with running_ministack(workdir, progress) as server, running_identity_provider() as idp:
        progress(
            f"   ministack {server.version} at {server.endpoint}, "
            f"identity provider at {idp.base_url}"
        )
        world = MinistackWorld(planned, server.endpoint, idp)
        world.build()
        yield world
