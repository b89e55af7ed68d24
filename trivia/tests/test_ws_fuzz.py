"""Fuzzing /ws/trivia/ (SPEC §5): every hostile frame gets the protocol's own answer (ERROR for a
bad one), nothing escapes the consumer, no coin is created or lost, a round has at most one
winner, and a well-behaved player connected at the same time keeps playing.

See docs/hardening.md, "WebSocket fuzzing" (what is sent, how many frames, how to run it deeper).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from hypothesis import given, note
from hypothesis import strategies as st

from common.errors import InvalidInput
from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer
from gamers.services import coins_apply
from testsupport.wsfuzz import (
    CATCH_ALL_MESSAGE,
    FUZZ_SETTINGS,
    Frame,
    actions,
    any_char,
    assert_no_logged_errors,
    auth_frames,
    check_first_frame,
    encode,
    hostile_text,
    json_values,
    junk_frames,
    next_json,
    not_objects,
    pick,
    with_extras,
)
from trivia import rules, services
from trivia.consumers import REACTION_MAX_BYTES, THROTTLE_MESSAGE
from trivia.models import Entry, Round
from trivia.services.attempts import clean_attempt
from trivia.tests.test_consumer import WAIT, _track_sockets, communicator, open_socket, token  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True)]

ANSWERS = ["Buenos Aires", "Rock & Roll", "R2-D2", "Crème brûlée", "Tunis"]
EVENTS = ["ATTEMPT", "REACTION", "REPORT_ENTRY", "REQUEST_PLAYER_LIST"]
# Frames the server sends to everyone: never the answer to the fuzzer's own frame.
GAME_FRAMES = {"ROUND", "SPLIT", "REVEAL", "PEER_JOIN", "PEER_LEFT"}
FUZZER_COINS = 1  # few: paid attempts soon meet INSUFFICIENT_FUNDS


def _near_answers(answer: str) -> list[str]:
    return [answer, answer.upper(), f"  {answer.lower()} ", answer.replace(" ", "   "), f"{answer}!", answer[:-1]]


plain_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
answer_like = st.sampled_from(ANSWERS).flatmap(lambda a: st.sampled_from(_near_answers(a)))
# Weighted towards strings an attempt accepts, so attempts get paid for, win rounds, run out of coins.
messages = pick(
    answer_like,
    plain_text,
    plain_text,
    hostile_text,
    st.text(any_char, min_size=195, max_size=210),
    json_values,
)
good_emojis = st.sampled_from(["🔥", "🇹🇳", "👍🏽", "1️⃣", "👨‍👩‍👧‍👦", "❤️"])
emojis = pick(
    good_emojis, good_emojis, st.sampled_from(["x", "🔥🔥🔥🔥🔥", "\ud83d", "", "🔥 "]), hostile_text, json_values
)


def event_frames(event: str, fields: dict[str, Any]) -> st.SearchStrategy[Frame]:
    """Well-formed frames of `event` (fields drawn from hostile values), some with extra fields."""
    return with_extras(st.fixed_dictionaries({"event": st.just(event), "data": st.fixed_dictionaries(fields)})).map(
        encode
    )


# Anything in `data` and in `event`: missing, wrong types, unknown or misspelt names.
datas = (
    st.none()
    | not_objects
    | with_extras(st.fixed_dictionaries({}, optional={"message": messages, "emoji": emojis, "idToken": json_values}))
)
events = (
    st.sampled_from(EVENTS)
    | st.sampled_from(["attempt", " ATTEMPT", "PING", "WELCOME", "ROUND", "COIN_DIFF", "authentication"])
    | json_values
)
mangled_frames = with_extras(st.fixed_dictionaries({"event": events}, optional={"data": datas, "action": actions})).map(
    encode
)
trivia_frames = pick(
    event_frames("ATTEMPT", {"message": messages}),
    event_frames("REACTION", {"emoji": emojis}),
    st.sampled_from(["REPORT_ENTRY", "REQUEST_PLAYER_LIST"]).flatmap(lambda event: event_frames(event, {})),
    mangled_frames,
    junk_frames,
    auth_frames,
)


# --- the model: what the fuzzer must be answered --------------------------------------------


@dataclass
class Expected:
    """One frame the fuzzer must receive, and a check of its data."""

    event: str
    check: Any = None


@dataclass
class Player:
    """What the fuzzer's socket should see, from its WELCOME and the rules (SPEC §5)."""

    user_id: int
    coins: int
    free_left: int
    playing: bool
    answer: str
    value: int
    reported: bool
    attempts: int = 0  # accepted (broadcast) attempts this example
    reactions: int = 0
    told: list[int] = field(default_factory=list)  # every coinDiff received

    def expect(self, frame: Frame) -> list[Expected]:
        content = frame.parsed()
        if content is None:
            return [Expected("ERROR")]
        action = content.get("action")
        if content.get("event") == "authentication" or action in ("authenticate", "authentication"):
            return []  # a re-sent authentication frame: already authenticated, ignored
        event, data = content.get("event"), content.get("data")
        if event not in EVENTS or not isinstance(data, dict | None):
            return [Expected("ERROR")]
        data = data or {}
        if event == "ATTEMPT":
            return self._attempt(data.get("message"))
        if event == "REACTION":
            emoji = data.get("emoji")
            ok = (
                isinstance(emoji, str)
                and len(emoji.encode("utf-8", "surrogatepass")) <= REACTION_MAX_BYTES
                and rules.is_single_emoji(emoji)
            )
            if not ok:
                return [Expected("ERROR")]
            self.reactions += 1
            return [
                Expected("PEER_REACTION", lambda d: d == {"userId": self.user_id, "username": "fuzzer", "emoji": emoji})
            ]
        if event == "REPORT_ENTRY":
            reported, self.reported = self.reported, True
            return [Expected("ENTRY_REPORTED_ERROR" if reported else "ENTRY_REPORTED_OK")]
        return [Expected("PLAYER_LIST", lambda d: isinstance(d["players"], list))]

    def _attempt(self, message: Any) -> list[Expected]:
        try:
            cleaned = clean_attempt(message)
        except InvalidInput:
            return [Expected("ERROR")]
        if not self.playing:
            return [Expected("ERROR")]
        cost = 1 if self.free_left == 0 else 0
        if cost > self.coins:
            return [Expected("INSUFFICIENT_FUNDS", lambda d: d == {})]
        self.free_left = max(0, self.free_left - 1)
        correct = rules.is_correct(cleaned, self.answer)
        peer = {"userId": self.user_id, "username": "fuzzer", "message": cleaned, "correct": correct}
        if correct:
            peer["correctAnswer"] = self.answer
        self.attempts += 1
        expected = [Expected("PEER_ATTEMPT", lambda d: d == peer)]
        diffs = ([-cost] if cost else []) + ([self.value] if correct else [])
        for diff in diffs:
            expected.append(Expected("COIN_DIFF", lambda d, diff=diff: d == {"coinDiff": diff}))
        self.coins += sum(diffs)
        self.playing = not correct
        return expected


def _is_reply(frame: dict[str, Any], me: int) -> bool:
    """A frame answering the fuzzer's own frames (not the game going on around it)."""
    if frame["event"] in GAME_FRAMES:
        return False
    if frame["event"] in ("PEER_ATTEMPT", "PEER_REACTION"):
        return frame["data"]["userId"] == me
    return True


async def read_replies(comm: Any, expected: list[Expected], me: int) -> list[dict[str, Any]]:
    """Read until every expected reply came (any order); fail on any other reply."""
    pending, got = list(expected), []
    while pending:
        frame = await next_json(comm)
        if not _is_reply(frame, me):
            continue
        if frame["event"] == "ERROR":
            message = frame["data"]["message"]
            assert isinstance(message, str) and message and message != CATCH_ALL_MESSAGE, frame
        fits = (e for e in pending if e.event == frame["event"] and (e.check is None or e.check(frame["data"])))
        match = next(fits, None)
        assert match is not None, f"unexpected reply {frame}; still waiting for {[e.event for e in pending]}"
        pending.remove(match)
        got.append(frame)
    return got


# --- the arena: a game being played, a fuzzer and a well-behaved player ------------------------


@pytest.fixture
def arena(settings: Any, db: Any) -> dict[str, Any]:
    # Flood control and shedding off: every frame gets its answer and every broadcast arrives,
    # so the checks below can be exact (test_flood_* turns flood control back on).
    settings.TRIVIA_FRAME_BURST = settings.TRIVIA_REACTION_BURST = settings.TRIVIA_PLAYER_LIST_BURST = 10**6
    settings.TRIVIA_HUB_SHED_LAG_SECONDS = 3600
    settings.TRIVIA_HUB_MAX_BUSY = 2.0
    settings.TRIVIA_FREE_ATTEMPTS = 1
    settings.TRIVIA_ATTEMPT_COST = 1
    Entry.objects.update(banned=True)
    for answer in ANSWERS:
        Entry.objects.create(category="Fuzz", clue=f"Say {answer}", answer=answer, value=10)
    services.round_start()
    fuzzer, bystander = make_gamer("fuzzer"), make_gamer("bystander")
    coins_apply(gamer_id=fuzzer.pk, amount=FUZZER_COINS - 100, reason=CoinTransaction.Reason.ADJUSTMENT)
    # The other player pays for an attempt after each example: enough for deep runs too.
    coins_apply(gamer_id=bystander.pk, amount=10**6, reason=CoinTransaction.Reason.ADJUSTMENT)
    return {"fuzzer": fuzzer, "bystander": bystander}


def check_invariants(fuzzer_id: int) -> tuple[int, int]:
    """SPEC §5 rules 6 and 8, whatever was sent. Returns the fuzzer's (coins, attempts)."""
    ledger = Coalesce(Sum("coin_transactions__amount"), 0)
    off = list(Gamer.objects.annotate(ledger=ledger).exclude(coins=F("ledger")).values("username", "coins", "ledger"))
    assert off == [], f"balance != ledger: {off}"
    rounds = Round.objects.annotate(
        correct=Count("attempts", filter=Q(attempts__correct=True)),
        won_by_winner=Count("attempts", filter=Q(attempts__correct=True, attempts__gamer=F("winner"))),
    )
    for r in rounds:
        assert r.correct <= 1, f"round {r.number} has {r.correct} correct attempts"
        if r.end_reason == Round.EndReason.WON:
            assert r.winner_id is not None and r.won_by_winner == 1 and r.prize >= 1, r.__dict__
        else:
            assert r.winner_id is None and r.correct == 0, r.__dict__
        if r.state == Round.State.PLAYING:
            assert r.end_reason == "" and r.split_ends_at is not None and r.reveals < r.hidden_total, r.__dict__
    assert Round.objects.filter(state=Round.State.PLAYING).count() <= 1
    fuzzer = Gamer.objects.get(pk=fuzzer_id)
    return fuzzer.coins, fuzzer.trivia_attempts.count()


def play_on() -> str:
    """Move the game on as the clock would: the next split (or reveal), or the next round."""
    current = Round.objects.order_by("-number").first()
    assert current is not None
    if current.state == Round.State.PLAYING:
        after = services.round_advance(current.pk, now=current.split_ends_at)
        assert after is not None
        return "SPLIT" if after.state == Round.State.PLAYING else "REVEAL"
    assert services.round_start(now=current.next_round_at) is not None
    return "ROUND"


def playing_answer() -> tuple[str, int]:
    current = Round.objects.get(state=Round.State.PLAYING)
    return current.answer, current.current_value


async def wait_event(comm: Any, event: str, predicate: Any = None) -> dict[str, Any]:
    while True:
        frame = await next_json(comm)
        if frame["event"] == event and (predicate is None or predicate(frame["data"])):
            return frame["data"]


# --- the fuzz test ----------------------------------------------------------------------------


@FUZZ_SETTINGS
@given(frames=st.lists(trivia_frames, min_size=5, max_size=25))
async def test_hostile_frames_get_errors_and_never_break_the_game(arena, caplog, frames):
    note(f"frames: {frames!r}")  # pytest-asyncio hides the drawn arguments in the failure report
    fuzzer, bystander = arena["fuzzer"], arena["bystander"]
    start_coins, start_attempts = await database_sync_to_async(check_invariants)(fuzzer.pk)
    answer, value = await database_sync_to_async(playing_answer)()
    comm = await open_socket(fuzzer)
    other = await open_socket(bystander)
    welcome = comm.welcome
    assert welcome["userCoins"] == start_coins and welcome["gameState"] == 1
    model = Player(fuzzer.pk, start_coins, welcome["freeAttemptsLeft"], True, answer, value, welcome["entryReported"])
    for frame in frames:
        expected = model.expect(frame)
        await frame.send(comm)
        for reply in await read_replies(comm, expected, fuzzer.pk):
            if reply["event"] == "COIN_DIFF":
                model.told.append(reply["data"]["coinDiff"])
    # Nothing else was answered (silent frames included): the next reply is the barrier's.
    await comm.send_json_to({"event": "REQUEST_PLAYER_LIST"})
    await read_replies(comm, [Expected("PLAYER_LIST")], fuzzer.pk)

    # No coin created or lost, at most one winner, and the fuzzer was told every coin change.
    coins, attempts = await database_sync_to_async(check_invariants)(fuzzer.pk)
    assert coins == model.coins == start_coins + sum(model.told)
    assert attempts - start_attempts == model.attempts

    # The other player saw every accepted attempt and reaction of the fuzzer ...
    seen = {"PEER_ATTEMPT": 0, "PEER_REACTION": 0}
    while seen != {"PEER_ATTEMPT": model.attempts, "PEER_REACTION": model.reactions}:
        frame = await next_json(other)
        if frame["event"] in seen and frame["data"]["userId"] == fuzzer.pk:
            seen[frame["event"]] += 1
            assert (
                seen[frame["event"]]
                <= {"PEER_ATTEMPT": model.attempts, "PEER_REACTION": model.reactions}[frame["event"]]
            )
    # ... and both still get the game and can play it.
    step = await database_sync_to_async(play_on)()
    for sock in (other, comm):
        await wait_event(sock, step)
    if step == "REVEAL":  # then the next round
        assert await database_sync_to_async(play_on)() == "ROUND"
        for sock in (other, comm):
            await wait_event(sock, "ROUND")
    await other.send_json_to({"event": "ATTEMPT", "data": {"message": "surely wrong"}})
    for sock in (other, comm):
        await wait_event(sock, "PEER_ATTEMPT", lambda d: d["userId"] == bystander.pk and d["message"] == "surely wrong")
    await comm.disconnect(timeout=WAIT)
    await other.disconnect(timeout=WAIT)
    assert_no_logged_errors(caplog)
    caplog.clear()


# --- before authentication ----------------------------------------------------------------


@FUZZ_SETTINGS
@given(frame=pick(mangled_frames, junk_frames, auth_frames))
async def test_hostile_frames_before_authentication_are_refused_cleanly(arena, caplog, frame):
    note(f"frame: {frame!r}")
    comm = communicator("/ws/trivia/")
    assert (await comm.connect())[0]
    await frame.send(comm)
    await check_first_frame(comm, frame, {"event": "authentication", "data": {"idToken": token(arena["bystander"])}})
    assert_no_logged_errors(caplog)
    caplog.clear()


# --- floods ---------------------------------------------------------------------------------


async def test_a_flood_is_throttled_with_errors_and_the_game_goes_on(settings, arena, caplog):
    """SPEC §5: throttling answers ERROR and the socket stays open (no close for flooding)."""
    settings.TRIVIA_FRAME_BURST = 20
    settings.TRIVIA_FRAME_RATE = 1
    fuzzer, bystander = arena["fuzzer"], arena["bystander"]
    comm = await open_socket(fuzzer)
    other = await open_socket(bystander)
    flood = [{"event": "ATTEMPT", "data": {"message": f"guess {i}"}} for i in range(300)]
    flood += [{"event": "REQUEST_PLAYER_LIST"}, {"event": "NOPE"}, [1], "x" * 20000] * 50
    started = time.monotonic()
    for item in flood:
        await comm.send_to(text_data=item if isinstance(item, str) else json.dumps(item))
    frames: list[dict[str, Any]] = []

    def told() -> int:
        return FUZZER_COINS + sum(f["data"]["coinDiff"] for f in frames if f["event"] == "COIN_DIFF")

    while True:  # until a quiet moment when every charge in the database has been told
        while not await comm.receive_nothing(timeout=0.5):
            frames.append(await next_json(comm))
        coins, _ = await database_sync_to_async(check_invariants)(fuzzer.pk)
        if coins == told():
            break
        frames.append(await next_json(comm, timeout=WAIT))  # a COIN_DIFF still on its way (a loaded machine)
    elapsed = time.monotonic() - started
    errors = [f["data"]["message"] for f in frames if f["event"] == "ERROR"]
    assert CATCH_ALL_MESSAGE not in errors
    assert THROTTLE_MESSAGE in errors
    # Far fewer answers than frames: the bucket (20 at once, 1 a second) let only a few through,
    # and the throttle warning itself comes at most once a second.
    assert len(frames) < 100 + 2 * elapsed, (len(frames), elapsed)
    assert errors.count(THROTTLE_MESSAGE) <= elapsed + 1
    # The flooder's socket is open and gets the game; the other player plays as before.
    step = await database_sync_to_async(play_on)()
    assert (await wait_event(comm, step)) is not None
    await other.send_json_to({"event": "ATTEMPT", "data": {"message": "calm guess"}})
    for sock in (other, comm):
        await wait_event(sock, "PEER_ATTEMPT", lambda d: d["message"] == "calm guess")
    await comm.disconnect(timeout=WAIT)
    await other.disconnect(timeout=WAIT)
    assert_no_logged_errors(caplog)


# --- regressions found by the fuzzer ----------------------------------------------------------


@pytest.mark.parametrize("message", ["a\x00b", "\ud800", "Tunis\udfff"])
async def test_an_attempt_with_an_unstorable_character_is_an_error(arena, caplog, message):
    """NUL (PostgreSQL refuses it) and lone surrogates (not UTF-8) were a logged server error."""
    comm = await open_socket(arena["fuzzer"])
    await comm.send_to(text_data=json.dumps({"event": "ATTEMPT", "data": {"message": message}}))
    reply = await next_json(comm)
    assert reply == {
        "event": "ERROR",
        "data": {"message": "Attempts can't contain NUL or unpaired surrogate characters."},
    }
    assert await database_sync_to_async(check_invariants)(arena["fuzzer"].pk) == (FUZZER_COINS, 0)
    await comm.disconnect(timeout=WAIT)
    assert_no_logged_errors(caplog)
