"""What a web process does once, when its ASGI application is loaded (config/asgi.py).

1. Load the URLconf (and so every view module) now instead of on the first request, so the
   first requests of a fresh process don't pay for it while clients wait.
2. `gc.freeze()` the start-up heap (`GC_FREEZE_AT_START`, on by default). Django, DRF, the apps
   and the URLconf live as long as the process; without freezing, each full collection walks
   all of them again, and those pauses land on whichever requests are in flight (they were
   the tail of the p99 of the leaderboard endpoints: docs/deployment.md has the figures).
   Frozen objects are never collected, which is right for objects that live forever anyway.
"""

from __future__ import annotations

import gc
import logging

from django.conf import settings
from django.urls import get_resolver

logger = logging.getLogger("gameconnect.startup")


def server_started() -> None:
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    if getattr(settings, "GC_FREEZE_AT_START", True):
        gc.collect()
        gc.freeze()
        logger.debug("start-up heap frozen: %s objects", gc.get_freeze_count())
