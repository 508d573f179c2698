"""The catalogue of the project's checkov rules: one place for IDs, names, severities and fixes.

Plain data, no checkov import: the check modules build their metadata from it, and the gate
(``cogfed_gate.gate``) reads it to know which check IDs must load and run. checkov imports
every ``.py`` file of an external checks directory; this one registers no check, so that is
harmless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# checkov's ``--check`` pattern that selects exactly these rules (CONTRACT.md §2).
CHECK_PATTERN = "CKV*_COGFED_*"

IDP = "aws_cognito_identity_provider"
POOL = "aws_cognito_user_pool"
CLIENT = "aws_cognito_user_pool_client"
PERMISSION = "aws_lambda_permission"
MODULE = "module"


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str  # one of checkov's severities: LOW, MEDIUM, HIGH, CRITICAL
    entity: str  # the resource type (or "module") whose results carry the rule
    why: str
    fix: str


# The Cognito standard attributes (OIDC standard claims as Cognito names them). A schema entry
# with one of these names edits the standard attribute, never creates custom:<name>
# (FACTS.md §3; API reference CreateUserPool.Schema).


def _read_facts() -> dict[str, Any]:
    """The Cognito facts the rules use (FACTS.md §1, §3, §4): lambda_src/cognito_facts.json,
    the one place they are written. Beside this file as cognito_facts.table: the file itself
    in an installed gate, a link in a checkout (not .json: checkov would load that as a
    policy). A checkout without symbolic links holds the link's target as text; then the
    checkout's own lambda_src/ is read."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here / "cognito_facts.table",
        here.parent / "lambda_src" / "cognito_facts.json",
    ):
        try:
            facts = json.loads(candidate.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(facts, dict) and "provider_types" in facts:
            return facts
    raise RuntimeError(
        f"cannot read the Cognito facts table ({here / 'cognito_facts.table'}): reinstall the "
        "gate, or in a checkout without symbolic links copy lambda_src/cognito_facts.json there"
    )


FACTS = _read_facts()
STANDARD_ATTRIBUTES = frozenset(FACTS["standard_attributes"])
# Attributes an app client can never list in write_attributes; mapping them needs no write
# access.
NEVER_WRITABLE = frozenset(FACTS["never_client_writable"])
# The claim that carries each provider type's subject; SAML has none of fixed name: the IdP
# must send the NameID as an attribute of its own choosing.
SUBJECT_CLAIMS: dict[str, str | None] = {
    name: fact["subject_claim"] for name, fact in FACTS["provider_types"].items()
}
# Providers whose subjects are digits, so a lower-cased userName still matches.
CASE_SAFE_PROVIDER_TYPES = frozenset(
    name for name, fact in FACTS["provider_types"].items() if fact["subject_case_safe"]
)

# The providers CONTRACT §2 requires to map email_verified: a rule, not a fact (Sign in with
# Apple sends it too, and the module maps it, but the contract's rule names these two).
EMAIL_VERIFIED_PROVIDER_TYPES = frozenset({"Google", "OIDC"})

# Where the pool must receive a provider type's hosted-domain claim (Google's `hd`) for the
# pre sign-up trigger to tell a Workspace account from a consumer one (FACTS.md §8, §20):
# type -> (the claim, the attribute it is mapped into).
HOSTED_DOMAIN: dict[str, tuple[str, str]] = {
    name: (fact["hosted_domain"]["claim"], fact["hosted_domain"]["attribute"])
    for name, fact in FACTS["provider_types"].items()
    if fact.get("hosted_domain")
}


# An OIDC provider whose issuer begins with one of these is that social type under another
# name (Google set up as OIDC sends the same ID token, `hd` included; FACTS.md §20): issuer
# prefix -> type.
OIDC_ISSUER_SOCIAL_TYPE: dict[str, str] = dict(FACTS.get("oidc_issuer_social_type") or {})


def social_type_of_issuer(issuer: str) -> str | None:
    """The social type an OIDC issuer belongs to, compared as the module compares it (the
    issuer lower-cased begins with the prefix); None for any other issuer."""
    lowered = issuer.lower()
    return next(
        (
            kind
            for prefix, kind in OIDC_ISSUER_SOCIAL_TYPE.items()
            if lowered.startswith(prefix.lower())
        ),
        None,
    )


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            id="CKV_COGFED_1",
            name="Cognito user pool sets username_configuration.case_sensitive explicitly",
            severity="HIGH",
            entity=POOL,
            why=(
                "The setting is fixed at creation and the API default (case-sensitive) differs "
                "from the console's (case-insensitive); changing it later replaces the pool and "
                "its users (FACTS.md §3)."
            ),
            fix=(
                "Add `username_configuration { case_sensitive = true|false }` with a value "
                "checkov can see (a literal, a variable with a default or tfvars)."
            ),
        ),
        Rule(
            id="CKV2_COGFED_1",
            name=(
                "In a case-insensitive user pool, every identity provider other than Google and "
                "Facebook maps its subject into a custom attribute"
            ),
            severity="HIGH",
            entity=IDP,
            why=(
                "A case-insensitive pool lower-cases the subject in userName, so a link made from "
                "it never matches a mixed-case subject and Cognito creates a second, unlinked "
                "user (FACTS.md §3)."
            ),
            fix=(
                'Map the subject claim into a mutable custom attribute, e.g. `"custom:idp_sub" = '
                '"sub"` (OIDC, SignInWithApple), `"user_id"` (LoginWithAmazon) or the SAML '
                "attribute that carries the NameID; or make the pool case-sensitive."
            ),
        ),
        Rule(
            id="CKV_COGFED_2",
            name=(
                "Identity provider maps email; Google and OIDC providers also map email_verified"
            ),
            severity="HIGH",
            entity=IDP,
            why=(
                "Linking needs the IdP's email; mapping email without email_verified makes Cognito "
                "store email_verified=false on every federated sign-in, for the linked native user "
                "too, which breaks forgot-password (FACTS.md §4). A mapping names the claim to "
                "copy: an email_verified value that is empty, padded, or the word true or false "
                "names no claim, so it maps nothing and the trigger never links a provider that "
                "is trusted on its verified claim."
            ),
            fix=(
                'Add `email = "<IdP email claim>"` to attribute_mapping and, for Google and OIDC, '
                '`email_verified = "email_verified"`: the value names the provider\'s claim '
                '(never "", "true" or "false", nor a name with surrounding whitespace).'
            ),
        ),
        Rule(
            id="CKV2_COGFED_2",
            name=(
                "Every attribute an identity provider maps is mutable in the pool schema; custom "
                "attributes are declared there"
            ),
            severity="HIGH",
            entity=IDP,
            why=(
                "Cognito rewrites mapped attributes on every sign-in: an undeclared custom "
                'attribute fails with "Type for attribute {custom:x} could not be determined" and '
                "an immutable one fails the sign-in (FACTS.md §4)."
            ),
            fix=(
                'Declare `schema { name = "<x>" attribute_data_type = "String" mutable = true }` '
                "in the pool for every mapped `custom:<x>`, and never set `mutable = false` on a "
                "mapped attribute."
            ),
        ),
        Rule(
            id="CKV_COGFED_3",
            name="Identity provider never maps to custom:<standard attribute name>",
            severity="HIGH",
            entity=IDP,
            why=(
                "Through the API (and so Terraform) a schema entry named like a standard "
                "attribute (sub, email, name, …) modifies that standard attribute instead of "
                "creating a custom one, so custom:<standard name> never exists (FACTS.md §3)."
            ),
            fix=(
                "Give the custom attribute a name of its own, e.g. schema `idp_sub` mapped as "
                "`custom:idp_sub`."
            ),
        ),
        Rule(
            id="CKV2_COGFED_3",
            name="Every identity provider maps every attribute the pool marks required",
            severity="HIGH",
            entity=IDP,
            why=(
                "A federated sign-in fails when a required pool attribute has no mapping "
                "(FACTS.md §4)."
            ),
            fix=(
                "Add a mapping for each schema entry with `required = true` to every identity "
                "provider of the pool, or stop marking it required (only possible for a new pool)."
            ),
        ),
        Rule(
            id="CKV2_COGFED_4",
            name=(
                "App client write_attributes include every attribute the pool's identity "
                "providers map"
            ),
            severity="HIGH",
            entity=CLIENT,
            why=(
                "Cognito writes mapped attributes through the app client on each federated "
                "sign-in; one missing from write_attributes fails the sign-in. email_verified, "
                "phone_number_verified and username can never be listed (FACTS.md §4)."
            ),
            fix=(
                "Add every mapped attribute except email_verified, phone_number_verified and "
                "username to write_attributes, or omit write_attributes."
            ),
        ),
        Rule(
            id="CKV_COGFED_4",
            name="Lambda permission for cognito-idp.amazonaws.com sets source_arn",
            severity="HIGH",
            entity=PERMISSION,
            why=(
                "Without source_arn any user pool, in any account, can invoke the trigger "
                "function (confused deputy)."
            ),
            fix="Set `source_arn = aws_cognito_user_pool.<name>.arn` (or the pool ARN output).",
        ),
        Rule(
            id="CKV2_COGFED_5",
            name=(
                "A user pool wired to the linking triggers holds email changes back until they "
                "are verified"
            ),
            severity="HIGH",
            entity=POOL,
            why=(
                "A pool whose pre sign-up or pre token generation function carries "
                "IDENTITY_PROVIDERS runs this project's linking triggers. Without "
                "user_attribute_update_settings holding email, a user's own email change is "
                "stored at once, unverified, so a stored address may be one the user merely "
                "typed: restoring email_verified for it would let her make it look verified and "
                "be handed the account of whoever signs in with it; the pre token generation "
                "trigger therefore restores nothing in such a pool (FACTS.md §8, §20)."
            ),
            fix=(
                "Add `user_attribute_update_settings { "
                'attributes_require_verification_before_update = ["email"] }` to the pool '
                "(with email in auto_verified_attributes)."
            ),
        ),
        Rule(
            id="CKV2_COGFED_6",
            name=(
                "In a user pool wired to the linking triggers, a Google identity provider (or an "
                "OIDC provider at Google's issuer) maps its hosted-domain claim"
            ),
            severity="HIGH",
            entity=IDP,
            why=(
                "The pre sign-up trigger reads Google's hosted-domain claim (the Workspace "
                "domain of the account) from the attribute it is mapped into, and links a "
                "Workspace account only for a domain listed in the provider's email_domains. "
                "Unmapped, every Workspace account looks like a consumer one and is linked on "
                "Google's verified claim alone, although whoever holds a Workspace domain (an "
                "expired company domain registered again) can create accounts for any of its "
                "addresses (FACTS.md §8, §20). Google set up as an OIDC provider sends the same "
                "claim (FACTS.md §20)."
            ),
            fix=" ".join(
                f'Add `"{attribute}" = "{claim}"` to the attribute_mapping of the {name} provider'
                + "".join(
                    f" and of any OIDC provider whose oidc_issuer begins {prefix}"
                    for prefix, kind in sorted(OIDC_ISSUER_SOCIAL_TYPE.items())
                    if kind == name
                )
                + f', and `schema {{ name = "{attribute.removeprefix("custom:")}" '
                'attribute_data_type = "String" mutable = true }` to the pool.'
                for name, (claim, attribute) in sorted(HOSTED_DOMAIN.items())
            ),
        ),
        Rule(
            id="CKV_COGFED_5",
            name="Module call's source was scanned by checkov",
            severity="HIGH",
            entity=MODULE,
            why=(
                "checkov does not download registry or git modules unless asked, and then checks "
                "nothing inside them: the rules would pass without having looked (FACTS.md §9)."
            ),
            fix=(
                "Run checkov (or cogfed-gate) with `--download-external-modules true`, or vendor "
                "the module into the repository and call it by a local path; if the module holds "
                "no Cognito resources, suppress with `#checkov:skip=CKV_COGFED_5:<reason>`."
            ),
        ),
    )
}
