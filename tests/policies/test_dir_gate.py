"""`cogfed-gate DIR`, the pre-commit form: each root judged on an offline plan, else read
statically, and the report says which form judged what."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cogfed_gate import gate_offline
from cogfed_gate.offline_plan import OfflinePlanError, plan_json_text
from tests.policies.conftest import REPO

MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "modules", "lambda_src")
SECRETS = 'identity_provider_secrets = { Okta = { client_secret = "s" } }'

# Roots calling this module as a newcomer writes them, each with one mistake the module's
# validation refuses; the pre-commit form must fail every one with Terraform's message.
MISTAKES = {
    "type_typo": (
        'identity_providers = { Okta = { type = "OIDc", client_id = "a", '
        'oidc_issuer = "https://okta.example.com" } }\n' + SECRETS,
        "type must be one of",
    ),
    "http_callback": (
        "identity_providers = {}\n"
        'app_clients = { web = { callback_urls = ["http://app.example.com/cb"] } }',
        "callback_urls and logout_urls must be https://",
    ),
    "always_without_domains": (
        'identity_providers = { Corp = { type = "SAML", saml_metadata_url = '
        '"https://idp.example.com/metadata", email_trust = "always" } }',
        'email_trust = "always" requires email_domains',
    ),
    "insensitive_saml_without_subject": (
        "case_sensitive = false\n"
        'identity_providers = { Corp = { type = "SAML", saml_metadata_url = '
        '"https://idp.example.com/metadata", email_trust = "always", '
        'email_domains = ["example.com"] } }',
        'must map "custom:idp_sub"',
    ),
    "secret_missing": (
        'identity_providers = { Okta = { type = "OIDC", client_id = "a", '
        'oidc_issuer = "https://okta.example.com" } }',
        "needs its secret",
    ),
    "unknown_secret_key": (
        'identity_providers = { Okta = { type = "OIDC", client_id = "a", '
        'oidc_issuer = "https://okta.example.com" } }\n'
        'identity_provider_secrets = { Okta = { client_secret = "s", password = "p" } }',
        "may only hold client_secret or private_key",
    ),
}
COMPLIANT = (
    'identity_providers = { Okta = { type = "OIDC", client_id = "a", '
    'oidc_issuer = "https://okta.example.com" } }\n' + SECRETS
)


def module_tree(base: Path) -> Path:
    """A repository holding this module at its top, as a team vendoring it has."""
    base.mkdir(parents=True, exist_ok=True)
    for name in MODULE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, base / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, base / name)
    return base


def add_root(base: Path, name: str, body: str) -> Path:
    root = base / "roots" / name
    root.mkdir(parents=True)
    (root / "main.tf").write_text(
        f'module "federation" {{\n  source = "../.."\n  name = "{name.replace("_", "-")}"\n'
        f"{body}\n}}\n"
    )
    return root


def run_gate(directory: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cogfed_gate.gate", str(directory), *args],
        cwd=cwd or directory,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def newcomer_roots(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = module_tree(tmp_path_factory.mktemp("newcomer") / "repo")
    for name, (body, _) in MISTAKES.items():
        add_root(base, name, body)
    add_root(base, "compliant", COMPLIANT)
    result = run_gate(base / "roots", cwd=base)
    return base, result.stdout + result.stderr


def test_every_mistaken_root_fails_with_terraforms_message(
    newcomer_roots: tuple[Path, str],
) -> None:
    _, output = newcomer_roots
    assert "cogfed-gate FAILED (offline plan)" in output, output[-3000:]
    refusals = output.split("GATE FAILED: ")[1:]
    for name, (_, message) in MISTAKES.items():
        mine = [r for r in refusals if r.startswith(f"roots/{name}: Terraform refuses it")]
        assert len(mine) == 1, (name, output[-4000:])
        assert message in " ".join(mine[0].split()), (name, mine[0])
    assert not any(r.startswith("roots/compliant") for r in refusals)
    assert "roots/compliant (offline plan): checked 1 user pools, 1 identity providers" in output


def test_the_compliant_root_alone_passes_on_its_plan(newcomer_roots: tuple[Path, str]) -> None:
    base, _ = newcomer_roots
    result = run_gate(base / "roots" / "compliant", cwd=base)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "cogfed-gate PASSED (offline plan)" in result.stdout
    assert "UNDECIDED" not in result.stdout


def test_a_root_that_cannot_be_planned_is_read_statically_and_said(tmp_path: Path) -> None:
    # checkov cannot evaluate upper() in a count (as in fixtures/count_traps), so the static
    # reading alone fails its proof; beside it, a root with a variable nobody gives a value.
    (tmp_path / "planned").mkdir()
    (tmp_path / "planned" / "main.tf").write_text(
        'variable "env" {\n  type    = string\n  default = "prod"\n}\n'
        'resource "aws_cognito_user_pool" "p" {\n  count = upper(var.env) == "PROD" ? 1 : 0\n'
        '  name  = "p"\n  username_configuration { case_sensitive = true }\n}\n'
    )
    (tmp_path / "unplanned").mkdir()
    (tmp_path / "unplanned" / "main.tf").write_text(
        'variable "pool_name" { type = string }\n'
        'resource "aws_cognito_user_pool" "p" {\n  name = var.pool_name\n'
        "  username_configuration { case_sensitive = true }\n}\n"
    )
    static = run_gate(tmp_path, "--static")
    assert static.returncode == 1 and "checkov gave no result" in static.stdout, static.stdout

    result = run_gate(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (
        "note: unplanned: read statically (not planned: No value for required variable "
        "(pool_name))" in result.stdout
    )
    assert "note: planned (offline plan): checked 1 user pools" in result.stdout
    assert "cogfed-gate PASSED (offline plan + static)" in result.stdout


def test_rules_fed_by_data_only_aws_answers_are_not_judged_on_stand_ins(tmp_path: Path) -> None:
    # The offline provider answers this parameter with "offline-stand-in", which would make
    # the pool case-sensitive on the plan; the real value may not.
    (tmp_path / "main.tf").write_text(
        'data "aws_ssm_parameter" "cs" { name = "/pool/case_sensitive" }\n'
        'locals { sensitive = data.aws_ssm_parameter.cs.value != "false" }\n'
        'resource "aws_cognito_user_pool" "p" {\n  name = "p"\n'
        "  username_configuration { case_sensitive = local.sensitive }\n}\n"
    )
    result = run_gate(tmp_path)
    assert "depends on data.aws_ssm_parameter.cs, which only the pipeline" in result.stdout
    assert "(offline plan" not in result.stdout


def _plan_document(tmp_path: Path, text: str) -> dict:
    (tmp_path / "main.tf").write_text(text)
    return json.loads(plan_json_text(tmp_path))


def test_stand_in_reads_follow_counts_modules_and_spare_the_rest(tmp_path: Path) -> None:
    (tmp_path / "pool").mkdir()
    (tmp_path / "pool" / "main.tf").write_text(
        'variable "enabled" { type = bool }\n'
        'resource "aws_cognito_user_pool" "p" {\n  count = var.enabled ? 1 : 0\n  name = "p"\n'
        "  username_configuration { case_sensitive = true }\n}\n"
    )
    document = _plan_document(
        tmp_path,
        'data "aws_ssm_parameter" "on" { name = "/on" }\n'
        'data "aws_ssm_parameter" "bucket" { name = "/bucket" }\n'
        'data "aws_region" "here" {}\n'
        'module "pool" {\n  source = "./pool"\n'
        '  enabled = data.aws_ssm_parameter.on.value == "yes"\n}\n'
        'resource "aws_s3_bucket" "b" { bucket = data.aws_ssm_parameter.bucket.value }\n'
        'resource "aws_cognito_user_pool" "q" {\n  name = "q-${data.aws_region.here.name}"\n'
        "  username_configuration { case_sensitive = true }\n}\n",
    )
    # The count of the pool in the module reads /on; the bucket's /bucket is nothing the
    # rules judge; aws_region is answered as AWS would.
    assert gate_offline.stand_in_reads(document, tmp_path) == ["data.aws_ssm_parameter.on"]


def test_roots_are_the_directories_no_other_one_calls(tmp_path: Path) -> None:
    for name, text in {
        "envs/dev/main.tf": 'module "m" {\n  source = "../../modules/pool"\n}\n',
        "envs/prod/main.tf": 'module "m" {\n  source = "../../modules/pool"\n}\n',
        "modules/pool/main.tf": 'module "inner" {\n  source = "./inner"\n}\n',
        "modules/pool/inner/main.tf": "",
        "loop/a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
        "loop/b/main.tf": 'module "a" {\n  source = "../a"\n}\n',
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    roots = gate_offline.find_roots(tmp_path, tmp_path.rglob("*.tf"))
    found = sorted(str(r.directory.relative_to(tmp_path)) for r in roots)
    # The two directories that call each other and nothing else are each judged as a root.
    assert found == ["envs/dev", "envs/prod", "loop/a", "loop/b"]
    dev = next(r for r in roots if r.directory.name == "dev")
    assert {m.relative_to(tmp_path).as_posix() for m in dev.modules} == {
        "envs/dev",
        "modules/pool",
        "modules/pool/inner",
    }


def test_a_module_outside_the_repository_is_not_copied(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "main.tf").write_text("")
    repo = tmp_path / "repo" / "root"
    repo.mkdir(parents=True)
    (repo / "main.tf").write_text('module "m" {\n  source = "../../elsewhere"\n}\n')
    with pytest.raises(OfflinePlanError, match="outside"):
        from cogfed_gate.offline_plan import plan_in

        plan_in(tmp_path / "work", repo, boundary=tmp_path / "repo")
    result = run_gate(repo, cwd=tmp_path / "repo")
    assert "read statically (not planned:" in result.stdout and "outside" in result.stdout


def test_an_installed_module_manifest_pointing_outside_is_refused(tmp_path: Path) -> None:
    # `.terraform/` can come with the change under review; its manifest names directories.
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "main.tf").write_text('output "x" { value = "from outside" }\n')
    root = tmp_path / "repo" / "root"
    (root / ".terraform" / "modules").mkdir(parents=True)
    (root / "main.tf").write_text('module "m" {\n  source = "example.com/a/b/aws"\n}\n')
    (root / ".terraform" / "modules" / "modules.json").write_text(
        json.dumps(
            {
                "Modules": [
                    {"Key": "", "Source": "", "Dir": "."},
                    {"Key": "m", "Source": "example.com/a/b/aws", "Dir": "../../../outside"},
                ]
            }
        )
    )
    from cogfed_gate.offline_plan import plan_in

    with pytest.raises(OfflinePlanError, match="outside the configuration"):
        plan_in(tmp_path / "work", root)


POOL_WITHOUT_CASE = 'resource "aws_cognito_user_pool" "p" {\n  name = "p"\n}\n'
POOL = (
    'resource "aws_cognito_user_pool" "p" {\n  name = "p"\n'
    "  username_configuration { case_sensitive = true }\n}\n"
)


def write(base: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text(text)
    subprocess.run(["git", "init", "-q", str(base)], check=True)
    return base


@pytest.mark.parametrize(
    "caller",
    [
        # a call in a comment is no call: envs/prod is a root of its own
        '/*\nmodule "copy" {\n  source = "../prod"\n}\n*/\n',
        # a call that creates no instance: envs/prod is planned alone
        'module "copy" {\n  source = "../prod"\n  count  = 0\n}\n',
    ],
    ids=["in_a_comment", "count_zero"],
)
def test_a_root_another_directory_seems_to_call_is_still_judged(
    tmp_path: Path, caller: str
) -> None:
    write(tmp_path, {"envs/prod/main.tf": POOL_WITHOUT_CASE, "envs/dev/main.tf": caller + POOL})
    result = run_gate(tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "FAILED CKV_COGFED_1" in result.stdout and "envs/prod/main.tf" in result.stdout


def test_a_module_no_caller_instantiates_and_that_cannot_stand_alone_is_said(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "modules/pool/main.tf": 'variable "name" { type = string }\n'
            + POOL_WITHOUT_CASE.replace('"p"\n}', "var.name\n}", 1),
            "root/main.tf": 'module "pool" {\n  source = "../modules/pool"\n  count  = 0\n'
            '  name   = "x"\n}\n' + POOL,
        },
    )
    result = run_gate(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "modules/pool: no caller creates an instance of its resources" in result.stdout


def test_the_example_values_never_outrank_the_roots_own(tmp_path: Path) -> None:
    # terraform.tfvars leaves case_sensitive unset (null): the pool breaks CKV_COGFED_1; the
    # example's `false` would hide that behind a -var-file, which outranks terraform.tfvars.
    write(
        tmp_path,
        {
            "main.tf": 'variable "case_sensitive" {\n  type    = bool\n  default = null\n}\n'
            'resource "aws_cognito_user_pool" "p" {\n  name = "p"\n'
            '  dynamic "username_configuration" {\n'
            "    for_each = var.case_sensitive == null ? [] : [1]\n"
            "    content { case_sensitive = var.case_sensitive }\n  }\n}\n",
            "terraform.tfvars": "case_sensitive = null\n",
            "terraform.tfvars.example": "case_sensitive = false\n",
        },
    )
    result = run_gate(tmp_path)
    assert "FAILED CKV_COGFED_1" in result.stdout, result.stdout[-3000:]
    assert "variables from" not in result.stdout


def test_a_module_one_directory_reads_statically_stays_read(tmp_path: Path) -> None:
    module = 'variable "case_sensitive" {\n  type    = bool\n  default = null\n}\n' + (
        'resource "aws_cognito_user_pool" "p" {\n  name = "p"\n'
        '  dynamic "username_configuration" {\n'
        "    for_each = var.case_sensitive == null ? [] : [1]\n"
        "    content { case_sensitive = var.case_sensitive }\n  }\n}\n"
    )
    write(
        tmp_path,
        {
            "modules/pool/main.tf": module,
            "envs/dev/main.tf": 'module "pool" {\n  source = "../../modules/pool"\n'
            "  case_sensitive = true\n}\n",
            "envs/prod/main.tf": 'variable "unset" { type = string }\n'
            'module "pool" {\n  source = "../../modules/pool"\n}\n',
        },
    )
    for order in (["envs/dev", "envs/prod"], ["envs/prod", "envs/dev"]):
        result = run_gate(Path(order[0]), order[1], cwd=tmp_path)
        assert result.returncode == 1, (order, result.stdout[-3000:])


@pytest.mark.parametrize(
    ("reads", "named"),
    [
        (
            'data "aws_ssm_parameter" "cs" { name = "/cs" }\n',
            "data.aws_ssm_parameter.cs",
        ),
        ("", "terraform.workspace"),
        ("", "terraform.workspace"),
    ],
    ids=["dynamic_block_from_data", "workspace", "workspace_spelled_apart"],
)
def test_values_only_the_pipeline_knows_are_not_judged_offline(
    tmp_path: Path, reads: str, named: str, request: pytest.FixtureRequest
) -> None:
    value = (
        'nonsensitive(data.aws_ssm_parameter.cs.value) != "false"'
        if reads
        else 'terraform.workspace != "prod"'
        if request.node.callspec.id == "workspace"
        else 'terraform /* */ .workspace != "prod"'
    )
    write(
        tmp_path,
        {
            "main.tf": reads + 'resource "aws_cognito_user_pool" "p" {\n  name = "p" # }\n'
            "  dynamic username_configuration {\n    for_each = [1]\n"
            f"    content {{ case_sensitive = {value} }}\n  }}\n}}\n"
        },
    )
    result = run_gate(tmp_path)
    assert "read statically (not planned: " in result.stdout, result.stdout[-3000:]
    assert named in result.stdout, result.stdout[-3000:]
    assert "(offline plan" not in result.stdout


@pytest.mark.parametrize(
    ("files", "said"),
    [
        (
            {
                "main.tf": POOL + 'data "terraform_remote_state" "x" {\n  backend = "http"\n'
                '  config = { address = "http://127.0.0.1:9/state" }\n}\n'
            },
            "reads terraform_remote_state",
        ),
        (
            {
                "main.tf": POOL,
                "zz_override.tf": 'terraform {\n  backend "http" {\n'
                '    address = "http://127.0.0.1:9/state"\n  }\n}\n',
            },
            "an override file that sets the backend",
        ),
        (
            {"main.tf": POOL + 'module "m" {\n  source = "git::https://example.com/m.git"\n}\n'},
            'Not installed: module "m"',
        ),
        ({"main.tf": POOL, "extra.tf.json": "{}"}, ".tf.json files are not read"),
        (
            {
                "main.tf": POOL + 'data /* */ "terraform_remote_state" "x" {\n  backend = "pg"\n'
                '  config = { conn_str = "postgres://127.0.0.1:9/db" }\n}\n'
            },
            "reads terraform_remote_state",
        ),
        (
            {"main.tf": POOL, "zz_override.tf": "terraform {\n  backend pg {}\n}\n"},
            "sets the backend",
        ),
        (
            {
                "main.tf": POOL + 'module "m" {\n  source = "git::git://127.0.0.1:9/x.git"\n}\n',
                ".terraform/modules/modules.json": json.dumps(
                    {
                        "Modules": [
                            {"Key": "", "Source": "", "Dir": "."},
                            {"Key": "m", "Source": "git::https://example.com/a.git", "Dir": "."},
                        ]
                    }
                ),
            },
            "Not installed",
        ),
    ],
    ids=[
        "remote_state",
        "override_backend",
        "module_to_download",
        "tf_json",
        "remote_state_spelled_apart",
        "override_backend_unquoted",
        "installed_module_of_another_source",
    ],
)
def test_what_would_reach_out_of_the_copy_is_read_statically(
    tmp_path: Path, files: dict[str, str], said: str
) -> None:
    write(tmp_path, files)
    result = run_gate(tmp_path)
    assert "read statically (not planned: " in result.stdout, result.stdout[-3000:]
    assert said in result.stdout, result.stdout[-3000:]


def test_a_symbolic_link_loop_and_standard_input_are_said_not_hung_on(tmp_path: Path) -> None:
    write(tmp_path, {"loop/main.tf": POOL + 'module "m" {\n  source = "./spin"\n}\n'})
    (tmp_path / "loop" / "spin").symlink_to("spin")
    looped = run_gate(tmp_path / "loop", cwd=tmp_path)
    assert "Traceback" not in looped.stderr, looped.stderr[-2000:]
    write(tmp_path, {"stdin/main.tf": POOL + 'output "x" { value = file("/dev/stdin") }\n'})
    read = run_gate(tmp_path / "stdin", cwd=tmp_path)
    assert "cogfed-gate PASSED (offline plan)" in read.stdout, read.stdout[-3000:]


def test_a_root_pinned_to_another_terraform_is_planned_and_said(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'terraform {\n  required_version = "1.7.4"\n}\n' + POOL})
    result = run_gate(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "main.tf asks for Terraform 1.7.4; planned with 1.15.5" in result.stdout
    assert "cogfed-gate PASSED (offline plan)" in result.stdout


@pytest.mark.parametrize("form", [[], ["--static"]], ids=["offline_plan", "static"])
def test_sarif_locations_are_relative_to_the_repository_top(
    tmp_path: Path, form: list[str]
) -> None:
    # Code scanning resolves a result's URI from the repository's top, wherever the gate ran.
    write(tmp_path, {"infra/main.tf": POOL_WITHOUT_CASE})
    sarif = tmp_path / "out.sarif"
    result = run_gate(Path("."), *form, "--sarif", str(sarif), cwd=tmp_path / "infra")
    assert result.returncode == 1, result.stdout[-2000:]
    uris = {
        location["physicalLocation"]["artifactLocation"]["uri"]
        for entry in json.loads(sarif.read_text())["runs"][0]["results"]
        for location in entry["locations"]
    }
    assert uris == {"infra/main.tf"}, uris


def test_a_link_named_as_the_gates_override_writes_nothing_outside(tmp_path: Path) -> None:
    victim = tmp_path / "victim.tf"
    victim.write_text("# untouched\n")
    write(tmp_path / "repo", {"main.tf": POOL})
    (tmp_path / "repo" / "cogfed_offline_backend_override.tf").symlink_to(victim)
    run_gate(tmp_path / "repo")
    assert victim.read_text() == "# untouched\n"


def test_values_in_terraform_tfvars_json_outrank_the_example(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'variable "sensitive" { type = bool }\n'
            'resource "aws_cognito_user_pool" "p" {\n  name = "p"\n'
            "  username_configuration { case_sensitive = var.sensitive }\n}\n"
            'resource "aws_cognito_identity_provider" "okta" {\n'
            "  user_pool_id  = aws_cognito_user_pool.p.id\n"
            '  provider_name = "Okta"\n  provider_type = "OIDC"\n'
            '  provider_details = { client_id = "x", client_secret = "y", '
            'authorize_scopes = "openid email", oidc_issuer = "https://example.com", '
            'attributes_request_method = "GET" }\n'
            '  attribute_mapping = { email = "email", email_verified = "email_verified" }\n}\n',
            "terraform.tfvars.json": '{"sensitive": false}',
            "terraform.tfvars.example": "sensitive = true\n",
        },
    )
    result = run_gate(tmp_path)
    assert "FAILED CKV2_COGFED_1" in result.stdout, result.stdout[-3000:]


def test_a_provider_the_offline_plan_does_not_serve_is_named(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": POOL + 'resource "template_file" "x" {}\n'})
    result = run_gate(tmp_path)
    assert (
        "read statically (not planned: Failed to query available provider packages "
        "(hashicorp/template))" in result.stdout
    ), result.stdout[-2000:]
