"""What an example configuration builds, read from Terraform core's own plan.

Offline there is no AWS provider to plan with, so the example is planned inside
`terraform test` with mocked providers (their schemas from the offline schema
provider) and `-verbose -json`, which prints the full JSON plan. The rehearsal and
the benchmarks take the pool's settings, the identity providers' mappings and the
triggers' environment from that plan, so they cannot drift from the example.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cogfed_tools.offline_checks import COPY_IGNORE, REPO_ROOT, offline_provider_env, terraform

PLAN_TEST = """
mock_provider "aws" {}
mock_provider "archive" {}

run "plan" {
  command = plan
}
"""


@dataclass(frozen=True)
class PlannedFederation:
    """The parts of a planned configuration that decide how sign-ins land."""

    case_sensitive: bool
    custom_attributes: dict[str, bool]  # schema name -> mutable
    schema: dict[str, dict[str, Any]]  # schema name -> the planned schema block, less its name
    identity_providers: dict[str, dict[str, Any]]  # ProviderName -> type, attribute_mapping
    client_write_attributes: dict[str, list[str]]  # client name -> write_attributes
    trigger_environment: dict[str, str]  # pre sign-up function's environment


class ExamplePlanError(RuntimeError):
    pass


def plan_json(example: Path, var_file: str | None = "terraform.tfvars.example") -> dict:
    """The JSON plan of `example` (a directory under this repository's examples/)."""
    example = example.resolve()
    relative = example.relative_to(REPO_ROOT)
    with tempfile.TemporaryDirectory(prefix="cogfed-example-plan-") as tmp:
        workdir = Path(tmp)
        copy = workdir / "tree"
        shutil.copytree(REPO_ROOT, copy, ignore=COPY_IGNORE, symlinks=True)
        env = offline_provider_env(workdir)
        config = copy / relative
        (config / "cogfed-plan.tftest.hcl").write_text(PLAN_TEST)
        init = terraform(["init", "-backend=false", "-input=false", "-no-color"], config, env)
        if init.returncode != 0:
            raise ExamplePlanError(f"terraform init failed in {relative}:\n{init.stderr}")
        args = ["test", "-no-color", "-verbose", "-json", "-filter=cogfed-plan.tftest.hcl"]
        if var_file and (config / var_file).is_file():
            args.append(f"-var-file={var_file}")
        result = terraform(args, config, env)
    messages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    plans = [m["test_plan"] for m in messages if m.get("type") == "test_plan"]
    if result.returncode != 0 or not plans:
        errors = [m.get("@message", "") for m in messages if m.get("@level") == "error"]
        raise ExamplePlanError(
            f"planning {relative} failed: " + ("; ".join(errors) or result.stderr.strip())
        )
    return plans[0]


def federation(plan: dict) -> PlannedFederation:
    """Extract the sign-in-relevant settings from a JSON plan."""
    # Planned values of every managed resource the plan creates or updates.
    resources = [
        {"type": c["type"], "index": c.get("index"), "values": c["change"]["after"]}
        for c in plan.get("resource_changes", [])
        if c.get("mode") == "managed" and c["change"]["after"] is not None
    ]

    def of_type(type_name: str) -> list[dict]:
        return [r for r in resources if r["type"] == type_name]

    pools = of_type("aws_cognito_user_pool")
    if len(pools) != 1:
        raise ExamplePlanError(f"expected one user pool in the plan, found {len(pools)}")
    pool = pools[0]["values"]
    functions = [r for r in of_type("aws_lambda_function") if r.get("index") == "pre-signup"]
    if len(functions) != 1:
        raise ExamplePlanError("expected one pre sign-up function in the plan")
    return PlannedFederation(
        case_sensitive=bool(pool["username_configuration"][0]["case_sensitive"]),
        custom_attributes={s["name"]: bool(s["mutable"]) for s in pool.get("schema") or []},
        schema={
            s["name"]: {key: value for key, value in s.items() if key != "name"}
            for s in pool.get("schema") or []
        },
        identity_providers={
            r["values"]["provider_name"]: {
                "type": r["values"]["provider_type"],
                "attribute_mapping": r["values"]["attribute_mapping"],
            }
            for r in of_type("aws_cognito_identity_provider")
        },
        client_write_attributes={
            r["values"]["name"]: list(r["values"].get("write_attributes") or [])
            for r in of_type("aws_cognito_user_pool_client")
        },
        trigger_environment=dict(functions[0]["values"]["environment"][0]["variables"]),
    )


def plan_example(example: Path) -> PlannedFederation:
    return federation(plan_json(example))
