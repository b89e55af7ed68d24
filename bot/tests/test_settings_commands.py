"""Per-server settings: `settings` / `/settings ...` through discord.py's parsing and checks,
the Manage Server permission, and `bot.settings_store` (what the announcer and the trivia
poster read)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from unittest import mock

import discord
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bot.cogs.settings import NEEDS_MANAGE_SERVER, NOT_IN_A_SERVER
from bot.models import GuildSettings
from bot.settings_store import channel_set, guild_channel, guild_channels, guild_language, language_set
from bot.tests.harness import PLAYER_ID, make_message, say
from common.errors import InvalidInput

GUILD = 123456789012345678
TRIVIA_ROOM = 223456789012345678
NEWS = 323456789012345678
DEFAULT_TRIVIA = 423456789012345678
OTHER_GUILD_CHANNEL = 523456789012345678


def text_channel(channel_id: int, name: str, *, bot_can_post: bool = True) -> Any:
    """A guild text channel as discord.py's converters and checks see it (isinstance passes)."""
    channel = mock.MagicMock(spec=discord.TextChannel)
    channel.id, channel.name, channel.mention = channel_id, name, f"<#{channel_id}>"
    allowed = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
    channel.permissions_for.return_value = allowed if bot_can_post else discord.Permissions(view_channel=True)
    return channel


@pytest.fixture
def guild() -> Any:
    rooms = {
        TRIVIA_ROOM: text_channel(TRIVIA_ROOM, "trivia-room"),
        NEWS: text_channel(NEWS, "news", bot_can_post=False),
    }
    server = mock.MagicMock()
    server.id, server.name = GUILD, "Test *server*"
    server.get_channel.side_effect = rooms.get
    server.text_channels = list(rooms.values())
    return server


def member(*, manage_server: bool) -> Any:
    author = mock.MagicMock(spec_set=["id", "name", "display_name", "mention", "bot", "guild_permissions"])
    author.configure_mock(
        id=PLAYER_ID,
        name="Owner",
        display_name="Owner",
        mention=f"<@{PLAYER_ID}>",
        bot=False,
        guild_permissions=discord.Permissions(manage_guild=manage_server, send_messages=True),
    )
    return author


async def in_server(bot: Any, guild: Any, content: str, *, manage_server: bool = True) -> Any:
    """`content` sent in a channel of `guild` by a member with or without Manage Server."""
    message = make_message(content)
    message.guild = guild
    message.author = member(manage_server=manage_server)
    ctx = await bot.get_context(message)
    await bot.invoke(ctx)
    return ctx


def row() -> GuildSettings | None:
    return GuildSettings.objects.filter(guild_id=GUILD).first()


def fields(box: Any) -> dict[str, str]:
    return {f.name: f.value for f in box.fields}


pytestmark = pytest.mark.django_db(transaction=True)


# refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["!settings", "!settings channel trivia <#223456789012345678>", "!settings language fr"]
)
async def test_members_without_manage_server_are_refused_in_words(bot, transcript, guild, command):
    await in_server(bot, guild, command, manage_server=False)
    assert transcript.last.embed.description == NEEDS_MANAGE_SERVER
    assert await GuildSettings.objects.acount() == 0


async def test_settings_in_a_direct_message_are_refused_in_words(bot, transcript):
    await say(bot, "!settings language fr")
    assert transcript.last.embed.description == NOT_IN_A_SERVER


# changes --------------------------------------------------------------------------------------


async def test_a_manager_sets_the_trivia_channel_and_it_persists(bot, transcript, guild, settings):
    settings.DISCORD_TRIVIA_CHANNEL_ID = DEFAULT_TRIVIA
    assert await guild_channel_async(GUILD, "trivia") == DEFAULT_TRIVIA

    await in_server(bot, guild, f"!settings channel trivia <#{TRIVIA_ROOM}>")

    assert transcript.last.embed.title == "Settings saved"
    assert transcript.last.embed.description == f"Trivia channel set to <#{TRIVIA_ROOM}>."
    saved = await GuildSettings.objects.aget(guild_id=GUILD)
    assert (saved.trivia_channel_id, saved.announce_channel_id, saved.language) == (TRIVIA_ROOM, None, "en")
    assert await guild_channel_async(GUILD, "trivia") == TRIVIA_ROOM
    assert await guild_channel_async(GUILD + 1, "trivia") == DEFAULT_TRIVIA, "other servers keep the default"


async def test_channels_by_name_and_a_warning_when_the_bot_cannot_post_there(bot, transcript, guild):
    await in_server(bot, guild, "!settings channel announce news")
    assert transcript.last.embed.description.startswith(f"Announcement channel set to <#{NEWS}>.\n⚠️ I can't post")
    assert (await GuildSettings.objects.aget(guild_id=GUILD)).announce_channel_id == NEWS


async def test_no_channel_means_back_to_the_default(bot, transcript, guild, settings):
    settings.DISCORD_TRIVIA_CHANNEL_ID = DEFAULT_TRIVIA
    await in_server(bot, guild, f"!settings channel trivia {TRIVIA_ROOM}")
    await in_server(bot, guild, "!settings channel trivia")
    assert (
        transcript.last.embed.description == f"Trivia channel: back to the default (<#{DEFAULT_TRIVIA}> (the default))."
    )
    assert (await GuildSettings.objects.aget(guild_id=GUILD)).trivia_channel_id is None


async def test_language_is_stored(bot, transcript, guild):
    await in_server(bot, guild, "!settings language fr")
    assert transcript.last.embed.description == "Language set to Français (`fr`)."
    assert await sync(guild_language)(GUILD) == "fr"


async def test_settings_shows_the_current_values(bot, transcript, guild, settings):
    settings.DISCORD_ANNOUNCE_CHANNEL_ID = 0
    settings.DISCORD_TRIVIA_CHANNEL_ID = DEFAULT_TRIVIA
    await in_server(bot, guild, "!settings")
    shown = fields(transcript.last.embed)
    assert transcript.last.embed.title == "⚙️ Bot settings · Test \\*server\\*"
    assert shown == {
        "Trivia channel": f"<#{DEFAULT_TRIVIA}> (the default)",
        "Announcement channel": "not set",
        "Language": "English (`en`)",
    }
    await in_server(bot, guild, f"!settings channel announce {NEWS}")
    await in_server(bot, guild, "!settings language ar")
    await in_server(bot, guild, "!settings")
    assert fields(transcript.last.embed)["Announcement channel"] == f"<#{NEWS}>"
    assert fields(transcript.last.embed)["Language"] == "العربية (`ar`)"


# bad arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (
            "!settings channel banana",
            "`banana` isn't a choice for `kind`: use `trivia`, `announce`.\n"
            'Usage: `!settings channel <"trivia"|"announce"> [channel]`',
        ),
        ("!settings channel", 'Missing `kind`.\nUsage: `!settings channel <"trivia"|"announce"> [channel]`'),
        (
            "!settings channel trivia #nowhere",
            'Channel "#nowhere" not found.\nUsage: `!settings channel <"trivia"|"announce"> [channel]`',
        ),
        (
            f"!settings channel trivia <#{OTHER_GUILD_CHANNEL}>",
            f'Channel "<#{OTHER_GUILD_CHANNEL}>" not found.\nUsage: `!settings channel <"trivia"|"announce"> [channel]`',
        ),
        (
            "!settings language de",
            '`de` isn\'t a choice for `code`: use `en`, `fr`, `ar`.\nUsage: `!settings language <"en"|"fr"|"ar">`',
        ),
        ("!settings language", 'Missing `code`.\nUsage: `!settings language <"en"|"fr"|"ar">`'),
    ],
)
async def test_bad_arguments_get_the_usage(bot, transcript, guild, command, answer):
    await in_server(bot, guild, command)
    assert transcript.last.content == answer
    assert await GuildSettings.objects.acount() == 0


# slash ------------------------------------------------------------------------------------------


def test_the_slash_group_is_for_managers_in_servers_only(bot):
    group = bot.tree.get_command("settings")
    assert group.default_permissions == discord.Permissions(manage_guild=True)
    assert group.guild_only
    assert sorted(c.name for c in group.commands) == ["channel", "language", "show"]
    channel = group.get_command("channel")
    assert [c.value for c in channel.get_parameter("kind").choices] == ["trivia", "announce"]
    assert not channel.get_parameter("channel").required


async def slash(bot: Any, guild: Any, path: str, options: dict[str, Any], *, manage_server: bool) -> Any:
    """Run `/settings <path>` through discord.py's slash path with a mocked interaction."""
    interaction = mock.MagicMock()
    interaction.is_expired.return_value = False
    interaction.response.is_done.return_value = False
    interaction.response.send_message = mock.AsyncMock()
    interaction.original_response = mock.AsyncMock()
    message = make_message("/settings")
    message.guild, message.author = guild, member(manage_server=manage_server)
    ctx = await bot.get_context(message)
    ctx.interaction = interaction  # what Context.from_interaction builds, minus the gateway data
    namespace = SimpleNamespace(**options)
    interaction.client, interaction._baton, interaction.namespace = bot, ctx, namespace
    command = bot.tree.get_command("settings").get_command(path)
    with mock.patch.object(bot, "get_context", mock.AsyncMock(return_value=ctx)):
        await command._invoke_with_namespace(interaction, namespace)
    interaction.response.send_message.assert_awaited_once()
    return interaction.response.send_message.await_args.kwargs


async def test_slash_settings_refuse_then_accept_privately(bot, guild):
    # Discord sends the option as an AppCommandChannel that resolves to the cached channel.
    room = mock.Mock(spec=discord.app_commands.AppCommandChannel)
    room.resolve.return_value = guild.get_channel(TRIVIA_ROOM)
    refused = await slash(bot, guild, "channel", {"kind": "trivia", "channel": room}, manage_server=False)
    assert refused["embed"].description == NEEDS_MANAGE_SERVER and refused["ephemeral"] is True
    assert await GuildSettings.objects.acount() == 0

    saved = await slash(bot, guild, "channel", {"kind": "trivia", "channel": room}, manage_server=True)
    assert saved["embed"].description == f"Trivia channel set to <#{TRIVIA_ROOM}>." and saved["ephemeral"] is True
    assert (await GuildSettings.objects.aget(guild_id=GUILD)).trivia_channel_id == TRIVIA_ROOM

    shown = await slash(bot, guild, "show", {}, manage_server=True)
    assert fields(shown["embed"])["Trivia channel"] == f"<#{TRIVIA_ROOM}>"


# the store --------------------------------------------------------------------------------------


def sync(function: Any) -> Any:
    from asgiref.sync import sync_to_async

    return sync_to_async(function)


async def guild_channel_async(guild_id: int, kind: str) -> int | None:
    return await sync(guild_channel)(guild_id, kind)


def test_store_defaults_overrides_and_one_query_for_many_servers(settings):
    settings.DISCORD_TRIVIA_CHANNEL_ID, settings.DISCORD_ANNOUNCE_CHANNEL_ID = DEFAULT_TRIVIA, 0
    assert guild_channel(GUILD, "trivia") == DEFAULT_TRIVIA
    assert guild_channel(GUILD, "announce") is None, "no default: post nothing"
    assert guild_channel(None, "trivia") == DEFAULT_TRIVIA
    channel_set(guild_id=GUILD, kind="announce", channel_id=NEWS)
    channel_set(guild_id=GUILD + 1, kind="trivia", channel_id=TRIVIA_ROOM)
    assert guild_channel(GUILD, "announce") == NEWS
    assert guild_channel(GUILD, "trivia") == DEFAULT_TRIVIA, "a server's other kind keeps its default"
    with CaptureQueriesContext(connection) as queries:
        assert guild_channels([GUILD, GUILD + 1, GUILD + 2], "trivia") == {
            GUILD: DEFAULT_TRIVIA,
            GUILD + 1: TRIVIA_ROOM,
            GUILD + 2: DEFAULT_TRIVIA,
        }
    assert len(queries.captured_queries) == 1
    assert GuildSettings.objects.count() == 2, "one row per server, updated in place"


def test_store_refuses_unknown_kinds_and_languages():
    with pytest.raises(InvalidInput):
        guild_channel(GUILD, "memes")
    with pytest.raises(InvalidInput):
        language_set(guild_id=GUILD, language="de")
    assert row() is None
