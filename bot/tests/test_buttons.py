"""The buttons under announcements act as the clicking user through the real services, answer
ephemerally in words, and keep working after the bot restarts (persistent dynamic items)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from bot.client import create_bot
from bot.tests.harness import BOT_USER, PLAYER_ID
from bot.tests.interactions import button_press, dispatch, record_replies
from events.models import Bookmark
from events.tests.factories import EventFactory
from gamers.models import Gamer
from sessions_app.models import Attendance, GameSession, WaitingEntry
from sessions_app.tests.factories import AttendanceFactory, GameSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def new_session(*, attendees: int = 0, **fields: Any) -> GameSession:
    session = GameSessionFactory.create(**fields)
    for _ in range(attendees):
        AttendanceFactory(session=session)
    return session


@pytest.fixture
async def linked(gamer):
    await Gamer.objects.filter(pk=gamer.pk).aupdate(discord_id=str(PLAYER_ID))
    return gamer


async def press(bot, replies, custom_id: str) -> str:
    before = len(replies.sent)
    dispatch(bot, button_press(custom_id))
    sent = await replies.wait_for(before + 1)
    reply = sent[-1]
    assert reply.ephemeral, "button answers are for the presser only"
    return reply.text


async def test_an_unlinked_presser_gets_the_link_page_answer(bot, monkeypatch, gamer):
    replies = record_replies(monkeypatch)
    session = await new_session()

    text = await press(bot, replies, f"gc:session:join:{session.pk}")

    assert "Link your GameConnect account" in text and "/discord/link?token=" in text
    assert not await Attendance.objects.filter(session=session).aexists()


async def test_join_and_leave_buttons_call_the_services(bot, monkeypatch, linked):
    replies = record_replies(monkeypatch)
    session = await new_session(title="Friday ranked", attendees=2, max_attendees=5)

    assert await press(bot, replies, f"gc:session:join:{session.pk}") == "You joined Friday ranked. 3/5 attending."
    assert await Attendance.objects.filter(session=session, gamer=linked).aexists()
    assert (await GameSession.objects.aget(pk=session.pk)).attendee_count == 3

    again = await press(bot, replies, f"gc:session:join:{session.pk}")
    assert "already" in again.lower(), "the service's refusal, in words"

    assert await press(bot, replies, f"gc:session:leave:{session.pk}") == "You left Friday ranked. 2/5 attending."
    assert not await Attendance.objects.filter(session=session, gamer=linked).aexists()

    assert await press(bot, replies, f"gc:session:leave:{session.pk}") == "You are not attending this session."


async def test_a_full_session_points_to_the_waiting_list_and_wait_takes_a_place(bot, monkeypatch, linked):
    replies = record_replies(monkeypatch)
    session = await new_session(title="Full house", attendees=2, max_attendees=2)

    joined = await press(bot, replies, f"gc:session:join:{session.pk}")
    assert "full" in joined and "Press **Wait**" in joined
    assert not await Attendance.objects.filter(session=session, gamer=linked).aexists()

    waited = await press(bot, replies, f"gc:session:wait:{session.pk}")
    assert waited == "Full house is full: you are number 1 on its waiting list."
    assert await WaitingEntry.objects.filter(session=session, gamer=linked).aexists()

    left = await press(bot, replies, f"gc:session:leave:{session.pk}")
    assert left == "You left the waiting list."
    assert not await WaitingEntry.objects.filter(session=session, gamer=linked).aexists()


async def test_wait_on_a_session_with_a_free_seat_joins(bot, monkeypatch, linked):
    replies = record_replies(monkeypatch)
    session = await new_session(title="Open", max_attendees=3)
    text = await press(bot, replies, f"gc:session:wait:{session.pk}")
    assert text == "A seat was free: You joined Open. 1/3 attending."
    assert await Attendance.objects.filter(session=session, gamer=linked).aexists()


async def test_a_deleted_session_is_answered_in_words(bot, monkeypatch, linked):
    replies = record_replies(monkeypatch)
    assert await press(bot, replies, "gc:session:join:987654") == "No session with that id."


async def test_bookmark_button(bot, monkeypatch, linked):
    replies = record_replies(monkeypatch)
    event = await sync_to_async(EventFactory.create)(title="Jazz night")

    first = await press(bot, replies, f"gc:event:bookmark:{event.pk}")
    second = await press(bot, replies, f"gc:event:bookmark:{event.pk}")

    assert first.startswith("Bookmarked Jazz night")
    assert second == "Jazz night is already in your bookmarks."
    assert await Bookmark.objects.filter(event=event, user=linked).acount() == 1


async def test_a_button_posted_before_a_restart_still_works(bot, settings, monkeypatch, linked):
    replies = record_replies(monkeypatch)
    session = await new_session(title="After restart", max_attendees=4)
    custom_id = f"gc:session:join:{session.pk}"
    await bot.close()  # the old process is gone; nothing of it remains in memory

    restarted = create_bot()
    async with restarted:
        await restarted.load_cogs()
        restarted._connection.user = BOT_USER
        dispatch(restarted, button_press(custom_id))
        [reply] = await replies.wait_for(1)

    assert reply.text == "You joined After restart. 1/4 attending."
    assert await Attendance.objects.filter(session=session, gamer=linked).aexists()


async def test_a_press_on_a_bot_without_the_cogs_does_nothing(settings, monkeypatch, linked):
    """The control for the restart test: the answer comes from the registered dynamic items."""
    replies = record_replies(monkeypatch)
    session = await new_session()
    bare = create_bot()
    async with bare:
        bare._connection.user = BOT_USER
        dispatch(bare, button_press(f"gc:session:join:{session.pk}"))
        # dispatch_view schedules a task per matching dynamic item, synchronously: none here.
        scheduled = [t for t in asyncio.all_tasks() if t.get_name().startswith("discord-ui-dynamic-item")]
    assert scheduled == [] and replies.sent == []
    assert not await Attendance.objects.filter(session=session).aexists()
