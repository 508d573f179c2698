"""CKV2_COGFED_1: in a case-insensitive pool, IdPs other than Google and Facebook map their
subject into a custom attribute.

FACTS.md §3 "Case sensitivity": the trigger sees the subject lower-cased in userName, so a link
made from it never matches a mixed-case subject; the exact-case value must come from a mapped
custom attribute.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import UNSEEN, CogfedResourceCheck, GraphView, Outcome, pools_for, read_idp
from cogfed_rules import CASE_SAFE_PROVIDER_TYPES, SUBJECT_CLAIMS


class IdpSubjectInCustomAttribute(CogfedResourceCheck):
    rule_id = "CKV2_COGFED_1"

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        pool_out = Outcome()
        pools = pools_for(view, keys, pool_out)
        out.notes += pool_out.notes
        if pools and all(pool.case_sensitive is True for pool in pools):
            return  # a case-sensitive pool keeps the subject's case (FACTS.md §3)

        idp_out = Outcome()
        idp = read_idp(view, keys[0] if keys else None, conf, idp_out)
        if idp.provider_type in CASE_SAFE_PROVIDER_TYPES:
            return  # numeric subjects: lower-casing changes nothing
        subject_mapped: bool | None = None
        if idp.mapping is not None and idp.provider_type is not None:
            custom = {k: v for k, v in idp.mapping.items() if k.startswith("custom:")}
            if idp.provider_type not in SUBJECT_CLAIMS:
                subject_mapped = False
            elif SUBJECT_CLAIMS[idp.provider_type] is None:
                # SAML: the IdP sends the NameID under an attribute name of its own choosing,
                # which no configuration here reveals; any mapped custom attribute is taken as
                # the subject (docs/policy-gate.md, known limits).
                subject_mapped = bool(custom)
            else:
                subject_mapped = SUBJECT_CLAIMS[idp.provider_type] in custom.values()
        if subject_mapped:
            return

        if not pools:
            out.unseen += pool_out.unseen
        for pool in pools:
            if pool.case_sensitive is True:
                continue
            if pool.case_sensitive is None:
                out.notes.append(
                    f"{pool.address} does not set case_sensitive; the API default is "
                    "case-sensitive (CKV_COGFED_1 flags the pool)"
                )
                continue
            if pool.case_sensitive == UNSEEN:
                out.cannot_see(f"whether {pool.address} is case-sensitive")
                continue
            if subject_mapped is None:
                out.unseen += [u for u in idp_out.unseen if u not in out.unseen]
                continue
            claim = SUBJECT_CLAIMS.get(idp.provider_type or "", "sub") or "the NameID attribute"
            out.violate(
                f"{pool.address} is case-insensitive and this {idp.provider_type} provider maps "
                f"no custom attribute from its subject ({claim}); the trigger would see the "
                "subject lower-cased and fail to link"
            )


IdpSubjectInCustomAttribute()
