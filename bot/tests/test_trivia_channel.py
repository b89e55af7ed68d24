"""The live round in a server's trivia channel: one message per round, edited on every split,
the reveal and the win; per-server channels; the polling loop. Against the real game engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from unittest import mock

import discord
import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bot.client import GameConnectBot, create_bot
from bot.cogs.trivia import live_round
from bot.settings_store import channel_set
from bot.tests.harness import BOT_USER, FakeChannel, Sent, SentMessage, Transcript
from bot.tests.test_trivia_commands import another_round, fields, play, win
from trivia import services
from trivia.models import Round
from trivia.tests.factories import end_round, start_round

pytestmark = pytest.mark.django_db(transaction=True)

TRIVIA_CHANNEL = 9001
OWN_CHANNEL = 9002
OTHER_OWN_CHANNEL = 9003
GUILD_A, GUILD_B = 111, 222


@pytest.fixture(autouse=True)
def record_edits(transcript: Transcript, monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness's edit, also keeping the new embed (what readers see after the edit)."""

    async def edit(self: SentMessage, *, content: str | None = None, embed: Any = None, **kwargs: Any) -> SentMessage:
        self.sent.edits.append(content)
        if embed is not None:
            self.sent.embed = embed
        self.transcript.changed()
        return self

    monkeypatch.setattr(SentMessage, "edit", edit)


@pytest.fixture
def channels(bot: GameConnectBot, settings: Any) -> dict[int, FakeChannel]:
    """Channels the bot can see; DISCORD_TRIVIA_CHANNEL_ID is the default trivia channel."""
    settings.DISCORD_TRIVIA_CHANNEL_ID = TRIVIA_CHANNEL
    known = {cid: FakeChannel(cid) for cid in (TRIVIA_CHANNEL, OWN_CHANNEL, OTHER_OWN_CHANNEL)}
    bot.get_channel = mock.Mock(side_effect=known.get)  # type: ignore[method-assign]  # a test double
    return known


def posts(transcript: Transcript, channel_id: int = TRIVIA_CHANNEL) -> list[Sent]:
    return [s for s in transcript.sent if s.channel_id == channel_id]


@sync_to_async
def split(round_: Round) -> Round:
    round_.refresh_from_db()
    assert services.round_advance(round_.pk, now=round_.split_ends_at) is not None
    round_.refresh_from_db()
    return round_


async def test_one_message_per_round_edited_on_each_split_and_on_the_win(bot, transcript, channels, gamer):
    cog = bot.get_cog("Trivia")
    round_ = await play("Buenos Aires", clue="Capital of Argentina", value=50)

    assert await cog.refresh() == 1
    [post] = posts(transcript)
    assert post.embed.title == "🧠 Trivia · Capitals"
    assert fields(post.embed)["Answer"] == "`_ _ _ _ _ _   _ _ _ _ _`"
    assert "answer with !answer" in post.embed.footer.text

    assert await cog.refresh() == 0, "nothing changed: nothing sent or edited"
    await split(round_)
    assert await cog.refresh() == 1
    round_ = await split(round_)
    assert await cog.refresh() == 1
    assert fields(post.embed)["Answer"].count("_") == 9, "the edit shows the two revealed letters"
    assert fields(post.embed)["Worth"] == f"{round_.current_value} coins"

    won = await win(round_, gamer)
    assert await cog.refresh() == 1

    assert posts(transcript) == [post], "one message for the whole round: never re-sent"
    assert len(post.edits) == 3, "two splits and the win, one edit each"
    shown = fields(post.embed)
    assert shown["Answer"] == "**Buenos Aires**"
    assert shown["Result"] == f"🏆 **gamer one** found it and won {won.prize} coins."
    assert won.prize == round_.current_value
    assert await cog.refresh() == 0

    await another_round(won, "Lima")
    assert await cog.refresh() == 1
    assert len(posts(transcript)) == 2, "a new round is a new message"
    assert len(post.edits) == 3, "the old round's message is left as it was"


async def test_a_revealed_round_says_nobody_found_it(bot, transcript, channels):
    cog = bot.get_cog("Trivia")
    round_ = await play("Oslo", clue="Capital of Norway")
    assert await cog.refresh() == 1
    await sync_to_async(end_round)(round_)
    assert await cog.refresh() == 1
    [post] = posts(transcript)
    assert fields(post.embed)["Answer"] == "**Oslo**"
    assert fields(post.embed)["Result"] == "Nobody found it this time."


async def test_the_poll_is_one_query_when_nothing_changed(bot, transcript, channels):
    cog = bot.get_cog("Trivia")
    await play("Oslo", clue="Capital of Norway")
    await cog.refresh()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert live_round() is not None
        return len(queries.captured_queries)

    assert await sync_to_async(count)() == 1
    with mock.patch("bot.cogs.trivia.guild_channels") as channel_read:
        assert await cog.refresh() == 0
    channel_read.assert_not_called()


async def test_a_restarted_bot_does_not_replay_a_finished_round(bot, transcript, channels, gamer):
    cog = bot.get_cog("Trivia")
    won = await win(await sync_to_async(start_round)("Buenos Aires"), gamer)
    assert await cog.refresh() == 0, "over when first seen: not posted"
    await another_round(won, "Lima")
    assert await cog.refresh() == 1
    assert fields(posts(transcript)[0].embed)["Answer"] == "`_ _ _ _`"


async def test_a_round_won_between_two_polls_is_still_posted_unless_stale(bot, transcript, channels, gamer):
    cog = bot.get_cog("Trivia")
    first = await play("Paris", clue="Capital of France")
    assert await cog.refresh() == 1
    second = await win(await another_round(await win(first, gamer, "paris"), "Rome"), gamer, "rome")
    assert await cog.refresh() == 2, "round 2 started and was won between polls; round 1's end shown"
    assert fields(posts(transcript)[0].embed)["Answer"] == "**Paris**"
    assert fields(posts(transcript)[-1].embed)["Answer"] == "**Rome**"

    third = await win(await another_round(second, "Lima"), gamer, "lima")
    assert await cog.refresh(now=third.ended_at + timedelta(minutes=6)) == 0, "stale: not posted late"
    assert len(posts(transcript)) == 2


async def test_each_server_gets_the_round_in_its_own_channel(bot, transcript, channels, monkeypatch):
    cog = bot.get_cog("Trivia")
    monkeypatch.setattr(cog, "guild_ids", lambda: [GUILD_A, GUILD_B])
    await sync_to_async(channel_set)(guild_id=GUILD_A, kind="trivia", channel_id=OWN_CHANNEL)
    round_ = await play("Oslo", clue="Capital of Norway")

    assert await cog.refresh() == 2
    assert len(posts(transcript, OWN_CHANNEL)) == 1, "server A's own channel"
    assert len(posts(transcript, TRIVIA_CHANNEL)) == 1, "server B has none: the default"

    # Server B picks its own channel mid-round: it gets the round there, the default no more.
    await sync_to_async(channel_set)(guild_id=GUILD_B, kind="trivia", channel_id=OTHER_OWN_CHANNEL)
    await split(round_)
    assert await cog.refresh() == 2
    assert len(posts(transcript, OTHER_OWN_CHANNEL)) == 1
    assert len(posts(transcript, OWN_CHANNEL)[0].edits) == 1
    assert len(posts(transcript, TRIVIA_CHANNEL)[0].edits) == 0
    assert TRIVIA_CHANNEL not in cog.posts


async def test_the_default_channel_is_skipped_when_its_own_server_chose_another(bot, transcript, channels, monkeypatch):
    cog = bot.get_cog("Trivia")
    monkeypatch.setattr(cog, "guild_ids", lambda: [GUILD_A, GUILD_B])
    channels[TRIVIA_CHANNEL].guild = mock.Mock(id=GUILD_A)  # the default channel is in server A
    await sync_to_async(channel_set)(guild_id=GUILD_A, kind="trivia", channel_id=OWN_CHANNEL)
    await play("Oslo", clue="Capital of Norway")
    assert await cog.refresh() == 1
    assert posts(transcript, TRIVIA_CHANNEL) == [] and len(posts(transcript, OWN_CHANNEL)) == 1


async def test_no_channel_anywhere_posts_nothing(bot, transcript):
    await play("Oslo", clue="Capital of Norway")
    assert await bot.get_cog("Trivia").refresh() == 0
    assert transcript.sent == []


async def test_a_deleted_message_is_posted_again_and_a_refused_post_is_logged(bot, transcript, channels, gamer, caplog):
    cog = bot.get_cog("Trivia")
    round_ = await play("Buenos Aires", clue="Capital of Argentina")
    await cog.refresh()
    gone = discord.NotFound(mock.Mock(status=404, reason="Not Found"), "Unknown Message")
    with mock.patch.object(SentMessage, "edit", side_effect=gone):
        await split(round_)
        assert await cog.refresh() == 1
    assert len(posts(transcript)) == 2, "the round's message was deleted: a new one replaces it"

    refused = discord.Forbidden(mock.Mock(status=403, reason="Forbidden"), "Missing Access")
    with (
        mock.patch.object(FakeChannel, "send", side_effect=refused),
        mock.patch.object(SentMessage, "edit", side_effect=gone),
    ):
        await split(round_)
        assert await cog.refresh() == 0
    assert any("could not post trivia round" in r.getMessage() for r in caplog.records)
    assert TRIVIA_CHANNEL not in cog.posts, "tried again (as a new message) at the next change"


@pytest.fixture
async def polling_bot(settings: Any, transcript: Transcript) -> AsyncIterator[tuple[GameConnectBot, asyncio.Event]]:
    """A bot polling every 10 ms, 'ready' (connected) when the test says so."""
    settings.DISCORD_TRIVIA_CHANNEL_ID = TRIVIA_CHANNEL
    settings.BOT_TRIVIA_POLL_SECONDS = 0.01
    ready = asyncio.Event()
    client = create_bot()
    client.wait_until_ready = ready.wait  # type: ignore[method-assign, assignment]  # the gateway's READY, when the test says
    client.get_channel = mock.Mock(return_value=FakeChannel(TRIVIA_CHANNEL))  # type: ignore[method-assign]  # a test double
    async with client:
        await client.load_cogs()
        client._connection.user = BOT_USER
        yield client, ready


async def test_the_running_loop_posts_the_round_and_edits_it_on_the_win(polling_bot, transcript, gamer):
    bot, ready = polling_bot
    cog = bot.get_cog("Trivia")
    assert cog.poster.is_running()
    round_ = await play("Buenos Aires", clue="Capital of Argentina")
    ready.set()
    await transcript.wait_until(lambda: bool(posts(transcript)))
    await win(round_, gamer)
    await transcript.wait_until(lambda: "Result" in fields(posts(transcript)[0].embed))
    assert len(posts(transcript)) == 1
    assert fields(posts(transcript)[0].embed)["Result"].startswith("🏆 **gamer one** found it")


async def test_a_failing_poll_is_logged_and_the_loop_keeps_going(polling_bot, transcript, caplog):
    bot, ready = polling_bot
    cog = bot.get_cog("Trivia")
    real = cog.refresh.__func__
    calls = 0

    async def flaky(self: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database hiccup")
        return await real(self, **kwargs)

    await play("Buenos Aires", clue="Capital of Argentina")
    with mock.patch.object(type(cog), "refresh", flaky):
        ready.set()
        await transcript.wait_until(lambda: bool(posts(transcript)))
    assert calls >= 2
    assert any(r.exc_info and str(r.exc_info[1]) == "database hiccup" for r in caplog.records)


async def test_no_loop_when_polling_is_switched_off(settings, transcript):
    settings.BOT_TRIVIA_POLL_SECONDS = 0
    client = create_bot()
    async with client:
        await client.load_cogs()
        assert not client.get_cog("Trivia").poster.is_running()


async def test_a_round_whose_end_the_bot_missed_is_finished_when_the_next_starts(bot, transcript, channels, gamer):
    cog = bot.get_cog("Trivia")
    first = await play("Paris", clue="Capital of France")
    assert await cog.refresh() == 1
    # The bot misses the win and the whole pause; the next round has started when it looks again.
    await another_round(await win(first, gamer, "paris"), "Lima")

    assert await cog.refresh() == 2, "round 1's message edited to its end, round 2 posted"
    old, new = posts(transcript)
    assert len(old.edits) == 1
    shown = fields(old.embed)
    assert shown["Answer"] == "**Paris**" and shown["Result"].startswith("🏆 **gamer one** found it")
    assert "Next round" not in shown, "that round's pause is over"
    assert fields(new.embed)["Answer"] == "`_ _ _ _`"

    await split(await sync_to_async(Round.objects.get)(number=2))
    assert await cog.refresh() == 1, "only the live round's message; round 1's is final"
    assert len(old.edits) == 1
