"""New sessions and events are posted once in the announce channel, with their buttons; old ones
never; a restarted bot neither replays nor misses; two bot processes never post one twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from bot.announce import EVENTS, SESSIONS, cursor_claim, cursor_read
from bot.client import create_bot
from bot.tests.harness import BOT_USER
from events.tests.factories import EventFactory
from sessions_app.models import GameSession
from sessions_app.tests.factories import GameSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)
ANNOUNCE_CHANNEL = 8080


class AnnounceChannel(discord.abc.Messageable):
    """Stands in for the Discord channel: records each post with its buttons' custom_ids."""

    id = ANNOUNCE_CHANNEL

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []

    async def _get_channel(self) -> Any:
        return self

    async def send(self, *, embed: Any = None, view: Any = None, **kwargs: Any) -> None:  # type: ignore[override]  # a test double: records the post
        custom_ids = [item.custom_id for item in view.children] if view is not None else []
        self.posts.append({"title": embed.title, "footer": embed.footer.text, "buttons": custom_ids})


@pytest.fixture
def channel(settings) -> AnnounceChannel:
    settings.DISCORD_ANNOUNCE_CHANNEL_ID = ANNOUNCE_CHANNEL
    settings.BOT_ANNOUNCE_POLL_SECONDS = 3600  # the tests call announce_new() themselves
    return AnnounceChannel()


new_session = sync_to_async(GameSessionFactory.create)
new_event = sync_to_async(EventFactory.create)


async def start_bot(channel: AnnounceChannel | None = None):
    """A new bot process, as after a restart (discord.py loads extensions afresh each time)."""
    client = create_bot()
    await client.__aenter__()
    await client.load_cogs()
    client._connection.user = BOT_USER
    if channel is not None:  # the channel as the gateway's cache would hold it
        found: Any = lambda channel_id: channel if channel_id == ANNOUNCE_CHANNEL else None  # noqa: E731
        client.get_channel = found  # type: ignore[method-assign]  # the gateway's channel cache, offline
    cog = client.get_cog("Announcements")
    assert type(cog).__name__ == "AnnounceCog"
    return client, cog


async def test_posts_each_new_session_and_event_once_with_buttons_never_old_ones(channel):
    old = await new_session(title="Old one")
    client, cog = await start_bot(channel)
    try:
        await cog.announce_new()  # the first run starts at the newest existing rows
        assert channel.posts == [], f"{old.title} existed before the bot: not announced"

        session = await new_session(title="Fresh ranked")
        event = await new_event(title="Jazz night")
        assert await cog.announce_new() == 2
        assert await cog.announce_new() == 0, "each is posted once"
    finally:
        await client.close()

    assert channel.posts == [
        {
            "title": "🎮 New session · Fresh ranked",
            "footer": f"GameConnect · session {session.pk}",
            "buttons": [f"gc:session:{a}:{session.pk}" for a in ("join", "leave", "wait")],
        },
        {
            "title": "🎟️ New event · Jazz night",
            "footer": f"GameConnect · event {event.pk}",
            "buttons": [f"gc:event:bookmark:{event.pk}"],
        },
    ]


async def test_a_restart_neither_replays_nor_misses(channel):
    client, cog = await start_bot(channel)
    await cog.announce_new()
    first = await new_session(title="Before the restart")
    await cog.announce_new()
    await client.close()

    while_down = await new_session(title="While the bot was down")
    client, cog = await start_bot(channel)
    try:
        await cog.announce_new()
    finally:
        await client.close()

    assert [p["title"] for p in channel.posts] == [
        f"🎮 New session · {first.title}",
        f"🎮 New session · {while_down.title}",
    ]


async def test_only_joinable_sessions_and_upcoming_events_are_posted(channel):
    client, cog = await start_bot(channel)
    try:
        await cog.announce_new()
        await new_session(title="Switched off", is_available=False)
        started = await new_session(title="Started")
        await GameSession.objects.filter(pk=started.pk).aupdate(starts_at=timezone.now() - timedelta(minutes=1))
        past_event = await new_event(title="Yesterday's gig")
        from events.models import Event

        await Event.objects.filter(pk=past_event.pk).aupdate(starts_at=timezone.now() - timedelta(days=1))
        ok = await new_session(title="Open")
        await cog.announce_new()
        await cog.announce_new()
    finally:
        await client.close()
    assert [p["title"] for p in channel.posts] == [f"🎮 New session · {ok.title}"]


async def test_polling_turned_off_leaves_the_buttons_working(settings):
    settings.BOT_ANNOUNCE_POLL_SECONDS = 0
    client, cog = await start_bot()
    try:
        assert not cog.announcer.is_running()
        assert client._connection._view_store._dynamic_items, "the buttons still work without announcements"
    finally:
        await client.close()


def test_the_cursor_is_claimed_by_compare_and_set(db):
    GameSessionFactory.create()
    start = cursor_read(SESSIONS)
    assert cursor_read(EVENTS) == 0
    assert cursor_claim(SESSIONS, start, start + 1)
    assert not cursor_claim(SESSIONS, start, start + 1), "a second process holding the old value loses"
    assert cursor_read(SESSIONS) == start + 1
