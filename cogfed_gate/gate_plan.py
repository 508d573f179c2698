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
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from cogfed_gate.plan_model import (
    ALIAS,
    CLIENT,
    FUNCTION,
    IDP,
    PERMISSION,
    POOL,
    Instance,
    Plan,
    PlanError,
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


@dataclass(frozen=True)
class Declaration:
    file: Path
    line: int
    text: str  # the block, header to closing brace


_SKIP = re.compile(r"checkov:skip=((?:CKV2?_COGFED_\d+))(?::([^\n]*))?")


def declarations(directory: Path) -> dict[tuple[str, ...], Declaration]:
    """Where a module directory declares each resource and module call, with the block."""
    found: dict[tuple[str, ...], Declaration] = {}
    for path in sorted(directory.glob("*.tf")):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = path.read_text(encoding="utf-8-sig")
            for match in _HEADER.finditer(text):
                kind, first, second = match.groups()
                key = ("module", first) if kind == "module" else ("resource", first, second or "")
                line = text.count("\n", 0, match.start()) + 1
                found.setdefault(key, Declaration(path.resolve(), line, _block(text, match.end())))
    return found


def _block(text: str, start: int) -> str:
    """The text from a block's opening brace to its closing one (braces in strings and
    heredocs may end it early; it is read for comments only)."""
    depth = 1
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start:index]
    return text[start:]


def suppressions(text: str) -> dict[str, str]:
    """`checkov:skip=<ID>:<reason>` comments of a block, the same form static mode reads."""
    return {rule: (reason or "").strip() for rule, reason in _SKIP.findall(text)}


def _through_for_each(instance: Instance, refs: list[str]) -> list[str]:
    """`each.value.x` of a resource whose for_each is one object (`module.m`, `aws_y.z`)
    means `<that object>[each.key].x`."""
    if not any(r.startswith("each.value.") for r in refs):
        return refs
    sources = instance.config.get("for_each_expression", {}).get("references", [])
    sources = [r for r in sources if "." in r and not r.startswith(("var.", "local.", "each."))]
    if len(set(sources)) != 1:
        return refs
    rewritten = [
        sources[0] + r.removeprefix("each.value") if r.startswith("each.value.") else r
        for r in refs
        if r != "each.value"
    ]
    return [*rewritten, "each.key"]


def _keys(instance: Instance) -> list[Any]:
    return [instance.index, *(key for _, key in instance.path)]


def _module_key(instance: Instance) -> Any:
    return next((key for _, key in reversed(instance.path) if key is not None), None)


class PlanAdapter:
    def __init__(self, plan: Plan, model: ModuleType, root: Path) -> None:
        self.plan = plan
        self.m = model
        self.root: Path | None = root
        self.where = declarations(root)
        self.declared: dict[Path, dict[tuple[str, ...], Declaration]] = {}  # by module dir
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
        declared = self.where[key]
        return self.m.Location(str(declared.file), declared.line)

    def skips(self, instance: Instance) -> dict[str, str]:
        """Suppressions on the resource block and on every module call leading to it, found
        in the caller's files and in local module sources."""
        found: dict[str, str] = {}
        directory, declared = self.root, self.where
        module = self.plan.root_config
        for name, _ in instance.path:
            call = declared.get(("module", name))
            if call is not None:
                found.update(suppressions(call.text))
            spec = module.get("module_calls", {}).get(name, {})
            source = str(spec.get("source", ""))
            module = spec.get("module", {})
            if not source.startswith(("./", "../")) or directory is None:
                directory = None  # a registry or git module: its files are not here
                continue
            directory = (directory / source).resolve()
            if directory not in self.declared:
                self.declared[directory] = declarations(directory)
            declared = self.declared[directory]
        if directory is not None:
            block = declared.get(("resource", instance.type, instance.name))
            if block is not None:
                found.update(suppressions(block.text))
        return found

    def after_apply(self, instance: Instance, *attribute: str) -> Any:
        refs = instance.references(*[a for a in attribute if isinstance(a, str)])
        depends = f" (it depends on {', '.join(refs)})" if refs else ""
        return self.m.Unknown(
            f"`{'.'.join(str(a) for a in attribute)}` of {instance.address} is known only "
            f"after apply{depends}; the gate checks what the plan knows"
        )

    def value(self, instance: Instance, *attribute: Any, whole: bool = True) -> Any:
        """A planned value: the value, None when null, Unknown when it, or any part of it, is
        known only after apply. `whole=False` for a block whose fields are read one by one:
        only the block itself being unknown counts."""
        if instance.is_unknown(*attribute, anywhere=whole):
            return self.after_apply(instance, *attribute)
        return instance.planned(*attribute)

    def pool_of(self, instance: Instance) -> Any:
        """The pool a provider or client belongs to, or Unknown saying why it cannot tell."""
        m = self.m
        refs = instance.references("user_pool_id")
        pool_id = self.value(instance, "user_pool_id")
        if isinstance(pool_id, str):
            # A known id: it is one of the pools the plan holds with that id, or none of them.
            same = [p for p in self.plan.of_type(POOL) if p.after.get("id") == pool_id]
            if len(same) == 1:
                return self.pools[same[0].address]
            return m.Unknown(
                f"user_pool_id is {pool_id!r}, a pool this plan does not create or manage, so "
                "its settings cannot be checked; plan the pool and its providers together"
            )
        refs = _through_for_each(instance, refs)
        found, lost = self.plan.resolve(refs, instance.path)
        candidates = [i for i in found if i.type == POOL]
        if len(candidates) > 1 and ("each.key" in refs or "count.index" in refs):
            # `pool[each.key]` / `pool[count.index]`: the twin with the referrer's own key.
            key = instance.index if instance.index is not None else _module_key(instance)
            twins = [c for c in candidates if key is not None and key in _keys(c)]
            candidates = twins if len(twins) == 1 else candidates
        if len(candidates) == 1 and all(r.startswith("var.") for r in lost):
            # Root variables are values known at plan time (a condition, say): the unknown id
            # can only come from the one pool the expression reaches.
            return self.pools[candidates[0].address]
        if len(candidates) > 1:
            return m.Unknown(
                f"user_pool_id refers to {len(candidates)} pool instances "
                f"({', '.join(c.address for c in candidates)}) and the plan does not say which"
            )
        all_pools = self.plan.of_type(POOL)
        if lost and all(r.startswith("local.") for r in lost) and len(all_pools) == 1:
            # The configuration section does not record locals; with one pool in the plan,
            # an unknown id can only be that pool's.
            return self.pools[all_pools[0].address]
        shown = ", ".join(lost or refs) or "an expression"
        foreign = any(r.startswith(("data.", "var.")) for r in lost)
        if not foreign and any(r.startswith("each.") for r in refs):
            return m.Unknown(
                f"user_pool_id comes from {shown}, which the gate cannot follow to one pool; "
                "refer to the pool as `aws_cognito_user_pool.<name>[each.key].id` or "
                "`module.<name>[each.key].<output>`"
            )
        return m.Unknown(
            f"user_pool_id comes from {shown}"
            + (
                ", a pool this plan does not create or manage, so its settings cannot be "
                "checked; plan the pool and its providers together"
                if foreign
                else ", which the plan's configuration does not follow to one pool (locals are "
                "not recorded there); refer to the pool resource or a module output directly"
            )
        )

    # -- resources -------------------------------------------------------------------------

    def pool(self, instance: Instance) -> Any:
        m = self.m
        configuration = self.value(instance, "username_configuration", whole=False)
        if m.is_unknown(configuration):
            case_sensitive = configuration
        elif not configuration:
            case_sensitive = None
        else:
            case_sensitive = self.value(instance, "username_configuration", 0, "case_sensitive")
        schema_value = self.value(instance, "schema", whole=False)
        names = [
            self.value(instance, "schema", index, "name")
            for index in range(len(schema_value) if isinstance(schema_value, list) else 0)
        ]
        unnamed = next((n for n in names if m.is_unknown(n)), None)
        if m.is_unknown(schema_value) or unnamed is not None:
            schema: Any = schema_value if m.is_unknown(schema_value) else unnamed
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
            linking_trigger=self.linking_trigger(instance),
            verify_before_update=self.verify_before_update(instance),
        )

    def verify_before_update(self, pool: Instance) -> Any:
        """user_attribute_update_settings' attributes held back until verified: a tuple, None
        when the block is not set, Unknown when the plan does not know them."""
        block = self.value(pool, "user_attribute_update_settings", whole=False)
        if self.m.is_unknown(block) or not block:
            return block or None
        argument = self.m.VERIFY_BEFORE_UPDATE
        held = self.value(pool, "user_attribute_update_settings", 0, argument)
        if self.m.is_unknown(held) or held is None:
            return held
        if not isinstance(held, list) or not all(isinstance(a, str) for a in held):
            return self.m.Unknown(f"`{argument}` of {pool.address} is not a list")
        return tuple(held)

    def trigger_functions(self, pool: Instance, *argument: str) -> tuple[list[Instance], Any]:
        """The plan's Lambda functions a lambda_config argument of the pool names (directly,
        through an alias's function_name, or by a known ARN a function or alias of the plan
        has), and why that is unknown: Unknown when the argument is known only after apply
        and the plan does not follow it to a function, else None.

        A literal ARN or a data source's names a function outside the plan (unless the plan
        holds a function with that ARN): not seen, as in static mode (docs/policy-gate.md,
        "Known limits")."""
        path: list[str | int] = ["lambda_config", 0]
        for step in argument[:-1]:
            path += [step, 0]
        path.append(argument[-1])
        refs = pool.references("lambda_config", *argument)
        found, lost = self.plan.resolve(refs, pool.path)
        value = self.value(pool, *path)
        if isinstance(value, str) and value:
            found += [i for i in self._by_arn(value) if i not in found]
        functions = [i for i in found if i.type == FUNCTION]
        for alias in (i for i in found if i.type == ALIAS):
            behind, _ = self.plan.resolve(alias.references("function_name"), alias.path)
            name = self.value(alias, "function_name")
            if isinstance(name, str) and name:
                behind += self._by_arn(name)
            functions += [i for i in behind if i.type == FUNCTION and i not in functions]
        if functions or not self.m.is_unknown(value):
            return functions, None
        if found or (lost and all(r.startswith("data.") for r in lost)):
            return [], None  # a resource of another kind, or a function outside the plan
        shown = ", ".join(lost or refs) or "an expression"
        return [], self.m.Unknown(
            f"`lambda_config.{'.'.join(argument)}` of {pool.address} is known only after apply "
            f"and comes from {shown}, which the plan's configuration does not follow to a "
            "function (locals are not recorded there); refer to the function, its alias or a "
            "module output directly"
        )

    def _by_arn(self, value: str) -> list[Instance]:
        """Functions and aliases of the plan whose known ARN (or a version or alias of it) or
        function name this is."""
        found = []
        for instance in self.plan.instances:
            if instance.type not in (FUNCTION, ALIAS):
                continue
            names = [instance.planned("arn")]
            if instance.type == FUNCTION:
                names.append(instance.planned("function_name"))
            if any(
                isinstance(n, str) and n and (value == n or value.startswith(n + ":"))
                for n in names
            ):
                found.append(instance)
        return found

    def linking_trigger(self, pool: Instance) -> Any:
        """The address of a pre sign-up or pre token generation function of the plan whose
        environment carries IDENTITY_PROVIDERS (this project's linking triggers); None when
        there is none; Unknown when a function's environment, or which function an argument
        names, is not known. A function outside the plan (a literal ARN, a data source) is
        not seen."""
        unknown = None
        setting = self.m.LINKING_SETTING
        for argument in self.m.LINKING_TRIGGERS:
            functions, why = self.trigger_functions(pool, *argument)
            unknown = unknown or why
            for function in functions:
                variables = self.value(function, "environment", 0, "variables", whole=False)
                if self.m.is_unknown(variables):
                    unknown = unknown or variables
                elif isinstance(variables, dict) and (
                    setting in variables
                    or function.is_unknown("environment", 0, "variables", setting)
                ):
                    return function.address
        return unknown

    def trigger_subjects(self, pool: Instance) -> Any:
        """ProviderName -> subject attribute, from the pre sign-up function's environment;
        None when the function is not in the plan; Unknown when its settings, or which
        function it is, are not known."""
        functions, why = self.trigger_functions(pool, "pre_sign_up")
        if why is not None:
            return why
        if len(functions) != 1:
            return None
        function = functions[0]
        settings = self.value(function, "environment", 0, "variables", self.m.LINKING_SETTING)
        if self.m.is_unknown(settings):
            return settings
        try:
            providers = json.loads(settings) if isinstance(settings, str) else None
        except json.JSONDecodeError:
            providers = None
        if not isinstance(providers, dict):
            return None
        return {
            str(name): (spec.get("subject_attribute") if isinstance(spec, dict) else None)
            for name, spec in providers.items()
        }

    def provider(self, instance: Instance) -> Any:
        mapping = self.value(instance, "attribute_mapping")
        # A null value stays (the rules say it names no claim).
        malformed = not isinstance(mapping, dict) or not all(
            v is None or isinstance(v, str) for v in mapping.values()
        )
        if mapping is not None and not self.m.is_unknown(mapping) and malformed:
            mapping = self.m.Unknown(
                f"`attribute_mapping` of {instance.address} is not a map of strings"
            )
        return self.m.IdentityProvider(
            address=instance.address,
            provider_name=self.value(instance, "provider_name"),
            provider_type=self.value(instance, "provider_type"),
            mapping=mapping,
            pool=self.pool_of(instance),
            location=self.location(instance),
            issuer=self.value(instance, "provider_details", "oidc_issuer"),
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
            # Optional+computed arguments show as unknown when unset; the configuration says
            # whether they were set (an expression other than a literal null).
            if not instance.is_set(attribute):
                return None
            return value
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return self.m.Unknown(f"`{attribute}` of {instance.address} is not a list of names")
        return tuple(value)

    def permission(self, instance: Instance) -> Any:
        source_arn = self.value(instance, "source_arn")
        if self.m.is_unknown(source_arn):
            found, lost = self.plan.resolve(instance.references("source_arn"), instance.path)
            if not lost and found and all(i.type == POOL for i in found):
                source_arn = self.m.KNOWN_AFTER_APPLY  # the ARN of a pool still to be created
        principal = self.value(instance, "principal")
        return self.m.LambdaPermission(
            address=instance.address,
            principal=principal,
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
    try:
        adapter = PlanAdapter(plan, model, root)
        deployment = adapter.deployment()
        judged = list(verdicts.judge(deployment))
        by_address = {i.address: i for i in plan.instances}
        judged_addresses = {v.address for v in judged}
        skips = {a: adapter.skips(by_address[a]) for a in judged_addresses if a in by_address}
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as problem:
        raise PlanError(
            f"malformed plan JSON ({type(problem).__name__}: {problem}): pass the unedited "
            "output of `terraform show -json tfplan`"
        ) from problem
    notes: list[str] = []
    if deployment.empty:
        notes.append(
            f"{plan_path}: the plan holds no Cognito user pool, identity provider, app client "
            "or Lambda permission; nothing to check"
        )
    records = []
    for verdict in judged:
        location = verdict.location
        file_path = location.file if location else str(plan_path.resolve())
        line = location.line if location else 1
        details = list(verdict.messages)
        if verdict.result == verdicts.UNKNOWN:
            details.append("Undecided: the gate blocks on what it cannot check.")
        skipped = skips.get(verdict.address, {}).get(verdict.rule_id)
        result = "PASSED" if verdict.result == verdicts.PASSED else "FAILED"
        if skipped is not None and result == "FAILED":
            result = "SKIPPED"
        records.append(
            {
                "check_id": verdict.rule_id,
                "result": result,
                "suppress_comment": skipped,
                "undecided": result == "FAILED" and verdict.result == verdicts.UNKNOWN,
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
