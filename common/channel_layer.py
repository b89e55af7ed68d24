"""channels-redis, except that a Redis outage does not kill the sockets.

channels-redis's `receive()` raises when Redis can't be reached, and Channels then ends the
consumer: the socket closes with 1011, and since the outage makes every consumer's receive
fail in turn, a Redis blip disconnects every client of every web process (a reconnect storm),
and consumers ended that way skip their disconnect handler (presence and hub bookkeeping).
Here `receive()` waits for Redis to come back instead; the socket stays open meanwhile, and
whatever does not need the channel layer (the game's database work, hub frames once Redis is
back) keeps working.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from common.logs import WarnAtMostEvery

logger = logging.getLogger("gameconnect.channel_layer")

RECEIVE_RETRY_SECONDS = 0.5
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


_unreachable_warning = WarnAtMostEvery(logger, "channel layer: Redis unreachable (%s); sockets wait for it")


class RedisChannelLayer(_RedisChannelLayer):
    async def receive(self, channel: str) -> Any:
        while True:
            try:
                return await super().receive(channel)
            except _UNREACHABLE as exc:
                _unreachable_warning(exc)
                await asyncio.sleep(RECEIVE_RETRY_SECONDS)
