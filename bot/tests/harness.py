"""Drive the bot offline: real discord.py parsing and invocation, Discord's send/edit recorded.

`say(bot, "!countdown 3")` builds a message, lets `bot.get_context` parse it and `bot.invoke`
run it, exactly as `on_message` would; `transcript` records every message the bot sends (and
its later edits) instead of calling Discord's HTTP API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from unittest import mock

import discord

from bot.client import GameConnectBot

# Stands in for the ClientUser the gateway's READY would set (typed Any: it is a double).
BOT_USER: Any = SimpleNamespace(id=1000, name="GameConnect", display_name="GameConnect", mention="<@1000>", bot=True)
PLAYER_ID = 4242
CHANNEL_ID = 77
# Seconds to wait for what the bot must do: generous, so a loaded CI machine doesn't fail a test
# (what never happens still does).
WAIT = 10.0


@dataclass
class Sent:
    channel_id: int
    content: str | None
    embed: discord.Embed | None
    edits: list[str | None] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Everything a user would read: content, then the embed's title, description and fields."""
        parts = [self.content or ""]
        if self.embed is not None:
            parts += [self.embed.title or "", self.embed.description or ""]
            parts += [f"{f.name}: {f.value}" for f in self.embed.fields]
        return "\n".join(p for p in parts if p)


class SentMessage:
    def __init__(self, sent: Sent, transcript: Transcript) -> None:
        self.sent = sent
        self.transcript = transcript

    async def edit(self, *, content: str | None = None, **kwargs: Any) -> SentMessage:
        self.sent.edits.append(content)
        self.transcript.changed()
        return self


class Transcript:
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self._changed = asyncio.Event()

    def changed(self) -> None:
        self._changed.set()

    async def send(self, destination: Any, content: Any = None, *, embed: Any = None, **kwargs: Any) -> SentMessage:
        channel = await destination._get_channel()
        sent = Sent(channel_id=channel.id, content=None if content is None else str(content), embed=embed)
        self.sent.append(sent)
        self.changed()
        return SentMessage(sent, self)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = WAIT) -> None:
        """Wait (without sleeping blindly) until the bot has sent or edited something that satisfies it."""

        async def _wait() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(_wait(), timeout)

    @property
    def last(self) -> Sent:
        assert self.sent, "the bot sent nothing"
        return self.sent[-1]


class FakeChannel(discord.abc.Messageable):
    """A channel whose `send` is Messageable.send, so the transcript records what lands in it."""

    def __init__(self, channel_id: int) -> None:
        self.id = channel_id

    async def _get_channel(self) -> FakeChannel:  # type: ignore[override]  # a test double in place of a real channel
        return self


def make_message(
    content: str, *, author_id: int = PLAYER_ID, name: str = "Player One", channel_id: int = CHANNEL_ID
) -> Any:
    author = mock.MagicMock(spec_set=["id", "name", "display_name", "mention", "bot"])
    author.configure_mock(id=author_id, name=name, display_name=name, mention=f"<@{author_id}>", bot=False)
    channel = FakeChannel(channel_id)
    message = mock.MagicMock()
    message.configure_mock(
        content=content,
        author=author,
        channel=channel,
        guild=None,  # a direct message; commands don't depend on a server
        id=555,
        interaction=None,
        created_at=discord.utils.utcnow(),  # cooldowns are timed from it
        edited_at=None,
    )
    return message


async def say(bot: GameConnectBot, content: str, **kwargs: Any) -> Any:
    """Run one message through discord.py's parsing and invocation; return its context."""
    ctx = await bot.get_context(make_message(content, **kwargs))
    await bot.invoke(ctx)
    return ctx
