"""Fun commands through discord.py's own parsing: what the bot sends."""

from __future__ import annotations

import asyncio
import contextlib
import re

import pytest

from bot.content import GREETINGS, JOKES, QUOTES
from bot.tests.harness import CHANNEL_ID, WAIT, say


def _number(text: str) -> int:
    match = re.search(r"\*\*(-?\d+)\*\*", text)
    assert match, text
    return int(match.group(1))


async def test_send_greets_the_author_by_name(bot, transcript):
    await say(bot, "!send", name="Amira")
    assert len(transcript.sent) == 1
    text = transcript.last.content
    assert text.startswith("👋 Hey Amira! ")
    assert text.removeprefix("👋 Hey Amira! ") in GREETINGS


async def test_commands_are_case_insensitive_and_tolerate_a_space_after_the_prefix(bot, transcript):
    await say(bot, "!JOKE")
    await say(bot, "! joke")
    assert len(transcript.sent) == 2


async def test_joke_is_a_gaming_joke_from_the_list(bot, transcript):
    seen = set()
    for _ in range(30):
        await say(bot, "!joke")
        joke = transcript.last.content.removeprefix("😂 ")
        assert joke in JOKES
        seen.add(joke)
    assert len(seen) > 1, "jokes should vary"


async def test_motivate_is_a_sarcastic_quote(bot, transcript):
    await say(bot, "!motivate")
    assert transcript.last.content.removeprefix("💪 *").removesuffix("*") in QUOTES


async def test_random_without_arguments_is_between_1_and_100(bot, transcript):
    values = set()
    for _ in range(40):
        await say(bot, "!random")
        assert "(between 1 and 100)" in transcript.last.content
        values.add(_number(transcript.last.content))
    assert values <= set(range(1, 101)) and len(values) > 1


async def test_random_with_one_bound_is_a_die(bot, transcript):
    values = set()
    for _ in range(60):
        await say(bot, "!random 6")
        values.add(_number(transcript.last.content))
    assert values == {1, 2, 3, 4, 5, 6}


async def test_random_with_two_bounds_stays_inside_them(bot, transcript):
    for _ in range(20):
        await say(bot, "!random -3 3")
        assert -3 <= _number(transcript.last.content) <= 3
    await say(bot, "!random 7 7")
    assert _number(transcript.last.content) == 7


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("!random abc", "`abc` isn't a number (for `low`)."),
        ("!random 1 two", "`two` isn't a number (for `high`)."),
        ("!random 10 1", "`low` must not be greater than `high`"),
        ("!random 1 2 3", "Too many arguments"),
        ("!random 99999999999", "out of range"),
    ],
)
async def test_random_with_bad_arguments_answers_with_usage(bot, transcript, command, reason):
    await say(bot, command)
    assert len(transcript.sent) == 1
    text = transcript.last.content
    assert reason in text
    assert "Usage: `!random [low] [high]`" in text
    assert "Traceback" not in text


async def test_countdown_counts_down_in_one_message_then_says_go(bot, transcript):
    await say(bot, "!countdown 3")
    assert len(transcript.sent) == 1
    assert transcript.last.content == "⏳ **3**"
    assert transcript.last.edits == ["⏳ **2**", "⏳ **1**", "🎮 **GO!**"]


async def test_countdown_defaults_to_five(bot, transcript):
    await say(bot, "!countdown")
    assert transcript.last.content == "⏳ **5**"
    assert len(transcript.last.edits) == 5


@pytest.mark.parametrize("n", ["11", "0", "-2", "ten"])
async def test_countdown_refuses_bad_n_with_usage_and_counts_nothing(bot, transcript, n):
    await say(bot, f"!countdown {n}")
    assert len(transcript.sent) == 1
    assert transcript.last.edits == []
    assert "Usage: `!countdown [n=5]`" in transcript.last.content
    if n.lstrip("-").isdigit():
        assert "between 1 and 10" in transcript.last.content


async def test_countdown_does_not_block_other_commands(bot, transcript, settings):
    # A step far longer than the wait for the joke: however slow the machine, the joke must be
    # answered while the countdown sleeps on its first step. (GO is tested above.)
    settings.BOT_COUNTDOWN_STEP_SECONDS = 3 * WAIT
    countdown = asyncio.create_task(say(bot, "!countdown 3"))
    await transcript.wait_until(lambda: any(s.content == "⏳ **3**" for s in transcript.sent))

    await asyncio.wait_for(say(bot, "!joke", author_id=99, channel_id=CHANNEL_ID + 1), timeout=WAIT)

    assert transcript.last.content.startswith("😂 "), "the joke was answered while the countdown runs"
    assert not countdown.done(), "the countdown must still be running"
    assert transcript.sent[0].edits == []
    countdown.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await countdown


async def test_a_second_countdown_in_the_same_channel_is_told_to_wait(bot, transcript, settings):
    settings.BOT_COUNTDOWN_STEP_SECONDS = 0.1
    first = asyncio.create_task(say(bot, "!countdown 3"))
    await transcript.wait_until(lambda: len(transcript.sent) == 1)
    await say(bot, "!countdown 3", author_id=99)
    assert transcript.last.content == "`countdown` is already running here; wait for it to finish."
    await asyncio.wait_for(first, timeout=WAIT)


async def test_fun_commands_refuse_extra_arguments_with_usage(bot, transcript):
    await say(bot, "!joke please")
    assert "Too many arguments." in transcript.last.content
    assert "Usage: `!joke`" in transcript.last.content
