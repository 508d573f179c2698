"""CKV_COGFED_3: no identity provider maps to custom:<standard attribute name>.

FACTS.md §3 "Case sensitivity": a schema entry named like a standard attribute modifies the
standard attribute, so custom:sub (custom:email, ...) never exists through the API.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import CogfedResourceCheck, GraphView, Outcome, read_idp
from cogfed_rules import STANDARD_ATTRIBUTES


class IdpCustomNotStandardName(CogfedResourceCheck):
    rule_id = "CKV_COGFED_3"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        idp = read_idp(view, keys[0] if keys else None, conf, out)
        if idp.mapping is None:
            return
        for key in sorted(idp.mapping):
            if key.startswith("custom:") and key[len("custom:") :] in STANDARD_ATTRIBUTES:
                name = key[len("custom:") :]
                out.violate(
                    f"`{key}` reuses the standard attribute name `{name}`: a schema entry "
                    f'`name = "{name}"` edits the standard attribute, so `{key}` never exists'
                )


IdpCustomNotStandardName()
