"""CKV_COGFED_1: a user pool sets username_configuration.case_sensitive explicitly.

FACTS.md §3 "Case sensitivity": fixed at creation, API default true, console default false.
"""

from __future__ import annotations

from typing import Any

import cogfed_model as model
from cogfed_lib import UNSEEN, CogfedResourceCheck, GraphView, Outcome, attr, record, short, to_bool
from cogfed_verdicts import Verdict, pool_sets_case_sensitivity


class PoolCaseSensitivityExplicit(CogfedResourceCheck):
    rule_id = "CKV_COGFED_1"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        username = attr(conf, "username_configuration")
        case_sensitive: Any = None
        if isinstance(username, dict) and "case_sensitive" in username:
            case_sensitive = to_bool(username["case_sensitive"])
            missing = (
                view.unresolved_inputs(keys[0], ["username_configuration"]) if view and keys else []
            )
            if case_sensitive == UNSEEN or missing:
                reason = "; ".join(missing) if missing else short(username["case_sensitive"])
                case_sensitive = model.Unknown(f"{reason}; a null value means the API default")
        address = str(attr(conf, "__address__", "?"))
        verdict = Verdict(self.rule_id, address, None)
        pool_sets_case_sensitivity(model.Pool(address, case_sensitive, ()), verdict)
        record(verdict, out)


PoolCaseSensitivityExplicit()
