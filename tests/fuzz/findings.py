"""The fuzzer's findings against the unfixed triggers, as step sequences to replay.

Each is the shrunk sequence `make fuzz` printed (or the issue's scenario written in the
machine's steps). Replayed by `test_fuzz.py`: every invariant must hold on them now.
"""

from __future__ import annotations

from typing import Any

from .world import PoolConfig


def pool(**changes: Any) -> PoolConfig:
    settings: dict[str, Any] = {
        "shape": "email-username",
        "case_sensitive": False,
        "token_version": "V2_0",
        "google_links": True,
        "linkedin_subject": "mapped",
        "okta_subject_mapped": False,
        "okta_maps_always_true_verified": False,
        "partner_maps_subject": False,
        "partner_configured": False,
    }
    settings.update(changes)
    return PoolConfig(**settings)


Step = tuple[str, dict[str, Any]]

KIM_GOOGLE: Step = (
    "sign_in",
    {
        "person": "kim",
        "provider": "Google",
        "slot": 0,
        "choice": "own",
        "pick": 0,
        "victim": "kim",
        "variant": "as-is",
        "verified": "true",
        "retries": 0,
    },
)
KELVIN_GOOGLE: Step = (
    "attacker_sign_in",
    {
        "provider": "Google",
        "slot": 0,
        "choice": "lookalike",
        "pick": 0,
        "victim": "kim",
        "variant": "as-is",
        "verified": "true",
    },
)


def _attacker_own(provider: str) -> Step:
    return (
        "attacker_sign_in",
        {
            "provider": provider,
            "slot": 0,
            "choice": "own",
            "pick": 0,
            "victim": "kim",
            "variant": "as-is",
            "verified": "true",
        },
    )


REWRITE_TO_KIM: Step = (
    "attacker_rewrite",
    {"index": 0, "pick": 0, "victim": "kim", "variant": "as-is"},
)
OWNER_GOOGLE: Step = (
    "owner_sign_in",
    {"index": 0, "provider": "Google", "slot": 0, "variant": "as-is", "retries": 0},
)

# name -> (pool, steps, the invariants that caught it before the fix)
FINDINGS: dict[str, tuple[PoolConfig, list[Step], str]] = {
    # Path 1: KELVIN SIGN. The victim first, then the attacker's look-alike is linked to it.
    "kelvin-attacker-joins-victim": (pool(), [KIM_GOOGLE, KELVIN_GOOGLE], "1, 2"),
    # Path 1, other order: the victim's Google sign-in lands in the attacker's account (a
    # free-form pool: where email is the username, the look-alike is no valid username).
    "kelvin-victim-joins-attacker": (
        pool(shape="free-form"),
        [KELVIN_GOOGLE, KIM_GOOGLE],
        "1, 2",
    ),
    # Path 2: a tenant of Entra links its own address, then rewrites the email to the
    # victim's; the victim's Google sign-in is linked into the attacker's account.
    "entra-rewrites-email": (
        pool(),
        [_attacker_own("Entra"), REWRITE_TO_KIM, OWNER_GOOGLE],
        "1, 2",
    ),
    # Path 2 with a directory trusted "always" that maps an always-true email_verified.
    "okta-rewrites-email": (
        pool(okta_maps_always_true_verified=True, okta_subject_mapped=True),
        [_attacker_own("Okta"), REWRITE_TO_KIM, OWNER_GOOGLE],
        "1, 2",
    ),
    # Path 3: an unconfigured Okta_Partner with NameID 7 is taken for Okta's Partner_7 and
    # linked to the executive's account; Okta's real Partner_7 (bob) then gets its tokens.
    "okta-partner-prefix": (
        pool(case_sensitive=True),
        [
            (
                "native_sign_up",
                {
                    "person": "kim",
                    "choice": "own",
                    "pick": 1,
                    "victim": "kim",
                    "variant": "as-is",
                    "verified": True,
                    "confirmed": True,
                },
            ),
            (
                "attacker_sign_in",
                {
                    "provider": "Okta_Partner",
                    "slot": 0,
                    "choice": "victim",
                    "pick": 1,
                    "victim": "kim",
                    "variant": "as-is",
                    "verified": "true",
                },
            ),
            (
                "sign_in",
                {
                    "person": "bob",
                    "provider": "Okta",
                    "slot": 0,
                    "choice": "own",
                    "pick": 1,
                    "victim": "bob",
                    "variant": "as-is",
                    "verified": "true",
                    "retries": 0,
                },
            ),
        ],
        "1",
    ),
    # Verification laundering: in a pool that applies email changes unverified, a user whose
    # only identity is trusted `always` points her email at a colleague's address; her next
    # token restored email_verified on it (`make fuzz` against the triggers before the
    # restore looked at the pool's setting).
    "self-service-laundering": (
        pool(okta_subject_mapped=True, hold_email_changes=False),
        [
            (
                "sign_in",
                {
                    "person": "bob",
                    "provider": "Okta",
                    "slot": 1,
                    "choice": "own",
                    "pick": 0,
                    "victim": "bob",
                    "variant": "as-is",
                    "verified": "true",
                    "retries": 0,
                },
            ),
            (
                "own_email_change",
                {"index": 0, "choice": "victim", "pick": 1, "victim": "kim", "variant": "as-is"},
            ),
            ("refresh", {"index": 0}),
        ],
        "7, 8",
    ),
    # A Google Workspace on kim's lapsed company domain, now the attacker's, vouches for kim's
    # old address: it was linked into kim's account.
    "workspace-on-a-lapsed-domain": (
        pool(),
        [
            (
                "native_sign_up",
                {
                    "person": "kim",
                    "choice": "own",
                    "pick": 2,
                    "victim": "kim",
                    "variant": "as-is",
                    "verified": True,
                    "confirmed": True,
                },
            ),
            (
                "attacker_sign_in",
                {
                    "provider": "Google",
                    "slot": 1,
                    "choice": "victim",
                    "pick": 2,
                    "victim": "kim",
                    "variant": "as-is",
                    "verified": "true",
                },
            ),
        ],
        "1, 2, 9",
    ),
    # The same Workspace, linked to the attacker's own account by an administrator (or by a
    # trigger before Workspace accounts needed a listed domain), rewrites its email to kim's
    # old address on her next Google sign-in: kim's LinkedIn sign-in was then linked into the
    # attacker's account, whose stored hosted domain the destination check did not read.
    "workspace-identity-on-the-destination": (
        pool(),
        [
            (
                "native_sign_up",
                {
                    "person": "mal",
                    "choice": "own",
                    "pick": 0,
                    "victim": "mal",
                    "variant": "as-is",
                    "verified": True,
                    "confirmed": True,
                },
            ),
            ("admin_link", {"person": "mal", "provider": "Google", "slot": 1}),
            (
                "returning_sign_in",
                {
                    "index": 0,
                    "choice": "victim",
                    "pick": 2,
                    "victim": "kim",
                    "variant": "as-is",
                    "verified": "true",
                },
            ),
            (
                "sign_in",
                {
                    "person": "kim",
                    "provider": "LinkedIn",
                    "slot": 0,
                    "choice": "own",
                    "pick": 2,
                    "victim": "kim",
                    "variant": "as-is",
                    "verified": "true",
                    "retries": 0,
                },
            ),
        ],
        "1, 2, 9",
    ),
}


def _admin_linked_workspace(pick: int) -> tuple[PoolConfig, list[Step], str]:
    """Ann's account (made by her LinkedIn sign-in), her Workspace account linked to it by an
    administrator, then her consumer Google sign-in: linked at her gmail.com address (no
    Workspace account holds one), refused at her tenant.example one (a linked Google identity
    may be a Workspace of that unlisted domain, and a stored hosted domain is only a hint)."""
    own = {"choice": "own", "pick": pick, "victim": "ann", "variant": "as-is", "verified": "true"}
    return (
        pool(),
        [
            ("sign_in", {"person": "ann", "provider": "LinkedIn", "slot": 0, **own, "retries": 0}),
            ("admin_link", {"person": "ann", "provider": "Google", "slot": 1}),
            ("sign_in", {"person": "ann", "provider": "Google", "slot": 0, **own, "retries": 0}),
        ],
        "1 (the oracle's: an identity that never signed in had written nothing)",
    )


# The Workspace on the destination as above, whose stored hosted domain its user then
# clears herself (a mapped attribute is writable, FACTS §4): the destination check read only
# that hint, and kim's LinkedIn sign-in was linked into the attacker's account.
_destination_config, _destination_steps, _ = FINDINGS["workspace-identity-on-the-destination"]
FINDINGS["cleared-hosted-domain-on-the-destination"] = (
    _destination_config,
    [
        *_destination_steps[:-1],
        ("own_hosted_domain_change", {"index": 0, "value": ""}),
        _destination_steps[-1],
    ],
    "1, 2, 9",
)
FINDINGS["admin-linked-workspace-gmail-address"] = _admin_linked_workspace(0)
FINDINGS["admin-linked-workspace-tenant-address"] = _admin_linked_workspace(1)
