"""Break the example one rule at a time and see the gate's checks fail.

The same helper takes the repository's examples (copy_root = the repository, so `../..`
module sources keep working) with a list of mutations of their files.
"""

from __future__ import annotations

import pytest

from cogfed_tools.gate_mutation import Mutation, MutationRun, run_mutations
from tests.policies.conftest import EXAMPLE, POLICIES

MODULE = "modules/cognito/main.tf"

MUTATIONS = [
    Mutation(
        MODULE,
        "  username_configuration {\n    case_sensitive = var.case_sensitive\n  }\n",
        "",
        "CKV_COGFED_1",
    ),
    Mutation(
        "main.tf",
        'LinkedIn = { type = "OIDC", extra = { "custom:idp_sub" = "sub" } }',
        'LinkedIn = { type = "OIDC", extra = {} }',
        "CKV2_COGFED_1",
    ),
    Mutation(
        MODULE,
        'OIDC   = { email = "email", email_verified = "email_verified" }',
        "OIDC   = {}",
        "CKV_COGFED_2",
    ),
    Mutation(
        MODULE,
        '"idp_sub"\n    attribute_data_type = "String"\n    mutable             = true',
        '"idp_sub"\n    attribute_data_type = "String"\n    mutable             = false',
        "CKV2_COGFED_2",
    ),
    Mutation("main.tf", '{ "custom:idp_sub" = "sub" }', '{ "custom:sub" = "sub" }', "CKV_COGFED_3"),
    Mutation(
        MODULE,
        '  schema {\n    name                = "idp_sub"\n',
        '  schema {\n    name                = "given_name"\n    attribute_data_type = "String"\n'
        "    required            = true\n    mutable             = true\n  }\n"
        '  schema {\n    name                = "idp_sub"\n',
        "CKV2_COGFED_3",
    ),
    Mutation(
        MODULE, '["email", "custom:idp_sub", "custom:google_hd"]', '["email"]', "CKV2_COGFED_4"
    ),
    Mutation(MODULE, "  source_arn    = aws_cognito_user_pool.this.arn\n", "", "CKV_COGFED_4"),
    Mutation(
        MODULE,
        "  user_attribute_update_settings {\n"
        '    attributes_require_verification_before_update = ["email"]\n  }\n',
        "",
        "CKV2_COGFED_5",
    ),
    Mutation(MODULE, ', "custom:google_hd" = "hd" }', " }", "CKV2_COGFED_6"),
    Mutation(
        "main.tf",
        'source         = "./modules/cognito"',
        'source = "acme/cognito/aws"',
        "CKV_COGFED_5",
    ),
]


@pytest.fixture(scope="module")
def mutation_run() -> MutationRun:
    return run_mutations(EXAMPLE, MUTATIONS, policies=POLICIES)


def test_unmutated_example_passes(mutation_run: MutationRun) -> None:
    assert not mutation_run.problems, mutation_run.problems
    assert mutation_run.baseline_failed == {}


@pytest.mark.parametrize("index", range(len(MUTATIONS)), ids=[m.expected_check for m in MUTATIONS])
def test_mutation_is_caught(mutation_run: MutationRun, index: int) -> None:
    outcome = mutation_run.outcomes[index]
    assert outcome.caught, (outcome.mutation, outcome.failed)


def test_every_rule_is_mutated() -> None:
    from tests.policies.conftest import load_rules

    assert {m.expected_check for m in MUTATIONS} == set(load_rules().RULES)


def test_mutation_text_must_occur_exactly_once() -> None:
    with pytest.raises(ValueError, match="occurs 0 times"):
        run_mutations(EXAMPLE, [Mutation("main.tf", "no such text", "", "CKV_COGFED_1")])
    with pytest.raises(ValueError, match="unknown check IDs: CKV_NOPE"):
        run_mutations(EXAMPLE, [Mutation("main.tf", "module", "", "CKV_NOPE")])
