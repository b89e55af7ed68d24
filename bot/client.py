"""The GameConnect Discord bot (SPEC §8).

`create_bot()` builds it without touching the network; `python manage.py runbot` runs it.
Commands live in cogs (bot/cogs/), loaded from EXTENSIONS when the bot logs in.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands
from django.conf import settings

from bot.context import GameConnectContext
from bot.errors import command_error_reply

logger = logging.getLogger("gameconnect.bot")

COMMAND_PREFIX = "!"

# What the bot needs in a server's channels (docs/bot.md, "Set up the bot in your server"):
# View Channels, Send Messages, Embed Links, Read Message History, Use Application Commands.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    read_message_history=True,
    use_application_commands=True,
)
INVITE_SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int) -> str:
    """The link that adds the bot to a server with the scopes and permissions it needs."""
    return discord.utils.oauth_url(application_id, permissions=INVITE_PERMISSIONS, scopes=INVITE_SCOPES)


# One module per domain; each has `async def setup(bot)`. Platform cogs are added here.
EXTENSIONS: tuple[str, ...] = (
    "bot.cogs.fun",
    "bot.cogs.account",
    "bot.cogs.sessions",
    "bot.cogs.events",
    "bot.cogs.leaderboard",
    "bot.cogs.trivia",
    "bot.cogs.settings",
    "bot.cogs.help",
    "bot.announce",
    "bot.dm",  # issue 18 part B: announcements with buttons, notification DMs
)


class GameConnectBot(commands.Bot):
    def __init__(self, *, sync_commands: bool = False, guild_id: int = 0, **kwargs: Any) -> None:
        # The bot has no voice features: skip discord.py's warnings about missing voice libraries.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()
        # `!name` commands need to read message text: enable "Message Content Intent" for the
        # bot in the developer portal. Slash commands work without it.
        intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned_or(COMMAND_PREFIX),
            intents=intents,
            case_insensitive=True,
            strip_after_prefix=True,
            # Nothing the bot echoes (display names, arguments) can ping @everyone or roles.
            allowed_mentions=discord.AllowedMentions.none(),
            description="GameConnect: gaming sessions, events, trivia and leaderboards.",
            # `help` / `/help` is a command of its own (bot.cogs.help), built from the registry.
            help_command=None,
            **kwargs,
        )
        self.sync_commands = sync_commands
        self.guild_id = guild_id

    async def load_cogs(self) -> None:
        """Load every cog in EXTENSIONS. `setup_hook` does it at login; tests call it directly."""
        for name in EXTENSIONS:
            await self.load_extension(name)

    async def setup_hook(self) -> None:
        await self.load_cogs()
        if self.sync_commands:
            await self._publish_slash_commands()

    async def _publish_slash_commands(self) -> None:
        if self.guild_id:
            guild = discord.Object(id=self.guild_id)
            self.tree.copy_global_to(guild=guild)
            published = await self.tree.sync(guild=guild)
            logger.info("published %d slash commands to server %s", len(published), self.guild_id)
        else:
            published = await self.tree.sync()
            logger.info("published %d slash commands globally (may take up to an hour to appear)", len(published))

    async def get_context(self, origin: Any, /, *, cls: Any = GameConnectContext) -> Any:
        return await super().get_context(origin, cls=cls)

    async def on_ready(self) -> None:
        user = self.user
        logger.info("bot connected as %s (id %s) in %d servers", user, user.id if user else "?", len(self.guilds))
        if user is not None:
            logger.info("add it to a server with %s", invite_url(user.id))

    async def on_command_error(self, context: commands.Context[Any], exception: commands.CommandError, /) -> None:
        # Cogs answer their own commands' errors inline (GameConnectCog); this catches the rest.
        if context.cog is not None and context.cog.has_error_handler():
            return
        await command_error_reply(context, exception)


def create_bot(*, sync_commands: bool = False) -> GameConnectBot:
    """The bot, ready to `run(token)`; nothing connects until then.

    `sync_commands` publishes the slash commands at login (to DISCORD_GUILD_ID at once when it
    is set, else globally).
    """
    return GameConnectBot(sync_commands=sync_commands, guild_id=settings.DISCORD_GUILD_ID)
