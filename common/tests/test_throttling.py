"""Throttles kept in Redis by one Lua script (common.throttling): DRF's sliding window."""

from __future__ import annotations

import asyncio
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


class _Anonymous:
    is_authenticated = False


class _User:
    is_authenticated = True

    def __init__(self, pk: int) -> None:
        self.pk = pk


class _Request:
    def __init__(self, user: Any = None, ip: str = "10.0.0.9") -> None:
        self.user = user or _Anonymous()
        self.META = {"REMOTE_ADDR": ip}
        self.headers: dict[str, str] = {}


def _count_round_trips(monkeypatch: Any) -> list[list[int]]:
    """Each pipeline sent to Redis, as the number of keys of each script in it."""
    trips: list[list[int]] = []
    client = get_redis()
    real_pipeline = client.pipeline

    def pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = real_pipeline(*args, **kwargs)
        real_execute = pipe.execute

        def execute(*a: Any, **k: Any) -> Any:
            trips.append([command[0][2] for command in pipe.command_stack])
            return real_execute(*a, **k)

        pipe.execute = execute
        return pipe

    monkeypatch.setattr(client, "pipeline", pipeline)
    return trips


@pytest.mark.django_db
def test_every_throttle_of_a_request_in_one_round_trip(settings: Any, api: Any, monkeypatch: Any) -> None:
    trips = _count_round_trips(monkeypatch)
    throttles = [throttling.UserRateThrottle(), throttling.AnonRateThrottle()]
    assert throttling.throttles_check(throttles, _Request(), None) is None
    assert trips == [[2]]  # the user and anon windows of an anonymous client, one script call


@pytest.mark.django_db
def test_several_requests_share_one_round_trip_each_counted_in_order(settings: Any, monkeypatch: Any) -> None:
    settings.THROTTLE_USER_RATE = "2/min"
    trips = _count_round_trips(monkeypatch)
    ann, bob = _User(7001), _User(7002)
    checks = [([throttling.UserRateThrottle()], _Request(user), None) for user in (ann, bob, ann, ann, bob)]
    waits = throttling.throttles_check_many(checks)
    assert trips == [[1, 1, 1, 1, 1]]  # five requests, one pipeline
    # Ann's third request is refused (with DRF's wait), Bob's two pass: each window on its own.
    assert [w is None for w in waits] == [True, True, True, False, True]
    assert waits[3] is not None and 0 < waits[3][0] <= 60
    assert get_redis().llen("thr:throttle_user_7001") == 2


@pytest.mark.django_db(transaction=True)
async def test_concurrent_async_checks_share_one_round_trip(settings: Any) -> None:
    settings.THROTTLE_USER_RATE = "3/min"
    before = len(throttling._scripts.batch_sizes)
    users = [_User(7100 + i % 4) for i in range(16)]  # four users, four requests each
    results = await asyncio.gather(
        *(throttling.athrottles_check([throttling.UserRateThrottle()], _Request(u), None) for u in users)
    )
    sizes = throttling._scripts.batch_sizes[before:]
    assert sum(sizes) == 16 and max(sizes) > 1  # batched, nothing lost
    refused = [u.pk for u, waits in zip(users, results, strict=True) if waits is not None]
    assert sorted(refused) == [7100, 7101, 7102, 7103]  # each user's fourth request only


@pytest.mark.django_db
def test_requests_pass_unthrottled_while_redis_is_down(settings: Any, api: Any, monkeypatch: Any) -> None:
    settings.THROTTLE_ANON_RATE = "1/min"  # would refuse the second request, if it could count
    monkeypatch.setattr(throttling, "get_redis", unreachable_redis)
    assert [api.get(GAMES).status_code for _ in range(2)] == [200, 200]


@pytest.mark.django_db(transaction=True)
async def test_a_flushed_script_cache_is_reloaded_by_both_clients(settings: Any) -> None:
    """After a Redis restart (or SCRIPT FLUSH) the first check loads the script again."""
    settings.THROTTLE_USER_RATE = "5/min"
    get_redis().script_flush()
    assert throttling.throttles_check([throttling.UserRateThrottle()], _Request(_User(7201)), None) is None
    get_redis().script_flush()
    assert await throttling.athrottles_check([throttling.UserRateThrottle()], _Request(_User(7201)), None) is None
    assert get_redis().llen("thr:throttle_user_7201") == 2
