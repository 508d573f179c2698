"""CKV2_COGFED_6: in a user pool wired to the linking triggers, a Google identity provider
maps its hosted-domain claim into the attribute the pre sign-up trigger reads.

FACTS.md §8, §20: unmapped, the trigger takes every Google Workspace account for a consumer
one and links it on the verified claim alone, whatever the Workspace domain.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, judge_provider
from cogfed_verdicts import maps_hosted_domain


class IdpMapsHostedDomain(CogfedResourceCheck):
    rule_id = "CKV2_COGFED_6"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        judge_provider(maps_hosted_domain, self.rule_id, view, keys, conf, out, needs_pool=True)


IdpMapsHostedDomain()
