"""What a web process does once, when its ASGI application is loaded (config/asgi.py).

1. Load the URLconf (and so every view module) now instead of on the first request, so the
   first requests of a fresh process don't pay for it while clients wait.
2. `gc.freeze()` the start-up heap (`GC_FREEZE_AT_START`, on by default). Django, DRF, the apps
   and the URLconf live as long as the process; without freezing, each full collection walks
   all of them again, and those pauses land on whichever requests are in flight (they were
   the tail of the p99 of the leaderboard endpoints: docs/deployment.md has the figures).
   Frozen objects are never collected, which is right for objects that live forever anyway.
3. On the embedded default (`BOARDS_REBUILD_AT_START`), rebuild the leaderboards, which live in
   this process's memory, from the database before the server answers (SPEC §6: the database is
   the truth; boards show every stored score after `seed_demo` and after any restart). With a
   real Redis the boards outlive the processes and nothing is rebuilt.
"""

from __future__ import annotations

import gc
import io
import logging

from django.conf import settings
from django.urls import get_resolver

logger = logging.getLogger("gameconnect.startup")


def boards_restore() -> None:
    """Rebuild the in-memory boards from the score history; a database that can't be read yet
    (not migrated) is logged and the server starts with empty boards."""
    from django.db import DatabaseError

    from leaderboard.rebuild import boards_rebuild

    try:
        stats = boards_rebuild(stream=io.StringIO())  # the log line below says it; no progress bar
    except DatabaseError as exc:
        logger.warning("leaderboards not rebuilt at start (database not ready: %s)", exc)
        return
    logger.info(
        "leaderboards rebuilt from the database in %.2fs: %s boards, %s entries",
        stats.seconds,
        stats.boards,
        stats.entries,
    )


def server_started() -> None:
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    if settings.BOARDS_REBUILD_AT_START:
        boards_restore()
    if getattr(settings, "GC_FREEZE_AT_START", True):
        gc.collect()
        gc.freeze()
        logger.debug("start-up heap frozen: %s objects", gc.get_freeze_count())
