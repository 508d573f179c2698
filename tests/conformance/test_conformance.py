"""The conformance run: both worlds play every sign-in, settle every row, and agree on the pool.

One run (module fixture) of examples/complete as planned: the double with the triggers from
lambda_src/, and ministack (pinned, started on a free port and stopped) with the packaged zip.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cogfed_tools.conformance import run as conformance
from cogfed_tools.conformance.compare import compare_rows, pool_facts
from cogfed_tools.conformance.ministack_server import pinned_version, running_ministack
from cogfed_tools.conformance.planned_pool import PlannedPoolError, plan_pool, read_planned_pool
from cogfed_tools.conformance.scenario import SIGN_INS


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("conformance")
    planned, plan = plan_pool(workdir / "plan", conformance.EXAMPLE)
    double_rows, double_users, double_settings = conformance.play_double(planned, SIGN_INS)
    ministack_rows, ministack_users, ministack_settings, workarounds = conformance.play_ministack(
        planned, workdir, SIGN_INS
    )
    mappings = {name: p.attribute_mapping for name, p in planned.identity_providers.items()}
    settings = (conformance.planned_settings(planned), double_settings, ministack_settings)
    return {
        "planned": planned,
        "plan": plan,
        "rows": compare_rows(double_rows, ministack_rows, mappings),
        "facts": pool_facts(double_users, ministack_users, settings),
        "workarounds": workarounds,
        "ministack_rows": ministack_rows,
    }


def test_every_sign_in_is_settled_in_both_worlds(worlds) -> None:
    unsettled = [f"#{r.step} {r.who} via {r.through}: {r.verdict}" for r in worlds["rows"]]
    assert [line for line, r in zip(unsettled, worlds["rows"], strict=True) if not r.ok] == []
    assert len(worlds["rows"]) == len(SIGN_INS)


def test_both_pools_end_the_same(worlds) -> None:
    assert [(f.what, f.double, f.ministack) for f in worlds["facts"] if not f.ok] == []


def test_both_pools_carry_the_planned_settings(worlds) -> None:
    # Pre token generation restores email_verified only in a pool that holds email changes
    # back (FACTS §20), and the Google mapping needs its schema entry: both from the plan.
    described = {f.what.split(" (")[0]: (f.double, f.ministack) for f in worlds["facts"]}
    assert described["a changed email waits for verification"] == ("yes", "yes")
    assert described["custom attributes"] == ("google_hd, idp_sub", "google_hd, idp_sub")


def test_ministack_played_the_sign_ins_through_its_hosted_ui(worlds) -> None:
    # Only the social provider (M3) and the retried step go around the browser flow.
    around = {r.sign_in.key for r in worlds["ministack_rows"] if r.landing.how}
    assert around == {"alice-signs-up", "alice-google", "frank-retried"}
    refused = [r for r in worlds["ministack_rows"] if r.landed == "refused"]
    assert refused and all("Sign-in refused" in r.landing.message for r in refused)


def test_the_docs_show_this_run(worlds) -> None:
    generated = conformance.docs_section(
        worlds["rows"], worlds["facts"], worlds["workarounds"], pinned_version()
    )
    written = conformance.DOCS.read_text(encoding="utf-8")
    assert generated in written, "docs/conformance.md is stale: run `make conformance`"


def test_the_package_must_be_the_one_the_plan_uploads(worlds, tmp_path: Path) -> None:
    plan = json.loads(worlds["plan"].read_text(encoding="utf-8"))
    (filename,) = {
        change["change"]["after"]["filename"]
        for change in plan["resource_changes"]
        if change["type"] == "aws_lambda_function"
    }
    config = tmp_path / "examples" / "complete"
    package = (config / filename).resolve()
    with pytest.raises(PlannedPoolError, match="was not written"):
        read_planned_pool(plan, config)
    package.parent.mkdir(parents=True)
    package.write_bytes(worlds["planned"].functions["PreSignUp"].package.read_bytes())
    assert read_planned_pool(plan, config).functions["PreSignUp"].package == package
    package.write_bytes(package.read_bytes() + b"\0")
    with pytest.raises(PlannedPoolError, match="not the package the plan uploads"):
        read_planned_pool(plan, config)


WORKER = b"def handler(event, context):\n    return event\n"


def test_ministack_starts_on_a_free_port_and_stops_with_its_workers(tmp_path: Path) -> None:
    import io
    import zipfile

    import boto3

    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("echo.py", WORKER)
    with running_ministack(tmp_path, progress=lambda line: None) as server:
        with urllib.request.urlopen(f"{server.endpoint}/_ministack/health", timeout=5) as answer:
            assert answer.status == 200
        client = boto3.client(
            "lambda",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        client.create_function(
            FunctionName="echo",
            Runtime="python3.12",
            Role="arn:aws:iam::000000000000:role/echo",
            Handler="echo.handler",
            Code={"ZipFile": package.getvalue()},
        )
        answer = client.invoke(FunctionName="echo", Payload=b'{"n": 1}')
        assert json.loads(answer["Payload"].read()) == {"n": 1}
        group = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _group(p) == server.pid]
        assert len(group) >= 2, "the invocation started no worker in the server's group"
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _group(p) == server.pid]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{server.endpoint}/_ministack/health", timeout=2)
    assert not list(Path("/tmp").glob("ministack-lambda-echo-*")), "unpacked code left in /tmp"


def _group(proc: Path) -> int | None:
    try:
        # /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces.
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[2])
