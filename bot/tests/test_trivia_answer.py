"""`answer` / `/answer`: an attempt in the live round through the web socket's attempt service
(trivia.services), against the real game engine and, for the cross-channel tests, a real
/ws/trivia/ socket (channels' WebsocketCommunicator)."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db.models import Sum
from rest_framework_simplejwt.tokens import AccessToken

from bot.tests.harness import PLAYER_ID, WAIT, make_message, say
from bot.tests.test_trivia_commands import fmt, play, win
from common.ws import OriginValidator
from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer
from trivia import services
from trivia.models import Attempt, Entry, Round
from trivia.routing import websocket_urlpatterns
from trivia.services import attempts as attempts_module
from trivia.services.game import round_ref
from trivia.tests.conftest import trivia_hub  # noqa: F401  # the socket tests' channel-layer fixture
from trivia.tests.factories import end_round, make_entry

pytestmark = pytest.mark.django_db(transaction=True)

app = OriginValidator(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]  # types-channels wants its own pattern type


@pytest.fixture
async def linked(gamer: Any) -> Any:
    """`gamer one`, linked to the harness's Discord author."""
    await Gamer.objects.filter(pk=gamer.pk).aupdate(discord_id=str(PLAYER_ID))
    return gamer


async def coins(user: Any) -> int:
    return (await Gamer.objects.aget(pk=user.pk)).coins


async def ledger(user: Any) -> int:
    total = await CoinTransaction.objects.filter(gamer_id=user.pk).aaggregate(s=Sum("amount"))
    return int(total["s"] or 0)


# the command ----------------------------------------------------------------------------------


async def test_unlinked_users_are_told_how_to_link(bot, transcript, gamer):
    await play("Oslo", clue="Capital of Norway")
    await say(bot, "!answer oslo")
    assert transcript.last.embed.title == "Link your GameConnect account first"
    assert not await Attempt.objects.aexists()


async def test_no_text_gets_the_usage(bot, transcript, linked):
    await say(bot, "!answer")
    assert transcript.last.content == "Missing `text`.\nUsage: `!answer <text>`"


async def test_an_attempt_too_long_gets_the_reason_and_the_usage(bot, transcript, linked):
    await play("Oslo", clue="Capital of Norway")
    await say(bot, "!answer " + "x" * 201)
    assert transcript.last.content == "Attempts are at most 200 characters.\nUsage: `!answer <text>`"
    assert not await Attempt.objects.aexists()


async def test_free_attempts_then_paid_ones_with_the_ledger(bot, transcript, linked, settings):
    settings.TRIVIA_FREE_ATTEMPTS, settings.TRIVIA_ATTEMPT_COST = 3, 2
    await play("Buenos Aires", clue="Capital of Argentina", value=50)
    start = await coins(linked)

    replies = []
    for guess in ("lima", "quito", "bogota", "santiago"):
        await say(bot, f"!answer {guess}")
        replies.append(transcript.last.content)

    assert replies == [
        "❌ Not it. 2 free attempts left in this round.",
        "❌ Not it. 1 free attempt left in this round.",
        "❌ Not it. That was your last free attempt; the next ones cost 2 coins each.",
        "❌ Not it. That attempt cost 2 coins.",
    ]
    assert await coins(linked) == start - 2 == await ledger(linked)
    assert [a.message async for a in Attempt.objects.order_by("id")] == ["lima", "quito", "bogota", "santiago"]

    await say(bot, "!answer  Buenos   AIRES ")
    assert transcript.last.content == "✅ Correct! You won **50** coins (after paying 2)."
    assert await coins(linked) == start - 4 + 50 == await ledger(linked)
    round_ = await Round.objects.aget()
    assert (round_.end_reason, round_.winner_id, round_.prize) == ("won", linked.pk, 50)


async def test_not_enough_coins_is_said_and_nothing_is_played(bot, transcript, linked, settings):
    settings.TRIVIA_FREE_ATTEMPTS, settings.TRIVIA_ATTEMPT_COST = 0, 10**6
    await play("Oslo", clue="Capital of Norway")
    before = await coins(linked)
    await say(bot, "!answer oslo")
    assert transcript.last.content.startswith("🪙 Not enough coins")
    assert await coins(linked) == before and not await Attempt.objects.aexists()
    assert (await Round.objects.aget()).state == Round.State.PLAYING


async def test_between_rounds_says_when_the_next_one_starts(bot, transcript, linked):
    round_ = await sync_to_async(end_round)(await play("Oslo", clue="Capital of Norway"))
    await say(bot, "!answer oslo")
    assert transcript.last.content == f"⏳ Between rounds: the next one starts {fmt(round_.next_round_at)}."
    assert not await Attempt.objects.aexists()


async def test_before_any_round(bot, transcript, linked):
    await say(bot, "!answer oslo")
    assert transcript.last.content == "⏳ No round is being played right now; wait for the next one."


async def test_slash_answer_replies_privately(bot, linked):
    await play("Oslo", clue="Capital of Norway")
    interaction = mock.MagicMock()
    interaction.is_expired.return_value = False
    interaction.response.is_done.return_value = False
    interaction.response.send_message = mock.AsyncMock()
    interaction.original_response = mock.AsyncMock()
    ctx = await bot.get_context(make_message("/answer"))
    ctx.interaction = interaction  # what Context.from_interaction builds, minus the gateway data
    interaction.client, interaction._baton = bot, ctx
    options = SimpleNamespace(text="lima")  # what Discord sends for `/answer text:lima`
    interaction.namespace = options
    slash = bot.tree.get_command("answer")

    # discord.py's own slash path: checks, option transforms, the callback, the error handler.
    with mock.patch.object(bot, "get_context", mock.AsyncMock(return_value=ctx)):
        await slash._invoke_with_namespace(interaction, options)

    interaction.response.send_message.assert_awaited_once()
    call = interaction.response.send_message.await_args
    assert call.kwargs["content"] == "❌ Not it. 2 free attempts left in this round."
    assert call.kwargs["ephemeral"] is True
    assert await Attempt.objects.filter(gamer_id=linked.pk, message="lima").aexists()


def test_answer_is_a_hybrid_command_with_one_required_text(bot):
    slash = bot.tree.get_command("answer")
    assert [(p.name, p.required) for p in slash.parameters] == [("text", True)]
    assert slash.description


# Discord and the web socket, one game -----------------------------------------------------------


async def open_socket(user: Any, opened: list[Any]) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(app, f"/ws/trivia/?token={AccessToken.for_user(user)}")
    opened.append(comm)
    connected, _ = await comm.connect(WAIT)
    assert connected
    assert (await comm.receive_json_from(WAIT))["event"] == "authenticated"
    assert (await comm.receive_json_from(WAIT))["event"] == "WELCOME"
    return comm


async def next_of(comm: WebsocketCommunicator, *events: str) -> dict[str, Any]:
    """The next frame whose event is one of `events` (others skipped)."""
    async with asyncio.timeout(WAIT):
        while True:
            frame = await comm.receive_json_from(WAIT)
            if frame["event"] in events:
                return frame


async def test_a_discord_answer_wins_and_a_web_player_sees_it(bot, transcript, linked, other_gamer, trivia_hub):  # noqa: F811  # the fixture imported above
    round_ = await play("Buenos Aires", clue="Capital of Argentina", value=50)
    web = await open_socket(other_gamer, trivia_hub)

    await say(bot, "!answer buenos aires")

    assert transcript.last.content == "✅ Correct! You won **50** coins."
    frame = await next_of(web, "PEER_ATTEMPT")
    assert frame["data"] == {
        "userId": linked.pk,
        "username": "gamer one",
        "message": "buenos aires",
        "correct": True,
        "correctAnswer": "Buenos Aires",
    }
    await web.send_json_to({"event": "ATTEMPT", "data": {"message": "buenos aires"}})
    assert (await next_of(web, "ERROR"))["data"]["message"].startswith("No round is being played")
    await sync_to_async(round_.refresh_from_db)()
    assert round_.winner_id == linked.pk


async def test_a_web_win_ends_the_round_for_discord_too(bot, transcript, linked, other_gamer, trivia_hub):  # noqa: F811  # the fixture imported above
    round_ = await play("Buenos Aires", clue="Capital of Argentina")
    await win(round_, other_gamer)
    await say(bot, "!answer buenos aires")
    assert transcript.last.content.startswith("⏳ Between rounds")


@sync_to_async
def fresh_round(answer: str, *, after: Round | None) -> Round:
    """A round on a new entry worth 40, started when `after`'s pause is over."""
    Entry.objects.filter(banned=False, rounds__isnull=True).update(banned=True)
    entry = make_entry(answer, value=40)
    round_ = services.round_start(now=after.next_round_at if after else None)
    assert round_ is not None and round_.entry_id == entry.pk
    return round_


@pytest.mark.postgres
async def test_discord_and_web_racing_correct_answers_make_exactly_one_winner(
    bot,
    transcript,
    linked,
    trivia_hub,  # noqa: F811  # the fixture imported above
    monkeypatch,
):
    web_player = await sync_to_async(make_gamer)("web racer")
    web = await open_socket(web_player, trivia_hub)
    winners = []
    round_: Round | None = None
    real_lock = attempts_module._lock_playing_round
    for i in range(6):
        answer = f"Answer {i}"
        round_ = await fresh_round(answer, after=round_)
        # Both attempts meet here, each in its own database thread and transaction, then race
        # for the round's row lock: a real race in PostgreSQL, not one side arriving first.
        barrier = threading.Barrier(2, timeout=WAIT)

        def meet_then_lock(barrier: threading.Barrier = barrier) -> Round | None:
            barrier.wait()
            return real_lock()

        monkeypatch.setattr(attempts_module, "_lock_playing_round", meet_then_lock)
        before = len(transcript.sent)

        async def from_web(answer: str = answer) -> str:
            await web.send_json_to({"event": "ATTEMPT", "data": {"message": answer.lower()}})
            return (await next_of(web, "COIN_DIFF", "ERROR"))["event"]

        _, web_outcome = await asyncio.gather(say(bot, f"!answer {answer.lower()}"), from_web())

        [reply] = transcript.sent[before:]
        discord_won = reply.content == "✅ Correct! You won **40** coins."
        assert discord_won != (web_outcome == "COIN_DIFF"), (reply.content, web_outcome)
        if not discord_won:
            assert reply.content.startswith("⏳ "), reply.content
        await sync_to_async(round_.refresh_from_db)()
        assert round_.winner_id == (linked.pk if discord_won else web_player.pk)
        assert await Attempt.objects.filter(round_id=round_.pk, prize__gt=0).acount() == 1
        assert await CoinTransaction.objects.filter(reason="prize", ref=round_ref(round_.pk)).acount() == 1
        winners.append("discord" if discord_won else "web")
    assert await CoinTransaction.objects.filter(reason="prize").acount() == 6
    assert await coins(linked) == await ledger(linked) and await coins(web_player) == await ledger(web_player)
