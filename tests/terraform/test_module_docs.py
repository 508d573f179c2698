"""The inputs and outputs tables in the READMEs match variables.tf and outputs.tf."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cogfed_tools import module_docs
from cogfed_tools.offline_checks import REPO_ROOT

MODULES = [REPO_ROOT, *sorted(p.parent for p in REPO_ROOT.glob("modules/*/variables.tf"))]


@pytest.mark.parametrize("module_dir", MODULES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_readme_tables_are_current(module_dir: Path) -> None:
    assert module_docs.update(module_dir, check=True), "run make docs"


def test_a_new_variable_makes_the_readme_stale(tmp_path: Path) -> None:
    module = tmp_path / "triggers"
    shutil.copytree(REPO_ROOT / "modules" / "triggers", module)
    with (module / "variables.tf").open("a") as handle:
        handle.write('\nvariable "extra" {\n  description = "New."\n  type        = string\n}\n')
    assert not module_docs.update(module, check=True)
    assert module_docs.update(module, check=False) is False
    text = (module / "README.md").read_text()
    assert "| `extra` | New. | `string` | n/a | yes |" in text
    assert module_docs.update(module, check=True)


def test_every_variable_and_output_has_a_description() -> None:
    import hcl2

    missing = []
    for module in MODULES:
        for kind, file_name in (("variable", "variables.tf"), ("output", "outputs.tf")):
            for entry in hcl2.loads((module / file_name).read_text()).get(kind, []):
                missing += [
                    f"{module.name}/{n}" for n, spec in entry.items() if not spec.get("description")
                ]
    assert missing == []
