"""A repair plan read back for `--apply`: untrusted input, its shape checked before use.

A plan is reviewed, then stored, mailed or attached to a ticket before it is applied, and may
be edited on the way. Apply checks every person against the pool again (apply.py); this module
first makes sure the file is a plan at all, so that no later step meets a missing key or a
value of the wrong type, and that it names each user, `sub` and identity once: `repair`
writes one entry per person and one merge per federated user, so a repeated one is an edit
(an entry reusing another's name or user to ride on its progress).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cogfed_pool.repair import PLAN_VERSION, PlanError
from cogfed_pool.trigger_rules import ascii_case

PLAN_AGAIN = "make a new plan with `cogfed-pool repair`"
PERSON_STRINGS = ("email", "keep_username", "keep_sub")
MERGE_STRINGS = ("username", "sub", "provider", "subject")


def plan_digest(plan: dict[str, Any]) -> str:
    """SHA-256 of the plan's content (independent of its layout): a journal's binding."""
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def _fail(source: str, where: str, problem: str) -> PlanError:
    return PlanError(f"{source}: {where}: {problem}; the plan was edited or damaged: {PLAN_AGAIN}")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _text(source: str, where: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeError:
        # A lone surrogate (a JSON escape like \ud800): no user, group or email holds one.
        raise _fail(source, where, "holds a character that is not Unicode text") from None
    return value


def _string(source: str, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(source, where, f"expected a non-empty string, found {_type_name(value)}")
    return _text(source, where, value)


def _strings(source: str, where: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _fail(source, where, f"expected a list of strings, found {_type_name(value)}")
    for index, item in enumerate(value):
        _string(source, f"{where}[{index}]", item)
    return value


def _mapping(source: str, where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _fail(source, where, "expected an object of string values")
    for name, item in value.items():
        _text(source, f"{where} key {name!r}", name)
        _text(source, f"{where}.{name}", item)
    return value


def _object(source: str, where: str, value: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(source, where, f"expected an object, found {_type_name(value)}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise _fail(source, where, f"no {', '.join(missing)}")
    return value


MERGE_KEYS = (
    *MERGE_STRINGS,
    "subject_source",
    "attributes",
    "groups",
    "unchanged",
    "had_groups",
    "stale_subject",
)


def checked_plan(document: Any, source: str) -> dict[str, Any]:
    """`document` if it is a well-formed plan, else PlanError naming the first problem."""
    plan = _object(source, "the document", document, ("version", "pool_id", "people"))
    # Exactly the int: true and 1.0 compare equal to 1 in Python, but no plan holds them.
    if type(plan["version"]) is not int or plan["version"] != PLAN_VERSION:
        raise _fail(source, "version", f"{plan['version']!r}, not {PLAN_VERSION}")
    _string(source, "pool_id", plan["pool_id"])
    if not isinstance(plan["people"], list):
        raise _fail(source, "people", f"expected a list, found {_type_name(plan['people'])}")
    first_seen: dict[tuple[str, str], str] = {}

    def once(kind: str, value: str, where: str) -> None:
        earlier = first_seen.setdefault((kind, value), where)
        if earlier != where:
            raise _fail(source, where, f"{kind} {value!r} is also in {earlier}")

    for p, person in enumerate(plan["people"]):
        where = f"people[{p}]"
        _object(source, where, person, (*PERSON_STRINGS, "merges"))
        for key in PERSON_STRINGS:
            _string(source, f"{where}.{key}", person[key])
        merges = person["merges"]
        if not isinstance(merges, list) or not merges:
            raise _fail(source, f"{where}.merges", "expected a non-empty list")
        # Emails and usernames equal apart from ASCII case are one person and one user
        # (CONTRACT §1; a case-insensitive pool, FACTS §3).
        once("the email", ascii_case.ascii_lower(person["email"]), where)
        once("the user", ascii_case.ascii_lower(person["keep_username"]), where)
        once("the sub", person["keep_sub"], where)
        for m, merge in enumerate(merges):
            at = f"{where}.merges[{m}]"
            _object(source, at, merge, MERGE_KEYS)
            for key in MERGE_STRINGS:
                _string(source, f"{at}.{key}", merge[key])
            if not isinstance(merge["subject_source"], str):
                raise _fail(source, f"{at}.subject_source", "expected a string")
            _text(source, f"{at}.subject_source", merge["subject_source"])
            if merge["subject"] != merge["subject"].strip():
                # Cognito matches a subject by its exact characters: padding names another.
                raise _fail(source, f"{at}.subject", "begins or ends with white space")
            _mapping(source, f"{at}.attributes", merge["attributes"])
            _mapping(source, f"{at}.unchanged", merge["unchanged"])
            _strings(source, f"{at}.groups", merge["groups"])
            _strings(source, f"{at}.had_groups", merge["had_groups"])
            if merge["stale_subject"] is not None:
                _string(source, f"{at}.stale_subject", merge["stale_subject"])
            once("the user", ascii_case.ascii_lower(merge["username"]), at)
            once("the sub", merge["sub"], at)
            identity = f"{merge['provider']}:{ascii_case.ascii_lower(merge['subject'])}"
            once("the identity", identity, at)
    return plan
