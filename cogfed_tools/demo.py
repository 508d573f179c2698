"""The offline rehearsal: `examples/complete` checked, gated and signed in to, end to end.

1. The Terraform of the repository (root, modules, examples) passes the offline checks.
2. The policy gate passes `examples/complete` in both modes (checkov on the source, and
   Terraform's own plan), and fails the seed thread's setup written as plain resources (its
   `custom:sub` mapping, which the module's input validation refuses), with messages a
   reviewer can act on.
3. `examples/complete` is planned by Terraform core; its pool, identity providers,
   attribute mappings and trigger configuration are read from that plan.
4. Sign-ins play against the Cognito test double with the real triggers from
   `lambda_src/`, configured as planned: a native sign-up, Google, LinkedIn (OIDC) with a
   mixed-case subject, the SAML directory with a mixed-case NameID, returning sign-ins, a
   brand-new user, and an attacker asserting the victim's email unverified.
5. The same sign-ins against a case-insensitive pool without the subject mapping and the
   seed's naive trigger show the duplicate users the seed report describes.

Every step says what it does; any expectation not met ends the run with exit code 1 and
the reason. Run it with `make demo` (or `python -m cogfed_tools.demo`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cogfed_tools.example_plan import PlannedFederation, plan_example
from cogfed_tools.offline_checks import REPO_ROOT, check_tree

EXAMPLE = REPO_ROOT / "examples" / "complete"
SUBJECT_ATTRIBUTE = "custom:idp_sub"
SAML_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
SAML_GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
# The seed thread's setup as a team would write it without the module: a case-insensitive
# pool whose LinkedIn subject is copied into `custom:sub` (seed thread, "add sub into custom
# mapping").
SEED_SETUP = """\
resource "aws_cognito_user_pool" "pool" {
  name = "seed-setup"

  username_configuration {
    case_sensitive = false
  }

  schema {
    name                = "sub"
    attribute_data_type = "String"
    mutable             = true

    string_attribute_constraints {
      min_length = 1
      max_length = 256
    }
  }
}

resource "aws_cognito_identity_provider" "linkedin" {
  user_pool_id  = aws_cognito_user_pool.pool.id
  provider_name = "linkedin"
  provider_type = "OIDC"

  provider_details = {
    client_id                 = "86abcdef123456"
    client_secret             = "not-a-secret"
    oidc_issuer               = "https://www.linkedin.com/oauth"
    authorize_scopes          = "openid email profile"
    attributes_request_method = "GET"
  }

  attribute_mapping = {
    email        = "email"
    username     = "sub"
    "custom:sub" = "sub"
  }
}
"""
BROKEN_EXPECTED = ("CKV_COGFED_3", "CKV_COGFED_2")
SHORT_NAMES = {
    "ListUsers": "List",
    "AdminCreateUser": "Create",
    "AdminSetUserPassword": "SetPassword",
    "AdminLinkProviderForUser": "Link",
    "AdminGetUser": "Get",
    "AdminUpdateUserAttributes": "UpdateAttributes",
}


class ExpectationFailed(Exception):
    pass


def say(text: str) -> None:
    print(text, flush=True)


def expect(condition: bool, reason: str) -> None:
    if not condition:
        raise ExpectationFailed(reason)


# ------------------------------------------------------------------------------- the gate


def start_gate(*arguments: str) -> subprocess.Popen[str]:
    """The gate in a child process, so it runs while Terraform does its part."""
    return subprocess.Popen(
        [sys.executable, "-m", "cogfed_gate.gate", *arguments],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def seed_setup(workdir: Path) -> Path:
    """A Terraform root holding the seed thread's setup."""
    root = workdir / "seed-setup"
    root.mkdir()
    (root / "main.tf").write_text(SEED_SETUP, encoding="utf-8")
    return root


def plan_gate(workdir: Path) -> str:
    """The recommended gate: examples/complete planned (offline), then `cogfed-gate --plan`."""
    from cogfed_tools.offline_plan import plan_json_text

    plan = workdir / "plan.json"
    plan.write_text(plan_json_text(EXAMPLE), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cogfed_gate.gate", "--plan", str(plan), "--root", str(EXAMPLE)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    expect(done.returncode == 0, "the plan gate failed examples/complete:\n" + done.stdout)
    return done.stdout


def gate_failures(output: str) -> list[str]:
    """The gate's failure blocks: a FAILED line and its indented details."""
    blocks: list[str] = []
    inside = False
    for line in output.splitlines():
        if line.startswith("FAILED "):
            blocks.append(line)
            inside = True
        elif inside and line.startswith("  "):
            blocks[-1] += "\n" + line
        else:
            inside = False
    return blocks


# ------------------------------------------------------------------------------ sign-ins


@dataclass(frozen=True)
class SignIn:
    who: str
    through: str  # ProviderName, or "email + password"
    subject: str = ""
    claims: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass
class Row:
    step: int
    sign_in: SignIn
    tokens_for: str
    calls: str
    outcome: str


def scenario() -> list[SignIn]:
    alice, bob = "alice@example.com", "bob@example.com"
    linkedin_subject = "Xq7RmP2aBc"  # LinkedIn subjects are mixed-case
    alice_name_id = "AaF3c9E1-7Bd2-4C55-9E0a-2F6B1C8D7E4F"  # the directory's object ID
    bob_name_id = "B0b5E1d2-9Ac4-4F77-8D1b-3E7C2A9F6D5B"

    def saml(email: str, name_id: str, given_name: str) -> dict[str, str]:
        return {
            SAML_EMAIL: email,
            SAML_GIVEN_NAME: given_name,
            # The directory sends the NameID's value in this attribute too (the example
            # maps it into custom:idp_sub).
            "http://schemas.microsoft.com/identity/claims/objectidentifier": name_id,
        }

    def oidc(email: str, verified: str) -> dict[str, str]:
        return {"email": email, "email_verified": verified, "given_name": email.split("@")[0]}

    return [
        SignIn("alice", "email + password", note="native sign-up"),
        SignIn("alice", "Google", "108378475395871231834", oidc(alice, "true")),
        SignIn("alice", "LinkedIn", linkedin_subject, oidc(alice, "true"), "mixed-case subject"),
        SignIn(
            "alice",
            "Corporate",
            alice_name_id,
            saml(alice, alice_name_id, "Alice"),
            "SAML, mixed-case NameID",
        ),
        SignIn("alice", "LinkedIn", linkedin_subject, oidc(alice, "true"), "returning"),
        SignIn(
            "alice", "Corporate", alice_name_id, saml(alice, alice_name_id, "Alice"), "returning"
        ),
        SignIn("bob", "Corporate", bob_name_id, saml(bob, bob_name_id, "Bob"), "new user"),
        SignIn(
            "mallory",
            "LinkedIn",
            "MaL1c3Sub9",
            oidc(alice, "false"),
            "asserts alice's email, unverified",
        ),
    ]


def play(
    federation: PlannedFederation,
    *,
    subject_mapping: bool,
    naive: bool,
) -> tuple[list[Row], dict[str, Any]]:
    """Play the scenario against a pool configured as planned (or as the seed had it)."""
    # Imported here: the double lives with the tests and puts lambda_src/ on sys.path.
    sys.path.insert(0, str(REPO_ROOT))
    from cogfed_tools.cognito_double import (
        FederatedSignInSimulator,
        in_memory_cognito,
        naive_pre_signup_handler,
    )

    rows: list[Row] = []
    with in_memory_cognito() as double:
        pool_id = double.create_pool(
            "demo",
            case_sensitive=federation.case_sensitive,
            custom_attributes=federation.custom_attributes,
        )
        sim = FederatedSignInSimulator(
            double,
            pool_id,
            pre_signup=naive_pre_signup_handler if naive else None,
            pre_token=(lambda event, context: event) if naive else None,
        )
        for name, idp in federation.identity_providers.items():
            mapping = dict(idp["attribute_mapping"])
            if not subject_mapping:
                mapping.pop(SUBJECT_ATTRIBUTE, None)
            sim.add_identity_provider(name, idp["type"], attribute_mapping=mapping, configure=False)
        # The triggers' configuration exactly as Terraform planned it for the functions.
        sim.identity_providers_override = federation.trigger_environment["IDENTITY_PROVIDERS"]

        labels: dict[str, str] = {}  # sub -> whose user it is, as a reader would say
        users_per_email: dict[str, int] = {}
        for step, sign_in in enumerate(scenario(), start=1):
            if sign_in.through == "email + password":
                user = sim.native_sign_up(f"{sign_in.who}@example.com")
                users_per_email[sign_in.who] = 1
                labels[user.sub] = f"{sign_in.who}'s native user"
                rows.append(Row(step, sign_in, labels[user.sub], "0", "signed up"))
                continue
            result = sim.federated_sign_in(sign_in.through, sign_in.subject, sign_in.claims)
            calls = ", ".join(
                SHORT_NAMES.get(op, op) + (f" x{n}" if n > 1 else "")
                for op, n in sorted(result.cognito_calls.items())
            )
            count = str(result.total_cognito_calls) + (f": {calls}" if calls else "")
            if not result.signed_in:
                rows.append(Row(step, sign_in, "-", count, f"refused: {result.message}"))
                continue
            if result.sub not in labels:
                owner = sign_in.claims.get("email", sign_in.who).split("@")[0]
                known = users_per_email.get(owner, 0)
                users_per_email[owner] = known + 1
                labels[result.sub] = (
                    f"ANOTHER user with {owner}'s email" if known else f"{owner}'s new user"
                )
            rows.append(Row(step, sign_in, labels[result.sub], count, "signed in"))
        users = double.users(pool_id)
        summary = {
            "users": len(users),
            "alice_users": len(double.users_with_email(pool_id, "alice@example.com")),
            "alice_identities": sorted(
                f"{provider}:{subject}"
                for user in double.users_with_email(pool_id, "alice@example.com")
                if not user.is_federated
                for provider, subject in user.linked
            ),
        }
    return rows, summary


def print_table(title: str, rows: list[Row]) -> None:
    headers = ("#", "who", "through", "note", "tokens for", "Cognito calls", "outcome")
    cells = [
        (
            str(r.step),
            r.sign_in.who,
            r.sign_in.through,
            r.sign_in.note,
            r.tokens_for,
            r.calls,
            r.outcome,
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    widths[-1] = len(headers[-1])  # the outcome column runs free
    say(f"\n{title}")
    say("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    say("  " + "  ".join("-" * w for w in widths))
    for cell in cells:
        say("  " + "  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)))


def check_fixed(rows: list[Row], summary: dict[str, Any]) -> None:
    by_step = {r.step: r for r in rows}
    for step in (2, 3, 4, 5, 6):
        expect(
            by_step[step].tokens_for == "alice's native user",
            f"step {step} ({by_step[step].sign_in.through}): tokens are for "
            f"{by_step[step].tokens_for!r}, not alice's one user",
        )
    expect(
        by_step[5].calls == "0",
        f"a returning LinkedIn sign-in made Cognito calls: {by_step[5].calls}",
    )
    expect(
        by_step[7].tokens_for == "bob's new user", f"bob's first sign-in: {by_step[7].tokens_for}"
    )
    expect(
        by_step[8].outcome.startswith("refused"),
        f"the attacker was not refused: {by_step[8].outcome}",
    )
    expect(summary["users"] == 2, f"{summary['users']} users in the pool, expected alice and bob")
    expect(
        len(summary["alice_identities"]) == 3,
        f"alice's user holds {summary['alice_identities']}, expected Google, LinkedIn, Corporate",
    )


def check_broken(rows: list[Row], summary: dict[str, Any]) -> None:
    by_step = {r.step: r for r in rows}
    for step in (3, 4):
        expect(
            by_step[step].tokens_for == "ANOTHER user with alice's email",
            f"without the subject mapping step {step} should land on a duplicate user, "
            f"landed on {by_step[step].tokens_for!r}",
        )
    expect(summary["alice_users"] > 1, "without the subject mapping alice should have duplicates")


# ----------------------------------------------------------------------------------- main


def timed(label: str, action: Callable[[], Any]) -> Any:
    started = time.monotonic()
    say(f"\n== {label}")
    result = action()
    say(f"   done in {time.monotonic() - started:.1f} s")
    return result


def run() -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cogfed-demo-") as tmp:
        workdir = Path(tmp)
        seed = seed_setup(workdir)
        say(
            "Starting the policy gate on examples/complete and on the seed thread's setup "
            "(in the background)"
        )
        gate_ok = start_gate(str(EXAMPLE))
        gate_broken = start_gate(str(seed))

        findings = timed(
            "1. Offline Terraform checks: fmt, and init + validate against the providers' "
            "documented schemas (root, modules, examples)",
            lambda: check_tree(REPO_ROOT, progress=lambda label: say(f"   checked {label}")),
        )
        for finding in findings:
            say(f"   {finding}")
        expect(not findings, f"{len(findings)} offline Terraform findings")
        say("   no findings")

        federation: PlannedFederation = timed(
            "2. Planning examples/complete with Terraform core (mocked providers)",
            lambda: plan_example(EXAMPLE),
        )
        say(
            f"   pool case_sensitive = {str(federation.case_sensitive).lower()}, "
            f"custom attributes {sorted(federation.custom_attributes)}"
        )
        settings = json.loads(federation.trigger_environment["IDENTITY_PROVIDERS"])
        for name, idp in federation.identity_providers.items():
            trust = settings[name]
            subject = idp["attribute_mapping"].get(SUBJECT_ATTRIBUTE, "-")
            say(
                f"   {name:<10} {idp['type']:<7} email_trust={trust['email_trust']:<14} "
                f"domains={trust['email_domains'] or 'any'}  subject copy from: {subject}"
            )

        say("\n== 3. Policy gate (the project's checks, and the gate's proofs)")
        out_ok, _ = gate_ok.communicate()
        say("   examples/complete, static (checkov): " + out_ok.strip().splitlines()[-1])
        expect(gate_ok.returncode == 0, "the gate failed examples/complete:\n" + out_ok)
        out_plan = plan_gate(workdir)
        say("   examples/complete, plan (Terraform): " + out_plan.strip().splitlines()[-1])
        out_broken, _ = gate_broken.communicate()
        say(
            "   the seed thread's setup (LinkedIn subject copied into custom:sub): "
            + out_broken.strip().splitlines()[-1]
        )
        expect(gate_broken.returncode != 0, "the gate passed the seed thread's setup")
        failures = gate_failures(out_broken)
        for block in failures:
            say("   " + block.replace("\n", "\n   "))
        for check_id in BROKEN_EXPECTED:
            expect(any(check_id in b for b in failures), f"the gate did not report {check_id}")

    fixed_rows, fixed = timed(
        "4. Sign-ins against examples/complete as planned, with the triggers from lambda_src/",
        lambda: play(federation, subject_mapping=True, naive=False),
    )
    print_table(
        "Sign-ins, examples/complete (case-insensitive pool, subject copied into custom:idp_sub):",
        fixed_rows,
    )
    check_fixed(fixed_rows, fixed)

    broken_rows, seed = timed(
        "5. The same sign-ins, case-insensitive pool WITHOUT the subject mapping, the seed's "
        "naive trigger",
        lambda: play(federation, subject_mapping=False, naive=True),
    )
    print_table("Sign-ins, the seed report's setup:", broken_rows)
    check_broken(broken_rows, seed)

    say(
        f"\nResult: with the module, {fixed['users']} users for 2 people, alice's user holds "
        f"{len(fixed['alice_identities'])} identities and every sign-in of hers gets her tokens; "
        f"the attacker was refused.\n        Seed setup: {seed['users']} users, "
        f"{seed['alice_users']} of them with alice's email."
    )
    say(f"All expectations met in {time.monotonic() - started:.1f} s.")


def main() -> None:
    try:
        run()
    except ExpectationFailed as failure:
        say(f"\nEXPECTATION NOT MET: {failure}")
        sys.exit(1)


if __name__ == "__main__":
    main()
