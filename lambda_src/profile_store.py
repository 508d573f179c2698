"""Optional DynamoDB profile of each user, written once when the user first signs in.

Off unless `PROFILE_TABLE_NAME` is set. The write happens in pre sign-up, which Cognito runs
only on an identity's first sign-in (FACTS §2), so later sign-ins cost no DynamoDB read or
write. It is one conditional PutItem keyed by the user's `sub` that never overwrites an
existing profile. Any failure is reported in the decision's log line and otherwise ignored:
a profile must never block a sign-in.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from cognito_api import AwsCallError, Deadline, call
from errors import ServiceBusy

KEY_ATTRIBUTE = "user_id"
PROFILE_FIELDS = ("email", "name", "given_name", "family_name", "picture", "locale")


def table_name() -> str | None:
    return os.environ.get("PROFILE_TABLE_NAME", "").strip() or None


def record_first_sign_in(
    sub: str | None, attributes: dict[str, str], provider_name: str, deadline: Deadline
) -> str:
    """Write the profile if absent; returns what happened, for the decision log."""
    table = table_name()
    if table is None:
        return "disabled"
    if not sub:
        return "no_sub"
    item = {
        KEY_ATTRIBUTE: {"S": sub},
        "created_at": {"S": datetime.now(UTC).isoformat(timespec="seconds")},
        "first_sign_in_provider": {"S": provider_name},
    }
    item.update({k: {"S": attributes[k]} for k in PROFILE_FIELDS if attributes.get(k)})
    try:
        call(
            "dynamodb",
            "put_item",
            deadline,
            TableName=table,
            Item=item,
            ConditionExpression=f"attribute_not_exists({KEY_ATTRIBUTE})",
        )
    except AwsCallError as exc:
        if exc.code == "ConditionalCheckFailedException":
            return "exists"
        return f"failed:{exc.code}"
    except ServiceBusy as exc:
        return f"failed:{exc.reason}"
    except Exception as exc:  # never let the optional store block a sign-in
        return f"failed:{type(exc).__name__}"
    return "written"
