"""The waiting list of a sold-out event, and the seats held for the first waiters (SPEC §4).

Seats freed by a cancellation, a raised `tickets_total`, a hold that lapsed or a waiter leaving
are offered in the same transaction that freed them (`offer_free_seats`): each waiter in queue
order whose quantity fits gets those seats held (`tickets_available` -> `tickets_held`) for
TICKET_HOLD_MINUTES, and a `waitlist_promotion` notification. The holder buys them with the normal
purchase (events.services.ticket_purchase); a hold that lapses is released by the clock tick
`holds_expire`, which offers the seats to the next waiters.

Lock order, shared with every ticket write: the event row first (SELECT ... FOR UPDATE or the
purchase's conditional UPDATE), then waiting-list rows. Every state change of an entry is a
compare-and-set on its `status`, so a duplicate or late tick, or a purchase racing the expiry,
applies once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import Conflict, InvalidInput, NotFound
from events.models import Event, WaitlistEntry, WaitStatus
from events.rules import offers_for, quantity_problem
from gamers.models import NotificationKind
from gamers.services import notification_create

# A batch of expired holds handled per tick (the rest wait for the next second).
EXPIRE_BATCH = 200


@dataclass(frozen=True)
class WaitPlace:
    entry: WaitlistEntry
    position: int


def _not_found() -> NotFound:
    return NotFound(gettext("No event with that id."), code="not_found")


def _lock_event(event_id: int) -> Event | None:
    return (
        Event.objects.select_for_update()
        .only("pk", "title", "starts_at", "tickets_total", "tickets_available", "tickets_held")
        .filter(pk=event_id)
        .first()
    )


def waitlist_position(entry: WaitlistEntry) -> int:
    """1 for the head of the queue: waiting entries queued before this one, plus one."""
    ahead = WaitlistEntry.objects.filter(event_id=entry.event_id, status=WaitStatus.WAITING).filter(
        Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, id__lt=entry.pk)
    )
    return ahead.count() + 1


@transaction.atomic
def waitlist_join(*, event_id: int, user: Any, quantity: int) -> WaitPlace:
    """Queue `user` for `quantity` seats of a sold-out event; returns their place.

    Under the event's row lock, so no seat can be freed (and offered to the queue) between the
    check and the insert. 409 `tickets_available` (with `available`) when enough seats are on sale
    (buy them instead), `event_started`, `already_waiting` (with `position`, or `status: offered`
    when seats are already held for them); 404 for no event; 400 `invalid_quantity`.
    """
    problem = quantity_problem(quantity)
    if problem:
        raise InvalidInput(problem, code="invalid_quantity")
    now = timezone.now()
    event = _lock_event(event_id)
    if event is None:
        raise _not_found()
    if event.starts_at <= now:
        raise Conflict(gettext("This event has already started."), code="event_started")
    if event.tickets_available >= quantity:
        raise Conflict(
            gettext("%(tickets_available)s tickets are on sale: buy them instead of waiting.")
            % {"tickets_available": event.tickets_available},
            code="tickets_available",
            extra={"available": event.tickets_available},
        )
    live = WaitlistEntry.objects.filter(
        event_id=event_id, user_id=user.pk, status__in=[WaitStatus.WAITING, WaitStatus.OFFERED]
    ).first()
    if live is not None:
        _raise_already(live)
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(event_id=event_id, user_id=user.pk, quantity=quantity, created_at=now)
    except IntegrityError:  # pragma: no cover - the event lock serialises joins of one event
        raise Conflict(gettext("You are already on this waiting list."), code="already_waiting") from None
    return WaitPlace(entry=entry, position=waitlist_position(entry))


def _raise_already(live: WaitlistEntry) -> None:
    if live.status == WaitStatus.OFFERED:
        raise Conflict(
            gettext("Seats are held for you: buy them with POST /events/{id}/tickets."),
            code="already_waiting",
            extra={"status": "offered", "expires_at": live.expires_at.isoformat() if live.expires_at else None},
        )
    raise Conflict(
        gettext("You are already on this waiting list."),
        code="already_waiting",
        extra={"status": "waiting", "position": waitlist_position(live)},
    )


@transaction.atomic
def waitlist_leave(*, event_id: int, user: Any) -> bool:
    """Leave the waiting list; idempotent (False when not on it). Seats held for the user go back
    and are offered to the next waiters in the same transaction. 404 when there is no event."""
    event = _lock_event(event_id)
    if event is None:
        raise _not_found()
    live = list(
        WaitlistEntry.objects.filter(
            event_id=event_id, user_id=user.pk, status__in=[WaitStatus.WAITING, WaitStatus.OFFERED]
        ).values_list("pk", "status", "quantity")
    )
    if not live:
        return False
    for pk, status, quantity in live:
        deleted, _ = WaitlistEntry.objects.filter(pk=pk, status=status).delete()
        if deleted and status == WaitStatus.OFFERED:
            _release(event_id=event_id, quantity=quantity)
    offer_free_seats(event_id=event_id, now=timezone.now())
    return True


def _release(*, event_id: int, quantity: int) -> None:
    """Held seats back on sale. The caller holds the event's row lock."""
    Event.objects.filter(pk=event_id).update(
        tickets_held=F("tickets_held") - quantity, tickets_available=F("tickets_available") + quantity
    )


def offer_free_seats(*, event_id: int, now: datetime) -> list[WaitlistEntry]:
    """Hold the event's free seats for the first waiters they fit (events.rules.offers_for) and
    notify them. Must be called inside a transaction holding the event's row lock (every caller
    freed seats under it). Nothing is offered for an event that has started. Returns the offers.
    """
    event = Event.objects.filter(pk=event_id).values("title", "starts_at", "tickets_available").first()
    if event is None or event["starts_at"] <= now or event["tickets_available"] <= 0:
        return []
    free = event["tickets_available"]
    # Only waiters whose quantity can fit are read: at most the queue's head that fits, in order.
    queue = list(
        WaitlistEntry.objects.filter(event_id=event_id, status=WaitStatus.WAITING, quantity__lte=free)
        .order_by("created_at", "id")
        .values_list("pk", "quantity")[:free]
    )
    chosen = offers_for(free, queue)
    if not chosen:
        return []
    expires = now + timedelta(minutes=settings.TICKET_HOLD_MINUTES)
    quantities = dict(queue)
    held = 0
    offered: list[WaitlistEntry] = []
    for pk in chosen:
        # Compare-and-set: an entry that left meanwhile (deleted) is not offered.
        if WaitlistEntry.objects.filter(pk=pk, status=WaitStatus.WAITING).update(
            status=WaitStatus.OFFERED, offered_at=now, expires_at=expires
        ):
            held += quantities[pk]
            offered.append(WaitlistEntry.objects.get(pk=pk))
    if held:
        Event.objects.filter(pk=event_id).update(
            tickets_available=F("tickets_available") - held, tickets_held=F("tickets_held") + held
        )
    for entry in offered:
        notification_create(
            user_id=entry.user_id,
            kind=NotificationKind.WAITLIST_PROMOTION,
            title=f"Seats held for you: {event['title']}",
            body=(
                f"{entry.quantity} seat(s) of {event['title']} are held for you until "
                f"{expires:%Y-%m-%d %H:%M} UTC. Buy them on the event's page before then; "
                "after that they go to the next person waiting."
            ),
            url=f"/events/{event_id}",
            key=f"event-wait:{entry.pk}:offer",
        )
    return offered


def hold_take(*, event_id: int, user_id: int, now: datetime) -> WaitlistEntry | None:
    """The user's live hold on this event, marked `fulfilled` (compare-and-set), or None.

    Called by the purchase while it holds the event's row lock; the caller moves the held seats
    and must roll back if the purchase fails. A hold past `expires_at` is not taken (the tick
    releases it)."""
    entry = WaitlistEntry.objects.filter(event_id=event_id, user_id=user_id, status=WaitStatus.OFFERED).first()
    if entry is None:
        return None
    taken = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitStatus.OFFERED, expires_at__gt=now).update(
        status=WaitStatus.FULFILLED
    )
    return entry if taken else None


def holds_expire(*, now: datetime | None = None) -> int:
    """Clock tick: release every hold past `expires_at` and offer its seats to the next waiters.

    Idempotent: each hold is released by a compare-and-set (`offered` -> `lapsed`) under its
    event's row lock, so a duplicate or late tick, or a purchase taking the hold at the same
    moment, applies once. Returns how many holds lapsed."""
    now = now or timezone.now()
    due = list(
        WaitlistEntry.objects.filter(status=WaitStatus.OFFERED, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("pk", "event_id")[:EXPIRE_BATCH]
    )
    lapsed = 0
    for pk, event_id in due:
        with transaction.atomic():
            if _lock_event(event_id) is None:
                continue
            entry = WaitlistEntry.objects.filter(pk=pk).only("quantity").first()
            if entry is None:
                continue
            if not WaitlistEntry.objects.filter(pk=pk, status=WaitStatus.OFFERED, expires_at__lte=now).update(
                status=WaitStatus.LAPSED
            ):
                continue  # taken by a purchase, left, or released by another tick meanwhile
            _release(event_id=event_id, quantity=entry.quantity)
            offer_free_seats(event_id=event_id, now=now)
            lapsed += 1
    return lapsed


def holds_tick() -> None:
    holds_expire()
