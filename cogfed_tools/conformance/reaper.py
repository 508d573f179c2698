"""Run a command as the reaper of everything it starts: `python reaper.py COMMAND [ARG...]`.

ministack exits on SIGTERM without waiting for its trigger workers, which then belong to
whatever reaps orphans on the machine (PID 1, or a container's init, which may take seconds
or never do it). Started as the leader of the server's process group, this process makes
itself the child subreaper (Linux), so every process under the command comes back to it
when its own parent exits. On SIGTERM, SIGINT or SIGHUP, or once the command has exited, it
terminates every process left under it (SIGKILL after a grace period), and it exits only when
it has reaped them all: whoever waits for it knows that nothing of the command is left.

Its exit code is the command's (128 + the signal's number if a signal ended it). Standard
library only, run by path: it needs nothing of the environment it is started in.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
GRACE_S = 3.0  # for what is left to stop on SIGTERM, before SIGKILL
TICK_S = 0.5
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


def _become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(errno)}")


def _under_me() -> list[int]:
    """My children (orphans come back to me) and the rest of my process group."""
    me, group = os.getpid(), os.getpgrp()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == me or int(fields[2]) == group:
            found.append(int(entry.name))
    return found


def _signal_all(signum: int) -> None:
    for pid in _under_me():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def run(command: Sequence[str]) -> int:
    _become_subreaper()
    watched = {signal.SIGCHLD, *STOP_SIGNALS}
    # Blocked and taken with sigtimedwait: no handler can interrupt a reap half-way.
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    child = os.posix_spawn(command[0], list(command), os.environ, setsigmask=set())
    code: int | None = None
    stopping_since: float | None = None
    stop_requested = False
    while True:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return code if code is not None else 1  # all reaped
            if pid == 0:
                break
            if pid == child:
                code = _exit_code(status)
        now = time.monotonic()
        if stopping_since is None and (stop_requested or code is not None):
            stopping_since = now
            _signal_all(signal.SIGTERM)
        elif stopping_since is not None and now - stopping_since >= GRACE_S:
            _signal_all(signal.SIGKILL)
        received = signal.sigtimedwait(watched, TICK_S)
        if received is not None and received.si_signo in STOP_SIGNALS:
            stop_requested = True


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or not os.path.isabs(args[0]):
        print("usage: python reaper.py /absolute/path/to/command [ARG...]", file=sys.stderr)
        return 2
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
