"""A progress line on stderr for anything that pages: rewritten in place on a terminal, a
line every few seconds otherwise (CI logs)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

LOG_EVERY_S = 5.0


class Progress:
    def __init__(self, what: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.what = what
        self.total = total
        self.count = 0
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self._last = 0.0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def advance(self, n: int = 1) -> None:
        self.count += n
        now = time.monotonic()
        if self._tty and now - self._last >= 0.1:
            self._last = now
            self.stream.write("\r" + self._line(now))
            self.stream.flush()
        elif not self._tty and now - self._last >= LOG_EVERY_S:
            self._last = now
            self.stream.write(self._line(now) + "\n")
            self.stream.flush()

    def done(self) -> None:
        self.stream.write(("\r" if self._tty else "") + self._line(time.monotonic()) + " done\n")
        self.stream.flush()

    def _line(self, now: float) -> str:
        elapsed = now - self.started
        rate = self.count / elapsed if elapsed > 0 else 0.0
        if self.total:
            width = 30
            filled = int(width * min(self.count, self.total) / self.total)
            bar = "#" * filled + "." * (width - filled)
            return f"{self.what} [{bar}] {self.count}/{self.total} ({rate:.0f}/s)"
        return f"{self.what}: {self.count} ({rate:.0f}/s, {elapsed:.0f} s)"


class Silent(Progress):
    def advance(self, n: int = 1) -> None:
        self.count += n

    def done(self) -> None:
        pass
