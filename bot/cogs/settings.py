"""Per-server settings (SPEC §8): `settings` shows them, `settings channel trivia|announce
[#channel]` and `settings language <en|fr|ar>` change them. Stored in the database
(`bot.models.GuildSettings`, through `bot.settings_store`); only members with the server's
Manage Server permission may use them, and only in a server.

As slash commands: `/settings show`, `/settings channel`, `/settings language` (Discord can't
run a slash group by itself); Discord also hides them from members without Manage Server.
"""

from __future__ import annotations

from typing import Any, Literal

import discord
from channels.db import database_sync_to_async
from discord import app_commands
from discord.ext import commands

from bot.cogs import GameConnectCog
from bot.context import GameConnectContext
from bot.embeds import ERROR, embed
from bot.errors import command_error_reply
from bot.models import GuildSettings
from bot.settings_store import channel_set, default_channel, guild_settings, language_set

NOT_IN_A_SERVER = "Settings belong to a server: use this command in one of its channels."
NEEDS_MANAGE_SERVER = "Only members with the **Manage Server** permission can change the bot's settings here."
KIND_LABEL = {"trivia": "Trivia channel", "announce": "Announcement channel"}
LANGUAGE_NAMES = dict(GuildSettings.Language.choices)

# No channel given: back to the default. (A module-level default: see `channel` below.)
NO_CHANNEL: Any = commands.parameter(default=None, displayed_default="")

_manage_server = commands.has_guild_permissions(manage_guild=True).predicate


def _channel_line(own: int | None, kind: str) -> str:
    if own:
        return f"<#{own}>"
    fallback = default_channel(kind)
    return f"<#{fallback}> (the default)" if fallback else "not set"


def settings_embed(guild: Any, row: GuildSettings | None) -> discord.Embed:
    box = embed(f"⚙️ Bot settings · {discord.utils.escape_markdown(str(guild.name))[:200]}")
    box.add_field(name=KIND_LABEL["trivia"], value=_channel_line(row.trivia_channel_id if row else None, "trivia"))
    box.add_field(
        name=KIND_LABEL["announce"], value=_channel_line(row.announce_channel_id if row else None, "announce")
    )
    code = row.language if row else GuildSettings.Language.EN
    box.add_field(name="Language", value=f"{LANGUAGE_NAMES[code]} (`{code}`)")
    return box


class SettingsCog(GameConnectCog, name="Settings"):
    """This server's bot settings (Manage Server permission)."""

    async def cog_check(self, ctx: commands.Context[Any]) -> bool:
        if ctx.guild is None:
            raise commands.NoPrivateMessage(NOT_IN_A_SERVER)
        return bool(await discord.utils.maybe_coroutine(_manage_server, ctx))

    async def cog_command_error(self, ctx: commands.Context[Any], error: Exception) -> None:
        if isinstance(error, commands.NoPrivateMessage | commands.MissingPermissions):
            text = NOT_IN_A_SERVER if isinstance(error, commands.NoPrivateMessage) else NEEDS_MANAGE_SERVER
            await ctx.send(embed=embed("Can't do that", text, colour=ERROR), ephemeral=True)
            return
        await command_error_reply(ctx, error)

    @commands.hybrid_group(name="settings", fallback="show", invoke_without_command=True)  # type: ignore[arg-type]  # discord.py's hybrid typing: mypy can't infer its ParamSpec union for cog methods
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def settings_group(self, ctx: GameConnectContext) -> None:
        """This server's bot settings: trivia and announcement channels, language."""
        assert ctx.guild is not None  # cog_check
        row = await database_sync_to_async(guild_settings)(ctx.guild.id)
        await ctx.send(embed=settings_embed(ctx.guild, row), ephemeral=True)

    @settings_group.command(name="channel", ignore_extra=False)  # type: ignore[arg-type]  # as above
    async def channel(
        self,
        ctx: GameConnectContext,
        kind: Literal["trivia", "announce"],
        # Not `TextChannel | None`: with an Optional, discord.py would skip a channel it can't
        # find and reset the setting instead of answering with the usage.
        channel: discord.TextChannel = NO_CHANNEL,
    ) -> None:
        """Where the bot posts trivia rounds or announcements (no channel: back to the default)."""
        assert ctx.guild is not None  # cog_check
        await database_sync_to_async(channel_set)(
            guild_id=ctx.guild.id, kind=kind, channel_id=channel.id if channel else None
        )
        label = KIND_LABEL[kind]
        if channel is None:
            text = f"{label}: back to the default ({_channel_line(None, kind)})."
        else:
            text = f"{label} set to {channel.mention}."
            mine = channel.permissions_for(ctx.guild.me)
            if not (mine.view_channel and mine.send_messages and mine.embed_links):
                text += "\n⚠️ I can't post there yet: give me View Channel, Send Messages and Embed Links in it."
        await ctx.send(embed=embed("Settings saved", text), ephemeral=True)

    @settings_group.command(name="language", ignore_extra=False)  # type: ignore[arg-type]  # as above
    async def language(self, ctx: GameConnectContext, code: Literal["en", "fr", "ar"]) -> None:
        """This server's language for the bot: en, fr or ar."""
        assert ctx.guild is not None  # cog_check
        await database_sync_to_async(language_set)(guild_id=ctx.guild.id, language=code)
        await ctx.send(
            embed=embed("Settings saved", f"Language set to {LANGUAGE_NAMES[code]} (`{code}`)."), ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(SettingsCog(bot))
