"""The bot's invocation context: discord.py's, plus the linked GameConnect account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

if TYPE_CHECKING:
    from gamers.models import Gamer


class GameConnectContext(commands.Context["commands.Bot"]):
    """`gamer` is set by the `linked_account()` check (bot.linking) before the command runs."""

    gamer: Gamer | None = None

    @property
    def shown_prefix(self) -> str:
        """How to write a command here: `/` inside a slash command, else the prefix just used."""
        return "/" if self.interaction is not None else (self.clean_prefix or "!")
