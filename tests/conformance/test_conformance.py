"""The conformance run: both worlds play every sign-in, settle every row, and agree on the pool.

One run (module fixture) of examples/complete as planned: the double with the triggers from
lambda_src/, and ministack (pinned, started on a free port and stopped) with the packaged zip.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from cogfed_tools.conformance import run as conformance
from cogfed_tools.conformance.compare import compare_rows, pool_facts
from cogfed_tools.conformance.ministack_server import pinned_version, running_ministack
from cogfed_tools.conformance.planned_pool import PlannedPoolError, read_planned_pool
from cogfed_tools.conformance.scenario import SIGN_INS


@pytest.fixture(scope="module")
def worlds(tmp_path_factory, planned_complete):
    workdir = tmp_path_factory.mktemp("conformance")
    planned, plan = planned_complete
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
    refused = [
        r for r in worlds["ministack_rows"] if r.landed == "refused" and not r.sign_in.endpoint
    ]
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


WORKERS = {
    "echo": b"def handler(event, context):\n    return event\n",
    # A worker slower to stop than its server: it ignores SIGTERM and outlives its stdin
    # (a thread that is no daemon), so only the stop's SIGKILL ends it.
    "stubborn": b"import signal\nimport threading\n\n"
    b"signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    b"threading.Thread(target=threading.Event().wait, daemon=False).start()\n\n"
    b"def handler(event, context):\n    return event\n",
}


def test_ministack_starts_on_a_free_port_and_stops_with_its_workers(
    tmp_path: Path, left_behind: Callable[[], dict[int, str]]
) -> None:
    import io
    import zipfile

    import boto3

    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        for name, code in WORKERS.items():
            archive.writestr(f"{name}.py", code)
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
        for name in WORKERS:
            client.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=f"arn:aws:iam::000000000000:role/{name}",
                Handler=f"{name}.handler",
                Code={"ZipFile": package.getvalue()},
            )
            answer = client.invoke(FunctionName=name, Payload=b'{"n": 1}')
            assert json.loads(answer["Payload"].read()) == {"n": 1}
        group = _members(server.pid)
        workers = [pid for pid in group if b"_worker" in _command_line(pid)]
        assert len(workers) >= len(WORKERS), f"not a worker for each function: {group}"
    # Nothing of the server is left when the stop returns, not even a zombie for PID 1 (or,
    # while this module runs, for this process) to collect.
    assert _members(server.pid) == {}
    assert left_behind() == {}
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{server.endpoint}/_ministack/health", timeout=2)
    for name in WORKERS:
        assert not list(Path("/tmp").glob(f"ministack-lambda-{name}-*")), "code left in /tmp"


def _members(group: int) -> dict[int, str]:
    """The processes of a process group, running or zombies: pid -> state."""
    found = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and (stat := _stat(proc)) and int(stat[2]) == group:
            found[int(proc.name)] = stat[0]
    return found


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _stat(proc: Path) -> list[str] | None:
    try:
        # /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces.
        return (proc / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
