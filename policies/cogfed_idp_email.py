"""CKV_COGFED_2: every identity provider maps email; Google and OIDC also map email_verified.

FACTS.md §4 "Attribute mapping": mapping email without email_verified stores
email_verified=false on each federated sign-in, for the linked native user too.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, read_idp
from cogfed_rules import EMAIL_VERIFIED_PROVIDER_TYPES


class IdpMapsEmail(CogfedResourceCheck):
    rule_id = "CKV_COGFED_2"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        idp = read_idp(view, keys[0] if keys else None, conf, out)
        if idp.mapping is None:
            return
        if "email" not in idp.mapping:
            out.violate("attribute_mapping has no `email` key")
        if (
            idp.provider_type in EMAIL_VERIFIED_PROVIDER_TYPES
            and "email_verified" not in idp.mapping
        ):
            out.violate(
                f"this {idp.provider_type} provider must map `email_verified`, otherwise every "
                "sign-in stores email_verified=false"
            )


IdpMapsEmail()
