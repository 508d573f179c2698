"""CKV2_COGFED_5: a user pool wired to the linking triggers holds email changes back until
they are verified.

FACTS.md §8, §20: without user_attribute_update_settings holding email, a user's own email
change is stored at once, unverified, so a stored address may be one the user merely typed;
the pre token generation trigger then restores email_verified for nobody in that pool.
"""

from __future__ import annotations

from typing import Any

import cogfed_model as model
from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, attr, model_pool, read_pool, record
from cogfed_verdicts import Verdict, pool_holds_email_changes


class PoolHoldsEmailChanges(CogfedResourceCheck):
    rule_id = "CKV2_COGFED_5"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        address = str(attr(conf, "__address__", "?"))
        if view is None or not keys:
            blind = model.Unknown(
                "checkov gave the check no resource graph, so the pool's trigger functions are "
                "unknown (run checkov with its default graph settings)"
            )
            pools = [model.Pool(address, None, (), linking_trigger=blind)]
        else:
            # One vertex per module instance holding this block (several roots).
            pools = [model_pool(read_pool(view, key)) for key in keys]
        for pool in pools:
            verdict = Verdict(self.rule_id, address, None)
            pool_holds_email_changes(pool, verdict)
            record(verdict, out)


PoolHoldsEmailChanges()
