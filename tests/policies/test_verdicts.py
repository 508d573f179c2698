"""The pure rules on hand-built models: what each verdict rests on, and UNKNOWN vs FAILED.

The fixture tests (test_rules.py, test_plan_gate.py) drive the same functions through checkov
and through real plans; these pin the decisions the adapters cannot reach easily."""

from __future__ import annotations

import sys

import pytest

from tests.policies.conftest import POLICIES

sys.path.insert(0, str(POLICIES))
import cogfed_model as m
import cogfed_verdicts as v


def pool(case_sensitive=False, schema=(), subjects=None) -> m.Pool:
    entries = tuple(m.SchemaEntry(name, True, False) for name in schema)
    return m.Pool("aws_cognito_user_pool.p", case_sensitive, entries, subjects)


def idp(pool_: m.Pool, provider_type="OIDC", mapping=None, name="Idp") -> m.IdentityProvider:
    if mapping is None:
        mapping = {"email": "email", "email_verified": "email_verified"}
    return m.IdentityProvider(
        f"aws_cognito_identity_provider.{name}", name, provider_type, mapping, pool_
    )


def run(rule, *args) -> v.Verdict:
    verdict = v.Verdict("X", "addr", None)
    rule(*args, verdict)
    return verdict


def test_case_sensitivity_unset_fails_unknown_is_undecided() -> None:
    assert run(v.pool_sets_case_sensitivity, pool(None)).result == v.FAILED
    assert run(v.pool_sets_case_sensitivity, pool(True)).result == v.PASSED
    undecided = run(v.pool_sets_case_sensitivity, pool(m.Unknown("var.case has no value")))
    assert undecided.result == v.UNKNOWN
    assert "var.case has no value" in undecided.messages[0]


@pytest.mark.parametrize(
    ("provider_type", "mapping", "result"),
    [
        ("OIDC", {"email": "email", "custom:idp_sub": "sub"}, v.PASSED),
        ("OIDC", {"email": "email", "custom:tenant": "tid"}, v.FAILED),
        ("LoginWithAmazon", {"email": "email", "custom:idp_sub": "user_id"}, v.PASSED),
        ("Google", {"email": "email"}, v.PASSED),
        ("SAML", {"email": "mail"}, v.FAILED),
        ("SAML", {"email": "mail", "custom:anything": "nameid"}, v.PASSED),
    ],
)
def test_subject_rule_without_visible_trigger(provider_type, mapping, result) -> None:
    verdict = run(v.subject_in_custom_attribute, idp(pool(False), provider_type, mapping))
    assert verdict.result == result, verdict.messages


def test_saml_subject_must_be_the_attribute_the_trigger_reads() -> None:
    insensitive = pool(False, subjects={"Idp": "custom:idp_sub"})
    wrong = idp(insensitive, "SAML", {"email": "mail", "custom:department": "dept"})
    right = idp(insensitive, "SAML", {"email": "mail", "custom:idp_sub": "nameid"})
    failed = run(v.subject_in_custom_attribute, wrong)
    assert failed.result == v.FAILED and "`custom:idp_sub`" in failed.messages[0]
    assert run(v.subject_in_custom_attribute, right).result == v.PASSED


def test_subject_rule_on_unknown_pool_is_undecided_not_passed() -> None:
    orphan = idp(m.Unknown("user_pool_id is 'x', a pool this plan does not manage"))
    orphan.mapping = {"email": "email"}
    verdict = run(v.subject_in_custom_attribute, orphan)
    assert verdict.result == v.UNKNOWN and "does not manage" in verdict.messages[0]


def client(pool_: m.Pool, write, supported=("Idp",)) -> m.AppClient:
    return m.AppClient("aws_cognito_user_pool_client.c", write, supported, pool_)


def deployment(pool_: m.Pool, *providers: m.IdentityProvider) -> m.Deployment:
    return m.Deployment(pools=[pool_], providers=list(providers))


def test_client_without_write_attributes_cannot_write_custom_attributes() -> None:
    p = pool(True, schema=("idp_sub",))
    d = deployment(p, idp(p, mapping={"email": "email", "custom:idp_sub": "sub"}))
    failed = run(v.client_writes_mapped_attributes, client(p, None), d)
    assert failed.result == v.FAILED and "custom:idp_sub" in failed.messages[0]
    standard_only = deployment(p, idp(p, mapping={"email": "email"}))
    assert run(v.client_writes_mapped_attributes, client(p, None), standard_only).result == v.PASSED


def test_client_rule_weighs_only_supported_providers() -> None:
    p = pool(True)
    d = deployment(p, idp(p, mapping={"email": "email", "name": "name"}))
    native = client(p, ("email",), supported=("COGNITO",))
    assert run(v.client_writes_mapped_attributes, native, d).result == v.PASSED
    federated = client(p, ("email",))
    assert run(v.client_writes_mapped_attributes, federated, d).result == v.FAILED


@pytest.mark.parametrize("never", ["email_verified", "phone_number_verified", "username"])
def test_never_writable_attributes_fail_even_without_providers(never) -> None:
    p = pool(True)
    verdict = run(v.client_writes_mapped_attributes, client(p, ("email", never), ()), deployment(p))
    assert verdict.result == v.FAILED and never in verdict.messages[0]


def test_permission_source_arn_known_after_apply_counts_as_set() -> None:
    later = m.LambdaPermission("p", "cognito-idp.amazonaws.com", m.KNOWN_AFTER_APPLY)
    assert run(v.permission_has_source_arn, later).result == v.PASSED
    unseen = m.LambdaPermission("p", "cognito-idp.amazonaws.com", m.Unknown("var.arn unset"))
    assert run(v.permission_has_source_arn, unseen).result == v.UNKNOWN
    missing = m.LambdaPermission("p", "cognito-idp.amazonaws.com", None)
    assert run(v.permission_has_source_arn, missing).result == v.FAILED
    other = m.LambdaPermission("p", "events.amazonaws.com", None)
    assert run(v.permission_has_source_arn, other).result == v.PASSED
