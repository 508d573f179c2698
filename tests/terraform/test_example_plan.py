"""The examples' plans, read from Terraform core, carry the settings the README promises."""

from __future__ import annotations

import json

import pytest

from cogfed_tools.example_plan import ExamplePlanError, PlannedFederation, plan_example, plan_json
from cogfed_tools.offline_checks import REPO_ROOT

CONTRACT_KEYS = {"type", "link_by_email", "email_trust", "email_domains", "subject_attribute"}
FACTS = json.loads((REPO_ROOT / "lambda_src" / "cognito_facts.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def complete() -> PlannedFederation:
    return plan_example(REPO_ROOT / "examples" / "complete")


def test_complete_example_has_google_an_oidc_and_a_saml_provider(complete) -> None:
    types = {name: idp["type"] for name, idp in complete.identity_providers.items()}
    assert types == {"Google": "Google", "LinkedIn": "OIDC", "Corporate": "SAML"}


def test_complete_example_links_with_exact_case_subjects(complete) -> None:
    assert complete.case_sensitive is False
    assert complete.custom_attributes == {"idp_sub": True, "google_hd": True}
    settings = json.loads(complete.trigger_environment["IDENTITY_PROVIDERS"])
    for name in ("LinkedIn", "Corporate"):
        assert settings[name]["subject_attribute"] == "custom:idp_sub"
        assert "custom:idp_sub" in complete.identity_providers[name]["attribute_mapping"]
    assert settings["Google"]["subject_attribute"] is None


def test_trigger_environment_follows_the_contract(complete) -> None:
    settings = json.loads(complete.trigger_environment["IDENTITY_PROVIDERS"])
    assert set(settings) == set(complete.identity_providers)
    assert all(set(value) == CONTRACT_KEYS for value in settings.values())
    assert complete.trigger_environment["USERNAME_CASE_SENSITIVE"] == "false"
    assert settings["Corporate"]["email_trust"] == "always"
    assert settings["Corporate"]["email_domains"] == ["example.com"]


def test_clients_may_write_every_mapped_attribute(complete) -> None:
    mapped = {a for idp in complete.identity_providers.values() for a in idp["attribute_mapping"]}
    never_writable = {"email_verified", "phone_number_verified", "username"}
    writable = set(complete.client_write_attributes["web"])
    assert mapped - never_writable <= writable
    assert not writable & never_writable


def test_google_accounts_bring_their_hosted_domain(complete) -> None:
    # FACTS.md §20: the pre sign-up trigger tells a Workspace account by custom:google_hd.
    hosted = FACTS["provider_types"]["Google"]["hosted_domain"]
    assert (
        complete.identity_providers["Google"]["attribute_mapping"][hosted["attribute"]]
        == (hosted["claim"])
    )
    for name in ("LinkedIn", "Corporate"):
        assert hosted["attribute"] not in complete.identity_providers[name]["attribute_mapping"]
    # Declared as idp_sub is: a mutable string as long as a mapped value can be (FACTS.md §4).
    name = hosted["attribute"].removeprefix("custom:")
    assert complete.schema[name] == complete.schema["idp_sub"]
    assert complete.schema[name]["string_attribute_constraints"][0]["max_length"] == "2048"
    assert hosted["attribute"] in complete.client_write_attributes["web"]


def test_minimal_example_is_a_case_sensitive_google_pool() -> None:
    minimal = plan_example(REPO_ROOT / "examples" / "minimal")
    assert minimal.case_sensitive is True
    assert set(minimal.identity_providers) == {"Google"}
    # The hosted domain of a Google sign-in (FACTS.md §20) is the only custom attribute.
    assert minimal.custom_attributes == {"google_hd": True}
    assert "custom:google_hd" in minimal.client_write_attributes["web"]


def test_an_example_that_does_not_plan_is_a_clear_error() -> None:
    # Without its tfvars the example lacks required variables: the plan fails.
    with pytest.raises(ExamplePlanError, match="planning examples/complete failed"):
        plan_json(REPO_ROOT / "examples" / "complete", var_file=None)
