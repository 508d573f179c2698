"""The plan adapter: the rules' model from `terraform show -json` of a saved plan.

Terraform has already evaluated every expression, module, `count` and `for_each`, so the
planned values are exact and only instances that will exist appear. What a plan does not
say directly is which pool an identity provider or app client belongs to when the pool is
created in the same plan (its id is "known after apply"). The adapter follows the
references Terraform records in the plan's `configuration` section: `var.x` to the module
call's argument, `module.m.out` to the module's output, a resource reference to its
instances. Locals are not recorded there (the adapter, ``gate_plan``, decides what such a
join means).

Optional+computed arguments (a client's `write_attributes`) show as unknown in a plan
whether or not they are set; the configuration says which: no expression means not set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POOL = "aws_cognito_user_pool"
IDP = "aws_cognito_identity_provider"
CLIENT = "aws_cognito_user_pool_client"
PERMISSION = "aws_lambda_permission"
FUNCTION = "aws_lambda_function"
ALIAS = "aws_lambda_alias"
COGNITO_TYPES = (POOL, IDP, CLIENT)

Key = int | str | None
Path_ = tuple[tuple[str, Key], ...]  # module instance path: ((call name, instance key), ...)
WILDCARD = object()  # an instance key matching every instance (a reference without an index)

_STEP = re.compile(r'\.?([A-Za-z_][\w-]*)|\[(\d+|"(?:[^"\\]|\\.)*"|\*)\]')


class PlanError(ValueError):
    """The file is not the JSON of a saved plan; the message says what to run instead."""


def _steps(text: str) -> list[tuple[str, Any]]:
    """`module.a["x"].b.c[0].id` -> name module, name a, index "x", name b, name c, index 0, ..."""
    steps: list[tuple[str, Any]] = []
    position = 0
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None:
            break
        name, index = match.groups()
        if name is not None:
            steps.append(("name", name))
        elif index == "*":
            steps.append(("index", WILDCARD))
        elif index.isdigit():
            steps.append(("index", int(index)))
        else:
            try:
                steps.append(("index", json.loads(index)))
            except ValueError:  # HCL escapes (\UXXXXXXXX) JSON does not know: keep the text
                steps.append(("index", index[1:-1]))
        position = match.end()
    return steps


def module_path(address: str | None) -> Path_:
    """The module instance path of a `module_address` such as `module.a["x"].module.b`."""
    path: list[tuple[str, Key]] = []
    steps = _steps(address or "")
    position = 0
    while position + 1 < len(steps) and steps[position] == ("name", "module"):
        name = str(steps[position + 1][1])
        key: Key = None
        if position + 2 < len(steps) and steps[position + 2][0] == "index":
            key = steps[position + 2][1]
            position += 1
        path.append((name, key))
        position += 2
    return tuple(path)


@dataclass(frozen=True)
class Instance:
    """One planned resource instance."""

    address: str
    path: Path_
    type: str
    name: str
    index: Key
    after: dict[str, Any]
    unknown: dict[str, Any]  # after_unknown
    config: dict[str, Any]  # the resource's configuration block (expressions)

    def references(self, *attribute_path: str) -> list[str]:
        expression: Any = self.config.get("expressions", {})
        for step in attribute_path:
            if isinstance(expression, list):
                expression = expression[0] if expression else {}
            if not isinstance(expression, dict):
                return []
            expression = expression.get(step, {})
        if isinstance(expression, list):
            expression = expression[0] if expression else {}
        return list(expression.get("references", [])) if isinstance(expression, dict) else []

    def is_set(self, attribute: str) -> bool:
        """Whether the configuration gives the attribute an expression other than a literal
        null."""
        expression = self.config.get("expressions", {}).get(attribute)
        if not isinstance(expression, dict):
            return False
        return not ("constant_value" in expression and expression["constant_value"] is None)

    def planned(self, *attribute_path: str | int) -> Any:
        """The planned value at the path (None when null or absent)."""
        node: Any = self.after
        for step in attribute_path:
            node = _child(node, step)
        return node

    def is_unknown(self, *attribute_path: str | int, anywhere: bool = False) -> bool:
        """Whether the value at the path is known only after apply; with `anywhere`, also
        when any part of it is (one element of a list, one value of a map)."""
        node: Any = self.unknown
        for step in attribute_path:
            if node is True:
                return True
            node = _child(node, step)
        return _holds_true(node) if anywhere else node is True


def _child(node: Any, step: str | int) -> Any:
    """One step into planned values (or their after_unknown twin); None past the end."""
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and step < len(node):
        return node[step]
    return None


class Plan:
    """A saved plan's instances and configuration, with reference resolution."""

    def __init__(self, document: Any) -> None:
        if not isinstance(document, dict) or "format_version" not in document:
            raise PlanError(
                "not a Terraform JSON plan: run `terraform plan -out=tfplan` and "
                "`terraform show -json tfplan > plan.json`, then pass plan.json"
            )
        if not str(document["format_version"]).startswith("1."):
            raise PlanError(
                f"plan JSON format {document['format_version']!r} is not one this gate reads "
                "(1.x); pass `terraform show -json tfplan` of Terraform 1.x"
            )
        changes = document.get("resource_changes")
        if changes is None:
            # Terraform leaves the key out of a plan that creates nothing; resources planned
            # without changes mean a refresh-only plan, or a state.
            planned = (document.get("planned_values") or {}).get("root_module") or {}
            if (
                "planned_values" not in document
                or planned.get("resources")
                or planned.get("child_modules")
            ):
                raise PlanError(
                    "this JSON has no resource_changes (a state, or a refresh-only plan?): pass "
                    "`terraform show -json tfplan` of a plan made by `terraform plan -out=tfplan`"
                )
            document = {**document, "resource_changes": []}
        elif not isinstance(changes, list):
            raise PlanError("`resource_changes` of this plan JSON is not a list")
        if (
            document.get("errored")
            or document.get("complete") is False
            or document.get("deferred_changes")
        ):
            raise PlanError(
                "the plan is incomplete (it errored, or Terraform deferred some changes), so "
                "instances may be missing from it: fix the plan, then run the gate on it; a "
                "`terraform show -json tfplan` of a complete plan is needed"
            )
        configuration = document.get("configuration")
        if configuration is not None and not isinstance(configuration, dict):
            raise PlanError("`configuration` of this plan JSON is not an object")
        self.document = document
        self.root_config = (configuration or {}).get("root_module") or {}
        try:
            self.instances = list(self._instances())
        except (KeyError, TypeError, AttributeError) as problem:
            raise PlanError(
                f"malformed plan JSON ({type(problem).__name__}: {problem}): pass the unedited "
                "output of `terraform show -json tfplan`"
            ) from problem

    def _config_module(self, path: Path_) -> dict[str, Any] | None:
        module = self.root_config
        for name, _key in path:
            call = module.get("module_calls", {}).get(name)
            if call is None:
                return None
            module = call.get("module", {})
        return module

    def _module_call(self, path: Path_) -> dict[str, Any] | None:
        if not path:
            return None
        parent = self._config_module(path[:-1]) or {}
        return parent.get("module_calls", {}).get(path[-1][0])

    def _resource_config(self, path: Path_, type_name: str, name: str) -> dict[str, Any]:
        module = self._config_module(path) or {}
        for resource in module.get("resources", []):
            if resource.get("mode", "managed") == "managed" and (
                resource.get("type"),
                resource.get("name"),
            ) == (type_name, name):
                return resource
        return {}

    def _instances(self) -> Iterator[Instance]:
        for change in self.document.get("resource_changes", []):
            if change.get("mode") != "managed":
                continue
            after = change.get("change", {}).get("after")
            if after is None:
                continue  # being destroyed: it will not exist
            path = module_path(change.get("module_address"))
            yield Instance(
                address=change["address"],
                path=path,
                type=change["type"],
                name=change["name"],
                index=change.get("index"),
                after=after,
                unknown=change["change"].get("after_unknown") or {},
                config=self._resource_config(path, change["type"], change["name"]),
            )

    def of_type(self, type_name: str) -> list[Instance]:
        return [i for i in self.instances if i.type == type_name]

    # -- references ----------------------------------------------------------------------

    def resolve(
        self, references: Iterable[str], path: Path_, depth: int = 0
    ) -> tuple[list[Instance], list[str]]:
        """Instances the references lead to, and the references that lead nowhere known."""
        found: list[Instance] = []
        lost: list[str] = []
        if depth > 32:
            return found, list(references)
        for reference in _most_specific(references):
            steps = _steps(reference)
            names = [value for kind, value in steps if kind == "name"]
            if not steps or steps[0][0] != "name":
                continue
            head = steps[0][1]
            if head == "var" and len(steps) > 1:
                call = self._module_call(path)
                if call is None:
                    lost.append(reference)  # a root variable: a value, not a resource
                    continue
                expression = call.get("expressions", {}).get(str(steps[1][1]), {})
                more, missing = self.resolve(
                    _expression_references(expression), path[:-1], depth + 1
                )
                found += more
                lost += missing if missing or more else [reference]
            elif head == "module" and len(steps) > 1:
                name = str(steps[1][1])
                rest = steps[2:]
                key: Any = WILDCARD
                if rest and rest[0][0] == "index":
                    key, rest = rest[0][1], rest[1:]
                inner = (*path, (name, key))
                if not rest:
                    found += [i for i in self.instances if _under(i.path, inner)]
                    continue
                module = self._config_module(tuple((n, None) for n, _ in inner)) or {}
                output = module.get("outputs", {}).get(str(rest[0][1]), {})
                more, missing = self.resolve(
                    _expression_references(output.get("expression", {})), inner, depth + 1
                )
                found += more
                lost += missing if missing or more else [reference]
            elif head in ("local", "data"):
                lost.append(reference)
            elif head in ("each", "count", "path", "self", "terraform") or len(names) < 2:
                continue
            else:
                index = steps[2][1] if len(steps) > 2 and steps[2][0] == "index" else WILDCARD
                found += [
                    i
                    for i in self.instances
                    if (i.type, i.name) == (head, steps[1][1])
                    and _same_path(i.path, path)
                    and (index is WILDCARD or i.index == index)
                ]
        unique = {i.address: i for i in found}
        return list(unique.values()), lost


def _holds_true(node: Any) -> bool:
    if node is True:
        return True
    if isinstance(node, dict):
        return any(_holds_true(v) for v in node.values())
    if isinstance(node, list):
        return any(_holds_true(v) for v in node)
    return False


def _expression_references(expression: Any) -> list[str]:
    return list(expression.get("references", [])) if isinstance(expression, dict) else []


def _most_specific(references: Iterable[str]) -> list[str]:
    """Terraform lists `a.b.id`, `a.b`: keep only references no other one extends."""
    references = list(dict.fromkeys(references))
    return [
        r
        for r in references
        if not any(o != r and (o.startswith(r + ".") or o.startswith(r + "[")) for o in references)
    ]


def _same_path(actual: Path_, wanted: Path_) -> bool:
    return len(actual) == len(wanted) and _under(actual, wanted)


def _under(actual: Path_, wanted: Path_) -> bool:
    if len(actual) < len(wanted):
        return False
    return all(
        name == wanted_name and (wanted_key is WILDCARD or key == wanted_key)
        for (name, key), (wanted_name, wanted_key) in zip(actual, wanted, strict=False)
    )


def load_plan(path: Path) -> Plan:
    try:
        raw = path.read_bytes()
    except OSError as problem:
        raise PlanError(f"cannot read {path}: {problem.strerror or problem}") from problem
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16")  # PowerShell's `>` writes UTF-16
        elif raw.startswith(b"PK\x03\x04") or b"\x00" in raw:
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "binary")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise PlanError(
            f"{path} is not text (a saved plan file is a zip archive): pass the JSON of "
            "`terraform show -json tfplan`, not the binary plan itself"
        ) from problem
    try:
        document = json.loads(text)
    except json.JSONDecodeError as problem:
        raise PlanError(
            f"{path} is not JSON ({problem.msg} at line {problem.lineno}): pass the output of "
            "`terraform show -json tfplan`"
        ) from problem
    except RecursionError as problem:
        raise PlanError(f"{path} nests too deeply to be a Terraform plan") from problem
    return Plan(document)
