"""`make offline-plan`: real Terraform plans offline, with the provider's own computed rules."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from cogfed_tools.offline_checks import REPO_ROOT

CONFIG = """
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    archive = {
      source = "hashicorp/archive"
    }
  }
}

data "archive_file" "code" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/code.zip"
}

resource "aws_lambda_permission" "scoped" {
  action        = "lambda:InvokeFunction"
  function_name = "fn"
  principal     = "cognito-idp.amazonaws.com"
  source_arn    = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_x"
}

resource "aws_lambda_permission" "open" {
  action        = "lambda:InvokeFunction"
  function_name = "fn"
  principal     = "cognito-idp.amazonaws.com"
}

resource "aws_cognito_user_pool_client" "web" {
  name         = "web"
  user_pool_id = "eu-west-1_x"
}

output "zip_hash" {
  value = data.archive_file.code.output_base64sha256
}
"""


def make_offline_plan(directory: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """The development toolchain's command, exactly as a user runs it."""
    return subprocess.run(
        ["make", "-s", "offline-plan", f"DIR={directory}", f"OUT={out}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("root")
    (root / "main.tf").write_text(textwrap.dedent(CONFIG))
    (root / "src").mkdir()
    (root / "src" / "handler.py").write_text("def handler(event, context):\n    return event\n")
    out = root / "plan.json"
    result = make_offline_plan(root, out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (root / ".terraform").exists() and not (root / ".terraform.lock.hcl").exists()
    return json.loads(out.read_text())


def _change(plan: dict, address: str) -> dict:
    return next(c["change"] for c in plan["resource_changes"] if c["address"] == address)


def test_unset_optional_argument_is_null_not_unknown(plan: dict) -> None:
    open_ = _change(plan, "aws_lambda_permission.open")
    assert open_["after"]["source_arn"] is None
    assert "source_arn" not in open_["after_unknown"]
    scoped = _change(plan, "aws_lambda_permission.scoped")
    assert scoped["after"]["source_arn"].startswith("arn:aws:cognito-idp:")


def test_computed_attributes_are_known_after_apply(plan: dict) -> None:
    client = _change(plan, "aws_cognito_user_pool_client.web")
    # id is computed; write_attributes is optional+computed in the provider: unset, it is
    # decided at apply.
    assert client["after_unknown"]["id"] is True
    assert client["after_unknown"]["write_attributes"] is True


def test_plan_json_has_the_configuration_section(plan: dict) -> None:
    resources = plan["configuration"]["root_module"]["resources"]
    assert {r["address"] for r in resources} >= {"aws_lambda_permission.open"}


def test_archive_file_is_built_and_hashed_at_plan_time(plan: dict) -> None:
    value = plan["planned_values"]["outputs"]["zip_hash"]["value"]
    assert isinstance(value, str) and len(value) == 44  # base64 of a SHA-256


def test_a_constraint_below_the_schema_version_is_met_by_a_stand_in(plan: dict) -> None:
    # `~> 5.0` excludes 6.62.0, the schema's version: the plan ran anyway.
    assert plan["terraform_version"].startswith("1.")


def test_offline_plan_of_a_broken_directory_fails_with_terraform_message(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_lambda_permission" "x" {\n}\n')
    result = make_offline_plan(tmp_path, tmp_path / "p.json")
    assert result.returncode != 0
    assert 'The argument "action" is required' in result.stderr


def test_a_module_outside_the_root_and_outside_git_is_planned(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "main.tf").write_text(
        'resource "aws_cognito_user_pool" "this" {\n  name = "shared"\n}\n'
    )
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "main.tf").write_text('module "pool" {\n  source = "../shared"\n}\n')
    result = make_offline_plan(tmp_path / "root", tmp_path / "plan.json")
    assert result.returncode == 0, result.stderr
    changes = json.loads((tmp_path / "plan.json").read_text())["resource_changes"]
    assert [c["address"] for c in changes] == ["module.pool.aws_cognito_user_pool.this"]


def test_the_kept_schema_answer_is_rebuilt_when_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tf.gen import tfplugin_pb2 as pb

    from cogfed_gate import schema_provider

    monkeypatch.setattr(schema_provider, "RESPONSE_CACHE_DIR", tmp_path)
    built = schema_provider.schema_response(pb, "archive")
    (kept,) = tmp_path.glob("archive-*.pb")
    assert pb.GetProviderSchema.Response.FromString(kept.read_bytes()) == built
    assert "archive_file" in built.data_source_schemas
    assert built.server_capabilities.get_provider_schema_optional

    kept.write_bytes(b"\xff\xff not a message")  # cut or overwritten
    (tmp_path / "archive-0000.pb").write_bytes(b"")  # kept for an older schema file
    assert schema_provider.schema_response(pb, "archive") == built
    assert [p.name for p in tmp_path.glob("archive-*.pb")] == [kept.name]
    assert pb.GetProviderSchema.Response.FromString(kept.read_bytes()) == built
