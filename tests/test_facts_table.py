"""lambda_src/cognito_facts.json is the one place the Cognito facts code uses are written.

The module's HCL, the triggers, the policy checks and the test double read it; no product
file may keep its own list of provider types, standard attributes and the like. A copy is
found as a run of quoted strings holding most of a list's members.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TABLE = REPO / "lambda_src" / "cognito_facts.json"
FACTS = json.loads(TABLE.read_text(encoding="utf-8"))
TYPES = FACTS["provider_types"]

LISTS = {
    "provider types": set(TYPES),
    "social provider types": {t for t, f in TYPES.items() if f["social"]},
    "providers that send email_verified": {
        t for t, f in TYPES.items() if f["sends_email_verified"]
    },
    "standard attributes": set(FACTS["standard_attributes"]),
    "attributes no client may write": set(FACTS["never_client_writable"]),
    "types whose subjects survive lower-casing": {
        t for t, f in TYPES.items() if f["subject_case_safe"]
    },
    "types the caller names": {t for t, f in TYPES.items() if not f["social"]},
}
QUOTED = re.compile(r'"([^"\\\n]*)"')


def product_files() -> list[Path]:
    patterns = [
        "*.tf",
        "modules/*/*.tf",
        "examples/*/*.tf",
        "lambda_src/*.py",
        "policies/*.py",
        "cogfed_gate/*.py",
        "cogfed_tools/cognito_double/*.py",
    ]
    return sorted({p for pattern in patterns for p in REPO.glob(pattern)})


def copies(text: str) -> list[str]:
    """The lists of LISTS that `text` spells out, in any letter case: most of the members
    among a few quoted strings in a row (all of them for a short list)."""
    strings = [s.lower() for s in QUOTED.findall(text)]
    found = []
    for name, listed in LISTS.items():
        members = {m.lower() for m in listed}
        needed = len(members) if len(members) <= 4 else math.ceil(0.6 * len(members))
        # a pair only side by side: two type names near each other are common otherwise
        window = len(members) if len(members) <= 2 else len(members) + 4
        for start in range(len(strings)):
            if len(members & set(strings[start : start + window])) >= needed:
                found.append(name)
                break
    return found


def test_the_detector_finds_a_copy() -> None:
    assert copies('contains(["Google", "SignInWithApple", "OIDC"], idp.type)') == [
        "providers that send email_verified"
    ]
    standard = ", ".join(f'"{name}"' for name in sorted(FACTS["standard_attributes"])[:15])
    assert "standard attributes" in copies(f"STANDARD = frozenset({{{standard}}})")
    assert copies('contains(["google", "facebook", "loginwithamazon", "signinwithapple"], x)')
    # CONTRACT §2's rule names two of the three email_verified senders: not a copy.
    assert copies('EMAIL_VERIFIED_PROVIDER_TYPES = frozenset({"Google", "OIDC"})') == []


@pytest.mark.parametrize("path", product_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_product_file_keeps_its_own_copy(path: Path) -> None:
    assert copies(path.read_text(encoding="utf-8")) == [], path


def test_every_reader_reads_the_table() -> None:
    readers = [
        "main.tf",
        "variables.tf",
        "modules/app-clients/main.tf",
        "modules/identity-providers/main.tf",
        "modules/triggers/variables.tf",
        "lambda_src/cognito_facts.py",
        "policies/cogfed_rules.py",
    ]
    for reader in readers:
        assert "cognito_facts.json" in (REPO / reader).read_text(encoding="utf-8"), reader
    # The checks ship with the gate: policies/ holds a link to the table, not a copy.
    link = REPO / "policies" / "cognito_facts.table"
    assert link.is_symlink() and link.resolve() == TABLE.resolve()


def test_the_triggers_rules_and_double_agree_with_the_table() -> None:
    from cogfed_tools.cognito_double import simulator  # puts lambda_src/ on sys.path

    sys.path.insert(0, str(REPO / "policies"))
    import cogfed_rules
    from cognito_facts import PROVIDER_TYPES, SENDS_EMAIL_VERIFIED, SOCIAL_TYPES

    assert LISTS["provider types"] == PROVIDER_TYPES
    assert LISTS["social provider types"] == SOCIAL_TYPES
    assert SENDS_EMAIL_VERIFIED == simulator.SENDS_EMAIL_VERIFIED
    assert LISTS["providers that send email_verified"] == SENDS_EMAIL_VERIFIED
    assert LISTS["standard attributes"] == cogfed_rules.STANDARD_ATTRIBUTES
    assert LISTS["attributes no client may write"] == cogfed_rules.NEVER_WRITABLE
    assert cogfed_rules.EMAIL_VERIFIED_PROVIDER_TYPES <= SENDS_EMAIL_VERIFIED
