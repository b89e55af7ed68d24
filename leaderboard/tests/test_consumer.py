"""WebSocket /ws/leaderboard/: auth, subscribe and pushes, coalescing, my_score, bad frames."""

import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from common.redis import get_redis
from common.ws import OriginValidator
from conftest import ahead, make_gamer, utc
from leaderboard import boards
from leaderboard.routing import websocket_urlpatterns
from leaderboard.selectors import board_window
from leaderboard.tests.factories import submit

# The boards are per UTC day, ISO week and month: every test starts at one instant, a Wednesday
# noon mid-month (ahead of the real clock, for Redis's expiries), whatever the real date.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("games"),
    pytest.mark.time_machine(ahead(utc(2031, 3, 12, 12)), tick=True),
]

app = OriginValidator(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]  # types-channels wants its own pattern type; Django's path/re_path give URLPattern
INTERVAL = 0.05
# Seconds to wait for a frame that must come: generous, so a loaded CI machine doesn't fail the
# test (a frame that never comes still does). Checks that nothing comes use short windows.
WAIT = 10.0


@pytest.fixture(autouse=True)
def _fast_pushes(settings: Any) -> None:
    settings.LEADERBOARD_PUSH_INTERVAL_SECONDS = INTERVAL


def access_for(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


async def connect(user=None, *, token: str | None = None) -> WebsocketCommunicator:
    path = "/ws/leaderboard/"
    if user is not None:
        path += f"?token={access_for(user)}"
    elif token is not None:
        path += f"?token={token}"
    comm = WebsocketCommunicator(app, path)
    connected, _ = await comm.connect(WAIT)
    assert connected
    if user is not None:
        assert (await comm.receive_json_from(WAIT)) == {
            "type": "authenticated",
            "user_id": user.pk,
            "username": user.username,
        }
    return comm


async def next_of(comm: WebsocketCommunicator, kind: str, timeout: float = WAIT) -> dict:
    """The next frame of type `kind`, skipping pushes of other types."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await comm.receive_json_from(timeout=max(0.01, deadline - time.monotonic()))
        if frame["type"] == kind:
            return frame


async def until(comm: WebsocketCommunicator, predicate, timeout: float = WAIT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = await comm.receive_json_from(timeout=max(0.01, deadline - time.monotonic()))
        if predicate(frame):
            return frame


gamer_named = database_sync_to_async(make_gamer)
submit_async = database_sync_to_async(submit)
window_now = database_sync_to_async(board_window)


# --- authentication ---------------------------------------------------------------------


async def test_token_in_the_url_authenticates():
    player = await gamer_named("socket player")
    comm = await connect(player)
    await comm.disconnect(timeout=WAIT)


async def test_first_frame_authenticates_in_the_leaderboard_shape():
    player = await gamer_named("frame player")
    comm = await connect()
    await comm.send_json_to({"action": "authenticate", "token": access_for(player)})
    assert (await comm.receive_json_from(WAIT))["type"] == "authenticated"
    await comm.send_json_to({"action": "subscribe", "game": "cod"})
    assert (await comm.receive_json_from(WAIT))["type"] == "scores"
    await comm.disconnect(timeout=WAIT)


async def test_bad_token_is_unauthorized_and_closed_4001():
    comm = await connect(token="garbage")
    assert await comm.receive_json_from(WAIT) == {"type": "unauthorized", "message": "Invalid or expired token."}
    assert (await comm.receive_output(WAIT))["code"] == 4001


async def test_frames_before_authentication_are_refused():
    comm = await connect()
    await comm.send_json_to({"action": "subscribe", "game": "cod"})
    assert (await comm.receive_json_from(WAIT))["type"] == "unauthorized"
    assert (await comm.receive_output(WAIT))["code"] == 4001


# --- subscribe and pushes ---------------------------------------------------------------


async def test_subscribe_sends_the_window_then_pushes_my_and_others_scores():
    me, rival = await gamer_named("watching player"), await gamer_named("rival player")
    await submit_async(rival, "cod", 50)
    comm = await connect(me)
    await comm.send_json_to({"action": "subscribe", "game": "cod", "period": "all", "start": 0, "end": 9})
    first = await comm.receive_json_from(WAIT)
    assert first["type"] == "scores"
    assert (first["game"], first["period"], first["start"], first["end"], first["total_count"]) == (
        "cod",
        "all",
        0,
        9,
        1,
    )
    assert [(r["rank"], r["user_id"], r["player"], r["score"]) for r in first["result"]] == [
        (1, rival.pk, rival.username, 50)
    ]

    await comm.send_json_to({"action": "add_score", "game": "cod", "score": 80})
    added = await next_of(comm, "score_added")
    assert (added["game"], added["score"], added["best"], added["rank"], added["boards_updated"]) == (
        "cod",
        80,
        80,
        1,
        True,
    )
    pushed = await next_of(comm, "scores")
    assert [(r["user_id"], r["score"]) for r in pushed["result"]] == [(me.pk, 80), (rival.pk, 50)]

    await submit_async(rival, "cod", 90)  # another player's submission reaches my socket
    pushed = await next_of(comm, "scores")
    assert [(r["user_id"], r["score"]) for r in pushed["result"]] == [(rival.pk, 90), (me.pk, 80)]
    assert pushed["total_count"] == 2
    await comm.disconnect(timeout=WAIT)


async def test_the_all_board_and_periods_are_pushed_too():
    me = await gamer_named("summing player")
    comm = await connect(me)
    await comm.send_json_to({"action": "subscribe", "game": "all", "period": "day"})
    assert (await comm.receive_json_from(WAIT))["result"] == []
    await submit_async(me, "rocket", 10)
    await submit_async(me, "apex", 5)
    pushed = await until(comm, lambda f: f["type"] == "scores" and f["result"] and f["result"][0]["score"] == 15)
    assert (pushed["game"], pushed["period"]) == ("all", "day")
    await comm.disconnect(timeout=WAIT)


async def test_unchanged_window_is_not_pushed_again():
    me = await gamer_named("top player")
    others = [await gamer_named(f"low player {n}") for n in range(3)]
    await submit_async(me, "fifa", 1000)
    for other in others:
        await submit_async(other, "fifa", 1)
    comm = await connect(me)
    await comm.send_json_to({"action": "subscribe", "game": "fifa", "start": 0, "end": 0})
    await comm.receive_json_from(WAIT)
    for n, other in enumerate(others):
        await submit_async(other, "fifa", 10 + n)  # changes below the watched window (same count)
    assert await comm.receive_nothing(timeout=6 * INTERVAL)
    await comm.disconnect(timeout=WAIT)


async def test_a_burst_of_500_submissions_is_coalesced(monkeypatch, settings):
    interval = 0.1
    settings.LEADERBOARD_PUSH_INTERVAL_SECONDS = interval
    notices = []
    real_notify = boards.boards_notify

    def counting_notify(changed: list) -> None:
        notices.extend(changed)
        real_notify(changed)

    monkeypatch.setattr(boards, "boards_notify", counting_notify)
    watcher = await gamer_named("burst watcher")
    players = await database_sync_to_async(lambda: [make_gamer(f"burst player {n}") for n in range(20)])()
    comm = await connect(watcher)
    await comm.send_json_to({"action": "subscribe", "game": "cod", "start": 0, "end": 9})
    await comm.receive_json_from(WAIT)

    def burst() -> float:
        started = time.monotonic()
        for i in range(500):  # every submission is a new top score: each changes the window
            submit(players[i % 20], "cod", i + 1)
        return time.monotonic() - started

    # In a worker thread of its own: the consumer's own sync calls (channels closes old database
    # connections before each message) must not queue behind the burst, or it would see no
    # notice until the burst is over and coalescing would go untested.
    duration = await database_sync_to_async(burst, thread_sensitive=False)()
    final = await window_now(game="cod", period="all", start=0, end=9)
    expected = [(r["user_id"], r["score"]) for r in final.rows]
    assert expected[0][1] == 500
    pushes = []
    while True:
        frame = await comm.receive_json_from(WAIT)
        pushes.append(frame)
        if [(r["user_id"], r["score"]) for r in frame["result"]] == expected:
            break
    assert await comm.receive_nothing(timeout=4 * interval)  # and nothing after the final state
    assert all(p["type"] == "scores" for p in pushes)
    assert 2 <= len(pushes) <= duration / interval + 3, (len(pushes), duration)
    if duration > 5 * interval:
        assert len(pushes) >= 3  # pushed while the burst went on, not only at the end
    # The layer got at most one notice per board (cod and all, 4 periods) per interval.
    assert len(notices) <= 8 * (duration / interval + 2), (len(notices), duration)
    # Without the gate every submission would notify all 8 boards. (A fixed cap such as 500 failed
    # on a loaded machine: a 20 s burst legitimately allows 8 notices in each of 200 intervals.)
    assert len(notices) < 8 * 500
    await comm.disconnect(timeout=WAIT)


@pytest.mark.postgres
async def test_a_slow_report_on_one_socket_does_not_hold_up_pushes_to_another(monkeypatch):
    """Sockets reach PostgreSQL through their own threads (common.ws.ws_db), not the one thread
    Channels shares for thread-sensitive code: a slow query of one socket delays only itself."""
    import asyncio
    import threading

    from leaderboard import selectors

    release = threading.Event()
    real_report = selectors.report_top

    def slow_report(**kwargs):
        release.wait(6 * WAIT)
        return real_report(**kwargs)

    monkeypatch.setattr(selectors, "report_top", slow_report)
    slow, watcher = await gamer_named("slow reporter"), await gamer_named("patient watcher")
    slow_comm, comm = await connect(slow), await connect(watcher)
    await comm.send_json_to({"action": "subscribe", "game": "apex"})
    await comm.receive_json_from(WAIT)
    # Past the re-read that follows a subscribe: from here only a notice can cause a push.
    assert await comm.receive_nothing(timeout=4 * INTERVAL)
    await slow_comm.send_json_to({"action": "report", "start": "2026-01-01", "end": "2026-01-02"})
    try:
        await submit_async(watcher, "apex", 42)
        pushed = await next_of(comm, "scores")
        assert [(r["user_id"], r["score"]) for r in pushed["result"]] == [(watcher.pk, 42)]
        assert await slow_comm.receive_nothing(timeout=0.1)  # still waiting for its report
    finally:
        release.set()
    assert (await next_of(slow_comm, "report"))["result"] == []
    await asyncio.gather(comm.disconnect(timeout=WAIT), slow_comm.disconnect(timeout=WAIT))


async def test_pushes_reach_every_watching_socket():
    a, b = await gamer_named("first watcher"), await gamer_named("second watcher")
    comm_a, comm_b = await connect(a), await connect(b)
    for comm in (comm_a, comm_b):
        await comm.send_json_to({"action": "subscribe", "game": "valorant", "period": "week"})
        await comm.receive_json_from(WAIT)
    await submit_async(a, "valorant", 33)
    for comm in (comm_a, comm_b):
        pushed = await next_of(comm, "scores")
        assert [(r["user_id"], r["score"]) for r in pushed["result"]] == [(a.pk, 33)]
        await comm.disconnect(timeout=WAIT)


async def test_a_new_subscribe_replaces_the_old_and_unsubscribe_stops_pushes():
    me = await gamer_named("switching player")
    comm = await connect(me)
    await comm.send_json_to({"action": "subscribe", "game": "cod"})
    await comm.receive_json_from(WAIT)
    await comm.send_json_to({"action": "subscribe", "game": "rocket", "period": "month"})
    assert (await comm.receive_json_from(WAIT))["game"] == "rocket"
    await submit_async(me, "cod", 5)  # the old window: no push
    assert await comm.receive_nothing(timeout=6 * INTERVAL)
    await submit_async(me, "rocket", 5)
    assert (await next_of(comm, "scores"))["game"] == "rocket"
    await comm.send_json_to({"action": "unsubscribe"})
    assert (await comm.receive_json_from(WAIT)) == {"type": "unsubscribed"}
    await submit_async(me, "rocket", 6)
    assert await comm.receive_nothing(timeout=6 * INTERVAL)
    await comm.disconnect(timeout=WAIT)


async def test_a_new_period_pushes_the_emptied_window():
    me = await gamer_named("night owl")
    await submit_async(me, "lol", 10)
    comm = await connect(me)
    await comm.send_json_to({"action": "subscribe", "game": "lol", "period": "day"})
    assert len((await comm.receive_json_from(WAIT))["result"]) == 1
    # What the clock tick does at midnight: the day's boards are new (here: emptied) and noticed.
    await database_sync_to_async(lambda: get_redis().flushdb())()
    await get_channel_layer().group_send(
        boards.board_group("lol", "day"), {"type": "board.changed", "board": "lol", "period": "day"}
    )
    pushed = await next_of(comm, "scores")
    assert (pushed["result"], pushed["total_count"]) == ([], 0)
    await comm.disconnect(timeout=WAIT)


# --- my_score, around_me, report ----------------------------------------------------------


async def test_my_score_is_pushed_again_when_my_rank_changes():
    me, rival = await gamer_named("ranked player"), await gamer_named("overtaking player")
    comm = await connect(me)
    await comm.send_json_to({"action": "my_score", "game": "apex"})
    first = await comm.receive_json_from(WAIT)
    assert first == {
        "type": "my_score",
        "game": "apex",
        "period": "all",
        "rank": None,
        "user_id": me.pk,
        "player": me.username,
        "score": None,
        "date": None,
    }
    await comm.send_json_to({"action": "add_score", "game": "apex", "score": 100})
    mine = await next_of(comm, "my_score")
    assert (mine["rank"], mine["score"]) == (1, 100)
    await submit_async(rival, "apex", 200)
    mine = await next_of(comm, "my_score")
    assert (mine["rank"], mine["score"]) == (2, 100)
    await comm.disconnect(timeout=WAIT)


async def test_around_me_and_report_actions():
    me = await gamer_named("curious player")
    others = [await gamer_named(f"neighbour {n}") for n in range(4)]
    for n, other in enumerate(others):
        await submit_async(other, "csgo", 100 * (n + 1))
    await submit_async(me, "csgo", 250)
    comm = await connect(me)
    await comm.send_json_to({"action": "around_me", "game": "csgo", "radius": 1})
    around = await comm.receive_json_from(WAIT)
    assert around["type"] == "around_me"
    assert [r["score"] for r in around["result"]] == [300, 250, 200]

    await comm.send_json_to({"action": "report", "limit": 2})
    report = await comm.receive_json_from(WAIT)
    assert report["type"] == "report"
    assert [(r["user_id"], r["score"], r["game"]) for r in report["result"]] == [
        (others[3].pk, 400, "csgo"),
        (others[2].pk, 300, "csgo"),
    ]
    assert report["start"] < report["end"]
    await comm.disconnect(timeout=WAIT)


# --- bad input --------------------------------------------------------------------------


BAD_FRAMES = [
    {"action": "dance"},
    {"no_action": True},
    {"action": 5},
    {"action": "subscribe", "game": "tetris"},
    {"action": "subscribe", "game": "cod", "period": "year"},
    {"action": "subscribe", "game": "cod", "start": 5, "end": 1},
    {"action": "subscribe", "game": "cod", "start": -1, "end": 3},
    {"action": "subscribe", "game": "cod", "start": 0, "end": 500},
    {"action": "subscribe", "game": "cod", "start": "0", "end": 9},
    {"action": "subscribe"},
    {"action": "my_score"},
    {"action": "my_score", "game": ["cod"]},
    {"action": "add_score", "game": "cod", "score": 1.5},
    {"action": "add_score", "game": "cod", "score": "10"},
    {"action": "add_score", "game": "cod", "score": -3},
    {"action": "add_score", "game": "cod", "score": 100_001},
    {"action": "add_score", "game": "tetris", "score": 1},
    {"action": "add_score", "game": "all", "score": 1},
    {"action": "add_score"},
    {"action": "report", "start": "2026-03-05", "end": "2026-03-01"},
    {"action": "report", "limit": 0},
    {"action": "report", "limit": 1_000_000},
    {"action": "around_me", "game": "cod", "radius": 99},
]


async def test_bad_frames_get_error_frames_and_the_socket_stays_open():
    me = await gamer_named("clumsy player")
    comm = await connect(me)
    for frame in BAD_FRAMES:
        await comm.send_json_to(frame)
        answer = await comm.receive_json_from(WAIT)
        assert answer["type"] == "error", (frame, answer)
        assert isinstance(answer["message"], str) and answer["message"], frame
    for raw in ["{nope", "[1, 2]", "null"]:
        await comm.send_to(text_data=raw)
        assert (await comm.receive_json_from(WAIT))["type"] == "error"
    await comm.send_to(bytes_data=b"\x00")
    assert (await comm.receive_json_from(WAIT))["type"] == "error"
    await comm.send_json_to({"action": "subscribe", "game": "cod"})
    assert (await comm.receive_json_from(WAIT))["type"] == "scores"
    assert await database_sync_to_async(lambda: me.scores.count())() == 0
    await comm.disconnect(timeout=WAIT)


async def test_error_messages_name_the_problem():
    me = await gamer_named("reader player")
    comm = await connect(me)
    await comm.send_json_to({"action": "add_score", "game": "rocket", "score": 9999})
    assert "0 to 5000" in (await comm.receive_json_from(WAIT))["message"]
    await comm.send_json_to({"action": "subscribe", "game": "cod", "period": "year"})
    assert "period" in (await comm.receive_json_from(WAIT))["message"]
    await comm.disconnect(timeout=WAIT)


async def test_too_many_frames_are_refused_with_an_error(settings):
    settings.LEADERBOARD_WS_FRAMES_PER_SECOND = 2
    me = await gamer_named("hasty player")
    comm = await connect(me)
    answers = []
    for _ in range(8):
        await comm.send_json_to({"action": "subscribe", "game": "cod"})
        answers.append((await comm.receive_json_from(WAIT))["type"])
    assert answers[:4] == ["scores"] * 4
    assert "error" in answers
    await comm.disconnect(timeout=WAIT)


async def test_socket_path_without_trailing_slash_works():
    me = await gamer_named("slashless player")
    comm = WebsocketCommunicator(app, f"/ws/leaderboard?token={access_for(me)}")
    connected, _ = await comm.connect(WAIT)
    assert connected
    assert (await comm.receive_json_from(WAIT))["type"] == "authenticated"
    await comm.disconnect(timeout=WAIT)


async def test_a_window_past_any_redis_index_is_an_error_frame_and_the_boards_stay_up():
    """Found by WebSocket fuzzing: such ranks reached Redis and came back as 'unavailable'."""
    user = await gamer_named("far window")
    comm = await connect(user)
    await comm.send_json_to({"action": "subscribe", "game": "cod", "start": 10**30, "end": 10**30 + 5})
    refused = await comm.receive_json_from(WAIT)
    assert refused["type"] == "error" and "unavailable" not in refused["message"]
    await comm.send_json_to({"action": "subscribe", "game": "cod", "start": 0, "end": 4})
    assert (await comm.receive_json_from(WAIT))["type"] == "scores"
    await comm.disconnect(timeout=WAIT)
