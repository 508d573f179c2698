"""Shared machinery for the project's checkov checks: the static adapter of the rules.

The rules themselves are ``cogfed_verdicts`` (pure functions over ``cogfed_model``); this
module builds that model from what checkov rendered. A value checkov left as an expression is
unknown and the rule undecided, which fails unless a module-call cycle hid it (``Outcome``;
docs/policy-gate.md, "Does 'cannot decide' block?"); the plan gate, on Terraform's own
evaluation, decides it.

Why Python checks with graph access rather than YAML graph policies (FACTS.md §9):
- the cross-resource rules compare *values* of two resources (a mapping key ``custom:x`` against
  a schema entry ``x``; mapped attributes against a client's ``write_attributes``); YAML
  attribute/connection solvers can test each side but cannot join them;
- checkov drops a YAML solver's result when a value is an unresolved variable, and skips a
  policy with a bad operator, both with exit code 0; here every "cannot see" becomes a result
  that names what was not visible, and a crash in a check a FAILED result instead of checkov's
  silent UNKNOWN.

The checks read the resource graph checkov hands every resource check (``self.graph``) to find
the pool an identity provider or app client belongs to (through ``user_pool_id``, variables,
module calls and outputs, in the module instance the resource belongs to), to tell an empty
``for_each`` from a variable checkov could not resolve, and to name why values stayed
unrendered (module calls whose inputs depend on their own outputs).

Two gaps in checkov's rendering are filled here, because CONTRACT §2 asks plain checkov to
fail on rules broken through locals, variables and local modules, and these are their common
forms: checkov leaves ``dynamic "schema"`` blocks unexpanded (their ``for_each`` items are
substituted into ``content``), and leaves ``optional()`` defaults and a few finished
expressions unevaluated (``settle``). Nothing else is evaluated here.

checkov imports every ``.py`` file in this directory by file name, so helper modules carry the
``cogfed_`` prefix to stay clear of other modules in ``sys.modules``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import cogfed_model as model
import cogfed_verdicts as verdicts
import hcl2
from checkov.common.bridgecrew.severities import Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.module.base_module_check import BaseModuleCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from cogfed_rules import RULES, Rule

# A rendered value that still holds a Terraform reference or expression: checkov could not
# evaluate it (FACTS.md §9 "unresolved variables"). Resource references (aws_x.y.id) are not
# listed: checkov leaves them as text and they are real values at apply time.
_UNRESOLVED = re.compile(
    r"\$\{|(?<![\w./:-])(?:var|local|each|count|module|data|path|self|terraform)\.[A-Za-z_]"
    r"|(?<![\w.])(?:lookup|try|merge|coalesce|concat|tomap|toset|tolist|keys|values|flatten)\("
)

UNSEEN = "unseen"  # marker for a value checkov could not see


def is_unresolved(value: Any) -> bool:
    """True when a rendered value (or anything inside it) is still an unevaluated expression."""
    if isinstance(value, str):
        return bool(_UNRESOLVED.search(value))
    if isinstance(value, dict):
        return any(is_unresolved(k) or is_unresolved(v) for k, v in value.items())
    if isinstance(value, list):
        return any(is_unresolved(v) for v in value)
    return False


def unwrap(value: Any) -> Any:
    """checkov wraps every HCL attribute value in a one-element list."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def attr(conf: dict[str, Any], key: str, default: Any = None) -> Any:
    """An attribute of a rendered resource, unwrapped once (lists stay lists)."""
    if key not in conf:
        return default
    value = conf[key]
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def to_bool(value: Any) -> bool | str | None:
    """A Terraform bool as Python bool; None when absent; UNSEEN when not evaluable."""
    value = unwrap(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return UNSEEN


def short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# checkov leaves some values half-rendered although every part is known (FACTS.md §9): an
# index by a substituted key loses its quotes (`{...}[Google]`), a conditional inside a
# function call is not evaluated, and `each.value.<attribute>` stays as text when the
# attribute was omitted for its optional() default, which checkov does not apply.
_BARE_INDEX = re.compile(r"\[([A-Za-z_][\w-]*)\]")
_EACH_VALUE_ATTRIBUTE = re.compile(r"\beach\.value\.([A-Za-z_]\w*)\b(?![.\[])")
_VARIABLE = re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)\b(?![.\[])")
_OPTIONAL_ATTRIBUTE = re.compile(r"'([A-Za-z_]\w*)': '\$\{optional\((.*?)\)\}'")
# A managed resource named in an expression's text: type, name, instance key as written.
_RESOURCE_REF = re.compile(
    r"(?<![\w.])([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)(?:\[([^\]]+)\])?"
)


def optional_defaults(type_text: Any) -> dict[str, str]:
    """`optional(T, default)` attributes of a variable's type (checkov's rendering of it)."""
    defaults: dict[str, str] = {}
    if not isinstance(type_text, str):
        return defaults
    for name, arguments in _OPTIONAL_ATTRIBUTE.findall(type_text):
        parts = _top_level_parts(arguments)
        defaults[name] = parts[-1].strip() if len(parts) > 1 else "null"
    return defaults


def _top_level_parts(text: str) -> list[str]:
    """`text` split at the commas outside any bracket."""
    parts: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def settle(
    value: Any, defaults: dict[str, str] | None = None, variables: dict[str, str] | None = None
) -> Any:
    """Finish evaluating a value checkov left half-rendered; unchanged when that fails.

    `defaults`: optional() defaults by object attribute, for `each.value.<attribute>`;
    `variables`: resolved values of the module's variables, for `var.<name>`.
    """
    if not isinstance(value, str) or not is_unresolved(value):
        return value
    from checkov.terraform.graph_builder.variable_rendering.evaluate_terraform import (
        evaluate_terraform,
    )

    text = value
    if defaults:
        text = _EACH_VALUE_ATTRIBUTE.sub(lambda m: defaults.get(m.group(1), m.group(0)), text)
    if variables:
        text = _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), text)
    text = _BARE_INDEX.sub(lambda m: f"['{m.group(1)}']", text)
    try:
        result = evaluate_terraform(text)
    except Exception:  # checkov's evaluator raises on what it cannot parse
        return value
    return value if is_unresolved(result) or result == text else result


# --------------------------------------------------------------------------------------------
# Outcome of one evaluation


@dataclass
class Outcome:
    """What a rule found on one resource: violations, values it could not see, and notes.

    What checkov cannot see fails, as a violation does: CONTRACT §2 asks plain checkov to fail
    a directory that breaks a rule through locals, variables and local modules, and a rule
    it cannot see may be broken. One exception (`why`): a module call whose inputs depend on
    its own outputs, which checkov does not evaluate at all, hides every value of the modules
    involved; no value the user could give helps, and a correct module (this one) would fail.
    There the rule passes with `Undecided:` details, which the gate reports as undecided and
    the plan gate decides (docs/policy-gate.md, "Does 'cannot decide' block?").
    """

    violations: list[str] = field(default_factory=list)
    unseen: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)  # why checkov could not see, when known

    def violate(self, text: str) -> None:
        self.violations.append(text)

    def cannot_see(self, text: str) -> None:
        self.unseen.append(text)

    @property
    def result(self) -> CheckResult:
        blocked = self.unseen and not self.why
        return (
            CheckResult.FAILED if self.violations or self.errors or blocked else CheckResult.PASSED
        )

    def details(self, rule: Rule) -> list[str]:
        lines = [f"Violation: {text}" for text in self.violations]
        lines += [f"Error: {text}" for text in self.errors]
        if lines:
            lines.append(f"Fix: {rule.fix}")
        if self.unseen and not self.violations:
            lines += [f"Undecided: {UNDECIDED_PREFIX}{text}" for text in self.unseen]
            lines += [f"Why: {text}" for text in self.why]
            lines.append(f"To decide: {TO_PLAN if self.why else TO_DECIDE}")
            if not self.why:
                lines.append(f"Fix: {rule.fix}")
        return lines + [f"Note: {text}" for text in self.notes]


UNDECIDED_PREFIX = "checkov cannot see "
TO_PLAN = "run the gate on Terraform's plan (`cogfed-gate --plan plan.json`)"
TO_DECIDE = (
    "run the gate on Terraform's plan (`cogfed-gate --plan plan.json`), which knows every "
    "value; or give checkov the value: a literal, a variable default, terraform.tfvars, "
    "*.auto.tfvars or --var-file"
)


# --------------------------------------------------------------------------------------------
# The resource graph

# A module instance: (file of the module call, call name, for_each key) from the innermost
# call out to the root; () for a root module.
Instance = tuple[tuple[str, str, str], ...]


def _module_chain(value: Any) -> Instance:
    """The module instance in a vertex's `source_module_object_` (checkov keeps a TFModule
    object there; its JSON form is a string or a dict)."""
    chain: list[tuple[str, str, str]] = []
    while value:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                break
        if isinstance(value, dict):
            path, name, index, value = (
                value.get("path"),
                value.get("name"),
                value.get("foreach_idx"),
                value.get("nested_tf_module"),
            )
        else:
            path = getattr(value, "path", None)
            name = getattr(value, "name", None)
            index = getattr(value, "foreach_idx", None)
            value = getattr(value, "nested_tf_module", None)
        chain.append((str(path), str(name), "" if index is None else str(index)))
    return tuple(chain)


def _describe(instance: Instance) -> str:
    """`module.a["k"] in dir/main.tf <- module.b in root/main.tf`, innermost call first."""
    calls = [
        f"module.{name}{_index_text(index)} in {_shown_path(path)}"
        for path, name, index in instance
    ]
    return " <- ".join(calls) if calls else "of the root module"


def _index_text(index: str) -> str:
    if not index:
        return ""
    return f"[{index}]" if index.isdigit() else f'["{index}"]'


def _shown_path(path: str) -> str:
    relative = os.path.relpath(path) if os.path.isabs(path) else path
    return path if relative.startswith("..") else relative


class GraphView:
    """One interface over checkov's rustworkx (default) and networkx graphs."""

    def __init__(self, graph: Any) -> None:
        self.raw = graph
        self.nodes: dict[Any, dict[str, Any]] = {}
        self.out: dict[Any, list[tuple[str, Any]]] = {}
        if hasattr(graph, "weighted_edge_list"):  # rustworkx.PyDiGraph
            for index in graph.node_indices():
                payload = graph[index]
                data = payload[1] if isinstance(payload, tuple) else payload
                self.nodes[index] = data
            for origin, dest, weight in graph.weighted_edge_list():
                label = weight.get("label", "") if isinstance(weight, dict) else str(weight)
                self.out.setdefault(origin, []).append((label, dest))
        else:  # networkx.DiGraph
            for key, data in graph.nodes(data=True):
                self.nodes[key] = data
            for origin, dest, data in graph.edges(data=True):
                self.out.setdefault(origin, []).append((data.get("label", ""), dest))
        self._by_config: dict[int, Any] = {}
        self._by_address: dict[str, list[Any]] = {}
        self._by_type: dict[str, list[Any]] = {}
        self.instance: dict[Any, Instance] = {}
        # The same block in every module instance: a module called from several roots (or
        # twice) has one vertex per instance, all with the same file and block name.
        self._copies: Counter[tuple[str, str, str]] = Counter()
        self._copy_in: dict[tuple[str, str, str, Instance], Any] = {}
        # Module calls by (directory, call name, the instance they are written in): call
        # names are unique within a module, and root modules share the instance ().
        self._calls: dict[tuple[str, str, Instance], list[Any]] = {}
        # Variables by module instance: the module's directory and the instance.
        self._variables: dict[tuple[str, Instance], dict[str, dict[str, Any]]] = {}
        # Resources by module instance and block name (`type.name`, `type.name["key"]`).
        self._resources: dict[tuple[str, Instance, str], Any] = {}
        for key, data in self.nodes.items():
            config = data.get("config_")
            if isinstance(config, dict):
                for inner in config.values():
                    if isinstance(inner, dict):
                        for entity in inner.values():
                            if isinstance(entity, dict):
                                self._by_config[id(entity)] = key
            kind, path = str(data.get("block_type_")), str(data.get("file_path_", ""))
            instance = _module_chain(data.get("source_module_object_"))
            self.instance[key] = instance
            place = (kind, path, str(data.get("block_name_")))
            self._copies[place] += 1
            self._copy_in[(*place, instance)] = key
            if kind == "resource":
                self._by_type.setdefault(str(data.get("resource_type")), []).append(key)
                name = str(data.get("block_name_"))
                self._resources[(os.path.dirname(path), instance, name)] = key
            elif kind == "variable":
                place = (os.path.dirname(path), instance)
                self._variables.setdefault(place, {})[str(data.get("block_name_"))] = data
            elif kind == "module":
                name = str(data.get("block_name_", "")).split("[", 1)[0]
                self._calls.setdefault((os.path.dirname(path), name, instance), []).append(key)
            address = data.get("__address__")
            if address:
                self._by_address.setdefault(address, []).append(key)
        self._pool_cache: dict[Any, list[Any]] = {}
        self._cycles: dict[tuple[str, str, Instance], str] | None = None
        self._cycles_by_place: dict[tuple[str, str], str] = {}
        self._on_pool: dict[str, dict[Any, list[Any]]] = {}
        # Pools as read_pool reads them: every provider and client check of a pool reads it.
        self.pools_read: dict[Any, Pool] = {}

    def vertices_for(self, conf: dict[str, Any]) -> list[Any]:
        """The vertices behind a rendered resource configuration.

        The configuration checkov passes a check is the very dict stored in its vertex, which
        identifies the vertex even when two root modules give two resources the same address.
        """
        key = self._by_config.get(id(conf))
        if key is not None:
            return [key]
        address = attr(conf, "__address__")
        return list(self._by_address.get(address, [])) if isinstance(address, str) else []

    def of_type(self, resource_type: str) -> list[Any]:
        return self._by_type.get(resource_type, [])

    def _labelled(self, key: Any, attribute: str) -> list[tuple[str, Any]]:
        prefix = (attribute + ".", attribute + "[")
        return [
            (label, dest)
            for label, dest in self.out.get(key, [])
            if label == attribute or label.startswith(prefix)
        ]

    def edges_for(self, key: Any, attribute: str) -> list[Any]:
        return [dest for _, dest in self._labelled(key, attribute)]

    def _module_variables_of(self, key: Any) -> dict[str, dict[str, Any]]:
        """The variable vertices of the module instance a resource vertex belongs to."""
        directory = os.path.dirname(str(self.nodes[key].get("file_path_", "")))
        return self._variables.get((directory, self.instance[key]), {})

    def follow(self, origin: Any, dest: Any, label: str = "") -> Any:
        """The vertex an edge of `origin` (labelled `label`) means: `dest`, or another copy.

        checkov links a reference to a module output by the module's directory and the
        output's name, so when one module is instantiated several times (called from
        several roots, called twice under two names, or with for_each) the edge leads to
        whichever instance it built first. Each instance has its own copy of every block,
        found by file and name: a variable's value comes from the module call in the
        instance around it; an output belongs to the call that origin's expression names
        (`module.<name>[<key>].<output>`), in origin's instance; anything else is in
        origin's instance.
        """
        here, there = self.instance[origin], self.instance[dest]
        data = self.nodes[dest]
        kind = str(data.get("block_type_"))
        if self.nodes[origin].get("block_type_") == "variable" and kind == "module":
            wanted = here[1:]
        elif kind == "output" and there:
            call = self._referenced_call(origin, label, str(data.get("block_name_")))
            wanted = (call or there[0], *here)
        else:
            wanted = here
        if there == wanted:
            return dest
        place = (kind, str(data.get("file_path_", "")), str(data.get("block_name_")))
        return self._copy_in.get((*place, wanted), dest)

    def _referenced_call(self, origin: Any, label: str, output: str) -> tuple[str, str, str] | None:
        """(file, name, for_each key) of the module call whose `output` a module call's
        argument `label` names, read from the unrendered HCL; None when that is ambiguous."""
        data = self.nodes[origin]
        if data.get("block_type_") != "module" or not label:
            return None
        call_name, _, key_text = str(data.get("block_name_", "")).partition("[")
        own_key = key_text.rstrip("]").strip('"')
        path = str(data.get("file_path_", ""))
        raw = _raw_module_calls(path).get(call_name, {})
        argument = re.split(r"[.\[]", label, maxsplit=1)[0]
        refs = {
            (m[0], m[1])
            for m in _MODULE_OUTPUT_REF.findall(str(raw.get(argument)))
            if m[2] == output
        }
        if len(refs) != 1:
            return None
        name, index = refs.pop()
        index = index.strip()
        if index in ("each.key", "count.index"):
            index = own_key
        elif index.startswith('"') and index.endswith('"') and len(index) >= 2:
            index = index[1:-1]
        elif index and not index.isdigit():
            return None  # an index expression this cannot evaluate
        calls = self._calls.get((os.path.dirname(path), name, self.instance[origin]), [])
        if not calls:
            return None
        return (str(self.nodes[calls[0]].get("file_path_", "")), name, index)

    def module_cycle(self, key: Any) -> str | None:
        """Why checkov left this resource's values unrendered, when a module call around it
        references, or depends on, module calls that reference each other.

        Terraform orders such calls output by output; checkov renders a module call as one
        vertex, which in a cycle never has all its references rendered, so every variable of
        those modules stays an expression.
        """
        if self._cycles is None:
            self._cycles = self._module_cycles()
            # Whether calls reference each other is written in the module's own source, the
            # same for every instance of it; checkov links some instances' references (a
            # module called from several roots) to another instance's blocks, so a cycle
            # found in one instance holds for the calls of the same place in all of them.
            for (directory, name, _), reason in self._cycles.items():
                self._cycles_by_place.setdefault((directory, name), reason)
        instance = self.instance[key]
        for depth, (path, name, _) in enumerate(instance):
            place = (os.path.dirname(path), name)
            reason = self._cycles.get((*place, instance[depth + 1 :]))
            reason = reason or self._cycles_by_place.get(place)
            if reason and self._inputs_unrendered(instance[depth:]):
                return reason
        return None

    def _inputs_unrendered(self, instance: Instance) -> bool:
        """Whether checkov left an input variable of this module instance without a value."""
        for (_, at), variables in self._variables.items():
            if at != instance:
                continue
            for data in variables.values():
                if "default" not in data or is_unresolved(data["default"]):
                    return True
        return False

    def _module_cycles(self) -> dict[tuple[str, str, Instance], str]:
        calls = self._calls
        needs: dict[tuple[str, str, Instance], set[tuple[str, str, Instance]]] = {}
        for node, keys in calls.items():
            directory, _, instance = node
            found: set[tuple[str, str, Instance]] = set()
            queue, seen = list(keys), set(keys)
            while queue:
                for _, dest in self.out.get(queue.pop(), []):
                    data, there = self.nodes[dest], self.instance[dest]
                    kind = data.get("block_type_")
                    if kind == "output" and there and there[1:] == instance:
                        if os.path.dirname(there[0][0]) == directory:
                            found.add((directory, there[0][1], instance))
                    elif (
                        kind in ("resource", "data", "locals")
                        and there == instance
                        and os.path.dirname(str(data.get("file_path_", ""))) == directory
                        and dest not in seen
                    ):
                        seen.add(dest)
                        queue.append(dest)
            # A call can reach its own outputs only through other blocks (a pool between the
            # functions and their permissions): that is a cycle for checkov too.
            needs[node] = found

        def reach(node: tuple[str, str, Instance]) -> set[tuple[str, str, Instance]]:
            done: set[tuple[str, str, Instance]] = set()
            stack = list(needs.get(node, ()))
            while stack:
                other = stack.pop()
                if other not in done:
                    done.add(other)
                    stack += needs.get(other, ())
            return done

        reached = {node: reach(node) for node in needs}
        cyclic = {node for node, nodes in reached.items() if node in nodes}
        reasons: dict[tuple[str, str, Instance], str] = {}
        for node, nodes in reached.items():
            members = sorted(n for n in cyclic if n in nodes or n == node)
            if not members:
                continue
            names = " and ".join(f"module.{n[1]}" for n in members)
            where = _shown_path(str(self.nodes[calls[members[0]][0]].get("file_path_", "?")))
            what = (
                f"module calls that reference each other ({names} in {where})"
                if len(members) > 1
                else f"a module call whose inputs come from its own outputs ({names} in {where})"
            )
            text = f"checkov does not evaluate {what} or what depends on them; Terraform does"
            if node not in cyclic:
                text = f"module.{node[1]} depends on {names}: {text}"
            reasons[node] = text
        return reasons

    def shared_instance(self, key: Any) -> str | None:
        """Where this resource's module instance is called from, when its module has several
        instances in the scan (their results carry the same address and file)."""
        data = self.nodes[key]
        place = ("resource", str(data.get("file_path_", "")), str(data.get("block_name_")))
        if self._copies[place] < 2 or not self.instance[key]:
            return None
        return _describe(self.instance[key])

    def instance_defaults(self, key: Any) -> dict[str, str]:
        """optional() defaults of the for_each variable that made this resource instance.

        The instance address ends in `type.name["key"]`; the variable is one of the same
        module whose value is a map holding that key.
        """
        match = re.search(r'\["([^"]+)"\]$', str(self.nodes[key].get("__address__", "")))
        if not match:
            return {}
        defaults: dict[str, str] = {}
        for data in self._module_variables_of(key).values():
            value = data.get("default")
            if isinstance(value, dict) and match.group(1) in value:
                defaults.update(optional_defaults(unwrap(data.get("type"))))
        return defaults

    def module_variables(self, key: Any) -> dict[str, str]:
        """Resolved values of the variables of this resource's module, as literals.

        checkov sometimes renders a variable's value on the variable but leaves `var.x` in
        an attribute whose expression it then failed to evaluate.
        """
        return {
            name: repr(unwrap(data["default"]))
            for name, data in self._module_variables_of(key).items()
            if "default" in data and not is_unresolved(data["default"])
        }

    def settle(self, key: Any, value: Any) -> Any:
        """`settle` with this resource instance's optional() defaults and module variables."""
        if not isinstance(unwrap(value), str) or not is_unresolved(unwrap(value)):
            return value
        return settle(unwrap(value), self.instance_defaults(key), self.module_variables(key))

    def describe(self, key: Any) -> str:
        data = self.nodes[key]
        return str(data.get("__address__") or data.get("block_name_") or key)

    def named_resources(self, at: Any, text: Any, types: tuple[str, ...]) -> list[Any]:
        """Resources of these types an expression's text names (`type.name`,
        `type.name["key"]`, `type.name[0]`), in the module instance of vertex `at`.

        checkov draws no edge to a resource whose `for_each` it could not expand (a map of
        locals whose values refer to variables): it keeps one unexpanded vertex under the
        plain name, whose configuration every instance shares (``instance_state``).
        """
        data = self.nodes[at]
        directory = os.path.dirname(str(data.get("file_path_", "")))
        found: list[Any] = []
        for resource_type, name, index in _RESOURCE_REF.findall(str(unwrap(text) or "")):
            if resource_type not in types:
                continue
            names = [f"{resource_type}.{name}[{index}]"] if index else []
            for block in [*names, f"{resource_type}.{name}"]:
                key = self._resources.get((directory, self.instance[at], block))
                if key is not None:
                    if key not in found:
                        found.append(key)
                    break
        return found

    # -- which pool a resource belongs to ---------------------------------------------------

    def pools_of(self, key: Any) -> list[Any]:
        """Pool vertices reached from ``user_pool_id`` through variables, modules and outputs."""
        if key not in self._pool_cache:
            found: list[Any] = []
            for dest in self._walk(key, "user_pool_id"):
                data = self.nodes[dest]
                if (
                    data.get("block_type_") == "resource"
                    and data.get("resource_type") == "aws_cognito_user_pool"
                    and dest not in found
                ):
                    found.append(dest)
            self._pool_cache[key] = found
        return self._pool_cache[key]

    def on_pool(self, pool_key: Any, resource_type: str) -> list[Any]:
        """Resources of a type whose ``user_pool_id`` leads to this pool."""
        if resource_type not in self._on_pool:
            by_pool: dict[Any, list[Any]] = {}
            for key in self.of_type(resource_type):
                for pool in self.pools_of(key):
                    by_pool.setdefault(pool, []).append(key)
            self._on_pool[resource_type] = by_pool
        return self._on_pool[resource_type].get(pool_key, [])

    def _walk(
        self, start: Any, attribute: str, crossed: list[tuple[Any, Any]] | None = None
    ) -> Iterator[Any]:
        """Every vertex a resource attribute depends on, following how checkov links values.

        resource -attribute-> variable -default-> module call -<variable name>-> ... ->
        output -value-> resource; locals are followed through all their edges. `crossed`
        collects (checkov's output, this instance's output) where checkov linked another
        instance's output whose value differs: the value it rendered here is that one's.
        """

        def step(origin: Any, dest: Any, label: str = "") -> Any:
            own = self.follow(origin, dest, label)
            if (
                crossed is not None
                and own != dest
                and self.nodes[dest].get("block_type_") == "output"
                and self.nodes[dest].get("value") != self.nodes[own].get("value")
            ):
                crossed.append((dest, own))
            return own

        queue: list[tuple[Any, str | None]] = [
            (step(start, d, label), None) for label, d in self._labelled(start, attribute)
        ]
        seen: set[Any] = set()
        while queue:
            key, wanted = queue.pop()
            if (key, wanted) in seen:
                continue
            seen.add((key, wanted))
            yield key
            data = self.nodes[key]
            kind = data.get("block_type_")
            if kind == "variable":
                name = str(data.get("block_name_"))
                queue += [(step(key, d), name) for d in self.edges_for(key, "default")]
            elif kind == "module":
                if wanted is not None:
                    queue += [(step(key, d, lbl), None) for lbl, d in self._labelled(key, wanted)]
            elif kind in ("locals", "output"):
                queue += [(step(key, d, lbl), None) for lbl, d in self.out.get(key, [])]

    def empty_module_call(self, key: Any) -> str | None:
        """The module call (if any) around a resource that has count = 0 or an empty for_each."""
        instance = self.instance[key]
        for depth, (path, name, _) in enumerate(instance):
            # the call that made this level of the instance, in the instance around it
            place = (os.path.dirname(path), name, instance[depth + 1 :])
            for call in self._calls.get(place, []):
                data = self.nodes[call]
                count = unwrap(data.get("count"))
                for_each = data.get("for_each")
                inputs = self.unresolved_inputs(call, ["for_each", "count"])
                if not inputs and (
                    count == 0 or (isinstance(for_each, (dict, list)) and not for_each)
                ):
                    return f"module.{name} ({'count = 0' if count == 0 else 'empty for_each'})"
        return None

    def unresolved_inputs(self, key: Any, attributes: Iterable[str]) -> list[str]:
        """Variables a resource attribute depends on that have no value checkov could see.

        checkov renders such a variable as an empty map or list when it is passed through a
        module call, which would make a rule pass on nothing (FACTS.md §9).
        """
        missing: list[str] = []
        for attribute in attributes:
            crossed: list[tuple[Any, Any]] = []
            for dest in self._walk(key, attribute, crossed):
                data = self.nodes[dest]
                if (
                    data.get("block_type_") == "variable"
                    and "default" not in data
                    and not self.edges_for(dest, "default")
                ):
                    where = data.get("file_path_", "?")
                    text = f"var.{data.get('block_name_')} ({where}) has no value"
                    if text not in missing:
                        missing.append(text)
            for linked, own in crossed:
                output = self.nodes[own]
                linked_at, own_at = self.instance[linked], self.instance[own]
                text = (
                    f"output {output.get('block_name_')} "
                    f"({_shown_path(str(output.get('file_path_', '?')))}) was rendered by "
                    f"checkov from the module instance {_describe(linked_at)}, not "
                    f"{_describe(own_at)}"
                )
                roots = {os.path.dirname(at[-1][0]) if at else "" for at in (linked_at, own_at)}
                if len(roots) > 1:
                    text += " (scan each root directory in its own checkov run)"
                if text not in missing:
                    missing.append(text)
        return missing


_VIEWS: dict[int, GraphView] = {}


def graph_view(graph: Any) -> GraphView | None:
    if graph is None:
        return None
    view = _VIEWS.get(id(graph))
    if view is None or view.raw is not graph:
        _VIEWS.clear()  # one graph per scan; drop views of earlier graphs
        view = GraphView(graph)
        _VIEWS[id(graph)] = view
    return view


# --------------------------------------------------------------------------------------------
# Instances: for_each and count


def instance_state(view: GraphView | None, key: Any, conf: dict[str, Any], out: Outcome) -> bool:
    """False when Terraform creates no instance of this resource (nothing to check).

    checkov expands for_each/count it can evaluate into instances (``x["a"]``); a ``for_each``
    left in the configuration is one it could not expand: an empty collection, which checkov
    still evaluates once with ``each.key`` unresolved, or an unresolved expression. checkov also
    evaluates the resources of a module call with ``count = 0`` or an empty ``for_each``.
    """
    if view is not None and key is not None:
        empty_call = view.empty_module_call(key)
        if empty_call:
            out.notes.append(f"{empty_call} creates no instance: nothing to check")
            return False
    if "for_each" in conf:
        for_each = attr(conf, "for_each")
        missing = view.unresolved_inputs(key, ["for_each"]) if view and key is not None else []
        if isinstance(for_each, (dict, list)) and not for_each and not missing:
            out.notes.append("for_each is empty: Terraform creates no instance to check")
            return False
        if isinstance(for_each, dict) and for_each and not any(is_unresolved(k) for k in for_each):
            # The keys decide which instances exist; only the values were left unevaluated
            # (checkov then does not expand the instances). Every instance is configured
            # alike here, so one check covers them.
            out.notes.append(
                f"for_each over {', '.join(map(str, for_each))}: checked once for every instance"
            )
            return True
        # Which instances exist is not visible, but every instance has this block's
        # configuration: judged once, a pass holds for each of them (a value that differs
        # per instance stays unseen), and a violation is one for each, if there is any.
        reason = "; ".join(missing) if missing else f"for_each = {short(for_each)}"
        out.notes.append(
            f"which instances exist could not be evaluated ({reason}): checked once for every "
            "instance it may have"
        )
    if "count" in conf:
        count = attr(conf, "count")
        if count == 0:
            out.notes.append("count is 0: Terraform creates no instance to check")
            return False
        if not isinstance(count, int):
            out.notes.append(
                f"count = {short(count)} could not be evaluated; checked as if it were created"
            )
    return True


# --------------------------------------------------------------------------------------------
# Facts about the resources


@dataclass
class Idp:
    address: str
    provider_type: str | None
    provider_name: str | None
    mapping: dict[str, Any] | None  # None when not visible; Unknown values not visible either
    issuer: Any = None  # provider_details.oidc_issuer: a string, None, or model.Unknown


def read_idp(view: GraphView | None, key: Any, conf: dict[str, Any], out: Outcome) -> Idp:
    address = str(attr(conf, "__address__", "?"))
    provider_type = attr(conf, "provider_type")
    provider_name = attr(conf, "provider_name")
    mapping = attr(conf, "attribute_mapping")
    if view is not None and key is not None:
        provider_type = view.settle(key, provider_type)
        provider_name = view.settle(key, provider_name)
        mapping = view.settle(key, mapping)
    if not isinstance(provider_type, str) or is_unresolved(provider_type):
        out.cannot_see(f"provider_type ({short(provider_type)})")
        provider_type = None
    if not isinstance(provider_name, str) or is_unresolved(provider_name):
        provider_name = None
    if mapping is None:
        mapping = {}
    missing = view.unresolved_inputs(key, ["attribute_mapping"]) if view and key is not None else []
    if not isinstance(mapping, dict) or any(is_unresolved(k) for k in mapping):
        out.cannot_see(f"attribute_mapping ({short(mapping)})")
        mapping = None
    elif missing:
        out.cannot_see("attribute_mapping: " + "; ".join(missing))
        mapping = None
    else:
        # A value checkov left as an expression is not a claim name: the rules that read it
        # are undecided rather than judging the expression's text.
        mapping = {
            str(k): model.Unknown(f"attribute_mapping `{k}` is {short(v)}, not visible to checkov")
            if is_unresolved(v)
            else v
            for k, v in mapping.items()
        }
    # Only an OIDC provider's issuer decides anything (which provider it is under another name).
    issuer = _read_issuer(view, key, conf) if provider_type == "OIDC" else None
    return Idp(address, provider_type, provider_name, mapping, issuer)


def _read_issuer(view: GraphView | None, key: Any, conf: dict[str, Any]) -> Any:
    """provider_details.oidc_issuer: the issuer, None when not set, Unknown when checkov
    cannot show it."""
    details = attr(conf, "provider_details")
    if view is not None and key is not None:
        details = view.settle(key, details)
    missing = view.unresolved_inputs(key, ["provider_details"]) if view and key is not None else []
    if details is None:
        return None
    if missing or not isinstance(details, dict) or any(is_unresolved(k) for k in details):
        why = "; ".join(missing) if missing else f"provider_details = {short(details)}"
        return model.Unknown(f"its oidc_issuer is not visible to checkov ({why})")
    issuer = unwrap(details.get("oidc_issuer"))
    if issuer is None or (isinstance(issuer, str) and not is_unresolved(issuer)):
        return issuer
    return model.Unknown(f"its oidc_issuer ({short(issuer)}) is not visible to checkov")


@dataclass
class SchemaEntry:
    name: str
    mutable: bool | str | None
    required: bool | str | None


@dataclass
class Pool:
    key: Any
    address: str
    file: str
    case_sensitive: bool | str | None
    schema: dict[str, SchemaEntry]
    unseen: list[str]  # what about its schema checkov could not see
    # The rules' model values (cogfed_model.Pool): a value, None, or model.Unknown.
    linking_trigger: Any = None
    trigger_subjects: Any = None
    verify_before_update: Any = None


# `module.<name>.<output>` or `module.<name>[<index>].<output>` in an unrendered expression.
_MODULE_OUTPUT_REF = re.compile(r"module\.([A-Za-z_][\w-]*)(?:\[([^\]]+)\])?\.([A-Za-z_][\w-]*)")


@functools.lru_cache(maxsize=256)
def _parsed_hcl(path: str) -> dict[str, Any]:
    """A Terraform file as python-hcl2 parses it, unrendered (parse errors propagate)."""
    with open(path, encoding="utf-8") as handle:
        return dict(hcl2.load(handle))


@functools.lru_cache(maxsize=256)
def _raw_module_calls(path: str) -> dict[str, dict[str, Any]]:
    """The unrendered module blocks of a file, by call name ({} when it does not parse)."""
    try:
        parsed = _parsed_hcl(path)
    except Exception:  # hcl2 raises its own parse errors; checkov reports those files
        return {}
    return {name: body for block in parsed.get("module", []) for name, body in block.items()}


def _raw_resources(path: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The unrendered resource blocks of a file, for the static blocks dynamic ones hide."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for block in _parsed_hcl(path).get("resource", []):
        for resource_type, by_name in block.items():
            for name, body in by_name.items():
                found[(resource_type, name)] = body
    return found


_ITER_REF = re.compile(
    r"^\$?\{?\s*([A-Za-z_][\w-]*)\.(key|value)((?:\.[\w-]+|\[\"[^\"]+\"\])*)\s*\}?$"
)
_LOOKUP_REF = re.compile(
    r"^\$?\{?\s*lookup\(\s*([A-Za-z_][\w-]*)\.value\s*,\s*\"([^\"]+)\"\s*,\s*(.+?)\s*\)\s*\}?$"
)


def _literal(text: str) -> Any:
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    try:
        return int(text)
    except ValueError:
        return UNSEEN


def _substitute(value: Any, iterator: str, item_key: Any, item_value: Any) -> Any:
    """Evaluate one dynamic-block content value for one for_each element."""
    value = unwrap(value)
    if not isinstance(value, str):
        return value
    match = _ITER_REF.match(value)
    if match and match.group(1) == iterator:
        if match.group(2) == "key":
            return item_key if not match.group(3) else UNSEEN
        result = item_value
        for part in re.findall(r"\.([\w-]+)|\[\"([^\"]+)\"\]", match.group(3)):
            name = part[0] or part[1]
            if not isinstance(result, dict) or name not in result:
                return UNSEEN
            result = result[name]
        return result
    match = _LOOKUP_REF.match(value)
    if match and match.group(1) == iterator:
        if isinstance(item_value, dict) and match.group(2) in item_value:
            return item_value[match.group(2)]
        return _literal(match.group(3))
    if is_unresolved(value):
        return UNSEEN
    return value


def _dynamic_entries(dynamic: Any, block: str) -> Iterator[dict[str, Any]]:
    items = dynamic if isinstance(dynamic, list) else [dynamic]
    for item in items:
        if isinstance(item, dict) and block in item:
            body = item[block]
            yield unwrap(body) if isinstance(body, list) else body


def _schema_entry(raw: dict[str, Any]) -> SchemaEntry | str:
    name = unwrap(raw.get("name"))
    if not isinstance(name, str) or is_unresolved(name) or name == UNSEEN:
        return f"schema entry name ({short(name)})"
    return SchemaEntry(
        name=name,
        mutable=to_bool(raw.get("mutable")) if raw.get("mutable") != UNSEEN else UNSEEN,
        required=to_bool(raw.get("required")) if raw.get("required") != UNSEEN else UNSEEN,
    )


def read_pool(view: GraphView, key: Any) -> Pool:
    if key not in view.pools_read:
        view.pools_read[key] = _read_pool(view, key)
    return view.pools_read[key]


def _read_pool(view: GraphView, key: Any) -> Pool:
    data = view.nodes[key]
    conf = _rendered(data)
    address = str(data.get("__address__") or data.get("block_name_"))
    unseen: list[str] = []
    username = attr(conf, "username_configuration")
    if isinstance(username, dict) and "case_sensitive" in username:
        case_sensitive = to_bool(username["case_sensitive"])
        missing = view.unresolved_inputs(key, ["username_configuration"])
        if missing:
            case_sensitive = UNSEEN
    else:
        case_sensitive = None

    entries: list[SchemaEntry | str] = []
    dynamic = data.get("dynamic")
    dynamic_schema = list(_dynamic_entries(dynamic, "schema")) if dynamic is not None else []
    if not dynamic_schema:
        # No dynamic schema block: checkov's rendered configuration holds the static blocks.
        for raw in conf.get("schema", []) or []:
            if isinstance(raw, dict):
                entries.append(_schema_entry(raw))
    else:
        # checkov's rendering of dynamic blocks is loose (FACTS.md §9): several dynamic blocks
        # of one name overwrite each other, a map for_each is left unexpanded, and placeholder
        # entries are appended to the configuration. Rebuild the schema from the unrendered
        # static blocks and each dynamic block's own rendered for_each.
        block_name = str(data.get("block_name_", "")).split(".", 1)[-1].split("[", 1)[0]
        raw_body = _raw_resources(str(data.get("file_path_"))).get(
            (str(data.get("resource_type")), block_name), {}
        )
        for raw in raw_body.get("schema", []) or []:
            entry = _schema_entry(raw)
            if isinstance(entry, SchemaEntry) and (
                entry.mutable == UNSEEN or entry.required == UNSEEN
            ):
                entry = f"schema entry {entry.name} (its values are expressions)"
            entries.append(entry)
        missing = view.unresolved_inputs(key, ["dynamic"])
        for body in dynamic_schema:
            iterator = unwrap(body.get("iterator")) or "schema"
            for_each = view.settle(key, body.get("for_each"))
            content = unwrap(body.get("content"))
            if missing or not isinstance(for_each, (dict, list)) or not isinstance(content, dict):
                reason = "; ".join(missing) if missing else f"for_each = {short(for_each)}"
                unseen.append(f"the entries of a dynamic schema block ({reason})")
                continue
            pairs = for_each.items() if isinstance(for_each, dict) else enumerate(for_each)
            for item_key, item_value in pairs:
                if isinstance(for_each, list) and not isinstance(item_value, (dict, list)):
                    # checkov renders toset() as a list; a set element's key is its value
                    item_key = item_value
                evaluated = {
                    name: _substitute(value, iterator, item_key, item_value)
                    for name, value in content.items()
                    if name in ("name", "mutable", "required")
                }
                entries.append(_schema_entry(evaluated))
    schema: dict[str, SchemaEntry] = {}
    for entry in entries:
        if isinstance(entry, str):
            unseen.append(entry)
        else:
            schema[entry.name] = entry
    linking_trigger, trigger_subjects = read_linking(view, key)
    return Pool(
        key=key,
        address=address,
        file=str(data.get("file_path_", "?")),
        case_sensitive=case_sensitive,
        schema=schema,
        unseen=unseen,
        linking_trigger=linking_trigger,
        trigger_subjects=trigger_subjects,
        verify_before_update=read_update_settings(view, key, conf),
    )


def _rendered(data: dict[str, Any]) -> dict[str, Any]:
    """The rendered configuration of a resource vertex (checkov nests it by type and name)."""
    conf: dict[str, Any] = {}
    for inner in (data.get("config_") or {}).values():
        if isinstance(inner, dict):
            for entity in inner.values():
                if isinstance(entity, dict):
                    conf = entity
    return conf


def _dynamic_block(data: dict[str, Any], block: str) -> bool:
    dynamic = data.get("dynamic")
    items = dynamic if isinstance(dynamic, list) else [dynamic]
    return any(isinstance(item, dict) and block in item for item in items)


def read_update_settings(view: GraphView, key: Any, conf: dict[str, Any]) -> Any:
    """user_attribute_update_settings' attributes held back until verified, as the model
    takes them: a tuple, None when not set, or Unknown."""
    block_name = "user_attribute_update_settings"
    dynamic = list(_dynamic_entries(view.nodes[key].get("dynamic"), block_name))
    if dynamic:
        return _dynamic_update_settings(view, key, dynamic)
    block = attr(conf, block_name)
    if block is None or block == []:
        return None
    missing = view.unresolved_inputs(key, [block_name])
    if missing:
        return model.Unknown("; ".join(missing))
    value = block.get(model.VERIFY_BEFORE_UPDATE) if isinstance(block, dict) else UNSEEN
    # checkov wraps an attribute's value in a list, a list value too.
    while isinstance(value, list) and len(value) == 1 and isinstance(value[0], (list, set)):
        value = value[0]
    return _held(view.settle(key, value))


def _held(value: Any) -> Any:
    """The attributes held back, from a rendered list (a set is how checkov renders
    `toset(...)`): a tuple, None when null, Unknown when not a list of names."""
    if isinstance(value, set):
        value = sorted(value, key=str)
    if isinstance(value, str) and not is_unresolved(value) and value != UNSEEN:
        return (value,)
    if (
        isinstance(value, list)
        and all(isinstance(v, str) for v in value)
        and not is_unresolved(value)
        and UNSEEN not in value
    ):
        return tuple(value)
    if value is None:
        return None
    return model.Unknown(f"{model.VERIFY_BEFORE_UPDATE} ({short(value)}) is not visible to checkov")


def _dynamic_update_settings(view: GraphView, key: Any, bodies: list[dict[str, Any]]) -> Any:
    """A `dynamic "user_attribute_update_settings"` block, expanded as Terraform does: no
    element, no block; each element's `content` with the iterator substituted. The provider
    takes one block at most, so the elements must agree."""
    if len(bodies) != 1:
        return model.Unknown("several dynamic user_attribute_update_settings blocks")
    body = bodies[0]
    iterator = unwrap(body.get("iterator")) or "user_attribute_update_settings"
    for_each = view.settle(key, body.get("for_each"))
    content = unwrap(body.get("content"))
    missing = view.unresolved_inputs(key, ["dynamic.user_attribute_update_settings"])
    if missing or not isinstance(for_each, (dict, list)) or not isinstance(content, dict):
        reason = "; ".join(missing) if missing else f"for_each = {short(for_each)}"
        return model.Unknown(f"a dynamic user_attribute_update_settings block ({reason})")
    pairs = for_each.items() if isinstance(for_each, dict) else enumerate(for_each)
    found: list[Any] = []
    for item_key, item_value in pairs:
        raw = content.get(model.VERIFY_BEFORE_UPDATE)
        if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], (list, set)):
            raw = raw[0]
        value = (
            raw
            if isinstance(raw, (list, set))
            else _substitute(raw, iterator, item_key, item_value)
        )
        found.append(_held(value))
    if not found:
        return None  # for_each is empty: Terraform writes no block
    if any(model.is_unknown(held) for held in found) or len(set(map(str, found))) > 1:
        unknown = next((h for h in found if model.is_unknown(h)), None)
        return unknown or model.Unknown(
            "the elements of a dynamic user_attribute_update_settings block differ"
        )
    return found[0]


# The lambda_config arguments that name a linking trigger, as paths into the rendered
# configuration (the graph labels an edge of a nested argument with the whole path).
LINKING_ARGUMENTS = tuple(("lambda_config", *argument) for argument in model.LINKING_TRIGGERS)
PRE_SIGN_UP = LINKING_ARGUMENTS[0]
FUNCTION = "aws_lambda_function"
ALIAS = "aws_lambda_alias"

# A rendered value that names something (`aws_x.y.arn`, `module.m.out`, `data.x.y.arn`)
# rather than being a literal (an ARN or a function name, which hold no `.` before a `:`).
_NAMES_SOMETHING = re.compile(r"^\s*(?:\$\{)?\s*[A-Za-z_][\w-]*(?:\[[^\]]*\])?\.[A-Za-z_]")


def _rendered_at(conf: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The rendered value at a path of nested blocks and arguments; None when absent."""
    value: Any = conf
    for step in path:
        value = unwrap(value)
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return unwrap(value)


def _is_literal(value: Any) -> bool:
    return isinstance(value, str) and not is_unresolved(value) and not _NAMES_SOMETHING.match(value)


def functions_behind(
    view: GraphView, key: Any, path: tuple[str, ...], depth: int = 0
) -> tuple[list[Any], str | None]:
    """The aws_lambda_function vertices an argument of a resource names (a pool's
    lambda_config argument, an alias's function_name), followed through variables, module
    calls, outputs, locals and aliases; with why checkov cannot tell, when it cannot.

    Nothing, and no reason, when the argument is absent, a literal (an ARN or a function
    name), or names a data source or a resource of another type: a function outside the scan
    (docs/policy-gate.md, "Known limits"). Any other reference that leads to no function
    is not "no function": checkov drew no edge to it (a resource whose `for_each` it could
    not expand), so the function is looked up by the name the expression gives, and the
    reason names the expression when even that finds nothing.
    """
    label = ".".join(path)
    value = _rendered_at(_rendered(view.nodes[key]), path)
    reached = list(view._walk(key, label))
    if not view._labelled(key, label):
        reached += view.named_resources(key, value, (FUNCTION, ALIAS))
    functions: list[Any] = []
    unseen: list[str] = []
    outside = False
    index = 0
    while index < len(reached):
        dest = reached[index]
        index += 1
        data = view.nodes[dest]
        kind, resource_type = data.get("block_type_"), data.get("resource_type")
        if kind == "output" and not view.out.get(dest):
            # An output whose reference checkov did not link: the name it gives.
            for named in view.named_resources(dest, data.get("value"), (FUNCTION, ALIAS)):
                if named not in reached:
                    reached.append(named)
        elif kind == "data":
            outside = True
        elif kind == "resource" and resource_type == FUNCTION:
            if dest not in functions:
                functions.append(dest)
        elif kind == "resource" and resource_type == ALIAS and depth == 0:
            behind, why = functions_behind(view, dest, ("function_name",), depth + 1)
            functions += [f for f in behind if f not in functions]
            if why:
                unseen.append(why)
        elif kind == "resource":
            outside = True
    if functions:
        return functions, None
    missing = view.unresolved_inputs(key, [label])
    if missing:
        return [], f"{label} of {view.describe(key)}: " + "; ".join(missing)
    if unseen:
        return [], "; ".join(unseen)
    if outside or value is None or _is_literal(value):
        return [], None
    return [], (
        f"{label} of {view.describe(key)} is {short(value)}, which checkov does not resolve "
        "to a function of the scan"
    )


def read_linking(view: GraphView, key: Any) -> tuple[Any, Any]:
    """(linking trigger, trigger subjects) of a pool, as the model takes them.

    The linking trigger: the address of a pre sign-up or pre token generation function whose
    environment carries IDENTITY_PROVIDERS (this project's triggers), None when no function
    of the scan is such a trigger, Unknown when checkov cannot show a function's environment
    or the function an argument names. The subjects: ProviderName -> the attribute the pre
    sign-up function reads the exact-case subject from, as the plan adapter reads them.
    """
    found: list[str] = []
    unseen: list[str] = []
    subjects: Any = None
    for path in LINKING_ARGUMENTS:
        functions, why = functions_behind(view, key, path)
        if why:
            unseen.append(why)
            if path == PRE_SIGN_UP:
                subjects = model.Unknown(why)
        for function in functions:
            name = view.describe(function)
            settings = _linking_settings(view, function)
            if model.is_unknown(settings):
                text = f"the environment of {name} ({settings})"
                if text not in unseen:  # one function behind several arguments
                    unseen.append(text)
            elif settings is not None:
                if name not in found:
                    found.append(name)
                if path == PRE_SIGN_UP and len(functions) == 1:
                    subjects = _subjects(settings, name)
    if found:
        return found[0], subjects
    if unseen:
        return model.Unknown("; ".join(unseen)), subjects
    return None, None


def _linking_settings(view: GraphView, function: Any) -> Any:
    """A function's IDENTITY_PROVIDERS value; None when its environment has none; Unknown
    (naming why) when checkov cannot show its environment."""
    data = view.nodes[function]
    if _dynamic_block(data, "environment"):
        return model.Unknown("a dynamic environment block is not visible")
    environment = attr(_rendered(data), "environment")
    if environment is None or environment == []:
        return None
    variables = (
        view.settle(function, attr(environment, "variables"))
        if isinstance(environment, dict)
        else UNSEEN
    )
    variables = unwrap(variables) if isinstance(variables, list) else variables
    if isinstance(variables, dict) and model.LINKING_SETTING in variables:
        return variables[model.LINKING_SETTING]
    if isinstance(variables, str) and model.LINKING_SETTING in _merged_keys(variables):
        return variables  # the setting is there; its value is not visible
    if isinstance(variables, dict) and not any(is_unresolved(k) for k in variables):
        missing = view.unresolved_inputs(function, ["environment"])
        if missing:
            return model.Unknown("; ".join(missing))
        return None
    if variables is None:
        return None
    return model.Unknown(f"variables = {short(variables)}")


def _merged_keys(text: str) -> set[str]:
    """The keys a `merge(...)` of map literals, as checkov leaves it unevaluated, certainly
    holds: each literal key of each literal map argument (merge keeps every key it is given).

    Which order checkov renders module calls in varies between runs, so the same
    environment block comes out as a map in one and as this text in another; read by
    bracket depth, as the rendered values inside may hold unescaped quotes."""
    text = text.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    if text.startswith("merge(") and text.endswith(")"):
        keys: set[str] = set()
        for argument in _top_level_parts(text[len("merge(") : -1]):
            keys |= _merged_keys(argument)
        return keys
    if not (text.startswith("{") and text.endswith("}")):
        return set()
    keys = set()
    for entry in _top_level_parts(text[1:-1]):
        match = re.match(r"""\s*['"]?([A-Za-z_][\w-]*)['"]?\s*[:=]""", entry)
        if match:
            keys.add(match.group(1))
    return keys


def _subjects(settings: Any, name: str) -> Any:
    """ProviderName -> subject attribute from an IDENTITY_PROVIDERS value (checkov renders
    jsonencode({...}) as the object itself); None when it is no JSON object."""
    if isinstance(settings, str) and not is_unresolved(settings):
        try:
            settings = json.loads(settings)
        except ValueError:
            return None
    if not isinstance(settings, dict) or is_unresolved(settings):
        return model.Unknown(
            f"the IDENTITY_PROVIDERS value of {name} ({short(settings)}) is not visible to checkov"
        )
    return {
        str(provider): (spec.get("subject_attribute") if isinstance(spec, dict) else None)
        for provider, spec in settings.items()
    }


def pools_for(view: GraphView | None, keys: list[Any], out: Outcome) -> list[Pool]:
    """The pools a resource's ``user_pool_id`` leads to; records why none could be found."""
    if view is None:
        out.cannot_see(
            "checkov gave the check no resource graph, so the user pool is unknown "
            "(run checkov with its default graph settings)"
        )
        return []
    if not keys:
        out.cannot_see("this resource's vertex in checkov's graph")
        return []
    pool_keys: list[Any] = []
    for key in keys:
        for pool_key in view.pools_of(key):
            if pool_key not in pool_keys:
                pool_keys.append(pool_key)
    if not pool_keys:
        out.cannot_see(
            "which aws_cognito_user_pool user_pool_id refers to (a literal ID, a data source, or "
            "a value passed in from outside the scanned directory)"
        )
        return []
    pools = [read_pool(view, key) for key in pool_keys]
    if len(pools) > 1:
        out.notes.append(
            "user_pool_id leads to several pools in checkov's graph ("
            + ", ".join(p.address for p in pools)
            + "); every one is checked"
        )
    return pools


# --------------------------------------------------------------------------------------------
# The rules' model from what checkov shows: the rules themselves are ``cogfed_verdicts``


def _known(value: Any, what: str) -> Any:
    return model.Unknown(f"{what} is not visible to checkov") if value == UNSEEN else value


def model_pool(pool: Pool) -> model.Pool:
    entries = tuple(
        model.SchemaEntry(
            name=entry.name,
            mutable=_known(entry.mutable, f"`mutable` of schema entry `{entry.name}`"),
            required=_known(entry.required, f"`required` of schema entry `{entry.name}`"),
        )
        for entry in pool.schema.values()
    )
    return model.Pool(
        address=pool.address,
        case_sensitive=_known(pool.case_sensitive, "its username_configuration.case_sensitive"),
        schema=entries,
        schema_incomplete=model.Unknown("; ".join(pool.unseen)) if pool.unseen else None,
        linking_trigger=pool.linking_trigger,
        trigger_subjects=pool.trigger_subjects,
        verify_before_update=pool.verify_before_update,
    )


def model_idp(
    idp: Idp, unseen: list[str], pool: model.Pool | model.Unknown
) -> model.IdentityProvider:
    """`unseen`: what ``read_idp`` could not see, each naming the value it is about."""

    def why(name: str) -> str:
        return "; ".join(u for u in unseen if u.startswith(name)) or f"{name} is not visible"

    return model.IdentityProvider(
        address=idp.address,
        provider_name=idp.provider_name or model.Unknown(why("provider_name")),
        provider_type=idp.provider_type or model.Unknown(why("provider_type")),
        mapping=model.Unknown(why("attribute_mapping")) if idp.mapping is None else idp.mapping,
        pool=pool,
        issuer=idp.issuer,
    )


def record(verdict: verdicts.Verdict, out: Outcome) -> None:
    for text in verdict.violations:
        if text not in out.violations:
            out.violate(text)
    for what, why in verdict.unknowns:
        text = f"{what} ({why})"
        if text not in out.unseen:
            out.cannot_see(text)


def pool_models(view: GraphView | None, keys: list[Any], out: Outcome) -> list[tuple[Any, Any]]:
    """(graph key, model pool) of each pool a resource belongs to, or (None, Unknown why)."""
    found = Outcome()
    pools = pools_for(view, keys, found)
    out.notes += found.notes
    if not pools:
        return [(None, model.Unknown("; ".join(found.unseen) or "no pool found"))]
    return [(pool.key, model_pool(pool)) for pool in pools]


def judge_provider(
    rule: Any,
    rule_id: str,
    view: GraphView | None,
    keys: list[Any],
    conf: dict[str, Any],
    out: Outcome,
    needs_pool: bool,
) -> None:
    """Run one provider rule of ``cogfed_verdicts`` against each pool the provider may be in."""
    seen = Outcome()
    idp = read_idp(view, keys[0] if keys else None, conf, seen)
    targets = pool_models(view, keys, out) if needs_pool else [(None, model.Unknown("unused"))]
    for _, target in targets:
        verdict = verdicts.Verdict(rule_id, idp.address, None)
        rule(model_idp(idp, seen.unseen, target), verdict)
        record(verdict, out)


# --------------------------------------------------------------------------------------------
# Check base classes


def _setup(check: Any, rule: Rule) -> None:
    check.severity = Severities[rule.severity]
    check.rule = rule


class CogfedResourceCheck(BaseResourceCheck):
    """A resource check whose result is PASSED or FAILED, never checkov's silent UNKNOWN."""

    rule_id = ""

    def __init__(self) -> None:
        rule = RULES[self.rule_id]
        super().__init__(
            name=rule.name,
            id=rule.id,
            categories=[CheckCategories.IAM],
            supported_resources=[rule.entity],
        )
        _setup(self, rule)

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        out = Outcome()
        try:
            view = graph_view(self.graph)
            keys = view.vertices_for(conf) if view else []
            if instance_state(view, keys[0] if keys else None, conf, out):
                self.evaluate(conf, view, keys, out)
            shared = view.shared_instance(keys[0]) if view and keys else None
            if shared:
                out.notes.append(f"the module instance {shared}")
            cycle = view.module_cycle(keys[0]) if view and keys and out.unseen else None
            if cycle:
                out.why.append(cycle)
        except Exception as exc:  # a crash must fail, not vanish as UNKNOWN (FACTS.md §9)
            out.errors.append(f"the check crashed ({type(exc).__name__}: {exc})")
        self.details = out.details(self.rule)
        self.evaluated_keys = []
        return out.result

    def evaluate(
        self, conf: dict[str, Any], view: GraphView | None, keys: list[Any], out: Outcome
    ) -> None:
        raise NotImplementedError


class CogfedModuleCheck(BaseModuleCheck):
    rule_id = ""

    def __init__(self) -> None:
        rule = RULES[self.rule_id]
        super().__init__(name=rule.name, id=rule.id, categories=[CheckCategories.SUPPLY_CHAIN])
        _setup(self, rule)

    def scan_module_conf(self, conf: dict[str, Any]) -> CheckResult:
        out = Outcome()
        try:
            self.evaluate(conf, out)
        except Exception as exc:
            out.errors.append(f"the check crashed ({type(exc).__name__}: {exc})")
        self.details = out.details(self.rule)
        self.evaluated_keys = []
        return out.result

    def evaluate(self, conf: dict[str, Any], out: Outcome) -> None:
        raise NotImplementedError
