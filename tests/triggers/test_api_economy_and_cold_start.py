"""Cognito calls per flow (deterministic, so asserted) and what a cold start imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

from cogfed_tools.cognito_double import LAMBDA_SRC, FederatedSignInSimulator
from tests.triggers.assertions import claims


def test_calls_per_flow(sim: FederatedSignInSimulator) -> None:
    # A container's first linking sign-in in a pool also reads the pool's provider names
    # (cached, lambda_src/pool_providers.py) and, where usernames are emails, learns that
    # once (lambda_src/account_linking.py): 2 calls that later sign-ins do not make.
    first = sim.federated_sign_in("Google", "7000", claims("first@example.com"))
    assert first.total_cognito_calls == 4 + 2
    assert first.cognito_calls["ListIdentityProviders"] == 1
    assert first.cognito_calls["AdminCreateUser"] == 2

    # Brand-new user through an IdP that sends email_verified: 4, all in pre sign-up.
    new = sim.federated_sign_in("Google", "7001", claims("flow@example.com"))
    assert new.total_cognito_calls == 4

    # Returning sign-in with email_verified mapped: nothing at all (FACTS §4).
    returning = sim.federated_sign_in("Google", "7001", claims("flow@example.com"))
    assert returning.total_cognito_calls == 0 and returning.sub == new.sub

    # First link of an existing user: 2.
    sim.native_sign_up("member@example.com")
    first_link = sim.federated_sign_in("Google", "7002", claims("member@example.com"))
    assert first_link.total_cognito_calls == 2

    # Always-trusted SAML without email_verified: one restore per sign-in (FACTS §4), and on
    # a container's first restore in a pool, one read of whether the pool holds email
    # changes back (cached, lambda_src/pool_settings.py).
    saml_first = sim.federated_sign_in("CorpSAML", "Dana", {"email": "dana@corp.example"})
    saml_again = sim.federated_sign_in("CorpSAML", "Dana", {"email": "dana@corp.example"})
    assert saml_first.cognito_calls == {
        "ListUsers": 1,
        "AdminCreateUser": 1,
        "AdminSetUserPassword": 1,
        "AdminLinkProviderForUser": 1,
        "DescribeUserPool": 1,
        "AdminUpdateUserAttributes": 1,
    }
    assert saml_again.cognito_calls == {"AdminUpdateUserAttributes": 1}


def _run_cold(script: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "IDENTITY_PROVIDERS": json.dumps({"Google": {"type": "Google"}}),
        "USERNAME_CASE_SENSITIVE": "false",
        "PYTHONPATH": str(LAMBDA_SRC),
    }
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_invocations_that_need_no_aws_call_import_no_aws_sdk() -> None:
    report = _run_cold(
        """
        import json, sys
        import pre_signup, pre_token_generation

        base = {"userPoolId": "eu-west-1_Abc123", "request": {}}
        pre_signup.handler({**base, "triggerSource": "PreSignUp_SignUp"}, None)
        pre_signup.handler({**base, "triggerSource": "PreSignUp_AdminCreateUser"}, None)
        untrusted = {
            **base,
            "triggerSource": "PreSignUp_ExternalProvider",
            "userName": "google_123",
            "request": {"userAttributes": {"email": "a@example.com", "email_verified": "false"}},
        }
        try:
            pre_signup.handler(untrusted, None)
        except Exception as exc:
            refused = type(exc).__name__
        verified = {
            **base,
            "version": "2",
            "triggerSource": "TokenGeneration_HostedAuth",
            "userName": "u",
            "request": {"userAttributes": {"email_verified": "true"}},
            "response": {},
        }
        pre_token_generation.handler(verified, None)
        sdk = sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore"))
        print(json.dumps({"sdk": sdk, "refused": refused}))
        """
    )
    assert report == {"sdk": [], "refused": "SignInRefused"}


def test_a_call_imports_the_sdk_and_creates_each_client_once() -> None:
    report = _run_cold(
        """
        import json, sys
        from moto import mock_aws
        import cognito_api

        with mock_aws():
            import boto3
            pool = boto3.client("cognito-idp", region_name="eu-west-1").create_user_pool(
                PoolName="p"
            )["UserPool"]["Id"]
            deadline = cognito_api.Deadline(3.0)
            for _ in range(3):
                cognito_api.call(
                    "cognito-idp", "list_users", deadline, UserPoolId=pool, Limit=1
                )
        print(json.dumps({"clients": len(cognito_api._clients)}))
        """
    )
    assert report == {"clients": 1}
