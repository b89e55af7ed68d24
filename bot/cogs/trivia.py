"""Trivia (SPEC §8, §5): `trivia` shows the round, `answer` plays in it, and the round is
posted in each server's trivia channel as one embed edited in place.

`trivia` shows what `GET /trivia/rounds/current` shows (`trivia.selectors.round_state`):
category, clue, masked answer, current value and time left; during the pause between rounds,
the answer, the winner and when the next round starts. The players-online count comes from
Redis, so it is left out on the embedded defaults (the bot's in-process Redis isn't the web's).

`answer <text>` is an attempt in the live round through `trivia.services.attempt_submit`, the
attempt service the web socket's group commit calls (`attempts_submit`): the same free
attempts, costs, ledger rows and single winner, decided under the same round lock whatever
process the other attempts come from. Its frames (PEER_ATTEMPT) reach the web sockets through
the hub's Redis channel like any other attempt's.

The round in a channel: the game's state lives in the database, so the bot reads it. Every
`BOT_TRIVIA_POLL_SECONDS` one indexed query (`live_round`: the newest round playing or in its
pause) gives the round's number and `version` (bumped by every split, reveal and win). When
they changed, the bot reads the channels (one query, `bot.settings_store.guild_channels`: each
server's own trivia channel, else `DISCORD_TRIVIA_CHANNEL_ID`) and, per channel, sends one new
message for a new round or edits the round's message (splits, the reveal, the win with the
winner's name and coins). A round already over when the bot first sees it is not posted (a
restarted bot doesn't replay an old result), nor one that ended more than STALE_AFTER ago.
"""

from __future__ import annotations

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
from bot.embeds import embed, plain
from bot.errors import usage
from bot.linking import linked_account
from bot.settings_store import default_channel, guild_channels
from common.errors import ServiceError
from common.redis import is_embedded
from gamers.services import InsufficientFunds
from trivia.models import Round
from trivia.rules import HIDDEN
from trivia.selectors import SPLIT, TRANSITION, RoundState, current_round, round_state
from trivia.services import AttemptResult, NoRound, attempt_submit
from trivia.services.game import iso

logger = logging.getLogger("gameconnect.bot")

# A round first seen already over, or over for longer than this, is not posted.
STALE_AFTER = timedelta(minutes=5)


def spaced(masked: str) -> str:
    """`Buenos Aires` masked as `_ _ _ _ _ _   _ _ _ _ _` in inline code: countable letters."""
    return "`" + " ".join(masked).replace("`", "'") + "`"


def _moment(iso: str | None) -> datetime | None:
    return parse_datetime(iso) if iso else None


def round_embed(state: RoundState, *, show_players: bool = True, footer: str | None = None) -> discord.Embed:
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
        box.set_footer(text=footer or "GameConnect · answer on the Play page or with /answer")
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
        if footer:
            box.set_footer(text=footer)
        return box
    return embed("🧠 Trivia", "No round is being played right now; the game starts with the server's clock.")


LEFT = "a player who has since left"


def live_round() -> Round | None:
    """The newest round being played or in its pause, with its winner: one query, a backward
    scan of the unique `number` index that stops at the newest row (only it is playing or
    paused). `version` changes on every split, reveal and win."""
    return (
        Round.objects.filter(state__in=[Round.State.PLAYING, Round.State.ENDED])
        .select_related("winner")
        .order_by("-number")
        .first()
    )


def rounds_by_number(numbers: set[int]) -> dict[int, Round]:
    """Rounds by number, with their winners (one query on the unique `number` index)."""
    return {r.number: r for r in Round.objects.filter(number__in=numbers).select_related("winner")}


def live_state(round_: Round) -> RoundState:
    """The RoundState `round_embed` draws, from the round row alone (no attempts query)."""
    playing = round_.state == Round.State.PLAYING
    state = RoundState(
        game_state=SPLIT if playing else TRANSITION,
        entry_id=round_.entry_id,
        category=round_.category,
        clue=round_.clue,
        answer=round_.masked if playing else round_.answer,
        current_value=round_.prize if round_.end_reason == Round.EndReason.WON else round_.current_value,
        total_split_seconds=float(settings.TRIVIA_SPLIT_SECONDS),
        # A closed round (the next one started) has no "next round" time to show.
        split_ends_at=iso(
            round_.split_ends_at if playing else (round_.next_round_at if round_.state == Round.State.ENDED else None)
        ),
    )
    if round_.end_reason == Round.EndReason.WON:
        name = round_.winner.username if round_.winner else LEFT
        state.attempts = [{"user_id": round_.winner_id, "username": name, "message": "", "correct": True}]
    return state


LIVE_FOOTER = "GameConnect · answer with !answer <text> or /answer"


def live_embed(round_: Round) -> discord.Embed:
    return round_embed(live_state(round_), show_players=False, footer=LIVE_FOOTER)


def answer_reply(result: AttemptResult) -> str:
    if result.correct:
        paid = f" (after paying {result.cost})" if result.cost else ""
        return f"✅ Correct! You won **{result.prize}** coins{paid}."
    if result.cost:
        return f"❌ Not it. That attempt cost {result.cost} coin{'s' if result.cost != 1 else ''}."
    left = result.free_attempts_left
    if left:
        return f"❌ Not it. {left} free attempt{'s' if left != 1 else ''} left in this round."
    cost = int(settings.TRIVIA_ATTEMPT_COST)
    return f"❌ Not it. That was your last free attempt; the next ones cost {cost} coin{'s' if cost != 1 else ''} each."


def _between_rounds() -> str:
    round_ = current_round()
    if round_ is not None and round_.state == Round.State.ENDED and round_.next_round_at is not None:
        return f"⏳ Between rounds: the next one starts {discord.utils.format_dt(round_.next_round_at, 'R')}."
    return "⏳ No round is being played right now; wait for the next one."


class TriviaCog(GameConnectCog, name="Trivia"):
    """The live trivia game: see it, play it, and its round posted in each server's channel."""

    def __init__(self, bot: commands.Bot) -> None:
        super().__init__(bot)
        self.seen: tuple[int, int] | None = None  # (number, version) of the round last looked at
        # channel id -> (round number, message, whether it already shows the round's end)
        self.posts: dict[int, tuple[int, discord.Message, bool]] = {}

    async def cog_load(self) -> None:
        seconds = float(settings.BOT_TRIVIA_POLL_SECONDS)
        if seconds > 0:
            self.poster.change_interval(seconds=seconds)
            self.poster.start()

    async def cog_unload(self) -> None:
        self.poster.cancel()

    @commands.hybrid_command(name="trivia", ignore_extra=False)  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    async def trivia(self, ctx: GameConnectContext) -> None:
        """The current trivia round: category, clue, masked answer, value, time left."""
        # Presence is in Redis; on the embedded defaults the bot's Redis is its own, not the web's.
        shared = not is_embedded()
        state = await database_sync_to_async(round_state)(players=None if shared else 0)
        await ctx.send(embed=round_embed(state, show_players=shared))

    @commands.hybrid_command(name="answer")  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @linked_account()
    async def answer(self, ctx: GameConnectContext, *, text: str) -> None:
        """Answer the live trivia round (free attempts first, then each costs coins)."""
        assert ctx.gamer is not None  # set by linked_account()
        try:
            result = await database_sync_to_async(attempt_submit)(user=ctx.gamer, message=text)
        except NoRound:
            reply = await database_sync_to_async(_between_rounds)()
        except InsufficientFunds:
            cost = int(settings.TRIVIA_ATTEMPT_COST)
            reply = f"🪙 Not enough coins: your free attempts are used and each further one costs {cost}."
        except ServiceError as error:  # an empty or too long attempt, a disabled account...
            reply = f"{error.detail}\n{usage(ctx)}" if error.code == "invalid_attempt" else error.detail
        else:
            reply = answer_reply(result)
        await ctx.send(reply, ephemeral=True)

    # --- the round in each server's trivia channel ---------------------------------------------

    def guild_ids(self) -> list[int]:
        return [guild.id for guild in self.bot.guilds]

    async def channel_ids(self) -> set[int]:
        """Where the round goes: each server's trivia channel (its own, else the default)."""
        ids = self.guild_ids()
        fallback = default_channel("trivia")
        if not ids:  # not connected to any server yet (or a test): the default alone
            return {fallback} if fallback else set()
        per_guild = await database_sync_to_async(guild_channels)(ids, "trivia")
        channels = {channel for channel in per_guild.values() if channel}
        if fallback in channels:
            # The default channel belongs to one server: not there if that server chose another.
            home = getattr(self.bot.get_channel(fallback), "guild", None)
            if home is not None and per_guild.get(home.id) not in (None, fallback):
                channels.discard(fallback)
        return channels

    async def refresh(self, *, now: datetime | None = None) -> int:
        """Post or edit the live round where it changed; returns how many messages were sent or
        edited. One query when nothing changed."""
        round_ = await database_sync_to_async(live_round)()
        if round_ is None:
            return 0
        key = (round_.number, round_.version)
        if key == self.seen:
            return 0
        first_look = self.seen is None
        new_round = first_look or self.seen[0] != round_.number  # type: ignore[index]  # not None when not first_look
        self.seen = key
        done = 0
        if new_round and not first_look:
            done += await self._finish_older(round_.number)
        now = now or timezone.now()
        over = round_.state != Round.State.PLAYING
        if over and new_round and (first_look or (round_.ended_at and now - round_.ended_at > STALE_AFTER)):
            logger.info("not posting trivia round %s: already over when first seen", round_.number)
            return done
        channels = await self.channel_ids()
        for gone in set(self.posts) - channels:
            del self.posts[gone]
        box = live_embed(round_)
        for channel_id in sorted(channels):
            done += await self._post(channel_id, round_.number, box, final=over)
        return done

    async def _finish_older(self, number: int) -> int:
        """Messages of earlier rounds still showing them in play (the bot missed their end: it
        was down, or the database unreachable, for the whole pause) are edited to show how they
        ended. One query, only when a new round appears and such a message exists."""
        unfinished = {cid: post for cid, post in self.posts.items() if post[0] != number and not post[2]}
        if not unfinished:
            return 0
        ended = await database_sync_to_async(rounds_by_number)({post[0] for post in unfinished.values()})
        done = 0
        for channel_id, (old, message, _) in unfinished.items():
            round_ = ended.get(old)
            if round_ is None or round_.state == Round.State.PLAYING:
                continue
            self.posts[channel_id] = (old, message, True)
            try:
                await message.edit(embed=live_embed(round_))
                done += 1
            except discord.HTTPException:
                logger.warning(
                    "could not show the end of trivia round %s in channel %s", old, channel_id, exc_info=True
                )
        return done

    async def _post(self, channel_id: int, number: int, box: discord.Embed, *, final: bool) -> int:
        posted = self.posts.get(channel_id)
        try:
            if posted is not None and posted[0] == number:
                try:
                    await posted[1].edit(embed=box)
                    self.posts[channel_id] = (number, posted[1], final)
                    return 1
                except discord.NotFound:
                    logger.info("the trivia message in channel %s was deleted; posting a new one", channel_id)
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                raise discord.InvalidData(f"channel {channel_id} can't receive messages")
            self.posts[channel_id] = (number, await channel.send(embed=box), final)
            return 1
        except (discord.HTTPException, discord.InvalidData):
            # Missing permission, deleted channel...: logged, tried again at the next change.
            self.posts.pop(channel_id, None)
            logger.warning("could not post trivia round %s in channel %s", number, channel_id, exc_info=True)
            return 0

    @tasks.loop(seconds=3.0)
    async def poster(self) -> None:
        try:
            await self.refresh()
        except Exception:
            # A loop that raises stops for good; log, and try again at the next poll.
            logger.exception("trivia round posting failed; retrying")

    @poster.before_loop
    async def _before_posting(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(TriviaCog(bot))
