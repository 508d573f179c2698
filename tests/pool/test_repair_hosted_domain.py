"""`repair` (and the audit's "why not linked") judge a Google identity's Workspace status on
stored attributes, which cannot show it: the stored hosted domain is the user's own to
rewrite (FACTS §4) and is absent for users created before `hd` was mapped. A Google identity
at a domain that is neither Google's own nor in the provider's email_domains may be a
Workspace account the trigger would refuse, so it is merged only when the operator vouches
for it (--trust-stored-hosted-domains)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cogfed_pool.audit import audit, read_users, why_not_linked
from cogfed_pool.aws import Cognito
from cogfed_pool.cli import main
from cogfed_pool.live_config import CONSUMER_EMAIL_DOMAINS, LiveConfig, read_config
from cogfed_pool.progress import Silent
from cogfed_pool.repair import plan_repair
from cogfed_pool.trigger_rules import FACTS
from cogfed_tools.cognito_double import in_memory_cognito
from tests.pool.applying import apply

HD = FACTS["provider_types"]["Google"]["hosted_domain"]  # {"claim", "attribute"}
GOOGLE_ISSUER = next(p for p, kind in FACTS["oidc_issuer_social_type"].items() if kind == "Google")
MAPPING = {"email": "email", "email_verified": "email_verified", HD["attribute"]: HD["claim"]}
SUBJECT = "108800000000000000077"
LAPSED = "cfo@lapsed.example"


@dataclass
class Pool:
    double: Any
    pool_id: str
    providers: str  # IDENTITY_PROVIDERS

    def cognito(self) -> Cognito:
        return Cognito(self.pool_id, unlimited=True)

    def config(self, cognito: Cognito | None = None) -> LiveConfig:
        return read_config(cognito or self.cognito(), self.providers)


def split_person(
    double: Any,
    email: str,
    *,
    provider: str = "Google",
    provider_type: str = "Google",
    settings: dict[str, Any] | None = None,
    stored_hd: str = "",
) -> Pool:
    """A case-insensitive pool mapping `hd`, a verified native user and a federated user of
    `provider` with the same email, whose stored hosted domain is `stored_hd`."""
    pool_id = double.create_pool(
        "hd",
        case_sensitive=False,
        custom_attributes={"idp_sub": True, HD["attribute"].removeprefix("custom:"): True},
    )
    details = {"oidc_issuer": GOOGLE_ISSUER} if provider_type == "OIDC" else None
    double.add_identity_provider(pool_id, provider, provider_type, MAPPING, details)
    double.put_user(pool_id, "native", attributes={"email": email, "email_verified": "true"})
    identity = {
        "userId": SUBJECT,
        "providerName": provider,
        "providerType": provider_type,
        "primary": True,
        "issuer": None,
        "dateCreated": 1,
    }
    attributes = {"email": email, "email_verified": "true", "identities": json.dumps([identity])}
    if stored_hd:
        attributes[HD["attribute"]] = stored_hd
    double.put_user(
        pool_id, f"{provider.lower()}_{SUBJECT}", status="EXTERNAL_PROVIDER", attributes=attributes
    )
    entry = settings or {"type": provider_type}
    if provider_type == "OIDC":
        entry = {"subject_attribute": "custom:idp_sub", **entry}
    return Pool(double, pool_id, json.dumps({provider: entry}))


def plan(pool: Pool, **flags: bool) -> dict[str, Any]:
    cognito = pool.cognito()
    users = read_users(cognito, Silent("u"))
    made = plan_repair(cognito, pool.config(cognito), users, {}, Silent("p"), **flags)
    return json.loads(made.to_json())


def test_a_google_identity_at_an_unlisted_domain_is_not_merged_on_its_stored_hosted_domain(
    tmp_path: Path,
) -> None:
    with in_memory_cognito() as double:
        pool = split_person(double, LAPSED)  # no stored hosted domain: looks like a consumer
        refused = plan(pool)
        assert refused["people"] == []
        (reason,) = [r["reason"] for r in refused["refused"]]
        assert "lapsed.example is neither a Google consumer domain nor in" in reason
        assert HD["attribute"] in reason and "--trust-stored-hosted-domains" in reason

        trusted = plan(pool, trust_stored_hosted_domains=True)
        assert [p["email"] for p in trusted["people"]] == [LAPSED]
        # The apply checks again: without the flag it merges nothing.
        result, _ = apply(pool, trusted, tmp_path)
        assert not result.done and result.skipped, result.describe()
        assert "--trust-stored-hosted-domains" in result.describe()
        assert len(double.users(pool.pool_id)) == 2


def test_the_command_refuses_and_names_the_flag(tmp_path: Path, capsys) -> None:
    with in_memory_cognito() as double:
        pool = split_person(double, LAPSED)
        base = ["repair", "--user-pool-id", pool.pool_id, "--rate-share", "1"]
        base += ["--identity-providers", pool.providers, "--out", str(tmp_path / "plan.json")]
        assert main(base) == 1
        assert "--trust-stored-hosted-domains" in capsys.readouterr().out
        assert main([*base, "--trust-stored-hosted-domains"]) == 0
        capsys.readouterr()


@pytest.mark.parametrize("domain", sorted(CONSUMER_EMAIL_DOMAINS["Google"]))
def test_a_google_consumer_address_is_merged(domain: str) -> None:
    with in_memory_cognito() as double:
        document = plan(split_person(double, f"someone@{domain}"))
        assert [p["email"] for p in document["people"]] == [f"someone@{domain}"]


def test_a_domain_the_provider_lists_is_merged() -> None:
    settings = {"type": "Google", "email_domains": ["lapsed.example"]}
    with in_memory_cognito() as double:
        document = plan(split_person(double, LAPSED, settings=settings))
        assert [p["email"] for p in document["people"]] == [LAPSED]


def test_google_set_up_as_oidc_is_judged_as_google() -> None:
    with in_memory_cognito() as double:
        pool = split_person(double, LAPSED, provider="GoogleOIDC", provider_type="OIDC")
        document = plan(pool)
        assert document["people"] == []
        (reason,) = [r["reason"] for r in document["refused"]]
        assert "an OIDC provider at Google's issuer" in reason


def test_a_stored_workspace_domain_is_still_refused_by_the_trigger() -> None:
    with in_memory_cognito() as double:
        document = plan(split_person(double, LAPSED, stored_hd="lapsed.example"))
        (reason,) = [r["reason"] for r in document["refused"]]
        assert "the trigger would refuse" in reason


def test_the_audit_says_the_hosted_domain_is_unknown() -> None:
    with in_memory_cognito() as double:
        pool = split_person(double, LAPSED)
        report = audit(pool.cognito(), pool.config(), Silent("users"))
        (split,) = [f for f in report.findings if f.kind == "split_person"]
        (reason,) = split.reasons.values()
        assert reason.startswith("untrusted email: hosted_domain_unknown (")
        consumer = split_person(double, "someone@gmail.com")
        config = consumer.config()
        federated, native = _users(consumer)
        assert why_not_linked(federated, [native], config).startswith("not linked by the trigger")


def _users(pool: Pool) -> tuple[Any, Any]:
    users = {u.username: u for u in read_users(pool.cognito(), Silent("u"))}
    return users[f"google_{SUBJECT}"], users["native"]
