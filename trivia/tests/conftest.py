from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest


@pytest.fixture
async def trivia_hub() -> AsyncIterator[list[Any]]:
    """A fresh channel layer for this test's event loop, and a clean teardown.

    channels-redis keeps per-loop receive state on the layer instance, and every test runs on
    its own loop; so each socket test gets its own layer, closes every communicator it opened
    (the list this fixture yields), stops the loop's trivia hub and closes the layer's pools.
    """
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers  # type: ignore[attr-defined]  # public in channels.layers; types-channels leaves it out

    from trivia.hub import stop_hub

    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    opened: list[Any] = []
    yield opened
    # A deadline on the teardown: once it hung a CI worker for good (in the loop's select, after
    # test_attempt_throttle on PostgreSQL + Redis); now it fails that test instead.
    async with asyncio.timeout(60):
        for comm in opened:
            with contextlib.suppress(Exception):
                await comm.disconnect(timeout=10)
        await stop_hub()
        layer = channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
        if layer is not None and hasattr(layer, "close_pools"):
            with contextlib.suppress(Exception):
                await layer.close_pools()
