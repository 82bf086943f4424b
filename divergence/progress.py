"""A small progress bar on stderr for long steps; silent when disabled."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

__all__ = ["ProgressFn", "Progress", "no_progress"]


class ProgressFn(Protocol):
    def __call__(self, stage: str, done: int, total: int) -> None: ...


def no_progress(stage: str, done: int, total: int) -> None:
    """A progress callback that does nothing."""


class Progress:
    """Draws ``stage [#####.....] done/total`` on one terminal line.

    Called as ``progress(stage, done, total)`` by :func:`divergence.analyse`;
    redraws at most ten times a second, and ends its line on :meth:`close`.
    """

    def __init__(self, *, enabled: bool = True, stream: TextIO | None = None, width: int = 28) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.width = width
        self._last = 0.0
        self._stage = ""
        self._drawn = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if stage == self._stage and done < total and now - self._last < 0.1:
            return
        self._last = now
        self._stage = stage
        total = max(total, 1)
        filled = int(self.width * min(done, total) / total)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{stage[:40]:<40} [{bar}] {done}/{total}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False
