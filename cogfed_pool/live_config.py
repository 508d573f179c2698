"""A live pool's configuration, and the gate's rules on it (their third adapter).

The pool, its identity providers and app clients come from the Cognito API; the triggers'
configuration (`IDENTITY_PROVIDERS`, CONTRACT §1) from the pre sign-up function's
environment through the Lambda API, or from `--identity-providers` where that cannot be read
(no permission, or the pool does not run this module's trigger yet). The rules are the ones
`cogfed-gate` runs on source and plans (`policies/cogfed_verdicts.py`), judged on the model
filled from what the pool holds, so a finding reads the same in all three.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cogfed_pool.aws import Cognito, PoolCallError
from cogfed_pool.trigger_rules import FACTS, ascii_case, errors, idp_config

COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"


@dataclass
class LiveConfig:
    pool_id: str
    pool: dict[str, Any]
    providers: dict[str, dict[str, Any]]  # ProviderName -> DescribeIdentityProvider answer
    clients: list[dict[str, Any]]
    trigger: Any | None  # idp_config.TriggerConfig, when known
    trigger_source: str  # where the trigger configuration came from, or why it is unknown
    permissions: list[tuple[str, str | None]] = field(default_factory=list)  # principal, ARN
    notes: list[str] = field(default_factory=list)
    # The pool's linking triggers (CONTRACT §1): the pre sign-up or pre token generation
    # function whose environment carries IDENTITY_PROVIDERS, named; or why that is unknown.
    linking_function: str | None = None
    linking_unknown: str | None = None
    # The IDENTITY_PROVIDERS text the triggers' configuration was read from, valid or not.
    trigger_raw: str | None = None

    @property
    def case_sensitive(self) -> bool:
        # Absent: the API default, case-sensitive (FACTS §3).
        return bool((self.pool.get("UsernameConfiguration") or {}).get("CaseSensitive", True))

    @property
    def pre_signup_arn(self) -> str | None:
        return (self.pool.get("LambdaConfig") or {}).get("PreSignUp")

    @property
    def pre_token_arn(self) -> str | None:
        lambda_config = self.pool.get("LambdaConfig") or {}
        version_config = lambda_config.get("PreTokenGenerationConfig") or {}
        return version_config.get("LambdaArn") or lambda_config.get("PreTokenGeneration")

    @property
    def held_until_verified(self) -> tuple[str, ...]:
        """The attributes whose change a user makes is held back until verified (FACTS §8)."""
        settings = self.pool.get("UserAttributeUpdateSettings") or {}
        return tuple(settings.get("AttributesRequireVerificationBeforeUpdate") or ())

    @property
    def email_self_editable(self) -> bool:
        """Whether a signed-in user can change their own stored email at once: an app client
        may write it (one without write_attributes writes every standard attribute, FACTS
        §4) and email changes need no verification first. Then a stored email proves
        nothing about who holds the address (FACTS §8)."""
        if "email" in self.held_until_verified:
            return False
        return any(
            client.get("WriteAttributes") is None or "email" in client["WriteAttributes"]
            for client in self.clients
        )


def read_config(cognito: Cognito, identity_providers: str | None = None) -> LiveConfig:
    pool_id = cognito.pool_id
    pool = cognito.call("describe_user_pool", UserPoolId=pool_id)["UserPool"]
    providers: dict[str, dict[str, Any]] = {}
    for page in cognito.pages(
        "list_identity_providers", "Providers", UserPoolId=pool_id, MaxResults=60
    ):
        for summary in page:
            name = summary["ProviderName"]
            providers[name] = cognito.call(
                "describe_identity_provider", UserPoolId=pool_id, ProviderName=name
            )["IdentityProvider"]
    clients = []
    for page in cognito.pages(
        "list_user_pool_clients", "UserPoolClients", UserPoolId=pool_id, MaxResults=60
    ):
        for summary in page:
            clients.append(
                cognito.call(
                    "describe_user_pool_client", UserPoolId=pool_id, ClientId=summary["ClientId"]
                )["UserPoolClient"]
            )
    config = LiveConfig(pool_id, pool, providers, clients, None, "")
    _read_trigger(cognito, config, identity_providers)
    return config


def _read_trigger(cognito: Cognito, config: LiveConfig, given: str | None) -> None:
    raw: str | None = given
    source = "--identity-providers"
    arn = config.pre_signup_arn
    if raw is None and arn is None:
        config.trigger_source = (
            "unknown: the pool has no pre sign-up trigger; pass --identity-providers with the "
            "IDENTITY_PROVIDERS its trigger will run with"
        )
    elif raw is None:
        raw, source = _function_environment(cognito, config, arn)
    if given is None and config.linking_function is None:
        _pre_token_environment(cognito, config)
    if raw is None:
        return
    config.trigger_raw = raw
    try:
        providers = idp_config.parse_identity_providers(raw)
    except errors.ConfigurationError as problem:
        config.trigger_source = f"unknown: {source} is not valid ({problem})"
        return
    config.trigger = idp_config.TriggerConfig(providers, config.case_sensitive)
    config.trigger_source = source


def _function_environment(
    cognito: Cognito, config: LiveConfig, arn: str | None
) -> tuple[str | None, str]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        function = cognito.lambda_client.get_function_configuration(FunctionName=arn)
    except (ClientError, BotoCoreError) as problem:
        config.trigger_source = (
            f"unknown: the pre sign-up function's configuration could not be read ({problem}); "
            "pass --identity-providers with its IDENTITY_PROVIDERS value"
        )
        config.linking_unknown = config.trigger_source.removeprefix("unknown: ")
        return None, ""
    variables = (function.get("Environment") or {}).get("Variables") or {}
    if "IDENTITY_PROVIDERS" in variables:
        config.linking_function = f"the pre sign-up function {function['FunctionName']}"
    else:
        config.trigger_source = (
            "unknown: the pool's pre sign-up function is not this module's trigger (it has no "
            "IDENTITY_PROVIDERS); pass --identity-providers with the configuration you deploy"
        )
        return None, ""
    _read_permissions(cognito, config, arn)
    return variables["IDENTITY_PROVIDERS"], f"the pre sign-up function {function['FunctionName']}"


def _pre_token_environment(cognito: Cognito, config: LiveConfig) -> None:
    """Whether the pre token generation function runs the linking code (its environment
    carries IDENTITY_PROVIDERS), when the pre sign-up function did not show it."""
    from botocore.exceptions import BotoCoreError, ClientError

    arn = config.pre_token_arn
    if arn is None or arn == config.pre_signup_arn:
        return
    try:
        function = cognito.lambda_client.get_function_configuration(FunctionName=arn)
    except (ClientError, BotoCoreError) as problem:
        config.linking_unknown = config.linking_unknown or (
            f"the pre token generation function's configuration could not be read ({problem})"
        )
        return
    if "IDENTITY_PROVIDERS" in ((function.get("Environment") or {}).get("Variables") or {}):
        config.linking_function = f"the pre token generation function {function['FunctionName']}"


def _read_permissions(cognito: Cognito, config: LiveConfig, arn: str | None) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        policy = json.loads(cognito.lambda_client.get_policy(FunctionName=arn)["Policy"])
    except (ClientError, BotoCoreError, ValueError, KeyError) as problem:
        config.notes.append(f"the pre sign-up function's resource policy was not read ({problem})")
        return
    for statement in policy.get("Statement", []):
        principal = statement.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else principal
        condition = statement.get("Condition") or {}
        source = (condition.get("ArnLike") or condition.get("ArnEquals") or {}).get("AWS:SourceArn")
        config.permissions.append((str(service), source))


def judge(config: LiveConfig) -> list[dict[str, Any]]:
    """The gate's rules on the live configuration: one record per rule and resource."""
    from cogfed_gate.gate import find_policies_dir
    from cogfed_gate.gate_plan import load_policy_modules

    model, verdicts = load_policy_modules(find_policies_dir())
    # A live schema lists every standard attribute too, `sub` among them (required, set by
    # Cognito itself): the attributes Cognito owns are not the configuration's to map.
    owned = set(FACTS["cognito_owned_attributes"])
    schema = tuple(
        model.SchemaEntry(
            name=entry["Name"].removeprefix("custom:"),
            mutable=bool(entry.get("Mutable", True)),
            required=bool(entry.get("Required", False)),
        )
        for entry in config.pool.get("SchemaAttributes", [])
        if entry["Name"] not in owned
    )
    subjects = (
        {name: p.subject_attribute for name, p in config.trigger.providers.items()}
        if config.trigger is not None
        else None
    )
    pool = model.Pool(
        address=f"user pool {config.pool_id}",
        case_sensitive=config.case_sensitive,
        schema=schema,
        trigger_subjects=subjects,
        linking_trigger=_linking_trigger(config, model),
        verify_before_update=config.held_until_verified,
    )
    deployment = model.Deployment(pools=[pool])
    for name, provider in config.providers.items():
        deployment.providers.append(
            model.IdentityProvider(
                address=f"identity provider {name}",
                provider_name=name,
                provider_type=provider["ProviderType"],
                mapping=dict(provider.get("AttributeMapping") or {}),
                pool=pool,
                issuer=(provider.get("ProviderDetails") or {}).get("oidc_issuer"),
            )
        )
    for client in config.clients:
        writes = client.get("WriteAttributes")
        deployment.clients.append(
            model.AppClient(
                address=f"app client {client.get('ClientName', client['ClientId'])}",
                write_attributes=tuple(writes) if writes is not None else None,
                supported_providers=tuple(client.get("SupportedIdentityProviders") or ()),
                pool=pool,
            )
        )
    for index, (principal, source_arn) in enumerate(config.permissions):
        if principal == COGNITO_PRINCIPAL:
            deployment.permissions.append(
                model.LambdaPermission(
                    address=f"pre sign-up function permission {index}",
                    principal=principal,
                    source_arn=source_arn,
                )
            )
    return [
        {
            "rule": verdict.rule_id,
            "resource": verdict.address,
            "result": verdict.result,
            "messages": list(verdict.messages),
        }
        for verdict in verdicts.judge(deployment)
    ]


def _linking_trigger(config: LiveConfig, model: Any) -> Any:
    """The pool's linking triggers as the rules' model takes them: named, None when the pool
    runs none, Unknown when a trigger's configuration could not be read. Configuration given
    with --identity-providers is the operator saying the pool runs (or will run) them."""
    if config.linking_function is not None:
        return config.linking_function
    if config.trigger is not None and config.trigger_source == "--identity-providers":
        return "the triggers configured by --identity-providers"
    if config.linking_unknown is not None:
        return model.Unknown(
            f"{config.linking_unknown}; pass --identity-providers if the pool runs this "
            "project's triggers"
        )
    return None


# Google's own address domains, which are never a Google Workspace's: an account at one is a
# consumer account whatever its stored hosted domain says (facts table
# `consumer_email_domains`, FACTS §20).
CONSUMER_EMAIL_DOMAINS: dict[str, frozenset[str]] = {
    name: frozenset(domains) for name, domains in FACTS["consumer_email_domains"].items()
}
# The types that send a hosted-domain claim (Google's `hd`), and the attribute it is mapped
# into (FACTS §8, §20).
HOSTED_DOMAIN_ATTRIBUTE: dict[str, str] = {
    name: fact["hosted_domain"]["attribute"]
    for name, fact in FACTS["provider_types"].items()
    if fact.get("hosted_domain")
}


def pool_type(config: LiveConfig, provider: str) -> str | None:
    """The ProviderType of the pool's provider of that name; None when the pool has none."""
    return (config.providers.get(provider) or {}).get("ProviderType")


def type_mismatch(config: LiveConfig, provider: str, settings: Any) -> str | None:
    """Why the pre sign-up trigger refuses every sign-in through this provider because the
    triggers' configuration gives it another type than the pool's provider has
    (`provider_type_mismatch`: trust given to one kind of provider is not lent to another,
    FACTS §8); None when the types agree or the pool has no such provider."""
    actual = pool_type(config, provider)
    if actual is None or actual == settings.type:
        return None
    return (
        f"IDENTITY_PROVIDERS gives {provider} type {settings.type}, but the pool's provider "
        f"{provider} is of type {actual}, so the trigger refuses its sign-ins "
        "(provider_type_mismatch)"
    )


def hosted_domain_type(config: LiveConfig, provider: str, provider_type: str) -> str | None:
    """The type whose hosted-domain claim a provider's sign-ins carry: its own type when it
    has one (Google), or for an OIDC provider whose issuer is a social type's (facts table
    `oidc_issuer_social_type`: Google set up as OIDC sends the same `hd`, FACTS §20) that
    type; None for any other provider."""
    if provider_type in HOSTED_DOMAIN_ATTRIBUTE:
        return provider_type
    if provider_type != "OIDC":
        return None
    details = (config.providers.get(provider) or {}).get("ProviderDetails") or {}
    issuer = str(details.get("oidc_issuer") or "").lower()
    for prefix, social in (FACTS.get("oidc_issuer_social_type") or {}).items():
        if issuer.startswith(prefix.lower()) and social in HOSTED_DOMAIN_ATTRIBUTE:
            return str(social)
    return None


def hosted_domain_doubt(config: LiveConfig, provider: str, settings: Any, email: str) -> str | None:
    """Why a stored user of this provider may be a Workspace account of an unlisted domain
    although its stored attributes do not say so; None when it cannot be one.

    The trigger reads the hosted domain from the sign-in's own claims; a stored user only
    has the attribute they were mapped into, which its own user may rewrite (every mapped
    attribute is writable by the app clients, FACTS §4) and which users created before the
    claim was mapped lack. So only the email's domain decides here: Google's own consumer
    domains are never a Workspace's, and a domain in the provider's email_domains is linked
    even as a Workspace's (FACTS §8)."""
    kind = hosted_domain_type(config, provider, pool_type(config, provider) or settings.type)
    if kind is None:
        return None
    domain = ascii_case.ascii_lower(email.rpartition("@")[2])
    if domain in CONSUMER_EMAIL_DOMAINS.get(kind, frozenset()):
        return None
    if settings.email_domains is not None and settings.vouches_for_domain(domain):
        return None
    via = "" if kind == settings.type else f" (an OIDC provider at {kind}'s issuer)"
    return (
        f"{domain} is neither a {kind} consumer domain nor in the email_domains of "
        f"{provider}{via}, so {email} may be the {kind} Workspace account of whoever holds "
        f"{domain} now, which the trigger refuses; the stored {HOSTED_DOMAIN_ATTRIBUTE[kind]} "
        "cannot tell (a user may rewrite it, and users created before it was mapped lack it; "
        "FACTS §4, §20)"
    )


__all__ = ["LiveConfig", "PoolCallError", "judge", "read_config"]
