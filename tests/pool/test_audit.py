"""`cogfed-pool audit` finds every planted problem and nothing else, and judges the live
configuration with the gate's rules."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict

from cogfed_pool.audit import KINDS, audit, why_not_linked
from cogfed_pool.live_config import read_config
from cogfed_pool.progress import Silent
from cogfed_pool.trigger_rules import PoolUser
from cogfed_tools import synthetic_pool


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
