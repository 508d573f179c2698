"""CKV_COGFED_3: no identity provider maps to custom:<standard attribute name>.

FACTS.md §3 "Case sensitivity": a schema entry named like a standard attribute modifies the
standard attribute, so custom:sub (custom:email, ...) never exists through the API.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, judge_provider
from cogfed_verdicts import no_custom_standard_name


class IdpCustomNotStandardName(CogfedResourceCheck):
    rule_id = "CKV_COGFED_3"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        judge_provider(
            no_custom_standard_name, self.rule_id, view, keys, conf, out, needs_pool=False
        )


IdpCustomNotStandardName()
