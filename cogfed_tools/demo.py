"""The offline rehearsal: `examples/complete` checked, gated and signed in to, end to end.

1. The Terraform of the repository (root, modules, examples) passes the offline checks.
2. The policy gate passes `examples/complete` in both modes (checkov on the source, and
   Terraform's own plan), and fails the seed thread's setup written as plain resources (its
   `custom:sub` mapping, which the module's input validation refuses), with messages a
   reviewer can act on.
3. `examples/complete` is planned by Terraform core (offline provider); its pool, identity
   providers, attribute mappings and trigger configuration are read from that plan, and
   its `archive_file` writes the triggers' zip.
4. Sign-ins play against a Cognito configured as planned: a native sign-up, Google,
   LinkedIn (OIDC) with a mixed-case subject, the SAML directory with a mixed-case NameID,
   returning sign-ins, a brand-new user, and an attacker asserting the victim's email
   unverified. By default the Cognito is the project's test double, with the triggers from
   `lambda_src/`; `--world ministack` plays them in ministack instead, with the packaged zip,
   through its hosted UI (`make demo WORLD=ministack`; see docs/conformance.md).
5. The same sign-ins against a case-insensitive pool without the subject mapping and the
   seed's naive trigger show the duplicate users the seed report describes (in the double:
   ministack does not lower-case usernames, docs/conformance.md M1).

Every step says what it does; any expectation not met ends the run with exit code 1 and
the reason. Run it with `make demo` (or `python -m cogfed_tools.demo [--world ministack]`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cogfed_tools.conformance.double_world import double_world
from cogfed_tools.conformance.planned_pool import PlannedPool, plan_pool
from cogfed_tools.conformance.scenario import (
    DEMO_SIGN_INS,
    REFUSED,
    SUBJECT_ATTRIBUTE,
    Row,
    UserState,
    play,
)
from cogfed_tools.offline_checks import REPO_ROOT, check_tree

EXAMPLE = REPO_ROOT / "examples" / "complete"
WORLDS = ("double", "ministack")
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


def plan_gate(plan: Path) -> str:
    """The recommended gate: `cogfed-gate --plan` on the offline plan of examples/complete."""
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


def summarize(users: list[UserState]) -> dict[str, Any]:
    alice = [u for u in users if u.email.lower() == "alice@example.com"]
    return {
        "users": len(users),
        "alice_users": len(alice),
        "alice_identities": sorted(
            f"{provider}:{subject}"
            for user in alice
            if user.status != "EXTERNAL_PROVIDER"
            for provider, subject in user.identities
        ),
    }


def play_double(
    planned: PlannedPool, *, subject_mapping: bool = True, naive: bool = False
) -> tuple[list[Row], dict[str, Any]]:
    """The demo's sign-ins in the double, configured as planned (or as the seed had it)."""
    with double_world(planned, subject_mapping=subject_mapping, naive=naive) as world:
        return play(world, DEMO_SIGN_INS), summarize(world.users())


def play_confirmed_linking(planned: PlannedPool) -> dict[str, Any]:
    """Nina links LinkedIn herself after the trigger declined to link it by email (LinkedIn
    did not verify her address), through the confirmed-linking endpoint's handler, in the
    double, with LinkedIn set to untrusted_sign_in = "separate_user"."""
    import json

    with double_world(planned) as world:
        sim = world.sim
        settings = json.loads(sim.identity_providers_override or "{}")
        settings["LinkedIn"]["untrusted_sign_in"] = "separate_user"
        sim.identity_providers_override = json.dumps(settings)
        nina_email = "nina@example.com"
        sim.native_sign_up(nina_email)
        nina = sim.password_sign_in(nina_email).username or ""
        claims = {"email": nina_email, "email_verified": "false", "given_name": "nina"}
        declined = sim.federated_sign_in("LinkedIn", "NiNaLi9kd1n", claims)
        separate = declined.username or ""
        answer = sim.call_endpoint(
            "POST /link",
            sim.access_token(nina),
            {"federated_access_token": sim.access_token(separate)},
        )
        replay = sim.call_endpoint(
            "POST /link", sim.access_token(nina), {"federated_access_token": "x.e30.x"}
        )
        return {
            "trigger": next(
                (d["reason"] for d in declined.decisions if d["trigger"] == "pre_signup"), ""
            ),
            "separate_user": declined.federated_user_created and separate != nina,
            "status": answer.status,
            "nina_identities": sorted(
                f"{p}:{s}" for p, s in world.double.user(sim.pool_id, nina).linked
            ),
            "separate_left": separate in {u.username for u in world.double.users(sim.pool_id)},
            "replay_status": replay.status,
        }


def play_ministack(planned: PlannedPool, workdir: Path) -> tuple[list[Row], dict[str, Any]]:
    from cogfed_tools.conformance.ministack_world import ministack_world

    with ministack_world(planned, workdir, progress=say) as world:
        return play(world, DEMO_SIGN_INS), summarize(world.users())


def print_table(title: str, rows: list[Row]) -> None:
    headers = ("#", "who", "through", "note", "tokens for", "Cognito calls", "outcome")
    cells = [
        (
            str(r.step),
            r.sign_in.who,
            r.sign_in.through,
            r.sign_in.note,
            "-" if r.landed == REFUSED else r.landed,
            r.landing.calls,
            r.landing.outcome + (f": {r.landing.message}" if r.landing.message else ""),
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
    for row in rows:
        if row.landing.how:
            say(f"  #{row.step}: {row.landing.how}")


def check_fixed(rows: list[Row], summary: dict[str, Any], *, counts_calls: bool = True) -> None:
    by_key = {r.sign_in.key: r for r in rows}
    for row in rows:
        expect(
            row.landed == row.sign_in.expect,
            f"step {row.step} ({row.sign_in.through}): tokens are for {row.landed!r}, "
            f"expected {row.sign_in.expect!r}",
        )
    returning = by_key["alice-linkedin-again"].landing.calls
    expect(
        returning == "0" or not counts_calls,
        f"a returning LinkedIn sign-in made Cognito calls: {returning}",
    )
    expect(summary["users"] == 2, f"{summary['users']} users in the pool, expected alice and bob")
    expect(
        len(summary["alice_identities"]) == 3,
        f"alice's user holds {summary['alice_identities']}, expected Google, LinkedIn, Corporate",
    )


def check_broken(rows: list[Row], summary: dict[str, Any]) -> None:
    by_key = {r.sign_in.key: r for r in rows}
    for key in ("alice-linkedin", "alice-saml"):
        expect(
            by_key[key].landed == "ANOTHER user with alice's email",
            f"without the subject mapping {key} should land on a duplicate user, "
            f"landed on {by_key[key].landed!r}",
        )
    expect(summary["alice_users"] > 1, "without the subject mapping alice should have duplicates")


# ----------------------------------------------------------------------------------- main


def timed(label: str, action: Callable[[], Any]) -> Any:
    started = time.monotonic()
    say(f"\n== {label}")
    result = action()
    say(f"   done in {time.monotonic() - started:.1f} s")
    return result


def run(world: str = "double") -> None:
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

        planned, plan = timed(
            "2. Planning examples/complete with Terraform core (offline provider)",
            lambda: plan_pool(workdir / "plan", EXAMPLE),
        )
        say(
            f"   pool case_sensitive = {str(planned.case_sensitive).lower()}, "
            f"custom attributes {sorted(planned.custom_attributes)}"
        )
        settings = json.loads(planned.functions["PreSignUp"].environment["IDENTITY_PROVIDERS"])
        for name, idp in planned.identity_providers.items():
            trust = settings[name]
            subject = idp.attribute_mapping.get(SUBJECT_ATTRIBUTE, "-")
            say(
                f"   {name:<10} {idp.type:<7} email_trust={trust['email_trust']:<14} "
                f"domains={trust['email_domains'] or 'any'}  subject copy from: {subject}"
            )
        package = planned.functions["PreSignUp"].package
        say(f"   triggers' package {package.name}: {package.stat().st_size} bytes")

        say("\n== 3. Policy gate (the project's checks, and the gate's proofs)")
        out_ok, _ = gate_ok.communicate()
        # The pre-commit form: an offline plan of each root, else checkov (the line says which).
        say("   examples/complete, `cogfed-gate DIR`: " + out_ok.strip().splitlines()[-1])
        expect(gate_ok.returncode == 0, "the gate failed examples/complete:\n" + out_ok)
        out_plan = plan_gate(plan)
        say("   examples/complete, plan (Terraform): " + out_plan.strip().splitlines()[-1])
        out_broken, _ = gate_broken.communicate()
        say(
            "   the seed thread's setup (LinkedIn subject copied into custom:sub), "
            "`cogfed-gate DIR`: " + out_broken.strip().splitlines()[-1]
        )
        expect(gate_broken.returncode != 0, "the gate passed the seed thread's setup")
        failures = gate_failures(out_broken)
        for block in failures:
            say("   " + block.replace("\n", "\n   "))
        for check_id in BROKEN_EXPECTED:
            expect(any(check_id in b for b in failures), f"the gate did not report {check_id}")

        if world == "ministack":
            fixed_rows, fixed = timed(
                "4. Sign-ins against examples/complete as planned, in ministack (pinned), with "
                "the packaged zip, through its hosted UI and a local identity provider",
                lambda: play_ministack(planned, workdir),
            )
        else:
            fixed_rows, fixed = timed(
                "4. Sign-ins against examples/complete as planned, in the test double, with the "
                "triggers from lambda_src/",
                lambda: play_double(planned),
            )
    print_table(
        "Sign-ins, examples/complete (case-insensitive pool, subject copied into custom:idp_sub):",
        fixed_rows,
    )
    check_fixed(fixed_rows, fixed, counts_calls=world == "double")

    broken_rows, seed_summary = timed(
        "5. The same sign-ins, case-insensitive pool WITHOUT the subject mapping, the seed's "
        "naive trigger"
        + (
            " (in the test double: ministack does not lower-case usernames, docs/conformance.md M1)"
            if world == "ministack"
            else ""
        ),
        lambda: play_double(planned, subject_mapping=False, naive=True),
    )
    print_table("Sign-ins, the seed report's setup:", broken_rows)
    check_broken(broken_rows, seed_summary)

    linking = timed(
        "6. Nina links LinkedIn herself: the trigger declined to link it by email (LinkedIn did "
        'not verify her address; LinkedIn set to untrusted_sign_in = "separate_user"), she '
        "sends both access tokens to the confirmed-linking endpoint (in the test double)",
        lambda: play_confirmed_linking(planned),
    )
    say(
        f"   trigger: {linking['trigger']}; separate user made: {linking['separate_user']}; "
        f"POST /link: {linking['status']}; nina's identities: {linking['nina_identities']}; "
        f"separate user left: {linking['separate_left']}; a bad token: {linking['replay_status']}"
    )
    expect(linking["trigger"] == "separate_user:email_not_verified", "the trigger did not decline")
    expect(linking["separate_user"], "no separate user was made for the declined sign-in")
    expect(linking["status"] == 200, f"POST /link answered {linking['status']}")
    expect(linking["nina_identities"] == ["LinkedIn:NiNaLi9kd1n"], "LinkedIn is not on nina's user")
    expect(not linking["separate_left"], "the separate user was not removed")
    expect(linking["replay_status"] == 401, "a token Cognito does not know was accepted")

    say(
        f"\nResult: with the module, {fixed['users']} users for 2 people, alice's user holds "
        f"{len(fixed['alice_identities'])} identities and every sign-in of hers gets her tokens; "
        f"the attacker was refused.\n        Seed setup: {seed_summary['users']} users, "
        f"{seed_summary['alice_users']} of them with alice's email."
    )
    say(f"All expectations met in {time.monotonic() - started:.1f} s.")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="make demo", description="The offline rehearsal.")
    parser.add_argument(
        "--world",
        choices=WORLDS,
        default="double",
        help="the Cognito the sign-ins of step 4 play in (default: the project's test double; "
        "ministack is started and stopped by the run)",
    )
    args = parser.parse_args(argv)
    try:
        run(args.world)
    except ExpectationFailed as failure:
        say(f"\nEXPECTATION NOT MET: {failure}")
        sys.exit(1)


if __name__ == "__main__":
    main()
