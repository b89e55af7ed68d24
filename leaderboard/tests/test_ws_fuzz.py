"""Fuzzing /ws/leaderboard/ (SPEC §6): hostile frames get `{"type": "error"}`, never a crash, and
never change a board. See docs/hardening.md, "WebSocket fuzzing"."""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db.models import Max
from hypothesis import given, note
from hypothesis import strategies as st

from conftest import make_gamer
from leaderboard import serializers as s
from leaderboard.catalog import DEFAULT_GAMES, VERIFIED_GAMES
from leaderboard.models import Score
from leaderboard.rules import PERIODS
from leaderboard.selectors import board_window
from leaderboard.tests.factories import submit
from leaderboard.tests.test_consumer import WAIT, _fast_pushes, access_for, connect  # noqa: F401
from testsupport.wsfuzz import (
    CATCH_ALL_MESSAGE,
    FUZZ_SETTINGS,
    Frame,
    actions,
    assert_no_logged_errors,
    auth_frames,
    check_first_frame,
    encode,
    huge_ints,
    json_values,
    junk_frames,
    next_json,
    numbers,
    pick,
    with_extras,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("games")]


# --- regressions found by the fuzzer ----------------------------------------------------------

OVERFLOWING_REPORTS = [
    {"start": "9999-12-31T23:59:59-05:00"},  # past year 9999 once in UTC
    {"end": "0001-01-01T00:00:00+05:00"},  # before year 1 once in UTC
    {"start": "9999-12-31", "end": "9999-12-31"},  # the day's last instant is fine, its next day is not
]


async def test_reports_with_dates_out_of_range_are_errors_not_crashes(gamer_client):
    me = await database_sync_to_async(make_gamer)("calendar player")
    comm = await connect(me)
    for query in OVERFLOWING_REPORTS:
        await comm.send_to(text_data=json.dumps({"action": "report", **query}))
        answer = await comm.receive_json_from(WAIT)
        assert answer["type"] == "error" and "date" in answer["message"], (query, answer)
        response = await database_sync_to_async(gamer_client.get)("/api/v1/leaderboard/reports", query)
        assert response.status_code == 400, (query, response.content)
    # The default start, a week before the end, would be before year 1: it stops at year 1.
    await comm.send_json_to({"action": "report", "end": "0001-01-01"})
    answer = await comm.receive_json_from(WAIT)
    assert (answer["type"], answer["result"]) == ("report", [])
    assert answer["start"].endswith("01-01T00:00:00.000000Z")
    await comm.disconnect(timeout=WAIT)


# --- strategies ---------------------------------------------------------------------------

SLUGS = {slug: max_score for slug, _, max_score in DEFAULT_GAMES}
games_field = pick(
    st.sampled_from([*SLUGS, "all"]),
    st.sampled_from([*SLUGS, "all"]),
    st.sampled_from(["COD", " cod ", "cod\x00", "tetris", "", "all ", "\ud800", "c" * 65]),
    json_values,
)
periods = pick(st.sampled_from(PERIODS), st.sampled_from(["year", "ALL", " day", ""]), json_values)
small_ints = pick(
    st.integers(0, 12), st.integers(-5, 600), huge_ints, st.sampled_from([True, 1.0, "3", None]), json_values
)
scores = pick(st.integers(0, 3500), st.integers(0, 100_000), st.integers(-(2**64), 2**64), numbers, json_values)
moments = pick(
    st.dates().map(str),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=14))])).map(
        lambda d: d.isoformat()
    ),
    st.sampled_from(["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2026-02-30", "yesterday", ""]),
    json_values,
)


def action_frames(action: str, fields: dict[str, Any]) -> st.SearchStrategy[Frame]:
    """`action` frames with each field present or missing, hostile values, some extra fields."""
    return with_extras(st.fixed_dictionaries({"action": st.just(action)}, optional=fields)).map(encode)


real_games = st.sampled_from(list(SLUGS))
real_boards = st.sampled_from([*SLUGS, "all"])
# Well-formed frames (some with extra fields), so that scores get stored, windows pushed, ...
valid_frames = pick(
    with_extras(
        st.fixed_dictionaries({"action": st.just("add_score"), "game": real_games, "score": st.integers(0, 3500)})
    ),
    with_extras(
        st.fixed_dictionaries(
            {"action": st.just("subscribe"), "game": real_boards},
            optional={"period": st.sampled_from(PERIODS), "start": st.integers(0, 3), "end": st.integers(3, 12)},
        )
    ),
    with_extras(st.fixed_dictionaries({"action": st.sampled_from(["my_score", "around_me"]), "game": real_boards})),
).map(encode)
# ... and everything else: each field present or not, of any type and value.
lb_frames = pick(
    valid_frames,
    valid_frames,
    valid_frames,
    action_frames("add_score", {"game": games_field, "score": scores}),
    action_frames("subscribe", {"game": games_field, "period": periods, "start": small_ints, "end": small_ints}),
    action_frames("my_score", {"game": games_field, "period": periods}),
    action_frames("around_me", {"game": games_field, "period": periods, "radius": small_ints}),
    action_frames("report", {"start": moments, "end": moments, "limit": small_ints, "game": games_field}),
    action_frames("unsubscribe", {}),
    with_extras(st.fixed_dictionaries({}, optional={"action": actions, "game": games_field})).map(encode),
    junk_frames,
    auth_frames,
)


# --- the oracle: which reply each frame must get ----------------------------------------------


def _board_ok(game: Any) -> bool:
    return game == "all" or (isinstance(game, str) and game in SLUGS)


def _valid(serializer: type[Any], content: dict[str, Any]) -> dict[str, Any] | None:
    data = serializer(data=content)
    return dict(data.validated_data) if data.is_valid() else None


def expected_reply(frame: Frame) -> str | None:
    """The `type` of the one reply the fuzzer's frame must get; None for no reply."""
    content = frame.parsed()
    if content is None:
        return "error"
    action = content.get("action")
    if content.get("event") == "authentication" or action in ("authenticate", "authentication"):
        return None  # a re-sent authentication frame is ignored
    if action == "add_score":
        game, score = content.get("game"), content.get("score")
        game = game.strip() if isinstance(game, str) else None
        ok = game in SLUGS and isinstance(score, int) and not isinstance(score, bool) and 0 <= score <= SLUGS[game]
        return "score_added" if ok else "error"
    if action == "subscribe":
        data = _valid(s.WindowFrameSerializer, content)
        return "scores" if data and _board_ok(data["game"]) else "error"
    if action == "my_score":
        return "my_score" if _valid(s.PeriodQuerySerializer, content) and _board_ok(content.get("game")) else "error"
    if action == "around_me":
        return "around_me" if _valid(s.AroundQuerySerializer, content) and _board_ok(content.get("game")) else "error"
    if action == "report":
        data = _valid(s.ReportQuerySerializer, content)
        return "report" if data is not None and data.get("game", "cod") in SLUGS else "error"
    if action == "unsubscribe":
        return "unsubscribed"
    return "error"


PUSHES = {"scores", "my_score"}


async def reply_to(comm: Any, expected: str) -> dict[str, Any]:
    """The reply of type `expected`, skipping pushes of the socket's subscriptions; fails on
    any other frame (an unexpected error above all)."""
    while True:
        frame = await next_json(comm)
        if frame["type"] == expected:
            return frame
        assert frame["type"] in PUSHES, f"expected {expected!r}, got {frame}"


def rows_of(window: dict[str, Any]) -> list[tuple[int, int]]:
    return [(r["user_id"], r["score"]) for r in window["result"]]


async def until_pushed(comm: Any, reply: str, pushed: Any) -> None:
    """Wait for the reply of type `reply` and for a `scores` push that satisfies `pushed` (the
    push may come first: a re-read already under way can see the change before the reply)."""
    got_reply = got_push = False
    while not (got_reply and got_push):
        frame = await next_json(comm)
        got_reply = got_reply or frame["type"] == reply
        got_push = got_push or (frame["type"] == "scores" and pushed(frame))
        assert frame["type"] in {reply, *PUSHES}, frame


def boards_match_the_database() -> int:
    """Every game's all-time board and the `all` board hold exactly each player's best from the
    Score rows (and their sum): no score from an invalid frame, none lost. Returns the rows."""
    bests: dict[str, dict[int, int]] = {slug: {} for slug in SLUGS}
    assert not Score.objects.filter(game__slug__in=VERIFIED_GAMES, status="ranked").exists()
    ranked = Score.objects.filter(status="ranked")  # chess (a `verified` game): players' own scores wait
    for row in ranked.values("user_id", "game__slug").annotate(best=Max("value")):
        bests[row["game__slug"]][row["user_id"]] = row["best"]
    sums: dict[int, int] = {}
    for by_user in bests.values():
        for user_id, best in by_user.items():
            sums[user_id] = sums.get(user_id, 0) + best
    for board, expected in [*bests.items(), ("all", sums)]:
        window = board_window(game=board, period="all", start=0, end=99)
        assert {r["user_id"]: r["score"] for r in window.rows} == expected, board
        assert window.total_count == len(expected), board
    return Score.objects.count()


# --- the fuzz test ----------------------------------------------------------------------------


@pytest.fixture
def players(db: Any) -> dict[str, Any]:
    fuzzer, bystander = make_gamer("lb fuzzer"), make_gamer("lb bystander")
    submit(bystander, "cod", 1)
    return {"fuzzer": fuzzer, "bystander": bystander, "best": 1}


@FUZZ_SETTINGS
@given(frames=st.lists(lb_frames, min_size=5, max_size=25))
async def test_hostile_frames_get_errors_and_never_touch_the_boards(players, caplog, frames):
    note(f"frames: {frames!r}")  # pytest-asyncio hides the drawn arguments in the failure report
    fuzzer, bystander = players["fuzzer"], players["bystander"]
    rows_before = await database_sync_to_async(boards_match_the_database)()
    other = await connect(bystander)
    await other.send_json_to({"action": "subscribe", "game": "cod", "start": 0, "end": 9})
    await reply_to(other, "scores")
    comm = await connect(fuzzer)
    added = 0
    for frame in frames:
        expected = expected_reply(frame)
        await frame.send(comm)
        if expected is None:
            continue
        reply = await reply_to(comm, expected)
        if expected == "error":
            assert isinstance(reply["message"], str) and reply["message"] != CATCH_ALL_MESSAGE, reply
        if expected == "score_added":
            content = frame.parsed()
            assert (reply["game"], reply["score"]) == (content["game"].strip(), content["score"]), reply
            added += 1
    # Nothing else was answered (silent frames included): the next reply is the barrier's.
    await comm.send_json_to({"action": "report", "limit": 1})
    await reply_to(comm, "report")
    assert await database_sync_to_async(boards_match_the_database)() == rows_before + added

    # The other player's window is still pushed, and it can still submit.
    players["best"] += 1
    await other.send_json_to({"action": "add_score", "game": "cod", "score": players["best"]})
    await until_pushed(other, "score_added", lambda f: (bystander.pk, players["best"]) in rows_of(f))
    await comm.disconnect(timeout=WAIT)
    await other.disconnect(timeout=WAIT)
    assert_no_logged_errors(caplog)
    caplog.clear()


@FUZZ_SETTINGS
@given(frame=lb_frames)
async def test_hostile_frames_before_authentication_are_refused_cleanly(players, caplog, frame):
    note(f"frame: {frame!r}")
    comm = await connect()
    await frame.send(comm)
    await check_first_frame(comm, frame, {"action": "authenticate", "token": access_for(players["bystander"])})
    assert_no_logged_errors(caplog)
    caplog.clear()


async def test_a_flood_gets_errors_and_stores_nothing_invalid(settings, players, caplog):
    """SPEC §6 has no close for flooding: throttled frames get an error, the socket stays open."""
    settings.LEADERBOARD_WS_FRAMES_PER_SECOND = 2
    fuzzer, bystander = players["fuzzer"], players["bystander"]
    other = await connect(bystander)
    await other.send_json_to({"action": "subscribe", "game": "rocket", "start": 0, "end": 9})
    await reply_to(other, "scores")
    comm = await connect(fuzzer)
    flood = [{"action": "add_score", "game": "rocket", "score": n} for n in range(200)]
    flood += [{"action": "add_score", "game": "rocket", "score": -1}, {"action": "nope"}, [1], "x" * 20000] * 50
    for item in flood:
        await comm.send_to(text_data=item if isinstance(item, str) else json.dumps(item))
    # Every frame answered, none dropped, no close: one reply each (however long a loaded machine
    # takes: a quiet moment is no sign the replies are over), then nothing more.
    replies = [await next_json(comm, timeout=WAIT) for _ in flood]
    assert await comm.receive_nothing(timeout=0.5)
    kinds = [r["type"] for r in replies]
    assert set(kinds) <= {"score_added", "error"}, set(kinds)
    assert "Too many frames; slow down." in [r.get("message") for r in replies]
    assert CATCH_ALL_MESSAGE not in [r.get("message") for r in replies]
    stored = await database_sync_to_async(boards_match_the_database)()
    assert stored == 1 + kinds.count("score_added")  # the bystander's score and the accepted ones
    await other.send_json_to({"action": "add_score", "game": "rocket", "score": 3500})
    await until_pushed(other, "score_added", lambda f: rows_of(f)[0] == (bystander.pk, 3500))
    await comm.send_json_to({"action": "unsubscribe"})  # the flooder's socket works again
    assert (await reply_to(comm, "unsubscribed")) == {"type": "unsubscribed"}
    await comm.disconnect(timeout=WAIT)
    await other.disconnect(timeout=WAIT)
    assert_no_logged_errors(caplog)
