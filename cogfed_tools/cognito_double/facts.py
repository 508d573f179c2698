"""The Cognito facts the double imitates, read from the project's one facts table.

`lambda_src/cognito_facts.json` of this repository (docs/FACTS.md gives the sources). The
double reads the file itself rather than importing the triggers' `cognito_facts` module, so
that it keeps imitating today's Cognito when another copy of the triggers is under test
(`FUZZ_LAMBDA_SRC`, `TRIGGERS_LAMBDA_SRC`).
"""

from __future__ import annotations

import json
from typing import Any

from .api_calls import LAMBDA_SRC

TABLE: dict[str, Any] = json.loads((LAMBDA_SRC / "cognito_facts.json").read_text(encoding="utf-8"))
_TYPES: dict[str, Any] = TABLE["provider_types"]

# Provider types that send an email_verified claim, so it is mapped by default (FACTS §4).
SENDS_EMAIL_VERIFIED = frozenset(t for t, fact in _TYPES.items() if fact["sends_email_verified"])
# Type -> {"claim": ..., "attribute": ...}: Google's `hd` into custom:google_hd (FACTS §8, §20).
HOSTED_DOMAIN: dict[str, dict[str, str]] = {
    t: dict(fact["hosted_domain"]) for t, fact in _TYPES.items() if fact["hosted_domain"]
}
# OIDC issuer prefix -> the claim that says whether the email is verified (FACTS §8, §20).
EMAIL_VERIFIED_CLAIM_BY_ISSUER: dict[str, str] = dict(TABLE["email_verified_claim_by_issuer"])
# Readable, never writable by an app client (FACTS §4).
NEVER_CLIENT_WRITABLE = frozenset(TABLE["never_client_writable"])
# What a client that lists no WriteAttributes may write (FACTS §4).
STANDARD_ATTRIBUTES = frozenset(TABLE["standard_attributes"])


def email_verified_claim(issuer: str | None) -> str | None:
    """The claim an OIDC issuer's email_verified comes from, when it is not `email_verified`."""
    if not issuer:
        return None
    return next(
        (
            claim
            for prefix, claim in EMAIL_VERIFIED_CLAIM_BY_ISSUER.items()
            if issuer.startswith(prefix)
        ),
        None,
    )
