"""One structured JSON line per trigger decision, with personal data hashed or masked.

Emails and subjects are never logged in clear: an email keeps its domain (support needs it
to explain domain refusals) and a keyed fingerprint of the whole address, which is enough to
correlate lines for one person without revealing who it is, even to someone who hashes a list
of known addresses (pseudonyms.py).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from ascii_case import ascii_lower, email_domain
from pseudonyms import fingerprint

__all__ = ["emit", "fingerprint", "mask_email"]

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


def mask_email(email: str | None) -> dict[str, str] | None:
    """The domain and a fingerprint of the address as one mailbox (ASCII case ignored)."""
    if not email:
        return None
    return {"domain": email_domain(email), "hash": fingerprint(ascii_lower(email))}


def emit(trigger: str, decision: str, reason: str, level: str = "INFO", **fields: Any) -> None:
    """Write one JSON line to stdout (CloudWatch keeps each line as one event).

    `LOG_LEVEL` (default INFO) filters lines below it; refusals log at WARNING.
    """
    threshold = _LEVELS.get(os.environ.get("LOG_LEVEL", "INFO").upper(), 20)
    if _LEVELS.get(level, 20) < threshold:
        return
    record: dict[str, Any] = {
        "ts": round(time.time(), 3),
        "level": level,
        "trigger": trigger,
        "decision": decision,
        "reason": reason,
    }
    record.update({k: v for k, v in fields.items() if v is not None})
    sys.stdout.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()
