"""What the apply tests share: the deployment's secret, and journals and runs made with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cogfed_pool.apply import Applier, ApplyResult, journal_header
from cogfed_pool.deployment import LinkingSecret
from cogfed_pool.journal import Journal
from cogfed_pool.progress import Silent
from tests.pool.conftest import SECRET


def secret() -> LinkingSecret:
    return LinkingSecret(SECRET, "the tests")


def open_journal(plan: dict[str, Any], path: Path) -> Journal:
    return Journal(path, header=journal_header(plan), key=secret().journal_key())


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
