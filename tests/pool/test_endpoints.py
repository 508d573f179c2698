"""Where `cogfed-pool` sends its calls: `--endpoint-url` on every command (the trigger code
prelink runs included), and the one cognito-idp endpoint variable boto3 really reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from cogfed_pool.cli import main
from cogfed_tools import synthetic_pool

REPO = Path(__file__).resolve().parents[2]
# boto3's rule (botocore configprovider): AWS_ENDPOINT_URL_ + the service ID, hyphens as
# underscores, upper-cased; the ID is botocore's, not the client's name.
SERVICE_ID = botocore.session.get_session().get_service_model("cognito-idp").service_id
REAL = "AWS_ENDPOINT_URL_" + SERVICE_ID.hyphenize().replace("-", "_").upper()
MISNAMED = "AWS_ENDPOINT_URL_COGNITO_IDP"


@pytest.fixture
def pool(served: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str, str]:
    """A small pool served over HTTP, and its endpoint, which no variable names."""
    double, env = served
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    pool_id = synthetic_pool.create_pool(double)
    synthetic_pool.populate(double, pool_id, 100, seed=3)
    return double, pool_id, env["AWS_ENDPOINT_URL"]


def run(capsys: Any, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--identity-providers", json.dumps(synthetic_pool.IDENTITY_PROVIDERS)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_variable_boto3_reads_is_named_after_the_service_id() -> None:
    assert REAL == "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER" != MISNAMED
    docs = (REPO / "docs" / "live-pools.md").read_text()
    assert f"`{REAL}`" in docs and "`AWS_ENDPOINT_URL`" in docs and "--endpoint-url" in docs


def test_every_command_goes_where_endpoint_url_says(pool, capsys, tmp_path) -> None:
    double, pool_id, endpoint = pool
    common = ("--user-pool-id", pool_id, "--endpoint-url", endpoint, "--rate-share", "1")
    code, out = run(capsys, "audit", *common)
    assert code == 1 and "split_person" in out, out
    plan = tmp_path / "plan.json"
    code, out = run(capsys, "repair", *common, "--out", str(plan))
    assert code == 1 and plan.is_file(), out
    # prelink runs the trigger's own code, which makes its own clients.
    double.put_user(
        pool_id, "emp1", attributes={"email": "emp1@example.com", "email_verified": "true"}
    )
    rows = tmp_path / "rows.csv"
    rows.write_text("email,provider,subject,email_verified\nemp1@example.com,LinkedIn,LiNk1,true\n")
    code, out = run(
        capsys, "prelink", *common, "--csv", str(rows), "--execute", "--csv-vouches-verified"
    )
    assert code == 0 and "1 linked" in out, out
    assert ("LinkedIn", "LiNk1") in double.user(pool_id, "emp1").linked


def test_a_misnamed_endpoint_variable_is_refused_before_any_call(pool, capsys, monkeypatch) -> None:
    _, pool_id, endpoint = pool
    monkeypatch.setenv(MISNAMED, endpoint)
    code, out = run(capsys, "audit", "--user-pool-id", pool_id, "--rate-share", "1")
    assert code == 2 and f"{MISNAMED} is set, but boto3 reads no such variable" in out, out
    assert REAL in out
    monkeypatch.setenv(REAL, endpoint)
    code, out = run(capsys, "audit", "--user-pool-id", pool_id, "--rate-share", "1")
    assert code == 1 and "split_person" in out, out


def test_the_trigger_codes_calls_go_where_endpoint_url_says_whatever_the_variables(
    pool, capsys, tmp_path, monkeypatch
) -> None:
    """With AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, boto3 ignores the AWS_ENDPOINT_URL*
    variables: the endpoint reaches the trigger code's clients as an argument."""
    import botocore.httpsession
    from botocore.exceptions import EndpointConnectionError

    double, pool_id, endpoint = pool
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    hosts: list[str] = []
    send = botocore.httpsession.URLLib3Session.send

    def recorded(self: Any, request: Any) -> Any:
        hosts.append(request.url.split("/")[2])
        if "amazonaws.com" in request.url:  # never AWS itself
            raise EndpointConnectionError(endpoint_url=request.url)
        return send(self, request)

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", recorded)
    double.put_user(
        pool_id, "emp1", attributes={"email": "emp1@example.com", "email_verified": "true"}
    )
    rows = tmp_path / "rows.csv"
    rows.write_text("email,provider,subject,email_verified\nemp1@example.com,LinkedIn,LiNk1,true\n")
    argv = ("prelink", "--user-pool-id", pool_id, "--endpoint-url", endpoint, "--rate-share", "1")
    code, out = run(capsys, *argv, "--csv", str(rows), "--execute", "--csv-vouches-verified")

    assert code == 0 and "1 linked" in out, out
    assert hosts and not any("amazonaws.com" in host for host in hosts), sorted(set(hosts))
