"""ministack, pinned, in an environment of its own, started on a free port and stopped.

ministack (PyPI, MIT) pins a botocore far newer than the one checkov pins in `.venv`, so
it lives in `.cache/ministack-<version>-<hash>/`, built from `ministack-requirements.txt` on
first use (under a lock, so that concurrent runs build it once). Its trigger workers run
with that environment's Python, whose boto3 stands in for the one the Lambda runtime
provides (CONTRACT §1); its `bin/` also goes first on PATH for the executors that start
`python3` by name.

The server runs in a process group of its own, with its working and temporary directories
and state in the run's directory, and dies with the process that started it. It is stopped
by signalling the whole group, so the workers it started stop with it. ministack exits
without waiting for its workers, so it runs under `reaper.py`, which leads the group, takes
back every orphan and exits only once each process under it is reaped: when the stop
returns, nothing of the server is left, not even a zombie for PID 1 to collect.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cogfed_tools.offline_checks import REPO_ROOT

REQUIREMENTS = Path(__file__).with_name("ministack-requirements.txt")
REAPER = Path(__file__).with_name("reaper.py")
HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0  # the reaper's own grace (SIGTERM, then SIGKILL) is 3 s
START_ATTEMPTS = 3  # a free port can be taken between choosing it and ministack binding it
PR_SET_PDEATHSIG = 1


class MinistackError(RuntimeError):
    pass


def pinned_version() -> str:
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        if line.startswith("ministack=="):
            return line.split("==", 1)[1].strip()
    raise MinistackError(f"{REQUIREMENTS.name} pins no ministack version")


def environment_dir() -> Path:
    """Named by the pins and the interpreter that builds it."""
    digest = hashlib.sha1(REQUIREMENTS.read_bytes() + sys.version.encode()).hexdigest()[:10]
    return REPO_ROOT / ".cache" / f"ministack-{pinned_version()}-{digest}"


def ensure_environment(progress: Callable[[str], None] = print) -> Path:
    """The pinned environment's directory, built from the requirements on first use."""
    venv = environment_dir()
    stamp = venv / ".installed"
    if stamp.is_file():
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / "ministack.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.is_file():  # built by another run while this one waited
            return venv
        progress(f"   building {venv.relative_to(REPO_ROOT)} (pinned ministack, first run only)")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        done = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "--requirement",
                str(REQUIREMENTS),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise MinistackError(
                "could not install ministack from "
                f"{REQUIREMENTS.relative_to(REPO_ROOT)}:\n{done.stderr[-2000:]}"
            )
        stamp.touch()
    return venv


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Ministack:
    endpoint: str
    log: Path
    version: str
    pid: int  # its reaper's, which is also the process group's


def _die_with_parent() -> None:
    # Linux: the server gets SIGTERM when the process that started it dies (a cancelled CI
    # job), instead of running on in its own session.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _server_environment(venv: Path, workdir: Path, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing of the caller's AWS or ministack settings leaks into the emulator.
        if not key.startswith(("AWS_", "MINISTACK_", "LOCALSTACK_", "LAMBDA_"))
        and key not in ("PERSIST_STATE", "STATE_DIR", "S3_PERSIST", "GATEWAY_PORT", "EDGE_PORT")
    }
    env.update(
        {
            "GATEWAY_PORT": str(port),
            "BIND_HOST": HOST,
            # The host in the callback URLs ministack hands the identity providers.
            "MINISTACK_HOST": HOST,
            "PERSIST_STATE": "0",
            "STATE_DIR": str(workdir / "state"),
            "TMPDIR": str(workdir),  # the functions' unpacked code goes with the run
            "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }
    )
    return env


@contextmanager
def running_ministack(
    workdir: Path, progress: Callable[[str], None] = print
) -> Iterator[Ministack]:
    """ministack listening on 127.0.0.1 at a free port for the duration of the block.

    Its output goes to `workdir/ministack.log`, which a failure quotes.
    """
    venv = ensure_environment(progress)
    log = workdir / "ministack.log"
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        endpoint = f"http://{HOST}:{port}"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, str(REAPER), str(venv / "bin" / "python"), "-m", "ministack"],
                env=_server_environment(venv, workdir, port),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            try:
                if not _ready(server, endpoint, log, last=attempt == START_ATTEMPTS):
                    continue  # it lost the port to another process: try another
                yield Ministack(endpoint, log, pinned_version(), server.pid)
                return
            finally:
                _stop(server)


def _ready(server: subprocess.Popen[bytes], endpoint: str, log: Path, *, last: bool) -> bool:
    """Whether this server answers at `endpoint`; False if it exited first (port taken)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is None:
            try:
                with urllib.request.urlopen(f"{endpoint}/_ministack/health", timeout=1):
                    pass
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
                continue
            # Answered: by this server only if it is still running (another process may hold
            # the port, and this server then exits).
            time.sleep(0.2)
            if server.poll() is None:
                return True
        if not last:
            return False
        raise MinistackError(
            f"ministack exited with code {server.returncode} while starting:\n"
            + log.read_text(encoding="utf-8", errors="replace")[-2000:]
        )
    raise MinistackError(f"ministack did not answer at {endpoint} within {START_TIMEOUT_S:.0f} s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group; its reaper exits once every process in it is reaped.

    SIGKILL to the group only if the reaper itself does not stop in time (its own grace is
    shorter): what it had not reaped is then left to PID 1.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=STOP_TIMEOUT_S)
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()
