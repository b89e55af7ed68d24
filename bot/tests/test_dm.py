"""Notifications as DMs: the receiver queues one outbox row per notification of a linked
account; the bot sends each once; closed DMs are skipped and the queue moves on; other Discord
errors are retried, at most 3 attempts; two bot processes never claim the same row."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.utils import timezone

from bot import outbox
from bot.models import DirectMessage
from bot.tests.harness import BOT_USER, PLAYER_ID
from conftest import make_gamer
from gamers.models import Gamer, NotificationKind
from gamers.services import notification_create

pytestmark = pytest.mark.django_db(transaction=True)
Status = DirectMessage.Status


def notify(user: Any, title: str = "Your session starts in 1 hour", **kwargs: Any) -> Any:
    return notification_create(
        user_id=user.pk, kind=NotificationKind.SESSION_REMINDER, title=title, url="/sessions/1", **kwargs
    )


def link(user: Any, discord_id: int = PLAYER_ID) -> None:
    Gamer.objects.filter(pk=user.pk).update(discord_id=str(discord_id))


def http_error(cls: type[discord.HTTPException], status: int, text: str) -> discord.HTTPException:
    response: Any = SimpleNamespace(status=status, reason=text)  # what aiohttp would give
    return cls(response, text)


class DiscordUsers:
    """Stands in for Discord: `fetch_user` gives users whose `send` records or fails as told."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, discord.Embed]] = []
        self.failures: dict[int, list[Exception]] = {}

    async def fetch_user(self, user_id: int) -> Any:
        async def send(*, embed: discord.Embed) -> None:
            queued = self.failures.get(user_id)
            if queued:
                raise queued.pop(0)
            self.sent.append((user_id, embed))

        return SimpleNamespace(id=user_id, send=send)


@pytest.fixture
async def dms():
    """The bot's DM cog, with Discord replaced by DiscordUsers (the poll loop idles: not ready)."""
    from bot.client import create_bot

    client = create_bot()
    async with client:
        await client.load_cogs()
        client._connection.user = BOT_USER
        users = DiscordUsers()
        client.get_user = lambda user_id: None  # not cached: fetched
        client.fetch_user = users.fetch_user
        yield client.get_cog("Direct messages"), users


# --- queueing (web and worker processes) ------------------------------------------------------


def test_a_notification_of_a_linked_account_is_queued_once_after_commit(gamer, other_gamer):
    link(gamer)
    with transaction.atomic():
        mine = notify(gamer)
        notify(other_gamer)  # not linked: no DM
        assert not DirectMessage.objects.exists(), "queued after commit only"
    rows = list(DirectMessage.objects.values_list("notification_id", "status", "attempts"))
    assert rows == [(mine.pk, Status.PENDING, 0)]
    outbox.enqueue(notification_ids=[mine.pk, mine.pk])  # a repeated signal adds nothing
    assert DirectMessage.objects.count() == 1


def test_a_rolled_back_notification_is_never_queued(gamer):
    link(gamer)
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(gamer)
        raise RuntimeError("rolled back")
    assert not DirectMessage.objects.exists()


# --- sending (the bot) --------------------------------------------------------------------------


async def test_a_queued_notification_becomes_one_dm(dms, gamer):
    cog, users = dms
    await sync_to_async(link)(gamer)
    note = await sync_to_async(notify)(gamer, body="Friday ranked, 20:00")

    assert await cog.send_pending() == 1
    assert await cog.send_pending() == 0, "sent once"

    [(user_id, box)] = users.sent
    assert user_id == PLAYER_ID
    assert box.title == "Your session starts in 1 hour" and box.description == "Friday ranked, 20:00"
    assert box.url == "http://localhost:8000/sessions/1"
    row = await DirectMessage.objects.aget(notification=note)
    assert row.status == Status.SENT and row.sent_at is not None


async def test_closed_dms_are_skipped_never_retried_and_the_queue_moves_on(dms, gamer, caplog):
    cog, users = dms
    closed = await sync_to_async(make_gamer)("closed dms")
    await sync_to_async(link)(closed, 111)
    await sync_to_async(link)(gamer)
    users.failures[111] = [http_error(discord.Forbidden, 403, "Cannot send messages to this user")]
    skipped = await sync_to_async(notify)(closed)
    sent = await sync_to_async(notify)(gamer)

    assert await cog.send_pending() == 1
    assert await cog.send_pending() == 0

    assert [user_id for user_id, _ in users.sent] == [PLAYER_ID]
    row = await DirectMessage.objects.aget(notification=skipped)
    assert row.status == Status.SKIPPED and "Forbidden" in row.last_error and row.attempts == 0
    assert (await DirectMessage.objects.aget(notification=sent)).status == Status.SENT
    assert sum("skipped" in r.getMessage() for r in caplog.records) == 1, "logged once"


async def test_transient_errors_are_retried_at_most_three_times(dms, gamer):
    cog, users = dms
    await sync_to_async(link)(gamer)
    users.failures[PLAYER_ID] = [http_error(discord.HTTPException, 500, "Discord is down") for _ in range(5)]
    note = await sync_to_async(notify)(gamer)

    for expected_attempts, expected_status in ((1, Status.PENDING), (2, Status.PENDING), (3, Status.FAILED)):
        assert await cog.send_pending() == 0
        row = await DirectMessage.objects.aget(notification=note)
        assert (row.attempts, row.status) == (expected_attempts, expected_status)
    await cog.send_pending()
    assert len(users.failures[PLAYER_ID]) == 2, "no fourth attempt"
    assert users.sent == []


async def test_a_retry_that_succeeds_is_sent(dms, gamer):
    cog, users = dms
    await sync_to_async(link)(gamer)
    users.failures[PLAYER_ID] = [http_error(discord.HTTPException, 500, "blip")]
    note = await sync_to_async(notify)(gamer)
    await cog.send_pending()
    await cog.send_pending()
    row = await DirectMessage.objects.aget(notification=note)
    assert (row.status, row.attempts, len(users.sent)) == (Status.SENT, 1, 1)


async def test_an_account_unlinked_before_sending_is_skipped(dms, gamer):
    cog, users = dms
    await sync_to_async(link)(gamer)
    note = await sync_to_async(notify)(gamer)
    await Gamer.objects.filter(pk=gamer.pk).aupdate(discord_id=None)
    await cog.send_pending()
    assert users.sent == []
    assert (await DirectMessage.objects.aget(notification=note)).status == Status.SKIPPED


# --- two bot processes ---------------------------------------------------------------------------


def test_a_row_is_claimed_by_one_process_only_and_a_dead_claim_is_taken_again(gamer):
    link(gamer)
    notify(gamer)
    now = timezone.now()
    first = outbox.claim(now=now)
    second = outbox.claim(now=now)
    assert len(first) == 1 and second == [], "the second process finds nothing to send"
    later = outbox.claim(now=now + outbox.CLAIM_TIMEOUT + timedelta(seconds=1))
    assert [m.id for m in later] == [first[0].id], "a process that died mid-send doesn't lose the DM"


def test_claims_are_oldest_first_and_batched(gamer):
    link(gamer)
    notes = [notify(gamer, title=f"Note {i}") for i in range(outbox.BATCH + 2)]
    batch = outbox.claim()
    assert [m.title for m in batch] == [n.title for n in notes[: outbox.BATCH]]
