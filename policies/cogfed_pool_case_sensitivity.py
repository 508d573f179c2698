"""CKV_COGFED_1: a user pool sets username_configuration.case_sensitive explicitly.

FACTS.md §3 "Case sensitivity": fixed at creation, API default true, console default false.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import UNSEEN, CogfedResourceCheck, GraphView, Outcome, attr, short, to_bool


class PoolCaseSensitivityExplicit(CogfedResourceCheck):
    rule_id = "CKV_COGFED_1"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        username = attr(conf, "username_configuration")
        if not isinstance(username, dict) or "case_sensitive" not in username:
            out.violate(
                "username_configuration.case_sensitive is not set, so the pool gets the API "
                "default (case-sensitive) and changing it later replaces the pool"
            )
            return
        value = to_bool(username["case_sensitive"])
        missing = (
            view.unresolved_inputs(keys[0], ["username_configuration"]) if view and keys else []
        )
        if value == UNSEEN or missing:
            reason = "; ".join(missing) if missing else short(username["case_sensitive"])
            out.cannot_see(
                f"the value of case_sensitive ({reason}); a null value means the API default"
            )
        elif value is None:
            out.violate("case_sensitive is null, so the pool gets the API default")


PoolCaseSensitivityExplicit()
