"""A refused identity provider is named in the message, so a map of twenty providers does
not leave the reader guessing which one to fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cogfed_gate.offline_plan import OfflinePlanError, plan_json_text
from cogfed_tools.offline_checks import COPY_IGNORE, REPO_ROOT

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
    # Trust by evidence (FACTS.md §8): the type's modes, read from cognito_facts.json.
    "type_that_proves_nothing_linked_by_email": (
        'Facebook = { type = "Facebook", client_id = "f", email_trust = "always",'
        ' email_domains = ["example.com"] }',
        "Facebook and LoginWithAmazon prove nothing about who owns an email address, so the"
        " triggers never link their users by email: set link_by_email = false for them.",
        "Not valid: Facebook (Facebook).",
    ),
    "directory_trusted_by_its_own_verified_attribute": (
        'Corp = { type = "SAML", saml_metadata_url = "https://corp.example.com/m",'
        ' attribute_mapping = { email_verified = "verified" } }',
        'email_trust must be a mode the provider\'s type is evidence under ("always" only with'
        ' email_domains, for a directory your organisation runs): Google: "verified_claim";'
        ' OIDC: "verified_claim" or "always"; SAML: "always";',
        "Change email_trust, or set link_by_email = false."
        ' Not valid: Corp (SAML, email_trust = "verified_claim").',
    ),
    "mapping_to_an_empty_claim": (
        'Okta = { type = "OIDC", client_id = "c", oidc_issuer = "https://okta.example.com",'
        ' attribute_mapping = { email_verified = "" } }',
        "every attribute_mapping value must be the name of the IdP's claim",
        "Not valid: Okta: email_verified.",
    ),
    "email_verified_mapped_from_a_literal": (
        'Okta = { type = "OIDC", client_id = "c", oidc_issuer = "https://okta.example.com",'
        ' attribute_mapping = { email_verified = "true" } }',
        "a mapping names the IdP's claim, it does not set a value",
        "Not valid: Okta.",
    ),
    "hosted_domain_mapped_by_another_type": (
        'Okta = { type = "OIDC", client_id = "c", oidc_issuer = "https://okta.example.com",'
        ' attribute_mapping = { "custom:google_hd" = "hd" } }',
        "custom:google_hd carries Google's \"hd\" claim (a Google provider's, or an OIDC"
        " provider's whose issuer begins https://accounts.google.com), which the module maps by"
        " default",
        "Not valid: Okta: custom:google_hd.",
    ),
    # Google set up as OIDC may map its hd, from hd only; its issuer is read for the message.
    "hosted_domain_mapped_from_another_claim_by_google_as_oidc": (
        'Okta = { type = "OIDC", client_id = "c", oidc_issuer = "https://accounts.google.com",'
        ' attribute_mapping = { "custom:google_hd" = "email" } }',
        "no other claim, and no other provider, may be mapped into it",
        "Not valid: Okta: custom:google_hd.",
    ),
    "mapping_to_a_claim_with_a_zero_width_space": (
        'Okta = { type = "OIDC", client_id = "c", oidc_issuer = "https://okta.example.com",'
        ' attribute_mapping = { email_verified = "email\\u200b_verified" } }',
        "without control, private-use or invisible format characters",
        "Not valid: Okta: email_verified.",
    ),
}


def refusal(tmp_path: Path, provider: str) -> str:
    """The offline plan's error for a caller of the module with `provider` configured."""
    tree = tmp_path / "tree"
    shutil.copytree(REPO_ROOT, tree, ignore=COPY_IGNORE)
    (tree / "caller").mkdir()
    (tree / "caller" / "main.tf").write_text(CALL % provider, encoding="utf-8")
    with pytest.raises(OfflinePlanError) as refused:
        plan_json_text(tree / "caller")
    return str(refused.value)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_message_names_the_provider_to_fix(tmp_path: Path, case: str) -> None:
    provider, problem, named = CASES[case]
    message = " ".join(refusal(tmp_path, provider).split())
    assert problem in message, message
    assert named in message, message
    assert "sensitive" not in message and "Invalid error message" not in message, message


def test_the_message_names_the_custom_attribute_to_remove(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(REPO_ROOT, tree, ignore=COPY_IGNORE)
    (tree / "caller").mkdir()
    call = CALL.replace(
        "case_sensitive = true",
        'case_sensitive = true\n  custom_attributes = ["tenant", "google_hd"]',
    )
    (tree / "caller" / "main.tf").write_text(call % "", encoding="utf-8")
    with pytest.raises(OfflinePlanError) as refused:
        plan_json_text(tree / "caller")
    message = " ".join(str(refused.value).split())
    assert "idp_sub and google_hd are the module's own" in message, message
    assert "google_hd (for Google's hosted domain) in every pool" in message, message
    assert "whenever" not in message, message
    assert "Remove them from custom_attributes. Not valid: google_hd." in message, message


@pytest.mark.parametrize(
    "provider",
    [
        'Okta = { type = "OIDc", client_id = "c", oidc_issuer = "https://okta.example.com" }',
        'Apple = { type = "signinwithapple", client_id = "c" }',
    ],
)
def test_a_mistyped_provider_type_gets_one_message(tmp_path: Path, provider: str) -> None:
    message = refusal(tmp_path, provider)
    assert message.count("Error:") == 1, message
    assert "type must be one of" in " ".join(message.split()), message
