"""Files that hold users' data (plans, audit reports, backups, journals): owner-only.

Each is opened without following a symbolic link (a link planted where the file is expected
would send users' data, or the tool's writes, somewhere else) and set to mode 0600 on the
open descriptor, so that a file that already existed with a wider mode is tightened too: the
mode given to open() applies only to a file it creates.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

PRIVATE = 0o600


class PrivateFileError(ValueError):
    pass


def _open_descriptor(path: Path, flags: int, what: str) -> int:
    try:
        # O_NONBLOCK: a FIFO planted at the path fails at once instead of blocking the run.
        descriptor = os.open(
            path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, PRIVATE
        )
    except OSError as problem:
        if path.is_symlink():
            raise PrivateFileError(
                f"{what} {path} is a symbolic link: name the file itself"
            ) from problem
        raise PrivateFileError(f"{what} {path}: {problem.strerror}") from problem
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise PrivateFileError(f"{what} {path} is not a regular file: name a file")
        os.fchmod(descriptor, PRIVATE)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def open_private(path: Path, what: str, *, append: bool) -> IO[str]:
    """A text handle on `path`, created or tightened to 0600: appended to, or truncated."""
    flags = os.O_WRONLY | (os.O_APPEND if append else os.O_TRUNC)
    descriptor = _open_descriptor(path, flags, what)
    return open(descriptor, "a" if append else "w", encoding="utf-8")


def open_private_binary(path: Path, what: str) -> int:
    """A read-write descriptor on `path` (created or tightened to 0600), for locks."""
    return _open_descriptor(path, os.O_RDWR, what)


def write_private(path: Path, text: str, what: str) -> None:
    with open_private(path, what, append=False) as handle:
        handle.write(text)


def append_durably(handle: IO[str], lines: list[str]) -> None:
    """Lines on disk before the caller goes on: flushed and fsynced."""
    handle.write("".join(line + "\n" for line in lines))
    handle.flush()
    os.fsync(handle.fileno())
