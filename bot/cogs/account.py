"""Account commands (SPEC §8): link a Discord user to a GameConnect account, and `me`.

The model for platform cogs: services and selectors are called through
`database_sync_to_async` (it also closes stale database connections, which matters in a
process that runs for weeks), answers are embeds, refusals are ServiceErrors that the cog's
error handler shows as their human sentence.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from discord import app_commands
from discord.ext import commands

from bot.cogs import GameConnectCog
from bot.context import GameConnectContext
from bot.embeds import embed, gamer_embed
from bot.linking import NotLinked, linked_account
from gamers.services import discord_link

_CODE_HELP = "The 8-character code from your GameConnect account"
_CODE = commands.parameter(description=_CODE_HELP)


class AccountCog(GameConnectCog, name="Account"):
    """Your GameConnect account from Discord."""

    @commands.hybrid_command(name="link")  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @commands.cooldown(5, 60, commands.BucketType.user)  # codes are guessable only by brute force
    @app_commands.describe(code=_CODE_HELP)
    async def link(self, ctx: GameConnectContext, *, code: str = _CODE) -> None:
        """Link this Discord account to your GameConnect account with a link code."""
        gamer = await database_sync_to_async(discord_link)(code=code, discord_id=ctx.author.id)
        box = embed(
            "Linked! ✅",
            f"This Discord account is now linked to **{gamer.username}** on GameConnect. Try `{ctx.shown_prefix}me`.",
        )
        await ctx.send(embed=box, ephemeral=True)

    @commands.hybrid_command(name="me", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @linked_account()
    async def me(self, ctx: GameConnectContext) -> None:
        """Show your linked GameConnect account."""
        if ctx.gamer is None:  # linked_account() sets it; this only narrows the type
            raise NotLinked()
        await ctx.send(embed=gamer_embed(ctx.gamer), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(AccountCog(bot))
