"""An append-only journal (JSON lines, fsynced per line) that lets an interrupted run resume
where it stopped, and a second run see that there is nothing left to do.

A journal file is input like any other: it may be another run's, or edited. So:

- its first line is a header naming what it records (the command, the pool and, for a repair,
  the SHA-256 of the plan) and a nonce drawn when the journal was started; a journal whose
  header differs from this run's, or that has none, is refused with the difference named,
  before anything in the file is changed;
- where the run acts on what a line says (repair: "this federated user was checked and is
  being deleted", which lets a later run link its identity once the user is gone), every line
  carries an HMAC chained from the header's, under the operator's key (operator_key.py; not
  the deployment's `LINKING_SECRET`, which every reader of the function's configuration
  holds): a line written, changed, moved or dropped from the middle is refused; and how far
  this machine's runs wrote each journal is recorded beside the key, so a journal whose last
  lines were cut (or an earlier copy put back) is refused too;
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
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from cogfed_pool.private_files import (
    PrivateFileError,
    append_durably,
    open_private_binary,
    open_private_journal,
)

JOURNAL_VERSION = 3
MOVE_ASIDE = "move it aside to start a new journal"
HEADER_START = b'{"journal": "cogfed-pool'  # how a header line (json.dumps of it) begins
STATE_SIZE = 78  # a fixed-size record, rewritten in place: count (12 digits), space, MAC


class JournalError(ValueError):
    pass


class JournalCut(JournalError):
    """The journal ends before where this machine's runs wrote it: someone may be half-done."""


class RunLock:
    """An exclusive, non-blocking flock on `JOURNAL.lock`, held until release()."""

    def __init__(self, journal: Path, *, path: Path | None = None, using: str = "") -> None:
        """The lock of `journal` (`JOURNAL.lock`), or the lock at `path`, held by runs
        `using` something (say, a pool)."""
        self.path = path or journal.with_name(journal.name + ".lock")
        using = using or str(journal)
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
                f"another run is using {using} (process {holder} holds {self.path}): wait "
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
    # ASCII: any string a line can hold (a lone surrogate too) has one canonical form.
    return json.dumps(entry, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()


class Journal:
    def __init__(
        self,
        path: Path,
        *,
        header: dict[str, Any],
        key: bytes | None = None,
        lock: RunLock | None = None,
        state_for: Callable[[str], Path] | None = None,
    ) -> None:
        """Open (or start) the journal at `path` for the run `header` describes; `key` signs
        and checks every line. Without `lock`, the journal takes its own. `state_for` names,
        for a journal's nonce, the file where this machine records how far its runs wrote it
        (so a journal cut back to an earlier state is refused)."""
        self.path = path
        self.key = key
        self.header = {**header, "journal_version": JOURNAL_VERSION, "signed": key is not None}
        self._own_lock = lock is None
        self.lock = lock if lock is not None else RunLock(path)
        self.entries: list[dict[str, Any]] = []
        self._index: dict[tuple[str, ...], set[str]] = {}
        self._mac = b""
        self._count = 0
        self._state_for = state_for
        self._state: int | None = None
        self._handle: IO[str] | None = None
        try:
            descriptor = open_private_journal(path, "--journal")
            try:
                lines = self._read(descriptor)
            except BaseException:
                os.close(descriptor)
                raise
            self._handle = open(descriptor, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
            if not lines:
                # A nonce per journal: no two journals (of one plan) share a signed line, so
                # none can be passed off as another, and this machine's record is keyed by it.
                self.header["nonce"] = secrets.token_hex(16)
                self._append(self.header)
        except PrivateFileError as problem:
            self.close()
            raise JournalError(str(problem)) from problem
        except BaseException:
            self.close()
            raise

    def _read(self, descriptor: int) -> list[tuple[int, dict[str, Any]]]:
        raw = _read_all(descriptor)
        lines = raw.split(b"\n")
        parsed: list[tuple[int, dict[str, Any]]] = []
        kept = len(raw)
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            entry = _parse(line)
            if isinstance(entry, dict):
                parsed.append((number, entry))
            elif number == len(lines) and (parsed or line.startswith(HEADER_START)):
                kept = len(raw) - len(line)  # torn by a run that died mid-write
            elif not parsed:
                raise JournalError(
                    f"{self.path} is not a journal of cogfed-pool (its first line is not a "
                    "journal header): name another --journal; nothing in it was changed"
                )
            else:
                raise JournalError(
                    f"{self.path}:{number}: not a journal line (each is a JSON object): the "
                    f"file is damaged or edited and is not trusted; {MOVE_ASIDE}"
                )
        # Checked whole before anything is cut: a file that is not this run's journal is left
        # as it was.
        if parsed:
            self._check(parsed)
        if kept != len(raw):
            os.ftruncate(descriptor, kept)
        elif raw and not raw.endswith(b"\n"):
            # A whole last line that lost only its newline: end it, so that the next record
            # starts a line of its own.
            os.write(descriptor, b"\n")
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
        nonce = header.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise JournalError(f"{self.path}: its header has no nonce; {MOVE_ASIDE}")
        self.header["nonce"] = nonce
        macs: list[bytes] = []
        for number, entry in lines:
            self._verify(number, entry)
            macs.append(self._mac)
            if entry is not first:
                self._remember({k: v for k, v in entry.items() if k != "mac"})
        self._count = len(lines)
        self._check_state(macs)

    def _check_state(self, macs: list[bytes]) -> None:
        """The journal reaches at least as far as this machine's runs wrote it."""
        if self.key is None or self._state_for is None:
            return
        state = self._open_state()
        record = os.pread(state, STATE_SIZE, 0).decode("ascii", "replace").split()
        if len(record) != 2 or not record[0].isdigit():
            return  # no record: the journal was started elsewhere (or the record is new)
        count, mac = int(record[0]), record[1]
        if count > len(macs) or not hmac.compare_digest(macs[count - 1].hex(), mac):
            raise JournalCut(
                f"{self.path} has {len(macs)} lines, but this machine's record "
                f"({self._state_for(str(self.header['nonce']))}) says runs wrote {count}: "
                "lines were cut from its end, or an earlier copy was put back. What they "
                "recorded is lost, so a person whose federated user was deleted may be "
                "half-done: check the people of the plan against the pool and the backup by "
                "hand, then move the journal aside"
            )

    def _open_state(self) -> int:
        if self._state is None:
            assert self._state_for is not None
            path = self._state_for(str(self.header["nonce"]))
            self._state = open_private_binary(path, "the journal's record")
        return self._state

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
                "edited (or written under another operator key) and is not trusted; "
                f"{MOVE_ASIDE}"
            )
        self._mac = bytes.fromhex(given)

    def _append(self, entry: dict[str, Any]) -> None:
        assert self._handle is not None
        mac = self._sign(entry)
        line = {**entry, "mac": mac} if mac is not None else entry
        append_durably(self._handle, [json.dumps(line, ensure_ascii=False)])
        self._count += 1
        if mac is not None:
            self._mac = bytes.fromhex(mac)
            if self._state_for is not None:
                # After the line is on disk: the record never runs ahead of the journal.
                record = f"{self._count:0{STATE_SIZE - 66}d} {mac}\n".encode("ascii")
                os.pwrite(self._open_state(), record, 0)

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

    def find(self, **wanted: Any) -> list[dict[str, Any]]:
        """The entries holding these values (for the rare lines a run reads back whole)."""
        return [e for e in self.entries if all(e.get(k) == v for k, v in wanted.items())]

    def _release(self) -> None:
        if self._own_lock:
            self.lock.release()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._state is not None:
            os.close(self._state)
            self._state = None
        self._release()


def _read_all(descriptor: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(descriptor, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _parse(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to be a line
        return None


def _values(entry: dict[str, Any], keys: tuple[str, ...]) -> str:
    return json.dumps([entry[k] for k in keys], sort_keys=True)
