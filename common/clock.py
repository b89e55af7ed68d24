"""The game clock: periodic, idempotent ticks registered by apps.

Production: Celery beat runs `common.tasks.clock_tick` every CLOCK_INTERVAL_SECONDS (exactly one
beat). Embedded defaults: the web process runs the same ticks in an asyncio task started on
its first ASGI call. Each tick must be idempotent: a duplicate or late call must not
double-advance anything (the tick functions lock or compare-and-set).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger("gameconnect.clock")

_ticks: dict[str, Callable[[], object]] = {}
_started_loops: set[int] = set()
# Strong references: the event loop keeps only weak ones to its tasks.
_clock_tasks: list[asyncio.Task[None]] = []


def register_tick(name: str, fn: Callable[[], object]) -> None:
    _ticks[name] = fn


def run_ticks_once() -> None:
    """Run every registered tick once; one failing tick doesn't stop the others."""
    for name, fn in list(_ticks.items()):
        try:
            fn()
        except Exception:
            logger.exception("tick %s failed", name)


async def _clock_loop() -> None:
    from channels.db import database_sync_to_async

    def _tick() -> None:
        close_old_connections()
        run_ticks_once()

    while True:
        await database_sync_to_async(_tick)()
        await asyncio.sleep(settings.CLOCK_INTERVAL_SECONDS)


def ensure_inprocess_clock() -> None:
    """Start the in-process clock on the running loop once (embedded mode only)."""
    if not settings.INPROCESS_CLOCK:
        return
    loop = asyncio.get_running_loop()
    if id(loop) in _started_loops:
        return
    _started_loops.add(id(loop))
    _clock_tasks.append(loop.create_task(_clock_loop()))
    logger.info("in-process game clock started (every %ss)", settings.CLOCK_INTERVAL_SECONDS)
