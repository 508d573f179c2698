"""CKV2_COGFED_2: attributes an IdP maps are mutable in the pool schema; custom ones declared.

FACTS.md §4 "Attribute mapping": every mapped attribute must be mutable; a mapped custom
attribute must be declared or sign-in fails ("Type for attribute {custom:x} could not be
determined").
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import UNSEEN, CogfedResourceCheck, GraphView, Outcome, pools_for, read_idp


class IdpMappedAttributesInSchema(CogfedResourceCheck):
    rule_id = "CKV2_COGFED_2"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        idp = read_idp(view, keys[0] if keys else None, conf, out)
        if idp.mapping is None:
            return
        if not idp.mapping:
            return  # nothing mapped; CKV_COGFED_2 reports the missing email
        pools = pools_for(view, keys, out)
        for pool in pools:
            for key in sorted(idp.mapping):
                custom = key.startswith("custom:")
                name = key[len("custom:") :] if custom else key
                entry = pool.schema.get(name)
                if entry is None:
                    if not custom:
                        continue  # standard attributes exist without a schema entry
                    if pool.unseen:
                        out.cannot_see(
                            f"whether {pool.address} declares `{name}` ("
                            + "; ".join(pool.unseen)
                            + ")"
                        )
                    else:
                        out.violate(
                            f"`{key}` is mapped but {pool.address} declares no schema entry "
                            f'`name = "{name}"`'
                        )
                elif entry.mutable is False:
                    out.violate(
                        f"`{key}` is mapped but schema entry `{name}` of {pool.address} is "
                        "immutable"
                    )
                elif entry.mutable == UNSEEN:
                    out.cannot_see(f"whether schema entry `{name}` of {pool.address} is mutable")
                elif entry.mutable is None and custom:
                    out.violate(
                        f"`{key}` is mapped but schema entry `{name}` of {pool.address} does not "
                        "set `mutable = true`"
                    )


IdpMappedAttributesInSchema()
