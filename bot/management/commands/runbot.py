"""`python manage.py runbot`: run the Discord bot until interrupted (needs DISCORD_BOT_TOKEN)."""

from __future__ import annotations

from typing import Any

import discord
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bot.client import create_bot

EXIT_CONFIG = 2


class Command(BaseCommand):
    help = "Run the GameConnect Discord bot (needs DISCORD_BOT_TOKEN; see docs/bot.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-sync",
            action="store_true",
            help="Don't publish the slash commands at start (they keep their last published form).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = settings.DISCORD_BOT_TOKEN
        if not token:
            raise CommandError(
                "DISCORD_BOT_TOKEN is not set: create a bot in the Discord developer portal and export its token "
                "(see docs/bot.md).",
                returncode=EXIT_CONFIG,
            )
        bot = create_bot(sync_commands=not options["no_sync"])
        try:
            # log_handler=None: Django's LOGGING already sends discord.py's records to the console.
            bot.run(token, log_handler=None)
        except discord.LoginFailure as exc:
            raise CommandError(
                "Discord refused DISCORD_BOT_TOKEN; copy the token again from the developer portal.",
                returncode=EXIT_CONFIG,
            ) from exc
        except discord.PrivilegedIntentsRequired as exc:
            raise CommandError(
                "Enable 'Message Content Intent' for the bot in the developer portal (Bot > Privileged Gateway "
                "Intents); `!` commands need it.",
                returncode=EXIT_CONFIG,
            ) from exc
