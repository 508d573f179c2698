"""An empty Python environment to install the gate into, as another team would.

checkov, the gate's one dependency, is lent from the development environment rather than
installed again: a .pth line adds its site-packages, and the .pth files there (this
checkout's among them) are not read, so nothing else of the development setup leaks in.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path


def empty_environment(env: Path) -> Path:
    """A new virtual environment at `env`, with pip and nothing else."""
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=120)
    return env


def lend_checkov(env: Path) -> None:
    """Make the development environment's checkov importable in `env`."""
    purelib = subprocess.run(
        [env / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "checkov-from-dev.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
