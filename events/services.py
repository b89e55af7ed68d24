"""Event, ticket and bookmark writes. Each service owns its transaction.

Ticket counters change only here: purchases with a conditional UPDATE (`tickets_available >= n`),
edits and deletes under a row lock, so `tickets_available + sold == tickets_total` holds however
many requests race (SPEC §4).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record
from common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from common.roles import Cap, can, is_owner_or_can
from events.models import Bookmark, Event, TicketOrder
from events.rules import new_order_code, quantity_problem

# Fields an organizer may set; the ticket counters are derived (see event_update).
EDITABLE_FIELDS = (
    "title",
    "description",
    "starts_at",
    "location",
    "city",
    "category",
    "image_url",
    "tickets_total",
    "ticket_price",
)
_CODE_ATTEMPTS = 5


def can_edit_event(user: Any, event: Event) -> bool:
    """Organizer or a holder of EVENTS_EDIT_ANY (admins) may edit and delete an event."""
    return is_owner_or_can(user, event.organizer_id, Cap.EVENTS_EDIT_ANY)


def _require_future(starts_at: datetime) -> None:
    if starts_at <= timezone.now():
        raise DjangoValidationError({"starts_at": ["The event must start in the future."]})


def _not_found() -> NotFound:
    return NotFound("No event with that id.", code="not_found")


def event_create(
    *,
    organizer: Any,
    title: str,
    starts_at: datetime,
    location: str,
    city: str,
    tickets_total: int,
    ticket_price: Decimal,
    description: str = "",
    category: str = "other",
    image_url: str = "",
) -> Event:
    """Create an event organised by `organizer`; every ticket starts available."""
    _require_future(starts_at)
    event = Event(
        organizer=organizer,
        title=title,
        description=description,
        starts_at=starts_at,
        location=location,
        city=city,
        category=category,
        image_url=image_url,
        tickets_total=tickets_total,
        tickets_available=tickets_total,
        ticket_price=ticket_price,
    )
    with transaction.atomic():
        event.save()
    return event


@transaction.atomic
def event_update(*, event_id: int, actor: Any, **changes: Any) -> Event:
    """Apply `changes` (a subset of EDITABLE_FIELDS) as the organizer or an admin.

    The row is locked, so a racing purchase waits: `tickets_total` can't drop below the tickets
    sold, and `tickets_available` moves with it so `available + sold == total` keeps holding.
    A new `starts_at` must be in the future.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"These fields can't be changed: {', '.join(sorted(unknown))}.", code="not_editable")
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise _not_found()
    if not can_edit_event(actor, event):
        raise PermissionDenied("Only the organizer or an admin can change this event.", code="not_organizer")
    if "starts_at" in changes and changes["starts_at"] != event.starts_at:
        _require_future(changes["starts_at"])
    if "tickets_total" in changes:
        sold = event.tickets_sold
        new_total = changes["tickets_total"]
        if new_total < sold:
            raise DjangoValidationError(
                {"tickets_total": [f"{sold} tickets are already sold; the total can't be lower than that."]}
            )
        event.tickets_available = new_total - sold
    for name, value in changes.items():
        setattr(event, name, value)
    fields = set(changes)
    if "tickets_total" in fields:
        fields.add("tickets_available")
    if fields:
        event.save(update_fields=[*fields, "updated_at"])
    return event


@transaction.atomic
def event_delete(*, event_id: int, actor: Any, reason: str = "") -> None:
    """Delete an event as its organizer or an admin; 409 `tickets_sold` once any ticket is sold.

    An admin deleting someone else's event is written to the audit log in the same transaction.
    The row lock makes a racing purchase either finish first (then this is 409) or find no event.
    """
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise _not_found()
    if not can_edit_event(actor, event):
        raise PermissionDenied("Only the organizer or an admin can delete this event.", code="not_organizer")
    if event.tickets_sold > 0 or TicketOrder.objects.filter(event_id=event.pk).exists():
        raise Conflict(
            f"{event.tickets_sold} tickets are sold for this event; it can't be deleted.",
            code="tickets_sold",
            extra={"tickets_sold": event.tickets_sold},
        )
    if event.organizer_id != actor.pk and can(actor, Cap.EVENTS_EDIT_ANY):
        audit_record(actor=actor, action="delete_event", target_type="event", target_id=event.pk, reason=reason)
    event.delete()


def ticket_purchase(*, event_id: int, user: Any, quantity: int) -> TicketOrder:
    """Buy `quantity` (1-10) tickets of an event that has not started, in one transaction.

    The conditional UPDATE (`... WHERE tickets_available >= quantity AND starts_at > now`)
    takes the row lock and decides races in the database: tickets are never oversold. The order
    row is written in the same transaction, so the counters and the orders always add up.
    The lock is held for three statements (UPDATE ... RETURNING, INSERT, COMMIT): that is what
    bounds the throughput of a race for one event.

    Raises InvalidInput `invalid_quantity`, NotFound, Conflict `event_started`, or Conflict
    `sold_out` with `available` (how many tickets are left, possibly fewer than asked).
    """
    problem = quantity_problem(quantity)
    if problem:
        raise InvalidInput(problem, code="invalid_quantity")
    for attempt in range(_CODE_ATTEMPTS):
        now = timezone.now()
        code = new_order_code()
        try:
            with transaction.atomic():
                unit_price = _take_tickets(event_id=event_id, quantity=quantity, now=now)
                if unit_price is None:
                    _raise_purchase_refused(event_id=event_id, now=now)
                return TicketOrder.objects.create(
                    code=code,
                    event_id=event_id,
                    buyer=user,
                    quantity=quantity,
                    unit_price=unit_price,
                    total_price=unit_price * quantity,
                )
        except IntegrityError:
            # The whole purchase rolled back (no savepoint on the hot path); a clash of random
            # codes (~1 in 10^11) is retried with a new code, anything else is a real error.
            if attempt == _CODE_ATTEMPTS - 1 or not TicketOrder.objects.filter(code=code).exists():
                raise
    raise AssertionError("unreachable")


def _take_tickets(*, event_id: int, quantity: int, now: datetime) -> Decimal | None:
    """Take `quantity` tickets if the event has them and has not started; returns the unit price
    (read under the row lock the UPDATE took), or None when nothing was taken."""
    if not _update_returning_supported():
        taken = Event.objects.filter(pk=event_id, starts_at__gt=now, tickets_available__gte=quantity).update(
            tickets_available=F("tickets_available") - quantity
        )
        if taken != 1:
            return None
        return Event.objects.filter(pk=event_id).values_list("ticket_price", flat=True).get()
    if not _pk_in_range(event_id):
        return None
    table = connection.ops.quote_name(Event._meta.db_table)
    sql = (
        f"UPDATE {table} SET tickets_available = tickets_available - %s "
        "WHERE id = %s AND starts_at > %s AND tickets_available >= %s RETURNING ticket_price"
    )
    starts_field = Event._meta.get_field("starts_at")
    with connection.cursor() as cursor:
        cursor.execute(sql, [quantity, event_id, starts_field.get_db_prep_value(now, connection), quantity])
        row = cursor.fetchone()
    if row is None:
        return None
    # PostgreSQL returns a Decimal; SQLite a number: normalise to the column's 2 places.
    return Decimal(str(row[0])).quantize(Decimal("0.01"))


def _update_returning_supported() -> bool:
    # PostgreSQL, and SQLite >= 3.35 (Django 5.2 accepts 3.31): the same flag covers UPDATE.
    return bool(connection.features.can_return_columns_from_insert)


def _pk_in_range(event_id: int) -> bool:
    # The ORM turns an out-of-range id into "no match"; raw SQL would raise an overflow instead.
    return isinstance(event_id, int) and 0 < event_id < 2**63


def _raise_purchase_refused(*, event_id: int, now: datetime) -> NoReturn:
    state = Event.objects.filter(pk=event_id).values("starts_at", "tickets_available").first()
    if state is None:
        raise _not_found()
    if state["starts_at"] <= now:
        raise Conflict("This event has already started; tickets are no longer sold.", code="event_started")
    available = state["tickets_available"]
    detail = "This event is sold out." if available == 0 else f"Only {available} tickets are left."
    raise Conflict(detail, code="sold_out", extra={"available": available})


def bookmark_add(*, event_id: int, user: Any) -> tuple[Bookmark, bool]:
    """Bookmark an event; idempotent. Returns (bookmark, created).

    The event's `bookmark_count` goes up in the same transaction as the new row. Lock order
    (shared by every bookmark write and by event_delete): the event row first, then bookmarks.
    Raises NotFound when there is no such event.
    """
    existing = Bookmark.objects.filter(user_id=user.pk, event_id=event_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            if not Event.objects.filter(pk=event_id).update(bookmark_count=F("bookmark_count") + 1):
                raise _not_found()
            return Bookmark.objects.create(user=user, event_id=event_id), True
    except IntegrityError:
        # Rolled back, counter included: this user's racing request bookmarked it first (the
        # unique constraint), or the event or the account went meanwhile (foreign keys).
        existing = Bookmark.objects.filter(user_id=user.pk, event_id=event_id).first()
        if existing is None:
            raise _not_found() from None
        return existing, False


@transaction.atomic
def bookmark_remove(*, event_id: int, user: Any) -> bool:
    """Remove a bookmark; idempotent. Returns whether one was removed. 404 if no such event.

    Locks the event row first (the shared lock order), so two removals of one bookmark can't
    both count it, then deletes the row and takes one off `bookmark_count`.
    """
    if not Event.objects.select_for_update().filter(pk=event_id).order_by().values_list("pk").first():
        raise _not_found()
    deleted, _ = Bookmark.objects.filter(user_id=user.pk, event_id=event_id).delete()
    if deleted:
        Event.objects.filter(pk=event_id).update(bookmark_count=F("bookmark_count") - deleted)
    return deleted > 0


@transaction.atomic
def bookmarks_remove_all(*, user_id: int) -> int:
    """Remove every bookmark of a user and take each off its event's `bookmark_count`; returns
    how many. Called while the account is being deleted (events' pre_delete receiver), inside
    the delete's transaction, so the counters and the cascade commit together.

    The account row is locked first: a bookmark of this user added meanwhile can't commit (its
    foreign key check waits for the lock, then finds the account gone). Then the events, in id
    order, before the bookmark rows (the lock order of bookmark_add / bookmark_remove).
    """
    get_user_model().objects.select_for_update().filter(pk=user_id).order_by().values_list("pk").first()
    candidates = list(Bookmark.objects.filter(user_id=user_id).values_list("event_id", flat=True))
    if not candidates:
        return 0
    list(Event.objects.select_for_update().filter(pk__in=candidates).order_by("pk").values_list("pk"))
    # Under the locks the set can only have shrunk (a racing bookmark_remove): read it again.
    event_ids = list(Bookmark.objects.filter(user_id=user_id).values_list("event_id", flat=True))
    Bookmark.objects.filter(user_id=user_id, event_id__in=event_ids).delete()
    Event.objects.filter(pk__in=event_ids).update(bookmark_count=F("bookmark_count") - 1)
    return len(event_ids)
