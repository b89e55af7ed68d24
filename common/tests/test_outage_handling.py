"""The pieces that keep the service answering through a Redis or PostgreSQL outage (the fault
drills in test_fault_drills.py exercise them end to end; docs/hardening.md)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest
import redis
from django.db import connection
from psycopg_pool import ConnectionPool

from common.drills import RedisServer
from common.redis import client_options

# --- Redis clients --------------------------------------------------------------------------


@pytest.mark.redis
async def test_redis_clients_carry_over_a_redis_restart_and_fail_fast_while_it_is_down(tmp_path: Any) -> None:
    import redis.asyncio as aioredis

    server = RedisServer(tmp_path)
    server.start()
    sync = redis.Redis.from_url(server.url(), **client_options())
    async_client = aioredis.Redis.from_url(server.url(), **client_options(asynchronous=True))
    try:
        assert sync.set("k", "1") and await async_client.set("k", "1")
        server.kill()
        server.start()  # empty
        # The pooled connections died with the old server: the retry reconnects on first use
        # (without it the async client fails this first command: "Connection closed by server").
        assert await async_client.get("k") is None
        assert sync.get("k") is None
        server.kill()
        started = time.monotonic()
        with pytest.raises(redis.ConnectionError):
            sync.get("k")
        with pytest.raises(redis.ConnectionError):
            await async_client.get("k")
        assert time.monotonic() - started < 1
    finally:
        await async_client.aclose()
        sync.close()
        server.kill()


# --- channel layer --------------------------------------------------------------------------


@pytest.mark.redis
async def test_channel_layer_receive_waits_out_a_redis_restart(tmp_path: Any) -> None:
    from common.channel_layer import RedisChannelLayer

    server = RedisServer(tmp_path)
    server.start()
    layer = RedisChannelLayer(hosts=[server.url()], prefix="drill-layer")
    try:
        channel = await layer.new_channel()
        receiving = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.2)  # let it block on Redis (BRPOP)
        server.kill()
        # channels-redis's own receive() raises here, which ends the consumer (socket closed 1011).
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(receiving), 1.5)
        assert not receiving.done()
        server.start()
        await layer.send(channel, {"type": "hello"})
        assert await asyncio.wait_for(receiving, 10) == {"type": "hello"}
    finally:
        await layer.flush()
        await layer.close_pools()
        server.kill()


# --- PostgreSQL pool ------------------------------------------------------------------------


def test_the_pool_is_django_s_own_with_a_checked_checkout() -> None:
    """DB_POOL_MAX_SIZE turns on Django's psycopg pool (no backend of our own), checking each
    connection as it leaves the pool."""
    code = (
        "import json, config.settings as s; d = s.DATABASES['default']; p = d['OPTIONS']['pool'];"
        "print(json.dumps([d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], p['max_size'],"
        " p['check'].__qualname__]))"
    )
    env = {**os.environ, "DATABASE_URL": "postgres://u@127.0.0.1:5432/x", "DB_POOL_MAX_SIZE": "7"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [
        "django.db.backends.postgresql",
        0,
        True,
        7,
        "ConnectionPool.check_connection",
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_pool_replaces_an_idle_connection_the_server_killed() -> None:
    """What `check` in the pool settings is for: after a server restart (here: the backend
    terminated) the pool hands out a new connection instead of the dead one."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["autocommit"] = True
    pool = ConnectionPool(
        kwargs=params, min_size=1, max_size=1, timeout=10, open=True, check=ConnectionPool.check_connection
    )
    try:
        with pool.connection() as conn:
            dead_pid = conn.info.backend_pid
        with connection.cursor() as cursor:  # what a server restart does to idle connections
            cursor.execute("SELECT pg_terminate_backend(%s)", [dead_pid])
        with pool.connection() as fresh:
            assert fresh.info.backend_pid != dead_pid
            assert fresh.execute("SELECT 1").fetchone() == (1,)
    finally:
        pool.close(timeout=0)
