"""A refused identity provider is named in the message, so a map of twenty providers does
not leave the reader guessing which one to fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cogfed_tools.offline_checks import COPY_IGNORE, REPO_ROOT
from cogfed_tools.offline_plan import OfflinePlanError, plan_json_text

CALL = """
variable "google_client_id" {
  type      = string
  default   = "id.apps.googleusercontent.com"
  sensitive = true
}

module "federation" {
  source         = "../"
  name           = "named"
  case_sensitive = true
  identity_providers = {
    Google = { type = "Google", client_id = var.google_client_id }
    Partners = {
      type              = "SAML"
      saml_metadata_url = "https://idp.example.com/metadata"
      link_by_email     = false
    }
    %s
  }
  identity_provider_secrets = {
    Google = { client_secret = "secret" }
    Okta   = { client_secret = "s" }
  }
}
"""

CASES = {
    "always_trusted_without_domains": (
        'Corporate = { type = "SAML", saml_metadata_url = "https://corp.example.com/m",'
        ' email_trust = "always", attribute_mapping = { "custom:idp_sub" = "oid" } }',
        'email_trust = "always" requires email_domains',
        "Not valid: Corporate.",
    ),
    # A message that listed providers by their client IDs would not be shown at all when one
    # of them is sensitive (or unknown at plan): this one names none, and is shown.
    "missing_client_id_next_to_a_sensitive_one": (
        'Okta = { type = "OIDC", client_id = "", oidc_issuer = "https://okta.example.com" }',
        "every provider except SAML needs client_id",
        "",
    ),
    "undeclared_custom_attribute": (
        'Okta = { type = "OIDC", client_id = "c", oidc_issuer = "https://okta.example.com",'
        ' attribute_mapping = { "custom:tenant" = "tid" } }',
        "maps a custom attribute that custom_attributes does not declare",
        "Not declared: Okta: custom:tenant.",
    ),
    "social_type_under_another_name": (
        'Gmail = { type = "Google", client_id = "x.apps.googleusercontent.com" }',
        "must be keyed by exactly that name",
        "Not valid: Gmail.",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_message_names_the_provider_to_fix(tmp_path: Path, case: str) -> None:
    provider, problem, named = CASES[case]
    tree = tmp_path / "tree"
    shutil.copytree(REPO_ROOT, tree, ignore=COPY_IGNORE)
    (tree / "caller").mkdir()
    (tree / "caller" / "main.tf").write_text(CALL % provider, encoding="utf-8")
    with pytest.raises(OfflinePlanError) as refused:
        plan_json_text(tree / "caller")
    message = " ".join(str(refused.value).split())
    assert problem in message, message
    assert named in message, message
    assert "sensitive" not in message and "Invalid error message" not in message, message
