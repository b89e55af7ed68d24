"""The pieces that keep the service answering through a Redis or PostgreSQL outage (the fault
drills in test_fault_drills.py exercise them end to end; docs/hardening.md)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import psycopg
import pytest
import redis
from django.db import connection
from psycopg_pool import ConnectionPool

from common.drills import RedisServer, free_port, wait_sync
from common.postgres.base import FIRST_WAIT_SECONDS, ended_by_server, getconn_alive, getconn_failing_fast
from common.redis import client_options


def _dead_port() -> int:
    return free_port()  # nothing listens there


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
        probe, deadline = redis.Redis.from_url(server.url()), time.monotonic() + 10
        while not probe.info("clients")["blocked_clients"]:  # until it blocks on Redis (BZPOPMIN)
            assert time.monotonic() < deadline, "the layer's receive() never reached Redis"
            await asyncio.sleep(0.02)
        probe.close()
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


def test_pool_fails_fast_when_the_server_is_down() -> None:
    conninfo = f"host=127.0.0.1 port={_dead_port()} dbname=x user=postgres connect_timeout=2"
    pool = ConnectionPool(conninfo, min_size=1, max_size=2, timeout=10, open=True, reconnect_timeout=60)
    try:
        started = time.monotonic()
        with pytest.raises(psycopg.OperationalError):
            getconn_failing_fast(pool, lambda: psycopg.connect(conninfo).close())
        assert time.monotonic() - started < 2  # not the pool's 10 s timeout
    finally:
        pool.close(timeout=0)


@pytest.mark.postgres
@pytest.mark.django_db
def test_pool_waits_for_a_busy_connection_when_the_server_is_up() -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    pool = ConnectionPool(kwargs=params, min_size=1, max_size=1, timeout=10, open=True)
    try:
        busy = pool.getconn()
        releaser = threading.Timer(FIRST_WAIT_SECONDS + 0.5, pool.putconn, args=[busy])
        releaser.start()
        started = time.monotonic()
        conn = getconn_failing_fast(pool, lambda: psycopg.connect(**params).close())
        assert time.monotonic() - started >= FIRST_WAIT_SECONDS + 0.4  # it waited for the busy one
        assert conn is busy
        pool.putconn(conn)
        releaser.join()
    finally:
        pool.close(timeout=0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pool_replaces_an_idle_connection_the_server_killed() -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["autocommit"] = True
    pool = ConnectionPool(kwargs=params, min_size=1, max_size=1, timeout=10, open=True)
    probe = lambda: psycopg.connect(**params).close()  # noqa: E731
    try:
        conn = getconn_alive(pool, probe)
        dead_pid = conn.info.backend_pid
        pool.putconn(conn)
        assert getconn_alive(pool, probe) is conn  # alive: handed out again
        pool.putconn(conn)
        with connection.cursor() as cursor:  # what a server restart does to idle connections
            cursor.execute("SELECT pg_terminate_backend(%s)", [dead_pid])
        wait_sync(lambda: ended_by_server(conn), 5, "the server did not end the connection")
        fresh = getconn_alive(pool, probe)
        assert fresh.info.backend_pid != dead_pid
        assert fresh.execute("SELECT 1").fetchone() == (1,)
        pool.putconn(fresh)
    finally:
        pool.close(timeout=0)
