"""Fixtures for driving the bot offline; see bot/tests/harness.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bot.client import GameConnectBot, create_bot
from bot.tests.harness import BOT_USER, SentMessage, Transcript


@pytest.fixture(autouse=True)
def _no_announce_poll(settings: Any) -> None:
    """The announcer's poll writes its cursors as it starts, in a thread of its own: a bot built
    for a test must not, or that write can hold SQLite's lock while the test's data is flushed.
    The announcement tests turn it back on (and call announce_new() themselves)."""
    settings.BOT_ANNOUNCE_POLL_SECONDS = 0


@pytest.fixture
def transcript(monkeypatch: pytest.MonkeyPatch) -> Transcript:
    record = Transcript()

    async def send(self: Any, content: Any = None, **kwargs: Any) -> SentMessage:
        return await record.send(self, content, **kwargs)

    # Context.send ends in Messageable.send, the last step before Discord's HTTP API.
    monkeypatch.setattr(discord.abc.Messageable, "send", send)
    return record


@pytest.fixture
async def bot(settings: Any, transcript: Transcript) -> AsyncIterator[GameConnectBot]:
    settings.BOT_COUNTDOWN_STEP_SECONDS = 0.01
    client = create_bot()
    async with client:  # binds the event loop, as login() would, without connecting
        await client.load_cogs()  # what setup_hook does at login
        client._connection.user = BOT_USER  # what the gateway's READY would set
        yield client
