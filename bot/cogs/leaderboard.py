"""Leaderboard commands (SPEC §8, §6): `leaderboard [game] [period]`, the top 10 of a board.

Same reads as `GET /leaderboard/{game or all}?period=`: the game catalogue
(`leaderboard.games.game_catalog`, cached per process) and `leaderboard.selectors.board_window`
(Redis sorted sets; names and dates filled from the database when Redis lacks them).

On the embedded defaults (no REDIS_URL) each process has its own in-memory Redis emulation, so
the bot, a separate process, can't see the web's boards: it then ranks from the durable score
history instead (`leaderboard.selectors.report_top` over the period), which gives the same
players and scores; only ties may be ordered differently and the board's size is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import discord
from channels.db import database_sync_to_async
from discord import app_commands
from discord.ext import commands
from django.utils import timezone

from bot.cogs import GameConnectCog
from bot.context import GameConnectContext
from bot.embeds import embed, plain
from common.redis import is_embedded
from leaderboard.games import Catalog, agame_catalog, board_name, game_catalog
from leaderboard.rules import ALL_BOARD, EPOCH, period_window
from leaderboard.selectors import board_window, report_top

TOP = 10
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
PERIOD_NAMES = {"all": "all time", "month": "this month", "week": "this week", "day": "today"}
Period = Literal["all", "month", "week", "day"]

_GAME_HELP = "A game (slug or name, e.g. fortnite) or `all` for everyone's best across games"
_PERIOD_HELP = "all time, this month, this week or today (UTC)"
_GAME = commands.parameter(default=ALL_BOARD, description=_GAME_HELP)
_PERIOD = commands.parameter(default="all", description=_PERIOD_HELP)


class UnknownGame(commands.BadArgument):
    """The argument names no game; the message lists the boards there are."""


@dataclass(frozen=True)
class Top:
    title: str  # the game's label, or "All games"
    period: str
    rows: list[dict[str, Any]]  # {rank, player, score}
    total_count: int | None  # players on the board; None when ranked from the history


def resolve_board(catalog: Catalog, text: str) -> tuple[str, str]:
    """(board, title) for a slug or a game's name, any case; UnknownGame otherwise."""
    wanted = " ".join(text.split()).casefold()
    if wanted == ALL_BOARD:
        return ALL_BOARD, "All games"
    for game in catalog.games:
        if wanted in (game.slug.casefold(), game.label.casefold()):
            return board_name(catalog, game.slug), game.label
    slugs = ", ".join(f"`{slug}`" for slug in sorted(catalog.by_slug))
    shown = text.replace("`", "'")[:40]
    raise UnknownGame(f"There is no game `{shown}`. Use `all` or one of: {slugs}.")


def leaderboard_top(*, game: str, period: str) -> Top:
    board, title = resolve_board(game_catalog(), game)
    if is_embedded():
        return _top_from_history(board, title, period)
    window = board_window(game=board, period=period, start=0, end=TOP - 1)
    return Top(title=title, period=period, rows=window.rows, total_count=window.total_count)


def _top_from_history(board: str, title: str, period: str) -> Top:
    """The board computed from the stored scores: each player's best per game in the period,
    summed over games for `all` (see the module docstring for when this is used)."""
    now = timezone.now()
    window = period_window(period, now)
    start = window.start or EPOCH
    end = (window.end - timedelta(microseconds=1)) if window.end else now  # report ranges are inclusive
    report = report_top(start=start, end=end, limit=TOP, game=None if board == ALL_BOARD else board)
    rows = [{"rank": i, "player": r["name"], "score": r["score"]} for i, r in enumerate(report.results, start=1)]
    return Top(title=title, period=period, rows=rows, total_count=None)


def top_embed(top: Top) -> discord.Embed:
    heading = f"🏆 {top.title} · {PERIOD_NAMES.get(top.period, top.period)}"
    if not top.rows:
        return embed(heading, "No scores yet: be the first!")
    lines = []
    for row in top.rows:
        rank = row["rank"]
        badge = MEDALS.get(rank, f"`{rank:>2}.`")
        lines.append(f"{badge} **{plain(row['player'] or 'deleted player', 60)}** · {row['score']:,}")
    box = embed(heading, "\n".join(lines))
    if top.total_count is not None:
        players = "player" if top.total_count == 1 else "players"
        box.set_footer(text=f"GameConnect · {top.total_count:,} {players} on this board")
    return box


class LeaderboardCog(GameConnectCog, name="Leaderboards"):
    """The best players of each game, live."""

    # `usage`: discord.py would spell the Literal out as ["all"|"month"|"week"|"day"=all].
    @commands.hybrid_command(name="leaderboard", ignore_extra=False, usage="[game=all] [period=all|month|week|day]")  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @app_commands.describe(game=_GAME_HELP, period=_PERIOD_HELP)
    async def leaderboard(self, ctx: GameConnectContext, game: str = _GAME, period: Period = _PERIOD) -> None:
        """The top 10 of a game (or of all games), all time or this month/week/day."""
        top = await database_sync_to_async(leaderboard_top)(game=game, period=period)
        await ctx.send(embed=top_embed(top))

    @leaderboard.autocomplete("game")
    async def game_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Slash-command suggestions: `all` and the games whose slug or name contains what was typed."""
        catalog = await agame_catalog()
        typed = current.casefold().strip()
        choices = [app_commands.Choice(name="All games", value=ALL_BOARD)]
        choices += [app_commands.Choice(name=g.label, value=g.slug) for g in catalog.games]
        return [c for c in choices if typed in c.name.casefold() or typed in c.value][:25]


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(LeaderboardCog(bot))
