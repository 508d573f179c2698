"""CKV_COGFED_4: a Lambda permission for cognito-idp.amazonaws.com sets source_arn.

Without source_arn any user pool in any account can invoke the trigger (confused deputy).
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, attr, is_unresolved, short

COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"


class LambdaPermissionSourceArn(CogfedResourceCheck):
    rule_id = "CKV_COGFED_4"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        principal = attr(conf, "principal")
        principal_unseen = not isinstance(principal, str) or is_unresolved(principal)
        if not principal_unseen and principal.strip().lower() != COGNITO_PRINCIPAL:
            return  # not a Cognito trigger permission
        source_arn = attr(conf, "source_arn")
        missing = view.unresolved_inputs(keys[0], ["source_arn"]) if view and keys else []
        if source_arn is None or source_arn == "":
            if principal_unseen:
                out.cannot_see(
                    f"principal ({short(principal)}); if it is {COGNITO_PRINCIPAL}, "
                    "source_arn is required and missing"
                )
            else:
                out.violate(f"principal {COGNITO_PRINCIPAL} without source_arn")
        elif missing or (isinstance(source_arn, str) and is_unresolved(source_arn)):
            reason = "; ".join(missing) if missing else short(source_arn)
            out.cannot_see(f"the value of source_arn ({reason}); null would mean no source_arn")


LambdaPermissionSourceArn()
