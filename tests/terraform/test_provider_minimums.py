"""docs/provider-minimums.md against the module: no wheels are downloaded here.

The table is derived from provider schemas by `python -m cogfed_tools.provider_minimums`
(which downloads cdktf-cdktf-provider-aws wheels, too large for CI); `--check` re-derives
it. These tests hold the cheap half: the table covers exactly what the module sets, and
every `hashicorp/aws` lower bound in the module equals the table's proven minimum.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cogfed_tools.provider_minimums import (
    REPO_ROOT,
    TABLE_PATH,
    Feature,
    HclReader,
    format_version,
    module_tf_files,
    parse_table,
    parse_version,
    relied_on_features,
)

AWS_CONSTRAINT = re.compile(
    r'aws\s*=\s*\{[^}]*source\s*=\s*"hashicorp/aws"[^}]*version\s*=\s*"([^"]*)"', re.S
)


def table() -> tuple[tuple[int, ...], list]:
    return parse_table(TABLE_PATH.read_text(encoding="utf-8"))


def lower_bound(constraint: str) -> tuple[int, ...]:
    """The `>=` lower bound of a version constraint, padded to three parts."""
    bounds = re.findall(r">=\s*(\d+(?:\.\d+)*)", constraint)
    assert len(bounds) == 1, f"expected one '>=' bound in {constraint!r}"
    version = parse_version(bounds[0])
    return version + (0,) * (3 - len(version))


def aws_constraints() -> dict[str, str]:
    found = {}
    for path in module_tf_files():
        for constraint in AWS_CONSTRAINT.findall(path.read_text(encoding="utf-8")):
            found[str(path.relative_to(REPO_ROOT))] = constraint
    return found


def test_table_parses_and_states_a_minimum() -> None:
    minimum, rows = table()
    assert rows, "no argument rows in docs/provider-minimums.md"
    proven = [parse_version(r.first_with) for r in rows if re.fullmatch(r"[\d.]+", r.first_with)]
    assert minimum == max(proven), "the stated minimum is not the maximum over the rows"


def test_versions_tf_lower_bound_equals_the_proven_minimum() -> None:
    minimum, _ = table()
    constraints = aws_constraints()
    assert "versions.tf" in constraints
    wrong = {
        path: constraint
        for path, constraint in constraints.items()
        if lower_bound(constraint) != minimum
    }
    assert not wrong, (
        f"hashicorp/aws lower bounds differ from the proven minimum "
        f">= {format_version(minimum)} (docs/provider-minimums.md): {wrong}"
    )


def test_every_table_argument_is_set_by_the_module() -> None:
    _, rows = table()
    used = set(relied_on_features())
    missing = [row.feature.label for row in rows if row.feature not in used]
    assert not missing, f"the table lists arguments the module no longer sets: {missing}"


def test_every_argument_the_module_sets_is_in_the_table() -> None:
    _, rows = table()
    listed = {row.feature for row in rows}
    unlisted = [f.label for f in relied_on_features() if f not in listed]
    assert not unlisted, (
        "arguments set by the module but missing from docs/provider-minimums.md "
        f"(re-run python -m cogfed_tools.provider_minimums): {unlisted}"
    )


def test_table_arguments_appear_verbatim_in_the_tf_files() -> None:
    """Independent of the reader: each row's resource type and last name occur in the text."""
    _, rows = table()
    text = "\n".join(p.read_text(encoding="utf-8") for p in module_tf_files())
    for row in rows:
        assert f'resource "{row.feature.resource_type}"' in text, row.feature.label
        assert re.search(rf"\b{re.escape(row.feature.path[-1])}\b", text), row.feature.label


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            'resource "aws_x" "y" {\n  count = 1\n  a = "${var.b}-{c}"\n'
            '  dynamic "blk" {\n    for_each = var.z\n    content {\n      d = { e = 1 }\n'
            "    }\n  }\n  nested {\n    f = [\n      1,\n    ]\n  }\n"
            "  lifecycle {\n    ignore_changes = [a]\n  }\n}\n",
            {"a", "blk", "blk.d", "nested", "nested.f"},
        ),
        (
            '# comment { not a block\nresource "aws_x" "y" {\n  // "quoted" }\n'
            '  a = <<-EOT\n    text with } and {\n  EOT\n  b = "x" # tail\n}\n',
            {"a", "b"},
        ),
    ],
)
def test_reader_finds_arguments_and_blocks(tmp_path: Path, source: str, expected: set[str]) -> None:
    (tmp_path / "main.tf").write_text(source, encoding="utf-8")
    found = relied_on_features(tmp_path)
    assert {".".join(f.path) for f in found} == expected
    assert all(f.resource_type == "aws_x" for f in found)


def test_reader_parses_every_module_file() -> None:
    for path in module_tf_files():
        HclReader(path.read_text(encoding="utf-8")).body()


def test_feature_labels_round_trip() -> None:
    feature = Feature("aws_cognito_user_pool", ("lambda_config", "pre_sign_up"))
    assert Feature.from_label(feature.label) == feature
