"""`help` / `/help`: built from the registered commands, so every command appears, new ones too."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from unittest import mock

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.help import NO_DESCRIPTION
from bot.tests.harness import make_message, say


def help_text(box: discord.Embed) -> str:
    return "\n".join([box.title or "", box.description or ""] + [f"{f.name}\n{f.value}" for f in box.fields])


def within_discord_limits(box: discord.Embed) -> bool:
    return len(box) <= 6000 and len(box.fields) <= 25 and all(len(f.value or "") <= 1024 for f in box.fields)


async def test_help_lists_every_registered_command_with_its_line(bot, transcript):
    await say(bot, "!help")
    box = transcript.last.embed
    text = help_text(box)
    registered = list(bot.walk_commands())
    assert len(registered) >= 18
    for command in registered:
        signature = f" {command.signature}" if command.signature else ""
        assert f"`!{command.qualified_name}{signature}`" in text, command.qualified_name
        assert command.short_doc and command.short_doc != NO_DESCRIPTION, f"{command.qualified_name} needs a docstring"
        assert command.short_doc in text
    for name in ("answer", "settings", "settings channel", "settings language", "link", "join", "trivia", "help"):
        assert f"`!{name}" in text, name
    assert "(`/settings show`)" in text, "the slash name of a group's own action is shown"
    assert within_discord_limits(box)


async def test_every_slash_command_appears_in_slash_help(bot):
    kwargs = await slash_help(bot, None)
    assert kwargs["ephemeral"] is True
    text = help_text(kwargs["embed"])
    for command in bot.tree.walk_commands():
        if isinstance(command, app_commands.Command):
            assert f"`/{command.qualified_name}" in text, command.qualified_name


async def test_commands_added_later_appear_without_touching_help(bot, transcript):
    class Extra(commands.Cog, name="Extra"):
        @commands.hybrid_command(name="wave")
        async def wave(self, ctx: commands.Context[Any]) -> None:
            """Wave at the channel."""

    await bot.add_cog(Extra())

    @app_commands.command(name="poll", description="Start a quick poll.")
    async def poll(interaction: discord.Interaction) -> None: ...

    bot.tree.add_command(poll)
    await say(bot, "!help")
    fields = {f.name: f.value for f in transcript.last.embed.fields}
    assert fields["Extra"] == "`!wave` · Wave at the channel."
    assert fields["Slash only"] == "`/poll` · Start a quick poll."


async def test_help_for_one_command_shows_its_usage(bot, transcript):
    await say(bot, "!help join")
    assert transcript.last.embed.title == "!join <session_id>"
    assert "Join" in transcript.last.embed.description

    await say(bot, "!help /settings")
    box = transcript.last.embed
    assert box.title == "!settings"
    subcommands = {f.name: f.value for f in box.fields}["Subcommands"]
    assert '`!settings channel <"trivia"|"announce"> [channel]`' in subcommands
    assert "`!settings language" in subcommands

    await say(bot, "!help nope")
    assert transcript.last.content == "There is no command `nope`. `!help` lists them all."


async def test_help_takes_no_more_than_a_command_name(bot, transcript):
    await say(bot, "!help settings channel")
    assert transcript.last.embed.title == '!settings channel <"trivia"|"announce"> [channel]'


async def slash_help(bot: Any, command: str | None) -> dict[str, Any]:
    """`/help` through discord.py's slash path with a mocked interaction."""
    interaction = mock.MagicMock()
    interaction.is_expired.return_value = False
    interaction.response.is_done.return_value = False
    interaction.response.send_message = mock.AsyncMock()
    interaction.original_response = mock.AsyncMock()
    ctx = await bot.get_context(make_message("/help"))
    ctx.interaction = interaction
    namespace = SimpleNamespace(**({"command": command} if command else {}))
    interaction.client, interaction._baton, interaction.namespace = bot, ctx, namespace
    with mock.patch.object(bot, "get_context", mock.AsyncMock(return_value=ctx)):
        await bot.tree.get_command("help")._invoke_with_namespace(interaction, namespace)
    interaction.response.send_message.assert_awaited_once()
    return interaction.response.send_message.await_args.kwargs


async def test_slash_help_for_one_command_shows_the_slash_form(bot):
    kwargs = await slash_help(bot, "settings")
    assert kwargs["embed"].title == "/settings show"


def test_the_invite_url_asks_for_the_documented_scopes_and_permissions():
    from bot.client import invite_url

    assert invite_url(123) == (
        "https://discord.com/oauth2/authorize?client_id=123&scope=bot+applications.commands&permissions=2147568640"
    )
