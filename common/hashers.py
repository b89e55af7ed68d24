"""Password hashing in a bounded pool (SPEC §2): a burst of sign-ins can't exhaust memory.

Each Argon2 hash (Django's parameters) takes 100 MiB for its duration and request threads are not
bounded, so 24 concurrent logins took daphne from 126 MB to 1.46 GB. The hashers below are the
configured ones (Django's documented extension point: `PASSWORD_HASHERS`), unchanged except that
`encode` and `verify` run under one per-process `threading.BoundedSemaphore` of
`PASSWORD_HASH_CONCURRENCY` slots. A hash that can't get a slot within
`PASSWORD_HASH_WAIT_SECONDS` raises `HashingBusy` (503 `busy` with `Retry-After`): the DRF
exception handler and `common.middleware.HashingBusyMiddleware` (non-DRF views such as the
admin's login) answer it. Same algorithm names as Django's, so stored hashes verify unchanged.

A thread that already holds a slot doesn't take a second one: PBKDF2's `verify` and
`harden_runtime` call `encode`, which would otherwise wait on itself with one slot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth import hashers

from common.errors import Unavailable


class HashingBusy(Unavailable):
    """Every hashing slot stayed taken for PASSWORD_HASH_WAIT_SECONDS."""

    default_code = "busy"
    retry_after = 2  # seconds; sent as Retry-After


_pool_lock = threading.Lock()
_pool: tuple[int, threading.BoundedSemaphore] | None = None
_held = threading.local()


def _semaphore() -> threading.BoundedSemaphore:
    """The process's semaphore, remade when PASSWORD_HASH_CONCURRENCY changes (tests change it)."""
    global _pool
    size = max(1, int(settings.PASSWORD_HASH_CONCURRENCY))
    with _pool_lock:
        if _pool is None or _pool[0] != size:
            _pool = (size, threading.BoundedSemaphore(size))
        return _pool[1]


@contextmanager
def hashing_slot() -> Iterator[None]:
    """Hold one of the process's hashing slots; raises HashingBusy when none frees in time."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=max(0.0, float(settings.PASSWORD_HASH_WAIT_SECONDS))):
        raise HashingBusy("The server is busy signing other people in; try again in a moment.")
    _held.depth = 1
    try:
        yield
    finally:
        _held.depth = 0
        semaphore.release()


class BoundedHasherMixin:
    """Runs the hasher's `encode` and `verify` under `hashing_slot()`. Goes first in the bases."""

    def encode(self, password: str, salt: str, *args: Any, **kwargs: Any) -> str:
        with hashing_slot():
            return super().encode(password, salt, *args, **kwargs)  # type: ignore[misc]  # the hasher after this mixin

    def verify(self, password: str, encoded: str) -> bool:
        with hashing_slot():
            return super().verify(password, encoded)  # type: ignore[misc]  # the hasher after this mixin


class BoundedArgon2PasswordHasher(BoundedHasherMixin, hashers.Argon2PasswordHasher):
    pass


class BoundedPBKDF2PasswordHasher(BoundedHasherMixin, hashers.PBKDF2PasswordHasher):
    pass
