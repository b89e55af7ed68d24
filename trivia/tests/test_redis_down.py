"""Trivia REST while Redis is down (SPEC §1): 503 `redis_unavailable` with Retry-After, fast,
never a 500 with a traceback. (The fault drill does the same against a killed redis-server:
common/tests/test_fault_drills.py::test_redis_restart_mid_round_the_game_carries_on.)"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
import redis
from rest_framework.test import APIRequestFactory

from common.exceptions import exception_handler
from common.redis import client_options
from trivia.tests.factories import start_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(monkeypatch: Any) -> None:
    """Presence talks to a port where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The project's client options (one immediate retry, short timeouts), as common.redis uses.
    dead = redis.Redis(host="127.0.0.1", port=port, decode_responses=True, **client_options())
    monkeypatch.setattr("trivia.presence.get_redis", lambda: dead)


@pytest.mark.parametrize("path", ["/api/v1/trivia/rounds/current", "/api/v1/trivia/leaderboard"])
def test_trivia_rest_is_503_not_500_while_redis_is_down(gamer_client, redis_down, path):
    start_round("Lima")
    started = time.monotonic()
    response = gamer_client.get(path)
    assert response.status_code == 503, response.content
    assert response.json() == {
        "detail": "A service this needs (Redis) is unavailable; try again shortly.",
        "code": "redis_unavailable",
    }
    assert response["Retry-After"] == "5"
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (redis.exceptions.ConnectionError("Connection refused"), 503),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), 503),
        (redis.exceptions.ResponseError("WRONGTYPE"), 500),  # a bug, not an outage
    ],
)
def test_only_redis_outages_become_503(exc, status):
    request = APIRequestFactory().get("/")
    assert exception_handler(exc, {"request": request, "view": None}).status_code == status
