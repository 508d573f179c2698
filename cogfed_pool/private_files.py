"""Files that hold users' data (plans, audit reports, backups, journals): owner-only.

Each is opened without following a symbolic link (a link planted where the file is expected
would send users' data, or the tool's writes, somewhere else) and set to mode 0600 on the
open descriptor, so that a file that already existed with a wider mode is tightened too: the
mode given to open() applies only to a file it creates. A file another user owns (planted in
a shared directory: its owner would read what is written) or with another name (a hard link:
whoever holds that name reads it) is refused.
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
        check_ours(os.fstat(descriptor), path, what)
        os.fchmod(descriptor, PRIVATE)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def check_ours(status: os.stat_result, path: Path, what: str) -> None:
    """PrivateFileError unless `status` is of a regular file of this user with one name."""
    if not stat.S_ISREG(status.st_mode):
        raise PrivateFileError(f"{what} {path} is not a regular file: name a file")
    if status.st_uid != os.geteuid():
        raise PrivateFileError(
            f"{what} {path} belongs to user {status.st_uid}, not to you ({os.geteuid()}): its "
            "owner would read what is written to it (or write what is read); remove it or "
            "name a file of your own"
        )
    if status.st_nlink != 1:
        raise PrivateFileError(
            f"{what} {path} has {status.st_nlink} names (hard links): whoever holds another "
            "would read what is written to it; name a file of its own"
        )


def open_private(path: Path, what: str, *, append: bool) -> IO[str]:
    """A text handle on `path`, created or tightened to 0600: appended to, or truncated."""
    flags = os.O_WRONLY | (os.O_APPEND if append else 0)
    descriptor = _open_descriptor(path, flags, what)
    if not append:
        os.ftruncate(descriptor, 0)  # only once the file is known to be ours to write
    return open(descriptor, "a" if append else "w", encoding="utf-8")


def open_private_binary(path: Path, what: str) -> int:
    """A read-write descriptor on `path` (created or tightened to 0600), for locks."""
    return _open_descriptor(path, os.O_RDWR, what)


def open_private_journal(path: Path, what: str) -> int:
    """A read-write, appending descriptor on `path` (created or tightened to 0600)."""
    return _open_descriptor(path, os.O_RDWR | os.O_APPEND, what)


def write_private(path: Path, text: str, what: str) -> None:
    with open_private(path, what, append=False) as handle:
        handle.write(text)


def append_durably(handle: IO[str], lines: list[str]) -> None:
    """Lines on disk before the caller goes on: flushed and fsynced."""
    handle.write("".join(line + "\n" for line in lines))
    handle.flush()
    os.fsync(handle.fileno())
