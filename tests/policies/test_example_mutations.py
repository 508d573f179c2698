"""The module's own complete example passes the gate, and breaking any rule in it fails.

Each mutation changes the example or the module it calls the way a careless edit would;
the gate must then fail with the rule's check. Copies hold only what the example needs.

The rules are broken inside the module, whose trigger and pool module calls reference each
other, which checkov does not evaluate: the static gate leaves those rules undecided (and
passes), the plan gate decides them. So the rule mutations are judged on offline plans; the
module-source rule, which only the static gate has, on checkov's scan.
"""

from __future__ import annotations

import json

import pytest

from cogfed_tools.gate_mutation import DEFAULT_IGNORE, Mutation, MutationRun, run_mutations
from tests.policies.conftest import POLICIES, REPO, load_rules

HOSTED_DOMAIN = load_rules().FACTS["provider_types"]["Google"]["hosted_domain"]

EXAMPLE = REPO / "examples" / "complete"
MODULES = "../../modules"
# Everything but the Terraform the example uses: other trees would be scanned too, and
# .cache (ministack's environment, the provider wheels: 150 MB) copied for every mutation.
IGNORE = (
    *DEFAULT_IGNORE,
    ".cache",
    ".hypothesis",
    "*.egg-info",
    "tests",
    "bench",
    "docs",
    "policies",
    "cogfed_tools",
    "minimal",
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
        # No subject copy for any type: LinkedIn (OIDC) loses custom:idp_sub.
        "../../main.tf",
        "fact.subject_case_safe ? [] :",
        "true ? [] :",
        "CKV2_COGFED_1",
    ),
    Mutation(
        f"{MODULES}/identity-providers/main.tf",
        '    OIDC = {\n      email       = "email"\n',
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
        # In the module's defaults: the module's input validation refuses it from a caller.
        f"{MODULES}/identity-providers/main.tf",
        "    Google = {\n",
        '    Google = {\n      "custom:name"  = "name"\n',
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
        f"{MODULES}/triggers/main.tf",
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
    Mutation(
        f"{MODULES}/user-pool/main.tf",
        "  user_attribute_update_settings {\n"
        '    attributes_require_verification_before_update = ["email"]\n'
        "  }\n",
        "",
        "CKV2_COGFED_5",
    ),
    Mutation(
        # The module takes Google's hosted-domain mapping (and its schema entry) from the facts
        # table; the copy's table loses it, the gate's does not.
        "../../lambda_src/cognito_facts.json",
        '"hosted_domain": {\n'
        f'        "claim": {json.dumps(HOSTED_DOMAIN["claim"])},\n'
        f'        "attribute": {json.dumps(HOSTED_DOMAIN["attribute"])}\n'
        "      }",
        '"hosted_domain": null',
        "CKV2_COGFED_6",
    ),
]


PLAN_MUTATIONS = [m for m in MUTATIONS if m.expected_check != "CKV_COGFED_5"]
STATIC_MUTATIONS = [m for m in MUTATIONS if m.expected_check == "CKV_COGFED_5"]


@pytest.fixture(scope="module")
def plan_run() -> MutationRun:
    return run_mutations(
        EXAMPLE, PLAN_MUTATIONS, copy_root=REPO, policies=POLICIES, ignore=IGNORE, mode="plan"
    )


@pytest.fixture(scope="module")
def static_run() -> MutationRun:
    return run_mutations(
        EXAMPLE, STATIC_MUTATIONS, copy_root=REPO, policies=POLICIES, ignore=IGNORE
    )


def test_complete_example_passes_the_plan_gate(plan_run: MutationRun) -> None:
    assert not plan_run.problems, plan_run.problems
    assert plan_run.baseline_failed == {}


def test_complete_example_passes_the_static_gate(static_run: MutationRun) -> None:
    assert not static_run.problems, static_run.problems
    assert static_run.baseline_failed == {}


@pytest.mark.parametrize(
    "index", range(len(PLAN_MUTATIONS)), ids=[m.expected_check for m in PLAN_MUTATIONS]
)
def test_breaking_a_rule_in_the_example_fails_the_plan_gate(plan_run: MutationRun, index: int):
    outcome = plan_run.outcomes[index]
    assert outcome.caught, (outcome.mutation, outcome.failed)


def test_a_module_source_checkov_cannot_scan_fails_the_static_gate(static_run: MutationRun):
    (outcome,) = static_run.outcomes
    assert outcome.caught, (outcome.mutation, outcome.failed)


def test_every_rule_is_broken_once() -> None:
    from tests.policies.conftest import load_rules

    assert {m.expected_check for m in MUTATIONS} == set(load_rules().RULES)
