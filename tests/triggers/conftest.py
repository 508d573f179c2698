"""Fixtures for the trigger tests: moto (decorator mode) extended by the Cognito double.

No AWS credentials exist here: fake ones and a region are set for every test, and every AWS
call goes to moto.

`TRIGGERS_LAMBDA_SRC=/path/to/lambda_src` runs the tests against another copy of the
triggers (e.g. an older commit's, exported with `git archive`), as `FUZZ_LAMBDA_SRC` does for
the fuzzer: to show that a test fails on the code it was written against.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"
if str(LAMBDA_SRC) not in sys.path:
    sys.path.insert(0, str(LAMBDA_SRC))

from cogfed_tools.cognito_double import (  # noqa: E402
    CognitoDouble,
    FederatedSignInSimulator,
)

if os.environ.get("TRIGGERS_LAMBDA_SRC"):
    # After the double's import, which puts this repository's lambda_src/ first.
    sys.path.insert(0, str(Path(os.environ["TRIGGERS_LAMBDA_SRC"]).resolve()))

REGION = "eu-west-1"
CORP_DOMAIN = "corp.example"


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "PROFILE_TABLE_NAME", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def double() -> Iterator[CognitoDouble]:
    with mock_aws(), CognitoDouble(region=REGION) as cognito:
        yield cognito


SimFactory = Callable[..., FederatedSignInSimulator]


@pytest.fixture
def make_sim(double: CognitoDouble) -> SimFactory:
    """A pool with the usual IdPs and a simulator around the real triggers.

    Google (sends email_verified; digits subject), LinkedIn (OIDC, mixed-case subject mapped
    to custom:idp_sub) and CorpSAML (SAML, trusted `always` for corp.example, NameID mapped
    to custom:idp_sub). Keyword arguments choose the pool's shape.
    """

    def make(
        *,
        case_sensitive: bool = False,
        username_attributes: tuple[str, ...] | None = ("email",),
        alias_attributes: tuple[str, ...] | None = None,
        map_subject: bool = True,
        token_version: str = "V2_0",
        standard_idps: bool = True,
        hold_email_changes: bool = True,
        **simulator_args: Any,
    ) -> FederatedSignInSimulator:
        pool_id = double.create_pool(
            case_sensitive=case_sensitive,
            hold_email_changes=hold_email_changes,
            username_attributes=username_attributes,
            alias_attributes=alias_attributes,
            custom_attributes={"idp_sub": True, "google_hd": True},
        )
        sim = FederatedSignInSimulator(
            double, pool_id, token_version=token_version, **simulator_args
        )
        if standard_idps:
            subject_attribute = "custom:idp_sub" if map_subject else None
            sim.add_identity_provider("Google", "Google")
            sim.add_identity_provider("LinkedIn", "OIDC", subject_attribute=subject_attribute)
            sim.add_identity_provider(
                "CorpSAML",
                "SAML",
                email_trust="always",
                email_domains=[CORP_DOMAIN],
                subject_attribute=subject_attribute,
            )
        return sim

    return make


@pytest.fixture
def sim(make_sim: SimFactory) -> FederatedSignInSimulator:
    """The module's default pool: case-insensitive, email as username, subjects mapped."""
    return make_sim()


def warm_container(sim: FederatedSignInSimulator) -> None:
    """Play one first sign-in of a throwaway user, as a container serving this pool has.

    A container learns once how the pool takes usernames and caches the pool's provider
    names (lambda_src/account_linking.py, pool_providers.py): tests that count the calls of
    a steady-state sign-in start from such a container.
    """
    result = sim.federated_sign_in(
        "Google", "1", {"email": "warm-up@example.com", "email_verified": "true"}
    )
    assert result.signed_in, result.message
