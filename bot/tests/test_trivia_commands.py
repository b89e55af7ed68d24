"""`trivia` through discord.py's own parsing, against the real game engine (rounds started,
revealed and won by `trivia.services`). The round posted in a channel: test_trivia_channel.py;
`answer`: test_trivia_answer.py."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from bot.tests.harness import say
from trivia import presence, services
from trivia.models import Entry, Round
from trivia.tests.factories import end_round, make_entry, next_round, start_round

pytestmark = pytest.mark.django_db(transaction=True)


def fmt(moment, style: str = "R") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


def fields(box) -> dict[str, str]:
    return {f.name: f.value for f in box.fields}


@sync_to_async
def play(answer: str, *, clue: str, value: int = 50) -> Round:
    """A PLAYING round on a new entry (as trivia's start_round, with a clue of our own)."""
    Entry.objects.filter(banned=False, rounds__isnull=True).update(banned=True)
    entry = make_entry(answer, value=value, clue=clue)
    round_ = services.round_start()
    assert round_ is not None and round_.entry_id == entry.pk
    return round_


@sync_to_async
def win(round_: Round, user: Any, answer: str = "buenos aires") -> Round:
    services.attempt_submit(user=user, message=answer)
    round_.refresh_from_db()
    assert round_.end_reason == Round.EndReason.WON
    return round_


@sync_to_async
def another_round(previous: Round, answer: str) -> Round:
    make_entry(answer)
    round_ = next_round(previous)
    assert round_ is not None
    return round_


# the command --------------------------------------------------------------------------------


async def test_trivia_without_a_round_says_the_game_has_not_started(bot, transcript):
    await say(bot, "!trivia")
    assert transcript.last.embed.title == "🧠 Trivia"
    assert transcript.last.embed.description.startswith("No round is being played right now")


def share_redis(monkeypatch: pytest.MonkeyPatch, shared: bool) -> None:
    """As with a REDIS_URL (shared with the web processes) or not; after the bot loaded the cog."""
    monkeypatch.setattr(sys.modules["bot.cogs.trivia"], "is_embedded", lambda: not shared)


async def test_trivia_shows_the_round_being_played(bot, transcript, settings, monkeypatch):
    share_redis(monkeypatch, True)
    round_ = await play("Buenos Aires", clue="Capital of *Argentina*", value=50)
    await presence.claim(7, "channel-a")
    await presence.claim(8, "channel-b")

    await say(bot, "!trivia")

    box = transcript.last.embed
    assert box.title == "🧠 Trivia · Capitals"
    assert box.description == "Capital of \\*Argentina\\*", "markdown in clues is escaped"
    shown = fields(box)
    assert shown["Answer"] == "`_ _ _ _ _ _   _ _ _ _ _`", "11 hidden letters, the space shown"
    assert "Buenos" not in box.description + "".join(shown.values())
    assert shown["Worth"] == "50 coins"
    assert shown["Next letter"] == fmt(round_.split_ends_at)
    # 11 hidden: 10 more splits reveal a letter, the 11th split time ends the round.
    split = timedelta(seconds=settings.TRIVIA_SPLIT_SECONDS)
    assert shown["Time left"] == fmt(round_.split_ends_at + 10 * split)
    assert shown["Players online"] == "2"


async def test_trivia_leaves_out_players_online_when_redis_is_not_shared(bot, transcript, monkeypatch):
    share_redis(monkeypatch, False)
    await play("Buenos Aires", clue="Capital of Argentina")
    await presence.claim(7, "channel-a")  # this process's own emulation: not the web's players
    await say(bot, "!trivia")
    shown = fields(transcript.last.embed)
    assert "Players online" not in shown and shown["Worth"] == "50 coins"


async def test_trivia_shows_revealed_letters_and_the_lower_value(bot, transcript):
    round_ = await play("Oslo", clue="Capital of Norway", value=40)
    for _ in range(3):  # 4 hidden -> 1 hidden
        await sync_to_async(round_.refresh_from_db)()
        assert await sync_to_async(services.round_advance)(round_.pk, now=round_.split_ends_at) is not None
    await sync_to_async(round_.refresh_from_db)()

    await say(bot, "!trivia")

    shown = fields(transcript.last.embed)
    assert shown["Answer"].count("_") == 1 and len(shown["Answer"]) == len("`O s l o`")
    assert shown["Worth"] == "10 coins"  # round(40 * 1 / 4)
    assert shown["Round ends"] == fmt(round_.split_ends_at), "one letter left: the next split ends it"
    assert "Time left" not in shown


async def test_trivia_between_rounds_shows_the_answer_and_the_winner(bot, transcript, gamer):
    round_ = await win(await sync_to_async(start_round)("Buenos Aires", value=50), gamer)

    await say(bot, "!trivia")

    shown = fields(transcript.last.embed)
    assert shown["Answer"] == "**Buenos Aires**"
    assert shown["Result"] == "🏆 **gamer one** found it and won 50 coins."
    assert shown["Next round"] == fmt(round_.next_round_at)


async def test_trivia_between_rounds_after_a_reveal_says_nobody_found_it(bot, transcript):
    await sync_to_async(end_round)(await play("Rome", clue="Capital of Italy"))
    await say(bot, "!trivia")
    shown = fields(transcript.last.embed)
    assert shown["Answer"] == "**Rome**"
    assert shown["Result"] == "Nobody found it this time."


async def test_trivia_takes_no_arguments(bot, transcript):
    await say(bot, "!trivia please")
    assert transcript.last.content == "Too many arguments.\nUsage: `!trivia`"
