"""CKV2_COGFED_4: app clients may write every attribute their supported providers map.

FACTS.md §4 "Attribute mapping": mapped attributes must be writable by the app clients (their
write_attributes, if set); email_verified, phone_number_verified and username are never listed.
"""

from __future__ import annotations

import re
from typing import Any

import cogfed_model as model
from cogfed_lib import (
    CogfedResourceCheck,
    GraphView,
    Outcome,
    attr,
    instance_state,
    is_unresolved,
    model_idp,
    pool_models,
    read_idp,
    record,
    short,
)
from cogfed_rules import IDP
from cogfed_verdicts import Verdict, client_writes_mapped_attributes

# `aws_cognito_identity_provider.<name>[<key>].provider_name` left as text by checkov.
_INDEX = re.compile(r"\[[^\]]*\]")
_PROVIDER_NAME_REF = re.compile(
    r"^\$?\{?(aws_cognito_identity_provider\.[\w-]+(?:\[[^\]]*\])?)\.provider_name\}?$"
)


class ClientWritesMappedAttributes(CogfedResourceCheck):
    rule_id = "CKV2_COGFED_4"

    def _list(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], name: str
    ) -> Any:
        value = attr(conf, name)
        if value is None:
            return None
        if view is not None and keys:
            value = view.settle(keys[0], value)
        if isinstance(value, str):
            value = [value]
        missing = view.unresolved_inputs(keys[0], [name]) if view and keys else []
        if missing or not isinstance(value, list):
            return model.Unknown("; ".join(missing) if missing else short(value))
        return value

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        write = self._list(conf, view, keys, "write_attributes")
        if isinstance(write, list):
            write = model.Unknown(short(write)) if is_unresolved(write) else tuple(map(str, write))
        supported = self._list(conf, view, keys, "supported_identity_providers")
        address = str(attr(conf, "__address__", "?"))
        for pool_key, pool in pool_models(view, keys, out):
            deployment = model.Deployment()
            by_address: dict[str, Any] = {}
            if pool_key is not None and view is not None:
                for idp_key in view.on_pool(pool_key, IDP):
                    idp_conf = next(
                        (
                            entity
                            for inner in view.nodes[idp_key].get("config_", {}).values()
                            for entity in inner.values()
                        ),
                        {},
                    )
                    seen = Outcome()
                    if not instance_state(view, idp_key, idp_conf, seen):
                        continue
                    idp = model_idp(read_idp(view, idp_key, idp_conf, seen), seen.unseen, pool)
                    idp.address = view.describe(idp_key)
                    deployment.providers.append(idp)
                    by_address[str(attr(idp_conf, "__address__", idp.address))] = idp
            client = model.AppClient(address, write, _names(supported, by_address), pool)
            verdict = Verdict(self.rule_id, address, None)
            client_writes_mapped_attributes(client, deployment, verdict)
            record(verdict, out)


def _names(supported: Any, providers: dict[str, Any]) -> Any:
    """ProviderNames, with references to a provider's provider_name resolved."""
    if supported is None or model.is_unknown(supported):
        return supported
    names: list[str] = []
    # checkov renders a list of interpolations (`["${a.provider_name}", ...]`) as a list
    # inside the list.
    entries = [
        item for entry in supported for item in (entry if isinstance(entry, list) else [entry])
    ]
    for entry in entries:
        match = _PROVIDER_NAME_REF.match(str(entry))
        if match:
            provider = _provider(match.group(1), providers)
            if provider is None or model.is_unknown(provider.provider_name):
                return model.Unknown(f"{entry}: not a provider of this pool checkov can read")
            names.append(provider.provider_name)
        elif is_unresolved(entry):
            return model.Unknown(short(entry))
        else:
            names.append(str(entry))
    return tuple(names)


def _provider(reference: str, providers: dict[str, Any]) -> Any:
    """The provider a module-local reference (`aws_cognito_identity_provider.x[0]`) names
    among the pool's: checkov's addresses carry the module path and no instance key. None
    when it is none of them, or several that do not share one ProviderName."""
    if reference in providers:
        return providers[reference]
    wanted = _INDEX.sub("", reference)
    found = [
        provider
        for address, provider in providers.items()
        if (bare := _INDEX.sub("", address)) == wanted or bare.endswith(f".{wanted}")
    ]
    if len(found) == 1:
        return found[0]
    if any(model.is_unknown(p.provider_name) for p in found):
        return None
    return found[0] if len({str(p.provider_name) for p in found}) == 1 else None


ClientWritesMappedAttributes()
