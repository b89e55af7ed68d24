"""System actions on the live game."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.services import audit_record
from trivia import presence
from trivia.broadcast import DISCONNECT_ALL, hub_send_on_commit


@transaction.atomic
def disconnect_everyone(*, actor: Any, reason: str = "") -> int:
    """Close every trivia socket on every web process (close code 4004); audited.

    Returns how many clients were connected, counted from the shared Redis presence (so the
    clients of every process count). One message per process carries the signal.
    """
    clients = presence.count()
    audit_record(
        actor=actor,
        action="disconnect_everyone",
        target_type="trivia",
        target_id="all",
        reason=reason or f"{clients} clients",
    )
    hub_send_on_commit({"type": DISCONNECT_ALL})
    return clients
