"""Event commands (SPEC §8, §4): `events [search]`, the next events with their tickets.

Same selector as `GET /events/?starts_after=now&ordering=starts_at&search=...`: the search is
case- and accent-insensitive ("theatre" finds "Théâtre") and every word must match.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from channels.db import database_sync_to_async
from discord import app_commands
from discord.ext import commands
from django.utils import timezone

from bot.cogs import GameConnectCog
from bot.context import GameConnectContext
from bot.embeds import embed, plain, when
from events.models import Event
from events.selectors import event_list

LIST_SIZE = 10

_SEARCH_HELP = "Words to look for in the title, description or place (accents and case ignored)"
_SEARCH = commands.parameter(default=None, description=_SEARCH_HELP)


@dataclass(frozen=True)
class Upcoming:
    events: list[Event]
    more: bool  # there are more upcoming events than the list shows


def upcoming_events(*, search: str | None) -> Upcoming:
    """Events that haven't started, soonest first, matching `search` (sold-out ones included)."""
    qs = event_list(search=search, starts_after=timezone.now(), ordering="starts_at")
    rows = list(qs[: LIST_SIZE + 1])
    return Upcoming(events=rows[:LIST_SIZE], more=len(rows) > LIST_SIZE)


def price_text(price: Decimal) -> str:
    return "Free" if price == 0 else f"{price:,.2f} TND"


def tickets_text(event: Event) -> str:
    if event.tickets_available == 0:
        return "🚫 Sold out"
    noun = "ticket" if event.tickets_available == 1 else "tickets"
    return f"🎟️ {event.tickets_available:,} {noun} left of {event.tickets_total:,}"


def event_line(event: Event) -> str:
    return (
        f"📍 {plain(event.city, 100)} · {plain(event.location, 100)}\n"
        f"🕒 {when(event.starts_at)}\n"
        f"💵 {price_text(event.ticket_price)} · {tickets_text(event)}"
    )


class EventsCog(GameConnectCog, name="Events"):
    """Concerts, festivals, esports nights and more, with tickets."""

    @commands.hybrid_command(name="events")  # type: ignore[arg-type]  # discord.py's hybrid_command typing: mypy can't infer its ParamSpec union for cog methods
    @app_commands.describe(search=_SEARCH_HELP)
    async def events(self, ctx: GameConnectContext, *, search: str | None = _SEARCH) -> None:
        """The next events, optionally matching some words."""
        search = (search or "").strip() or None
        found = await database_sync_to_async(upcoming_events)(search=search)
        heading = f"Upcoming events · “{plain(search, 80)}”" if search else "Upcoming events"
        if not found.events:
            hint = f" Try `{ctx.shown_prefix}events` for everything coming up." if search else ""
            await ctx.send(embed=embed(heading, f"No upcoming events{' match' if search else ''}.{hint}"))
            return
        box = embed(heading)
        for event in found.events:
            box.add_field(name=plain(event.title, 200), value=event_line(event), inline=False)
        if found.more:
            box.set_footer(text=f"GameConnect · the next {LIST_SIZE}; more on the website")
        await ctx.send(embed=box)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(EventsCog(bot))
