"""CKV2_COGFED_1: in a case-insensitive pool, IdPs other than Google and Facebook map their
subject into a custom attribute.

FACTS.md §3 "Case sensitivity": the trigger sees the subject lower-cased in userName, so a link
made from it never matches a mixed-case subject; the exact-case value must come from a mapped
custom attribute.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, judge_provider
from cogfed_verdicts import subject_in_custom_attribute


class IdpSubjectInCustomAttribute(CogfedResourceCheck):
    rule_id = "CKV2_COGFED_1"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        judge_provider(
            subject_in_custom_attribute, self.rule_id, view, keys, conf, out, needs_pool=True
        )


IdpSubjectInCustomAttribute()
