"""`cogfed-gate --plan PLAN.json`: the rules on Terraform's own evaluation.

Reads `terraform show -json` of a saved plan, builds the rules' model (``cogfed_model``) from
the planned instances (``plan_model``), runs the pure rules (``cogfed_verdicts``) and returns
the same ``GateResult`` the static gate does, so the reports (text, SARIF, JUnit) and the exit
codes are shared. Findings point at the caller's own file: the resource block for a resource
of the root module, the `module` block for anything inside a module call.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from cogfed_tools.plan_model import (
    CLIENT,
    FUNCTION,
    IDP,
    PERMISSION,
    POOL,
    Instance,
    Plan,
    load_plan,
)

# A block header at the start of a line: `resource "type" "name" {` or `module "name" {`
# (labels may also be bare identifiers).
_HEADER = re.compile(
    r'^[ \t]*(resource|module)[ \t]+"?([\w-]+)"?(?:[ \t]+"?([\w-]+)"?)?[ \t]*\{', re.MULTILINE
)


def load_policy_modules(policies: Path) -> tuple[ModuleType, ModuleType]:
    """The model and the rules from the policies directory (they import each other by name,
    as checkov imports them)."""
    if str(policies) not in sys.path:
        sys.path.insert(0, str(policies))
    return importlib.import_module("cogfed_model"), importlib.import_module("cogfed_verdicts")


def declarations(root: Path) -> dict[tuple[str, ...], tuple[Path, int]]:
    """Where the root module declares each resource and module call."""
    found: dict[tuple[str, ...], tuple[Path, int]] = {}
    for path in sorted(root.glob("*.tf")):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = path.read_text(encoding="utf-8")
            for match in _HEADER.finditer(text):
                kind, first, second = match.groups()
                key = ("module", first) if kind == "module" else ("resource", first, second or "")
                found.setdefault(key, (path.resolve(), text.count("\n", 0, match.start()) + 1))
    return found


class PlanAdapter:
    def __init__(self, plan: Plan, model: ModuleType, root: Path) -> None:
        self.plan = plan
        self.m = model
        self.where = declarations(root)
        self.pools: dict[str, Any] = {}

    # -- helpers ---------------------------------------------------------------------------

    def location(self, instance: Instance) -> Any:
        key = (
            ("module", instance.path[0][0])
            if instance.path
            else ("resource", instance.type, instance.name)
        )
        if key not in self.where:
            return None
        path, line = self.where[key]
        return self.m.Location(str(path), line)

    def after_apply(self, instance: Instance, *attribute: str) -> Any:
        refs = instance.references(*[a for a in attribute if isinstance(a, str)])
        depends = f" (it depends on {', '.join(refs)})" if refs else ""
        return self.m.Unknown(
            f"`{'.'.join(str(a) for a in attribute)}` of {instance.address} is known only "
            f"after apply{depends}; the gate checks what the plan knows"
        )

    def value(self, instance: Instance, *attribute: Any) -> Any:
        """A planned value: the value, None when null, Unknown when known after apply."""
        if instance.is_unknown(*attribute):
            return self.after_apply(instance, *attribute)
        node: Any = instance.after
        for step in attribute:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                return None
        return node

    def depends_on_resources(self, instance: Instance, attribute: str) -> bool:
        """Whether the argument's expression leads to a resource or data source: only then
        can its value be unknown at plan time. An optional+computed argument set to null
        shows as unknown too; this tells the two apart."""
        refs = instance.references(attribute)
        found, lost = self.plan.resolve(refs, instance.path)
        return bool(found) or any(r.startswith(("data.", "local.")) for r in lost)

    def pool_of(self, instance: Instance) -> Any:
        refs = instance.references("user_pool_id")
        found, lost = self.plan.resolve(refs, instance.path)
        candidates = [i for i in found if i.type == POOL]
        if len(candidates) > 1:
            twins = [c for c in candidates if c.index == instance.index]
            candidates = twins or candidates
        if len(candidates) == 1:
            return self.pools[candidates[0].address]
        pool_id = self.value(instance, "user_pool_id")
        if isinstance(pool_id, str):
            same = [p for p in self.plan.of_type(POOL) if p.after.get("id") == pool_id]
            if len(same) == 1:
                return self.pools[same[0].address]
        all_pools = self.plan.of_type(POOL)
        if not candidates and lost and len(all_pools) == 1:
            return self.pools[all_pools[0].address]
        if len(candidates) > 1:
            return self.m.Unknown(
                f"user_pool_id refers to {len(candidates)} pool instances "
                f"({', '.join(c.address for c in candidates)}) and the plan does not say which"
            )
        if isinstance(pool_id, str):
            return self.m.Unknown(
                f"user_pool_id is {pool_id!r}, a pool this plan does not create or manage, so "
                "its settings cannot be checked; plan the pool and its providers together"
            )
        shown = ", ".join(lost or refs) or "an expression"
        return self.m.Unknown(
            f"user_pool_id comes from {shown}, which the plan's configuration does not follow "
            "to a pool (locals are not recorded there); refer to the pool resource or a module "
            "output directly"
        )

    # -- resources -------------------------------------------------------------------------

    def pool(self, instance: Instance) -> Any:
        m = self.m
        configuration = self.value(instance, "username_configuration")
        if m.is_unknown(configuration):
            case_sensitive = configuration
        elif not configuration:
            case_sensitive = None
        else:
            case_sensitive = self.value(instance, "username_configuration", 0, "case_sensitive")
        schema_value = self.value(instance, "schema")
        if m.is_unknown(schema_value):
            schema: Any = schema_value
        else:
            schema = tuple(
                m.SchemaEntry(
                    name=str(entry.get("name")),
                    mutable=self.value(instance, "schema", index, "mutable"),
                    required=self.value(instance, "schema", index, "required"),
                )
                for index, entry in enumerate(schema_value or [])
            )
        return m.Pool(
            address=instance.address,
            case_sensitive=case_sensitive,
            schema=schema,
            trigger_subjects=self.trigger_subjects(instance),
            location=self.location(instance),
        )

    def trigger_subjects(self, pool: Instance) -> dict[str, str | None] | None:
        refs = pool.references("lambda_config", "pre_sign_up")
        functions = [i for i in self.plan.resolve(refs, pool.path)[0] if i.type == FUNCTION]
        if len(functions) != 1:
            return None
        function = functions[0]
        settings = self.value(function, "environment", 0, "variables", "IDENTITY_PROVIDERS")
        if not isinstance(settings, str):
            return None
        try:
            providers = json.loads(settings)
        except json.JSONDecodeError:
            return None
        if not isinstance(providers, dict):
            return None
        return {
            str(name): (spec.get("subject_attribute") if isinstance(spec, dict) else None)
            for name, spec in providers.items()
        }

    def provider(self, instance: Instance) -> Any:
        mapping = self.value(instance, "attribute_mapping")
        if isinstance(mapping, dict) and any(
            instance.is_unknown("attribute_mapping", key) for key in mapping
        ):
            mapping = self.after_apply(instance, "attribute_mapping")
        return self.m.IdentityProvider(
            address=instance.address,
            provider_name=self.value(instance, "provider_name"),
            provider_type=self.value(instance, "provider_type"),
            mapping=mapping,
            pool=self.pool_of(instance),
            location=self.location(instance),
        )

    def client(self, instance: Instance) -> Any:
        write = self.optional_list(instance, "write_attributes")
        supported = self.optional_list(instance, "supported_identity_providers")
        return self.m.AppClient(
            address=instance.address,
            write_attributes=write,
            supported_providers=supported,
            pool=self.pool_of(instance),
            location=self.location(instance),
        )

    def optional_list(self, instance: Instance, attribute: str) -> Any:
        value = self.value(instance, attribute)
        if self.m.is_unknown(value):
            if not instance.set_in_config(attribute) or not self.depends_on_resources(
                instance, attribute
            ):
                return None  # unset (or null): the provider computes it
            return value
        return None if value is None else tuple(str(v) for v in value)

    def permission(self, instance: Instance) -> Any:
        source_arn = self.value(instance, "source_arn")
        if self.m.is_unknown(source_arn):
            source_arn = self.m.KNOWN_AFTER_APPLY  # a reference to a pool still to be created
        return self.m.LambdaPermission(
            address=instance.address,
            principal=self.value(instance, "principal"),
            source_arn=source_arn,
            location=self.location(instance),
        )

    def deployment(self) -> Any:
        m = self.m
        deployment = m.Deployment()
        for instance in self.plan.of_type(POOL):
            pool = self.pool(instance)
            self.pools[instance.address] = pool
            deployment.pools.append(pool)
        deployment.providers = [self.provider(i) for i in self.plan.of_type(IDP)]
        deployment.clients = [self.client(i) for i in self.plan.of_type(CLIENT)]
        deployment.permissions = [self.permission(i) for i in self.plan.of_type(PERMISSION)]
        return deployment


def plan_records(
    plan_path: Path, policies: Path, root: Path
) -> tuple[list[dict[str, Any]], list[str]]:
    """Check records (the shape the reports read) and notes for one plan file."""
    model, verdicts = load_policy_modules(policies)
    plan = load_plan(plan_path)
    deployment = PlanAdapter(plan, model, root).deployment()
    notes: list[str] = []
    if deployment.empty:
        notes.append(
            f"{plan_path}: the plan holds no Cognito user pool, identity provider, app client "
            "or Lambda permission; nothing to check"
        )
    records = []
    for verdict in verdicts.judge(deployment):
        location = verdict.location
        file_path = location.file if location else str(plan_path.resolve())
        line = location.line if location else 1
        details = list(verdict.messages)
        if verdict.result == verdicts.UNKNOWN:
            details.append("Undecided: the gate blocks on what it cannot check.")
        records.append(
            {
                "check_id": verdict.rule_id,
                "result": "PASSED" if verdict.result == verdicts.PASSED else "FAILED",
                "undecided": verdict.result == verdicts.UNKNOWN,
                "resource": verdict.address,
                "file_abs_path": file_path,
                "lines": [line, line],
                "details": details,
            }
        )
    counts = {
        "user pools": len(deployment.pools),
        "identity providers": len(deployment.providers),
        "app clients": len(deployment.clients),
        "Lambda permissions": len(deployment.permissions),
    }
    notes.append(f"{plan_path}: checked " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return records, notes
