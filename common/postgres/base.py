"""PostgreSQL backend for the per-process connection pool (DB_POOL_MAX_SIZE): fails fast when
the server is down.

psycopg_pool's `getconn()` waits up to the pool timeout (DB_POOL_TIMEOUT, 10 s) for a
connection. That wait is right when every connection is busy, and wrong when the server is
down: the pool cannot make a connection, and every request would hang for the whole timeout
before its 503. So a request waits only FIRST_WAIT_SECONDS at first; if no connection came by
then, one direct connection attempt tells a busy pool (wait the rest of the timeout) from a
server that is down (raise now: the API answers 503 `database_unavailable` at once).

Stale connections (the server restarted under an idle pool) are weeded out by the pool's check
on checkout (CONN_HEALTH_CHECKS, set with the pool in config/settings.py).
"""

from __future__ import annotations

import time
from typing import Any

from django.db.backends.postgresql import base
from psycopg import IsolationLevel
from psycopg_pool import ConnectionPool, PoolTimeout

FIRST_WAIT_SECONDS = 0.25


def getconn_failing_fast(pool: ConnectionPool, probe: Any) -> Any:
    """A connection from `pool`; raises the probe's error when the server can't be reached."""
    started = time.monotonic()
    try:
        return pool.getconn(timeout=FIRST_WAIT_SECONDS)
    except PoolTimeout:
        probe()  # raises psycopg.OperationalError when the server is down
    return pool.getconn(timeout=max(0.0, pool.timeout - (time.monotonic() - started)))


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        pool = self.pool
        if not pool:
            return super().get_new_connection(conn_params)
        pool.open()
        connection = getconn_failing_fast(pool, lambda: self.Database.connect(**conn_params).close())
        # The rest of Django 5.2's get_new_connection for psycopg 3 (the isolation level).
        options = self.settings_dict["OPTIONS"]
        self.isolation_level = IsolationLevel(options.get("isolation_level", IsolationLevel.READ_COMMITTED))
        if "isolation_level" in options:
            connection.isolation_level = self.isolation_level
        return connection
