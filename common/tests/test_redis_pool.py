"""The cache's Redis connection pool is one per process, not one per request context."""

from __future__ import annotations

from common.redis import SharedConnectionPool


def test_the_same_url_and_options_give_the_same_pool():
    first = SharedConnectionPool.from_url("redis://127.0.0.1:6379/14", socket_timeout=5)
    again = SharedConnectionPool.from_url("redis://127.0.0.1:6379/14", socket_timeout=5)
    assert first is again
    assert SharedConnectionPool.from_url("redis://127.0.0.1:6379/15", socket_timeout=5) is not first
    assert SharedConnectionPool.from_url("redis://127.0.0.1:6379/14", socket_timeout=1) is not first
