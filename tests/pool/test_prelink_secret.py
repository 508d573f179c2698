"""`cogfed-pool prelink` creates users only under the deployment's LINKING_SECRET, so that a
user it creates has the very username the trigger would give the same person.

The pool takes free-form usernames, where the trigger names the users it creates with an HMAC
of the email under the secret (lambda_src/pseudonyms.py). ListUsers lags (FACTS §6): a first
sign-in through another provider right after the prelink does not see the new user, and tries
to create it again; only the same username makes that a collision instead of a second user.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cogfed_pool.cli import main
from cogfed_tools import synthetic_pool
from cogfed_tools.cognito_double import FederatedSignInSimulator, in_memory_cognito
from tests.pool.conftest import SECRET

EMAIL = "new1@example.com"
PROVIDERS = {name: synthetic_pool.IDENTITY_PROVIDERS[name] for name in ("Corporate", "Directory")}
ROWS = f"email,provider,subject,create\n{EMAIL},Corporate,New1-NameID-AbC,yes\n"


@pytest.fixture
def double() -> Iterator[Any]:
    with in_memory_cognito() as double:
        yield double


def free_form_pool(double: Any, trigger_environment: dict[str, str] | None) -> str:
    """A pool with free-form usernames, and a pre sign-up function with this environment."""
    import boto3

    pool_id = double.create_pool(
        "free-form", username_attributes=None, custom_attributes={"idp_sub": True}
    )
    for name in PROVIDERS:
        double.add_identity_provider(
            pool_id, name, PROVIDERS[name]["type"], synthetic_pool.MAPPINGS[name]
        )
    if trigger_environment is not None:
        role = boto3.client("iam").create_role(RoleName="trigger", AssumeRolePolicyDocument="{}")
        function = boto3.client("lambda").create_function(
            FunctionName="pre-signup",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="pre_signup.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
            Environment={"Variables": trigger_environment},
        )
        # UpdateUserPool resets what it is not given, as Cognito does.
        boto3.client("cognito-idp").update_user_pool(
            UserPoolId=pool_id,
            LambdaConfig={"PreSignUp": function["FunctionArn"]},
            AutoVerifiedAttributes=["email"],
            UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
        )
    return pool_id


def prelink(capsys: Any, pool_id: str, tmp_path: Path, *extra: str) -> tuple[int, str]:
    rows = tmp_path / "rows.csv"
    rows.write_text(ROWS)
    argv = ["prelink", "--user-pool-id", pool_id, "--csv", str(rows), "--execute"]
    code = main([*argv, "--rate-share", "1", *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def natives(double: Any, pool_id: str) -> list[str]:
    return [u.username for u in double.users_with_email(pool_id, EMAIL) if not u.is_federated]


def first_sign_in_elsewhere(double: Any, pool_id: str) -> Any:
    """The person's first sign-in through the directory, with the deployment's triggers."""
    sim = FederatedSignInSimulator(double, pool_id)
    sim.identity_providers_override = json.dumps(PROVIDERS)
    sim.environment_overrides["LINKING_SECRET"] = SECRET
    claims = {
        synthetic_pool.DIRECTORY_EMAIL: EMAIL,
        synthetic_pool.DIRECTORY_VERIFIED: "true",
        synthetic_pool.DIRECTORY_SUBJECT: "Dir-New1",
    }
    return sim.federated_sign_in("Directory", "Dir-New1", claims)


def trigger_made_user(double: Any, pool_id: str) -> str:
    """A user the trigger created (under the deployment's secret) for someone else."""
    sim = FederatedSignInSimulator(double, pool_id)
    sim.identity_providers_override = json.dumps(PROVIDERS)
    sim.environment_overrides["LINKING_SECRET"] = SECRET
    claims = {
        synthetic_pool.DIRECTORY_EMAIL: "earlier@example.com",
        synthetic_pool.DIRECTORY_VERIFIED: "true",
        synthetic_pool.DIRECTORY_SUBJECT: "Dir-Earlier",
    }
    return str(sim.federated_sign_in("Directory", "Dir-Earlier", claims).username)


@pytest.mark.parametrize(
    "given",
    [
        "by the function's environment",
        "by --linking-secret-file, confirmed by a user the trigger made",
        "by --linking-secret-file, taken with --unconfirmed-linking-secret",
    ],
)
def test_a_user_prelink_creates_is_the_one_the_trigger_would(
    double, capsys, tmp_path, monkeypatch, given: str
) -> None:
    monkeypatch.delenv("LINKING_SECRET", raising=False)
    if given == "by the function's environment":
        environment = {"IDENTITY_PROVIDERS": json.dumps(PROVIDERS), "LINKING_SECRET": SECRET}
        pool_id = free_form_pool(double, environment)
        extra: tuple[str, ...] = ()
    else:
        # No function this tool may read: the secret given is checked otherwise.
        pool_id = free_form_pool(double, None)
        (tmp_path / "secret").write_text(SECRET + "\n")
        extra = (
            "--linking-secret-file",
            str(tmp_path / "secret"),
            "--identity-providers",
            json.dumps(PROVIDERS),
        )
        if "confirmed" in given:
            trigger_made_user(double, pool_id)
        else:
            extra += ("--unconfirmed-linking-secret",)
    double.stale_list_users(pool_id, times=20)  # ListUsers shows the pool as it is now

    code, out = prelink(capsys, pool_id, tmp_path, *extra)
    assert code == 0 and "1 created_and_linked" in out, out
    (created,) = natives(double, pool_id)

    signed = first_sign_in_elsewhere(double, pool_id)
    harm = {
        "a second user for the same person": natives(double, pool_id) != [created],
        "the sign-in's tokens are another user's": signed.username != created,
    }
    assert not any(harm.values()), harm


def test_without_the_deployments_secret_no_user_is_created(
    double, capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("LINKING_SECRET", raising=False)
    pool_id = free_form_pool(double, None)
    code, out = prelink(capsys, pool_id, tmp_path, "--identity-providers", json.dumps(PROVIDERS))
    assert natives(double, pool_id) == []
    assert code == 1 and "LINKING_SECRET is unknown" in out, out


def test_a_function_without_a_secret_gets_no_users_from_prelink(
    double, capsys, tmp_path, monkeypatch
) -> None:
    # A hand-made deployment: the trigger draws a random key per container, so no username
    # the tool could give would match its own.
    monkeypatch.setenv("LINKING_SECRET", SECRET)
    pool_id = free_form_pool(double, {"IDENTITY_PROVIDERS": json.dumps(PROVIDERS)})
    code, out = prelink(capsys, pool_id, tmp_path)
    assert natives(double, pool_id) == []
    assert code == 1 and "runs without a LINKING_SECRET" in out, out


def test_a_secret_that_is_not_the_deployments_is_refused(
    double, capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("LINKING_SECRET", "another-deployments-secret-0123")
    environment = {"IDENTITY_PROVIDERS": json.dumps(PROVIDERS), "LINKING_SECRET": SECRET}
    pool_id = free_form_pool(double, environment)
    code, out = prelink(capsys, pool_id, tmp_path)
    assert natives(double, pool_id) == []
    assert code == 2 and "is not the one the pre sign-up function pre-signup runs with" in out


def test_a_given_secret_nothing_confirms_creates_no_user(
    double, capsys, tmp_path, monkeypatch
) -> None:
    """The function's configuration cannot be read (here: the function is gone), and the
    operator's shell holds another stage's secret: no user is created under it."""
    import boto3

    environment = {"IDENTITY_PROVIDERS": json.dumps(PROVIDERS), "LINKING_SECRET": SECRET}
    pool_id = free_form_pool(double, environment)
    trigger_made_user(double, pool_id)
    boto3.client("lambda").delete_function(FunctionName="pre-signup")
    monkeypatch.setenv("LINKING_SECRET", "the-staging-deployments-secret-XYZ")
    double.stale_list_users(pool_id, times=20)

    code, out = prelink(capsys, pool_id, tmp_path, "--identity-providers", json.dumps(PROVIDERS))

    assert code == 1 and "reproduces the username of no user the trigger created" in out, out
    assert "--unconfirmed-linking-secret" in out
    assert natives(double, pool_id) == []
    first_sign_in_elsewhere(double, pool_id)
    assert len(natives(double, pool_id)) == 1
