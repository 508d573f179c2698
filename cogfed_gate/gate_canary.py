"""The canary: a small Terraform tree every project check must fail once and pass once.

The gate scans it next to the user's directory with the same checkov and the same policies. A
check that did not load (checkov logs the import error and exits 0, FACTS.md §9), was filtered
out, or stopped failing what it must fail shows up as a missing or wrong canary result, and the
gate fails.
"""

from __future__ import annotations

from pathlib import Path

MAIN_TF = """\
variable "canary_case_sensitive" {
  type    = bool
  default = false
}

resource "aws_cognito_user_pool" "good" {
  name = "canary-good"

  username_configuration {
    case_sensitive = var.canary_case_sensitive
  }

  schema {
    name                = "idp_sub"
    attribute_data_type = "String"
    mutable             = true
  }

  schema {
    name                = "email"
    attribute_data_type = "String"
    required            = true
    mutable             = true
  }

  schema {
    name                = "@HD_SCHEMA@"
    attribute_data_type = "String"
    mutable             = true
  }

  user_attribute_update_settings {
    attributes_require_verification_before_update = ["email"]
  }

  lambda_config {
    pre_sign_up = aws_lambda_function.linking.arn
  }
}

resource "aws_cognito_user_pool" "bad" {
  name = "canary-bad"

  lambda_config {
    pre_sign_up = aws_lambda_function.linking.arn
  }
}

resource "aws_lambda_function" "linking" {
  function_name = "canary-linking"
  role          = "arn:aws:iam::123456789012:role/canary"
  handler       = "pre_signup.handler"
  runtime       = "python3.13"
  filename      = "canary.zip"

  environment {
    variables = {
      IDENTITY_PROVIDERS = jsonencode({ Google = { type = "Google" } })
    }
  }
}

resource "aws_cognito_identity_provider" "google_good" {
  user_pool_id  = aws_cognito_user_pool.good.id
  provider_name = "Google"
  provider_type = "Google"
  attribute_mapping = {
    email            = "email"
    email_verified   = "email_verified"
    "@HD_ATTRIBUTE@" = "@HD_CLAIM@"
  }
  provider_details = {}
}

resource "aws_cognito_identity_provider" "google_bad" {
  user_pool_id  = aws_cognito_user_pool.bad.id
  provider_name = "Google"
  provider_type = "Google"
  attribute_mapping = {
    email          = "email"
    email_verified = "email_verified"
  }
  provider_details = {}
}

resource "aws_cognito_identity_provider" "oidc_good" {
  user_pool_id  = aws_cognito_user_pool.good.id
  provider_name = "CanaryGood"
  provider_type = "OIDC"
  attribute_mapping = {
    email            = "email"
    email_verified   = "email_verified"
    "custom:idp_sub" = "sub"
  }
  provider_details = {}
}

resource "aws_cognito_identity_provider" "oidc_bad" {
  user_pool_id  = aws_cognito_user_pool.good.id
  provider_name = "CanaryBad"
  provider_type = "OIDC"
  attribute_mapping = {
    name                = "name"
    "custom:sub"        = "oid"
    "custom:undeclared" = "tenant"
  }
  provider_details = {}
}

resource "aws_cognito_user_pool_client" "client_good" {
  name             = "canary-good"
  user_pool_id     = aws_cognito_user_pool.good.id
  write_attributes = ["email", "name", "custom:idp_sub", "custom:sub", "custom:undeclared"]

  supported_identity_providers = ["COGNITO", "CanaryGood", "CanaryBad"]
}

resource "aws_cognito_user_pool_client" "client_bad" {
  name             = "canary-bad"
  user_pool_id     = aws_cognito_user_pool.good.id
  write_attributes = ["email"]

  supported_identity_providers = ["COGNITO", "CanaryGood", "CanaryBad"]
}

resource "aws_lambda_permission" "perm_good" {
  statement_id  = "canary-good"
  action        = "lambda:InvokeFunction"
  function_name = "canary"
  principal     = "cognito-idp.amazonaws.com"
  source_arn    = aws_cognito_user_pool.good.arn
}

resource "aws_lambda_permission" "perm_bad" {
  statement_id  = "canary-bad"
  action        = "lambda:InvokeFunction"
  function_name = "canary"
  principal     = "cognito-idp.amazonaws.com"
}

module "vendored" {
  source = "./vendored"
}

module "remote" {
  source = "git::https://example.invalid/canary-module.git?ref=v1.0.0"
}
"""

VENDORED_TF = """\
resource "aws_lambda_permission" "unrelated" {
  statement_id  = "canary-unrelated"
  action        = "lambda:InvokeFunction"
  function_name = "canary"
  principal     = "events.amazonaws.com"
}
"""

FILES = {"main.tf": MAIN_TF, "vendored/main.tf": VENDORED_TF}
# The Google provider's hosted-domain claim and attribute come from the facts table the rules
# read (cogfed_rules.HOSTED_DOMAIN), never from a copy here.
HOSTED_DOMAIN_TYPE = "Google"

# (check ID, resource as checkov names it, result the check must give)
EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("CKV_COGFED_1", "aws_cognito_user_pool.good", "PASSED"),
    ("CKV_COGFED_1", "aws_cognito_user_pool.bad", "FAILED"),
    ("CKV2_COGFED_1", "aws_cognito_identity_provider.oidc_good", "PASSED"),
    ("CKV2_COGFED_1", "aws_cognito_identity_provider.oidc_bad", "FAILED"),
    ("CKV_COGFED_2", "aws_cognito_identity_provider.oidc_good", "PASSED"),
    ("CKV_COGFED_2", "aws_cognito_identity_provider.oidc_bad", "FAILED"),
    ("CKV2_COGFED_2", "aws_cognito_identity_provider.oidc_good", "PASSED"),
    ("CKV2_COGFED_2", "aws_cognito_identity_provider.oidc_bad", "FAILED"),
    ("CKV_COGFED_3", "aws_cognito_identity_provider.oidc_good", "PASSED"),
    ("CKV_COGFED_3", "aws_cognito_identity_provider.oidc_bad", "FAILED"),
    ("CKV2_COGFED_3", "aws_cognito_identity_provider.oidc_good", "PASSED"),
    ("CKV2_COGFED_3", "aws_cognito_identity_provider.oidc_bad", "FAILED"),
    ("CKV2_COGFED_4", "aws_cognito_user_pool_client.client_good", "PASSED"),
    ("CKV2_COGFED_4", "aws_cognito_user_pool_client.client_bad", "FAILED"),
    ("CKV_COGFED_4", "aws_lambda_permission.perm_good", "PASSED"),
    ("CKV_COGFED_4", "aws_lambda_permission.perm_bad", "FAILED"),
    ("CKV2_COGFED_5", "aws_cognito_user_pool.good", "PASSED"),
    ("CKV2_COGFED_5", "aws_cognito_user_pool.bad", "FAILED"),
    ("CKV2_COGFED_6", "aws_cognito_identity_provider.google_good", "PASSED"),
    ("CKV2_COGFED_6", "aws_cognito_identity_provider.google_bad", "FAILED"),
    ("CKV_COGFED_5", "vendored", "PASSED"),
    ("CKV_COGFED_5", "remote", "FAILED"),
)


def write(directory: Path, hosted_domain: dict[str, tuple[str, str]]) -> Path:
    """Write the canary tree into ``directory`` and return it. ``hosted_domain``: the rules'
    ``HOSTED_DOMAIN`` (provider type -> (claim, attribute))."""
    claim, attribute = hosted_domain.get(HOSTED_DOMAIN_TYPE, ("", ""))
    for name, text in FILES.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            text.replace("@HD_ATTRIBUTE@", attribute)
            .replace("@HD_CLAIM@", claim)
            .replace("@HD_SCHEMA@", attribute.removeprefix("custom:"))
        )
        path.write_text(text, encoding="utf-8")
    return directory


def verify(records: list[dict[str, object]], expected_ids: set[str]) -> list[str]:
    """Problems with the canary scan's records; empty when every check loaded and behaved."""
    results: dict[tuple[str, str], set[str]] = {}
    for record in records:
        key = (str(record.get("check_id")), str(record.get("resource")))
        results.setdefault(key, set()).add(str(record.get("result")))
    problems: list[str] = []
    covered = {check_id for check_id, _, _ in EXPECTED}
    for check_id in sorted(expected_ids - covered):
        problems.append(f"{check_id} has no canary case; the gate cannot prove it runs")
    for check_id, resource, want in EXPECTED:
        if check_id not in expected_ids:
            continue
        got = results.get((check_id, resource))
        if not got:
            problems.append(
                f"{check_id} gave no result on canary resource {resource}: the check did not "
                "load or did not run"
            )
        elif got != {want}:
            problems.append(
                f"{check_id} gave {'/'.join(sorted(got))} on canary resource {resource}, "
                f"expected {want}: the check misbehaves"
            )
    return problems
