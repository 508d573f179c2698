"""Whether the pool holds a user's own email change back until the new address is verified.

Without that setting (`UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate`
holding `email`), UpdateUserAttributes stores a new, unverified address at once (FACTS §8).
Restoring `email_verified` on such a user would mark an address the user merely typed as
verified: a user whose providers are all trusted `always` could change her email to a
colleague's and have it verified by the next token (pre_token_generation.py). So the restore
happens only in a pool that holds email changes back, which the pool's own configuration
(DescribeUserPool) says, read once per container and pool and again after SETTINGS_TTL_S.
"""

from __future__ import annotations

import time

from cognito_api import Deadline, call

# DescribeUserPool spends the UserPoolRead quota, 15 requests per second per account that
# cannot be raised (FACTS §7): a setting an administrator rarely changes is read at most once
# per container and pool in this time.
SETTINGS_TTL_S = 300.0

_read: dict[str, tuple[float, bool]] = {}


def holds_email_changes(pool_id: str, deadline: Deadline) -> bool:
    """Whether a changed email stays pending (the old one verified) until it is confirmed."""
    now = time.monotonic()
    cached = _read.get(pool_id)
    if cached is not None and now - cached[0] < SETTINGS_TTL_S:
        return cached[1]
    answer = call("cognito-idp", "describe_user_pool", deadline, UserPoolId=pool_id)
    settings = (answer.get("UserPool") or {}).get("UserAttributeUpdateSettings") or {}
    held = "email" in (settings.get("AttributesRequireVerificationBeforeUpdate") or [])
    _read[pool_id] = (now, held)
    return held
