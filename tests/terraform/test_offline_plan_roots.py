"""Offline plans of roots as teams write them: pinned provider versions, a backend, files
above the root, modules `terraform init` installed, and broken trees reported cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cogfed_gate.offline_plan import BACKEND_OVERRIDE, OfflinePlanError, plan_json_text
from cogfed_gate.provider_versions import ConstraintError, allows, offered_version
from cogfed_tools.offline_checks import REPO_ROOT

POOL = 'resource "aws_cognito_user_pool" "pool" {\n  name = "p"\n}\n'


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def planned(root: Path) -> dict:
    return json.loads(plan_json_text(root))


def resources(plan: dict) -> dict[str, dict]:
    def walk(module: dict):
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)

    return {r["address"]: r["values"] for r in walk(plan["planned_values"]["root_module"])}


@pytest.mark.parametrize(
    ("constraints", "offered"),
    [
        (["4.58.0"], "4.58.0"),
        (["~> 2.70"], "2.999.0"),
        (["5.99.1"], "5.99.1"),
        (["~> 5.0"], "5.999.0"),
        ([">= 4.0, < 6.0"], "5.999.0"),
        ([">= 5.95"], "6.62.0"),
        (["~> 4.0", ">= 4.20"], "4.999.0"),
        (["!= 6.62.0"], "6.61.999"),
        ([">= 7.0"], "7.0.0"),
        (["~> 6.63.1"], "6.63.1"),
        (["~> 2"], "2.999.0"),  # Terraform reads ~> 2 as ~> 2.0: below 3
    ],
)
def test_the_offered_version_meets_every_constraint(constraints: list[str], offered: str) -> None:
    assert offered_version("6.62.0", constraints) == offered
    version = tuple(int(n) for n in offered.split("."))
    assert all(allows(c, version) for c in constraints)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "constraints",
    [["< 5", "> 6"], ["latest"], ["~> 5.0", "6.1.0"], ["= 2.7.0-beta1"], ["v2.7.0"]],
)
def test_constraints_no_version_meets_are_named(constraints: list[str]) -> None:
    with pytest.raises(ConstraintError, match=repr(constraints[0])):
        offered_version("6.62.0", constraints)


def test_pinned_old_provider_versions_and_any_backend_are_planned(tmp_path: Path) -> None:
    root = write(
        tmp_path / "root",
        {
            "versions.tf": """
terraform {
  backend "s3" {
    bucket = "state"
    key    = "cognito.tfstate"
    region = "eu-west-1"
  }
  required_providers {
    aws     = { source = "hashicorp/aws", version = "4.58.0" }
    archive = { source = "hashicorp/archive", version = "2.2.0" }
  }
}
""",
            "main.tf": POOL,
            "mod/main.tf": 'terraform {\n  required_providers {\n    aws = "~> 4.20"\n  }\n}\n',
            "calls.tf": 'module "m" {\n  source = "./mod"\n}\n',
        },
    )
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    assert resources(planned(root))["aws_cognito_user_pool.pool"]["name"] == "p"
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # nothing written


def test_a_cloud_block_is_planned_with_local_state(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "main.tf": 'terraform {\n  cloud {\n    organization = "acme"\n'
            '    workspaces {\n      name = "auth"\n    }\n  }\n}\n' + POOL
        },
    )
    assert "aws_cognito_user_pool.pool" in resources(planned(root))


def test_files_above_the_root_outside_git_are_read(tmp_path: Path) -> None:
    write(tmp_path, {"common/policies/sms.json": '{"Statement": []}\n'})
    root = write(
        tmp_path / "stacks" / "auth",
        {
            "main.tf": POOL.replace(
                '  name = "p"\n',
                '  name = "p"\n  sms_verification_message = '
                'file("${path.module}/../../common/policies/sms.json")\n',
            )
        },
    )
    values = resources(planned(root))["aws_cognito_user_pool.pool"]
    assert values["sms_verification_message"] == '{"Statement": []}\n'


def test_a_module_terraform_init_installed_is_used(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "main.tf": 'module "pool" {\n  source  = "acme/pool/aws"\n  version = "1.2.0"\n}\n',
            ".terraform/modules/pool/main.tf": POOL,
            ".terraform/modules/modules.json": json.dumps(
                {
                    "Modules": [
                        {"Key": "", "Source": "", "Dir": "."},
                        {
                            "Key": "pool",
                            "Source": "registry.terraform.io/acme/pool/aws",
                            "Version": "1.2.0",
                            "Dir": ".terraform/modules/pool",
                        },
                    ]
                }
            ),
        },
    )
    assert "module.pool.aws_cognito_user_pool.pool" in resources(planned(root))


def test_a_module_not_installed_is_named(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": 'module "pool" {\n  source = "acme/pool/aws"\n}\n'})
    with pytest.raises(OfflinePlanError) as refused:
        plan_json_text(root)
    assert 'Not installed: module "pool" (source "acme/pool/aws"' in str(refused.value)


def test_a_tf_symlink_loop_is_reported_without_a_traceback(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": POOL})
    os.symlink("loop.tf", root / "loop.tf")
    result = subprocess.run(
        [sys.executable, "-m", "cogfed_gate.offline_plan", str(root), str(tmp_path / "p.json")],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "loop.tf" in result.stderr and "symbolic link loop" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_long_error_keeps_its_first_lines(tmp_path: Path) -> None:
    broken = "".join(
        f'resource "aws_cognito_user_pool" "p{i}" {{\n  name = "p"\n  no_such_argument = 1\n}}\n'
        for i in range(120)
    )
    root = write(tmp_path, {"main.tf": broken})
    with pytest.raises(OfflinePlanError) as raised:
        plan_json_text(root)
    message = str(raised.value)
    assert 'resource "aws_cognito_user_pool" "p0"' in message, message[:2000]
    assert "Unsupported argument" in message.splitlines()[1] + message.splitlines()[2]
    assert BACKEND_OVERRIDE not in message


def test_the_common_utility_providers_are_served(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "policy.json": '{"Version": "2012-10-17"}',
            "main.tf": """
terraform {
  required_providers {
    random = { source = "hashicorp/random", version = "~> 3.5" }
    tls    = { source = "hashicorp/tls", version = "4.0.4" }
  }
}
resource "random_id" "suffix" {
  byte_length = 4
}
resource "null_resource" "always" {}
resource "time_static" "created" {}
resource "tls_private_key" "signing" {
  algorithm = "RSA"
}
data "local_file" "policy" {
  filename = "${path.module}/policy.json"
}
resource "aws_cognito_user_pool" "pool" {
  name                     = "p-${random_id.suffix.hex}"
  sms_verification_message = data.local_file.policy.content
}
""",
        },
    )
    plan = planned(root)
    pool = resources(plan)["aws_cognito_user_pool.pool"]
    assert pool["sms_verification_message"] == '{"Version": "2012-10-17"}'
    changes = {c["address"]: c for c in plan["resource_changes"]}
    assert changes["aws_cognito_user_pool.pool"]["change"]["after_unknown"]["name"] is True
    assert {"random_id.suffix", "null_resource.always", "time_static.created"} <= set(changes)


def test_the_provider_reads_and_writes_files_only_in_the_plans_copy(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for the plan")
    cases = {
        "written": f'''data "archive_file" "zip" {{
  type           = "zip"
  source_content = "x"
  source_content_filename = "x.txt"
  output_path    = "{outside}/profile.sh"
}}''',
        "read": f'''data "local_file" "secret" {{
  filename = "{outside}/secret.txt"
}}''',
        "zipped": f'''data "archive_file" "zip" {{
  type        = "zip"
  source_dir  = "{outside}"
  output_path = "${{path.module}}/build/x.zip"
}}''',
    }
    for name, text in cases.items():
        root = write(tmp_path / name, {"main.tf": text})
        with pytest.raises(OfflinePlanError, match="outside the copy this offline plan runs in"):
            plan_json_text(root)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_strings_reaching_system_directories_devices_or_home_copy_nothing(tmp_path: Path) -> None:
    from cogfed_gate.offline_plan import configuration

    levels = "../" * (len(tmp_path.parts) + 2)
    root = write(
        tmp_path / "root",
        {
            "main.tf": POOL
            + f'''locals {{
  system = "{levels}etc"
  device = "{levels}dev/zero"
  home   = "${{path.module}}/{levels}{str(Path.home()).lstrip("/")}"
  fine   = "../common.json"
}}
'''
        },
    )
    (tmp_path / "common.json").write_text("{}")
    assert configuration(root).outside == [tmp_path / "common.json"]
    assert "aws_cognito_user_pool.pool" in resources(planned(root))


def test_a_tf_file_that_is_not_a_regular_file_is_refused_without_waiting(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": POOL})
    os.mkfifo(root / "pipe.tf")
    with pytest.raises(OfflinePlanError, match=r"pipe\.tf: not a regular file"):
        plan_json_text(root)
