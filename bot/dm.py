"""Notification DMs (SPEC §2, §8): the bot drains the outbox (bot.outbox) every
BOT_DM_POLL_SECONDS and sends each notification as an embed to the linked Discord user.

* sent → `sent`;
* the user's DMs are closed (`discord.Forbidden`) or the Discord user is gone (`NotFound`), or
  the account was unlinked meanwhile → `skipped`, logged once, never retried;
* any other Discord error → one more attempt later, `failed` after 3 (bot.outbox.MAX_ATTEMPTS).
"""

from __future__ import annotations

import logging

import discord
from channels.db import database_sync_to_async
from discord.ext import commands, tasks
from django.conf import settings

from bot import outbox
from bot.cogs import GameConnectCog
from bot.embeds import embed, plain

logger = logging.getLogger("gameconnect.bot")


def dm_embed(message: outbox.Outgoing) -> discord.Embed:
    box = embed(plain(message.title, 256), plain(message.body, 2000))
    if message.url:
        box.url = message.url
    return box


class DirectMessagesCog(GameConnectCog, name="Direct messages"):
    """Sends notification DMs from the outbox."""

    async def cog_load(self) -> None:
        self.sender.change_interval(seconds=float(settings.BOT_DM_POLL_SECONDS))
        self.sender.start()

    async def cog_unload(self) -> None:
        self.sender.cancel()

    async def send_pending(self) -> int:
        """Send one batch; returns how many DMs were delivered."""
        batch = await database_sync_to_async(outbox.claim)()
        delivered = 0
        for message in batch:
            delivered += await self._send(message)
        return delivered

    async def _send(self, message: outbox.Outgoing) -> int:
        if message.discord_id is None:
            await database_sync_to_async(outbox.mark_skipped)(message.id, "account no longer linked or active")
            return 0
        try:
            user = self.bot.get_user(message.discord_id) or await self.bot.fetch_user(message.discord_id)
            await user.send(embed=dm_embed(message))
        except (discord.Forbidden, discord.NotFound) as exc:
            logger.info("DM %s skipped: Discord user %s can't receive it (%s)", message.id, message.discord_id, exc)
            await database_sync_to_async(outbox.mark_skipped)(message.id, f"{type(exc).__name__}: {exc}")
            return 0
        except discord.HTTPException as exc:
            status = await database_sync_to_async(outbox.mark_failed)(message.id, f"{type(exc).__name__}: {exc}")
            logger.warning("DM %s to %s failed (%s), now %s", message.id, message.discord_id, exc, status)
            return 0
        await database_sync_to_async(outbox.mark_sent)(message.id)
        return 1

    @tasks.loop(seconds=5.0)
    async def sender(self) -> None:
        try:
            await self.send_pending()
        except Exception:
            # A loop that raises stops for good; log, and try again at the next poll.
            logger.exception("notification DMs failed; retrying")

    @sender.before_loop
    async def _before_sending(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(DirectMessagesCog(bot))
