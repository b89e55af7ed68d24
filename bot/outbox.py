"""The outbox of notification DMs (SPEC §2 "Notifications": a Discord DM when the account is linked).

Web and worker processes: `gamers.signals.notification_created` (sent after commit, with the ids
of notifications of active linked accounts) is received by `enqueue`, which inserts one
`DirectMessage` row per notification in one statement (a repeated id is ignored: the row's
notification is unique). Nothing here talks to Discord.

Bot process (bot.dm): `claim` takes a small batch of pending rows, oldest first, each by a
compare-and-set UPDATE (pending → sending), so two bot processes never send one DM twice. A
claim older than CLAIM_TIMEOUT (a bot that died mid-send) is pending again. Then `mark_sent`,
`mark_skipped` (DMs closed, account unlinked or gone: never retried) or `mark_failed`
(attempts + 1; back to pending until MAX_ATTEMPTS, then failed for good).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from bot.models import DirectMessage
from gamers.services.notifications import absolute_url

logger = logging.getLogger("gameconnect.bot")

MAX_ATTEMPTS = 3
CLAIM_TIMEOUT = timedelta(minutes=5)
BATCH = 10
Status = DirectMessage.Status


def enqueue(sender: Any = None, *, notification_ids: list[int], **kwargs: Any) -> None:
    """`notification_created` receiver: one pending DM per notification, one INSERT."""
    rows = [DirectMessage(notification_id=pk) for pk in dict.fromkeys(notification_ids)]
    DirectMessage.objects.bulk_create(rows, ignore_conflicts=True)


@dataclass(frozen=True)
class Outgoing:
    """A claimed DM: who gets it (None when the account is no longer linked and active) and what."""

    id: int
    discord_id: int | None
    title: str
    body: str
    url: str
    attempts: int


def _claimable(now: datetime) -> Q:
    return Q(status=Status.PENDING) | Q(status=Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)


def claim(*, limit: int = BATCH, now: datetime | None = None) -> list[Outgoing]:
    """Up to `limit` DMs to send, oldest first, each claimed by this process alone."""
    now = now or timezone.now()
    candidates = list(
        DirectMessage.objects.filter(_claimable(now)).order_by("pk").values_list("pk", "status", "claimed_at")[:limit]
    )
    claimed: list[int] = []
    for pk, status, claimed_at in candidates:
        # Compare-and-set on what was read: a racing process that claimed it first changed it.
        won = DirectMessage.objects.filter(pk=pk, status=status, claimed_at=claimed_at)
        if won.update(status=Status.SENDING, claimed_at=now):
            claimed.append(pk)
    rows = (
        DirectMessage.objects.filter(pk__in=claimed)
        .select_related("notification__user")
        .only(
            "pk",
            "attempts",
            "notification__title",
            "notification__body",
            "notification__url",
            "notification__user__discord_id",
            "notification__user__is_active",
        )
        .order_by("pk")
    )
    out = []
    for row in rows:
        user = row.notification.user
        discord_id = str(user.discord_id or "")
        linked = user.is_active and discord_id.isdigit()
        out.append(
            Outgoing(
                id=row.pk,
                discord_id=int(discord_id) if linked else None,
                title=row.notification.title,
                body=row.notification.body,
                url=absolute_url(row.notification.url),
                attempts=row.attempts,
            )
        )
    return out


def mark_sent(dm_id: int) -> None:
    DirectMessage.objects.filter(pk=dm_id).update(status=Status.SENT, sent_at=timezone.now(), last_error="")


def mark_skipped(dm_id: int, reason: str) -> None:
    DirectMessage.objects.filter(pk=dm_id).update(status=Status.SKIPPED, last_error=reason[:1000])


def mark_failed(dm_id: int, error: str) -> str:
    """One more failed attempt; returns the new status (pending again, or failed for good)."""
    row = DirectMessage.objects.filter(pk=dm_id).values_list("attempts", flat=True).first()
    attempts = (row or 0) + 1
    status = Status.FAILED if attempts >= MAX_ATTEMPTS else Status.PENDING
    DirectMessage.objects.filter(pk=dm_id).update(
        status=status, attempts=attempts, last_error=error[:1000], claimed_at=None
    )
    return status
