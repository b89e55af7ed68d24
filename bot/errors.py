"""What a user sees when a command fails: a short sentence, never a traceback.

* bad or missing arguments: the reason and the command's usage line;
* not linked: how to link (bot.linking.not_linked_embed);
* a service refusing (common.errors.ServiceError, e.g. `session_full` later): its human sentence;
* cooldowns, concurrency limits, failed checks: one line each;
* the database down: "try again shortly";
* anything else: "something went wrong", and the exception is logged with its traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from django.db import InterfaceError, OperationalError

from bot.embeds import ERROR, embed
from bot.linking import NotLinked, not_linked_embed
from common.errors import ServiceError

logger = logging.getLogger("gameconnect.bot")

UNEXPECTED = "Something went wrong on our side; it has been logged. Try again in a moment."
DATABASE_DOWN = "GameConnect's database is unavailable right now; try again shortly."


def usage(ctx: commands.Context[Any]) -> str:
    """`!name <required> [optional]` for the command being run (`/name ...` for slash commands)."""
    command = ctx.command
    if command is None:
        return ""
    prefix = "/" if ctx.interaction is not None else (ctx.clean_prefix or "!")
    signature = f" {command.signature}" if command.signature else ""
    return f"Usage: `{prefix}{command.qualified_name}{signature}`"


def _unwrap(error: BaseException) -> BaseException:
    """The error that actually happened, out of discord.py's hybrid/invoke wrappers."""
    while True:
        if isinstance(
            error, commands.HybridCommandError | commands.CommandInvokeError | app_commands.CommandInvokeError
        ):
            error = error.original
        else:
            return error


async def command_error_reply(ctx: commands.Context[Any], error: BaseException) -> None:
    """Answer a failed command and log it. Safe to call from any error hook."""
    error = _unwrap(error)
    name = ctx.command.qualified_name if ctx.command else ctx.invoked_with
    content: str | None = None
    box: discord.Embed | None = None
    if isinstance(error, commands.CommandNotFound):
        return  # another bot's command, or a typo: stay quiet
    if isinstance(error, NotLinked):
        box = not_linked_embed(ctx.clean_prefix if ctx.interaction is None else "/")
    elif isinstance(error, commands.UserInputError | app_commands.TransformerError):
        reason = _input_reason(ctx, error)
        content = f"{reason}\n{usage(ctx)}".strip()
        logger.info("bad arguments for %s from %s: %s", name, ctx.author.id, error)
    elif isinstance(error, commands.CommandOnCooldown):
        content = f"Slow down: try `{name}` again in {error.retry_after:.0f} s."
    elif isinstance(error, commands.MaxConcurrencyReached):
        content = f"`{name}` is already running here; wait for it to finish."
    elif isinstance(error, commands.CheckFailure):
        content = "You can't use that command here."
        logger.info("check failed for %s from %s: %s", name, ctx.author.id, error)
    elif isinstance(error, ServiceError):
        box = embed("Can't do that", error.detail, colour=ERROR)
        logger.info("%s refused for %s: %s (%s)", name, ctx.author.id, error.code, error.detail)
    elif isinstance(error, OperationalError | InterfaceError):
        logger.warning("database unavailable during %s: %s", name, error)
        content = DATABASE_DOWN
    else:
        logger.error("command %s failed for %s", name, ctx.author.id, exc_info=error)
        content = UNEXPECTED
    try:
        await ctx.send(content=content, embed=box, ephemeral=True)  # type: ignore[arg-type]  # send() takes embed=None (its default); the overloads leave None out
    except discord.HTTPException:
        logger.warning("could not send the error reply for %s", name, exc_info=True)


# discord.py's words when an argument isn't a number; we say it in the user's terms.
_NOT_A_NUMBER = ('Converting to "int"', 'Converting to "float"')


def _input_reason(ctx: commands.Context[Any], error: BaseException) -> str:
    if isinstance(error, commands.BadArgument) and str(error).startswith(_NOT_A_NUMBER):
        argument = (ctx.current_argument or "").replace("`", "'")[:50]
        parameter = ctx.current_parameter.name if ctx.current_parameter else "the argument"
        if argument:
            return f"`{argument}` isn't a number (for `{parameter}`)."
    if isinstance(error, commands.BadLiteralArgument):
        choices = ", ".join(f"`{choice}`" for choice in error.literals)
        shown = error.argument.replace("`", "'")[:50]
        return f"`{shown}` isn't a choice for `{error.param.name}`: use {choices}."
    if isinstance(error, commands.MissingRequiredArgument):
        return f"Missing `{error.param.name}`."
    if isinstance(error, commands.TooManyArguments):
        return "Too many arguments."
    if isinstance(error, commands.RangeError):
        low = "" if error.minimum is None else error.minimum
        high = "" if error.maximum is None else error.maximum
        return f"`{error.value}` is out of range: it must be between {low} and {high}."
    text = str(error).strip()
    return text[:500] if text else "Those arguments aren't valid."
