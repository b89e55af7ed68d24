"""Throttles kept in Redis by one Lua script (common.throttling): DRF's sliding window."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
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


class _User:
    is_authenticated = True

    def __init__(self, pk: int) -> None:
        self.pk = pk


class _Request:
    def __init__(self, user: Any, ip: str = "10.0.0.9") -> None:
        self.user = user
        self.META = {"REMOTE_ADDR": ip}
        self.headers: dict[str, str] = {}


@pytest.mark.django_db
def test_each_user_has_a_window_of_their_own(settings: Any) -> None:
    settings.THROTTLE_USER_RATE = "2/min"
    ann, bob = _User(7001), _User(7002)
    allowed = [throttling.UserRateThrottle().allow_request(_Request(user), None) for user in (ann, bob, ann, ann, bob)]
    # Ann's third request is refused, Bob's two pass: each window on its own.
    assert allowed == [True, True, True, False, True]
    assert get_redis().llen("thr:throttle_user_7001") == 2


@pytest.mark.django_db
def test_concurrent_requests_never_take_more_than_the_window(settings: Any) -> None:
    """The check and the record are one atomic script: 40 threads racing for 10 slots get 10."""
    settings.THROTTLE_USER_RATE = "10/min"
    user = _User(7300)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: throttling.UserRateThrottle().allow_request(_Request(user), None), range(40)))
    assert results.count(True) == 10


@pytest.mark.django_db
def test_requests_pass_unthrottled_while_redis_is_down(settings: Any, api: Any, monkeypatch: Any) -> None:
    settings.THROTTLE_ANON_RATE = "1/min"  # would refuse the second request, if it could count
    monkeypatch.setattr(throttling, "get_redis", unreachable_redis)
    assert [api.get(GAMES).status_code for _ in range(2)] == [200, 200]


@pytest.mark.django_db
def test_a_flushed_script_cache_is_reloaded(settings: Any) -> None:
    """After a Redis restart (or SCRIPT FLUSH) the first check loads the script again."""
    settings.THROTTLE_USER_RATE = "5/min"
    get_redis().script_flush()
    assert throttling.UserRateThrottle().allow_request(_Request(_User(7201)), None)
    get_redis().script_flush()
    assert throttling.UserRateThrottle().allow_request(_Request(_User(7201)), None)
    assert get_redis().llen("thr:throttle_user_7201") == 2


class _Anonymous:
    is_authenticated = False


@pytest.mark.django_db
def test_each_request_is_counted_in_exactly_one_window(settings: Any, monkeypatch: Any) -> None:
    """Anonymous callers by address (THROTTLE_ANON_RATE), signed-in callers by account
    (THROTTLE_USER_RATE): one window, so one Redis round trip, per request."""
    calls: list[str] = []
    real = throttling.window_record

    def counting(key: str, **kwargs: Any) -> Any:
        calls.append(key)
        return real(key, **kwargs)

    monkeypatch.setattr(throttling, "window_record", counting)
    throttles: list[throttling.UserRateThrottle | throttling.AnonRateThrottle]
    throttles = [throttling.UserRateThrottle(), throttling.AnonRateThrottle()]
    assert all(t.allow_request(_Request(_Anonymous(), ip="10.1.1.1"), None) for t in throttles)
    assert all(t.allow_request(_Request(_User(7400), ip="10.1.1.1"), None) for t in throttles)
    assert calls == ["throttle_anon_10.1.1.1", "throttle_user_7400"]
