"""Fault drills: real processes (daphne x2, Celery worker and beat, a private redis-server, a
private PostgreSQL cluster), one fault each, then the invariants and /healthz (docs/hardening.md).

Runs on PostgreSQL + Redis only (CI's second pass). Every wait polls a condition with a deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db.models import Max
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from conftest import make_gamer
from events.models import Event, TicketOrder
from leaderboard.models import Score
from leaderboard.tests.factories import ensure_games
from sessions_app.models import Attendance
from sessions_app.tests.factories import GameSessionFactory
from testsupport.drills import (
    SPLIT_SECONDS,
    PostgresCluster,
    RedisServer,
    Stack,
    database_at,
    health,
    http_json,
    in_thread,
    invariant_violations,
    next_event,
    splits_are_one_reveal_each,
    wait_healthy,
    wait_until,
)
from trivia import presence
from trivia.models import Round
from trivia.tests.factories import make_entry

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def _drill_stack(tmp_path_factory: Any, django_db_setup: Any) -> Iterator[Stack]:
    """One set of processes for the trivia and leaderboard drills (starting them is most of a
    drill's time): two web processes, a worker and beat, on the test database and a private
    Redis. Each drill leaves it broken in its own way; `stack` mends it before the next one."""
    tmp = tmp_path_factory.mktemp("drills")
    redis_server = RedisServer(tmp)
    redis_server.start()
    stack = Stack(tmp, env={"TRIVIA_FREE_ATTEMPTS": "0"}, redis=redis_server)
    try:
        yield stack
    finally:
        stack.stop_all()
        redis_server.kill()


@pytest.fixture
async def stack(_drill_stack: Stack) -> Stack:
    """The shared processes, each running (restarted if a drill killed it) and healthy."""
    redis_server = _drill_stack.redis
    assert redis_server is not None
    if redis_server.proc is None:
        redis_server.start()
    for name in ("web-a", "web-b"):
        if not _drill_stack.alive(name):
            _drill_stack.procs.pop(name, None)
            _drill_stack.start_web(name)
    for name, start in (("worker", _drill_stack.start_worker), ("beat", _drill_stack.start_beat)):
        if not _drill_stack.alive(name):
            _drill_stack.procs.pop(name, None)
            start()
    # A process starting on a loaded 2-core machine may take a minute: a generous deadline.
    await asyncio.gather(*(wait_healthy(_drill_stack.url(n), _drill_stack, 120) for n in ("web-a", "web-b")))
    return _drill_stack


def present(stack: Stack) -> list[int]:
    """The players present now, in the stack's Redis."""
    assert stack.redis is not None
    client = redis.Redis.from_url(stack.redis.url(0), decode_responses=True)
    try:
        return sorted(int(i) for i in client.zrangebyscore(presence.PRESENCE_KEY, f"({time.time()}", "+inf"))  # type: ignore[union-attr]  # redis-py gives sync and async clients one `Awaitable | value` return type
    finally:
        client.close()


# Four hidden letters: a round reveals after three splits (a few seconds), or someone wins it.
ANSWERS = ["Oslo", "Lima", "Rome", "Kyiv", "Doha", "Baku", "Bern", "Riga"]
GAME_FRAMES = ("ROUND", "SPLIT", "REVEAL")


class Player:
    """One trivia client: a socket on one web process, and every frame it read."""

    def __init__(self, http: Any, user: Any) -> None:
        self.http = http
        self.user = user
        self.ws: Any = None
        self.seen: list[dict[str, Any]] = []

    async def connect(self, stack: Stack, web: str) -> dict[str, Any]:
        url = f"{stack.url(web, 'ws')}/ws/trivia/?token={AccessToken.for_user(self.user)}"
        self.ws = await self.http.ws_connect(url)
        return (await self.event("WELCOME"))["data"]

    async def event(self, *events: str, timeout: float = 30) -> dict[str, Any]:
        return await next_event(self.ws, *events, timeout=timeout, seen=self.seen)

    async def attempt(self, message: str) -> None:
        await self.ws.send_json({"event": "ATTEMPT", "data": {"message": message}})

    async def closed(self, timeout: float = 10) -> int | None:
        """Wait for the server to drop the socket; its close code."""
        async with asyncio.timeout(timeout):
            while not self.ws.closed:
                await self.ws.receive()
        return self.ws.close_code


async def entries() -> None:
    for answer in ANSWERS:
        await in_thread(make_entry, answer, value=50)


async def win_current_round(winner: Player, watcher: Player) -> Round:
    """At the start of the next round `winner` answers it; `watcher` sees the win; both get the
    ROUND after it. (Answering at a round's start leaves seconds before it could end revealed.)"""
    entry_id = (await winner.event("ROUND", timeout=40))["data"]["entryId"]
    round_ = await in_thread(lambda: Round.objects.get(entry_id=entry_id, state=Round.State.PLAYING))
    await winner.attempt(round_.answer.lower())
    won = (await watcher.event("PEER_ATTEMPT"))["data"]
    while not won["correct"]:
        won = (await watcher.event("PEER_ATTEMPT"))["data"]
    assert (won["userId"], won["correctAnswer"]) == (winner.user.pk, round_.answer)
    diff = (await winner.event("COIN_DIFF"))["data"]["coinDiff"]
    while diff < 0:  # the attempt's cost comes first when attempts are paid
        diff = (await winner.event("COIN_DIFF"))["data"]["coinDiff"]
    assert diff == (await in_thread(lambda: Round.objects.get(pk=round_.pk))).prize > 0
    for player in (winner, watcher):
        await player.event("ROUND", timeout=40)
    return round_


async def healthy_at_the_end(url: str) -> None:
    status, body = await health(url)
    assert (status, body["database"], body["redis"]) == (200, "ok", "ok"), body


async def outage_health(url: str, part: str) -> dict[str, Any]:
    """/healthz during an outage: a quick 503 naming the failing part, the other part fine."""
    started = time.monotonic()
    status, body = await health(url, timeout=10)
    assert time.monotonic() - started < 5, "healthz hangs while a dependency is down"  # its timeouts are 1-2 s
    other = {"database": "redis", "redis": "database"}[part]
    assert status == 503 and body[part] == "down" and body[other] == "ok", body
    assert body["failing"] == part
    return body


async def trivia_rest_unavailable(url: str, user: Any) -> None:
    """While Redis is down: the trivia endpoints that read presence answer 503
    `redis_unavailable` (with Retry-After) within seconds; never a 500."""
    token = str(AccessToken.for_user(user))
    for path in ("/api/v1/trivia/rounds/current", "/api/v1/trivia/leaderboard"):
        started = time.monotonic()
        status, body = await asyncio.to_thread(http_json, url + path, token=token)
        assert (status, body["code"]) == (503, "redis_unavailable"), (path, status, body)
        assert time.monotonic() - started < 5, f"{path} hangs while Redis is down"


# --- drill 1: Redis restarts ----------------------------------------------------------------


async def test_redis_restart_mid_round_the_game_carries_on(stack: Stack) -> None:
    import aiohttp

    await entries()
    alice = await in_thread(make_gamer, "alice drill")
    bob = await in_thread(make_gamer, "bob drill")
    redis_server = stack.redis
    assert redis_server is not None
    url_a, url_b = stack.url("web-a"), stack.url("web-b")
    try:
        async with aiohttp.ClientSession() as http:
            a, b = Player(http, alice), Player(http, bob)
            await a.connect(stack, "web-a")
            await b.connect(stack, "web-b")
            await a.event("SPLIT", timeout=40)

            redis_server.kill()
            await outage_health(url_a, "redis")
            # Trivia REST that needs Redis (presence) says so: a quick 503, not a 500.
            await trivia_rest_unavailable(url_b, alice)
            # Attempts are database work: one made while Redis is down is stored and charged.
            await b.attempt("while redis is down")
            assert (await b.event("COIN_DIFF"))["data"]["coinDiff"] == -1

            redis_server.start()  # empty: presence, boards, channel layer and broker queues are gone
            await asyncio.gather(wait_healthy(url_a, stack, 60), wait_healthy(url_b, stack, 60))
            # Both sockets stayed open through the outage and get game frames again.
            await asyncio.gather(a.event(*GAME_FRAMES, timeout=30), b.event(*GAME_FRAMES, timeout=30))
            # The web processes put their players back into the emptied presence set.
            await wait_until(lambda: present(stack) == sorted([alice.pk, bob.pk]), 30, "presence")
            # A round is won after the restart; the next one starts.
            await win_current_round(a, b)
            await healthy_at_the_end(url_a)
            await healthy_at_the_end(url_b)
    except BaseException:
        print(stack.logs())
        raise
    assert await in_thread(lambda: Round.objects.filter(winner=alice).count()) == 1
    assert await in_thread(invariant_violations) == []


async def test_redis_restart_mid_leaderboard_burst(stack: Stack) -> None:
    import aiohttp

    await in_thread(ensure_games)
    users = [await in_thread(make_gamer, f"burst {i}") for i in range(6)]
    tokens = {u.pk: str(AccessToken.for_user(u)) for u in users}
    games = ["cod", "rocket", "valorant"]
    per_player = 45
    redis_server = stack.redis
    assert redis_server is not None
    # (user id, game, value, status, body); values fall over time, so the best scores are the
    # early ones, which the restart wipes from Redis: the boards are wrong until repaired.
    results: list[tuple[int, str, int, int, Any]] = []
    urls = [stack.url("web-a"), stack.url("web-b")]
    try:
        async with aiohttp.ClientSession() as http:

            async def player(user: Any) -> None:
                for n in range(per_player):
                    game, value = games[n % 3], 3000 - n
                    async with http.post(
                        f"{urls[n % 2]}/api/v1/leaderboard/scores",
                        json={"game": game, "score": value},
                        headers={"Authorization": f"Bearer {tokens[user.pk]}"},
                    ) as response:
                        body = await response.json(content_type=None)
                        results.append((user.pk, game, value, response.status, body))

            async def chaos() -> None:
                await wait_until(lambda: len(results) >= 40, 30, "the burst did not start")
                redis_server.kill()
                stored_blind = lambda: sum(1 for *_, s, b in results if s == 201 and not b["boards_updated"])  # noqa: E731
                try:
                    await wait_until(lambda: stored_blind() >= 20, 20, "")
                except AssertionError:
                    last = Counter((status, str(body)[:120]) for *_, status, body in results[-30:])
                    raise AssertionError(f"no score was stored while Redis was down: {last}") from None
                redis_server.start()

            await asyncio.gather(chaos(), *(player(u) for u in users))
            await asyncio.gather(*(wait_healthy(url, stack, 60) for url in urls))

            statuses = Counter(status for *_, status, _ in results)
            assert statuses == {201: len(users) * per_player}, [r for r in results if r[3] != 201][:5]
            updated = Counter(body["boards_updated"] for *_, body in results)
            assert updated[False] >= 20 and updated[True] >= 40, updated

            # Every accepted score is stored exactly once (and nothing else is).
            stored = Counter(await in_thread(lambda: list(Score.objects.values_list("user_id", "game__slug", "value"))))
            assert stored == Counter((u, g, v) for u, g, v, _, _ in results)

            expected = await in_thread(expected_boards, games)

            async def boards() -> dict[str, dict[int, int]]:
                out = {}
                for board in [*games, "all"]:
                    async with http.get(f"{urls[0]}/api/v1/leaderboard/{board}?period=all&page_size=100") as r:
                        assert r.status == 200, await r.text()
                        out[board] = {row["user_id"]: row["score"] for row in (await r.json())["results"]}
                return out

            async def boards_answer() -> bool:
                async with http.get(f"{urls[0]}/api/v1/leaderboard/cod") as r:
                    return r.status == 200

            # The boards' breaker closes on its next probe (at most RETRY_AFTER_FAILURE_SECONDS
            # after Redis is back); until then reads answer 503 leaderboard_unavailable.
            await wait_until(boards_answer, 10, "the boards did not come back after Redis did", interval=0.2)
            # Redis lost the best (early) scores: the boards are wrong until repaired ...
            assert await boards() != expected
            stack.manage("rebuild_leaderboards")
            # ... and exactly right after `rebuild_leaderboards`, read through a web process.
            assert await boards() == expected
            for url in urls:
                await healthy_at_the_end(url)
    except BaseException:
        print(stack.logs())
        raise
    assert await in_thread(invariant_violations) == []


def expected_boards(games: list[str]) -> dict[str, dict[int, int]]:
    """Each player's best per game, and the sum of their bests for `all`, from the database."""
    out: dict[str, dict[int, int]] = {game: {} for game in [*games, "all"]}
    for user_id, game, best in Score.objects.values_list("user_id", "game__slug").annotate(best=Max("value")):
        out[game][user_id] = best
        out["all"][user_id] = out["all"].get(user_id, 0) + best
    return out


# --- drill 3: the clock's processes die -----------------------------------------------------


async def test_killed_worker_and_beat_mid_round_resume_without_double_advance(stack: Stack) -> None:
    import aiohttp

    await entries()
    alice = await in_thread(make_gamer, "alice drill")
    url = stack.url("web-a")
    try:
        async with aiohttp.ClientSession() as http:
            a = Player(http, alice)
            await a.connect(stack, "web-a")
            # Kill both while a round has at least one split to go.
            split = (await a.event("SPLIT", timeout=40))["data"]
            while split["answer"].count("_") < 2:
                split = (await a.event("SPLIT", timeout=40))["data"]
            stack.kill("worker")
            stack.kill("beat")
            stopped = await in_thread(lambda: Round.objects.get(state=Round.State.PLAYING))
            # The web process still plays: a paid attempt is stored and charged.
            await a.attempt("no clock")
            assert (await a.event("COIN_DIFF"))["data"]["coinDiff"] == -1
            # Nothing advances without the clock (a frame of a split committed before the kill
            # may still arrive; it shows the state read above).
            with pytest.raises(TimeoutError):
                while True:
                    frame = await a.event(*GAME_FRAMES, timeout=3 * SPLIT_SECONDS)
                    assert frame["event"] == "SPLIT" and frame["data"]["answer"] == stopped.masked, frame
            still = await in_thread(lambda: Round.objects.get(pk=stopped.pk))
            assert (still.state, still.version) == (Round.State.PLAYING, stopped.version)

            resumed_at = len(a.seen)
            stack.start_worker()
            stack.start_beat()
            # The same round completes: one reveal per split, then REVEAL, then the next round.
            await a.event("REVEAL", timeout=40)
            await a.event("ROUND", timeout=40)
            after = a.seen[resumed_at:]
            splits = [f["data"] for f in after if f["event"] == "SPLIT"]
            assert len(splits) == stopped.hidden_total - 1 - stopped.reveals
            ends = [datetime.fromisoformat(s["splitEndsAt"]) for s in splits]
            # Late ticks (queued before the kill, sent on restart) did not fire splits back to back.
            assert all(later - earlier >= timedelta(seconds=SPLIT_SECONDS * 0.99) for earlier, later in pairwise(ends))
            done = await in_thread(lambda: Round.objects.get(pk=stopped.pk))
            assert (done.end_reason, done.reveals) == (Round.EndReason.REVEALED, done.hidden_total - 1)

            # And the game goes on: the round after it is won, the prize paid.
            entry_id = a.seen[-1]["data"]["entryId"]
            round_ = await in_thread(lambda: Round.objects.get(entry_id=entry_id, state=Round.State.PLAYING))
            await a.attempt(round_.answer)
            assert (await a.event("COIN_DIFF"))["data"]["coinDiff"] == -1
            prize = (await a.event("COIN_DIFF"))["data"]["coinDiff"]
            assert prize == (await in_thread(lambda: Round.objects.get(pk=round_.pk))).prize > 0
            await healthy_at_the_end(url)
    except BaseException:
        print(stack.logs())
        raise
    assert splits_are_one_reveal_each(a.seen), [f for f in a.seen if f["event"] in GAME_FRAMES]
    assert await in_thread(invariant_violations) == []


# --- drill 2: a web process dies ------------------------------------------------------------


async def test_killed_web_process_clients_carry_on_on_the_other(stack: Stack) -> None:
    import aiohttp

    await entries()
    alice, bob, carol, dave = [
        await in_thread(make_gamer, f"{name} drill") for name in ("alice", "bob", "carol", "dave")
    ]
    url_b = stack.url("web-b")
    try:
        async with aiohttp.ClientSession() as http:
            on_a = [Player(http, alice), Player(http, bob), Player(http, dave)]
            c = Player(http, carol)
            for player in on_a:
                await player.connect(stack, "web-a")
            await c.connect(stack, "web-b")
            await c.event("SPLIT", timeout=40)
            await wait_until(lambda: present(stack) == sorted([alice.pk, bob.pk, carol.pk, dave.pk]), 5, "present")

            stack.kill("web-a")  # SIGKILL: no goodbye, no presence release
            for player in on_a:
                assert await player.closed() not in (1000, 4002, 4004)
            # Alice and Bob come back on B and are welcomed into the round being played.
            a, b = on_a[0], on_a[1]
            for player in (a, b):
                welcome = await player.connect(stack, "web-b")
                assert welcome["gameState"] in (1, 2) and welcome["entryId"] is not None
            # Dave does not come back: his presence, last refreshed by the dead process, expires.
            expected = sorted([alice.pk, bob.pk, carol.pk])
            await wait_until(lambda: present(stack) == expected, 10, "dave's presence did not expire")
            # The game goes on across the surviving process: a paid attempt, a win seen by all.
            # (Not "others see the wrong attempt": under load the hub rightly sheds those.)
            await b.attempt("back on b")
            assert (await b.event("COIN_DIFF"))["data"]["coinDiff"] == -1
            await win_current_round(a, c)
            await healthy_at_the_end(url_b)
    except BaseException:
        print(stack.logs())
        raise
    assert await in_thread(lambda: Round.objects.filter(winner=alice).count()) == 1
    assert await in_thread(invariant_violations) == []


# --- drill 4: PostgreSQL stops --------------------------------------------------------------


def _shop(n_buyers: int) -> tuple[list[Any], Event, Any]:
    buyers = [make_gamer(f"buyer {i}") for i in range(n_buyers)]
    ensure_games()
    event = Event.objects.create(
        title="Drill night",
        description="",
        starts_at=timezone.now() + timedelta(days=3),
        location="Théâtre municipal",
        city="Tunis",
        tickets_total=40,
        tickets_available=40,
        ticket_price=Decimal("15.00"),
        organizer=buyers[0],
    )
    return buyers, event, GameSessionFactory(max_attendees=5, organizer=buyers[0])


@pytest.mark.skipif(not PostgresCluster.available(), reason="needs PostgreSQL 15 server binaries (initdb)")
async def test_postgres_outage_gives_503_and_recovers_without_restart(tmp_path: Path) -> None:
    import aiohttp

    buyers, event, session = await in_thread(_shop, 6)
    tokens = {u.pk: str(AccessToken.for_user(u)) for u in buyers}
    cluster = PostgresCluster()
    cluster.init()
    cluster.start()
    name = "gameconnect_h_drills_outage"
    stack = Stack(
        tmp_path,
        # The production set-up: a per-process connection pool, whose idle connections all die
        # with the server.
        env={"DATABASE_URL": cluster.copy_of_test_database(name), "DB_POOL_MAX_SIZE": "4"},
    )
    calls: list[tuple[str, int, int, Any, float]] = []  # (kind, user id, status, body, seconds)
    try:
        url = stack.start_web("web-a")
        await wait_healthy(url, stack)
        pid = stack.procs["web-a"].pid
        async with aiohttp.ClientSession() as http:

            async def call(kind: str, user: Any, n: int) -> int:
                path, body = {
                    "ticket": (f"/api/v1/events/{event.pk}/tickets", {"quantity": 1 + n % 3}),
                    "join": (f"/api/v1/sessions/{session.pk}/join", None),
                    "score": ("/api/v1/leaderboard/scores", {"game": "cod", "score": 1000 + 10 * n + user.pk % 10}),
                }[kind]
                started = time.monotonic()
                async with http.post(
                    url + path, json=body, headers={"Authorization": f"Bearer {tokens[user.pk]}"}
                ) as response:
                    data = await response.json(content_type=None)
                calls.append((kind, user.pk, response.status, data, time.monotonic() - started))
                return response.status

            async def everyone(n: int, kinds: tuple[str, ...] = ("ticket", "join", "score")) -> list[int]:
                return await asyncio.gather(*(call(k, u, n) for u in buyers for k in kinds))

            # Warm up: the pool holds open connections when the server goes away.
            assert set(await everyone(0, ("ticket", "score"))) == {201}
            cluster.stop("fast")
            before = len(calls)
            await outage_health(url, "database")
            statuses = await everyone(1)
            outage = calls[before:]
            assert set(statuses) == {503}, [c for c in outage if c[2] != 503][:3]
            assert all(c[3]["code"] == "database_unavailable" for c in outage), outage[:3]
            assert max(c[4] for c in outage) < 5, "a request hung while the database was down"

            cluster.start()
            await wait_healthy(url, stack, 60)
            # Recovered by itself: same daphne process, and no request fails on a dead pooled
            # connection (more requests than the pool has connections).
            assert stack.procs["web-a"].pid == pid and stack.alive("web-a")
            for n in (2, 3):
                after = await everyone(n)
                assert all(status < 500 for status in after), [c for c in calls[-len(after) :] if c[2] >= 500][:3]
            # A quick restart while nobody asks: every idle pooled connection is dead afterwards,
            # and still no request fails (the pool checks connections on checkout).
            cluster.stop("fast")
            cluster.start()
            assert set(await everyone(4, ("score",))) == {201}
            await healthy_at_the_end(url)
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_all()

    def outcome_in_the_private_database() -> None:
        with database_at(cluster.port, name):
            codes = [c[3]["code"] for c in calls if c[0] == "ticket" and c[2] == 201]
            orders = list(TicketOrder.objects.values_list("code", flat=True))
            assert sorted(orders) == sorted(codes)  # every 201 has its order, no order without one
            joined = {c[1] for c in calls if c[0] == "join" and c[2] == 200}
            attendees = list(Attendance.objects.values_list("gamer_id", flat=True))
            assert sorted(attendees) == sorted(joined) and len(joined) == session.max_attendees
            accepted = Counter((c[1], c[3]["score"]) for c in calls if c[0] == "score" and c[2] == 201)
            assert Counter(Score.objects.values_list("user_id", "value")) == accepted
            assert invariant_violations() == []

    try:
        await in_thread(outcome_in_the_private_database)
    finally:
        cluster.destroy()
