"""An append-only journal (JSON lines, flushed and fsynced per line) that lets an interrupted
run resume where it stopped, and a second run see that there is nothing left to do."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[dict[str, Any]] = []
        self._index: dict[tuple[str, ...], set[str]] = {}
        if path.is_file():
            raw = path.read_bytes()
            lines = raw.split(b"\n")
            kept = len(raw)
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    self.entries.append(json.loads(line))
                except ValueError:
                    # Only the last line can be torn (the run died while writing it): it is
                    # cut off, and the step it recorded is redone, which every step allows.
                    if number != len(lines):
                        raise ValueError(f"{path}:{number}: not a journal line") from None
                    kept = len(raw) - len(line)
            if kept != len(raw):
                with path.open("r+b") as handle:
                    handle.truncate(kept)
            elif raw and not raw.endswith(b"\n"):
                # A whole last line that lost only its newline: end it, so that the next
                # record starts a line of its own.
                with path.open("ab") as handle:
                    handle.write(b"\n")
        self._handle = path.open("a", encoding="utf-8")

    def record(self, **entry: Any) -> None:
        self.entries.append(entry)
        self._handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        for keys, seen in self._index.items():
            if all(k in entry for k in keys):
                seen.add(_values(entry, keys))

    def has(self, **wanted: Any) -> bool:
        """Whether an entry holds these values (an index per set of keys asked about, so a
        run of 100,000 steps stays linear)."""
        keys = tuple(sorted(wanted))
        seen = self._index.get(keys)
        if seen is None:
            seen = {_values(e, keys) for e in self.entries if all(k in e for k in keys)}
            self._index[keys] = seen
        return _values(wanted, keys) in seen

    def close(self) -> None:
        self._handle.close()


def _values(entry: dict[str, Any], keys: tuple[str, ...]) -> str:
    return json.dumps([entry[k] for k in keys], sort_keys=True)
