"""Side by side: each sign-in's answer in both worlds, against AWS's, with a verdict.

A row is settled, never averaged: the double must give AWS's answer (otherwise the double is
wrong and the run fails); ministack must too, unless a known difference names that row and
column. The pool each world ends with is compared the same way, and so are the settings each
pool reports of itself, which must also be the planned ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cogfed_tools.conformance.known_differences import KNOWN_DIFFERENCES
from cogfed_tools.conformance.scenario import REFUSED, PoolSettings, Row, SignIn, UserState

# How the hosted UI reports a pre sign-up refusal, before the trigger's message (FACTS §2).
HOSTED_UI_PREFIX = "PreSignUp failed with error "


@dataclass(frozen=True)
class Compared:
    step: int
    who: str
    through: str
    note: str
    expected: str
    double: str
    ministack: str
    verified: str  # stored email_verified afterwards: "AWS / double / ministack"
    verdict: str
    ok: bool
    how: str  # how ministack played it, when not as a browser would


def compare_rows(
    double_rows: list[Row], ministack_rows: list[Row], mappings: Mapping[str, Mapping[str, str]]
) -> list[Compared]:
    compared: list[Compared] = []
    for d, m in zip(double_rows, ministack_rows, strict=True):
        sign_in = d.sign_in
        problems: list[str] = []
        known: list[str] = []
        if d.landed != sign_in.expect:
            problems.append(f"the double gives {d.landed!r}, AWS {sign_in.expect!r}")
        if m.landed != sign_in.expect:
            explained = _explained("landed", sign_in, mappings)
            known += explained
            if not explained:
                problems.append(f"ministack gives {m.landed!r}, AWS {sign_in.expect!r}")
        reason = d.landing.message.removeprefix(HOSTED_UI_PREFIX)
        if d.landed == m.landed == REFUSED and reason != m.landing.message:
            # The same trigger refused in both worlds: for the same reason, in the same words.
            problems.append(
                f"refused for different reasons: {d.landing.message!r} / {m.landing.message!r}"
            )
        for world, row in (("the double", d), ("ministack", m)):
            if (
                sign_in.error
                and row.landed == REFUSED
                and f" {sign_in.error}:" not in (row.landing.message)
            ):
                # The endpoint's refusal must be the check the row plays, not an earlier one.
                problems.append(
                    f"{world} refused with {row.landing.message!r}, not {sign_in.error}"
                )
        wanted = sign_in.expect_verified
        if d.email_verified_after != wanted:
            problems.append(
                f"the double stores email_verified {d.email_verified_after}, AWS {wanted}"
            )
        if m.email_verified_after != wanted:
            explained = _explained("email_verified", sign_in, mappings)
            known += explained
            if not explained:
                problems.append(
                    f"ministack stores email_verified {m.email_verified_after}, AWS {wanted}"
                )
        if problems:
            verdict = "DISAGREE: " + "; ".join(problems)
        elif known:
            verdict = "known difference " + ", ".join(sorted(set(known)))
        else:
            verdict = "same"
        compared.append(
            Compared(
                step=d.step,
                who=sign_in.who,
                through=sign_in.through,
                note=sign_in.note,
                expected=sign_in.expect,
                double=d.landed,
                ministack=m.landed,
                verified=f"{wanted} / {d.email_verified_after} / {m.email_verified_after}",
                verdict=verdict,
                ok=not problems,
                how=m.landing.how,
            )
        )
    return compared


def _explained(
    column: str, sign_in: SignIn, mappings: Mapping[str, Mapping[str, str]]
) -> list[str]:
    return [
        key
        for key, difference in KNOWN_DIFFERENCES.items()
        if difference.column == column and difference.applies(sign_in, mappings)
    ]


@dataclass(frozen=True)
class PoolFact:
    what: str
    double: str
    ministack: str
    planned: str | None = None  # what the plan gave both worlds, where the fact comes from it

    @property
    def ok(self) -> bool:
        return self.double == self.ministack and self.planned in (None, self.double)


def pool_facts(
    double: list[UserState],
    ministack: list[UserState],
    settings: tuple[PoolSettings, PoolSettings, PoolSettings] | None = None,
) -> list[PoolFact]:
    """What each world's pool holds at the end, in words both can be compared by; with
    `settings` (planned, double, ministack), also what each pool says of its own settings,
    which must be the planned ones."""

    def per_email(users: list[UserState]) -> str:
        counts: dict[str, int] = {}
        for user in users:
            counts[user.email.lower()] = counts.get(user.email.lower(), 0) + 1
        return ", ".join(f"{email} x{n}" for email, n in sorted(counts.items()))

    def identities(users: list[UserState], email: str) -> str:
        held = sorted(f"{p}:{s}" for u in users if u.email == email for p, s in u.identities)
        return ", ".join(held) or "none"

    def federated(users: list[UserState]) -> str:
        return str(sum(1 for u in users if u.status == "EXTERNAL_PROVIDER"))

    def attributes(of: PoolSettings) -> str:
        return ", ".join(sorted(of.custom_attributes)) or "none"

    def held(of: PoolSettings) -> str:
        return "yes" if of.holds_email_changes else "no"

    described: list[PoolFact] = []
    if settings is not None:
        planned, in_double, in_ministack = settings
        described = [
            PoolFact(
                f"custom attributes (planned: {attributes(planned)})",
                attributes(in_double),
                attributes(in_ministack),
                attributes(planned),
            ),
            PoolFact(
                f"a changed email waits for verification (planned: {held(planned)})",
                held(in_double),
                held(in_ministack),
                held(planned),
            ),
        ]
    return [
        *described,
        PoolFact("users", str(len(double)), str(len(ministack))),
        PoolFact("users per email", per_email(double), per_email(ministack)),
        PoolFact("users Cognito created for an identity", federated(double), federated(ministack)),
        PoolFact(
            "alice's identities",
            identities(double, "alice@example.com"),
            identities(ministack, "alice@example.com"),
        ),
    ]
