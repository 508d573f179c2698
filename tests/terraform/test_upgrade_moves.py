"""Upgrading keeps the triggers' state: the `moved` blocks carry it to `modules/triggers`.

Earlier revisions split the triggers into two module calls. A state written by them (here
the one resource whose loss would hurt most: `linking_secret`, from which the usernames of
users the triggers created derive) must plan as a move, never as a replacement, for the
root module and for a standalone call of `modules/triggers`. Real Terraform core plans it
offline (`terraform_data` is Terraform's built-in provider)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cogfed_gate.offline_plan import plan_json_text
from cogfed_tools.offline_checks import COPY_IGNORE, REPO_ROOT

STANDALONE = """
module "triggers" {
  source = "../modules/triggers"

  name           = "team-app"
  user_pool_arn  = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_TeamPool1"
  case_sensitive = true
  identity_providers = {
    Google = { type = "Google" }
  }
}
"""


def _state(module: str) -> str:
    secret = {"value": "secret-drawn-at-creation", "type": "string"}
    return json.dumps(
        {
            "version": 4,
            "terraform_version": "1.15.5",
            "serial": 1,
            "lineage": "8b1a9953-c461-4e9c-b7b4-2f3e9b8f0c11",
            "outputs": {},
            "resources": [
                {
                    "module": module,
                    "mode": "managed",
                    "type": "terraform_data",
                    "name": "linking_secret",
                    "provider": 'provider["terraform.io/builtin/terraform"]',
                    "instances": [
                        {
                            "schema_version": 0,
                            "attributes": {
                                "id": "5d9a4c52-0000-4000-8000-000000000001",
                                "input": secret,
                                "output": secret,
                                "triggers_replace": None,
                            },
                            "sensitive_attributes": [],
                        }
                    ],
                }
            ],
        }
    )


def _plan_with_state(tmp_path: Path, root: str, state: str, extra: str | None = None) -> dict:
    tree = tmp_path / "tree"
    shutil.copytree(REPO_ROOT, tree, ignore=COPY_IGNORE)
    config = tree / root
    config.mkdir(exist_ok=True)
    if extra is not None:
        (config / "main.tf").write_text(extra, encoding="utf-8")
    (config / "terraform.tfstate").write_text(state, encoding="utf-8")
    return json.loads(plan_json_text(config))


@pytest.mark.parametrize(
    ("root", "old", "new", "config"),
    [
        (
            "examples/complete",
            "module.cognito_federation.module.trigger_functions",
            "module.cognito_federation.module.triggers",
            None,
        ),
        ("standalone", "module.triggers.module.functions", "module.triggers", STANDALONE),
    ],
    ids=["root module", "standalone modules/triggers"],
)
def test_linking_secret_moves_and_is_kept(
    tmp_path: Path, root: str, old: str, new: str, config: str | None
) -> None:
    plan = _plan_with_state(tmp_path, root, _state(old), config)
    address = f"{new}.terraform_data.linking_secret"
    (change,) = [c for c in plan["resource_changes"] if c["address"] == address]
    assert change["previous_address"] == f"{old}.terraform_data.linking_secret", change
    assert change["change"]["actions"] == ["no-op"], change
    assert change["change"]["before"]["output"] == "secret-drawn-at-creation", change
