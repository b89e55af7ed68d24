"""How many sockets one user holds, across every web process: at most WS_MAX_SOCKETS_PER_USER
of a kind (SPEC §1: one user can't hold hundreds of sockets; the review opened 400 on
/ws/leaderboard/).

Counted in Redis (real, or the embedded emulation), like trivia presence:
`ws:sockets:<kind>:<user id>` is a sorted set of channel names scored by when each entry expires.
A socket takes a slot when it authenticates (one Lua script: drop expired entries, count, add if
there is room) and gives it back when it closes. Each web process re-scores its own sockets every
WS_SOCKET_TTL_SECONDS / 3, so the slots of a process that died without closing its sockets free
themselves after WS_SOCKET_TTL_SECONDS.

When Redis can't be reached the socket is let in (and that is logged, at most every 10 s): the
cap must not turn a Redis outage into refusing every client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref

from django.conf import settings
from redis.exceptions import RedisError

from common.logs import WarnAtMostEvery
from common.redis import get_async_redis

logger = logging.getLogger("gameconnect.ws")

KEY_PREFIX = "ws:sockets:"

# KEYS[1]: the user's set. ARGV: channel, expires_at, now, max, ttl (s).
# -> 1 when the channel holds a slot (new or already), 0 when the user has no room left.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


def key(kind: str, user_id: int) -> str:
    return f"{KEY_PREFIX}{kind}:{user_id}"


def _ttl() -> float:
    return float(getattr(settings, "WS_SOCKET_TTL_SECONDS", 60.0))


def max_sockets() -> int:
    """WS_MAX_SOCKETS_PER_USER (0: no cap)."""
    return int(getattr(settings, "WS_MAX_SOCKETS_PER_USER", 5))


_storage_down = WarnAtMostEvery(logger, "socket cap storage unavailable, sockets let in: %s")


class _Registry:
    """This event loop's sockets holding a slot (channel -> key), and the task keeping them fresh."""

    def __init__(self) -> None:
        self.slots: dict[str, str] = {}
        self.task: asyncio.Task[None] | None = None

    def ensure_refreshing(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._refresh_forever(), name="ws-socket-cap")

    async def _refresh_forever(self) -> None:
        while self.slots:
            await asyncio.sleep(_ttl() / 3)
            try:
                await refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis down: the next round tries again
                _storage_down(exc)


_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Registry] = weakref.WeakKeyDictionary()


def _registry() -> _Registry:
    loop = asyncio.get_running_loop()
    registry = _registries.get(loop)
    if registry is None:
        registry = _registries[loop] = _Registry()
    return registry


async def acquire(kind: str, user_id: int, channel: str, *, now: float | None = None) -> bool:
    """Take one of the user's slots for `channel`; False when they already hold the maximum."""
    limit = max_sockets()
    if limit <= 0:
        return True
    now = time.time() if now is None else now
    name = key(kind, user_id)
    ttl = _ttl()
    try:
        taken = await get_async_redis().eval(_ACQUIRE, 1, name, channel, now + ttl, now, limit, int(ttl) + 1)  # type: ignore[misc]  # redis-py gives sync and async clients one `Awaitable | value` return type
    except RedisError as exc:
        _storage_down(exc)
        return True
    if not int(taken):
        return False
    registry = _registry()
    registry.slots[channel] = name
    registry.ensure_refreshing()
    return True


async def release(channel: str) -> None:
    """Give back the slot `channel` holds, if any."""
    registry = _registry()
    name = registry.slots.pop(channel, None)
    if name is None:
        return
    if not registry.slots and registry.task is not None:
        registry.task.cancel()  # nothing left to keep fresh; the next acquire starts it again
        registry.task = None
    try:
        await get_async_redis().zrem(name, channel)
    except RedisError as exc:
        _storage_down(exc)  # the entry expires by itself


async def refresh(*, now: float | None = None) -> None:
    """Push back the expiry of every slot this event loop's sockets hold (one round trip)."""
    slots = dict(_registry().slots)
    if not slots:
        return
    now = time.time() if now is None else now
    ttl = _ttl()
    async with get_async_redis().pipeline(transaction=False) as pipe:
        for channel, name in slots.items():
            # Re-added if another process pruned it (this one was stalled past the TTL): the
            # socket is open, so it counts.
            pipe.zadd(name, {channel: now + ttl})
            pipe.expire(name, int(ttl) + 1)
        await pipe.execute()


async def held(kind: str, user_id: int, *, now: float | None = None) -> int:
    """How many live slots the user holds (tests, diagnostics)."""
    now = time.time() if now is None else now
    return int(await get_async_redis().zcount(key(kind, user_id), f"({now}", "+inf"))


async def stop_refreshing() -> None:
    """Stop this loop's refresher (tests)."""
    registry = _registries.pop(asyncio.get_running_loop(), None)
    if registry is not None and registry.task is not None:
        registry.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await registry.task
