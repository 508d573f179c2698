"""What Terraform plans for an example, read to build the same pool in another Cognito.

The plan is Terraform core's own (`cogfed_gate.offline_plan.plan_in`, with the offline
provider). Its `archive_file` data source is read at plan time, so the triggers' zip is
written then, by the module's packaging; the plan's `source_code_hash` of each function
must equal that file's SHA-256, which proves the file is the very package Terraform would
upload.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Which trigger each of the module's functions is, by its handler (modules/triggers/main.tf).
TRIGGER_OF_HANDLER = {
    "pre_signup.handler": "PreSignUp",
    "pre_token_generation.handler": "PreTokenGeneration",
    # Not a trigger: the confirmed-linking endpoint (modules/triggers/confirmed_linking.tf),
    # planned only where it is enabled.
    "confirmed_linking.handler": "ConfirmedLinking",
}
REQUIRED_TRIGGERS = frozenset({"PreSignUp", "PreTokenGeneration"})


class PlannedPoolError(RuntimeError):
    pass


@dataclass(frozen=True)
class PlannedFunction:
    name: str
    handler: str
    runtime: str
    timeout: int
    environment: dict[str, str]
    package: Path
    trigger: str  # a TRIGGER_OF_HANDLER value


@dataclass(frozen=True)
class PlannedProvider:
    name: str
    type: str
    attribute_mapping: dict[str, str]


@dataclass(frozen=True)
class PlannedClient:
    name: str
    callback_urls: list[str]
    allowed_oauth_flows: list[str]
    allowed_oauth_flows_user_pool_client: bool
    allowed_oauth_scopes: list[str]
    supported_identity_providers: list[str]
    explicit_auth_flows: list[str]
    read_attributes: list[str]
    write_attributes: list[str]


@dataclass(frozen=True)
class PlannedPool:
    name: str
    case_sensitive: bool
    username_attributes: list[str]
    auto_verified_attributes: list[str]
    custom_attributes: dict[str, bool]  # schema name -> mutable
    schema: list[dict[str, Any]]  # as the CreateUserPool API takes it
    attributes_require_verification: list[str]  # user_attribute_update_settings
    pre_token_version: str
    identity_providers: dict[str, PlannedProvider]
    client: PlannedClient
    functions: dict[str, PlannedFunction]  # by trigger


def _changes(plan: dict[str, Any], type_name: str) -> list[dict[str, Any]]:
    return [
        change["change"]
        for change in plan.get("resource_changes", [])
        if change.get("mode") == "managed"
        and change.get("type") == type_name
        and change["change"].get("after") is not None
    ]


def _managed(plan: dict[str, Any], type_name: str) -> list[dict[str, Any]]:
    return [change["after"] for change in _changes(plan, type_name)]


def _one(plan: dict[str, Any], type_name: str) -> dict[str, Any]:
    found = _changes(plan, type_name)
    if len(found) != 1:
        raise PlannedPoolError(f"expected one {type_name} in the plan, found {len(found)}")
    return found[0]


def _first(values: dict[str, Any], block: str) -> dict[str, Any]:
    return (values.get(block) or [{}])[0] or {}


def _schema_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A planned `schema` block as CreateUserPool's SchemaAttributeType."""
    api: dict[str, Any] = {
        "Name": entry["name"],
        "AttributeDataType": entry["attribute_data_type"],
        "Mutable": bool(entry["mutable"]),
        "Required": bool(entry.get("required")),
        "DeveloperOnlyAttribute": bool(entry.get("developer_only_attribute")),
    }
    strings = _first(entry, "string_attribute_constraints")
    if strings:
        api["StringAttributeConstraints"] = {
            "MinLength": str(strings.get("min_length") or "0"),
            "MaxLength": str(strings.get("max_length") or "2048"),
        }
    numbers = _first(entry, "number_attribute_constraints")
    if numbers:
        api["NumberAttributeConstraints"] = {
            k: str(v)
            for k, v in (
                ("MinValue", numbers.get("min_value")),
                ("MaxValue", numbers.get("max_value")),
            )
            if v is not None
        }
    return api


def _check_wiring(pool_change: dict[str, Any]) -> None:
    """The pool must wire both triggers: their ARNs are known after apply, so the plan marks
    them unknown (set) rather than absent."""
    unknown = _first(pool_change.get("after_unknown") or {}, "lambda_config")
    if unknown.get("pre_sign_up") is not True:
        raise PlannedPoolError("the planned pool wires no pre sign-up trigger")
    if _first(unknown, "pre_token_generation_config").get("lambda_arn") is not True:
        raise PlannedPoolError("the planned pool wires no pre token generation trigger")


def _sha256_b64(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def read_planned_pool(plan: dict[str, Any], config_dir: Path) -> PlannedPool:
    """The pool, its providers, one app client and the trigger functions of a JSON plan.

    `config_dir` is the directory Terraform planned in: the functions' `filename` is
    relative to it.
    """
    pool_change = _one(plan, "aws_cognito_user_pool")
    _check_wiring(pool_change)
    pool = pool_change["after"]
    client = _one(plan, "aws_cognito_user_pool_client")["after"]
    functions: dict[str, PlannedFunction] = {}
    for values in _managed(plan, "aws_lambda_function"):
        trigger = TRIGGER_OF_HANDLER.get(values["handler"])
        if trigger is None:
            continue
        package = (config_dir / values["filename"]).resolve()
        if not package.is_file():
            raise PlannedPoolError(f"the plan's package {values['filename']} was not written")
        if _sha256_b64(package) != values["source_code_hash"]:
            raise PlannedPoolError(
                f"{package.name} is not the package the plan uploads (source_code_hash differs)"
            )
        functions[trigger] = PlannedFunction(
            name=values["function_name"],
            handler=values["handler"],
            runtime=values["runtime"],
            timeout=int(values["timeout"]),
            environment=dict(values["environment"][0]["variables"]),
            package=package,
            trigger=trigger,
        )
    missing = REQUIRED_TRIGGERS - set(functions)
    if missing:
        raise PlannedPoolError(f"the plan has no function for {sorted(missing)}")
    token_config = (pool.get("lambda_config") or [{}])[0].get("pre_token_generation_config")
    return PlannedPool(
        name=pool["name"],
        case_sensitive=bool(pool["username_configuration"][0]["case_sensitive"]),
        username_attributes=list(pool.get("username_attributes") or []),
        auto_verified_attributes=list(pool.get("auto_verified_attributes") or []),
        custom_attributes={s["name"]: bool(s["mutable"]) for s in pool.get("schema") or []},
        schema=[_schema_entry(entry) for entry in pool.get("schema") or []],
        attributes_require_verification=list(
            _first(pool, "user_attribute_update_settings").get(
                "attributes_require_verification_before_update"
            )
            or []
        ),
        pre_token_version=(token_config or [{"lambda_version": "V1_0"}])[0]["lambda_version"],
        identity_providers={
            values["provider_name"]: PlannedProvider(
                name=values["provider_name"],
                type=values["provider_type"],
                attribute_mapping=dict(values["attribute_mapping"]),
            )
            for values in _managed(plan, "aws_cognito_identity_provider")
        },
        client=PlannedClient(
            name=client["name"],
            callback_urls=list(client.get("callback_urls") or []),
            allowed_oauth_flows=list(client.get("allowed_oauth_flows") or []),
            allowed_oauth_flows_user_pool_client=bool(
                client.get("allowed_oauth_flows_user_pool_client")
            ),
            allowed_oauth_scopes=list(client.get("allowed_oauth_scopes") or []),
            supported_identity_providers=list(client.get("supported_identity_providers") or []),
            explicit_auth_flows=list(client.get("explicit_auth_flows") or []),
            read_attributes=list(client.get("read_attributes") or []),
            write_attributes=list(client.get("write_attributes") or []),
        ),
        functions=functions,
    )


def plan_pool(workdir: Path, root: Path) -> tuple[PlannedPool, Path]:
    """`root` planned offline in `workdir` (created), which keeps the package planning wrote:
    what it builds, and the JSON plan's file (for `cogfed-gate --plan`)."""
    from cogfed_gate.offline_plan import plan_in

    workdir.mkdir(parents=True, exist_ok=True)
    text, config = plan_in(workdir, root)
    plan = workdir / "plan.json"
    plan.write_text(text, encoding="utf-8")
    return read_planned_pool(json.loads(text), config), plan
