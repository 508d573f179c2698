"""Sign-ins per second the default Cognito quotas allow, derived from calls per sign-in.

Quotas are requests per second per account and Region, shared by every operation of a
category (FACTS §7). A flow that makes `n` calls of a category per sign-in can run at most
`quota / n` sign-ins per second before that category throttles; the smallest over the
categories it touches binds first. A flow whose triggers make no Cognito call is not bounded
by these quotas at all.

Every operation's category and each category's default rate come from the facts table
(lambda_src/cognito_facts.json), which takes them from the developer guide's quotas page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from bench.cold_import import LAMBDA_SRC

FACTS = json.loads((LAMBDA_SRC / "cognito_facts.json").read_text(encoding="utf-8"))

# Default request rates (RPS) per category, and each operation's category: the facts table
# (lambda_src/cognito_facts.json, from the developer guide's quotas page; FACTS §7).
DEFAULT_RPS: dict[str, int] = dict(FACTS["quota_default_rps"])


@dataclass(frozen=True)
class Placement:
    category: str
    documented: bool  # the quotas page states it; otherwise it is believed (unconfirmed)


# The category each operation the triggers call is charged to.
PLACEMENT: dict[str, Placement] = {
    operation: Placement(category, documented=True)
    for operation, category in FACTS["quota_categories"].items()
}
# An alternative placement for what is only believed; every placement is documented now, so
# it equals PLACEMENT (kept so that the report shows an alternative if a guess returns).
ALTERNATIVE_PLACEMENT: dict[str, Placement] = dict(PLACEMENT)


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
        basis = "quotas page" if place.documented else "assumed, unconfirmed"
        lines.append(f"{operation} -> {place.category} {DEFAULT_RPS[place.category]} RPS ({basis})")
    return lines


def _rate(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
