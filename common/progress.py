"""A small text progress bar for long management commands."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import IO, Any


class Progress:
    def __init__(self, total: int, label: str, stream: IO[str] | Any = None, width: int = 30) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stdout
        self.width = width
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last_draw >= 0.2 or self.done >= self.total:
            self._last_draw = now
            self._draw()

    def _draw(self) -> None:
        frac = min(self.done / self.total, 1.0)
        filled = int(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        end = "\n" if self.done >= self.total else ""
        self.stream.write(f"\r{self.label:<22} [{bar}] {self.done}/{self.total} {elapsed:5.1f}s{end}")
        self.stream.flush()

    def finish(self) -> None:
        if self.done < self.total:
            self.done = self.total
            self._draw()


def progress_iter(items: list[Any], label: str, stream: IO[str] | Any = None) -> Iterator[Any]:
    bar = Progress(len(items), label, stream)
    for item in items:
        yield item
        bar.advance()
    bar.finish()
