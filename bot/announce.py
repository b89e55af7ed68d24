"""Announcements of new sessions and events, with buttons (SPEC §8 "Organise").

The web processes never call Discord: the bot learns of new sessions and events by reading the
database. Every BOT_ANNOUNCE_POLL_SECONDS, one indexed query per kind fetches the rows whose id
is above a cursor (primary keys only grow). The cursor is a row of `AnnounceCursor`, created at
the newest existing id the first time the bot runs (old ones are never announced), and kept
across restarts, so a restarted bot neither replays what it posted nor misses what was created
while it was down. Each row is claimed by moving the cursor with a compare-and-set UPDATE before
it is posted, so two bot processes never post the same one twice (at most once: a post that
Discord refuses is logged, not retried).

Posted: sessions that are switched on and haven't started, events that haven't started (a full
session is still posted: its Wait button takes a place on the waiting list). Each post carries
persistent buttons (bot.announce_buttons) that keep working after a restart.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import discord
from channels.db import database_sync_to_async
from discord.ext import commands, tasks
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from bot.announce_buttons import EventButton, SessionButton, event_view, session_view
from bot.cogs import GameConnectCog
from bot.cogs.events import price_text, tickets_text
from bot.embeds import embed, plain, when
from bot.models import AnnounceCursor
from bot.settings_store import default_channel, guild_channels
from events.models import Event
from gamers.services.notifications import absolute_url
from sessions_app.models import GameSession

logger = logging.getLogger("gameconnect.bot")

BATCH = 20
SESSIONS, EVENTS = "session", "event"
MODELS: dict[str, type[GameSession] | type[Event]] = {SESSIONS: GameSession, EVENTS: Event}


def announce_channel_ids(guild_ids: list[int]) -> list[int]:
    """Where announcements go: each server's announce channel (`/settings channel announce`,
    one query), else the default DISCORD_ANNOUNCE_CHANNEL_ID; no server known yet: the default."""
    channels = set(guild_channels(guild_ids, "announce").values()) if guild_ids else set()
    if not guild_ids:
        channels.add(default_channel("announce"))
    return sorted(c for c in channels if c)


# --- the cursor and the rows (sync: run through database_sync_to_async) ----------------------


def cursor_read(kind: str) -> int:
    """The kind's cursor; the first time, the newest existing id (nothing old is announced)."""
    newest = MODELS[kind].objects.aggregate(newest=Max("pk"))["newest"] or 0
    row, _ = AnnounceCursor.objects.get_or_create(kind=kind, defaults={"last_id": newest})
    return row.last_id


def rows_after(kind: str, last_id: int, *, limit: int = BATCH) -> list[Any]:
    qs = MODELS[kind].objects.filter(pk__gt=last_id).order_by("pk").select_related("organizer")
    return list(qs[:limit])


def cursor_claim(kind: str, old: int, new: int) -> bool:
    """Move the cursor from `old` to `new`; False when another process moved it first."""
    return AnnounceCursor.objects.filter(kind=kind, last_id=old).update(last_id=new) == 1


def announceable(row: Any, *, now: datetime) -> bool:
    if isinstance(row, GameSession):
        return row.is_available and row.starts_at > now
    return bool(row.starts_at > now)


# --- what is posted --------------------------------------------------------------------------


def session_announcement(session: GameSession) -> discord.Embed:
    box = embed(f"🎮 New session · {plain(session.title, 200)}", plain(session.description, 500))
    box.url = absolute_url(f"/sessions/{session.pk}")
    box.add_field(name="Game", value=f"{plain(session.game, 80)} on {session.get_platform_display()}", inline=True)
    box.add_field(name="Seats", value=f"{session.attendee_count}/{session.max_attendees}", inline=True)
    box.add_field(name="Host", value=plain(session.organizer.username, 60), inline=True)
    box.add_field(name="Starts", value=when(session.starts_at), inline=False)
    box.set_footer(text=f"GameConnect · session {session.pk}")
    return box


def event_announcement(event: Event) -> discord.Embed:
    box = embed(f"🎟️ New event · {plain(event.title, 200)}", plain(event.description, 500))
    box.url = absolute_url(f"/events/{event.pk}")
    box.add_field(name="Where", value=f"{plain(event.city, 100)} · {plain(event.location, 100)}", inline=False)
    box.add_field(name="When", value=when(event.starts_at), inline=False)
    box.add_field(name="Tickets", value=f"{price_text(event.ticket_price)} · {tickets_text(event)}", inline=False)
    box.set_footer(text=f"GameConnect · event {event.pk}")
    return box


def announcement(row: Any) -> tuple[discord.Embed, discord.ui.View]:
    if isinstance(row, GameSession):
        return session_announcement(row), session_view(row.pk)
    return event_announcement(row), event_view(row.pk)


class AnnounceCog(GameConnectCog, name="Announcements"):
    """Posts new sessions and events with buttons; registers the buttons at start."""

    async def cog_load(self) -> None:
        # Before any press can arrive: a button posted by an earlier run of the bot still works.
        self.bot.add_dynamic_items(SessionButton, EventButton)
        # Any server may choose a channel later (`/settings`), so the poll runs unless turned off
        # (BOT_ANNOUNCE_POLL_SECONDS = 0); with no channel anywhere it only moves the cursor.
        if float(settings.BOT_ANNOUNCE_POLL_SECONDS) > 0:
            self.announcer.change_interval(seconds=float(settings.BOT_ANNOUNCE_POLL_SECONDS))
            self.announcer.start()

    async def cog_unload(self) -> None:
        self.announcer.cancel()
        self.bot.remove_dynamic_items(SessionButton, EventButton)

    async def announce_new(self, *, now: datetime | None = None) -> int:
        """Post what was created since the last call; returns how many posts were made."""
        posted = 0
        for kind in (SESSIONS, EVENTS):
            posted += await self._announce_kind(kind, now=now)
        return posted

    async def _announce_kind(self, kind: str, *, now: datetime | None) -> int:
        last = await database_sync_to_async(cursor_read)(kind)
        rows = await database_sync_to_async(rows_after)(kind, last)
        now = now or timezone.now()
        posted = 0
        channels = await database_sync_to_async(announce_channel_ids)([g.id for g in self.bot.guilds]) if rows else []
        for row in rows:
            if not await database_sync_to_async(cursor_claim)(kind, last, row.pk):
                logger.info("another bot process is announcing %ss; leaving them to it", kind)
                break
            last = row.pk
            if not announceable(row, now=now):
                continue
            box, view = announcement(row)
            for channel_id in channels:
                try:
                    channel = await self._channel(channel_id)
                    await channel.send(embed=box, view=view)
                    posted += 1
                except discord.HTTPException:
                    logger.warning("could not announce %s %s in channel %s", kind, row.pk, channel_id, exc_info=True)
        return posted

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise discord.InvalidData(f"channel {channel_id} can't receive messages")
        return channel

    @tasks.loop(seconds=10.0)
    async def announcer(self) -> None:
        try:
            await self.announce_new()
        except Exception:
            # A loop that raises stops for good; log, and try again at the next poll.
            logger.exception("announcements failed; retrying")

    @announcer.before_loop
    async def _before_announcing(self) -> None:
        # The cursors first: what is created while the bot connects is still announced.
        try:
            for kind in (SESSIONS, EVENTS):
                await database_sync_to_async(cursor_read)(kind)
        except Exception:
            logger.exception("announcements: could not read the cursors; retrying in the loop")
        await self.bot.wait_until_ready()


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(AnnounceCog(bot))
