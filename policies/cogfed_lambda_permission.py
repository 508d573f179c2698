"""CKV_COGFED_4: a Lambda permission for cognito-idp.amazonaws.com sets source_arn.

Without source_arn any user pool in any account can invoke the trigger (confused deputy).
"""

from __future__ import annotations

from typing import Any

import cogfed_model as model
from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, attr, is_unresolved, record, short
from cogfed_verdicts import Verdict, permission_has_source_arn


class LambdaPermissionSourceArn(CogfedResourceCheck):
    rule_id = "CKV_COGFED_4"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        principal = attr(conf, "principal")
        if not isinstance(principal, str) or is_unresolved(principal):
            principal = model.Unknown(short(principal))
        source_arn = attr(conf, "source_arn")
        missing = view.unresolved_inputs(keys[0], ["source_arn"]) if view and keys else []
        if source_arn and (missing or (isinstance(source_arn, str) and is_unresolved(source_arn))):
            source_arn = model.Unknown("; ".join(missing) if missing else short(source_arn))
        address = str(attr(conf, "__address__", "?"))
        verdict = Verdict(self.rule_id, address, None)
        permission_has_source_arn(model.LambdaPermission(address, principal, source_arn), verdict)
        record(verdict, out)


LambdaPermissionSourceArn()
