"""Embeds the platform commands answer with, in one style."""

from __future__ import annotations

from datetime import datetime

import discord

from gamers.models import Gamer

BRAND = discord.Colour(0x7C3AED)
ERROR = discord.Colour(0xDC2626)
FOOTER = "GameConnect"


def embed(title: str, description: str = "", *, colour: discord.Colour = BRAND) -> discord.Embed:
    box = discord.Embed(title=title, description=description or None, colour=colour)
    box.set_footer(text=FOOTER)
    return box


def gamer_embed(gamer: Gamer, *, title: str | None = None) -> discord.Embed:
    """An account card: username, role, coins, joined."""
    box = embed(title or gamer.username)
    box.add_field(name="Username", value=gamer.username, inline=True)
    box.add_field(name="Role", value=gamer.get_role_display(), inline=True)
    box.add_field(name="Coins", value=f"{gamer.coins:,}", inline=True)
    box.add_field(name="Joined", value=discord.utils.format_dt(gamer.joined, style="D"), inline=True)
    return box


def when(moment: datetime) -> str:
    """A date and time every reader sees in their own time zone, and how far away it is."""
    return f"{discord.utils.format_dt(moment, style='f')} ({discord.utils.format_dt(moment, style='R')})"


def plain(text: str, limit: int = 256) -> str:
    """User-written text made safe to show: markdown escaped, cut to `limit` characters."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return discord.utils.escape_markdown(text)
