"""Drive buttons and slash commands offline: a gateway INTERACTION_CREATE payload goes through
`ConnectionState.parse_interaction_create`, exactly as discord.py handles one from Discord, and
`InteractionResponse.send_message` (the last step before Discord's HTTP API) is recorded."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from unittest import mock

import discord

from bot.tests.harness import CHANNEL_ID, PLAYER_ID, WAIT

_ids = itertools.count()


def _snowflake() -> str:
    """A fresh id dated now: discord.py treats an interaction older than 15 minutes as expired."""
    return str(discord.utils.time_snowflake(discord.utils.utcnow()) + next(_ids))


@dataclass
class Reply:
    content: str | None
    embed: discord.Embed | None
    ephemeral: bool

    @property
    def text(self) -> str:
        parts = [self.content or ""]
        if self.embed is not None:
            parts += [self.embed.title or "", self.embed.description or ""]
        return "\n".join(p for p in parts if p)


class Replies:
    def __init__(self) -> None:
        self.sent: list[Reply] = []
        self._changed = asyncio.Event()

    def add(self, reply: Reply) -> None:
        self.sent.append(reply)
        self._changed.set()

    async def wait_for(self, count: int = 1, timeout: float = WAIT) -> list[Reply]:
        """Wait (without sleeping blindly) until `count` replies have been sent."""

        async def _wait() -> None:
            while len(self.sent) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(_wait(), timeout)
        return self.sent


def record_replies(monkeypatch: Any) -> Replies:
    """Record `interaction.response.send_message` instead of calling Discord."""
    replies = Replies()

    async def send_message(
        self: Any, content: Any = None, *, embed: Any = None, ephemeral: bool = False, **_: Any
    ) -> Any:
        replies.add(Reply(None if content is None else str(content), embed, ephemeral))
        # What Discord answers: the message it created (ctx.send reads it for hybrid commands).
        return SimpleNamespace(resource=mock.MagicMock(spec=discord.InteractionMessage))

    monkeypatch.setattr(discord.InteractionResponse, "send_message", send_message)
    return replies


def _user(user_id: int) -> dict[str, Any]:
    return {"id": str(user_id), "username": f"player{user_id}", "discriminator": "0", "avatar": None}


def _base(type_: int, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _snowflake(),
        "application_id": "1000",
        "type": type_,
        "token": "interaction-token",
        "version": 1,
        "attachment_size_limit": 8_000_000,
        "user": _user(user_id),
        "channel_id": str(CHANNEL_ID),
        "channel": {"id": str(CHANNEL_ID), "type": 1, "recipients": [_user(user_id)]},
        "locale": "en-US",
        "data": data,
    }


def button_press(custom_id: str, *, user_id: int = PLAYER_ID, label: str = "Join") -> dict[str, Any]:
    """A press on a button of a message the bot posted (possibly before it restarted)."""
    payload = _base(3, user_id, {"custom_id": custom_id, "component_type": 2})
    payload["message"] = {
        "id": _snowflake(),
        "channel_id": str(CHANNEL_ID),
        "author": {**_user(1000), "bot": True},
        "content": "",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        "components": [{"type": 1, "components": [{"type": 2, "style": 3, "label": label, "custom_id": custom_id}]}],
    }
    return payload


def slash_command(
    name: str, *, user_id: int = PLAYER_ID, options: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return _base(2, user_id, {"id": _snowflake(), "name": name, "type": 1, "options": options or []})


def dispatch(bot: Any, payload: dict[str, Any]) -> None:
    bot._connection.parse_interaction_create(payload)
