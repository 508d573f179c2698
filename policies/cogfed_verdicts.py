"""The rules of the policy gate, as pure functions over the resolved model (``cogfed_model``).

No checkov import: the plan adapter (``cogfed-gate --plan``) and the static checkov checks
call the same functions, so a configuration gets the same verdict and the same words from
both wherever both can see the values. The catalogue (IDs, names, fixes) is ``cogfed_rules``;
why each rule exists is in its ``why`` there and in docs/policy-gate.md.

A verdict is PASSED, FAILED (a value breaks the rule; the message names it), or UNKNOWN (an
input the rule needs is not known; the message names which and why). The gate blocks on
UNKNOWN as on FAILED: passing what it has not seen is the silent failure it exists to stop.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from cogfed_model import (
    AppClient,
    Deployment,
    IdentityProvider,
    LambdaPermission,
    Location,
    Pool,
    SchemaEntry,
    Unknown,
    is_unknown,
)
from cogfed_rules import (
    CASE_SAFE_PROVIDER_TYPES,
    EMAIL_VERIFIED_PROVIDER_TYPES,
    HOSTED_DOMAIN,
    NEVER_WRITABLE,
    OIDC_ISSUER_SOCIAL_TYPE,
    STANDARD_ATTRIBUTES,
    SUBJECT_CLAIMS,
    social_type_of_issuer,
)

PASSED, FAILED, UNKNOWN = "PASSED", "FAILED", "UNKNOWN"
COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"


@dataclass
class Verdict:
    rule_id: str
    address: str
    location: Location | None
    violations: list[str] = field(default_factory=list)
    unknowns: list[tuple[str, str]] = field(default_factory=list)  # (what, why)

    @property
    def result(self) -> str:
        if self.violations:
            return FAILED
        return UNKNOWN if self.unknowns else PASSED

    def violate(self, text: str) -> None:
        if text not in self.violations:
            self.violations.append(text)

    def cannot_decide(self, what: str, why: Unknown | str) -> None:
        entry = (what, str(why))
        if entry not in self.unknowns:
            self.unknowns.append(entry)

    @property
    def messages(self) -> list[str]:
        return self.violations + [f"cannot decide {what}: {why}" for what, why in self.unknowns]


# --------------------------------------------------------------------------------------------
# Pools


def pool_sets_case_sensitivity(pool: Pool, verdict: Verdict) -> None:
    """CKV_COGFED_1."""
    if pool.case_sensitive is None:
        verdict.violate(
            "username_configuration.case_sensitive is not set, so the pool gets the API "
            "default (case-sensitive) and changing it later replaces the pool"
        )
    elif is_unknown(pool.case_sensitive):
        verdict.cannot_decide("username_configuration.case_sensitive", pool.case_sensitive)


HOLD_EMAIL_CHANGES = (
    'user_attribute_update_settings { attributes_require_verification_before_update = ["email"] }'
)


def pool_holds_email_changes(pool: Pool, verdict: Verdict) -> None:
    """CKV2_COGFED_5: a pool running the linking triggers holds email changes back until
    verified (FACTS.md §8, §20)."""
    held = pool.verify_before_update
    if held is not None and not is_unknown(held) and "email" in held:
        return
    trigger = pool.linking_trigger
    if trigger is None:
        return  # not wired to the linking triggers (as far as the adapter can see)
    if is_unknown(trigger):
        verdict.cannot_decide(
            "whether the pool runs the linking triggers (a pre sign-up or pre token generation "
            "function with IDENTITY_PROVIDERS), which would require it to hold email changes",
            trigger,
        )
        return
    if is_unknown(held):
        verdict.cannot_decide(
            "user_attribute_update_settings.attributes_require_verification_before_update", held
        )
        return
    verdict.violate(
        f"{pool.address} runs the linking triggers ({trigger}) but stores a user's own email "
        "change at once, unverified: a user can make an address she merely typed look verified "
        "(the pre token generation trigger restores email_verified) and be handed the account "
        "of whoever signs in with it, so the trigger restores nothing in this pool "
        f"(FACTS.md §8, §20); add `{HOLD_EMAIL_CHANGES}`"
    )


# --------------------------------------------------------------------------------------------
# Identity providers


def _pool_of(idp: IdentityProvider | AppClient, verdict: Verdict) -> Pool | None:
    if is_unknown(idp.pool):
        verdict.cannot_decide("which user pool it belongs to", idp.pool)
        return None
    return idp.pool


def _schema_of(
    idp: IdentityProvider, verdict: Verdict
) -> tuple[Pool | None, tuple[SchemaEntry, ...] | None]:
    pool = _pool_of(idp, verdict)
    if pool is None:
        return None, None
    if is_unknown(pool.schema):
        verdict.cannot_decide(f"the schema of {pool.address}", pool.schema)
        return pool, None
    return pool, pool.schema


def _mapping(idp: IdentityProvider, verdict: Verdict) -> dict[str, Any] | None:
    if is_unknown(idp.mapping):
        verdict.cannot_decide("attribute_mapping", idp.mapping)
        return None
    return idp.mapping or {}


def _provider_type(idp: IdentityProvider, verdict: Verdict) -> str | None:
    if is_unknown(idp.provider_type):
        verdict.cannot_decide("provider_type", idp.provider_type)
        return None
    return idp.provider_type


def subject_in_custom_attribute(idp: IdentityProvider, verdict: Verdict) -> None:
    """CKV2_COGFED_1: in a case-insensitive pool, the subject is mapped to a custom attribute."""
    pool = idp.pool
    if not is_unknown(pool) and pool.case_sensitive in (True, None):
        return  # case-sensitive (unset means the API default; CKV_COGFED_1 flags the pool)
    provider_type = _provider_type(idp, verdict)
    if provider_type in CASE_SAFE_PROVIDER_TYPES:
        return  # numeric subjects: lower-casing changes nothing (FACTS.md §3)
    if is_unknown(pool):
        verdict.cannot_decide("which user pool it belongs to", pool)
        return
    if is_unknown(pool.case_sensitive):
        verdict.cannot_decide(f"whether {pool.address} is case-insensitive", pool.case_sensitive)
        return
    mapping = _mapping(idp, verdict)
    if mapping is None or provider_type is None:
        return
    custom = {key: claim for key, claim in mapping.items() if key.startswith("custom:")}
    if provider_type == "SAML" or SUBJECT_CLAIMS.get(provider_type, "sub") is None:
        _saml_subject(idp, pool, custom, verdict)
        return
    claim = SUBJECT_CLAIMS.get(provider_type, "sub")
    if claim not in custom.values():
        unseen = next((value for value in custom.values() if is_unknown(value)), None)
        if unseen is not None:
            verdict.cannot_decide(f"whether a custom attribute is mapped from {claim}", unseen)
            return
        verdict.violate(
            f"{pool.address} is case-insensitive and this {provider_type} provider maps no "
            f"custom attribute from its subject ({claim}); the trigger would see the subject "
            "lower-cased and fail to link"
        )


def _saml_subject(
    idp: IdentityProvider, pool: Pool, custom: dict[str, str], verdict: Verdict
) -> None:
    # The IdP sends the NameID under an attribute name of its own choosing, so the mapping's
    # source cannot be judged; its target can: the trigger must read the attribute mapped.
    subjects = pool.trigger_subjects
    if is_unknown(subjects):
        verdict.cannot_decide("which attribute the pool's trigger reads the subject from", subjects)
        return
    name = idp.provider_name
    if subjects is not None and isinstance(name, str) and name in subjects:
        wanted = subjects[name]
        if wanted is None or wanted not in custom:
            verdict.violate(
                f"{pool.address} is case-insensitive; the pre sign-up trigger reads this SAML "
                f"provider's exact-case subject from "
                f"{f'`{wanted}`' if wanted else 'userName (lower-cased)'}, which its "
                "attribute_mapping does not map"
                + (f" (it maps {', '.join(sorted(custom))})" if custom else "")
            )
        return
    if not custom:
        verdict.violate(
            f"{pool.address} is case-insensitive and this SAML provider maps no custom "
            "attribute for its NameID; the trigger would see the subject lower-cased and never "
            "link"
        )


def maps_email(idp: IdentityProvider, verdict: Verdict) -> None:
    """CKV_COGFED_2: email is mapped; Google and OIDC also map email_verified."""
    mapping = _mapping(idp, verdict)
    provider_type = _provider_type(idp, verdict)
    if mapping is None:
        return
    if "email" not in mapping:
        verdict.violate("attribute_mapping has no `email` key")
    required = provider_type in EMAIL_VERIFIED_PROVIDER_TYPES
    if "email_verified" not in mapping:
        if required:
            verdict.violate(
                f"this {provider_type} provider must map `email_verified`, otherwise every "
                "sign-in stores email_verified=false"
            )
        return
    claim = mapping["email_verified"]
    if is_unknown(claim):
        verdict.cannot_decide("the claim `email_verified` is mapped from", claim)
        return
    problem = not_a_claim(claim)
    if problem:
        verdict.violate(
            f"`email_verified` is mapped from {_shown(claim)}, which names no claim ({problem}): "
            "the value must name the provider's claim that says whether the email is verified "
            '(e.g. "email_verified")'
            + (
                "; as it is, email_verified counts as not mapped, every sign-in stores "
                "email_verified=false and the trigger never links this provider's users on "
                "its verified claim"
                if required
                else ""
            )
        )


def not_a_claim(value: Any) -> str | None:
    """Why a mapping's value names no claim (a mapping copies the claim of that name, it never
    sets a value), or None when it can be a claim's name."""
    if value is None:
        return "null"
    value = _as_text(value)
    if not isinstance(value, str):
        return None
    if not value.strip():
        return "empty" if not value else "whitespace only"
    if value != value.strip():
        return "surrounding whitespace"
    for char in value:
        # Invisible characters make a name no provider sends (a zero-width space, a BOM).
        category = unicodedata.category(char)
        if category == "Cc":
            return "a control character"
        if category == "Cf":
            return f"a format character, U+{ord(char):04X}"
        if category.startswith("C"):
            return f"an unassigned or private-use character, U+{ord(char):04X}"
    if value.lower() in ("true", "false"):
        return f"the word {value}: a mapping names a claim, it never sets a value"
    return None


def _as_text(value: Any) -> Any:
    # Terraform stores a bool in a map of strings as "true"/"false" (checkov reads a quoted
    # "true" back as a bool).
    return ("true" if value else "false") if isinstance(value, bool) else value


def _shown(value: Any) -> str:
    # JSON escapes show whitespace and control characters, which the message is about.
    return "null" if value is None else json.dumps(_as_text(value))


def maps_hosted_domain(idp: IdentityProvider, verdict: Verdict) -> None:
    """CKV2_COGFED_6: in a pool running the linking triggers, a provider whose type sends a
    hosted-domain claim (Google's), or an OIDC provider at that type's issuer (Google set up
    as OIDC sends the same claim), maps it into the attribute the trigger reads (FACTS.md
    §8, §20). Pools without those triggers are left alone: nothing there reads the
    attribute."""
    pool = idp.pool
    if not is_unknown(pool) and pool.linking_trigger is None:
        return
    provider_type = _provider_type(idp, verdict)
    if provider_type is None:
        return
    kinds = _hosted_domain_types(idp, provider_type)
    if not kinds:
        return
    mapping = _mapping(idp, verdict)
    if mapping is None:
        return
    for kind, described, issuer_unknown in kinds:
        claim, attribute = HOSTED_DOMAIN[kind]
        source = mapping.get(attribute)
        if source == claim:
            continue
        if is_unknown(source):
            verdict.cannot_decide(f"the claim `{attribute}` is mapped from", source)
        elif issuer_unknown is not None:
            verdict.cannot_decide(
                f"whether this OIDC provider is {kind} under another name (an oidc_issuer "
                f'beginning with {kind}\'s needs `"{attribute}" = "{claim}"`)',
                issuer_unknown,
            )
        elif is_unknown(pool):
            verdict.cannot_decide(
                f"which user pool it belongs to (one running the linking triggers needs "
                f'`"{attribute}" = "{claim}"`)',
                pool,
            )
        elif is_unknown(pool.linking_trigger):
            verdict.cannot_decide(
                f"whether {pool.address} runs the linking triggers (then this provider must "
                f'map `"{attribute}" = "{claim}"`)',
                pool.linking_trigger,
            )
        else:
            mapped = (
                f"maps `{attribute}` from {_shown(source)}, not from {kind}'s `{claim}` claim"
                if attribute in mapping
                else f"does not map `{attribute}` from {kind}'s `{claim}` claim"
            )
            verdict.violate(
                f"{pool.address} runs the linking triggers ({pool.linking_trigger}) and this "
                f"{described} {mapped}: the pre sign-up trigger then takes every Workspace "
                "account for a consumer one and links it on the verified claim alone, whatever "
                f'its domain (FACTS.md §8, §20); add `"{attribute}" = "{claim}"` to '
                f"attribute_mapping and declare `{attribute.removeprefix('custom:')}` "
                "(mutable) in the pool schema"
            )


def _hosted_domain_types(
    idp: IdentityProvider, provider_type: str
) -> list[tuple[str, str, Unknown | None]]:
    """(type, how to name the provider, why the issuer is unknown) for each type with a
    hosted-domain claim the provider may be: its own type, or for an OIDC provider the
    social type its issuer belongs to (facts table `oidc_issuer_social_type`, FACTS.md §20);
    while that issuer is unknown, every such type it could belong to."""
    if provider_type != "OIDC":
        found = [(provider_type, f"{provider_type} provider", None)]
    elif isinstance(idp.issuer, str):
        social = social_type_of_issuer(idp.issuer)
        found = (
            [(social, f"OIDC provider at {social}'s issuer ({idp.issuer})", None)] if social else []
        )
    elif is_unknown(idp.issuer):
        found = [
            (kind, f"OIDC provider (at {kind}'s issuer?)", idp.issuer)
            for kind in sorted(set(OIDC_ISSUER_SOCIAL_TYPE.values()))
        ]
    else:
        found = []
    return [entry for entry in found if entry[0] in HOSTED_DOMAIN]


def mapped_attributes_in_schema(idp: IdentityProvider, verdict: Verdict) -> None:
    """CKV2_COGFED_2: mapped custom attributes are declared; mapped attributes are mutable."""
    mapping = _mapping(idp, verdict)
    if not mapping:
        return
    pool, schema = _schema_of(idp, verdict)
    if pool is None or schema is None:
        return
    entries = {entry.name: entry for entry in schema}
    for key in sorted(mapping):
        custom = key.startswith("custom:")
        name = key.removeprefix("custom:")
        entry = entries.get(name)
        if entry is None:
            if custom and pool.schema_incomplete is not None:
                verdict.cannot_decide(
                    f"whether {pool.address} declares `{name}`", pool.schema_incomplete
                )
            elif custom:
                verdict.violate(
                    f"`{key}` is mapped but {pool.address} declares no schema entry "
                    f'`name = "{name}"`'
                )
            continue
        if is_unknown(entry.mutable):
            verdict.cannot_decide(f"whether schema entry `{name}` is mutable", entry.mutable)
        elif entry.mutable is False:
            verdict.violate(f"`{key}` is mapped but schema entry `{name}` is immutable")
        elif entry.mutable is None and custom:
            verdict.violate(
                f"`{key}` is mapped but schema entry `{name}` of {pool.address} does not set "
                "`mutable = true`"
            )


def no_custom_standard_name(idp: IdentityProvider, verdict: Verdict) -> None:
    """CKV_COGFED_3: no mapping to custom:<standard attribute name>."""
    mapping = _mapping(idp, verdict)
    for key in sorted(mapping or {}):
        name = key.removeprefix("custom:")
        if key.startswith("custom:") and name in STANDARD_ATTRIBUTES:
            verdict.violate(
                f"`{key}` reuses the standard attribute name `{name}`: a schema entry "
                f'`name = "{name}"` edits the standard attribute, so `{key}` never exists'
            )


def maps_required_attributes(idp: IdentityProvider, verdict: Verdict) -> None:
    """CKV2_COGFED_3: every attribute the pool marks required is mapped."""
    pool, schema = _schema_of(idp, verdict)
    if pool is None or schema is None:
        return
    required: list[str] = []
    for entry in schema:
        if is_unknown(entry.required):
            verdict.cannot_decide(f"whether {pool.address} requires `{entry.name}`", entry.required)
        elif entry.required is True:
            required.append(entry.name)
    if pool.schema_incomplete is not None:
        verdict.cannot_decide(
            f"whether {pool.address} requires more attributes", pool.schema_incomplete
        )
    if not required:
        return
    mapping = _mapping(idp, verdict)
    if mapping is None:
        return
    for name in sorted(required):
        key = name if name in STANDARD_ATTRIBUTES else f"custom:{name}"
        if key not in mapping:
            verdict.violate(
                f"{pool.address} marks `{name}` required but attribute_mapping has no `{key}`"
            )


# --------------------------------------------------------------------------------------------
# App clients


def client_writes_mapped_attributes(
    client: AppClient, deployment: Deployment, verdict: Verdict
) -> None:
    """CKV2_COGFED_4."""
    write = client.write_attributes
    if is_unknown(write):
        # The list matters only where a provider this client supports maps an attribute:
        # judged as if it were empty, a client whose known providers map nothing (a pool with
        # no identity provider) passes whatever it holds. An entry no client may list is
        # refused loudly by the API at apply; an unknown list cannot show one here.
        if is_unknown(client.supported_providers):
            verdict.cannot_decide("write_attributes", write)
            return
        as_empty = Verdict(verdict.rule_id, verdict.address, verdict.location)
        client_writes_mapped_attributes(replace(client, write_attributes=()), deployment, as_empty)
        if as_empty.violations or as_empty.unknowns:
            verdict.cannot_decide("write_attributes", write)
        return
    if write is not None:
        forbidden = sorted(set(write) & NEVER_WRITABLE)
        if forbidden:
            verdict.violate(
                f"write_attributes lists {', '.join(forbidden)}, which no app client may list "
                "(the API rejects the client)"
            )
    supported = client.supported_providers
    names: set[str] | None = None
    if not is_unknown(supported):
        names = set(supported or ())
        if not names - {"COGNITO"}:
            return  # no federated provider writes through this client
    pool = _pool_of(client, verdict)
    if pool is None:
        return
    if names is not None:
        _weigh_providers(write, deployment.providers_of(pool), names, verdict)
        return
    # A client supports only providers of its own pool: when it can write what every one of
    # them maps, it can write what its own map, whatever the unreadable list holds. A
    # provider whose pool is unknown may be one of them.
    unplaced = [p for p in deployment.providers if is_unknown(p.pool)]
    if unplaced:
        verdict.cannot_decide(
            "supported_identity_providers, and which pool "
            + ", ".join(p.address for p in unplaced)
            + " belong"
            + ("s" if len(unplaced) == 1 else "")
            + " to",
            supported,
        )
        return
    widest = Verdict(verdict.rule_id, verdict.address, verdict.location)
    _weigh_providers(write, deployment.providers_of(pool), None, widest)
    verdict.unknowns += widest.unknowns
    if widest.violations:
        verdict.cannot_decide(
            "supported_identity_providers, and with every provider of the pool the client "
            "would fail (" + "; ".join(widest.violations) + ")",
            supported,
        )


def _weigh_providers(
    write: tuple[str, ...] | None,
    providers: list[IdentityProvider],
    names: set[str] | None,
    verdict: Verdict,
) -> None:
    if names is not None:
        known = {p.provider_name for p in providers if not is_unknown(p.provider_name)}
        absent = sorted(names - known - {"COGNITO"})
        if absent and len(known) == len(providers):
            verdict.cannot_decide(
                f"what {', '.join(absent)} map" + ("s" if len(absent) == 1 else ""),
                f"supported_identity_providers lists {', '.join(absent)}, which this "
                "configuration does not define in the client's pool; check it where the "
                "provider is defined",
            )
    for idp in providers:
        if names is not None:
            if is_unknown(idp.provider_name):
                verdict.cannot_decide(f"the provider_name of {idp.address}", idp.provider_name)
                continue
            if idp.provider_name not in names:
                continue
        mapping = idp.mapping
        if is_unknown(mapping):
            verdict.cannot_decide(f"the attribute_mapping of {idp.address}", mapping)
            continue
        mapped = set(mapping or {}) - NEVER_WRITABLE
        if write is None:
            custom = sorted(key for key in mapped if key.startswith("custom:"))
            if custom:
                verdict.violate(
                    f"{idp.address} maps {', '.join(custom)}; a client without "
                    "write_attributes can write standard attributes only: list every mapped "
                    "attribute in write_attributes"
                )
            continue
        lacking = sorted(mapped - set(write))
        if lacking:
            verdict.violate(
                f"{idp.address} maps {', '.join(lacking)} but write_attributes does not list "
                + ("it" if len(lacking) == 1 else "them")
            )


# --------------------------------------------------------------------------------------------
# Lambda permissions


def permission_has_source_arn(permission: LambdaPermission, verdict: Verdict) -> None:
    """CKV_COGFED_4."""
    principal = permission.principal
    if isinstance(principal, str) and principal.strip().lower() != COGNITO_PRINCIPAL:
        return  # not a Cognito trigger permission
    source_arn = permission.source_arn
    if is_unknown(source_arn):
        verdict.cannot_decide("the value of source_arn (null would mean no source_arn)", source_arn)
    elif not source_arn:
        if is_unknown(principal):
            verdict.cannot_decide(
                f"principal (if it is {COGNITO_PRINCIPAL}, source_arn is required and missing)",
                principal,
            )
        else:
            verdict.violate(
                f"principal {COGNITO_PRINCIPAL} without source_arn: any user pool in any "
                "account could invoke the function"
            )


# --------------------------------------------------------------------------------------------

PROVIDER_RULES: dict[str, Callable[[IdentityProvider, Verdict], None]] = {
    "CKV2_COGFED_1": subject_in_custom_attribute,
    "CKV_COGFED_2": maps_email,
    "CKV2_COGFED_2": mapped_attributes_in_schema,
    "CKV_COGFED_3": no_custom_standard_name,
    "CKV2_COGFED_3": maps_required_attributes,
    "CKV2_COGFED_6": maps_hosted_domain,
}

POOL_RULES: dict[str, Callable[[Pool, Verdict], None]] = {
    "CKV_COGFED_1": pool_sets_case_sensitivity,
    "CKV2_COGFED_5": pool_holds_email_changes,
}


def judge(deployment: Deployment) -> Iterator[Verdict]:
    """Every rule on every resource it applies to."""
    for pool in deployment.pools:
        for rule_id, pool_rule in POOL_RULES.items():
            verdict = Verdict(rule_id, pool.address, pool.location)
            pool_rule(pool, verdict)
            yield verdict
    for idp in deployment.providers:
        for rule_id, rule in PROVIDER_RULES.items():
            verdict = Verdict(rule_id, idp.address, idp.location)
            rule(idp, verdict)
            yield verdict
    for client in deployment.clients:
        verdict = Verdict("CKV2_COGFED_4", client.address, client.location)
        client_writes_mapped_attributes(client, deployment, verdict)
        yield verdict
    for permission in deployment.permissions:
        verdict = Verdict("CKV_COGFED_4", permission.address, permission.location)
        permission_has_source_arn(permission, verdict)
        yield verdict
