"""Several checkov runs from one import of checkov: each run in a fork of one process.

Importing checkov costs about 3 s of CPU, most of a small scan, and every gate call makes at
least two runs (each directory, and the canary that proves the checks load). Where the
system can fork (Linux, macOS), one process imports checkov and forks a child per run: each
child starts from the state a fresh `python -m checkov.main` has after its imports, reads
its own arguments and loads the external checks itself, so the runs stay as independent as
separate processes. Elsewhere each run is its own `python -m checkov.main` process.

Run by the gate as `python -m cogfed_gate.checkov_runs JOBS.json WIDTH TIMEOUT`; JOBS.json
lists `{"argv": [...checkov arguments...], "out": path, "err": path}`. It prints the exit
code of each run as a JSON list, -9 for a run killed after TIMEOUT seconds.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHECKOV = [sys.executable, "-m", "checkov.main"]
# -P: nothing is imported from the working directory (Python 3.11+), which may be the
# checkout under review; the processes also run in an empty directory with an empty home,
# where checkov finds no configuration file but the scanned directory's (gate.py checks it).
SAFE_PYTHON = [sys.executable, "-P"]


KILLED = -9


def _neutral(env: dict[str, str], directory: str) -> dict[str, str]:
    return {**env, "HOME": directory}


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


def run_all(
    arguments: list[list[str]], *, width: int, timeout: float, env: dict[str, str]
) -> list[Finished]:
    """checkov with each argument list, `width` at a time; each run killed after `timeout`."""
    if not hasattr(os, "fork"):
        return _separate_processes(arguments, width=width, timeout=timeout, env=env)
    with tempfile.TemporaryDirectory(prefix="cogfed-checkov-") as tmp:
        jobs = [
            {"argv": argv, "out": f"{tmp}/{i}.out", "err": f"{tmp}/{i}.err"}
            for i, argv in enumerate(arguments)
        ]
        Path(tmp, "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
        runner = subprocess.Popen(
            [*SAFE_PYTHON, "-m", __name__, f"{tmp}/jobs.json", str(width), str(timeout)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_neutral(env, tmp),
            cwd=tmp,
            start_new_session=True,  # its forks go with it if it must be killed
        )
        # The runner kills an overdue run itself; this bound is for the runner.
        bound = timeout * math.ceil(len(jobs) / max(1, width)) + 60
        try:
            stdout, stderr = runner.communicate(timeout=bound)
        except subprocess.TimeoutExpired:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.communicate()
            return [Finished(KILLED, "", "", timed_out=True) for _ in jobs]
        try:
            codes = json.loads(stdout)
        except json.JSONDecodeError:
            tail = "\n".join(stderr.strip().splitlines()[-15:])
            return [Finished(runner.returncode or 1, "", tail) for _ in jobs]
        return [
            Finished(
                code,
                _read(job["out"]),
                _read(job["err"]),
                timed_out=code == KILLED,
            )
            for code, job in zip(codes, jobs, strict=True)
        ]


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _separate_processes(
    arguments: list[list[str]], *, width: int, timeout: float, env: dict[str, str]
) -> list[Finished]:
    finished: list[Finished] = []
    with tempfile.TemporaryDirectory(prefix="cogfed-checkov-") as neutral:
        for start in range(0, len(arguments), width):
            finished += _batch(arguments[start : start + width], timeout, env, neutral)
    return finished


def _batch(
    arguments: list[list[str]], timeout: float, env: dict[str, str], neutral: str
) -> list[Finished]:
    """`python -m checkov.main` with each argument list at once, in `neutral`."""
    processes = [
        subprocess.Popen(
            [*SAFE_PYTHON, *CHECKOV[1:], *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_neutral(env, neutral),
            cwd=neutral,
        )
        for argv in arguments
    ]
    finished: list[Finished] = []
    for process in processes:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            finished.append(Finished(KILLED, "", "", timed_out=True))
            continue
        finished.append(Finished(process.returncode, stdout, stderr))
    return finished


# --- the runner (this module as a program) ---------------------------------------------------


def _child(checkov_main: Any, job: dict[str, Any]) -> None:
    """In the fork: checkov with the job's arguments, as `python -m checkov.main` would run
    it, its output in the job's files. Never returns."""
    code = 1
    try:
        for fd, path in ((1, job["out"]), (2, job["err"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        sys.argv = ["checkov", *job["argv"]]  # read by checkov's config-file lookup
        try:
            code = int(checkov_main.Checkov(job["argv"]).run() or 0)
        except SystemExit as stop:
            if stop.code is None or isinstance(stop.code, int):
                code = int(stop.code or 0)
            else:
                print(stop.code, file=sys.stderr)
    except BaseException:  # as an uncaught exception ends `python -m checkov.main`
        import traceback

        traceback.print_exc()
    finally:
        # What the interpreter does on its way out (checkov registers clean-ups with
        # atexit), then an exit that runs nothing the runner itself holds.
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                code = code or 120  # as the interpreter exits when it cannot flush its output
        os._exit(code)


def _runner(jobs: list[dict[str, Any]], width: int, timeout: float) -> list[int]:
    import checkov.main  # the one import every run shares

    codes: list[int] = [KILLED] * len(jobs)
    pending = list(enumerate(jobs))
    running: dict[int, tuple[int, float]] = {}
    sys.stdout.flush()
    sys.stderr.flush()
    while pending or running:
        while pending and len(running) < width:
            index, job = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                _child(checkov.main, job)
            running[pid] = (index, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for child, (_, started) in running.items():
                if now - started > timeout:
                    os.kill(child, signal.SIGKILL)  # reaped, and counted KILLED, below
            time.sleep(0.02)
            continue
        index, started = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        codes[index] = KILLED if time.monotonic() - started > timeout else code
    return codes


def main(argv: list[str]) -> int:
    jobs_file, width, timeout = argv
    jobs = json.loads(Path(jobs_file).read_text(encoding="utf-8"))
    print(json.dumps(_runner(jobs, max(1, int(width)), float(timeout))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
