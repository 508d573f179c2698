"""The double itself: the Cognito rules it adds to moto hold through real boto3 calls."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cogfed_tools.cognito_double import CognitoDouble, moto_server
from tests.triggers.conftest import REGION


@pytest.fixture
def client(double: CognitoDouble) -> Any:
    return boto3.session.Session().client("cognito-idp", region_name=REGION)


def source(provider: str, subject: str) -> dict[str, str]:
    return {
        "ProviderName": provider,
        "ProviderAttributeName": "Cognito_Subject",
        "ProviderAttributeValue": subject,
    }


def destination(username: str) -> dict[str, str]:
    return {"ProviderName": "Cognito", "ProviderAttributeValue": username}


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def pool(double: CognitoDouble) -> str:
    pool_id = double.create_pool(custom_attributes={"idp_sub": True, "tenant": False})
    for name, kind in (("Google", "Google"), ("LinkedIn", "OIDC"), ("Okta", "SAML")):
        double.add_identity_provider(pool_id, name, kind, {"email": "email"})
    return pool_id


def native(double: CognitoDouble, pool: str, name: str, **attributes: str) -> str:
    return double.put_user(
        pool, name, attributes={"email": f"{name}@example.com", **attributes}
    ).username


def test_link_records_the_identity_in_the_identities_attribute(
    double: CognitoDouble, client: Any, pool: str
) -> None:
    user = native(double, pool, "ann")

    client.admin_link_provider_for_user(
        UserPoolId=pool, DestinationUser=destination(user), SourceUser=source("LinkedIn", "AbC")
    )

    attributes = {
        a["Name"]: a["Value"]
        for a in client.admin_get_user(UserPoolId=pool, Username=user)["UserAttributes"]
    }
    [identity] = json.loads(attributes["identities"])
    assert identity["providerName"] == "LinkedIn" and identity["userId"] == "AbC"
    assert identity["providerType"] == "OIDC"


def test_linking_an_identity_twice_or_elsewhere_is_a_merging_error(
    double: CognitoDouble, client: Any, pool: str
) -> None:
    ann, bob = native(double, pool, "ann"), native(double, pool, "bob")
    link = {"UserPoolId": pool, "SourceUser": source("Google", "1")}
    client.admin_link_provider_for_user(DestinationUser=destination(ann), **link)

    for user in (ann, bob):
        code, message = error_of(
            lambda u=user: client.admin_link_provider_for_user(
                DestinationUser=destination(u), **link
            )
        )
        assert code == "InvalidParameterException"
        assert message.startswith("Merging is not currently supported")


def test_subjects_match_exactly_so_a_case_variant_is_another_identity(
    double: CognitoDouble, client: Any, pool: str
) -> None:
    ann = native(double, pool, "ann")
    for subject in ("AbC", "abc"):
        client.admin_link_provider_for_user(
            UserPoolId=pool, DestinationUser=destination(ann), SourceUser=source("Okta", subject)
        )
    assert double.user(pool, ann).linked == {("Okta", "AbC"), ("Okta", "abc")}


@pytest.mark.parametrize(
    ("setup", "link_source", "expected_code"),
    [
        ("five", source("Google", "6"), "LimitExceededException"),
        ("immutable", source("Google", "7"), "InvalidParameterException"),
        ("plain", source("google", "8"), "ResourceNotFoundException"),
        ("federated", source("Google", "9"), "InvalidParameterException"),
    ],
    ids=["sixth-identity", "immutable-custom-attribute", "provider-name-case", "federated-dest"],
)
def test_link_refusals_fact_1_lists(
    double: CognitoDouble,
    client: Any,
    pool: str,
    setup: str,
    link_source: dict[str, str],
    expected_code: str,
) -> None:
    user = native(double, pool, "ann")
    if setup == "five":
        for n in range(5):
            double.add_identity_provider(pool, f"Idp{n}", "OIDC", {})
            double.link(pool, user, f"Idp{n}", str(n))
    if setup == "immutable":
        user = native(double, pool, "ten", **{"custom:tenant": "t1"})
    if setup == "federated":
        user = double.put_user(pool, "google_5", status="EXTERNAL_PROVIDER").username
    before = double.snapshot(pool)

    code, _ = error_of(
        lambda: client.admin_link_provider_for_user(
            UserPoolId=pool, DestinationUser=destination(user), SourceUser=link_source
        )
    )

    assert code == expected_code
    assert double.snapshot(pool) == before


def test_disable_provider_removes_the_link(double: CognitoDouble, client: Any, pool: str) -> None:
    ann = native(double, pool, "ann")
    double.link(pool, ann, "Google", "1")

    client.admin_disable_provider_for_user(UserPoolId=pool, User=source("Google", "1"))

    assert double.user(pool, ann).linked == set()
    code, _ = error_of(
        lambda: client.admin_disable_provider_for_user(UserPoolId=pool, User=source("Google", "1"))
    )
    assert code == "UserNotFoundException"


def test_case_insensitive_pool_compares_usernames_without_case(
    double: CognitoDouble, client: Any
) -> None:
    insensitive = double.create_pool(case_sensitive=False, username_attributes=None)
    sensitive = double.create_pool(case_sensitive=True, username_attributes=None)
    for pool_id in (insensitive, sensitive):
        client.admin_create_user(
            UserPoolId=pool_id,
            Username="Mixed",
            UserAttributes=[{"Name": "email", "Value": "Mixed@Example.com"}],
            MessageAction="SUPPRESS",
        )

    assert client.admin_get_user(UserPoolId=insensitive, Username="MIXED")["Username"] == "Mixed"
    code, _ = error_of(lambda: client.admin_get_user(UserPoolId=sensitive, Username="MIXED"))
    assert code == "UserNotFoundException"
    code, _ = error_of(
        lambda: client.admin_create_user(
            UserPoolId=insensitive, Username="mixed", MessageAction="SUPPRESS"
        )
    )
    assert code == "UsernameExistsException"


def listed(client: Any, pool_id: str, filt: str) -> list[str]:
    return [u["Username"] for u in client.list_users(UserPoolId=pool_id, Filter=filt)["Users"]]


@pytest.mark.parametrize("case_sensitive", [True, False], ids=["sensitive", "insensitive"])
def test_list_users_folds_case_in_every_pool_except_username_and_user_status(
    double: CognitoDouble, client: Any, case_sensitive: bool
) -> None:
    # FACTS §6: searches fold case in every pool, except username and cognito:user_status.
    pool_id = double.create_pool(case_sensitive=case_sensitive, username_attributes=None)
    client.admin_create_user(
        UserPoolId=pool_id,
        Username="Mixed",
        UserAttributes=[
            {"Name": "email", "Value": "Mixed@Example.com"},
            {"Name": "name", "Value": "Ann Mixed"},
        ],
        MessageAction="SUPPRESS",
    )

    for filt in (
        'email = "mixed@example.com"',
        'email = "MIXED@EXAMPLE.COM"',
        'email ^= "mixed@"',
        'name = "ann mixed"',
        'status = "enabled"',
        'username = "Mixed"',
        'cognito:user_status = "FORCE_CHANGE_PASSWORD"',
    ):
        assert listed(client, pool_id, filt) == ["Mixed"], filt
    for filt in (
        'username = "mixed"',
        'username ^= "mix"',
        'cognito:user_status = "force_change_password"',
    ):
        assert listed(client, pool_id, filt) == [], filt


@pytest.mark.parametrize("case_sensitive", [True, False], ids=["sensitive", "insensitive"])
def test_list_users_folds_non_ascii_letters_as_python_lower_does(
    double: CognitoDouble, client: Any, case_sensitive: bool
) -> None:
    # The widest plausible folding (unconfirmed): a trigger that trusts the search to tell
    # "\u212aim@" (KELVIN SIGN) from "kim@" must fail against the double.
    pool_id = double.create_pool(case_sensitive=case_sensitive, username_attributes=None)
    double.put_user(pool_id, "kim", attributes={"email": "kim@example.com"})
    double.put_user(pool_id, "kelvin", attributes={"email": "\u212aim@example.com"})

    assert sorted(listed(client, pool_id, 'email = "\u212aim@example.com"')) == ["kelvin", "kim"]
    assert sorted(listed(client, pool_id, 'email = "kim@example.com"')) == ["kelvin", "kim"]


def test_list_users_refuses_quotes_and_backslashes_in_filter_values(
    double: CognitoDouble, client: Any, pool: str
) -> None:
    for value in ('a"b@example.com', "a\\b@example.com"):
        code, _ = error_of(
            lambda v=value: client.list_users(UserPoolId=pool, Filter=f'email = "{v}"')
        )
        assert code == "InvalidParameterException"


def test_email_alias_pool_refuses_email_format_usernames_and_resolves_verified_aliases(
    double: CognitoDouble, client: Any
) -> None:
    pool_id = double.create_pool(username_attributes=None, alias_attributes=("email",))
    code, message = error_of(
        lambda: client.admin_create_user(
            UserPoolId=pool_id, Username="a@example.com", MessageAction="SUPPRESS"
        )
    )
    assert code == "InvalidParameterException" and "email format" in message
    double.put_user(pool_id, "unverified", attributes={"email": "u@example.com"})
    double.put_user(
        pool_id, "verified", attributes={"email": "v@example.com", "email_verified": "true"}
    )

    assert client.admin_get_user(UserPoolId=pool_id, Username="v@example.com")["Username"] == (
        "verified"
    )
    code, _ = error_of(lambda: client.admin_get_user(UserPoolId=pool_id, Username="u@example.com"))
    assert code == "UserNotFoundException"


def test_admin_create_user_re_enters_pre_sign_up_and_a_raising_trigger_stops_it(
    double: CognitoDouble, client: Any, pool: str
) -> None:
    seen: list[str] = []

    def trigger(event: dict[str, Any]) -> None:
        seen.append(event["triggerSource"])
        if event["userName"] == "blocked@example.com":
            raise RuntimeError("Not allowed here")

    double.set_pre_signup_trigger(pool, trigger)
    client.admin_create_user(UserPoolId=pool, Username="ok@example.com", MessageAction="SUPPRESS")
    code, message = error_of(
        lambda: client.admin_create_user(
            UserPoolId=pool, Username="blocked@example.com", MessageAction="SUPPRESS"
        )
    )

    assert seen == ["PreSignUp_AdminCreateUser", "PreSignUp_AdminCreateUser"]
    assert code == "UserLambdaValidationException"
    assert message == "PreSignUp failed with error Not allowed here"
    assert [u.email for u in double.users(pool)] == ["ok@example.com"]


def test_injected_faults_answer_once_and_can_apply_the_operation_first(
    double: CognitoDouble, client: Any, pool: str
) -> None:
    ann = native(double, pool, "ann")
    double.inject_fault("AdminLinkProviderForUser", after=True)
    link = {"UserPoolId": pool, "DestinationUser": destination(ann)}

    code, _ = error_of(
        lambda: client.admin_link_provider_for_user(SourceUser=source("Google", "1"), **link)
    )
    client.admin_link_provider_for_user(SourceUser=source("LinkedIn", "2"), **link)

    assert code == "TooManyRequestsException"
    assert double.user(pool, ann).linked == {("Google", "1"), ("LinkedIn", "2")}


def stale_scenario(double: CognitoDouble, client: Any) -> None:
    """ListUsers answers from the snapshot taken by `stale_list_users` (FACTS §6)."""
    # A pool that stores an administrator's email change at once, so the move is visible.
    pool_id = double.create_pool(username_attributes=None, hold_email_changes=False)
    double.put_user(pool_id, "old", attributes={"email": "old@example.com"})
    double.stale_list_users(pool_id, times=2)
    double.put_user(pool_id, "new", attributes={"email": "new@example.com"})
    client.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="old",
        UserAttributes=[{"Name": "email", "Value": "moved@example.com"}],
    )

    # Two stale answers: the new user is missing and the old one still has its old email.
    assert listed(client, pool_id, 'email = "old@example.com"') == ["old"]
    [stale] = client.list_users(UserPoolId=pool_id)["Users"]
    assert {"Name": "email", "Value": "old@example.com"} in stale["Attributes"]
    # Then the pool's current state again.
    assert listed(client, pool_id, 'email = "old@example.com"') == []
    assert sorted(listed(client, pool_id, 'email ^= ""')) == ["new", "old"]
    # AdminGetUser is not affected (FACTS §6: AWS points to it for existence checks).
    assert client.admin_get_user(UserPoolId=pool_id, Username="new")["Username"] == "new"


def test_list_users_can_be_made_stale(double: CognitoDouble, client: Any) -> None:
    stale_scenario(double, client)


@contextmanager
def server_mode() -> Iterator[tuple[CognitoDouble, Any]]:
    """The double behind a moto server, and a client that reaches it over HTTP."""
    with moto_server() as endpoint, CognitoDouble(region=REGION) as double:
        yield (
            double,
            boto3.session.Session().client(
                "cognito-idp", region_name=REGION, endpoint_url=endpoint
            ),
        )


def test_list_users_can_be_made_stale_in_server_mode() -> None:
    with server_mode() as (double, client):
        stale_scenario(double, client)


def test_a_stale_snapshot_belongs_to_its_pool_only(double: CognitoDouble, client: Any) -> None:
    stale_pool = double.create_pool(username_attributes=None)
    fresh_pool = double.create_pool(username_attributes=None)
    double.stale_list_users(stale_pool)
    for pool_id in (stale_pool, fresh_pool):
        double.put_user(pool_id, "late", attributes={"email": "late@example.com"})

    assert listed(client, fresh_pool, 'email = "late@example.com"') == ["late"]
    assert listed(client, stale_pool, 'email = "late@example.com"') == []
    assert listed(client, stale_pool, 'email = "late@example.com"') == ["late"]


def create_user(
    client: Any, pool_id: str, username: str, email: str, *, verified: bool, **extra: Any
) -> Any:
    return client.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true" if verified else "false"},
        ],
        MessageAction="SUPPRESS",
        **extra,
    )


@pytest.mark.parametrize("case_sensitive", [True, False], ids=["sensitive", "insensitive"])
def test_creating_a_user_with_another_users_verified_alias_email_fails(
    double: CognitoDouble, client: Any, case_sensitive: bool
) -> None:
    pool_id = double.create_pool(
        case_sensitive=case_sensitive, username_attributes=None, alias_attributes=("email",)
    )
    create_user(client, pool_id, "first", "ann@example.com", verified=True)
    before = double.snapshot(pool_id)

    code, message = error_of(
        lambda: create_user(client, pool_id, "second", "ann@example.com", verified=True)
    )
    assert (code, message) == ("AliasExistsException", "An account with the email already exists.")
    assert double.snapshot(pool_id) == before
    # The alias compares case-insensitively only in case-insensitive pools (FACTS §6).
    if case_sensitive:
        create_user(client, pool_id, "upper", "ANN@example.com", verified=True)
    else:
        code, _ = error_of(
            lambda: create_user(client, pool_id, "upper", "ANN@example.com", verified=True)
        )
        assert code == "AliasExistsException"
    # An unverified email is no alias, so it may be shared.
    create_user(client, pool_id, "unverified", "ann@example.com", verified=False)


def test_force_alias_creation_moves_the_alias_to_the_new_user(
    double: CognitoDouble, client: Any
) -> None:
    pool_id = double.create_pool(username_attributes=None, alias_attributes=("email",))
    create_user(client, pool_id, "first", "ann@example.com", verified=True)

    create_user(
        client, pool_id, "second", "ann@example.com", verified=True, ForceAliasCreation=True
    )

    assert not double.user(pool_id, "first").email_verified
    assert double.user(pool_id, "ann@example.com").username == "second"


def test_verifying_another_users_alias_email_by_update_fails(
    double: CognitoDouble, client: Any
) -> None:
    pool_id = double.create_pool(username_attributes=None, alias_attributes=("email",))
    create_user(client, pool_id, "first", "ann@example.com", verified=True)
    create_user(client, pool_id, "second", "ann@example.com", verified=False)
    create_user(client, pool_id, "third", "bob@example.com", verified=True)

    for username, attributes in (
        ("second", [{"Name": "email_verified", "Value": "true"}]),
        (
            "third",
            [
                {"Name": "email", "Value": "ann@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
        ),
    ):
        code, _ = error_of(
            lambda u=username, a=attributes: client.admin_update_user_attributes(
                UserPoolId=pool_id, Username=u, UserAttributes=a
            )
        )
        assert code == "AliasExistsException", username
    # Re-verifying one's own alias is no conflict.
    client.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="first",
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    assert not double.user(pool_id, "second").email_verified
    assert double.user(pool_id, "third").email == "bob@example.com"


# --------------------------------------------------------------------------- self-service


PASSWORD = "Correct-Horse-9-Battery"


def signed_in_user(
    client: Any, pool_id: str, email: str, *, write_attributes: list[str] | None = None
) -> str:
    """Sign up, confirm and verify a user, then sign in as the app would: its access token."""
    settings: dict[str, Any] = {"ClientName": "app", "ExplicitAuthFlows": ["USER_PASSWORD_AUTH"]}
    if write_attributes is not None:
        settings["WriteAttributes"] = write_attributes
    client_id = client.create_user_pool_client(UserPoolId=pool_id, **settings)["UserPoolClient"][
        "ClientId"
    ]
    client.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    client.admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
    client.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    answer = client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return str(answer["AuthenticationResult"]["AccessToken"])


def stored(client: Any, token: str) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in client.get_user(AccessToken=token)["UserAttributes"]}


def change_email(client: Any, token: str, email: str) -> Any:
    return client.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": email}]
    )


def held_back_change(double: CognitoDouble, client: Any) -> None:
    """FACTS §8, §20: the stored email stays (verified) and the new one waits for its code."""
    pool_id = double.create_pool(hold_email_changes=True)
    token = signed_in_user(client, pool_id, "ann@example.com")

    answer = change_email(client, token, "ann@new.example")

    assert answer["CodeDeliveryDetailsList"] == [
        {"Destination": "a***@n***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    ]
    attributes = stored(client, token)
    assert (attributes["email"], attributes["email_verified"]) == ("ann@example.com", "true")
    [user] = double.users(pool_id)
    assert double.pending(pool_id, user.username) == "ann@new.example"
    assert len(double.outbox("ann@new.example")) == 1 and double.outbox("ann@example.com") == []

    client.verify_user_attribute(
        AccessToken=token, AttributeName="email", Code=double.last_code("ann@new.example")
    )

    attributes = stored(client, token)
    assert (attributes["email"], attributes["email_verified"]) == ("ann@new.example", "true")
    assert double.pending(pool_id, user.username) is None


def test_an_own_email_change_waits_for_its_code_where_the_pool_holds_changes_back(
    double: CognitoDouble, client: Any
) -> None:
    held_back_change(double, client)


def test_an_own_email_change_waits_for_its_code_in_server_mode_too() -> None:
    with server_mode() as (double, client):
        held_back_change(double, client)


def test_an_own_email_change_is_stored_unverified_at_once_elsewhere(
    double: CognitoDouble, client: Any
) -> None:
    # FACTS §8, §20: without the hold-back setting the new address replaces the old one at
    # once, unverified, and a code goes to it.
    pool_id = double.create_pool(hold_email_changes=False)
    token = signed_in_user(client, pool_id, "ann@example.com")

    change_email(client, token, "colleague@example.com")

    attributes = stored(client, token)
    assert (attributes["email"], attributes["email_verified"]) == (
        "colleague@example.com",
        "false",
    )
    [user] = double.users(pool_id)
    assert double.pending(pool_id, user.username) is None
    assert len(double.outbox("colleague@example.com")) == 1


@pytest.mark.parametrize("hold", [True, False], ids=["held-back", "applied-at-once"])
def test_only_the_code_sent_to_the_address_verifies_it(
    double: CognitoDouble, client: Any, hold: bool
) -> None:
    pool_id = double.create_pool(hold_email_changes=hold)
    token = signed_in_user(client, pool_id, "ann@example.com")
    change_email(client, token, "first@example.com")
    first_code = double.last_code("first@example.com")
    change_email(client, token, "second@example.com")
    second_code = double.last_code("second@example.com")
    assert first_code and second_code and first_code != second_code
    before = double.snapshot(pool_id)

    for code in (first_code, "000000" if second_code != "000000" else "111111"):
        error, message = error_of(
            lambda c=code: client.verify_user_attribute(
                AccessToken=token, AttributeName="email", Code=c
            )
        )
        assert (error, message) == (
            "CodeMismatchException",
            "Invalid verification code provided, please try again.",
        )
    assert double.snapshot(pool_id) == before

    client.verify_user_attribute(AccessToken=token, AttributeName="email", Code=second_code)
    attributes = stored(client, token)
    assert (attributes["email"], attributes["email_verified"]) == ("second@example.com", "true")
    code, _ = error_of(
        lambda: client.verify_user_attribute(
            AccessToken=token, AttributeName="email", Code=second_code
        )
    )
    assert code == "ExpiredCodeException"


def test_a_requested_code_goes_to_the_address_waiting_for_verification(
    double: CognitoDouble, client: Any
) -> None:
    pool_id = double.create_pool(hold_email_changes=True)
    token = signed_in_user(client, pool_id, "ann@example.com")

    stored_answer = client.get_user_attribute_verification_code(
        AccessToken=token, AttributeName="email"
    )
    change_email(client, token, "ann@new.example")
    client.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")

    assert stored_answer["CodeDeliveryDetails"]["Destination"] == "a***@e***"
    assert len(double.outbox("ann@example.com")) == 1
    assert len(double.outbox("ann@new.example")) == 2
    # The stored address's code was superseded: only the newest code counts.
    code, _ = error_of(
        lambda: client.verify_user_attribute(
            AccessToken=token, AttributeName="email", Code=double.last_code("ann@example.com")
        )
    )
    assert code == "CodeMismatchException"


@pytest.mark.parametrize(
    ("write_attributes", "attribute", "value"),
    [
        # FACTS §4: never writable by any client, whatever it lists.
        (None, "email_verified", "true"),
        (None, "phone_number_verified", "true"),
        (None, "username", "someone-else"),
        # A client that lists nothing writes standard attributes only (FACTS §4).
        (None, "custom:idp_sub", "X"),
        # Immutable in the schema.
        (None, "sub", "00000000-0000-0000-0000-000000000000"),
        # A client that lists its attributes writes only those.
        (["name"], "email", "ann@new.example"),
    ],
    ids=["email_verified", "phone_number_verified", "username", "custom", "sub", "unlisted"],
)
def test_users_write_only_what_their_app_client_may(
    double: CognitoDouble,
    client: Any,
    write_attributes: list[str] | None,
    attribute: str,
    value: str,
) -> None:
    pool_id = double.create_pool(hold_email_changes=False, custom_attributes={"idp_sub": True})
    token = signed_in_user(client, pool_id, "ann@example.com", write_attributes=write_attributes)
    before = double.snapshot(pool_id)

    code, message = error_of(
        lambda: client.update_user_attributes(
            AccessToken=token,
            UserAttributes=[
                {"Name": "name", "Value": "Ann"},
                {"Name": attribute, "Value": value},
            ],
        )
    )

    assert (code, message) == (
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )
    # All or nothing: the writable `name` in the same request was not written either.
    assert double.snapshot(pool_id) == before
    assert double.outbox(value) == []


def test_a_disabled_users_token_changes_nothing(double: CognitoDouble, client: Any) -> None:
    pool_id = double.create_pool(hold_email_changes=False)
    token = signed_in_user(client, pool_id, "ann@example.com")
    client.admin_disable_user(UserPoolId=pool_id, Username="ann@example.com")
    before = double.snapshot(pool_id)

    code, _ = error_of(lambda: change_email(client, token, "colleague@example.com"))

    assert code == "NotAuthorizedException"
    assert double.snapshot(pool_id) == before


def test_a_code_expires_after_24_hours(
    double: CognitoDouble, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "The verification code or link is valid for 24 hours" (developer guide).
    pool_id = double.create_pool(hold_email_changes=True)
    token = signed_in_user(client, pool_id, "ann@example.com")
    change_email(client, token, "ann@new.example")
    code_sent = double.last_code("ann@new.example")
    later = time.time() + 24 * 3600 + 60
    monkeypatch.setattr(time, "time", lambda: later)

    code, _ = error_of(
        lambda: client.verify_user_attribute(
            AccessToken=token, AttributeName="email", Code=code_sent
        )
    )

    assert code == "ExpiredCodeException"
    assert stored(client, token)["email"] == "ann@example.com"


def test_an_address_another_user_signs_in_with_cannot_be_taken(
    double: CognitoDouble, client: Any
) -> None:
    # Where email is the username attribute: moto's rule, compared as the pool compares
    # sign-in names (case-insensitive pool, FACTS §3).
    pool_id = double.create_pool(hold_email_changes=False)
    signed_in_user(client, pool_id, "bob@example.com")
    token = signed_in_user(client, pool_id, "ann@example.com")
    before = double.snapshot(pool_id)

    code, _ = error_of(lambda: change_email(client, token, "BOB@example.com"))

    assert code == "AliasExistsException"
    assert double.snapshot(pool_id) == before and double.outbox("BOB@example.com") == []


def test_verifying_an_address_another_user_holds_as_a_verified_alias_fails(
    double: CognitoDouble, client: Any
) -> None:
    # (unconfirmed) As AdminUpdateUserAttributes does in an email-alias pool.
    pool_id = double.create_pool(
        hold_email_changes=False, username_attributes=None, alias_attributes=("email",)
    )
    create_user(client, pool_id, "bob", "bob@example.com", verified=True)
    token = signed_in_user(client, pool_id, "ann")
    client.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="ann",
        UserAttributes=[{"Name": "email", "Value": "a@x.example"}],
    )
    change_email(client, token, "bob@example.com")

    code, _ = error_of(
        lambda: client.verify_user_attribute(
            AccessToken=token, AttributeName="email", Code=double.last_code("bob@example.com")
        )
    )

    assert code == "AliasExistsException"
    assert double.user(pool_id, "bob").email_verified
    assert not double.user(pool_id, "ann").email_verified


@pytest.mark.parametrize("hold_unverified", [True, False], ids=["held", "other-reading"])
def test_an_unverified_stored_email_is_held_back_unless_the_pool_plays_the_other_reading(
    double: CognitoDouble, client: Any, hold_unverified: bool
) -> None:
    # FACTS §20 leaves open whether the hold applies to an unverified stored value.
    pool_id = double.create_pool(hold_email_changes=True, hold_unverified_changes=hold_unverified)
    token = signed_in_user(client, pool_id, "ann@example.com")
    client.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="ann@example.com",
        UserAttributes=[{"Name": "email_verified", "Value": "false"}],
    )

    change_email(client, token, "ann@new.example")

    attributes = stored(client, token)
    if hold_unverified:
        assert (attributes["email"], attributes["email_verified"]) == ("ann@example.com", "false")
    else:
        assert (attributes["email"], attributes["email_verified"]) == ("ann@new.example", "false")
    assert len(double.outbox("ann@new.example")) == 1
