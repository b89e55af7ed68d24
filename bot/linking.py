"""From a Discord author to a GameConnect account.

Commands that act for a player put `@linked_account()` under their decorator: the check looks
the author up and stores the account on `ctx.gamer`, or stops the command with `NotLinked`,
which the error handler (bot.errors) turns into `not_linked_embed()`: how to link.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from channels.db import database_sync_to_async
from discord.ext import commands

from bot.context import GameConnectContext
from bot.embeds import embed
from bot.weblink import link_request_create, link_url
from gamers.models import Gamer
from gamers.selectors import gamer_by_discord_id

T = TypeVar("T")


class NotLinked(commands.CheckFailure):
    """The Discord author has no (active) GameConnect account linked."""

    def __init__(self) -> None:
        super().__init__("This Discord account is not linked to a GameConnect account.")


async def gamer_for_discord_user(user: discord.abc.User | Any) -> Gamer | None:
    """The active account linked to this Discord user, or None."""
    return await database_sync_to_async(gamer_by_discord_id)(user.id)


def linked_account() -> Callable[[T], T]:
    """Command check: the author must have linked their account; sets `ctx.gamer`."""

    async def predicate(ctx: GameConnectContext) -> bool:
        try:
            ctx.gamer = await gamer_for_discord_user(ctx.author)
        except Exception as exc:
            # discord.py only routes CommandErrors to the error handlers; anything else raised
            # by a check would escape unanswered.
            raise commands.CommandInvokeError(exc) from exc
        if ctx.gamer is None:
            raise NotLinked()
        return True

    return commands.check(predicate)


def not_linked_embed(prefix: str = "!") -> discord.Embed:
    return embed(
        "Link your GameConnect account first",
        "This Discord account isn't linked to a GameConnect account yet.\n"
        f"• Send `{prefix}link` (or use `/link`) and follow the one-use link it answers with: "
        "sign in on GameConnect and confirm.\n"
        "• Or sign in to GameConnect *with Discord*: that links this account too.\n"
        "• Or create a link code from your account (`POST /api/v1/auth/discord/link-code`, valid "
        f"10 minutes) and send `{prefix}link CODE` here.",
    )


async def link_page_embed(user: discord.abc.User | Any) -> discord.Embed:
    """A fresh one-use link (bot.weblink) to the page that binds `user` after sign-in."""
    name = str(getattr(user, "name", "") or "")
    request = await database_sync_to_async(link_request_create)(discord_id=user.id, discord_name=name)
    url = link_url(request.token)
    box = embed(
        "Link your GameConnect account",
        f"[Open this link]({url}), sign in to GameConnect and confirm: this Discord account is then "
        f"linked to yours. The link works once and expires {discord.utils.format_dt(request.expires_at, 'R')}; "
        "keep it to yourself.\n"
        "Signing in to GameConnect *with Discord* links this account too.",
    )
    box.url = url
    return box
