"""What the apply tests share: the deployment's secret, and journals and runs made with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cogfed_pool.apply import Applier, ApplyResult, journal_header
from cogfed_pool.deployment import LinkingSecret
from cogfed_pool.journal import Journal
from cogfed_pool.operator_key import OperatorKey, load_key
from cogfed_pool.progress import Silent
from tests.pool.conftest import SECRET


def secret() -> LinkingSecret:
    """The deployment's LINKING_SECRET (prelink creates users under it)."""
    return LinkingSecret(SECRET, "the tests")


def operator_key() -> OperatorKey:
    """The test's operator key (conftest gives each test its own XDG_CONFIG_HOME)."""
    return load_key(None, create=True)


def sign(path: Path, plan: dict[str, Any]) -> None:
    """Write `plan` to `path` signed with the operator key: an edit by someone holding it, so
    that what the run checks against the pool is tested, not the signature."""
    plan = {k: v for k, v in plan.items() if k != "mac"}
    plan.setdefault("subjects_sha256", None)
    plan["mac"] = operator_key().sign_plan(plan)
    path.write_text(json.dumps(plan))


def open_journal(plan: dict[str, Any], path: Path) -> Journal:
    key = operator_key()
    return Journal(
        path, header=journal_header(plan), key=key.journal_key, state_for=key.journal_state_path
    )


def applier(world: Any, plan: dict[str, Any], tmp_path: Path, **kwargs: Any) -> Applier:
    cognito = kwargs.pop("cognito", None) or world.cognito()
    return Applier(
        cognito,
        world.config(cognito),
        plan,
        open_journal(plan, tmp_path / "journal"),
        tmp_path / "backup",
        **kwargs,
    )


def apply(
    world: Any, plan: dict[str, Any], tmp_path: Path, **kwargs: Any
) -> tuple[ApplyResult, Any]:
    run = applier(world, plan, tmp_path, **kwargs)
    try:
        return run.run(Silent("a")), run.cognito
    finally:
        run.journal.close()
