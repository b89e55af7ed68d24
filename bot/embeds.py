"""Embeds the platform commands answer with, in one style."""

from __future__ import annotations

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
