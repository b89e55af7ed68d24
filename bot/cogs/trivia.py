"""Trivia (SPEC §8, §5): the `trivia` command, and win announcements in a channel.

`trivia` shows what `GET /trivia/rounds/current` shows (`trivia.selectors.round_state`):
category, clue, masked answer, current value and time left; during the pause between rounds,
the answer, the winner and when the next round starts. The players-online count comes from
Redis, so it is left out on the embedded defaults (the bot's in-process Redis isn't the web's).

Announcements (optional, `DISCORD_TRIVIA_CHANNEL_ID`): the game's state lives in the database,
so the bot learns of wins by reading it, and the web processes never call Discord. Every
`BOT_TRIVIA_POLL_SECONDS` one indexed query (`trivia.selectors.rounds_ended_after`) fetches the
rounds that ended after a cursor (a round number); won ones are posted, and the cursor moves
past every ended round. The cursor starts at the newest round already over, so a restarted
bot neither replays old wins nor misses the round being played. Wins that ended more than
ANNOUNCE_MAX_AGE ago (the database was unreachable for a while) are skipped, not posted late.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import discord
from channels.db import database_sync_to_async
from discord.ext import commands, tasks
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bot.cogs import GameConnectCog
from bot.context import GameConnectContext
from bot.embeds import embed, plain, when
from common.redis import is_embedded
from trivia.models import Round
from trivia.rules import HIDDEN
from trivia.selectors import SPLIT, TRANSITION, RoundState, last_ended_round_number, round_state, rounds_ended_after

logger = logging.getLogger("gameconnect.bot")

ANNOUNCE_BATCH = 20
ANNOUNCE_MAX_AGE = timedelta(minutes=5)


def spaced(masked: str) -> str:
    """`Buenos Aires` masked as `_ _ _ _ _ _   _ _ _ _ _` in inline code: countable letters."""
    return "`" + " ".join(masked).replace("`", "'") + "`"


def _moment(iso: str | None) -> datetime | None:
    return parse_datetime(iso) if iso else None


def round_embed(state: RoundState, *, show_players: bool = True) -> discord.Embed:
    if state.game_state == SPLIT:
        box = embed(f"🧠 Trivia · {plain(state.category or '', 100)}", plain(state.clue or "", 1000))
        masked = state.answer or ""
        box.add_field(name="Answer", value=spaced(masked), inline=False)
        box.add_field(name="Worth", value=f"{state.current_value} coins", inline=True)
        split_ends = _moment(state.split_ends_at)
        if split_ends is not None:
            # Each split reveals one letter; when one is left, the next split ends the round.
            hidden = masked.count(HIDDEN)
            split = timedelta(seconds=state.total_split_seconds or 0)
            round_ends = split_ends + split * max(0, hidden - 1)
            label = "Round ends" if hidden <= 1 else "Next letter"
            box.add_field(name=label, value=discord.utils.format_dt(split_ends, "R"), inline=True)
            if hidden > 1:
                box.add_field(name="Time left", value=discord.utils.format_dt(round_ends, "R"), inline=True)
        if show_players:
            box.add_field(name="Players online", value=str(state.players), inline=True)
        box.set_footer(text="GameConnect · answer on the Play page")
        return box
    if state.game_state == TRANSITION:
        winner = next((a for a in state.attempts if a["correct"]), None)
        if winner is not None:
            result = f"🏆 **{plain(winner['username'], 60)}** found it and won {state.current_value} coins."
        else:
            result = "Nobody found it this time."
        box = embed(f"🧠 Trivia · {plain(state.category or '', 100)}", plain(state.clue or "", 1000))
        box.add_field(name="Answer", value=f"**{plain(state.answer or '', 200)}**", inline=False)
        box.add_field(name="Result", value=result, inline=False)
        next_round = _moment(state.split_ends_at)
        if next_round is not None:
            box.add_field(name="Next round", value=discord.utils.format_dt(next_round, "R"), inline=True)
        return box
    return embed("🧠 Trivia", "No round is being played right now; the game starts with the server's clock.")


def win_embed(round_: Round) -> discord.Embed:
    winner = plain(round_.winner.username, 60) if round_.winner else "A player who has since left"
    box = embed(f"🏆 {winner} won {round_.prize} coins at trivia!", f"**{plain(round_.answer, 200)}**")
    box.add_field(name="Clue", value=plain(round_.clue, 1000), inline=False)
    box.add_field(name="Category", value=plain(round_.category, 100), inline=True)
    if round_.ended_at is not None:
        box.add_field(name="Won", value=when(round_.ended_at), inline=True)
    return box


class TriviaCog(GameConnectCog, name="Trivia"):
    """The live trivia game."""

    def __init__(self, bot: commands.Bot) -> None:
        super().__init__(bot)
        self.channel_id = int(settings.DISCORD_TRIVIA_CHANNEL_ID)
        self.cursor: int | None = None  # the last round number looked at
        self.cursor_ready = asyncio.Event()
        self._channel: discord.abc.Messageable | None = None

    async def cog_load(self) -> None:
        if self.channel_id:
            self.announcer.change_interval(seconds=float(settings.BOT_TRIVIA_POLL_SECONDS))
            self.announcer.start()
            logger.info("announcing trivia wins in channel %s", self.channel_id)

    async def cog_unload(self) -> None:
        self.announcer.cancel()

    @commands.hybrid_command(name="trivia", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    async def trivia(self, ctx: GameConnectContext) -> None:
        """The current trivia round: category, clue, masked answer, value, time left."""
        # Presence is in Redis; on the embedded defaults the bot's Redis is its own, not the web's.
        shared = not is_embedded()
        state = await database_sync_to_async(round_state)(players=None if shared else 0)
        await ctx.send(embed=round_embed(state, show_players=shared))

    # --- announcements ----------------------------------------------------------------------

    async def start_cursor(self) -> None:
        self.cursor = await database_sync_to_async(last_ended_round_number)()
        self.cursor_ready.set()

    async def announce_wins(self, *, now: datetime | None = None) -> int:
        """Post the wins of rounds that ended since the last call; returns how many were posted."""
        if self.cursor is None:
            await self.start_cursor()
        assert self.cursor is not None
        ended = await database_sync_to_async(rounds_ended_after)(number=self.cursor, limit=ANNOUNCE_BATCH)
        now = now or timezone.now()
        posted = 0
        for round_ in ended:
            self.cursor = round_.number  # past it, whatever happens: never posted twice
            if round_.end_reason != Round.EndReason.WON:
                continue
            if round_.ended_at is not None and now - round_.ended_at > ANNOUNCE_MAX_AGE:
                logger.info("skipping the stale trivia win of round %s", round_.number)
                continue
            try:
                channel = await self._announce_channel()
                await channel.send(embed=win_embed(round_))
                posted += 1
            except discord.HTTPException:
                logger.warning(
                    "could not announce round %s in channel %s", round_.number, self.channel_id, exc_info=True
                )
        return posted

    async def _announce_channel(self) -> discord.abc.Messageable:
        if self._channel is None:
            channel = self.bot.get_channel(self.channel_id) or await self.bot.fetch_channel(self.channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                raise discord.InvalidData(f"channel {self.channel_id} can't receive messages")
            self._channel = channel
        return self._channel

    @tasks.loop(seconds=3.0)
    async def announcer(self) -> None:
        try:
            await self.announce_wins()
        except Exception:
            # A loop that raises stops for good; log, and try again at the next poll.
            logger.exception("trivia announcements failed; retrying")

    @announcer.before_loop
    async def _before_announcing(self) -> None:
        # Cursor first: wins that happen while the bot connects are still announced.
        try:
            await self.start_cursor()
        except Exception:
            logger.exception("trivia announcements: could not read the last round; retrying in the loop")
        await self.bot.wait_until_ready()


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(TriviaCog(bot))
