"""CKV2_COGFED_3: every IdP maps every attribute the pool marks required.

FACTS.md §4 "Attribute mapping": required pool attributes must be mapped by every IdP.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import UNSEEN, CogfedResourceCheck, GraphView, Outcome, pools_for, read_idp
from cogfed_rules import STANDARD_ATTRIBUTES


class IdpMapsRequiredAttributes(CogfedResourceCheck):
    rule_id = "CKV2_COGFED_3"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        pools = pools_for(view, keys, out)
        if not pools:
            return
        required: dict[str, list[str]] = {}
        for pool in pools:
            for entry in pool.schema.values():
                if entry.required is True:
                    required.setdefault(entry.name, []).append(pool.address)
                elif entry.required == UNSEEN:
                    out.cannot_see(f"whether {pool.address} requires `{entry.name}`")
            for unseen in pool.unseen:
                out.cannot_see(f"whether {pool.address} requires more attributes ({unseen})")
        if not required:
            return
        idp = read_idp(view, keys[0] if keys else None, conf, out)
        if idp.mapping is None:
            return
        for name in sorted(required):
            key = name if name in STANDARD_ATTRIBUTES else f"custom:{name}"
            if key not in idp.mapping:
                out.violate(
                    f"{', '.join(required[name])} marks `{name}` required but attribute_mapping "
                    f"has no `{key}`"
                )


IdpMapsRequiredAttributes()
