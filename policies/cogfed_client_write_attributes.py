"""CKV2_COGFED_4: app clients that list write_attributes include every mapped attribute.

FACTS.md §4 "Attribute mapping": mapped attributes must be writable by the app clients (their
write_attributes, if set); email_verified, phone_number_verified and username are never listed.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import (
    CogfedResourceCheck,
    GraphView,
    Outcome,
    attr,
    instance_state,
    is_unresolved,
    pools_for,
    read_idp,
    short,
)
from cogfed_rules import IDP, NEVER_WRITABLE


class ClientWritesMappedAttributes(CogfedResourceCheck):
    rule_id = "CKV2_COGFED_4"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        if attr(conf, "write_attributes") is None:
            return  # the rule applies to clients that list write_attributes
        write = attr(conf, "write_attributes")
        if view is not None and keys:
            write = view.settle(keys[0], write)
        if isinstance(write, str):
            write = [write]
        missing = view.unresolved_inputs(keys[0], ["write_attributes"]) if view and keys else []
        if not isinstance(write, list) or is_unresolved(write) or missing:
            reason = "; ".join(missing) if missing else short(write)
            out.cannot_see(f"write_attributes ({reason})")
            return
        writable = {str(item) for item in write}
        pools = pools_for(view, keys, out)
        if view is None:
            return
        for pool in pools:
            for idp_key in view.on_pool(pool.key, IDP):
                idp_conf = next(
                    (
                        entity
                        for inner in view.nodes[idp_key].get("config_", {}).values()
                        for entity in inner.values()
                    ),
                    {},
                )
                idp_out = Outcome()
                if not instance_state(view, idp_key, idp_conf, idp_out):
                    continue
                idp = read_idp(view, idp_key, idp_conf, idp_out)
                name = view.describe(idp_key)
                for unseen in idp_out.unseen:
                    out.cannot_see(f"{name}: {unseen}")
                if idp.mapping is None:
                    continue
                lacking = sorted(set(idp.mapping) - NEVER_WRITABLE - writable)
                if lacking:
                    out.violate(
                        f"{name} (pool {pool.address}) maps {', '.join(lacking)} but "
                        "write_attributes does not list " + ("it" if len(lacking) == 1 else "them")
                    )


ClientWritesMappedAttributes()
