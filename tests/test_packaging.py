"""What other teams install: one command, nothing that shadows a real tool."""

from __future__ import annotations

from importlib.metadata import distribution

PACKAGE = "cognito-federation"


def test_the_package_installs_exactly_one_command() -> None:
    # The dev environment installs this project with pip (editable), so its metadata holds
    # the entry points pip writes for anyone installing it; the dev-only `terraform`
    # command is written by `make install`, not by pip.
    scripts = sorted(
        e.name for e in distribution(PACKAGE).entry_points if e.group == "console_scripts"
    )
    assert scripts == ["cogfed-gate"]
