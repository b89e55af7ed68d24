"""Channel-layer sends that happen only after the surrounding transaction commits."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("gameconnect.broadcast")


def user_group(user_id: int) -> str:
    """The group every socket of one user joins (role changes, forced disconnects)."""
    return f"user.{user_id}"


def group_send_now(group: str, message: dict[str, Any]) -> None:
    """Send from sync code. A layer failure is logged, never raised: the data is committed."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("group_send to %s failed", group)


def broadcast_on_commit(group: str, message: dict[str, Any]) -> None:
    """Queue `message` for `group` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: group_send_now(group, message))
