"""Which provider version an offline plan offers: one every constraint in the tree allows.

The offline provider serves one schema per provider (the committed release). Terraform
refuses to install a provider whose version the configuration's constraints exclude, so
the offline mirror offers the schema under a version they all accept, found from the
constraints themselves (Terraform's syntax: `=`, `!=`, `>`, `>=`, `<`, `<=`, `~>`, joined
by commas): the schema's own version when allowed, else the nearest below it they allow (a
configuration pinned to an older release gets the schema of the newest release built here,
and Terraform reports any argument that release no longer has), else the nearest above.
A version offered that way ends in .999 where it can, so nobody mistakes it for a release.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# A prerelease or a "v" prefix is left to Terraform, which names what it refuses.
_PART = re.compile(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*(\d+(?:\.\d+){0,2})\s*$")

Version = tuple[int, int, int]


class ConstraintError(ValueError):
    pass


def parse_version(text: str) -> Version:
    major, minor, patch = [*(int(n) for n in text.split(".")), 0, 0][:3]
    return major, minor, patch


def _terms(constraint: str) -> list[tuple[str, Version, int]]:
    terms = []
    for part in constraint.split(","):
        if not part.strip():
            continue
        match = _PART.match(part)
        if match is None:
            raise ConstraintError(f"{constraint!r}: {part.strip()!r} is not a version constraint")
        operator, number = match.group(1) or "=", match.group(2)
        terms.append((operator, parse_version(number), number.count(".") + 1))
    return terms


def allows(constraint: str, version: Version) -> bool:
    for operator, bound, precision in _terms(constraint):
        if operator == "=" and version != bound:
            return False
        if operator == "!=" and version == bound:
            return False
        if operator == ">" and not version > bound:
            return False
        if operator == ">=" and not version >= bound:
            return False
        if operator == "<" and not version < bound:
            return False
        if operator == "<=" and not version <= bound:
            return False
        if operator == "~>":
            # ~> 2.70 allows 2.70 up to below 3.0; ~> 2.70.1 up to below 2.71; Terraform reads
            # ~> 2 as ~> 2.0
            if version < bound:
                return False
            keep = max(precision, 2) - 1
            if version[:keep] != bound[:keep]:
                return False
    return True


def _candidates(constraints: Iterable[str]) -> list[Version]:
    found: set[Version] = set()
    for constraint in constraints:
        for _, bound, _ in _terms(constraint):
            major, minor, patch = bound
            found |= {bound, (major, minor, patch + 1), (major, minor + 1, 0), (major + 1, 0, 0)}
            # the highest versions below a bound, as a `<` or a `~>` bound the range
            found |= {(major, minor, 999), (major, 999, 0)}
            if minor:
                found.add((major, minor - 1, 999))
            if major:
                found.add((major - 1, 999, 0))
    return sorted(found)


def offered_version(schema_version: str, constraints: Iterable[str]) -> str:
    """The schema's own version when every constraint allows it, else the newest version
    below it that they all allow (the nearest to the schema the configuration was written
    for), else the oldest above it. ConstraintError when no version satisfies them all."""
    constraints = [c for c in constraints if c.strip()]
    own = parse_version(schema_version)
    if all(allows(c, own) for c in constraints):
        return schema_version
    allowed = [v for v in _candidates(constraints) if all(allows(c, v) for c in constraints)]
    if not allowed:
        raise ConstraintError(
            "no version satisfies every constraint together: " + ", ".join(map(repr, constraints))
        )
    below = [v for v in allowed if v < own]
    chosen = max(below) if below else min(allowed)
    return ".".join(map(str, chosen))


# --- the constraints a configuration tree declares ----------------------------------------


def hcl_values(node: Any) -> Iterator[Any]:
    """python-hcl2 wraps blocks and some values in lists; walk through them."""
    if isinstance(node, list):
        for item in node:
            yield from hcl_values(item)
    else:
        yield node


def constraints_in(files: Iterable[Path], providers: Iterable[str]) -> dict[str, list[str]]:
    """The version constraints on each of `providers` (types of hashicorp/<type>) written in
    `files`: `required_providers` entries and legacy `provider` blocks' `version`. A file
    that does not parse is left to Terraform, which names its error."""
    import hcl2

    wanted = set(providers)
    found: dict[str, list[str]] = {name: [] for name in wanted}
    for path in files:
        try:
            with path.open(encoding="utf-8-sig") as handle:
                document = hcl2.load(handle)
        except Exception:  # python-hcl2 raises lark errors of many kinds
            continue
        for terraform in hcl_values(document.get("terraform", [])):
            for required in hcl_values(terraform.get("required_providers", [])):
                for local_name, spec in required.items():
                    for entry in hcl_values(spec):
                        if isinstance(entry, str):  # the legacy `aws = "~> 5.0"` form
                            source, version = local_name, entry
                        elif isinstance(entry, dict):
                            source = str(entry.get("source", local_name))
                            version = entry.get("version")
                        else:
                            continue
                        name = _hashicorp_type(source)
                        if name in wanted and isinstance(version, str):
                            found[name].append(version)
        for provider in hcl_values(document.get("provider", [])):
            for name, body in provider.items():
                for entry in hcl_values(body):
                    version = entry.get("version") if isinstance(entry, dict) else None
                    for value in hcl_values(version):
                        if name in wanted and isinstance(value, str):
                            found[name].append(value)
    return found


def _hashicorp_type(source: str) -> str | None:
    parts = source.lower().split("/")
    if len(parts) == 1:
        return parts[0]  # a local name alone means hashicorp/<name>
    if len(parts) == 2 and parts[0] == "hashicorp":
        return parts[1]
    if len(parts) == 3 and parts[:2] == ["registry.terraform.io", "hashicorp"]:
        return parts[2]
    return None
