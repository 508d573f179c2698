"""The module's own documented usages pass the gate in both modes.

Every complete ```hcl snippet of README.md (a `module` or `resource` block at the top level),
and fixtures/documented/every_input.tf (every input of variables.tf given a literal value),
becomes a root that calls a copy of this repository; the variables it uses get literal
values. Each root is planned offline (the snippet must validate and plan against the real
provider schema) and checked by `cogfed-gate --plan` and by the static gate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from bench.gate_timing import write_module
from cogfed_gate import gate
from cogfed_gate.offline_plan import plan_json_text
from tests.policies.conftest import FIXTURES, POLICIES, REPO

EVERY_INPUT = FIXTURES / "documented" / "every_input.tf"

SNIPPET = re.compile(r"```hcl\n(.*?)```", re.DOTALL)
TOP_LEVEL = re.compile(r'^(module|resource) "', re.MULTILINE)
SOURCE = re.compile(r'source\s*=\s*"path/or/registry/address(//[^"]*)?"')
VARIABLE = re.compile(r"\bvar\.([A-Za-z_][\w-]*)")


def snippets() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [s for s in SNIPPET.findall(text) if TOP_LEVEL.search(s)]


def usages() -> list[str]:
    return [*snippets(), EVERY_INPUT.read_text(encoding="utf-8")]


def _literal(name: str) -> str:
    if name.endswith("_url"):
        return '"https://idp.example.com/metadata.xml"'
    if name.endswith("_urls"):
        return '["https://app.example.com/callback"]'
    return f'"example-{name.replace("_", "-")}"'


def write_root(workdir: Path, snippet: str, index: int) -> Path:
    if not (workdir / "module").exists():
        write_module(workdir)  # the module as the bench's trees call it: ../module
    root = workdir / f"root-{index}"
    root.mkdir()
    main = SOURCE.sub(lambda m: f'source = "../module{m.group(1) or ""}"', snippet)
    (root / "main.tf").write_text(main)
    variables = "".join(
        f'variable "{name}" {{\n  default = {_literal(name)}\n}}\n\n'
        for name in sorted(set(VARIABLE.findall(snippet)))
    )
    (root / "variables.tf").write_text(variables)
    return root


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, Path]]:
    workdir = tmp_path_factory.mktemp("documented")
    found = []
    for index, snippet in enumerate(usages()):
        root = write_root(workdir, snippet, index)
        plan = root.parent / f"{root.name}.json"
        plan.write_text(plan_json_text(root))
        found.append((root, plan))
    return found


def test_readme_has_complete_snippets() -> None:
    assert len(snippets()) >= 2  # the module, and the triggers with a team's own pool


def test_documented_usages_pass_in_plan_mode(roots: list[tuple[Path, Path]]) -> None:
    for root, plan in roots:
        result = gate.run_plan_gate([plan], policies=POLICIES, root=root)
        failed = [r for r in result.records if r["result"] == "FAILED"]
        assert not failed, (root, failed)
        assert result.records, f"{root}: nothing checked"


def test_documented_usages_pass_in_static_mode(roots: list[tuple[Path, Path]]) -> None:
    for root, _ in roots:
        result = gate.run_gate([root], policies=POLICIES)
        assert result.ok, (root, result.failed, result.proof_failures)
        assert result.records, f"{root}: nothing checked"


def test_static_mode_names_what_it_cannot_see(roots: list[tuple[Path, Path]]) -> None:
    # The module's triggers and pool reference each other, which checkov does not evaluate:
    # the static gate says so, names the value, points to the plan gate, and does not block.
    module_usage, triggers_with_own_pool = (root for root, _ in roots[:2])
    result = gate.run_gate([module_usage], policies=POLICIES)
    undecided = [r for r in result.records if r["result"] == "UNDECIDED"]
    assert undecided, result.records
    for record in undecided:
        why = " ".join(line for line in record["details"] if line.startswith("Why:"))
        assert "module.triggers and module.user_pool" in why, record
        assert any("cogfed-gate --plan" in line for line in record["details"]), record
    # The standalone triggers with a pool of one's own: checkov sees the permission's pool
    # ARN, so the static gate decides it.
    permission = next(
        r
        for r in gate.run_gate([triggers_with_own_pool], policies=POLICIES).records
        if r["check_id"] == "CKV_COGFED_4"
    )
    assert permission["result"] == "PASSED", permission


def _object_attributes(type_text: str) -> set[str]:
    return set(re.findall(r"([A-Za-z_][\w]*)\s*=", type_text))


def _given(value: Any) -> set[str]:
    """Attribute names given anywhere inside a literal value (maps of objects included)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(str(key))
            found |= _given(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _given(inner)
    return found


def test_every_input_fixture_sets_every_input() -> None:
    with (REPO / "variables.tf").open(encoding="utf-8") as handle:
        declared = {
            name: body for block in hcl2.load(handle)["variable"] for name, body in block.items()
        }
    with EVERY_INPUT.open(encoding="utf-8") as handle:
        (call,) = hcl2.load(handle)["module"]
    given = next(iter(call.values()))
    missing = sorted(set(declared) - set(given))
    assert not missing, f"every_input.tf does not set: {missing}"
    for name, body in declared.items():
        attributes = _object_attributes(str(body.get("type", "")))
        unset = sorted(attributes - _given(given[name]))
        assert not unset, f"every_input.tf: {name} does not set {unset}"
