"""Gaming session commands (SPEC §8, §3): `sessions [game]`, `join <id>`, `leave <id>`.

Same selectors and services as `GET /sessions/` and `POST /sessions/{id}/join|leave`: the
capacity rule (never more attendees than `max_attendees`, under the session's row lock) and
the refusals (`session_full`, `already_joined`, `not_joined`, unknown id...) are theirs; the
cog's error handler shows a refusal's sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord
from channels.db import database_sync_to_async
from discord import app_commands
from discord.ext import commands

from bot.cogs import GameConnectCog
from bot.context import GameConnectContext
from bot.embeds import embed, plain, when
from bot.linking import NotLinked, linked_account
from gamers.selectors import gamer_by_discord_id
from sessions_app.models import GameSession
from sessions_app.selectors import session_list
from sessions_app.services import AttendanceResult, session_join, session_leave

LIST_SIZE = 10

_GAME_HELP = "Only sessions of this game, e.g. Valorant (any case)"
_ID_HELP = "The session's id, as `sessions` shows it"
_GAME = commands.parameter(default=None, description=_GAME_HELP)
_ID = commands.parameter(description=_ID_HELP)


@dataclass(frozen=True)
class Upcoming:
    sessions: list[GameSession]
    more: bool  # there are more joinable sessions than the list shows


def upcoming_sessions(*, discord_id: int, game: str | None) -> Upcoming:
    """The next joinable sessions, soonest first (`GET /sessions/?joinable=true&ordering=starts_at`).

    When the author has linked an account, `joined_by_me` marks the sessions they are in.
    """
    viewer = gamer_by_discord_id(discord_id)
    rows = list(session_list(user=viewer, game=game, joinable=True, ordering="starts_at")[: LIST_SIZE + 1])
    return Upcoming(sessions=rows[:LIST_SIZE], more=len(rows) > LIST_SIZE)


def session_line(session: GameSession, *, prefix: str) -> str:
    attending = f"👥 {session.attendee_count}/{session.max_attendees}"
    mine = " · ✅ you're in" if getattr(session, "joined_by_me", False) else f" · `{prefix}join {session.pk}`"
    return (
        f"**{plain(session.game, 80)}** on {session.get_platform_display()} · {attending}{mine}\n"
        f"🕒 {when(session.starts_at)}"
    )


def attendance_embed(title: str, result: AttendanceResult) -> discord.Embed:
    session = result.session
    box = embed(title, plain(result.detail, 300))
    box.add_field(name="Session", value=f"`{session.pk}` · {plain(session.title)}", inline=False)
    box.add_field(name="Game", value=f"{plain(session.game, 80)} on {session.get_platform_display()}", inline=True)
    box.add_field(name="Attending", value=f"{result.attendee_count}/{session.max_attendees}", inline=True)
    box.add_field(name="Starts", value=when(session.starts_at), inline=False)
    return box


class SessionsCog(GameConnectCog, name="Sessions"):
    """Find gaming sessions and join them."""

    @commands.hybrid_command(name="sessions")  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @app_commands.describe(game=_GAME_HELP)
    async def sessions(self, ctx: GameConnectContext, *, game: str | None = _GAME) -> None:
        """The next sessions you can join, optionally of one game."""
        game = (game or "").strip() or None
        found = await database_sync_to_async(upcoming_sessions)(discord_id=ctx.author.id, game=game)
        prefix = ctx.shown_prefix
        heading = f"Next sessions · {plain(game, 80)}" if game else "Next sessions"
        if not found.sessions:
            where = f" for **{plain(game, 80)}**" if game else ""
            hint = f"Try `{prefix}sessions` for every game." if game else "Create one on GameConnect!"
            await ctx.send(embed=embed(heading, f"No joinable sessions{where} right now. {hint}"))
            return
        box = embed(heading, f"Join one with `{prefix}join <id>`.")
        for session in found.sessions:
            box.add_field(
                name=f"{session.pk} · {plain(session.title, 200)}",
                value=session_line(session, prefix=prefix),
                inline=False,
            )
        if found.more:
            box.set_footer(text=f"GameConnect · the next {LIST_SIZE}; more on the website")
        await ctx.send(embed=box)

    @commands.hybrid_command(name="join", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @linked_account()
    @app_commands.describe(session_id=_ID_HELP)
    async def join(self, ctx: GameConnectContext, session_id: int = _ID) -> None:
        """Join a gaming session (needs a linked account)."""
        if ctx.gamer is None:  # set by linked_account(); narrows the type
            raise NotLinked()
        result = await database_sync_to_async(session_join)(session_id=session_id, user=ctx.gamer)
        await ctx.send(embed=attendance_embed("Joined! 🎮", result))

    @commands.hybrid_command(name="leave", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @linked_account()
    @app_commands.describe(session_id=_ID_HELP)
    async def leave(self, ctx: GameConnectContext, session_id: int = _ID) -> None:
        """Leave a gaming session you joined (needs a linked account)."""
        if ctx.gamer is None:
            raise NotLinked()
        result = await database_sync_to_async(session_leave)(session_id=session_id, user=ctx.gamer)
        await ctx.send(embed=attendance_embed("Left the session", result))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(SessionsCog(bot))
