"""`events [search]` through discord.py's own parsing, against the real database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from bot.tests.harness import say
from events.models import Event
from events.tests.factories import EventFactory

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def new_event(**fields: Any) -> Event:
    return EventFactory.create(**fields)


def ts(moment) -> str:
    return f"<t:{int(moment.timestamp())}:f>"


async def test_events_lists_upcoming_events_soonest_first_with_their_tickets(bot, transcript):
    now = timezone.now()
    gig = await new_event(
        title="Jazz à Carthage",
        city="Tunis",
        location="Théâtre de Carthage",
        starts_at=now + timedelta(days=3),
        ticket_price=Decimal("45.50"),
        tickets_total=200,
        tickets_available=37,
    )
    lan = await new_event(
        title="LAN party",
        city="Sousse",
        location="Salle Omnisport",
        starts_at=now + timedelta(days=1),
        ticket_price=Decimal("0"),
        tickets_total=50,
        tickets_available=0,
    )
    last = await new_event(title="Last seat", starts_at=now + timedelta(days=9), tickets_total=10, tickets_available=1)
    past = await new_event(title="Yesterday's show")
    await Event.objects.filter(pk=past.pk).aupdate(starts_at=now - timedelta(days=1))

    await say(bot, "!events")

    box = transcript.last.embed
    assert box.title == "Upcoming events"
    assert [f.name for f in box.fields] == ["LAN party", "Jazz à Carthage", "Last seat"]
    lan_text, gig_text, last_text = (f.value for f in box.fields)
    assert "📍 Sousse · Salle Omnisport" in lan_text
    assert ts(lan.starts_at) in lan_text
    assert "💵 Free · 🚫 Sold out" in lan_text
    assert "📍 Tunis · Théâtre de Carthage" in gig_text
    assert ts(gig.starts_at) in gig_text
    assert "💵 45.50 TND · 🎟️ 37 tickets left of 200" in gig_text
    assert "🎟️ 1 ticket left of 10" in last_text and ts(last.starts_at) in last_text
    assert box.footer.text == "GameConnect", "no 'more' note when everything fits"


async def test_events_search_ignores_accents_and_case_and_needs_every_word(bot, transcript):
    await new_event(title="Nuit du théâtre", location="El Teatro")
    await new_event(title="Théâtre pour enfants", location="Maison de la culture")
    await new_event(title="Rock night", description="Guitars.")

    await say(bot, "!events THEATRE nuit")

    box = transcript.last.embed
    assert box.title == "Upcoming events · “THEATRE nuit”"
    assert [f.name for f in box.fields] == ["Nuit du théâtre"]


async def test_events_with_no_match_says_so(bot, transcript):
    await new_event(title="Rock night")
    await say(bot, "!events opera")
    box = transcript.last.embed
    assert box.fields == []
    assert box.description == "No upcoming events match. Try `!events` for everything coming up."


async def test_events_with_nothing_coming_up_says_so(bot, transcript):
    await say(bot, "!events")
    assert transcript.last.embed.description == "No upcoming events."


async def test_events_shows_ten_and_says_there_are_more(bot, transcript):
    now = timezone.now()
    for i in range(11):
        await new_event(title=f"Show {i:02d}", starts_at=now + timedelta(days=i + 1))
    await say(bot, "!events")
    box = transcript.last.embed
    assert [f.name for f in box.fields] == [f"Show {i:02d}" for i in range(10)]
    assert "more on the website" in box.footer.text
