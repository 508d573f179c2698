"""The offline Terraform checks: they pass on this repository and catch broken files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cogfed_tools.offline_checks import REPO_ROOT, check_tree, config_dirs, fmt_findings

PROVIDERS = """
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
    archive = {
      source = "hashicorp/archive"
    }
  }
}
"""

# A small configuration that is valid; each broken case below changes one thing.
VALID = (
    PROVIDERS
    + """
variable "name" {
  type = string
}

locals {
  tags = { Name = var.name }
}

data "archive_file" "code" {
  type        = "zip"
  source_dir  = path.module
  output_path = "${path.module}/code.zip"
}

resource "aws_cognito_user_pool" "this" {
  name = var.name
  tags = local.tags

  username_configuration {
    case_sensitive = true
  }
}

resource "aws_lambda_permission" "cognito" {
  action        = "lambda:InvokeFunction"
  function_name = data.archive_file.code.output_path
  principal     = "cognito-idp.amazonaws.com"
  source_arn    = aws_cognito_user_pool.this.arn
}

module "child" {
  source = "./child"
  name   = var.name
}

output "pool_id" {
  value = [for k, v in { a = aws_cognito_user_pool.this.id } : v if k != module.child.name]
}
"""
)

CHILD = """
variable "name" {
  type = string
}

output "name" {
  value = var.name
}
"""


def write_example(root: Path, name: str, main_tf: str) -> None:
    example = root / "examples" / name
    (example / "child").mkdir(parents=True)
    (example / "main.tf").write_text(textwrap.dedent(main_tf).lstrip())
    (example / "child" / "main.tf").write_text(CHILD.lstrip())


BROKEN = {
    # case name: (replace this, with this, text expected in the finding)
    "syntax": ("tags = local.tags", "tags = {", "Expected an equals sign"),
    "undeclared_variable": (
        "name = var.name\n  tags",
        "name = var.nmae\n  tags",
        "undeclared input",
    ),
    "undeclared_local": ("tags = local.tags", "tags = local.tagz", "undeclared local"),
    "undeclared_resource": (
        "aws_cognito_user_pool.this.arn",
        "aws_cognito_user_pool.that.arn",
        "undeclared resource",
    ),
    "undeclared_data_source": (
        "data.archive_file.code.output_path",
        "data.archive_file.zip.output_path",
        "undeclared resource",
    ),
    "undeclared_module": ("!= module.child.name", "!= module.kid.name", "undeclared module"),
    "unknown_argument": (
        'principal     = "cognito-idp.amazonaws.com"',
        'principal     = "cognito-idp.amazonaws.com"\n  source_arns = "x"',
        'argument named "source_arns"',
    ),
    "unknown_nested_argument": (
        "case_sensitive = true",
        "case_sensitive = true\n    case_insensitive = false",
        'argument named "case_insensitive"',
    ),
    "unknown_block": (
        "username_configuration {",
        "username_config {",
        'Blocks of type "username_config" are not expected here',
    ),
    "missing_required_argument": (
        'principal     = "cognito-idp.amazonaws.com"\n',
        "",
        'argument "principal" is required',
    ),
    # Only the typed schema catches these (the provider's own types, nesting and required
    # nested arguments).
    "wrong_type": (
        "case_sensitive = true",
        'case_sensitive = ["yes"]',
        "Incorrect attribute value type",
    ),
    "missing_required_nested_argument": (
        "  username_configuration {",
        '  schema {\n    name = "tenant"\n  }\n\n  username_configuration {',
        'The argument "attribute_data_type" is required',
    ),
    "block_written_as_attribute": (
        "username_configuration {",
        "username_configuration = {",
        'An argument named "username_configuration" is not expected here',
    ),
    "unknown_exported_attribute": (
        "aws_cognito_user_pool.this.arn",
        "aws_cognito_user_pool.this.amazon_resource_name",
        'exported attribute named "amazon_resource_name"',
    ),
}


@pytest.fixture(scope="module")
def broken_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """One tree holding a valid example and one broken copy per case, checked once."""
    root = tmp_path_factory.mktemp("tree")
    write_example(root, "valid", VALID)
    for case, (old, new, _) in BROKEN.items():
        assert old in VALID, case
        write_example(root, case, VALID.replace(old, new, 1))
    return root, check_tree(root)


def test_this_repository_passes_every_offline_check() -> None:
    findings = check_tree(REPO_ROOT)
    assert findings == [], "\n".join(map(str, findings))


def test_repository_checks_cover_root_modules_and_examples() -> None:
    checked = {str(d.relative_to(REPO_ROOT)) for d in config_dirs(REPO_ROOT)}
    expected = {"."}
    expected |= {str(p.parent.relative_to(REPO_ROOT)) for p in REPO_ROOT.glob("modules/*/*.tf")}
    expected |= {str(p.parent.relative_to(REPO_ROOT)) for p in REPO_ROOT.glob("examples/*/*.tf")}
    assert checked == expected


def test_valid_configuration_has_no_finding(broken_tree) -> None:
    _, findings = broken_tree
    assert not [f for f in findings if f.config == "examples/valid"]


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_configuration_is_caught(broken_tree, case: str) -> None:
    _, findings = broken_tree
    mine = [f for f in findings if f.config == f"examples/{case}"]
    expected = BROKEN[case][2]
    assert any(expected in f.message for f in mine), mine


def test_unformatted_file_is_caught(tmp_path: Path) -> None:
    write_example(tmp_path, "tidy", VALID)
    (tmp_path / "modules" / "sloppy").mkdir(parents=True)
    (tmp_path / "modules" / "sloppy" / "main.tf").write_text('variable "x" {\ntype=string\n}\n')
    findings = list(fmt_findings(tmp_path, Path(".")))
    assert [f.message.split()[0] for f in findings] == ["modules/sloppy/main.tf"]


def test_file_that_does_not_parse_fails_the_format_check(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "x" {\n')
    findings = list(fmt_findings(tmp_path, Path(".")))
    assert findings and "Unclosed configuration block" in findings[0].message


def test_check_tree_leaves_the_checked_tree_untouched(broken_tree) -> None:
    root, _ = broken_tree
    assert not list(root.rglob(".terraform*"))
