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


# The hosted-domain claim and attribute, as the rules read them from the facts table.
HD_CLAIM, HD_ATTRIBUTE = v.HOSTED_DOMAIN["Google"]
LINKING = "aws_lambda_function.pre_signup"


def wired(held=None, trigger=LINKING) -> m.Pool:
    return m.Pool(
        "aws_cognito_user_pool.p", True, (), linking_trigger=trigger, verify_before_update=held
    )


@pytest.mark.parametrize(
    ("trigger", "held", "result"),
    [
        (LINKING, None, v.FAILED),
        (LINKING, (), v.FAILED),
        (LINKING, ("phone_number",), v.FAILED),
        (LINKING, ("email",), v.PASSED),
        (None, None, v.PASSED),  # no linking trigger: the rule does not apply
        (m.Unknown("var.env has no value"), None, v.UNKNOWN),
        (m.Unknown("var.env has no value"), ("email",), v.PASSED),
        (LINKING, m.Unknown("var.held has no value"), v.UNKNOWN),
        (None, m.Unknown("var.held has no value"), v.PASSED),
    ],
)
def test_a_pool_running_the_linking_triggers_holds_email_changes(trigger, held, result) -> None:
    verdict = run(v.pool_holds_email_changes, wired(held, trigger))
    assert verdict.result == result, verdict.messages
    if result == v.FAILED:
        text = verdict.messages[0]
        assert LINKING in text and "merely typed" in text and "§8, §20" in text
        assert v.HOLD_EMAIL_CHANGES in text
    if result == v.UNKNOWN:
        assert "has no value" in verdict.messages[0]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "empty"),
        ("   ", "whitespace only"),
        (" email_verified", "surrounding whitespace"),
        ("email_verified\u00a0", "surrounding whitespace"),
        ("email_verified\n", "surrounding whitespace"),
        ("email\x00verified", "a control character"),
        ("email\u0085verified", "a control character"),
        ("\u200bemail_verified", "a format character, U+200B"),
        ("\u200b", "a format character, U+200B"),
        ("\ufeffemail_verified", "a format character, U+FEFF"),
        ("email_\u2060verified", "a format character, U+2060"),
        ("email_verified\ue000", "private-use character, U+E000"),
        ("true", "the word true"),
        ("FALSE", "the word FALSE"),
        (True, "the word true"),
        (None, "null"),
    ],
)
def test_an_email_verified_mapping_that_names_no_claim_counts_as_not_mapped(value, why) -> None:
    google = run(v.maps_email, idp(pool(), "Google", {"email": "email", "email_verified": value}))
    assert google.result == v.FAILED and why in google.messages[0], google.messages
    assert "counts as not mapped" in google.messages[0]
    saml = run(v.maps_email, idp(pool(), "SAML", {"email": "mail", "email_verified": value}))
    assert saml.result == v.FAILED and "names no claim" in saml.messages[0]


@pytest.mark.parametrize("claim", ["email_verified", "xms_edov", "urn:example:email_verified"])
def test_an_email_verified_mapping_that_names_a_claim_passes(claim) -> None:
    mapping = {"email": "email", "email_verified": claim}
    assert run(v.maps_email, idp(pool(), "OIDC", mapping)).result == v.PASSED


def test_an_email_verified_mapping_not_visible_is_undecided() -> None:
    mapping = {"email": "email", "email_verified": m.Unknown("lookup(var.claims, …)")}
    verdict = run(v.maps_email, idp(pool(), "OIDC", mapping))
    assert verdict.result == v.UNKNOWN and "lookup(var.claims" in verdict.messages[0]


GOOGLE = {"email": "email", "email_verified": "email_verified"}


@pytest.mark.parametrize(
    ("pool_", "provider_type", "mapping", "result"),
    [
        (wired(), "Google", GOOGLE, v.FAILED),
        (wired(), "Google", {**GOOGLE, HD_ATTRIBUTE: "locale"}, v.FAILED),
        (wired(), "Google", {**GOOGLE, HD_ATTRIBUTE: HD_CLAIM}, v.PASSED),
        (wired(), "OIDC", GOOGLE, v.PASSED),  # only Google sends the claim
        (wired(trigger=None), "Google", GOOGLE, v.PASSED),  # nothing reads the attribute
        (wired(trigger=None), m.Unknown("each.value.type"), GOOGLE, v.PASSED),
        (wired(trigger=m.Unknown("var.env has no value")), "Google", GOOGLE, v.UNKNOWN),
        (m.Unknown("user_pool_id is a literal"), "Google", GOOGLE, v.UNKNOWN),
        (
            m.Unknown("user_pool_id is a literal"),
            "Google",
            {**GOOGLE, HD_ATTRIBUTE: HD_CLAIM},
            v.PASSED,
        ),
        (wired(), m.Unknown("each.value.type"), GOOGLE, v.UNKNOWN),
        (wired(), "Google", {**GOOGLE, HD_ATTRIBUTE: m.Unknown("var.claim")}, v.UNKNOWN),
    ],
)
def test_a_google_provider_maps_the_hosted_domain_where_the_triggers_run(
    pool_, provider_type, mapping, result
) -> None:
    provider = m.IdentityProvider(
        "aws_cognito_identity_provider.g", "Google", provider_type, mapping, pool_
    )
    verdict = run(v.maps_hosted_domain, provider)
    assert verdict.result == result, verdict.messages
    if result == v.FAILED:
        assert f'`"{HD_ATTRIBUTE}" = "{HD_CLAIM}"`' in verdict.messages[0]
        assert "Workspace account for a consumer one" in verdict.messages[0]


# Google set up as an OIDC provider, by the issuer prefix the facts table gives it.
GOOGLE_ISSUER = next(
    prefix for prefix, kind in v.OIDC_ISSUER_SOCIAL_TYPE.items() if kind == "Google"
)


@pytest.mark.parametrize(
    ("issuer", "mapping", "result"),
    [
        (GOOGLE_ISSUER, GOOGLE, v.FAILED),
        (GOOGLE_ISSUER.upper() + "/", GOOGLE, v.FAILED),  # compared lower-cased, as a prefix
        (GOOGLE_ISSUER, {**GOOGLE, HD_ATTRIBUTE: HD_CLAIM}, v.PASSED),
        (GOOGLE_ISSUER, {**GOOGLE, HD_ATTRIBUTE: "email"}, v.FAILED),
        ("https://example.okta.com", GOOGLE, v.PASSED),
        (None, GOOGLE, v.PASSED),  # no issuer: not Google
        (m.Unknown("var.details has no value"), GOOGLE, v.UNKNOWN),
        (m.Unknown("var.details has no value"), {**GOOGLE, HD_ATTRIBUTE: HD_CLAIM}, v.PASSED),
    ],
)
def test_an_oidc_provider_at_googles_issuer_maps_the_hosted_domain(issuer, mapping, result):
    provider = m.IdentityProvider(
        "aws_cognito_identity_provider.o", "GoogleOIDC", "OIDC", mapping, wired(), issuer=issuer
    )
    verdict = run(v.maps_hosted_domain, provider)
    assert verdict.result == result, verdict.messages
    if result == v.FAILED:
        assert "OIDC provider at Google's issuer" in verdict.messages[0]
        assert f'`"{HD_ATTRIBUTE}" = "{HD_CLAIM}"`' in verdict.messages[0]
    if result == v.UNKNOWN:
        assert "var.details has no value" in verdict.messages[0]
    # A pool without the linking triggers: nothing reads the attribute.
    elsewhere = m.IdentityProvider(
        "aws_cognito_identity_provider.o",
        "GoogleOIDC",
        "OIDC",
        mapping,
        wired(trigger=None),
        issuer=issuer,
    )
    assert run(v.maps_hosted_domain, elsewhere).result == v.PASSED


def test_a_subject_copy_not_visible_is_undecided_not_failed() -> None:
    mapping = {"email": "email", "custom:idp_sub": m.Unknown("var.subject_claim")}
    verdict = run(v.subject_in_custom_attribute, idp(pool(False), "OIDC", mapping))
    assert verdict.result == v.UNKNOWN and "var.subject_claim" in verdict.messages[0]


def test_judge_runs_both_pool_rules_on_every_pool() -> None:
    verdicts = list(v.judge(m.Deployment(pools=[wired()])))
    assert {(x.rule_id, x.result) for x in verdicts} == {
        ("CKV_COGFED_1", v.PASSED),
        ("CKV2_COGFED_5", v.FAILED),
    }


def test_unknown_write_attributes_matter_only_where_a_provider_maps_something() -> None:
    unknown = m.Unknown("known after apply")
    p = pool(True)
    for supported in (None, ("COGNITO",)):
        alone = client(p, unknown, supported=supported)  # a pool with no identity provider
        assert run(v.client_writes_mapped_attributes, alone, deployment(p)).result == v.PASSED
    # a provider the client lists but this configuration does not define may map anything
    elsewhere = run(v.client_writes_mapped_attributes, client(p, unknown), deployment(p))
    assert elsewhere.result == v.UNKNOWN
    d = deployment(p, idp(p, mapping={"email": "email"}))
    assert run(v.client_writes_mapped_attributes, client(p, unknown), d).result == v.UNKNOWN
    native = client(p, unknown, supported=("COGNITO",))
    assert run(v.client_writes_mapped_attributes, native, d).result == v.PASSED
    unknown_pool = m.AppClient("aws_cognito_user_pool_client.c", unknown, ("Idp",), unknown)
    assert run(v.client_writes_mapped_attributes, unknown_pool, d).result == v.UNKNOWN


@pytest.mark.parametrize("write", [m.Unknown("known after apply"), ("email",)])
def test_a_provider_whose_pool_is_unknown_may_be_the_clients(write) -> None:
    # Its user_pool_id comes through something the adapter does not follow; it maps an
    # attribute the client cannot write if the client supports it.
    p = pool(True, schema=("dept",))
    corp = m.IdentityProvider(
        "aws_cognito_identity_provider.corp",
        "Corp",
        "SAML",
        {"email": "email", "custom:dept": "dept"},
        m.Unknown("user_pool_id comes from a local"),
    )
    d = m.Deployment(pools=[p], providers=[corp])
    for supported in (m.Unknown("known after apply"), ("Corp",)):
        client_ = m.AppClient("aws_cognito_user_pool_client.c", write, supported, p)
        assert run(v.client_writes_mapped_attributes, client_, d).result == v.UNKNOWN
