"""Logging helpers shared by the plumbing in common/."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class WarnAtMostEvery:
    """A warning logged at most once every `seconds`: an outage that every request or frame
    meets must not flood the log. Call it with the message's arguments."""

    def __init__(
        self,
        logger: logging.Logger,
        message: str,
        *,
        seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.message = message
        self.seconds = seconds
        self.clock = clock
        self.last: float | None = None

    def __call__(self, *args: object) -> None:
        now = self.clock()
        if self.last is None or now - self.last > self.seconds:
            self.last = now
            self.logger.warning(self.message, *args)
