"""One Redis for leaderboards and presence: real Redis with REDIS_URL, else in-process fakeredis.

Sync and async clients of the embedded emulation share one FakeServer, so both see the same
data inside the process.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

_lock = threading.Lock()
_sync_client: redis.Redis | None = None
_fake_server: Any = None
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()


# Fail fast when Redis is down, so the code paths that tolerate it (leaderboard submissions,
# presence, /healthz) answer at once: a short connect timeout, and exactly one immediate retry.
# The retry is what carries a client over a Redis restart: a pooled connection the old server
# closed fails its next command ("Connection closed by server"), and the retry reconnects.
# Without it (from_url's default is none) the async client fails the first command on every
# pooled connection after a restart; with redis-py's own client default (3 retries, exponential
# backoff up to 10 s) a request would stall for seconds while Redis is down.
SOCKET_TIMEOUT_SECONDS = 5
CONNECT_TIMEOUT_SECONDS = 1


def client_options(*, asynchronous: bool = False) -> dict[str, Any]:
    """Timeouts and retry for every real Redis client of the project (and the cache)."""
    retry = AsyncRetry(NoBackoff(), 1) if asynchronous else Retry(NoBackoff(), 1)
    return {
        "socket_timeout": SOCKET_TIMEOUT_SECONDS,
        "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "retry": retry,
    }


class SharedConnectionPool(redis.ConnectionPool):
    """Django's RedisCache with one connection pool per process (`CACHES` `pool_class`).

    Django keeps a cache object per thread and, under ASGI, per request context; each builds its
    own pool from `from_url`, so without this every request opened a new TCP connection to
    Redis (connect, handshake, and redis-py's driver-info lookup: 15-20 % of a cached list
    request's CPU). Handing back one pool per URL and options keeps the connections open and
    shared (redis-py pools are thread-safe and reset themselves in a forked child).
    """

    _shared: dict[tuple[str, str], redis.ConnectionPool] = {}

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Any:
        key = (url, repr(sorted(kwargs.items(), key=lambda item: item[0])))
        with _lock:
            pool = cls._shared.get(key)
            if pool is None:
                pool = cls._shared[key] = super().from_url(url, **kwargs)
            return pool


def is_embedded() -> bool:
    return not settings.REDIS_URL


def _server() -> Any:
    global _fake_server
    if _fake_server is None:
        import fakeredis

        _fake_server = fakeredis.FakeServer()
    return _fake_server


def get_redis() -> redis.Redis:
    """The process-wide sync client (thread-safe; decode_responses=True)."""
    global _sync_client
    with _lock:
        if _sync_client is None:
            if is_embedded():
                import fakeredis

                _sync_client = fakeredis.FakeRedis(server=_server(), decode_responses=True)
            else:
                _sync_client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True, **client_options())
        return _sync_client


def get_async_redis() -> aioredis.Redis:
    """An asyncio client bound to the running event loop (one per loop)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        if is_embedded():
            import fakeredis

            client = fakeredis.FakeAsyncRedis(server=_server(), decode_responses=True)
        else:
            client = aioredis.Redis.from_url(
                settings.REDIS_URL,
                decode_responses=True,
                **client_options(asynchronous=True),
                max_connections=settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["max_connections"],
            )
        _async_clients[loop] = client
    return client


def redis_status() -> str:
    """`embedded`, `ok`, or raises when real Redis does not answer."""
    if is_embedded():
        return "embedded"
    get_redis().ping()
    return "ok"


def reset_for_tests() -> None:
    """Empty the store between tests (the embedded server, or the test Redis database)."""
    get_redis().flushdb()
