"""Throttles kept in Redis by one Lua script (common.throttling): DRF's sliding window."""

from __future__ import annotations

from typing import Any

import pytest

from common import throttling
from common.redis import get_redis
from leaderboard.tests.factories import unreachable_redis

GAMES = "/api/v1/leaderboard/games"


@pytest.mark.django_db
def test_the_window_refuses_past_the_rate_with_drf_s_429(settings: Any, api: Any) -> None:
    settings.THROTTLE_ANON_RATE = "3/min"
    assert [api.get(GAMES).status_code for _ in range(3)] == [200] * 3
    refused = api.get(GAMES)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 61
    assert 0 < refused.json()["retry_after"] <= 61
    # One list per scope and client, newest first; the refused request is not recorded.
    assert get_redis().llen("thr:throttle_anon_127.0.0.1") == 3


@pytest.mark.django_db
def test_old_requests_leave_the_window(settings: Any, api: Any, monkeypatch: Any) -> None:
    settings.THROTTLE_ANON_RATE = "2/min"
    clock = [1_000_000.0]
    monkeypatch.setattr(throttling.AnonRateThrottle, "timer", lambda self: clock[0])
    monkeypatch.setattr(throttling.UserRateThrottle, "timer", lambda self: clock[0])
    assert [api.get(GAMES).status_code for _ in range(3)] == [200, 200, 429]
    clock[0] += 59
    assert api.get(GAMES).status_code == 429
    clock[0] += 2  # the first two are now more than a minute old
    assert [api.get(GAMES).status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.django_db
def test_every_throttle_of_a_request_in_one_round_trip(settings: Any, api: Any, monkeypatch: Any) -> None:
    calls = []
    client = get_redis()
    real = client.evalsha

    def counting(*args: Any) -> Any:
        calls.append(args[1])  # number of keys
        return real(*args)

    monkeypatch.setattr(client, "evalsha", counting)
    throttles = [throttling.UserRateThrottle(), throttling.AnonRateThrottle()]

    class Anonymous:
        is_authenticated = False

    class Request:
        user = Anonymous()
        META = {"REMOTE_ADDR": "10.0.0.9"}
        headers: dict[str, str] = {}

    assert throttling.throttles_check(throttles, Request(), None) is None
    assert calls == [2]  # the user and anon windows of an anonymous client, one script call


@pytest.mark.django_db
def test_requests_pass_unthrottled_while_redis_is_down(settings: Any, api: Any, monkeypatch: Any) -> None:
    settings.THROTTLE_ANON_RATE = "1/min"  # would refuse the second request, if it could count
    monkeypatch.setattr(throttling, "get_redis", unreachable_redis)
    assert [api.get(GAMES).status_code for _ in range(2)] == [200, 200]
