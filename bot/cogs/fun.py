"""Fun commands (SPEC §8): send, joke, countdown, random, motivate. No account needed."""

from __future__ import annotations

import asyncio
import logging
import random

import discord
from discord import app_commands
from discord.ext import commands
from django.conf import settings

from bot.cogs import GameConnectCog
from bot.content import GREETINGS, JOKES, QUOTES
from bot.context import GameConnectContext

logger = logging.getLogger("gameconnect.bot")

COUNTDOWN_MAX = 10
RANDOM_LIMIT = 1_000_000_000
DEFAULT_HIGH = 100

Bound = commands.Range[int, -RANDOM_LIMIT, RANDOM_LIMIT]
# Parameter help, for `!help name` (commands.parameter) and for the slash command (describe).
_N_HELP = f"Seconds to count down from (1-{COUNTDOWN_MAX})"
_LOW_HELP = "Lowest number, or alone the highest (from 1)"
_HIGH_HELP = "Highest number"
_N = commands.parameter(default=5, description=_N_HELP)
_LOW = commands.parameter(default=None, description=_LOW_HELP)
_HIGH = commands.parameter(default=None, description=_HIGH_HELP)


class FunCog(GameConnectCog, name="Fun"):
    """Greetings, jokes and small games."""

    @commands.hybrid_command(name="send", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    async def send_greeting(self, ctx: GameConnectContext) -> None:
        """Say hello."""
        await ctx.send(f"👋 Hey {ctx.author.display_name}! {random.choice(GREETINGS)}")

    @commands.hybrid_command(name="joke", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    async def joke(self, ctx: GameConnectContext) -> None:
        """Tell a gaming joke."""
        await ctx.send(f"😂 {random.choice(JOKES)}")

    @commands.hybrid_command(name="motivate", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    async def motivate(self, ctx: GameConnectContext) -> None:
        """A (sarcastic) motivational quote."""
        await ctx.send(f"💪 *{random.choice(QUOTES)}*")

    @commands.hybrid_command(name="countdown", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @commands.max_concurrency(1, per=commands.BucketType.channel, wait=False)
    @app_commands.describe(n=_N_HELP)
    async def countdown(
        self,
        ctx: GameConnectContext,
        n: commands.Range[int, 1, COUNTDOWN_MAX] = _N,
    ) -> None:
        """Count down from n (at most 10), one step a second, then GO."""
        # One message edited in place; asyncio.sleep between edits leaves the event loop free
        # for every other command meanwhile.
        step = float(settings.BOT_COUNTDOWN_STEP_SECONDS)
        message = await ctx.send(f"⏳ **{n}**")
        try:
            for remaining in range(n - 1, 0, -1):
                await asyncio.sleep(step)
                await message.edit(content=f"⏳ **{remaining}**")
            await asyncio.sleep(step)
            await message.edit(content="🎮 **GO!**")
        except discord.NotFound:
            logger.info("countdown message deleted in channel %s; stopping", ctx.channel.id)

    @commands.hybrid_command(name="random", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @app_commands.describe(low=_LOW_HELP, high=_HIGH_HELP)
    async def random_number(
        self,
        ctx: GameConnectContext,
        # Not `Bound | None`: discord.py would skip an Optional argument that fails to convert
        # and report "too many arguments" instead of the bad number.
        low: Bound = _LOW,
        high: Bound = _HIGH,
    ) -> None:
        """A random whole number: 1-100, 1-low, or low-high."""
        if low is None:
            low, high = 1, DEFAULT_HIGH
        elif high is None:
            low, high = min(1, low), max(1, low)
        if low > high:
            raise commands.BadArgument("`low` must not be greater than `high`.")
        await ctx.send(f"🎲 **{random.randint(low, high)}** (between {low} and {high})")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(FunCog(bot))
