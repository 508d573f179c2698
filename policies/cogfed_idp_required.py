"""CKV2_COGFED_3: every IdP maps every attribute the pool marks required.

FACTS.md §4 "Attribute mapping": required pool attributes must be mapped by every IdP.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, judge_provider
from cogfed_verdicts import maps_required_attributes


class IdpMapsRequiredAttributes(CogfedResourceCheck):
    rule_id = "CKV2_COGFED_3"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        judge_provider(
            maps_required_attributes, self.rule_id, view, keys, conf, out, needs_pool=True
        )


IdpMapsRequiredAttributes()
