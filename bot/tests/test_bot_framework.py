"""The bot's frame: building it, command registration, error answers, the link helper, runbot."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from unittest import mock

import discord
import pytest
from discord.ext import commands
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from bot.client import EXTENSIONS, GameConnectBot, create_bot
from bot.cogs import GameConnectCog
from bot.errors import DATABASE_DOWN, UNEXPECTED
from bot.linking import gamer_for_discord_user, linked_account
from bot.tests.harness import BOT_USER, PLAYER_ID, make_message, say
from gamers.models import Gamer

SPEC_COMMANDS = {"send": [], "joke": [], "countdown": ["n"], "random": ["low", "high"], "motivate": []}
SPEC_COMMANDS |= {"link": ["code"], "me": []}
SPEC_COMMANDS |= {"sessions": ["game"], "join": ["session_id"], "leave": ["session_id"], "events": ["search"]}
SPEC_COMMANDS |= {"leaderboard": ["game", "period"], "trivia": []}
SPEC_COMMANDS |= {"answer": ["text"], "help": ["command"], "unlink": []}


def test_create_bot_builds_without_an_event_loop_or_network():
    bot = create_bot()
    assert isinstance(bot, commands.Bot)
    assert bot.user is None, "nothing has connected"
    assert bot.intents.message_content, "`!` commands need the message content intent"
    assert bot.allowed_mentions.everyone is False and bot.allowed_mentions.roles is False


async def test_every_spec_command_is_a_hybrid_command_with_a_slash_twin(bot):
    for name, params in SPEC_COMMANDS.items():
        command = bot.get_command(name)
        assert isinstance(command, commands.HybridCommand), name
        slash = bot.tree.get_command(name)
        assert slash is not None, f"/{name} missing"
        assert [p.name for p in slash.parameters] == params, name
        assert slash.description, f"/{name} needs a description"
    countdown_n = bot.tree.get_command("countdown").parameters[0]
    assert (countdown_n.min_value, countdown_n.max_value, countdown_n.required) == (1, 10, False)
    assert not any(p.required for p in bot.tree.get_command("random").parameters)
    assert not bot.tree.get_command("link").parameters[0].required, "`link` alone answers with a web link"


async def test_every_cog_answers_its_own_errors(bot):
    assert len(bot.cogs) == len(EXTENSIONS)
    for cog in bot.cogs.values():
        assert isinstance(cog, GameConnectCog) and cog.has_error_handler(), cog.qualified_name


async def test_setup_hook_loads_cogs_and_publishes_slash_commands_only_when_asked(settings):
    settings.DISCORD_GUILD_ID = 123456
    quiet = create_bot()
    quiet.tree.sync = mock.AsyncMock(return_value=[])
    async with quiet:
        await quiet.setup_hook()
        assert quiet.get_command("countdown") is not None
    quiet.tree.sync.assert_not_awaited()

    loud = create_bot(sync_commands=True)
    loud.tree.sync = mock.AsyncMock(return_value=[])
    async with loud:
        await loud.setup_hook()
        loud.tree.sync.assert_awaited_once()
        assert loud.tree.sync.await_args.kwargs["guild"].id == 123456
        published = {c.name for c in loud.tree.get_commands(guild=discord.Object(123456))}
        assert set(SPEC_COMMANDS) <= published, "global commands are copied to the server for instant use"


async def test_unknown_commands_and_chat_get_no_answer(bot, transcript):
    await say(bot, "!nope")
    await say(bot, "hello everyone")
    await say(bot, "!joke", author_id=BOT_USER.id)  # the bot's own messages are not commands
    assert transcript.sent == []


async def test_mentioning_the_bot_works_as_a_prefix(bot, transcript):
    await say(bot, f"<@{BOT_USER.id}> joke")
    assert transcript.last.content.startswith("😂 ")


async def test_help_lists_the_commands(bot, transcript):
    await say(bot, "!help")
    text = "\n".join(s.text for s in transcript.sent)
    for name in SPEC_COMMANDS:
        assert name in text


@pytest.mark.django_db(transaction=True)  # the ORM wrapper checks connections
async def test_unexpected_errors_are_logged_and_answered_without_a_traceback(bot, transcript, caplog):
    with mock.patch("bot.cogs.account.discord_link", side_effect=RuntimeError("db password is hunter2")):
        with caplog.at_level(logging.ERROR, logger="gameconnect.bot"):
            await say(bot, "!link ABCDEFGH")
    assert transcript.last.content == UNEXPECTED
    assert "hunter2" not in transcript.last.text and "Traceback" not in transcript.last.text
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info and str(record.exc_info[1]) == "db password is hunter2"


async def test_errors_of_commands_outside_cogs_are_answered_too(bot, transcript):
    @commands.command(name="strict")
    async def strict(ctx, number: int) -> None:
        await ctx.send(str(number))

    bot.add_command(strict)
    await say(bot, "!strict x")
    # Without a cog, discord.py reports through the on_command_error event, a separate task.
    await transcript.wait_until(lambda: bool(transcript.sent))
    assert "Usage: `!strict <number>`" in transcript.last.content


@pytest.mark.django_db(transaction=True)
async def test_linked_account_check_gives_later_commands_the_gamer(bot, transcript, gamer):
    class Probe(GameConnectCog):
        @commands.hybrid_command(name="whoami")
        @linked_account()
        async def whoami(self, ctx) -> None:
            """Who am I?"""
            await ctx.send(f"you are {ctx.gamer.username}")

    await bot.add_cog(Probe(bot))
    await say(bot, "!whoami")
    assert transcript.last.embed.title == "Link your GameConnect account first"

    await Gamer.objects.filter(pk=gamer.pk).aupdate(discord_id=str(PLAYER_ID))
    await say(bot, "!whoami")
    assert transcript.last.content == "you are gamer one"


@pytest.mark.django_db(transaction=True)
async def test_gamer_for_discord_user_resolves_only_linked_active_accounts(gamer, other_gamer):
    await Gamer.objects.filter(pk=gamer.pk).aupdate(discord_id="42")
    await Gamer.objects.filter(pk=other_gamer.pk).aupdate(discord_id="43", is_active=False)
    author = make_message("").author
    author.id = 42
    assert (await gamer_for_discord_user(author)).pk == gamer.pk
    author.id = 43
    assert await gamer_for_discord_user(author) is None
    author.id = 44
    assert await gamer_for_discord_user(author) is None


def test_runbot_without_a_token_exits_2_with_one_line_on_stderr():
    # Empty rather than absent, so a developer's .env token can't fill it in and connect.
    env = {**os.environ, "DISCORD_BOT_TOKEN": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "runbot"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DISCORD_BOT_TOKEN is not set" in lines[0]


def test_runbot_runs_the_bot_with_the_token_and_publishes_commands(settings):
    settings.DISCORD_BOT_TOKEN = "token-123"
    with mock.patch.object(GameConnectBot, "run") as run:
        call_command("runbot")
    run.assert_called_once_with("token-123", log_handler=None)
    assert run.call_args is not None


def test_runbot_no_sync_flag_and_refused_token(settings):
    settings.DISCORD_BOT_TOKEN = "bad-token"
    built = []
    real_create = create_bot

    def spy(**kwargs):
        built.append(kwargs)
        return real_create(**kwargs)

    with mock.patch("bot.management.commands.runbot.create_bot", side_effect=spy):
        with mock.patch.object(GameConnectBot, "run", side_effect=discord.LoginFailure("Improper token")):
            with pytest.raises(CommandError) as exc:
                call_command("runbot", "--no-sync")
    assert built == [{"sync_commands": False}]
    assert exc.value.returncode == 2
    assert "refused DISCORD_BOT_TOKEN" in str(exc.value)


@pytest.mark.django_db(transaction=True)  # the ORM wrapper checks connections
async def test_a_failing_account_lookup_is_answered_not_raised(bot, transcript, caplog):
    with mock.patch("bot.linking.gamer_by_discord_id", side_effect=RuntimeError("boom")):
        with caplog.at_level(logging.ERROR, logger="gameconnect.bot"):
            await say(bot, "!me")
    assert transcript.last.content == UNEXPECTED
    assert any(r.exc_info and str(r.exc_info[1]) == "boom" for r in caplog.records)


@pytest.mark.django_db(transaction=True)  # the ORM wrapper checks connections
async def test_database_down_is_answered_with_a_retry_hint(bot, transcript):
    with mock.patch("bot.linking.gamer_by_discord_id", side_effect=OperationalError("connection refused")):
        await say(bot, "!me")
    assert transcript.last.content == DATABASE_DOWN
