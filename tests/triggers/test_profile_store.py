"""The optional DynamoDB profile store, against moto's DynamoDB."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from cogfed_tools.cognito_double import FederatedSignInSimulator
from tests.triggers.assertions import claims, decision
from tests.triggers.conftest import REGION, SimFactory

TABLE = "profiles"


@pytest.fixture
def table(double: Any) -> Any:
    dynamodb = boto3.session.Session().client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


@pytest.fixture
def store_sim(make_sim: SimFactory, table: Any) -> FederatedSignInSimulator:
    sim = make_sim(environment={"PROFILE_TABLE_NAME": TABLE}, standard_idps=False)
    mapping = {k: k for k in ("email", "email_verified", "name", "given_name")}
    sim.add_identity_provider("Google", "Google", attribute_mapping=mapping)
    return sim


def item(table: Any, sub: str | None) -> dict[str, Any] | None:
    found = table.get_item(TableName=TABLE, Key={"user_id": {"S": sub}}).get("Item")
    return {k: v["S"] for k, v in found.items()} if found else None


def test_first_sign_in_writes_the_profile_once_and_later_sign_ins_touch_nothing(
    store_sim: FederatedSignInSimulator, table: Any
) -> None:
    idp_claims = claims("pam@example.com", name="Pam Beesly", given_name="Pam")

    first = store_sim.federated_sign_in("Google", "3001", idp_claims)
    later = store_sim.federated_sign_in("Google", "3001", idp_claims)

    assert first.dynamodb_calls == {"PutItem": 1}
    assert later.dynamodb_calls == {} and later.total_cognito_calls == 0
    profile = item(table, first.sub)
    assert profile is not None
    assert profile["email"] == "pam@example.com" and profile["name"] == "Pam Beesly"
    assert profile["first_sign_in_provider"] == "Google"
    assert decision(first)["profile"] == "written"


def test_an_existing_profile_is_never_overwritten(
    store_sim: FederatedSignInSimulator, table: Any
) -> None:
    native = store_sim.native_sign_up("ray@example.com")
    table.put_item(
        TableName=TABLE, Item={"user_id": {"S": native.sub}, "name": {"S": "Chosen Name"}}
    )

    result = store_sim.federated_sign_in(
        "Google", "3002", claims("ray@example.com", name="IdP Name")
    )

    assert result.signed_in and result.dynamodb_calls == {"PutItem": 1}
    assert item(table, native.sub) == {"user_id": native.sub, "name": "Chosen Name"}
    assert decision(result)["profile"] == "exists"


def test_a_store_failure_is_logged_and_never_blocks_the_sign_in(
    make_sim: SimFactory, double: Any
) -> None:
    sim = make_sim(environment={"PROFILE_TABLE_NAME": "no-such-table"})

    result = sim.federated_sign_in("Google", "3003", claims("sam@example.com"))

    assert result.signed_in
    assert decision(result)["profile"] == "failed:ResourceNotFoundException"


def test_the_store_is_off_by_default(sim: FederatedSignInSimulator, table: Any) -> None:
    result = sim.federated_sign_in("Google", "3004", claims("off@example.com"))

    assert result.signed_in and result.dynamodb_calls == {}
    assert table.scan(TableName=TABLE)["Count"] == 0
    assert decision(result)["profile"] == "disabled"
