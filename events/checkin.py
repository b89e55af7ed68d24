"""Checking people in at the door (SPEC §4 "More for events").

A scan is one conditional UPDATE (`... SET checked_in_at = now WHERE code = %s AND event_id = %s
AND status = 'valid' AND checked_in_at IS NULL`): the database decides which of two doors
scanning the same ticket at once wins (healthchecks' `sendalerts` shape), the other one reads the
ticket again and answers `already_checked_in` with the winner's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from common.errors import Conflict, NotFound, PermissionDenied
from events.codes import verified_code
from events.models import Event, Ticket, TicketStatus
from events.services import can_edit_event


@dataclass(frozen=True)
class CheckIn:
    ticket: Ticket  # with its order and the order's buyer loaded


def _unknown() -> NotFound:
    return NotFound(gettext("No ticket with that code for this event."), code="unknown_ticket")


def _utc_text(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def can_check_in(user: Any, event: Event) -> bool:
    """The organizer or an admin (who may edit the event) checks people in."""
    return can_edit_event(user, event)


def ticket_check_in(*, event_id: int, code: str, actor: Any) -> CheckIn:
    """Check in the ticket whose signed code is `code` at event `event_id`, exactly once.

    404 `not_found` (no event), 403 `not_organizer`, 404 `unknown_ticket` (the signature doesn't
    verify, no such ticket, or it belongs to another event: a door can't tell those apart and
    shouldn't), 409 `ticket_cancelled`, 409 `already_checked_in` with `checked_in_at`.
    Autocommit: the UPDATE is its own transaction, so the row lock lasts one statement.
    """
    event = Event.objects.only("pk", "organizer_id").filter(pk=event_id).first()
    if event is None:
        raise NotFound(gettext("No event with that id."), code="not_found")
    if not can_check_in(actor, event):
        raise PermissionDenied(gettext("Only the organizer or an admin can check people in."), code="not_organizer")
    stored = verified_code(code)
    if stored is None:
        raise _unknown()
    now = timezone.now()
    updated = Ticket.objects.filter(
        code=stored, event_id=event_id, status=TicketStatus.VALID, checked_in_at__isnull=True
    ).update(checked_in_at=now, checked_in_by=actor)
    ticket = Ticket.objects.select_related("order", "order__buyer").filter(code=stored, event_id=event_id).first()
    if ticket is None:
        raise _unknown()
    if updated == 1:
        return CheckIn(ticket=ticket)
    if ticket.status == TicketStatus.CANCELLED:
        raise Conflict(gettext("This ticket was cancelled."), code="ticket_cancelled")
    assert ticket.checked_in_at is not None
    raise Conflict(
        gettext("Already checked in at %(_utc_text)s.") % {"_utc_text": _utc_text(ticket.checked_in_at)},
        code="already_checked_in",
        extra={"checked_in_at": _utc_text(ticket.checked_in_at)},
    )
