"""Account commands (SPEC §8): `link [code]`, `unlink` and `me`.

`link` with no code answers with a one-use link to the web page that binds the account
(bot.weblink, docs/bot-organise.md).

The model for platform cogs: services and selectors are called through
`database_sync_to_async` (it also closes stale database connections, which matters in a
process that runs for weeks), answers are embeds, refusals are ServiceErrors that the cog's
error handler shows as their human sentence.
"""

from __future__ import annotations

import logging

import discord
from channels.db import database_sync_to_async
from discord import app_commands
from discord.ext import commands

from bot.cogs import GameConnectCog
from bot.context import GameConnectContext
from bot.embeds import embed, gamer_embed
from bot.linking import NotLinked, link_page_embed, linked_account
from bot.weblink import discord_unlink_by_discord_id
from gamers.services import discord_link

logger = logging.getLogger("gameconnect.bot")

_CODE_HELP = "The 8-character code from your GameConnect account; leave it out to get a link to the website"
_CODE = commands.parameter(default=None, description=_CODE_HELP)


class AccountCog(GameConnectCog, name="Account"):
    """Your GameConnect account from Discord."""

    @commands.hybrid_command(name="link")  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @commands.cooldown(5, 60, commands.BucketType.user)  # codes are guessable only by brute force
    @app_commands.describe(code=_CODE_HELP)
    async def link(self, ctx: GameConnectContext, *, code: str | None = _CODE) -> None:
        """Link this Discord account: with no code, get a one-use link to the website."""
        code = (code or "").strip()
        if not code:
            await self._send_link_page(ctx)
            return
        gamer = await database_sync_to_async(discord_link)(code=code, discord_id=ctx.author.id)
        box = embed(
            "Linked! ✅",
            f"This Discord account is now linked to **{gamer.username}** on GameConnect. Try `{ctx.shown_prefix}me`.",
        )
        await ctx.send(embed=box, ephemeral=True)

    async def _send_link_page(self, ctx: GameConnectContext) -> None:
        """The link is a credential for a few minutes: only the author sees it (an ephemeral
        answer to /link, a DM for `!link` in a server, the reply itself in a DM)."""
        box = await link_page_embed(ctx.author)
        if ctx.interaction is not None or ctx.guild is None:
            await ctx.send(embed=box, ephemeral=True)
            return
        try:
            await ctx.author.send(embed=box)
        except discord.HTTPException:
            logger.info("could not DM the link page to %s", ctx.author.id)
            await ctx.send(
                f"{ctx.author.mention} I couldn't DM you: allow direct messages from this server's members, "
                "or use `/link` (only you see its answer)."
            )
            return
        await ctx.send("I sent you a DM with your link. 📬")

    @commands.hybrid_command(name="unlink", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    async def unlink(self, ctx: GameConnectContext) -> None:
        """Unlink this Discord account from its GameConnect account."""
        gamer = await database_sync_to_async(discord_unlink_by_discord_id)(discord_id=ctx.author.id)
        if gamer is None:
            await ctx.send("This Discord account isn't linked to a GameConnect account.", ephemeral=True)
            return
        box = embed(
            "Unlinked",
            f"This Discord account is no longer linked to **{gamer.username}**. "
            f"Link again any time with `{ctx.shown_prefix}link`.",
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
