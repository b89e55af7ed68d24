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

from common.redis import client_options
from testsupport.drills import RedisServer

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
        while not probe.info("clients")["blocked_clients"]:  # type: ignore[index]  # redis-py gives sync and async clients one `Awaitable | value` return type; until it blocks on Redis (BZPOPMIN)
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


_POOL_SCRIPT = """
import json, django, psycopg
django.setup()
from django.db import connection

def backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]

first = backend_pid()
connection.close()  # back to the pool, idle
again = backend_pid()  # the same pooled connection
connection.close()
params = {**connection.get_connection_params(), "autocommit": True}
params.pop("cursor_factory", None)
params.pop("context", None)
with psycopg.connect(**params) as killer:  # what a server restart does to idle connections
    killer.execute("SELECT pg_terminate_backend(%s)", [first])
print(json.dumps({"engine": connection.settings_dict["ENGINE"], "pool": connection.pool is not None,
                  "reused": again == first, "after_kill": backend_pid() != first}))
"""


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_pool_is_django_s_own_and_replaces_a_connection_the_server_killed() -> None:
    """DB_POOL_MAX_SIZE turns on Django's psycopg pool (no backend of our own); it reuses
    connections, and with CONN_HEALTH_CHECKS one the server ended is replaced at checkout
    instead of failing the request that got it."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DB_POOL_MAX_SIZE": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run([sys.executable, "-c", _POOL_SCRIPT], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "engine": "django.db.backends.postgresql",
        "pool": True,
        "reused": True,
        "after_kill": True,
    }
