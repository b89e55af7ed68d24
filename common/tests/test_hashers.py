"""Password hashing runs in a bounded pool (common/hashers.py): at most
PASSWORD_HASH_CONCURRENCY hashes at once per process; the excess waits
PASSWORD_HASH_WAIT_SECONDS, then gets 503 `busy` with Retry-After."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, MD5PasswordHasher, check_password, make_password
from django.test import Client

from common import hashers
from common.hashers import BoundedHasherMixin, HashingBusy
from conftest import make_gamer


class _Gate:
    """Counts the hashes running inside the pool and holds them there until opened."""

    def __init__(self, expect_inside: int) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.most = 0
        self.open = threading.Event()
        self.reached = threading.Event()
        self.expect = expect_inside

    def enter(self) -> None:
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            if self.inside >= self.expect:
                self.reached.set()
        assert self.open.wait(10)
        with self.lock:
            self.inside -= 1


GATE: _Gate | None = None


class _SlowBase:
    algorithm = "gated"

    def encode(self, password: str, salt: str) -> str:
        assert GATE is not None
        GATE.enter()
        return f"gated${salt}${password}"

    def verify(self, password: str, encoded: str) -> bool:
        return self.encode(password, encoded.split("$")[1]) == encoded


class GatedHasher(BoundedHasherMixin, _SlowBase):
    pass


class BoundedMD5PasswordHasher(BoundedHasherMixin, MD5PasswordHasher):
    """The tests' fast hasher, bounded, to drive the pool through the API."""


def _in_threads(count: int, work: Any) -> tuple[list[threading.Thread], list[Any]]:
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test reads what each thread got
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def test_no_more_than_the_concurrency_hash_at_once(settings: Any) -> None:
    global GATE
    settings.PASSWORD_HASH_CONCURRENCY = 2
    settings.PASSWORD_HASH_WAIT_SECONDS = 10
    GATE = gate = _Gate(expect_inside=2)
    everyone = _Gate(expect_inside=5)  # what an unbounded hasher would reach
    hasher = GatedHasher()

    def work(i: int) -> str:
        with everyone.lock:
            everyone.inside += 1
            if everyone.inside == 5:
                everyone.reached.set()
        return hasher.encode(f"pw{i}", f"salt{i}")

    threads, results = _in_threads(5, work)
    assert gate.reached.wait(10), "two hashes should be running"
    assert everyone.reached.wait(10), "all five callers have asked for a hash"
    # Waiting on the gate with a timeout: with an unbounded pool all five would be inside by now.
    with gate.lock:
        gate.expect = 3
        gate.reached.clear()
    assert not gate.reached.wait(0.3)
    gate.open.set()
    for thread in threads:
        thread.join(10)
    assert results == [f"gated$salt{i}$pw{i}" for i in range(5)]
    assert gate.most == 2


def test_a_hash_that_finds_no_slot_in_time_is_busy_quickly(settings: Any) -> None:
    global GATE
    settings.PASSWORD_HASH_CONCURRENCY = 1
    settings.PASSWORD_HASH_WAIT_SECONDS = 0.2
    GATE = gate = _Gate(expect_inside=1)
    hasher = GatedHasher()
    threads, results = _in_threads(1, lambda i: hasher.encode("first", "s"))
    assert gate.reached.wait(10)
    started = time.monotonic()
    with pytest.raises(HashingBusy) as refused:
        hasher.verify("second", "gated$s$second")
    assert time.monotonic() - started < 2
    assert (refused.value.status_code, refused.value.code) == (503, "busy")
    gate.open.set()
    threads[0].join(10)
    assert results == ["gated$s$first"]
    # The slot is free again.
    assert hasher.encode("third", "s") == "gated$s$third"


def test_a_hasher_that_calls_itself_takes_one_slot(settings: Any) -> None:
    # PBKDF2's verify calls encode: with one slot it would wait on itself and be busy.
    settings.PASSWORD_HASH_CONCURRENCY = 1
    settings.PASSWORD_HASH_WAIT_SECONDS = 0.1
    bounded = hashers.BoundedPBKDF2PasswordHasher()
    encoded = bounded.encode("secret-pass", bounded.salt(), iterations=1000)
    assert bounded.verify("secret-pass", encoded)
    assert not bounded.verify("wrong-pass", encoded)


def test_hashes_made_by_django_s_own_hashers_still_verify(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [
        "common.hashers.BoundedArgon2PasswordHasher",
        "common.hashers.BoundedPBKDF2PasswordHasher",
    ]
    stored = Argon2PasswordHasher().encode("old-password", "somesaltvalue1")
    assert check_password("old-password", stored)
    assert make_password("new-password").startswith("argon2$")
    pbkdf2 = make_password("other-password", hasher="pbkdf2_sha256")
    assert check_password("other-password", pbkdf2)


@pytest.mark.django_db
def test_an_api_sign_in_that_finds_the_pool_full_is_503_busy(api: Any, settings: Any) -> None:
    make_gamer("busy gamer")
    settings.PASSWORD_HASHERS = [f"{__name__}.BoundedMD5PasswordHasher"]
    assert api.post("/api/v1/auth/token", {"login": "busy gamer", "password": "S3cure-pass!"}).status_code == 200
    settings.PASSWORD_HASH_CONCURRENCY = 1
    settings.PASSWORD_HASH_WAIT_SECONDS = 0.05
    semaphore = hashers._semaphore()
    assert semaphore.acquire(timeout=5)
    try:
        refused = api.post("/api/v1/auth/token", {"login": "busy gamer", "password": "S3cure-pass!"})
        register = api.post(
            "/api/v1/auth/register", {"username": "new busy", "email": "nb@example.com", "password": "Kq8!vT2#pLw9"}
        )
    finally:
        semaphore.release()
    assert refused.status_code == 503
    assert refused.json() == {"detail": refused.json()["detail"], "code": "busy"}
    assert refused["Retry-After"] == "2"
    assert register.status_code == 503


@pytest.mark.django_db
def test_the_admin_login_that_finds_the_pool_full_is_a_503_page(settings: Any) -> None:
    make_gamer("busy admin", role="admin")
    settings.PASSWORD_HASHERS = [f"{__name__}.BoundedMD5PasswordHasher"]
    settings.PASSWORD_HASH_CONCURRENCY = 1
    settings.PASSWORD_HASH_WAIT_SECONDS = 0.05
    semaphore = hashers._semaphore()
    assert semaphore.acquire(timeout=5)
    try:
        page = Client(raise_request_exception=False).post(
            "/admin/login/", {"username": "busy admin", "password": "S3cure-pass!"}
        )
    finally:
        semaphore.release()
    assert page.status_code == 503
    assert page["Retry-After"] == "2"
    assert b"busy" in page.content
