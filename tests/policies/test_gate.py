"""The gate end to end: the contract command, the wrapper's proofs, its reports and errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cogfed_gate import gate, gate_canary
from tests.policies.conftest import (
    CASES,
    EXAMPLE,
    FIXTURES,
    POLICIES,
    REPO,
    CaseResults,
    contract_command,
    load_rules,
)

GATE_FAILING = FIXTURES / "gate_failing"


@pytest.mark.parametrize(
    ("case", "check_id"), [("literal_fail", "CKV_COGFED_4"), ("unresolved", "CKV_COGFED_2")]
)
def test_contract_command_fails_on_a_violation(
    case_results: CaseResults, case: str, check_id: str
) -> None:
    # `unresolved`: rules broken where checkov cannot see (a `for` expression in a mapping,
    # an unset variable) fail plain checkov too (CONTRACT §2), as undecided.
    result = subprocess.run(
        contract_command(CASES / case),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode != 0, result.stdout[-2000:]
    assert check_id in result.stdout


def test_contract_command_passes_the_example(
    example_contract_run: subprocess.CompletedProcess[str],
) -> None:
    assert example_contract_run.returncode == 0, example_contract_run.stdout[-3000:]
    assert "Passed checks: " in example_contract_run.stdout


@pytest.mark.parametrize("example", ["complete", "minimal"])
def test_contract_command_passes_the_modules_examples(example: str) -> None:
    # CONTRACT §2: plain checkov with the policies exits zero on both examples (what it
    # cannot see there is undecided, which plain checkov shows as passed).
    result = subprocess.run(
        contract_command(REPO / "examples" / example),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Failed checks: 0" in result.stdout, result.stdout[-3000:]


def test_canary_covers_every_rule_both_ways() -> None:
    rules = load_rules()
    for check_id in rules.RULES:
        results = {r for cid, _, r in gate_canary.EXPECTED if cid == check_id}
        assert results == {"PASSED", "FAILED"}, check_id
    assert {cid for cid, _, _ in gate_canary.EXPECTED} == set(rules.RULES)


@pytest.fixture(scope="module")
def passing_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    out = tmp_path_factory.mktemp("pass")
    # The static reading and its proofs (the canary); test_dir_gate.py tests the offline plan.
    code, text = _run_main(
        [
            str(EXAMPLE),
            "--static",
            "--sarif",
            str(out / "r.sarif"),
            "--junitxml",
            str(out / "r.xml"),
        ]
    )
    return code, text, out


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    out = tmp_path_factory.mktemp("fail")
    code, text = _run_main(
        [str(GATE_FAILING), "--sarif", str(out / "r.sarif"), "--junitxml", str(out / "r.xml")]
    )
    return code, text, out


def _run_main(argv: list[str]) -> tuple[int, str]:
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = gate.main(argv)
    return code, stdout.getvalue() + stderr.getvalue()


def test_gate_passes_the_example_and_proves_the_checks_ran(
    passing_run: tuple[int, str, Path],
) -> None:
    code, text, out = passing_run
    assert code == 0, text
    assert f"canary proved all {len(load_rules().RULES)} checks loaded and ran" in text
    sarif = json.loads((out / "r.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"] == []
    rule_ids = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert set(load_rules().RULES) <= rule_ids
    suites = ET.parse(out / "r.xml").getroot()
    assert suites.get("failures") == "0"
    assert int(suites.get("tests", "0")) > 10


def test_gate_failure_names_resource_file_line_rule_and_fix(
    failing_run: tuple[int, str, Path],
) -> None:
    code, text, _ = failing_run
    assert code == 1
    assert "FAILED CKV_COGFED_4 [HIGH] Lambda permission for cognito-idp.amazonaws.com" in text
    assert "resource: aws_lambda_permission.no_source_arn" in text
    assert "gate_failing/main.tf:44-49" in text
    assert "Fix: Set `source_arn = aws_cognito_user_pool.<name>.arn`" in text


def test_gate_fails_on_an_unscanned_registry_module(failing_run: tuple[int, str, Path]) -> None:
    _, text, _ = failing_run
    assert "FAILED CKV_COGFED_5" in text
    assert "resource: from_registry" in text
    assert "--download-external-modules true" in text
    assert "vendor the module" in text


def test_gate_names_a_resource_checkov_dropped(failing_run: tuple[int, str, Path]) -> None:
    _, text, _ = failing_run
    dropped = [line for line in text.splitlines() if "identity_provider.dropped" in line]
    assert dropped and dropped[0].startswith("GATE FAILED: checkov gave no result")
    assert "cogfed-gate: no-instances <reason>" in dropped[0]
    # the same block with a reasoned marker is excused, and the reason is shown
    assert "marked no-instances: enabled only in the production account" in text


def test_no_instance_under_visible_values_is_not_a_finding() -> None:
    # `count = var.insensitive ? 1 : 0` twins, the variable's default visible: checkov's
    # "no instance" of one twin is what Terraform would plan, so it is noted, not failed.
    result = gate.run_gate([CASES / "count_twins"], policies=POLICIES)
    assert not result.proof_failures, result.proof_failures
    assert any(
        "aws_cognito_user_pool.insensitive" in note and "depends only on var.insensitive" in note
        for note in result.notes
    ), result.notes


@pytest.mark.parametrize(
    "trap", ["override_file", "function_call", "optional_attribute", "template"]
)
def test_no_instance_is_trusted_only_for_plain_expressions_over_visible_variables(
    trap: str,
) -> None:
    # Found by review: an override file, upper(), an optional() attribute and a "${...}"
    # template make checkov count 0 where Terraform counts 1; the proof must stand.
    result = gate.run_gate([FIXTURES / "count_traps" / trap], policies=POLICIES)
    assert any(
        failure.startswith("checkov gave no result for ")
        and "CKV_COGFED_1" in failure.split(" on ")[0]
        and " on aws_cognito_user_pool.p " in failure
        for failure in result.proof_failures
    ), (result.proof_failures, result.notes)


def test_gate_refuses_a_suppression_without_reason(failing_run: tuple[int, str, Path]) -> None:
    _, text, _ = failing_run
    assert "CKV_COGFED_4 is suppressed on aws_lambda_permission.suppressed_without_reason" in text
    assert "without a reason" in text


def test_gate_sarif_and_junit_carry_failures(failing_run: tuple[int, str, Path]) -> None:
    _, _, out = failing_run
    sarif = json.loads((out / "r.sarif").read_text())
    results = sarif["runs"][0]["results"]
    by_rule = {r["ruleId"] for r in results}
    assert {"CKV_COGFED_4", "CKV_COGFED_5", "COGFED_GATE"} <= by_rule
    located = next(r for r in results if r["ruleId"] == "CKV_COGFED_4" and "suppressions" not in r)
    location = located["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("gate_failing/main.tf")
    assert location["region"]["startLine"] == 44
    assert "Fix:" in located["message"]["text"]
    suppressed = [r for r in results if "suppressions" in r]
    assert suppressed and suppressed[0]["suppressions"][0]["kind"] == "inSource"
    suites = ET.parse(out / "r.xml").getroot()
    failures = suites.findall(".//failure")
    assert int(suites.get("failures", "0")) == len(failures) >= 4
    assert any("aws_lambda_permission.no_source_arn" in (f.get("message") or "") for f in failures)


def test_gate_fails_when_a_check_does_not_load(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies, ignore=shutil.ignore_patterns("__pycache__"))
    # a syntax error: checkov logs it and goes on with exit code 0 (FACTS.md §9)
    broken = policies / "cogfed_idp_required.py"
    broken.write_text(broken.read_text() + "\nthis is not python(\n")
    # a deleted check
    (policies / "cogfed_lambda_permission.py").unlink()
    code, text = _run_main([str(CASES / "suppressed"), "--static", "--policies-dir", str(policies)])
    assert code == 1
    assert "canary: CKV2_COGFED_3 gave no result on canary resource" in text
    assert "canary: CKV_COGFED_4 gave no result on canary resource" in text
    assert "checkov could not load a policy: Cannot load external check" in text
    assert "canary FAILED" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["does-not-exist"], "not a directory"),
        ([str(POLICIES)], "no .tf file found"),
        ([str(EXAMPLE), "--policies-dir", str(FIXTURES)], "no cogfed_rules.py"),
        ([str(EXAMPLE), "--var-file", "missing.tfvars"], "--var-file missing.tfvars"),
    ],
)
def test_gate_bad_input_exits_2_naming_the_problem(argv: list[str], message: str) -> None:
    code, text = _run_main(argv)
    assert code == 2
    assert message in text


def test_policies_dir_is_found_without_arguments() -> None:
    assert gate.find_policies_dir() == POLICIES.resolve()


def test_policies_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "p"
    shutil.copytree(POLICIES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv(gate.POLICIES_ENV, str(copy))
    assert gate.find_policies_dir() == copy.resolve()


@pytest.fixture(scope="module")
def awkward_tree_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str]:
    """A passing tree next to a file-link loop, a directory link back up the tree, and a
    valid file checkov's parser rejects (a UTF-8 byte order mark, which Terraform accepts)."""
    root = tmp_path_factory.mktemp("awkward")
    shutil.copy(CASES / "literal_pass" / "main.tf", root / "main.tf")
    (root / "loop_a.tf").symlink_to("loop_b.tf")
    (root / "loop_b.tf").symlink_to("loop_a.tf")
    (root / "sub").mkdir()
    (root / "sub" / "up").symlink_to("..", target_is_directory=True)
    (root / "bom.tf").write_bytes(
        b'\xef\xbb\xbfresource "aws_cognito_user_pool" "bom" {\n  name = "bom"\n}\n'
    )
    return _run_main([str(root)])


def test_symlink_loops_are_skipped_with_a_note_not_a_traceback(
    awkward_tree_run: tuple[int, str],
) -> None:
    _, text = awkward_tree_run
    assert "Traceback" not in text
    assert "loop_a.tf is a symbolic link loop; skipped" in text, text[-3000:]


def test_a_byte_order_mark_does_not_hide_a_file(awkward_tree_run: tuple[int, str]) -> None:
    # Terraform and checkov read past a UTF-8 byte order mark; so must the gate's own parse.
    code, text = awkward_tree_run
    assert code == 1, text[-3000:]
    assert "aws_cognito_user_pool.bom" in text and "is not set" in text, text[-3000:]
    assert "not valid HCL" not in text and "could not read" not in text, text[-3000:]


def test_terraform_core_confirms_whether_a_file_checkov_rejects_is_valid(tmp_path: Path) -> None:
    valid = tmp_path / "valid.tf"
    valid.write_text("locals {\n  x = 1\n}\n")
    broken = tmp_path / "broken.tf"
    broken.write_text("locals {\n  x = \n")
    assert gate._terraform_verdict(valid) is None
    complaint = gate._terraform_verdict(broken)
    assert complaint and "broken.tf" in complaint


def test_roots_calling_the_module_each_get_the_module_call_cycle_exception(
    tmp_path: Path,
) -> None:
    # The usual dev/prod layout: two roots call the module, whose pool, trigger and client
    # calls reference each other. checkov links the second root's instance to the first's
    # blocks; the cycle is in the module's source, so both instances are exempt alike.
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        shutil.copy(REPO / name, tmp_path / name)
    for tree in ("modules", "lambda_src"):
        shutil.copytree(REPO / tree, tmp_path / tree)
    for env in ("dev", "prod"):
        shutil.copytree(REPO / "examples" / "complete", tmp_path / "envs" / env)
    code, text = _run_main([str(tmp_path / "envs"), "--policies-dir", str(POLICIES)])
    summary = text.rsplit("cogfed-gate ", 1)[-1]
    assert code == 0 and summary.startswith("PASSED: 0 failed"), text
    assert "blocking;" not in summary and "not blocking" in summary, text
    assert "envs/prod/main.tf" in text or "envs/dev/main.tf" in text, text


def assert_client_decided(directory: Path, expected: str) -> None:
    """The static reading of `directory` decides CKV2_COGFED_4 on its one client: `expected`."""
    result = gate.run_gate([directory], policies=POLICIES)
    (record,) = [r for r in result.records if r["check_id"] == "CKV2_COGFED_4"]
    assert record["result"] == expected and not record.get("undecided"), record


@pytest.mark.parametrize(("write", "expected"), [("", "FAILED"), ("custom:app_role", "PASSED")])
def test_a_client_naming_a_counted_provider_of_its_module_is_judged_statically(
    tmp_path: Path, write: str, expected: str
) -> None:
    # `[aws_cognito_identity_provider.idp[0].provider_name]` inside a module: checkov's
    # addresses carry the module path and no instance key; the reference is still that
    # provider, so the rule is decided, not left undecided.
    (tmp_path / "auth").mkdir()
    (tmp_path / "main.tf").write_text('module "auth" {\n  source = "./auth"\n}\n')
    listed = f'  write_attributes = ["email", "{write}"]\n' if write else ""
    (tmp_path / "auth" / "main.tf").write_text(
        'variable "enabled" {\n  type    = bool\n  default = true\n}\n'
        "locals { enabled = var.enabled ? 1 : 0 }\n"
        'resource "aws_cognito_user_pool" "pool" {\n  count = local.enabled\n  name  = "p"\n'
        "  username_configuration { case_sensitive = true }\n"
        '  schema {\n    name                = "app_role"\n'
        '    attribute_data_type = "String"\n    mutable             = true\n  }\n}\n'
        'resource "aws_cognito_user_pool_client" "client" {\n  count = local.enabled\n'
        '  name  = "c"\n  user_pool_id = aws_cognito_user_pool.pool[0].id\n'
        + listed
        + "  supported_identity_providers = "
        "[aws_cognito_identity_provider.idp[0].provider_name]\n}\n"
        'resource "aws_cognito_identity_provider" "idp" {\n  count = local.enabled\n'
        '  user_pool_id  = aws_cognito_user_pool.pool[0].id\n  provider_name = "Azure"\n'
        '  provider_type = "SAML"\n'
        '  provider_details = { MetadataURL = "https://example.com/m.xml" }\n'
        '  attribute_mapping = {\n    email             = "email"\n'
        '    "custom:app_role" = "role"\n  }\n}\n'
    )
    assert_client_decided(tmp_path, expected)


@pytest.mark.parametrize(
    ("write", "expected"), [('"email"', "FAILED"), ('"custom:tenant"', "PASSED")]
)
def test_a_client_listing_interpolated_provider_names_is_judged_statically(
    tmp_path: Path, write: str, expected: str
) -> None:
    # `["${aws_cognito_identity_provider.a.provider_name}", ...]`: checkov renders the list
    # of interpolations as a list inside the list; the providers are this directory's own.
    idp = (
        'resource "aws_cognito_identity_provider" "{name}" {{\n'
        "  user_pool_id  = aws_cognito_user_pool.pool.id\n"
        '  provider_name = "{label}"\n  provider_type = "OIDC"\n'
        '  provider_details = {{ client_id = "x", client_secret = "y", '
        'authorize_scopes = "openid email", oidc_issuer = "https://example.com", '
        'attributes_request_method = "GET" }}\n'
        '  attribute_mapping = {{\n    email = "email"\n    email_verified = "email_verified"\n'
        '    "custom:tenant" = "tenant"\n  }}\n}}\n'
    )
    (tmp_path / "main.tf").write_text(
        'resource "aws_cognito_user_pool" "pool" {\n  name = "p"\n'
        "  username_configuration { case_sensitive = true }\n"
        '  schema {\n    name                = "tenant"\n'
        '    attribute_data_type = "String"\n    mutable             = true\n  }\n}\n'
        + idp.format(name="a", label="A")
        + idp.format(name="b", label="B")
        + 'resource "aws_cognito_user_pool_client" "client" {\n  name = "c"\n'
        "  user_pool_id = aws_cognito_user_pool.pool.id\n"
        f'  write_attributes = ["email", {write}]\n'
        "  supported_identity_providers = [\n"
        '    "${aws_cognito_identity_provider.a.provider_name}",\n'
        '    "${aws_cognito_identity_provider.b.provider_name}"\n  ]\n}\n'
    )
    assert_client_decided(tmp_path, expected)
