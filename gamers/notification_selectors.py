"""Notification reads (SPEC §2 "Notifications")."""

from __future__ import annotations

from django.db.models import QuerySet

from gamers.models import Gamer, Notification


def notification_list(*, user: Gamer, unread: bool | None = None) -> QuerySet[Notification]:
    """The account's notifications, newest first (served by the `notification_user_newest`
    index); `unread=True` only unread ones, `unread=False` only read ones."""
    rows = Notification.objects.filter(user_id=user.pk).order_by("-created_at", "-id")
    if unread is not None:
        rows = rows.filter(read_at__isnull=unread)
    return rows.only("id", "kind", "title", "body", "url", "created_at", "read_at")
