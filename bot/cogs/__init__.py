"""The bot's commands, one cog (module) per domain.

Each module defines a `GameConnectCog` subclass with hybrid commands (`!name` and `/name`) and
an `async def setup(bot)` that adds it; `bot.client.EXTENSIONS` lists the modules to load.
To add a domain (sessions, events, leaderboard, trivia...): write `bot/cogs/<domain>.py` on the
model of `account.py` and add it to EXTENSIONS. See docs/bot.md, "Adding commands".
"""

from __future__ import annotations

from typing import Any

from discord.ext import commands

from bot.errors import command_error_reply


class GameConnectCog(commands.Cog):
    """Base for every cog: failed commands get a short answer (bot.errors), never a traceback.

    The handler runs inside `bot.invoke`, so the answer is sent before the command returns.
    """

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def cog_command_error(self, ctx: commands.Context[Any], error: Exception) -> None:
        await command_error_reply(ctx, error)
