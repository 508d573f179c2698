"""The module's own complete example passes the gate, and breaking any rule in it fails.

Each mutation changes the example or the module it calls the way a careless edit would;
the gate must then fail with the rule's check. Copies hold only what the example needs.
"""

from __future__ import annotations

import pytest

from cogfed_tools.gate_mutation import DEFAULT_IGNORE, Mutation, MutationRun, run_mutations
from tests.policies.conftest import POLICIES, REPO

EXAMPLE = REPO / "examples" / "complete"
MODULES = "../../modules"
# Everything but the Terraform the example uses: other trees would be scanned too.
IGNORE = (
    *DEFAULT_IGNORE,
    "tests",
    "bench",
    "docs",
    "policies",
    "cogfed_tools",
    "minimal",
    "triggers",
)

MUTATIONS = [
    Mutation(
        f"{MODULES}/user-pool/main.tf",
        "  username_configuration {\n"
        "    # Stated explicitly: the API and console defaults differ (FACTS.md §3).\n"
        "    case_sensitive = var.case_sensitive\n  }\n",
        "",
        "CKV_COGFED_1",
    ),
    Mutation(
        "../../main.tf",
        '    OIDC            = { "custom:idp_sub" = "sub" }',
        "    OIDC            = {}",
        "CKV2_COGFED_1",
    ),
    Mutation(
        f"{MODULES}/identity-providers/main.tf",
        '    OIDC = {\n      email          = "email"\n',
        "    OIDC = {\n",
        "CKV_COGFED_2",
    ),
    Mutation(
        f"{MODULES}/user-pool/main.tf",
        "      mutable                  = true",
        "      mutable                  = false",
        "CKV2_COGFED_2",
    ),
    Mutation(
        "main.tf",
        '"custom:idp_sub" = "http://schemas.microsoft.com/identity/claims/objectidentifier"',
        '"custom:sub" = "http://schemas.microsoft.com/identity/claims/objectidentifier"',
        "CKV_COGFED_3",
    ),
    Mutation(
        f"{MODULES}/user-pool/main.tf",
        "      required                 = false",
        "      required                 = true",
        "CKV2_COGFED_3",
    ),
    Mutation(
        f"{MODULES}/app-clients/main.tf",
        'formatlist("custom:%s", var.custom_attributes), ',
        "",
        "CKV2_COGFED_4",
    ),
    Mutation(
        f"{MODULES}/trigger-permissions/main.tf",
        "  source_arn     = var.user_pool_arn\n",
        "",
        "CKV_COGFED_4",
    ),
    Mutation(
        "main.tf",
        'source = "../.."',
        'source = "acme/cognito-federation/aws"',
        "CKV_COGFED_5",
    ),
]


@pytest.fixture(scope="module")
def mutation_run() -> MutationRun:
    return run_mutations(EXAMPLE, MUTATIONS, copy_root=REPO, policies=POLICIES, ignore=IGNORE)


def test_complete_example_passes_the_gate(mutation_run: MutationRun) -> None:
    assert not mutation_run.problems, mutation_run.problems
    assert mutation_run.baseline_failed == {}


@pytest.mark.parametrize("index", range(len(MUTATIONS)), ids=[m.expected_check for m in MUTATIONS])
def test_breaking_a_rule_in_the_example_fails_the_gate(mutation_run: MutationRun, index: int):
    outcome = mutation_run.outcomes[index]
    assert outcome.caught, (outcome.mutation, outcome.failed)


def test_every_rule_is_broken_once() -> None:
    from tests.policies.conftest import load_rules

    assert {m.expected_check for m in MUTATIONS} == set(load_rules().RULES)
