"""`help` and `/help` (SPEC §8): every command with one line each, or one command in full.

The list is built from what is registered when it is asked for: the prefix/hybrid commands of
every cog (`bot.walk_commands()`, their `help`/`brief` first line) and the slash-only commands
of the command tree. A new command, in any cog, appears without touching this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs import GameConnectCog
from bot.context import GameConnectContext
from bot.embeds import embed

FIELD_LIMIT = 1024  # Discord's limit for one embed field's value
NO_DESCRIPTION = "(no description)"


def _slash_name(command: commands.Command[Any, ..., Any]) -> str | None:
    """The slash twin's name (`settings show` for a hybrid group's fallback), or None."""
    if isinstance(command, commands.HybridGroup):
        return f"{command.qualified_name} {command.fallback}" if command.fallback else None
    if isinstance(command, commands.HybridCommand):
        return command.qualified_name
    return None


def command_line(command: commands.Command[Any, ..., Any], prefix: str) -> str:
    """One line: how to write it (`!name <args>`, or `/name <args>` in a slash context) and
    what it does."""
    signature = f" {command.signature}" if command.signature else ""
    slash = _slash_name(command)
    if prefix == "/" and slash is None:
        written = f"`!{command.qualified_name}{signature}` (not a slash command)"
    elif prefix == "/":
        written = f"`/{slash}{signature}`"
    else:
        written = f"`{prefix}{command.qualified_name}{signature}`"
        if slash is not None and slash != command.qualified_name:
            written += f" (`/{slash}`)"
    return f"{written} · {command.short_doc or NO_DESCRIPTION}"


def slash_only(bot: commands.Bot) -> Iterator[app_commands.Command[Any, ..., Any]]:
    """The tree's slash commands that have no prefix twin (hybrid commands are listed once)."""
    for command in bot.tree.walk_commands():
        if isinstance(command, app_commands.Command) and not isinstance(command, commands.hybrid.HybridAppCommand):
            yield command


def help_sections(bot: commands.Bot, prefix: str) -> list[tuple[str, list[str]]]:
    """(section, lines) per cog in load order, then commands outside cogs, then slash-only ones."""
    sections: dict[str, list[str]] = {}
    for command in bot.walk_commands():
        if command.hidden:
            continue
        section = command.cog.qualified_name if command.cog is not None else "Other"
        sections.setdefault(section, []).append(command_line(command, prefix))
    for slash in slash_only(bot):
        sections.setdefault("Slash only", []).append(
            f"`/{slash.qualified_name}` · {slash.description or NO_DESCRIPTION}"
        )
    order = [cog for cog in bot.cogs if cog in sections] + [s for s in ("Other", "Slash only") if s in sections]
    return [(section, sections[section]) for section in order]


def _chunks(lines: list[str]) -> Iterator[str]:
    """Lines joined into field values of at most FIELD_LIMIT characters."""
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = line[: FIELD_LIMIT - 1]
        if chunk and size + len(line) + 1 > FIELD_LIMIT:
            yield "\n".join(chunk)
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        yield "\n".join(chunk)


def help_embed(bot: commands.Bot, prefix: str) -> discord.Embed:
    box = embed(
        "GameConnect commands",
        f"Every command works as `!name` and as the slash command `/name` (unless marked). "
        f"`{prefix}help <command>` shows one command in full.",
    )
    for section, lines in help_sections(bot, prefix):
        for i, value in enumerate(_chunks(lines)):
            box.add_field(name=section if i == 0 else f"{section} (more)", value=value, inline=False)
    return box


def command_embed(command: commands.Command[Any, ..., Any], prefix: str) -> discord.Embed:
    slash = _slash_name(command)
    shown = f"/{slash}" if prefix == "/" and slash else f"{prefix if prefix != '/' else '!'}{command.qualified_name}"
    signature = f" {command.signature}" if command.signature else ""
    box = embed(f"{shown}{signature}", command.help or command.short_doc or NO_DESCRIPTION)
    if isinstance(command, commands.Group):
        lines = [command_line(sub, prefix) for sub in command.walk_commands() if not sub.hidden]
        if lines:
            box.add_field(name="Subcommands", value="\n".join(lines)[:FIELD_LIMIT], inline=False)
    if command.aliases:
        box.add_field(name="Also", value=", ".join(f"`{a}`" for a in command.aliases), inline=False)
    if slash is None:
        box.add_field(name="Slash", value="Not available as a slash command.", inline=False)
    return box


class HelpCog(GameConnectCog, name="Help"):
    """The command list."""

    @commands.hybrid_command(name="help")  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    async def help(self, ctx: GameConnectContext, *, command: str | None = None) -> None:
        """Every command with one line each, or one command in full (`help join`)."""
        prefix = ctx.shown_prefix
        if command is None:
            await ctx.send(embed=help_embed(self.bot, prefix), ephemeral=True)
            return
        name = " ".join(command.strip().lstrip("!/").split()).lower()
        found = self.bot.get_command(name)
        if found is None or found.hidden:
            shown = discord.utils.escape_markdown(name[:50])
            await ctx.send(f"There is no command `{shown}`. `{prefix}help` lists them all.", ephemeral=True)
            return
        await ctx.send(embed=command_embed(found, prefix), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(HelpCog(bot))
