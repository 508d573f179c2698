"""The smallest handler that imports the AWS SDK when it loads: the cold-import baseline.

Most hand-written triggers start with `import boto3`; this one does nothing else, so its
import time is the SDK's alone.
"""

from __future__ import annotations

from typing import Any

import boto3  # noqa: F401  (imported for its load cost alone)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return event
