"""Fixtures for the whole suite: work shared by the run's workers, and processes left behind.

The suite runs in parallel (pytest-xdist, pyproject.toml). Session fixtures are per worker,
so an expensive result several workers need (a checkov scan, an offline Terraform plan) is
made once per run through `run_cache`: on disk in the run's temporary directory, under a
lock, keyed by the content of its inputs.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import os
import pickle
import shutil
import signal
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from cogfed_tools.conformance.planned_pool import PlannedPool, plan_pool
from cogfed_tools.offline_checks import COPY_IGNORE, REPO_ROOT

T = TypeVar("T")


def tree_digest(root: Path) -> str:
    """The digest of what a Terraform copy of `root` holds (offline_checks.COPY_IGNORE):
    every file's path and bytes, and every symbolic link's target."""
    digest = hashlib.sha256()
    for directory, subdirs, files in os.walk(root):
        ignored = COPY_IGNORE(directory, [*subdirs, *files])
        subdirs[:] = sorted(d for d in subdirs if d not in ignored)
        for name in sorted({*subdirs, *files} - ignored):
            path = Path(directory, name)
            if path.is_symlink():
                content = b"->" + os.readlink(path).encode()
            elif path.is_file():
                try:
                    content = path.read_bytes()
                except FileNotFoundError:
                    continue  # removed while the tree was read
            else:
                continue
            digest.update(f"{path.relative_to(root)}\0{len(content)}\0".encode() + content)
    return digest.hexdigest()


class RunCache:
    """Results made once per test run and shared by its workers.

    `get(name, inputs, make)` returns `make(workdir)` as first computed by any worker for
    the same name and inputs; `workdir` is a directory kept for the whole run, so a result
    may point into it (a plan's package). Results are pickled; a failed `make` stores
    nothing, so the next caller tries again and sees the same failure.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, name: str, inputs: Iterable[str], make: Callable[[Path], T]) -> T:
        digest = hashlib.sha256()
        for part in inputs:
            digest.update(f"{len(part)}:{part}".encode())
        entry = self.root / f"{name}-{digest.hexdigest()[:16]}"
        stored = entry / "result.pickle"
        self.root.mkdir(parents=True, exist_ok=True)
        with open(f"{entry}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if stored.is_file():
                return pickle.loads(stored.read_bytes())
            shutil.rmtree(entry, ignore_errors=True)  # what a failed attempt left
            workdir = entry / "work"
            workdir.mkdir(parents=True)
            value = make(workdir)
            partial = stored.with_suffix(".partial")
            partial.write_bytes(pickle.dumps(value))
            partial.replace(stored)
            return value


@pytest.fixture(scope="session")
def run_cache(tmp_path_factory: pytest.TempPathFactory) -> RunCache:
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # a worker's directory is inside the run's, which all share
    return RunCache(base / "run-cache")


@pytest.fixture(scope="session")
def repo_digest() -> str:
    """The digest of this checkout as Terraform and checkov see it, taken once per worker."""
    return tree_digest(REPO_ROOT)


@pytest.fixture(scope="session")
def planned_complete(run_cache: RunCache, repo_digest: str) -> tuple[PlannedPool, Path]:
    """examples/complete as Terraform plans it (plan_pool: the pool read from the plan, and
    the plan's file), its package kept for the run; the conformance and demo tests read it."""
    example = REPO_ROOT / "examples" / "complete"
    return run_cache.get(
        "planned-pool", [repo_digest, str(example)], lambda workdir: plan_pool(workdir, example)
    )


@pytest.fixture(scope="module", autouse=True)
def _boto3_default_session_per_module() -> Iterator[None]:
    """boto3's default session as it was before each module, after it.

    A worker runs modules in no fixed order, and the default session is the process's: a
    command run in-process that points it at its endpoint (cogfed-pool prelink) would send
    the triggers of whichever module comes next there, after that endpoint is gone."""
    import boto3

    before = boto3.DEFAULT_SESSION
    yield
    if boto3.DEFAULT_SESSION is not before:
        from cogfed_tools.cognito_double import api_calls  # puts lambda_src/ on the path

        boto3.DEFAULT_SESSION = before
        import cognito_api

        cognito_api.reset_clients()  # made from the session the module left behind
        api_calls.ensure_hook()  # the double counts the calls of the session put back


# ----------------------------------------------------------------- processes left behind

PR_SET_CHILD_SUBREAPER = 36


def _set_subreaper(on: bool) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(errno)}")


def child_processes() -> dict[int, str]:
    """This process's children: pid -> "state command"."""
    me = os.getpid()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            head, tail = (entry / "stat").read_text().rsplit(")", 1)
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, ValueError):
            continue  # gone meanwhile
        state, ppid = tail.split()[:2]
        if int(ppid) == me:
            found[int(entry.name)] = f"{state} {command or head.split('(', 1)[1]}"
    return found


@contextlib.contextmanager
def watching_for_processes_left_behind() -> Iterator[Callable[[], dict[int, str]]]:
    """For the block, this process is the child subreaper (Linux): a process started in the
    block, however deep, comes back to it, running or as a zombie, when its own parent exits,
    instead of going to PID 1. The block is given a function that returns what was left
    behind so far: children that were not there when the block began. Whatever is left when
    the block ends is killed and reaped."""
    _set_subreaper(True)
    before = set(child_processes())

    def left_behind() -> dict[int, str]:
        return {pid: what for pid, what in child_processes().items() if pid not in before}

    try:
        yield left_behind
    finally:
        _set_subreaper(False)
        for pid in left_behind():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


@pytest.fixture(scope="module")
def no_process_left_behind() -> Iterator[Callable[[], dict[int, str]]]:
    """Fails the module (at its teardown) if its fixtures or tests left a process behind,
    however deep it was started; such processes are killed and reaped first. A test may
    call the function it gives to see what is left behind so far."""
    with watching_for_processes_left_behind() as left_behind:
        yield left_behind
        left = left_behind()
        assert not left, f"processes left behind: {left}"
