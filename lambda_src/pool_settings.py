"""Whether the pool holds a user's own email change back until the new address is verified.

Without that setting (`UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate`
holding `email`), UpdateUserAttributes stores a new, unverified address at once (FACTS §8,
§20). Restoring `email_verified` on such a user would mark an address the user merely typed
as verified: a user whose providers are all trusted `always` could change her email to a
colleague's and have it verified by the next token (pre_token_generation.py). So the restore
happens only in a pool that holds email changes back, which the pool's own configuration
(DescribeUserPool) says, read once per container and pool and again after SETTINGS_TTL_S.
"""

from __future__ import annotations

import time

from cognito_api import AwsCallError, Deadline, call
from errors import ServiceBusy

# How long an answer stands. Short, because an administrator who removes the setting opens
# the laundering path for as long as a container still believes it is there; DescribeUserPool
# spends the UserPoolRead quota, 15 requests per second per account that cannot be raised
# (quota_categories in cognito_facts.json), which one read per container per minute leaves
# alone.
SETTINGS_TTL_S = 60.0
# A read that failed is not tried again for this long, and not retried within one call: under
# throttling, every token would otherwise spend more of that account-wide quota.
FAILED_TTL_S = 10.0

# pool id -> (monotonic time the answer expires, whether changes are held, or the reason the
# setting could not be read)
_read: dict[str, tuple[float, bool | str]] = {}


def holds_email_changes(pool_id: str, deadline: Deadline) -> bool:
    """Whether a changed email stays pending (the old one verified) until it is confirmed.

    Raises ServiceBusy when the setting could not be read (now or within FAILED_TTL_S)."""
    now = time.monotonic()
    cached = _read.get(pool_id)
    if cached is None or now >= cached[0]:
        cached = _describe(pool_id, deadline, now)
        _read[pool_id] = cached
    answer = cached[1]
    if isinstance(answer, str):
        raise ServiceBusy(reason=f"pool_settings_unreadable:{answer}")
    return answer


def _describe(pool_id: str, deadline: Deadline, now: float) -> tuple[float, bool | str]:
    try:
        answer = call("cognito-idp", "describe_user_pool", deadline, attempts=1, UserPoolId=pool_id)
    except AwsCallError as exc:
        return now + FAILED_TTL_S, exc.code
    except ServiceBusy as exc:
        return now + FAILED_TTL_S, exc.reason
    settings = (answer.get("UserPool") or {}).get("UserAttributeUpdateSettings") or {}
    held = "email" in (settings.get("AttributesRequireVerificationBeforeUpdate") or [])
    return now + SETTINGS_TTL_S, held
