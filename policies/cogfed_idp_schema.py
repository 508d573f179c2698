"""CKV2_COGFED_2: attributes an IdP maps are mutable in the pool schema; custom ones declared.

FACTS.md §4 "Attribute mapping": every mapped attribute must be mutable; a mapped custom
attribute must be declared or sign-in fails ("Type for attribute {custom:x} could not be
determined").
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, judge_provider
from cogfed_verdicts import mapped_attributes_in_schema


class IdpMappedAttributesInSchema(CogfedResourceCheck):
    rule_id = "CKV2_COGFED_2"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        judge_provider(
            mapped_attributes_in_schema, self.rule_id, view, keys, conf, out, needs_pool=True
        )


IdpMappedAttributesInSchema()
