"""PostgreSQL backend for the per-process connection pool (DB_POOL_MAX_SIZE): fails fast when
the server is down, and never hands out a connection a server restart killed.

* psycopg_pool's `getconn()` waits up to the pool timeout (DB_POOL_TIMEOUT, 10 s) for a
  connection. That wait is right when every connection is busy, and wrong when the server is
  down: the pool cannot make a connection, and every request would hang for the whole timeout
  before its 503. So a request waits only FIRST_WAIT_SECONDS at first; if no connection came by
  then, one direct connection attempt tells a busy pool (wait the rest of the timeout) from a
  server that is down (raise now: the API answers 503 `database_unavailable` at once).
* After a server restart the pool's idle connections are dead, and each would fail the request
  that gets it. Checking every checkout with a query (CONN_HEALTH_CHECKS) costs a round trip
  per request; instead each checkout asks the kernel whether the idle connection's socket has
  anything to read, which costs no round trip: an idle connection has nothing to read unless
  the server ended it (restart, shutdown, terminated backend: it sends an error, then EOF).
  Such a connection is closed and the pool replaces it.
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg import IsolationLevel
from psycopg_pool import ConnectionPool, PoolTimeout

FIRST_WAIT_SECONDS = 0.25


def getconn_failing_fast(pool: ConnectionPool, probe: Callable[[], None]) -> Any:
    """A connection from `pool`; raises the probe's error when the server can't be reached."""
    started = time.monotonic()
    try:
        return pool.getconn(timeout=FIRST_WAIT_SECONDS)
    except PoolTimeout:
        probe()  # raises psycopg.OperationalError when the server is down
    return pool.getconn(timeout=max(0.0, pool.timeout - (time.monotonic() - started)))


def ended_by_server(conn: Any) -> bool:
    """True when an idle connection has something to read (the server's goodbye, or EOF)."""
    if conn.closed:
        return True
    try:
        poller = select.poll()  # not select.select(): web processes have file descriptors > 1024
        poller.register(conn.pgconn.socket, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, psycopg.Error):
        return True


def getconn_alive(pool: ConnectionPool, probe: Callable[[], None]) -> Any:
    """getconn_failing_fast, never returning a connection the server has ended: such a one is
    closed and given back, and the pool makes a new one."""
    for _ in range(pool.max_size):
        conn = getconn_failing_fast(pool, probe)
        if not ended_by_server(conn):
            return conn
        conn.close()
        pool.putconn(conn)
    return getconn_failing_fast(pool, probe)  # the pool replaced every dead one by now


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        pool = self.pool
        if not pool:
            return super().get_new_connection(conn_params)
        pool.open()
        connection = getconn_alive(pool, lambda: self.Database.connect(**conn_params).close())
        # The rest of Django 5.2's get_new_connection for psycopg 3 (the isolation level).
        options = self.settings_dict["OPTIONS"]
        self.isolation_level = IsolationLevel(options.get("isolation_level", IsolationLevel.READ_COMMITTED))
        if "isolation_level" in options:
            connection.isolation_level = self.isolation_level
        return connection
