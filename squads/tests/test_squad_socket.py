"""The leaderboard socket: squad and `asc` subscriptions, and suspensions (SPEC §6 "Sockets")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from conftest import ahead, make_gamer, utc
from leaderboard.games import catalog_invalidate
from leaderboard.models import Game
from leaderboard.tests.factories import submit
from leaderboard.tests.test_consumer import INTERVAL, WAIT, connect, next_of
from sessions_app.services import session_create, session_join

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("games"),
    pytest.mark.time_machine(ahead(utc(2031, 3, 12, 12)), tick=True),
]


@pytest.fixture(autouse=True)
def _fast_pushes(settings: Any) -> None:
    settings.LEADERBOARD_PUSH_INTERVAL_SECONDS = INTERVAL


def _squad_world() -> tuple[Any, Any, Any]:
    me, mate, stranger = make_gamer("me myself"), make_gamer("my mate"), make_gamer("stranger")
    session = session_create(
        organizer=me,
        title="Squad night",
        game="Rocket League",
        platform="pc",
        starts_at=timezone.now() + timedelta(days=1),
        max_attendees=4,
    )
    session_join(session_id=session.pk, user=mate)
    submit(stranger, "rocket", 4000)
    submit(mate, "rocket", 300)
    return me, mate, stranger


async def test_a_squad_subscription_ranks_my_squad_and_is_pushed_when_it_changes() -> None:
    me, _mate, stranger = await database_sync_to_async(_squad_world)()
    comm = await connect(me)
    await comm.send_json_to({"action": "subscribe", "game": "rocket", "period": "week", "squad": True})
    first = await next_of(comm, "scores")
    assert (first["squad"], first["total_count"]) == (True, 1)
    assert [(r["player"], r["rank"], r["board_rank"]) for r in first["result"]] == [("my mate", 1, 2)]
    await database_sync_to_async(submit)(me, "rocket", 500)
    pushed = await next_of(comm, "scores")
    assert [(r["player"], r["score"], r["rank"]) for r in pushed["result"]] == [
        ("me myself", 500, 1),
        ("my mate", 300, 2),
    ]
    await database_sync_to_async(submit)(stranger, "rocket", 4500)  # not in my squad
    assert await comm.receive_nothing(timeout=6 * INTERVAL)
    await comm.disconnect(timeout=WAIT)


async def test_an_asc_board_is_pushed_lowest_first() -> None:
    def world() -> tuple[Any, Any]:
        Game.objects.create(slug="speedrun", label="Speedrun", max_score=600_000, order="asc")
        catalog_invalidate()
        return make_gamer("quick"), make_gamer("steady")

    quick, steady = await database_sync_to_async(world)()
    await database_sync_to_async(submit)(steady, "speedrun", 90_000)
    comm = await connect(quick)
    await comm.send_json_to({"action": "subscribe", "game": "speedrun"})
    assert [r["score"] for r in (await next_of(comm, "scores"))["result"]] == [90_000]
    await comm.send_json_to({"action": "add_score", "game": "speedrun", "score": 60_000})
    added = await next_of(comm, "score_added")
    assert (added["best"], added["rank"]) == (60_000, 1)
    pushed = await next_of(comm, "scores")
    assert [(r["player"], r["score"]) for r in pushed["result"]] == [("quick", 60_000), ("steady", 90_000)]
    await comm.disconnect(timeout=WAIT)


async def test_a_suspended_player_is_refused_on_the_socket_too() -> None:
    def world() -> Any:
        from leaderboard.models import Suspension

        smurf = make_gamer("socket smurf")
        Suspension.objects.create(
            user=smurf, game=Game.objects.get(slug="rocket"), until=timezone.now() + timedelta(days=1), reason="x"
        )
        return smurf

    smurf = await database_sync_to_async(world)()
    comm = await connect(smurf)
    await comm.send_json_to({"action": "add_score", "game": "rocket", "score": 100})
    error = await next_of(comm, "error")
    assert "suspended" in error["message"]
    await comm.send_json_to({"action": "add_score", "game": "cod", "score": 100})  # other games stay open
    assert (await next_of(comm, "score_added"))["status"] == "ranked"
    await comm.disconnect(timeout=WAIT)
