"""The resolved model the rules judge: pools, identity providers, app clients, permissions.

Plain data, no checkov import. An adapter fills it from what it can read (Terraform's plan, or
checkov's rendering of the source) and the rules (``cogfed_verdicts``) decide on it, so both
gate modes apply the same rules in the same words.

Every value is known (a Python value), absent (``None``: the argument is not set), or
``Unknown``: the adapter cannot know it, and ``Unknown.why`` says which value and why in words
a user can act on (e.g. "var.case_sensitive has no value: pass --var-file or use --plan").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeGuard, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Unknown:
    why: str
    # checkov executes every file of the checks directory as a fresh module, replacing the
    # one already imported, so this class can exist twice in one process: test the marker
    # (``is_unknown``), never ``isinstance``.
    cogfed_unknown: ClassVar[bool] = True

    def __str__(self) -> str:
        return self.why


def is_unknown(value: object) -> TypeGuard[Unknown]:
    return getattr(type(value), "cogfed_unknown", False) is True


# A value the adapter either knows, knows to be absent (None), or cannot know.
Maybe = T | None | Unknown


# A value Terraform will compute at apply: set, not null.
KNOWN_AFTER_APPLY = "(known after apply)"

# This project's linking triggers (CONTRACT §1), as both adapters find them: the lambda_config
# arguments that name a trigger running the linking code (pre sign-up; pre token generation
# under both of the provider's arguments for it), and the environment variable that marks the
# function as one.
LINKING_TRIGGERS = (
    ("pre_sign_up",),
    ("pre_token_generation",),
    ("pre_token_generation_config", "lambda_arn"),
)
LINKING_SETTING = "IDENTITY_PROVIDERS"
# user_attribute_update_settings' argument listing what a change holds back until verified.
VERIFY_BEFORE_UPDATE = "attributes_require_verification_before_update"


@dataclass(frozen=True)
class Location:
    """Where a user fixes a finding: the resource block, or the caller's module call."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class SchemaEntry:
    name: str
    mutable: Maybe[bool]
    required: Maybe[bool]


@dataclass
class Pool:
    address: str
    case_sensitive: Maybe[bool]
    schema: tuple[SchemaEntry, ...] | Unknown
    # ProviderName -> the attribute the pre sign-up trigger reads the exact-case subject from
    # (its IDENTITY_PROVIDERS environment); None when the pool has no visible trigger.
    trigger_subjects: Maybe[dict[str, str | None]] = None
    location: Location | None = None
    # Set when some schema entries could not be read (the static form): the entries listed
    # are real, but there may be more.
    schema_incomplete: Unknown | None = None
    # The pre sign-up or pre token generation function that carries IDENTITY_PROVIDERS in its
    # environment (this project's linking triggers), as the adapter names it; None when the
    # pool has no such function the adapter can see.
    linking_trigger: Maybe[str] = None
    # user_attribute_update_settings.attributes_require_verification_before_update: the
    # attributes whose change is held back until verified; None when not set.
    verify_before_update: Maybe[tuple[str, ...]] = None


@dataclass
class IdentityProvider:
    address: str
    provider_name: str | Unknown
    provider_type: str | Unknown
    # Attribute -> the claim it is mapped from; a value is None where the configuration
    # writes null (a plan shows it so), and may be a bool or number as the static form reads
    # an unquoted literal.
    mapping: Maybe[dict[str, Any]]
    # The pool it belongs to; Unknown when the pool is not in the configuration or cannot be
    # told apart from others.
    pool: Pool | Unknown
    location: Location | None = None
    # provider_details.oidc_issuer (an OIDC provider's issuer URL); None when not set.
    issuer: Maybe[str] = None


@dataclass
class AppClient:
    address: str
    write_attributes: Maybe[tuple[str, ...]]
    supported_providers: Maybe[tuple[str, ...]]
    pool: Pool | Unknown
    location: Location | None = None


@dataclass
class LambdaPermission:
    address: str
    principal: str | Unknown
    # A value known only after apply (a pool ARN not yet created) is set: the plan adapter
    # passes it as KNOWN_AFTER_APPLY. Unknown means the adapter cannot tell whether it is null.
    source_arn: Maybe[str]
    location: Location | None = None


@dataclass
class Deployment:
    pools: list[Pool] = field(default_factory=list)
    providers: list[IdentityProvider] = field(default_factory=list)
    clients: list[AppClient] = field(default_factory=list)
    permissions: list[LambdaPermission] = field(default_factory=list)

    def providers_of(self, pool: Pool) -> list[IdentityProvider]:
        return [p for p in self.providers if p.pool is pool]

    @property
    def empty(self) -> bool:
        return not (self.pools or self.providers or self.clients or self.permissions)
