"""CKV_COGFED_2: every identity provider maps email; Google and OIDC also map email_verified.

FACTS.md §4 "Attribute mapping": mapping email without email_verified stores
email_verified=false on each federated sign-in, for the linked native user too.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, judge_provider
from cogfed_verdicts import maps_email


class IdpMapsEmail(CogfedResourceCheck):
    rule_id = "CKV_COGFED_2"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        judge_provider(maps_email, self.rule_id, view, keys, conf, out, needs_pool=False)


IdpMapsEmail()
