"""The /ws/trivia/ protocol (SPEC §5) through WebsocketCommunicator: every event and payload."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from common.roles import Role
from common.ws import OriginValidator
from conftest import make_gamer
from gamers.models import CoinTransaction
from gamers.services import coins_apply
from trivia import services
from trivia.hub import local_hub
from trivia.models import Entry, Round
from trivia.routing import websocket_urlpatterns
from trivia.tests.factories import make_entry, start_round

pytestmark = [pytest.mark.django_db(transaction=True)]

from channels.routing import URLRouter  # noqa: E402

app = OriginValidator(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]  # types-channels wants its own pattern type; Django's path/re_path give URLPattern

WELCOME_KEYS = {
    "gameState",
    "userCoins",
    "entryId",
    "category",
    "clue",
    "answer",
    "currentValue",
    "elapsedSplitSeconds",
    "totalSplitSeconds",
    "freeAttemptsLeft",
    "entryReported",
    "players",
    "splitEndsAt",
    "attempts",
}


# Seconds to wait for a frame that must come: generous, so a loaded CI machine doesn't fail the
# test (a frame that never comes still does). Checks that nothing comes use short windows.
WAIT = 10.0


def token(user: Any) -> str:
    return str(AccessToken.for_user(user))


_opened: list[WebsocketCommunicator] = []


@pytest.fixture(autouse=True)
def _track_sockets(trivia_hub: list[Any]) -> None:
    global _opened
    _opened = trivia_hub


def communicator(path: str) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(app, path)
    _opened.append(comm)
    return comm


async def open_socket(user: Any = None, *, path: str = "/ws/trivia/") -> WebsocketCommunicator:
    """Connect (with ?token= when a user is given) and, for a user, read up to WELCOME."""
    if user is not None:
        path = f"{path}?token={token(user)}"
    comm = communicator(path)
    connected, _ = await comm.connect(WAIT)
    assert connected
    if user is not None:
        assert await comm.receive_json_from(WAIT) == {"event": "authenticated", "data": {}}
        welcome = await comm.receive_json_from(WAIT)
        assert welcome["event"] == "WELCOME", welcome
        comm.welcome = welcome["data"]  # type: ignore[attr-defined]  # tests read the WELCOME data off the communicator
    return comm


async def next_frame(comm: WebsocketCommunicator, timeout: float = WAIT) -> dict[str, Any]:
    return await comm.receive_json_from(timeout=timeout)


async def wait_for(comm: WebsocketCommunicator, event: str, timeout: float = WAIT) -> dict[str, Any]:
    """The data of the next `event` frame, skipping others (e.g. PEER_JOIN of other tests' sockets)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await comm.receive_json_from(timeout=timeout)
            if frame["event"] == event:
                return frame["data"]


async def collect(comm: WebsocketCommunicator, *events: str, timeout: float = WAIT) -> dict[str, Any]:
    """The data of the next frame of each of `events`, in whatever order they arrive."""
    got: dict[str, Any] = {}
    async with asyncio.timeout(timeout):
        while set(events) - set(got):
            frame = await comm.receive_json_from(timeout=timeout)
            if frame["event"] in events and frame["event"] not in got:
                got[frame["event"]] = frame["data"]
    return got


async def wait_closed(comm: WebsocketCommunicator, timeout: float = WAIT) -> int:
    async with asyncio.timeout(timeout):
        while True:
            output = await comm.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                return output["code"]


async def nothing_more(comm: WebsocketCommunicator) -> bool:
    return await comm.receive_nothing(timeout=0.15)


async def drain(comm: WebsocketCommunicator) -> list[dict[str, Any]]:
    """Every frame until the socket has been quiet for a moment."""
    frames = []
    while not await comm.receive_nothing(timeout=0.2):
        frames.append(await comm.receive_json_from(WAIT))
    return frames


@pytest.fixture
def playing_round(db: Any) -> Round:
    return start_round("Buenos Aires", value=50)


@pytest.fixture
def gamer2(db: Any) -> Any:
    return make_gamer("gamer two")


# --- joining -------------------------------------------------------------------------------


async def test_welcome_in_a_split_carries_every_key(gamer, playing_round):
    comm = await open_socket(gamer)
    welcome = comm.welcome
    assert set(welcome) == WELCOME_KEYS
    assert welcome["gameState"] == 1
    assert welcome["userCoins"] == 100
    assert welcome["entryId"] == playing_round.entry_id
    assert welcome["category"] == "Capitals"
    assert welcome["answer"] == "______ _____"
    assert welcome["currentValue"] == 50
    assert welcome["totalSplitSeconds"] == 15.0
    assert 0 <= welcome["elapsedSplitSeconds"] < 15
    assert welcome["freeAttemptsLeft"] == 3
    assert welcome["entryReported"] is False
    assert welcome["players"] == 1
    assert welcome["splitEndsAt"].endswith("Z")
    assert welcome["attempts"] == []
    await comm.disconnect(timeout=WAIT)


async def test_welcome_without_a_round_has_nulls(gamer):
    comm = await open_socket(gamer)
    welcome = comm.welcome
    assert set(welcome) == WELCOME_KEYS
    assert welcome["gameState"] == 0
    assert welcome["userCoins"] == 100 and welcome["players"] == 1 and welcome["attempts"] == []
    for key in WELCOME_KEYS - {"gameState", "userCoins", "players", "attempts"}:
        assert welcome[key] is None, key
    await comm.disconnect(timeout=WAIT)


async def test_welcome_in_the_transition_shows_the_answer_attempts_and_player_fields(gamer, gamer2, playing_round):
    await database_sync_to_async(services.attempt_submit)(user=gamer2, message="Lima")
    await database_sync_to_async(services.attempt_submit)(user=gamer, message="nope")
    await database_sync_to_async(services.attempt_submit)(user=gamer2, message="buenos aires")
    await database_sync_to_async(services.entry_report)(user=gamer)
    comm = await open_socket(gamer)
    welcome = comm.welcome
    assert welcome["gameState"] == 2
    assert welcome["answer"] == "Buenos Aires"
    assert welcome["freeAttemptsLeft"] == 2
    assert welcome["entryReported"] is True
    assert welcome["totalSplitSeconds"] == 8.0
    assert [(a["userId"], a["message"], a["correct"]) for a in welcome["attempts"]] == [
        (gamer2.pk, "Lima", False),
        (gamer.pk, "nope", False),
        (gamer2.pk, "buenos aires", True),
    ]
    assert set(welcome["attempts"][0]) == {"userId", "username", "message", "correct"}
    await comm.disconnect(timeout=WAIT)


async def test_first_frame_authentication(gamer, playing_round):
    comm = await open_socket()
    await comm.send_json_to({"event": "authentication", "data": {"idToken": token(gamer)}})
    assert await next_frame(comm) == {"event": "authenticated", "data": {}}
    assert (await next_frame(comm))["event"] == "WELCOME"
    await comm.disconnect(timeout=WAIT)


async def test_peer_join_and_peer_left_reach_the_others_only(gamer, gamer2):
    first = await open_socket(gamer)
    second = await open_socket(gamer2)
    assert second.welcome["players"] == 2
    assert await wait_for(first, "PEER_JOIN") == {"userId": gamer2.pk, "username": "gamer two"}
    # The newcomer's WELCOME counted the first player: no PEER_JOIN for it, late or not.
    assert [f for f in await drain(second) if f["event"] == "PEER_JOIN"] == []
    await second.disconnect(timeout=WAIT)
    assert await wait_for(first, "PEER_LEFT") == {"userId": gamer2.pk, "username": "gamer two"}
    await first.disconnect(timeout=WAIT)


# --- the game frames -----------------------------------------------------------------------


async def test_round_split_and_reveal_reach_every_player(gamer, gamer2):
    await database_sync_to_async(make_entry)("Tunis", value=40)
    one, two = await open_socket(gamer), await open_socket(gamer2)
    round_ = await database_sync_to_async(services.round_start)()
    for comm in (one, two):
        frame = await wait_for(comm, "ROUND")
        assert set(frame) == {"entryId", "category", "clue", "answer", "currentValue", "splitEndsAt"}
        assert frame["answer"] == "_____" and frame["currentValue"] == 40 and frame["entryId"] == round_.entry_id
    for k in range(1, 5):
        round_ = await database_sync_to_async(services.round_advance)(round_.pk, now=round_.split_ends_at)
        for comm in (one, two):
            frame = await wait_for(comm, "SPLIT")
            assert set(frame) == {"answer", "currentValue", "splitEndsAt"}
            assert frame["answer"].count("_") == 5 - k
            assert frame["currentValue"] == round_.current_value
    await database_sync_to_async(services.round_advance)(round_.pk, now=round_.split_ends_at)
    for comm in (one, two):
        assert await wait_for(comm, "REVEAL") == {"answer": "Tunis"}
    await one.disconnect(timeout=WAIT)
    await two.disconnect(timeout=WAIT)


async def test_attempts_are_free_then_paid_and_broadcast_to_all(settings, gamer, gamer2, playing_round):
    settings.TRIVIA_FREE_ATTEMPTS = 1
    settings.TRIVIA_ATTEMPT_COST = 1
    one, two = await open_socket(gamer), await open_socket(gamer2)
    await one.send_json_to({"event": "ATTEMPT", "data": {"message": "  Lima "}})
    expected = {"userId": gamer.pk, "username": "gamer one", "message": "Lima", "correct": False}
    assert await wait_for(one, "PEER_ATTEMPT") == expected
    assert await wait_for(two, "PEER_ATTEMPT") == expected
    assert await nothing_more(one)  # free: no COIN_DIFF
    await one.send_json_to({"event": "ATTEMPT", "data": {"message": "Quito"}})
    got = await collect(one, "PEER_ATTEMPT", "COIN_DIFF")
    assert got == {"PEER_ATTEMPT": {**expected, "message": "Quito"}, "COIN_DIFF": {"coinDiff": -1}}
    assert await wait_for(two, "PEER_ATTEMPT") == {**expected, "message": "Quito"}
    assert await nothing_more(two)
    await one.disconnect(timeout=WAIT)
    await two.disconnect(timeout=WAIT)


async def test_the_correct_attempt_wins_and_everyone_sees_the_answer(gamer, gamer2, playing_round):
    one, two = await open_socket(gamer), await open_socket(gamer2)
    await two.send_json_to({"event": "ATTEMPT", "data": {"message": "BUENOS  aires"}})
    won = {
        "userId": gamer2.pk,
        "username": "gamer two",
        "message": "BUENOS aires",
        "correct": True,
        "correctAnswer": "Buenos Aires",
    }
    assert await wait_for(one, "PEER_ATTEMPT") == won
    assert await collect(two, "PEER_ATTEMPT", "COIN_DIFF") == {"PEER_ATTEMPT": won, "COIN_DIFF": {"coinDiff": 50}}
    assert await nothing_more(one)
    await one.send_json_to({"event": "ATTEMPT", "data": {"message": "Buenos Aires"}})
    error = await wait_for(one, "ERROR")
    assert "round" in error["message"]
    await one.disconnect(timeout=WAIT)
    await two.disconnect(timeout=WAIT)


async def test_insufficient_funds_drops_the_attempt(settings, gamer, gamer2, playing_round):
    settings.TRIVIA_FREE_ATTEMPTS = 0
    await database_sync_to_async(coins_apply)(gamer_id=gamer.pk, amount=-100, reason=CoinTransaction.Reason.ADJUSTMENT)
    one, two = await open_socket(gamer), await open_socket(gamer2)
    assert one.welcome["userCoins"] == 0 and one.welcome["freeAttemptsLeft"] == 0
    await wait_for(one, "PEER_JOIN")
    await one.send_json_to({"event": "ATTEMPT", "data": {"message": "Buenos Aires"}})
    assert await next_frame(one) == {"event": "INSUFFICIENT_FUNDS", "data": {}}
    assert await nothing_more(one)
    assert all(f["event"] != "PEER_ATTEMPT" for f in await drain(two))  # a dropped attempt is not broadcast
    await two.send_json_to({"event": "REQUEST_PLAYER_LIST"})
    players = (await wait_for(two, "PLAYER_LIST"))["players"]
    assert [(p["id"], p["coins"]) for p in players] == [(gamer2.pk, 100), (gamer.pk, 0)]
    assert await database_sync_to_async(lambda: Round.objects.get().state)() == Round.State.PLAYING
    await one.disconnect(timeout=WAIT)
    await two.disconnect(timeout=WAIT)


async def test_bad_attempts_get_an_error_and_the_socket_stays_open(gamer, playing_round):
    comm = await open_socket(gamer)
    for data in [{}, {"message": 5}, {"message": ""}, {"message": "x" * 201}, [1]]:
        await comm.send_json_to({"event": "ATTEMPT", "data": data})
        assert (await next_frame(comm))["event"] == "ERROR"
    await comm.send_json_to({"event": "ATTEMPT", "data": {"message": "still here"}})
    assert (await wait_for(comm, "PEER_ATTEMPT"))["message"] == "still here"
    await comm.disconnect(timeout=WAIT)


async def test_reactions_reach_everyone_and_are_checked_and_throttled(settings, gamer, gamer2):
    settings.TRIVIA_REACTION_BURST = 2
    settings.TRIVIA_REACTION_RATE = 0.001
    one, two = await open_socket(gamer), await open_socket(gamer2)
    await one.send_json_to({"event": "REACTION", "data": {"emoji": "🔥"}})
    expected = {"userId": gamer.pk, "username": "gamer one", "emoji": "🔥"}
    assert await wait_for(one, "PEER_REACTION") == expected
    assert await wait_for(two, "PEER_REACTION") == expected
    for bad in ["hello", "🔥🔥🔥🔥🔥", "", None]:
        await one.send_json_to({"event": "REACTION", "data": {"emoji": bad}})
        assert (await next_frame(one))["event"] == "ERROR"
    await one.send_json_to({"event": "REACTION", "data": {"emoji": "🇹🇳"}})
    assert (await wait_for(one, "PEER_REACTION"))["emoji"] == "🇹🇳"
    await one.send_json_to({"event": "REACTION", "data": {"emoji": "🎮"}})
    assert "reactions" in (await next_frame(one))["data"]["message"]
    await one.disconnect(timeout=WAIT)
    await two.disconnect(timeout=WAIT)


async def test_report_entry_ok_then_error(gamer, playing_round):
    comm = await open_socket(gamer)
    await comm.send_json_to({"event": "REPORT_ENTRY"})
    assert await next_frame(comm) == {"event": "ENTRY_REPORTED_OK", "data": {}}
    await comm.send_json_to({"event": "REPORT_ENTRY", "data": {}})
    frame = await next_frame(comm)
    assert frame["event"] == "ENTRY_REPORTED_ERROR" and "already" in frame["data"]["message"]
    await comm.disconnect(timeout=WAIT)


async def test_report_without_a_round_is_an_error(gamer):
    comm = await open_socket(gamer)
    await comm.send_json_to({"event": "REPORT_ENTRY"})
    frame = await next_frame(comm)
    assert frame["event"] == "ENTRY_REPORTED_ERROR" and frame["data"]["message"]
    await comm.disconnect(timeout=WAIT)


async def test_player_list_is_sorted_by_coins_with_rights(gamer, playing_round):
    moderator = await database_sync_to_async(make_gamer)("mod one", role=Role.MODERATOR)
    await database_sync_to_async(coins_apply)(gamer_id=moderator.pk, amount=25, reason="adjustment")
    one, two = await open_socket(gamer), await open_socket(moderator)
    await one.send_json_to({"event": "REQUEST_PLAYER_LIST"})
    players = (await wait_for(one, "PLAYER_LIST"))["players"]
    assert [(p["id"], p["username"], p["rights"], p["coins"]) for p in players] == [
        (moderator.pk, "mod one", 1, 125),
        (gamer.pk, "gamer one", 0, 100),
    ]
    assert set(players[0]) == {"id", "username", "rights", "coins", "joined"}
    assert players[0]["joined"].endswith("Z")
    await one.disconnect(timeout=WAIT)
    await two.disconnect(timeout=WAIT)


# --- connections, authentication and abuse -------------------------------------------------


async def test_a_second_connection_closes_the_first_with_4002(gamer, gamer2, playing_round):
    watcher = await open_socket(gamer2)
    first = await open_socket(gamer)
    await wait_for(watcher, "PEER_JOIN")
    second = await open_socket(gamer)
    assert await wait_closed(first) == 4002
    assert second.welcome["players"] == 2
    await second.send_json_to({"event": "ATTEMPT", "data": {"message": "Lima"}})
    assert (await wait_for(second, "PEER_ATTEMPT"))["message"] == "Lima"
    assert (await wait_for(watcher, "PEER_ATTEMPT"))["userId"] == gamer.pk
    await first.disconnect(timeout=WAIT)
    assert await nothing_more(watcher)  # replacing a socket is not leaving: no PEER_LEFT
    await second.disconnect(timeout=WAIT)
    assert await wait_for(watcher, "PEER_LEFT") == {"userId": gamer.pk, "username": "gamer one"}
    await watcher.disconnect(timeout=WAIT)


async def test_auth_timeout_closes_with_4001(settings):
    settings.WS_AUTH_TIMEOUT_SECONDS = 0.05
    comm = await open_socket()
    assert await next_frame(comm) == {"event": "unauthorized", "data": {"message": "Authentication timed out."}}
    assert await wait_closed(comm) == 4001


async def test_bad_token_closes_with_4001(gamer):
    comm = await open_socket()
    await comm.send_json_to({"event": "authentication", "data": {"idToken": "not-a-jwt"}})
    frame = await next_frame(comm)
    assert frame["event"] == "unauthorized" and frame["data"]["message"]
    assert await wait_closed(comm) == 4001
    comm = communicator("/ws/trivia/?token=garbage")
    await comm.connect(WAIT)
    assert (await next_frame(comm))["event"] == "unauthorized"
    assert await wait_closed(comm) == 4001


async def test_malformed_frames_get_errors_and_the_socket_survives(gamer, playing_round):
    comm = await open_socket(gamer)
    bad_frames = ["{nope", "[1, 2]", '"text"', "x" * 20000, "[" * 5000 + "]" * 5000, '{"event": 5}', "{}"]
    bad_frames += ['{"event": "DANCE"}', '{"event": "ATTEMPT", "data": "Lima"}', '{"event": null}']
    for raw in bad_frames:
        await comm.send_to(text_data=raw)
        frame = await next_frame(comm)
        assert frame["event"] == "ERROR" and frame["data"]["message"], raw
    await comm.send_to(bytes_data=b"\x00\xff")
    assert (await next_frame(comm))["event"] == "ERROR"
    await comm.send_json_to({"event": "REQUEST_PLAYER_LIST"})
    assert (await next_frame(comm))["event"] == "PLAYER_LIST"
    await comm.disconnect(timeout=WAIT)


async def test_flooding_is_throttled_per_socket_and_the_socket_stays_open(settings, gamer, gamer2, playing_round):
    settings.TRIVIA_FRAME_BURST = 3
    settings.TRIVIA_FRAME_RATE = 0.001
    comm = await open_socket(gamer)
    other = await open_socket(gamer2)  # its own bucket: unaffected
    for _ in range(10):
        await comm.send_json_to({"event": "PING"})
    frames = await drain(comm)
    messages = [f["data"]["message"] for f in frames if f["event"] == "ERROR"]
    assert len(messages) == 4  # three unknown-event errors, then one throttle warning for seven frames
    assert messages[-1] == "Too many messages; slow down."
    # The socket still receives the game and works again once its bucket refills.
    await database_sync_to_async(services.round_advance)(playing_round.pk, now=playing_round.split_ends_at)
    assert (await wait_for(comm, "SPLIT"))["answer"].count("_") == 10
    local_hub().sockets[gamer.pk].frames.tokens = 1
    await comm.send_json_to({"event": "REQUEST_PLAYER_LIST"})
    assert (await wait_for(comm, "PLAYER_LIST"))["players"]
    await other.send_json_to({"event": "REQUEST_PLAYER_LIST"})
    assert (await wait_for(other, "PLAYER_LIST"))["players"]
    await comm.disconnect(timeout=WAIT)
    await other.disconnect(timeout=WAIT)


async def test_disconnect_everyone_closes_every_socket_with_4004(gamer, gamer2, admin):
    one, two = await open_socket(gamer), await open_socket(gamer2)
    count = await database_sync_to_async(services.disconnect_everyone)(actor=admin)
    assert count == 2
    assert await wait_closed(one) == 4004
    assert await wait_closed(two) == 4004


async def test_a_deleted_account_is_disconnected(gamer):
    comm = await open_socket(gamer)
    from gamers.services import gamer_delete_self

    await database_sync_to_async(gamer_delete_self)(gamer=gamer)
    assert await wait_closed(comm) == 4004


async def test_the_rest_view_counts_players_of_the_socket(gamer, gamer_client, playing_round):
    comm = await open_socket(gamer)
    body = (await sync_to_async(gamer_client.get)("/api/v1/trivia/rounds/current")).json()
    assert body["players"] == 1 and body["answer"] == "______ _____"
    board = (await sync_to_async(gamer_client.get)("/api/v1/trivia/leaderboard")).json()
    assert [row["playing"] for row in board["results"] if row["id"] == gamer.pk] == [True]
    await comm.disconnect(timeout=WAIT)
    board = (await sync_to_async(gamer_client.get)("/api/v1/trivia/leaderboard")).json()
    assert [row["playing"] for row in board["results"] if row["id"] == gamer.pk] == [False]


async def test_a_banned_entry_in_play_keeps_playing_until_the_round_ends(gamer, moderator, playing_round):
    await database_sync_to_async(Entry.objects.filter(pk=playing_round.entry_id).update)(banned=True)
    comm = await open_socket(gamer)
    assert comm.welcome["gameState"] == 1
    await comm.disconnect(timeout=WAIT)
