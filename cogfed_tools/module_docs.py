"""Inputs and outputs tables of a Terraform module, in README.md between markers.

`make docs` (`python -m cogfed_tools.module_docs [--check] [MODULE_DIR ...]`) rewrites the
block between
`<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` in each module's README.md from
its variables.tf and outputs.tf (the terraform-docs convention, without needing
terraform-docs, which no registry here ships). `--check` exits non-zero when a README
is out of date; the test suite runs that.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import hcl2

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _blocks(text: str, kind: str) -> dict[str, str]:
    """Raw text of each top-level `kind "name" { ... }` block, by name."""
    blocks: dict[str, str] = {}
    for match in re.finditer(rf'^{kind} "([^"]+)" \{{\n(.*?)^\}}\n', text, re.M | re.S):
        blocks[match.group(1)] = match.group(2)
    return blocks


def _type_expression(block: str) -> str:
    """The `type = ...` expression of a variable block, whitespace folded."""
    match = re.search(r"^  type\s*=\s*", block, re.M)
    if not match:
        return "any"
    depth, end = 0, match.end()
    for end in range(match.end(), len(block)):
        char = block[end]
        if char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
        elif char == "\n" and depth == 0:
            break
    return " ".join(block[match.end() : end].split())


def _short_type(expression: str) -> str:
    """`map(object({ a = string, ... }))` -> `map(object)`: the table stays readable."""
    return re.sub(r"\(\{.*\}\)", "", expression)


def _cell(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def _first(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def render(module_dir: Path) -> str:
    variables_tf = (module_dir / "variables.tf").read_text()
    outputs_tf = (module_dir / "outputs.tf").read_text()
    raw = _blocks(variables_tf, "variable")
    lines = [
        "### Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "| --- | --- | --- | --- | :---: |",
    ]
    for entry in hcl2.loads(variables_tf).get("variable", []):
        for name, spec in entry.items():
            has_default = "default" in spec
            default = _first(spec.get("default"))
            default_text = f"`{json.dumps(default)}`" if has_default else "n/a"
            lines.append(
                f"| `{name}` | {_cell(_first(spec.get('description', '')))} "
                f"| `{_short_type(_type_expression(raw[name]))}` | {_cell(default_text)} "
                f"| {'no' if has_default else 'yes'} |"
            )
    lines += ["", "### Outputs", "", "| Name | Description |", "| --- | --- |"]
    for entry in hcl2.loads(outputs_tf).get("output", []):
        for name, spec in entry.items():
            lines.append(f"| `{name}` | {_cell(_first(spec.get('description', '')))} |")
    return "\n".join(lines)


def update(module_dir: Path, check: bool) -> bool:
    """Rewrite (or, with check, compare) the module README's tables; True if current."""
    readme = module_dir / "README.md"
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme}: add the markers {BEGIN} and {END} where the tables go")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{render(module_dir)}\n{END}{tail}"
    if new == text:
        return True
    if not check:
        readme.write_text(new)
    return False


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m cogfed_tools.module_docs",
        description="Rewrite the inputs/outputs tables between the BEGIN_TF_DOCS and "
        "END_TF_DOCS markers of each module's README.md.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a table is stale")
    parser.add_argument("modules", nargs="*", type=Path, help="module directories")
    args = parser.parse_args(argv)
    dirs = args.modules or [
        REPO_ROOT,
        *sorted(p.parent for p in REPO_ROOT.glob("modules/*/README.md")),
    ]
    stale = [str(d) for d in dirs if not update(d, args.check)]
    if stale and args.check:
        sys.exit(f"inputs/outputs tables out of date in: {', '.join(stale)}; run make docs")
    for name in stale:
        print(f"updated {name}/README.md")


if __name__ == "__main__":
    main()
