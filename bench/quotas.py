"""Sign-ins per second the default Cognito quotas allow, derived from calls per sign-in.

Quotas are requests per second per account and Region, shared by every operation of a
category (FACTS §7). A flow that makes `n` calls of a category per sign-in can run at most
`quota / n` sign-ins per second before that category throttles; the smallest over the
categories it touches binds first. A flow whose triggers make no Cognito call is not bounded
by these quotas at all.

Where FACTS §7 names an operation's category it is used as documented; where it only says
what is believed, the category below is an assumption, flagged in the output, and an
alternative placement is computed beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Default request rates (RPS) per category (FACTS §7).
DEFAULT_RPS: dict[str, int] = {
    "UserCreation": 50,
    "UserFederation": 25,
    "UserRead": 120,
    "UserUpdate": 25,
    "UserList": 30,
    "UserAccountRecovery": 30,
}


@dataclass(frozen=True)
class Placement:
    category: str
    documented: bool  # FACTS §7 states it; otherwise it is believed (unconfirmed)


# The category each operation the triggers call is charged to.
PLACEMENT: dict[str, Placement] = {
    "ListUsers": Placement("UserList", documented=True),
    "AdminGetUser": Placement("UserRead", documented=True),
    "AdminCreateUser": Placement("UserCreation", documented=True),
    # Unconfirmed (FACTS §7): the federation category is assumed for linking ...
    "AdminLinkProviderForUser": Placement("UserFederation", documented=False),
    "AdminUpdateUserAttributes": Placement("UserUpdate", documented=False),
    "AdminSetUserPassword": Placement("UserAccountRecovery", documented=False),
}
# ... and FACTS §7's own belief, UserUpdate, is computed beside it.
ALTERNATIVE_PLACEMENT: dict[str, Placement] = {
    **PLACEMENT,
    "AdminLinkProviderForUser": Placement("UserUpdate", documented=False),
}


@dataclass(frozen=True)
class QuotaBound:
    """What the default quotas allow for one flow."""

    units: dict[str, int]  # category -> calls per sign-in
    sign_ins_per_second: float | None  # None: no Cognito quota bounds the flow
    binding: str | None  # the category that throttles first ("A/B" when they tie)

    def describe(self) -> str:
        if self.sign_ins_per_second is None:
            return "unbounded (no Cognito call)"
        return f"{_rate(self.sign_ins_per_second)}/s ({self.binding})"


def bound(calls: Mapping[str, int], placement: Mapping[str, Placement] = PLACEMENT) -> QuotaBound:
    units: dict[str, int] = {}
    for operation, count in calls.items():
        if count <= 0:
            continue
        if operation not in placement:
            raise KeyError(f"no quota category known for {operation}; add it to PLACEMENT")
        category = placement[operation].category
        units[category] = units.get(category, 0) + count
    if not units:
        return QuotaBound({}, None, None)
    rate = min(DEFAULT_RPS[c] / units[c] for c in units)
    # Categories that tie all throttle at that rate; listed in DEFAULT_RPS order, so stable.
    binding = "/".join(c for c in DEFAULT_RPS if c in units and DEFAULT_RPS[c] / units[c] == rate)
    return QuotaBound(dict(sorted(units.items())), rate, binding)


def assumptions() -> list[str]:
    """The placements the figures rest on, for the report."""
    lines = []
    for operation, place in PLACEMENT.items():
        basis = "FACTS §7" if place.documented else "assumed, unconfirmed"
        lines.append(f"{operation} -> {place.category} {DEFAULT_RPS[place.category]} RPS ({basis})")
    alternative = ALTERNATIVE_PLACEMENT["AdminLinkProviderForUser"].category
    lines.append(
        f"alternative: AdminLinkProviderForUser -> {alternative} "
        f"{DEFAULT_RPS[alternative]} RPS (FACTS §7's belief)"
    )
    return lines


def _rate(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
