"""One JSON line per decision, with emails and subjects never in clear."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.cognito_double import FederatedSignInSimulator
from tests.triggers.assertions import claims

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
    expected_hash = hashlib.sha256(EMAIL.lower().encode()).hexdigest()[:12]
    assert decisions[0]["email"] == {"domain": "example.com", "hash": expected_hash}
    assert all(isinstance(d["ts"], float) for d in decisions)


def test_log_level_filters_routine_lines(sim: FederatedSignInSimulator) -> None:
    sim.environment_overrides["LOG_LEVEL"] = "WARNING"
    sim.native_sign_up("quiet@example.com")

    linked = sim.federated_sign_in("Google", "201", claims("quiet@example.com"))
    refused = sim.federated_sign_in("Google", "202", claims("quiet@example.com", verified=False))

    assert linked.signed_in and linked.decisions == []
    assert [d["decision"] for d in refused.decisions] == ["refused"]
