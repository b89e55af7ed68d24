"""/ws/leaderboard/ limits (SPEC §1, §2): a per-user socket cap across processes (4005), `report`
frames on the user's REST throttle window and bounded report slots, `add_score` refused for a
deactivated account, and the account's sockets closed on deactivation."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from common import socket_cap
from common.redis import get_async_redis
from conftest import ahead, make_gamer, utc
from gamers.models import Gamer
from gamers.services import gamer_set_active
from leaderboard import consumers, selectors
from leaderboard.models import Score
from leaderboard.tests.test_consumer import WAIT, connect, next_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("games"),
    pytest.mark.time_machine(ahead(utc(2031, 3, 12, 12)), tick=True),
]

REPORT = {"action": "report", "start": "2031-03-01", "end": "2031-03-31", "limit": 5}


async def close_code(comm: Any, timeout: float = WAIT) -> int:
    async with asyncio.timeout(timeout):
        while True:
            output = await comm.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                return output["code"]


async def test_a_user_holds_at_most_the_cap_of_sockets_and_a_closed_one_frees_its_slot(settings):
    settings.WS_MAX_SOCKETS_PER_USER = 3
    user = await database_sync_to_async(make_gamer)("many tabs")
    other = await database_sync_to_async(make_gamer)("one tab")
    sockets = [await connect(user) for _ in range(3)]
    assert await socket_cap.held("leaderboard", user.pk) == 3

    extra = await connect()
    await extra.send_json_to({"action": "authenticate", "token": _token(user)})
    assert await extra.receive_json_from(WAIT) == {
        "type": "error",
        "message": "Too many open sockets: at most 3 per account; close one first.",
    }
    assert await close_code(extra) == 4005
    assert await socket_cap.held("leaderboard", user.pk) == 3
    # Another account is not affected, and the user's open sockets still work.
    mine = await connect(other)
    await sockets[0].send_json_to(REPORT)
    assert (await next_of(sockets[0], "report"))["result"] == []

    await sockets[0].disconnect()
    assert await socket_cap.held("leaderboard", user.pk) == 2
    again = await connect(user)  # the freed slot
    for comm in [*sockets[1:], again, mine]:
        await comm.disconnect()
    assert await socket_cap.held("leaderboard", user.pk) == 0


async def test_slots_of_a_process_that_died_expire_and_live_ones_are_refreshed(settings):
    settings.WS_MAX_SOCKETS_PER_USER = 2
    settings.WS_SOCKET_TTL_SECONDS = 30
    now = time.time()
    # A dead process's two sockets, last refreshed 31 s ago: nobody refreshes them any more.
    await get_async_redis().zadd(socket_cap.key("leaderboard", 7), {"dead.1": now - 1, "dead.2": now - 1})
    assert await socket_cap.acquire("leaderboard", 7, "live.1", now=now)  # expired ones don't count
    assert await socket_cap.acquire("leaderboard", 7, "live.2", now=now)
    assert not await socket_cap.acquire("leaderboard", 7, "live.3", now=now)
    # This process refreshes its own: 29 s later they are still counted (not expired).
    await socket_cap.refresh(now=now + 29)
    assert await socket_cap.held("leaderboard", 7, now=now + 40) == 2
    for channel in ("live.1", "live.2"):
        await socket_cap.release(channel)
    assert await socket_cap.held("leaderboard", 7, now=now) == 0
    await socket_cap.stop_refreshing()


async def test_report_frames_share_the_users_rest_throttle_window(settings):
    settings.THROTTLE_USER_RATE = "3/min"
    user = await database_sync_to_async(make_gamer)("reporter")
    comm = await connect(user)
    for _ in range(3):
        await comm.send_json_to(REPORT)
        assert (await next_of(comm, "report"))["result"] == []
    await comm.send_json_to(REPORT)
    assert await comm.receive_json_from(WAIT) == {"type": "error", "message": "Too many requests; slow down."}
    # The same window as REST: the user's next REST call is throttled too.
    from conftest import client_for

    response = await database_sync_to_async(lambda: client_for(user).get("/api/v1/auth/me"))()
    assert response.status_code == 429
    await comm.disconnect()


async def test_reports_run_at_most_the_report_slots_at_once(settings, monkeypatch):
    """Many sockets asking for reports at once never hold more than WS_REPORT_CONCURRENCY
    database threads: the rest of the socket pool stays free for attempts and submissions."""
    settings.WS_REPORT_CONCURRENCY = 1
    users = [await database_sync_to_async(make_gamer)(f"reporter {i}") for i in range(3)]
    running, most = 0, 0
    lock = threading.Lock()
    release = threading.Event()
    real = selectors.report_top

    def counted(**kwargs: Any) -> Any:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            release.wait(WAIT)
            return real(**kwargs)
        finally:
            with lock:
                running -= 1
            connection.close()

    monkeypatch.setattr(selectors, "report_top", counted)
    # Reports in their own threads here, so a second one could run if the slots let it.
    monkeypatch.setattr(consumers, "ws_db", lambda fn: database_sync_to_async(fn, thread_sensitive=False))
    sockets = [await connect(user) for user in users]
    for comm in sockets:
        await comm.send_json_to(REPORT)
    # The first report is held; give the others a short window to start beside it (they would,
    # all of them, without the slots).
    deadline = time.monotonic() + WAIT
    while running == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    deadline = time.monotonic() + 0.5
    while most < len(sockets) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    release.set()
    for comm in sockets:
        assert (await next_of(comm, "report"))["type"] == "report"
        await comm.disconnect()
    assert most == 1


async def test_a_deactivated_account_can_not_add_scores_and_loses_its_socket(admin):
    user = await database_sync_to_async(make_gamer)("scorer")
    comm = await connect(user)
    # Deactivated behind the socket's back (no close yet): the submission is refused.
    await database_sync_to_async(Gamer.objects.filter(pk=user.pk).update)(is_active=False)
    await comm.send_json_to({"action": "add_score", "game": "cod", "score": 100})
    assert await comm.receive_json_from(WAIT) == {"type": "error", "message": "This account is disabled."}
    assert not await database_sync_to_async(Score.objects.filter(user_id=user.pk).exists)()
    # Through the service: every open socket of the account closes at once.
    await database_sync_to_async(Gamer.objects.filter(pk=user.pk).update)(is_active=True)
    await database_sync_to_async(gamer_set_active)(actor=admin, target_id=user.pk, active=False)
    assert await close_code(comm, 1.0) == 4004


def _token(user: Any) -> str:
    from leaderboard.tests.test_consumer import access_for

    return access_for(user)
