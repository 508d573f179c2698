"""`cogfed-pool audit` finds every planted problem and nothing else, and judges the live
configuration with the gate's rules."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict

from cogfed_pool.audit import KINDS, audit, why_not_linked
from cogfed_pool.aws import Cognito
from cogfed_pool.cli import main
from cogfed_pool.live_config import read_config
from cogfed_pool.progress import Silent
from cogfed_pool.trigger_rules import FACTS, PoolUser
from cogfed_tools import synthetic_pool
from cogfed_tools.cognito_double import in_memory_cognito


def test_the_audit_finds_exactly_what_was_planted(world) -> None:
    cognito = world.cognito()
    report = audit(cognito, world.config(cognito), Silent("users"))
    found: dict[str, set[str]] = defaultdict(set)
    for finding in report.findings:
        found[finding.kind].add(finding.email)
    assert {k: v for k, v in found.items() if v} == {
        k: v for k, v in world.planted.findings.items() if v
    }
    assert report.users == world.planted.users
    # One ListUsers page per 60 users, and nothing per user.
    assert cognito.calls["ListUsers"] == -(-world.planted.users // 60)
    assert set(cognito.calls) <= {
        "DescribeUserPool",
        "ListIdentityProviders",
        "DescribeIdentityProvider",
        "ListUserPoolClients",
        "ListUsers",
    }


def test_each_split_person_says_why_it_was_not_linked(world) -> None:
    cognito = world.cognito()
    report = audit(cognito, world.config(cognito), Silent("users"))
    reasons = {
        f.email: next(iter(f.reasons.values())) for f in report.findings if f.kind == "split_person"
    }
    untrusted = {e for e in reasons if e.startswith("untrusted-")}
    stale = {e for e in reasons if e.startswith("repairable-stale-")}
    unknown = {e for e in reasons if e.startswith("unknown-subject-")}
    assert untrusted and all(
        reasons[e].startswith("untrusted email: email_not_verified (LinkedIn did not confirm")
        for e in untrusted
    )
    assert stale and all("lower-cased subject, which never matches" in reasons[e] for e in stale)
    # The trigger's own refusal: no exact-case copy of a lower-cased subject.
    assert unknown and all(
        reasons[e].startswith("case-insensitive subject: subject_case_unknown") for e in unknown
    )
    others = set(reasons) - untrusted - stale - unknown
    assert all(reasons[e].startswith("not linked by the trigger") for e in others)


def test_reports_carry_the_findings(world) -> None:
    cognito = world.cognito()
    report = audit(cognito, world.config(cognito), Silent("users"))
    document = json.loads(report.to_json())
    assert document["counts"] == report.counts() and set(document["counts"]) == set(KINDS)
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert len(rows) == len(report.findings)
    summary = report.summary()
    assert f"{report.users} users" in summary and "split_person" in summary


def test_a_csv_cell_a_spreadsheet_would_take_for_a_formula_is_made_text(world) -> None:
    # A username and an email users chose, each the start of a formula.
    formula = '=HYPERLINK("https://example.org/?x","open")'
    world.double.put_user(
        world.pool_id,
        formula,
        attributes={"sub": "s-1", "email": 'x"@example.com', "email_verified": "true"},
    )
    world.double.put_user(
        world.pool_id,
        "plain-user",
        attributes={"sub": "s-2", "email": '+1+1"@example.com', "email_verified": "true"},
    )
    cognito = world.cognito()
    report = audit(cognito, world.config(cognito), Silent("users"))
    cells = [cell for row in csv.reader(io.StringIO(report.to_csv())) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert any(c.startswith("'" + formula) for c in cells), cells
    assert "'+1+1\"@example.com" in cells


def test_the_gate_rules_judge_the_live_configuration(world) -> None:
    cognito = world.cognito()
    clean = audit(cognito, world.config(cognito), Silent("users"))
    assert clean.rules and all(r["result"] == "PASSED" for r in clean.rules), clean.rules
    # The seed thread's mapping on a live provider: CKV_COGFED_3, as the gate says it.
    world.double.add_identity_provider(
        world.pool_id, "Seed", "OIDC", {"email": "email", "custom:sub": "sub"}
    )
    judged = audit(cognito, world.config(cognito), Silent("users"))
    failed = {(r["rule"], r["resource"]) for r in judged.rules if r["result"] == "FAILED"}
    assert ("CKV_COGFED_3", "identity provider Seed") in failed


def test_without_the_triggers_configuration_the_reason_says_so(world) -> None:
    cognito = world.cognito()
    config = read_config(cognito)  # no --identity-providers, no trigger in the pool
    assert config.trigger is None and "no pre sign-up trigger" in config.trigger_source
    federated = PoolUser(
        "LinkedIn_x",
        "EXTERNAL_PROVIDER",
        True,
        {"email": "a@example.com"},
        [{"providerName": "LinkedIn", "userId": "x", "primary": True}],
    )
    native = PoolUser("n", "CONFIRMED", True, {"email": "a@example.com", "email_verified": "true"})
    assert "no pre sign-up trigger" in why_not_linked(federated, [native], config)


def test_the_triggers_configuration_is_read_from_the_function(world) -> None:
    import boto3

    iam = boto3.client("iam")
    role = iam.create_role(RoleName="trigger", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function = boto3.client("lambda").create_function(
        FunctionName="pre-signup",
        Runtime="python3.12",
        Role=role,
        Handler="pre_signup.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={"Variables": {"IDENTITY_PROVIDERS": world.planted.identity_providers_json}},
    )
    boto3.client("cognito-idp").update_user_pool(
        UserPoolId=world.pool_id, LambdaConfig={"PreSignUp": function["FunctionArn"]}
    )
    config = read_config(world.cognito())
    assert config.trigger is not None
    assert set(config.trigger.providers) == set(synthetic_pool.IDENTITY_PROVIDERS)
    assert config.trigger_source == "the pre sign-up function pre-signup"


# ------------------------------------------------------------------ the pool's configuration

HOLD_EMAIL = {"AttributesRequireVerificationBeforeUpdate": ["email"]}
GOOGLE_HD = FACTS["provider_types"]["Google"]["hosted_domain"]  # {"claim", "attribute"}
GOOGLE_MAPPING = {
    "email": "email",
    "email_verified": "email_verified",
    GOOGLE_HD["attribute"]: GOOGLE_HD["claim"],
}
LINKING = json.dumps({"Google": {"type": "Google"}})


def _function(name: str, variables: dict[str, str]) -> str:
    import boto3

    iam = boto3.client("iam")
    try:
        role = iam.create_role(RoleName="trigger", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName="trigger")["Role"]["Arn"]
    return boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="pre_signup.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={"Variables": variables},
    )["FunctionArn"]


def _pool(
    double,
    *,
    hold: bool = True,
    pre_sign_up: str | None = None,
    pre_token: str | None = None,
    google: dict[str, str] | None = None,
) -> str:
    """An empty pool like the module's, with the triggers given; UpdateUserPool resets what
    it is not given, as Cognito does, so the email hold-back is given again."""
    import boto3

    pool_id = double.create_pool(
        "config",
        case_sensitive=False,
        custom_attributes={"idp_sub": True, GOOGLE_HD["attribute"].removeprefix("custom:"): True},
    )
    lambda_config: dict = {}
    if pre_sign_up:
        lambda_config["PreSignUp"] = pre_sign_up
    if pre_token:
        lambda_config["PreTokenGenerationConfig"] = {
            "LambdaVersion": "V2_0",
            "LambdaArn": pre_token,
        }
    settings = {"UserAttributeUpdateSettings": HOLD_EMAIL} if hold else {}
    boto3.client("cognito-idp").update_user_pool(
        UserPoolId=pool_id, LambdaConfig=lambda_config, AutoVerifiedAttributes=["email"], **settings
    )
    double.add_identity_provider(pool_id, "Google", "Google", google or GOOGLE_MAPPING)
    return pool_id


def _audit(pool_id: str, identity_providers: str | None = None):
    cognito = Cognito(pool_id, unlimited=True)
    return audit(cognito, read_config(cognito, identity_providers), Silent("users"))


def _results(report, rule: str) -> dict[str, str]:
    return {r["resource"]: r["result"] for r in report.rules if r["rule"] == rule}


def _messages(report, rule: str) -> str:
    return " ".join(m for r in report.rules if r["rule"] == rule for m in r["messages"])


def test_a_pool_running_the_triggers_must_hold_email_changes_back(capsys) -> None:
    with in_memory_cognito() as double:
        pre_sign_up = _function("pre-signup", {"IDENTITY_PROVIDERS": LINKING})
        pre_token = _function("pre-token", {"IDENTITY_PROVIDERS": LINKING})
        other = _function("someone-elses", {"TABLE": "profiles"})
        open_pool = _pool(double, hold=False, pre_sign_up=pre_sign_up)
        token_only = _pool(double, hold=False, pre_token=pre_token)
        held = _pool(double, hold=True, pre_sign_up=pre_sign_up, pre_token=pre_token)
        unrelated = _pool(double, hold=False, pre_sign_up=other)

        report = _audit(open_pool)
        assert _results(report, "CKV2_COGFED_5") == {f"user pool {open_pool}": "FAILED"}
        text = _messages(report, "CKV2_COGFED_5")
        assert "the pre sign-up function pre-signup" in text and "merely typed" in text
        assert 'attributes_require_verification_before_update = ["email"]' in text
        assert "CKV2_COGFED_5" in report.summary()

        # Wired through the pre token generation trigger alone: the same finding.
        token_report = _audit(token_only)
        assert set(_results(token_report, "CKV2_COGFED_5").values()) == {"FAILED"}
        assert "the pre token generation function pre-token" in _messages(
            token_report, "CKV2_COGFED_5"
        )
        # Holding email changes back, or running a trigger of its own: nothing to report.
        for pool_id in (held, unrelated):
            assert set(_results(_audit(pool_id), "CKV2_COGFED_5").values()) == {"PASSED"}

        assert main(["audit", "--user-pool-id", open_pool, "--rate-share", "1"]) == 1
        assert main(["audit", "--user-pool-id", held, "--rate-share", "1"]) == 0
        capsys.readouterr()


def test_the_hold_back_is_judged_when_the_flag_names_the_triggers_too() -> None:
    # No trigger installed yet: --identity-providers says which triggers the pool will run.
    with in_memory_cognito() as double:
        pool_id = _pool(double, hold=False)
        assert set(_results(_audit(pool_id), "CKV2_COGFED_5").values()) == {"PASSED"}
        flagged = _audit(pool_id, LINKING)
        assert set(_results(flagged, "CKV2_COGFED_5").values()) == {"FAILED"}
        assert "--identity-providers" in _messages(flagged, "CKV2_COGFED_5")


def test_a_google_provider_must_map_the_hosted_domain_where_the_triggers_run() -> None:
    consumer_only = {"email": "email", "email_verified": "email_verified"}
    with in_memory_cognito() as double:
        pre_sign_up = _function("pre-signup", {"IDENTITY_PROVIDERS": LINKING})
        wired = _pool(double, pre_sign_up=pre_sign_up, google=consumer_only)
        mapped = _pool(double, pre_sign_up=pre_sign_up)
        wrong_claim = _pool(
            double,
            pre_sign_up=pre_sign_up,
            google={**consumer_only, GOOGLE_HD["attribute"]: "email"},
        )
        not_wired = _pool(double, google=consumer_only)

        report = _audit(wired)
        assert _results(report, "CKV2_COGFED_6") == {"identity provider Google": "FAILED"}
        text = _messages(report, "CKV2_COGFED_6")
        assert f'"{GOOGLE_HD["attribute"]}" = "{GOOGLE_HD["claim"]}"' in text
        assert "Workspace account for a consumer one" in text
        assert "FAILED" in _results(_audit(wrong_claim), "CKV2_COGFED_6").values()
        assert set(_results(_audit(mapped), "CKV2_COGFED_6").values()) == {"PASSED"}
        # No linking trigger reads the attribute: no false alarm.
        assert set(_results(_audit(not_wired), "CKV2_COGFED_6").values()) == {"PASSED"}


def test_google_set_up_as_oidc_must_map_the_hosted_domain_where_the_triggers_run() -> None:
    # Its issuer is Google's (facts table oidc_issuer_social_type): the same `hd` claim.
    issuer = next(p for p, kind in FACTS["oidc_issuer_social_type"].items() if kind == "Google")
    consumer_only = {"email": "email", "email_verified": "email_verified"}
    with in_memory_cognito() as double:
        pre_sign_up = _function("pre-signup", {"IDENTITY_PROVIDERS": LINKING})
        pool_id = _pool(double, pre_sign_up=pre_sign_up)
        double.add_identity_provider(
            pool_id, "GoogleOIDC", "OIDC", consumer_only, {"oidc_issuer": issuer}
        )
        double.add_identity_provider(
            pool_id, "Workspace", "OIDC", GOOGLE_MAPPING, {"oidc_issuer": issuer + "/"}
        )
        double.add_identity_provider(
            pool_id, "Okta", "OIDC", consumer_only, {"oidc_issuer": "https://example.okta.com"}
        )
        report = _audit(pool_id)
        assert _results(report, "CKV2_COGFED_6") == {
            "identity provider Google": "PASSED",
            "identity provider GoogleOIDC": "FAILED",
            "identity provider Workspace": "PASSED",
            "identity provider Okta": "PASSED",
        }
        assert f"OIDC provider at Google's issuer ({issuer})" in _messages(report, "CKV2_COGFED_6")


def test_a_provider_configured_under_another_type_is_a_finding(capsys) -> None:
    # The pre sign-up trigger refuses such sign-ins (provider_type_mismatch): the audit says so
    # before users meet it.
    with in_memory_cognito() as double:
        pool_id = _pool(double, pre_sign_up=_function("pre-signup", {"IDENTITY_PROVIDERS": "{}"}))
        corp_mapping = {"email": "email", "email_verified": "email_verified"}
        double.add_identity_provider(
            pool_id, "Corp", "OIDC", {**corp_mapping, "custom:idp_sub": "sub"}
        )
        settings = {
            "Google": {"type": "Google"},
            # Another type than the pool's provider of that name.
            "Corp": {"type": "SAML", "email_trust": "always", "email_domains": ["example.com"]},
            # A social provider's fixed name under another type (the pool has none yet), also
            # in another case: the triggers match names ignoring case.
            "Facebook": {"type": "SAML", "email_trust": "always", "email_domains": ["x.example"]},
            "signinwithapple": {"type": "OIDC"},
        }
        report = _audit(pool_id, json.dumps(settings))
        found = {
            f.detail.split(":")[0]: f.detail
            for f in report.findings
            if f.kind == "provider_type_mismatch"
        }
        assert set(found) == {"Corp", "Facebook", "signinwithapple"}, found
        assert "the pool's provider Corp is of type OIDC" in found["Corp"]
        assert "provider_type_mismatch" in found["Corp"]
        assert 'with type "Facebook"' in found["Facebook"]
        assert "only Cognito's SignInWithApple provider" in found["signinwithapple"]
        assert report.counts()["provider_type_mismatch"] == 3
        assert "provider_type_mismatch: Corp" in report.summary()
        audit_args = ["audit", "--user-pool-id", pool_id, "--rate-share", "1"]
        assert main([*audit_args, "--identity-providers", json.dumps(settings)]) == 1
        # Read from the function too, where the triggers themselves may refuse to load it.
        wired = _pool(
            double,
            pre_sign_up=_function(
                "google-as-oidc", {"IDENTITY_PROVIDERS": json.dumps({"Google": {"type": "OIDC"}})}
            ),
        )
        from_function = _audit(wired)
        assert [f.detail.split(":")[0] for f in from_function.findings] == ["Google"]
        matching = {
            "Google": {"type": "Google"},
            "Corp": {"type": "OIDC", "subject_attribute": "custom:idp_sub"},
        }
        assert main([*audit_args, "--identity-providers", json.dumps(matching)]) == 0
        capsys.readouterr()


def test_an_email_verified_mapping_that_names_no_claim_is_a_finding() -> None:
    with in_memory_cognito() as double:
        for value in (
            "",
            " ",
            "true",
            "False",
            " email_verified",
            "email_verified\x00",
            "\u200bemail_verified",
            "\ufeffemail_verified",
        ):
            pool_id = _pool(double, google={**GOOGLE_MAPPING, "email_verified": value})
            report = _audit(pool_id)
            assert _results(report, "CKV_COGFED_2") == {"identity provider Google": "FAILED"}, value
            assert "names no claim" in _messages(report, "CKV_COGFED_2")
        assert set(_results(_audit(_pool(double)), "CKV_COGFED_2").values()) == {"PASSED"}


def test_a_provider_linked_under_an_email_trust_its_type_lacks_is_a_finding(capsys) -> None:
    settings = {
        "Google": {"type": "Google"},
        # Facebook is never evidence of who owns an email; SAML only with `always`.
        "Facebook": {"type": "Facebook"},
        "Corp": {"type": "SAML", "email_domains": ["example.com"]},
        "Quiet": {"type": "SAML", "link_by_email": False},
        "Dir": {"type": "SAML", "email_trust": "always", "email_domains": ["example.com"]},
    }
    with in_memory_cognito() as double:
        pool_id = _pool(double, pre_sign_up=_function("pre-signup", {"IDENTITY_PROVIDERS": "{}"}))
        report = _audit(pool_id, json.dumps(settings))
        found = {
            f.detail.split(":")[0]: f for f in report.findings if f.kind == "provider_cannot_vouch"
        }
        assert set(found) == {"Facebook", "Corp"}
        assert "never evidence of who owns an email" in found["Facebook"].detail
        assert "email_trust_modes are always" in found["Corp"].detail
        assert "refuses every automatic link" in found["Corp"].detail
        assert report.counts()["provider_cannot_vouch"] == 2
        assert "provider_cannot_vouch: Facebook" in report.summary()
        code = main(
            [
                "audit",
                "--user-pool-id",
                pool_id,
                "--rate-share",
                "1",
                "--identity-providers",
                json.dumps({k: v for k, v in settings.items() if k in ("Google", "Dir", "Quiet")}),
            ]
        )
        assert code == 0, capsys.readouterr().out
        capsys.readouterr()
