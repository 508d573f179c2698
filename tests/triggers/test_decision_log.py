"""One JSON line per decision, with emails and subjects never in clear."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cogfed_tools.cognito_double import FederatedSignInSimulator
from tests.triggers.assertions import claims, decision

EMAIL = "Private.Person@Example.com"
SUBJECT = "SecretSubject42"


def test_each_decision_is_one_masked_json_line(sim: FederatedSignInSimulator, capsys: Any) -> None:
    sim.native_sign_up(EMAIL)
    idp_claims = claims(EMAIL, sub=SUBJECT)

    outcomes = [
        sim.federated_sign_in("LinkedIn", SUBJECT, idp_claims),  # linked
        sim.federated_sign_in("Google", "101", claims("new.person@example.com")),  # created
        sim.federated_sign_in("Google", "102", claims(EMAIL, verified=False)),  # refused
    ]

    decisions = [d for r in outcomes for d in r.decisions if d["trigger"] == "pre_signup"]
    assert [d["decision"] for d in decisions] == ["linked", "created_and_linked", "refused"]
    assert decisions[2]["reason"] == "email_not_verified"
    text = json.dumps(decisions)
    for secret in (EMAIL, EMAIL.lower(), SUBJECT, SUBJECT.lower(), "new.person"):
        assert secret not in text
    # One mailbox, one fingerprint, whatever the ASCII case the IdP sent it in.
    assert decisions[0]["email"]["domain"] == "example.com"
    assert decisions[0]["email"]["hash"] == decisions[2]["email"]["hash"]
    assert all(isinstance(d["ts"], float) for d in decisions)


def test_fingerprints_are_keyed_so_a_list_of_addresses_does_not_reverse_them(
    sim: FederatedSignInSimulator,
) -> None:
    # A bare hash is reversed by hashing known addresses; a keyed one needs the secret.
    sim.environment_overrides["LINKING_SECRET"] = "s" * 32
    sim.native_sign_up(EMAIL)
    result = sim.federated_sign_in("Google", "103", claims(EMAIL))
    fingerprint = decision(result)["email"]["hash"]

    for candidate in (EMAIL, EMAIL.lower()):
        for digest in (hashlib.sha256, hashlib.sha1, hashlib.md5):
            assert digest(candidate.encode()).hexdigest()[: len(fingerprint)] != fingerprint
    assert "linking_secret" not in decision(result)

    sim.environment_overrides["LINKING_SECRET"] = "t" * 32
    sim.native_sign_up("other.person@example.com")
    again = sim.federated_sign_in("Google", "104", claims(EMAIL, verified=False))
    assert decision(again)["email"]["hash"] != fingerprint  # another deployment, another key


def test_a_missing_secret_is_reported_in_the_decision(sim: FederatedSignInSimulator) -> None:
    sim.native_sign_up(EMAIL)

    result = sim.federated_sign_in("Google", "105", claims(EMAIL))

    assert result.signed_in and decision(result)["linking_secret"] == "missing"


def test_log_level_filters_routine_lines(sim: FederatedSignInSimulator) -> None:
    sim.environment_overrides["LOG_LEVEL"] = "WARNING"
    sim.native_sign_up("quiet@example.com")

    linked = sim.federated_sign_in("Google", "201", claims("quiet@example.com"))
    refused = sim.federated_sign_in("Google", "202", claims("quiet@example.com", verified=False))

    assert linked.signed_in and linked.decisions == []
    assert [d["decision"] for d in refused.decisions] == ["refused"]
