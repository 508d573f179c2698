"""The double finds users through indexes (by attribute, name, identity, place in a listing)
and answers as reading every user did: checked against the users themselves after each kind
of change. A streamed pool lists as the same pool held."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from cogfed_pool.audit import audit
from cogfed_pool.aws import Cognito
from cogfed_pool.live_config import read_config
from cogfed_pool.progress import Silent
from cogfed_tools import synthetic_pool
from cogfed_tools.cognito_double import CognitoDouble, backend, in_memory_cognito


def _found(client, pool_id: str, attribute: str, value: str) -> list[str]:
    answer = client.list_users(UserPoolId=pool_id, Filter=f'{attribute} = "{value}"')
    return [u["Username"] for u in answer["Users"]]


def _holding(double, pool_id: str, attribute: str, value: str) -> list[str]:
    """Every user whose attribute equals `value` without case (FACTS §6), in the pool's order,
    read off the users themselves."""
    return [
        u.username
        for u in double.users(pool_id)
        if u.attributes.get(attribute, "").lower() == value.lower()
    ]


def test_filtered_listings_follow_every_change_to_the_users(world) -> None:
    double, pool_id = world.double, world.pool_id
    client = boto3.client("cognito-idp")
    shared = "Shared@Example.com"
    double.put_user(pool_id, "first", attributes={"email": shared, "email_verified": "true"})
    double.put_user(pool_id, "second", attributes={"email": "shared@example.COM"})
    moved = next(u.username for u in double.users(pool_id) if u.email.startswith("clean-"))
    old_email = double.user(pool_id, moved).email
    changes = [
        # AdminUpdateUserAttributes, verified in the same request: stored at once (FACTS §20).
        lambda: client.admin_update_user_attributes(
            UserPoolId=pool_id,
            Username=moved,
            UserAttributes=[
                {"Name": "email", "Value": "Moved@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
        ),
        lambda: client.admin_delete_user(UserPoolId=pool_id, Username="first"),
        # The same username again: a user placed anew, last in the pool's order.
        lambda: double.put_user(pool_id, "first", attributes={"email": "other@example.com"}),
        lambda: double.put_user(pool_id, "third", attributes={"email": shared}),
        lambda: double.pool(pool_id).users["third"].delete_attributes(["email"]),
        lambda: (
            double.pool(pool_id)
            .users["second"]
            .update_attributes([{"Name": "given_name", "Value": "Ada"}])
        ),
    ]
    for change in [lambda: None, *changes]:
        change()
        for attribute, value in (
            ("email", shared),
            ("email", "other@example.com"),
            ("email", "moved@EXAMPLE.com"),
            ("email", old_email),
            ("given_name", "ADA"),
        ):
            assert _found(client, pool_id, attribute, value) == _holding(
                double, pool_id, attribute, value
            ), (attribute, value)
    assert _found(client, pool_id, "email", shared) == ["second"]
    assert _found(client, pool_id, "email", "moved@example.com") == [moved]


def test_links_and_sign_in_names_follow_every_change(world) -> None:
    double, pool_id = world.double, world.pool_id
    client = boto3.client("cognito-idp")
    natives = [u.username for u in double.users(pool_id) if u.email.startswith("clean-")][:3]

    def link(username: str, subject: str) -> str:
        try:
            client.admin_link_provider_for_user(
                UserPoolId=pool_id,
                DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": username},
                SourceUser={
                    "ProviderName": "Google",
                    "ProviderAttributeName": "Cognito_Subject",
                    "ProviderAttributeValue": subject,
                },
            )
        except ClientError as problem:
            return problem.response["Error"]["Code"]
        return "linked"

    assert link(natives[0], "1001") == "linked"
    assert link(natives[1], "1001") == "InvalidParameterException"  # held already (FACTS §1)
    client.admin_disable_provider_for_user(
        UserPoolId=pool_id,
        User={
            "ProviderName": "Google",
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": "1001",
        },
    )
    assert link(natives[1], "1001") == "linked"
    # An identity written onto a user directly is held as well.
    held = [synthetic_pool.identity("Google", "1002")]
    double.pool(pool_id).users[natives[2]].update_attributes(
        [{"Name": "identities", "Value": json.dumps(held)}]
    )
    assert link(natives[0], "1002") == "InvalidParameterException"

    # A sign-in name (email, in this pool) follows its user's changes too, without case.
    email = double.user(pool_id, natives[0]).email
    assert (
        client.admin_get_user(UserPoolId=pool_id, Username=email.upper())["Username"]
        == (natives[0])
    )
    double.pool(pool_id).users[natives[0]].update_attributes(
        [{"Name": "email", "Value": "renamed@example.com"}]
    )
    with pytest.raises(ClientError, match="UserNotFoundException"):
        client.admin_get_user(UserPoolId=pool_id, Username=email)
    assert client.admin_get_user(UserPoolId=pool_id, Username="RENAMED@example.com")


def test_a_listing_is_cut_into_pages_in_the_pools_order(world) -> None:
    double, pool_id = world.double, world.pool_id
    client = boto3.client("cognito-idp")
    first = client.list_users(UserPoolId=pool_id, Limit=60)
    listed = [u["Username"] for u in first["Users"]]
    # A user already listed goes, one is added: the listing goes on past them.
    client.admin_delete_user(UserPoolId=pool_id, Username=listed[0])
    double.put_user(pool_id, "added-while-listing", attributes={"email": "late@example.com"})
    token = first["PaginationToken"]
    while token:
        page = client.list_users(UserPoolId=pool_id, Limit=60, PaginationToken=token)
        listed += [u["Username"] for u in page["Users"]]
        token = page.get("PaginationToken")
    assert listed[1:] == [u.username for u in double.users(pool_id)]

    # The user a token names is gone: the token is refused.
    page = client.list_users(UserPoolId=pool_id, Limit=60)
    following = list(double.pool(pool_id).users)[60]
    client.admin_delete_user(UserPoolId=pool_id, Username=following)
    with pytest.raises(ClientError) as refused:
        client.list_users(UserPoolId=pool_id, Limit=60, PaginationToken=page["PaginationToken"])
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "is invalid for request" in refused.value.response["Error"]["Message"]


def test_indexes_are_built_again_for_changes_made_while_the_double_was_closed(
    monkeypatch,
) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        with CognitoDouble() as double:
            pool_id = double.create_pool()
            double.put_user(pool_id, "u", attributes={"email": "before@example.com"})
            client = boto3.client("cognito-idp")
            assert _found(client, pool_id, "email", "before@example.com") == ["u"]
        # moto alone, unpatched, changes the user.
        double.pool(pool_id).users["u"].update_attributes(
            [{"Name": "email", "Value": "after@example.com"}]
        )
        with CognitoDouble():
            assert _found(client, pool_id, "email", "after@example.com") == ["u"]
            assert _found(client, pool_id, "email", "before@example.com") == []


def test_a_streamed_pool_is_audited_as_the_same_pool_held() -> None:
    reports = []
    for make in (synthetic_pool.populate, synthetic_pool.stream):
        with in_memory_cognito() as double:
            pool_id = synthetic_pool.create_pool(double)
            planted = make(double, pool_id, 700, seed=4)
            cognito = Cognito(pool_id, unlimited=True)
            report = audit(
                cognito, read_config(cognito, planted.identity_providers_json), Silent("")
            )
            reports.append(report.to_json().replace(pool_id, "POOL"))
            if make is synthetic_pool.stream:
                assert backend.STATE.streams and not double.users(pool_id)
    held, streamed = reports
    assert json.loads(held)["users"] == 700 and held == streamed
