"""Helpers for the race tests (real threads against PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_in_threads(n: int, target: Callable[[int], Any], *, timeout: float = 60) -> list[Any]:
    """Run `target(i)` in `n` threads released together by a barrier.

    Returns each thread's result or the exception it raised, by index. Each thread closes its
    own database connection. Fails if a thread is still running after `timeout`.
    """
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    return results
