"""An append-only journal (JSON lines, fsynced per line) that lets an interrupted run resume
where it stopped, and a second run see that there is nothing left to do.

A journal file is input like any other: it may be another run's, or edited. So:

- its first line is a header naming what it records (the command, the pool and, for a repair,
  the SHA-256 of the plan); a journal whose header differs from this run's, or that has none,
  is refused with the difference named;
- where the run acts on what a line says (repair: "this federated user was checked and is
  being deleted", which lets a later run link its identity once the user is gone), every line
  carries an HMAC chained from the header's, under a key derived from the deployment's
  `LINKING_SECRET` (deployment.py): a line written, changed, moved or dropped from the middle
  by anyone without the secret is refused;
- a lock file beside it (`JOURNAL.lock`, flock) keeps a second run of the same journal from
  starting while one is under way; the kernel releases it when the holder exits, however it
  exits, so a killed run never leaves it held.

Only the last line can be torn (the run died while writing it): it is cut off, and the step it
recorded is redone, which every step allows. Any other line that is not a journal line stops
the run with the line number.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from cogfed_pool.private_files import (
    PrivateFileError,
    append_durably,
    open_private,
    open_private_binary,
)

JOURNAL_VERSION = 2
MOVE_ASIDE = "move it aside to start a new journal"


class JournalError(ValueError):
    pass


class RunLock:
    """An exclusive, non-blocking flock on `JOURNAL.lock`, held until release()."""

    def __init__(self, journal: Path) -> None:
        self.path = journal.with_name(journal.name + ".lock")
        try:
            descriptor = open_private_binary(self.path, "the lock file")
        except PrivateFileError as problem:
            raise JournalError(str(problem)) from problem
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(descriptor)
            raise JournalError(
                f"another run is using {journal} (process {holder} holds {self.path}): wait "
                "for it to end, then run again; two runs at once would act on the same users"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        self._descriptor: int | None = descriptor

    def release(self) -> None:
        # The file stays: removing it would let a run that opened it just before take a lock
        # on a file no later run sees.
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing drops the flock
            self._descriptor = None


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class Journal:
    def __init__(
        self,
        path: Path,
        *,
        header: dict[str, Any],
        key: bytes | None = None,
        lock: RunLock | None = None,
    ) -> None:
        """Open (or start) the journal at `path` for the run `header` describes; `key` signs
        and checks every line. Without `lock`, the journal takes its own."""
        self.path = path
        self.key = key
        self.header = {**header, "journal_version": JOURNAL_VERSION, "signed": key is not None}
        self._own_lock = lock is None
        self.lock = lock if lock is not None else RunLock(path)
        self.entries: list[dict[str, Any]] = []
        self._index: dict[tuple[str, ...], set[str]] = {}
        self._mac = b""
        try:
            lines = self._read()
            if lines:
                self._check(lines)
            self._handle = open_private(path, "--journal", append=True)
            if not lines:
                self._append(self.header)
        except PrivateFileError as problem:
            self._release()
            raise JournalError(str(problem)) from problem
        except BaseException:
            self._release()
            raise

    def _read(self) -> list[tuple[int, dict[str, Any]]]:
        if self.path.is_symlink():
            raise JournalError(f"--journal {self.path} is a symbolic link: name the file itself")
        if not self.path.exists():
            return []
        if not self.path.is_file():
            raise JournalError(f"--journal {self.path} is not a regular file: name a file")
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        parsed: list[tuple[int, dict[str, Any]]] = []
        kept = len(raw)
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if isinstance(entry, dict):
                parsed.append((number, entry))
            elif number == len(lines):
                kept = len(raw) - len(line)  # torn by a run that died mid-write
            else:
                raise JournalError(
                    f"{self.path}:{number}: not a journal line (each is a JSON object): the "
                    f"file is damaged or edited and is not trusted; {MOVE_ASIDE}"
                )
        if kept != len(raw):
            with self.path.open("r+b") as handle:
                handle.truncate(kept)
        elif raw and not raw.endswith(b"\n"):
            # A whole last line that lost only its newline: end it, so that the next record
            # starts a line of its own.
            with self.path.open("ab") as handle:
                handle.write(b"\n")
        return parsed

    def _check(self, lines: list[tuple[int, dict[str, Any]]]) -> None:
        first = lines[0][1]
        header = {k: v for k, v in first.items() if k != "mac"}
        if "journal" not in header:
            raise JournalError(
                f"{self.path} has no header line: it was not written by this version of "
                f"cogfed-pool for this run, so what it says cannot be trusted; {MOVE_ASIDE}"
            )
        differences = [
            f"{key} {header.get(key)!r} (this run: {value!r})"
            for key, value in self.header.items()
            if header.get(key) != value
        ]
        if differences:
            raise JournalError(
                f"{self.path} is the journal of another run: its {'; '.join(differences)}. "
                f"Give the --journal of this run, or {MOVE_ASIDE}"
            )
        for number, entry in lines:
            self._verify(number, entry)
            if entry is not first:
                self._remember({k: v for k, v in entry.items() if k != "mac"})

    def _sign(self, entry: dict[str, Any]) -> str | None:
        if self.key is None:
            return None
        return hmac.new(self.key, self._mac + _canonical(entry), hashlib.sha256).hexdigest()

    def _verify(self, number: int, entry: dict[str, Any]) -> None:
        if self.key is None:
            return
        expected = self._sign({k: v for k, v in entry.items() if k != "mac"})
        given = entry.get("mac")
        if not isinstance(given, str) or not hmac.compare_digest(given, str(expected)):
            raise JournalError(
                f"{self.path}:{number}: the line's signature does not match: the journal was "
                "edited (or written under another LINKING_SECRET) and is not trusted; "
                f"{MOVE_ASIDE}"
            )
        self._mac = bytes.fromhex(given)

    def _append(self, entry: dict[str, Any]) -> None:
        mac = self._sign(entry)
        line = {**entry, "mac": mac} if mac is not None else entry
        if mac is not None:
            self._mac = bytes.fromhex(mac)
        append_durably(self._handle, [json.dumps(line, ensure_ascii=False)])

    def _remember(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)
        for keys, seen in self._index.items():
            if all(k in entry for k in keys):
                seen.add(_values(entry, keys))

    def record(self, **entry: Any) -> None:
        if {"mac", "journal"} & set(entry):
            raise ValueError("mac and journal are the journal's own keys")
        self._append(entry)
        self._remember(entry)

    def has(self, **wanted: Any) -> bool:
        """Whether an entry holds these values (an index per set of keys asked about, so a
        run of 100,000 steps stays linear)."""
        keys = tuple(sorted(wanted))
        seen = self._index.get(keys)
        if seen is None:
            seen = {_values(e, keys) for e in self.entries if all(k in e for k in keys)}
            self._index[keys] = seen
        return _values(wanted, keys) in seen

    def _release(self) -> None:
        if self._own_lock:
            self.lock.release()

    def close(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close()
        self._release()


def _values(entry: dict[str, Any], keys: tuple[str, ...]) -> str:
    return json.dumps([entry[k] for k in keys], sort_keys=True)
