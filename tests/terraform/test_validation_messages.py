"""A refused identity provider is named in the message, so a map of twenty providers does
not leave the reader guessing which one to fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cogfed_tools.offline_checks import COPY_IGNORE, REPO_ROOT
from cogfed_tools.offline_plan import OfflinePlanError, plan_json_text

ROOT = """
module "federation" {
  source         = "../"
  name           = "named"
  case_sensitive = true
  identity_providers = {
    Google    = { type = "Google", client_id = "id.apps.googleusercontent.com" }
    Corporate = { type = "SAML", email_trust = "always", email_domains = ["example.com"] }
    Partners = {
      type              = "SAML"
      saml_metadata_url = "https://idp.example.com/metadata"
      link_by_email     = false
    }
  }
  identity_provider_secrets = { Google = { client_secret = "secret" } }
}
"""


def test_the_message_names_the_provider_to_fix(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(REPO_ROOT, tree, ignore=COPY_IGNORE)
    (tree / "caller").mkdir()
    (tree / "caller" / "main.tf").write_text(ROOT, encoding="utf-8")
    with pytest.raises(OfflinePlanError) as refused:
        plan_json_text(tree / "caller")
    message = " ".join(str(refused.value).split())
    assert (
        "a SAML provider needs exactly one of saml_metadata_url or saml_metadata_document"
        in message
    )
    assert "Not valid: Corporate." in message, message
