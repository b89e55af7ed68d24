"""Event, ticket and bookmark writes. Each service owns its transaction.

Ticket counters change only here and in events.waitlist: purchases with a conditional UPDATE
(`tickets_available >= n`), edits, deletes, cancellations and holds under the event's row lock,
so `tickets_available + tickets_held + sold == tickets_total` holds however many requests race
(SPEC §4). Lock order everywhere: the event row, then its orders, tickets and waiting list.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from audit.services import audit_record
from common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from common.roles import Cap, can, is_owner_or_can
from events.codes import signed_code
from events.models import Bookmark, Event, OrderStatus, Ticket, TicketOrder, TicketStatus, WaitlistEntry, WaitStatus
from events.rules import can_cancel, cancel_deadline, new_order_code, new_ticket_code, quantity_problem
from events.waitlist import hold_take, offer_free_seats
from gamers.models import NotificationKind
from gamers.services import notification_create

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
        raise DjangoValidationError({"starts_at": [gettext("The event must start in the future.")]})


def _not_found() -> NotFound:
    return NotFound(gettext("No event with that id."), code="not_found")


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
    sold plus those held for waiters, and `tickets_available` moves with it so `available + held +
    sold == total` keeps holding. Seats added are offered to the waiting list in the same
    transaction. A new `starts_at` must be in the future.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            gettext("These fields can't be changed: %(value)s.") % {"value": ", ".join(sorted(unknown))},
            code="not_editable",
        )
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise _not_found()
    if not can_edit_event(actor, event):
        raise PermissionDenied(gettext("Only the organizer or an admin can change this event."), code="not_organizer")
    if "starts_at" in changes and changes["starts_at"] != event.starts_at:
        _require_future(changes["starts_at"])
    if "tickets_total" in changes:
        sold, held = event.tickets_sold, event.tickets_held
        new_total = changes["tickets_total"]
        if new_total < sold + held:
            taken = f"{sold} tickets are already sold" + (f" and {held} held for the waiting list" if held else "")
            raise DjangoValidationError({"tickets_total": [f"{taken}; the total can't be lower than that."]})
        event.tickets_available = new_total - sold - held
    for name, value in changes.items():
        setattr(event, name, value)
    fields = set(changes)
    if "tickets_total" in fields:
        fields.add("tickets_available")
    if fields:
        event.save(update_fields=[*fields, "updated_at"])
    if "tickets_total" in fields:
        offer_free_seats(event_id=event.pk, now=timezone.now())
        event.refresh_from_db(fields=["tickets_available", "tickets_held"])
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
        raise PermissionDenied(gettext("Only the organizer or an admin can delete this event."), code="not_organizer")
    if event.tickets_sold > 0 or TicketOrder.objects.filter(event_id=event.pk).exists():
        raise Conflict(
            gettext("%(tickets_sold)s tickets are sold for this event; it can't be deleted.")
            % {"tickets_sold": event.tickets_sold},
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
    row, one Ticket per seat and the `ticket_confirmation` notification are written in the same
    transaction, so the counters and the orders always add up. The lock is held for a few
    statements (UPDATE ... RETURNING, two INSERTs, the notification, COMMIT): that is what bounds
    the throughput of a race for one event.

    A buyer holding seats from the waiting list (events.waitlist) buys with them: the hold counts
    towards `quantity` (more seats come from those on sale, fewer give the rest back), nobody else
    can take them.

    Raises InvalidInput `invalid_quantity`, NotFound, Conflict `event_started`, or Conflict
    `sold_out` with `available` (how many tickets are left, possibly fewer than asked).
    """
    problem = quantity_problem(quantity)
    if problem:
        raise InvalidInput(problem, code="invalid_quantity")
    for attempt in range(_CODE_ATTEMPTS):
        now = timezone.now()
        code = new_order_code()
        ticket_codes = [new_ticket_code() for _ in range(quantity)]
        try:
            with transaction.atomic():
                taken = _take_held(event_id=event_id, user=user, quantity=quantity, now=now)
                if taken is None:
                    taken = _take_tickets(event_id=event_id, quantity=quantity, now=now)
                if taken is None:
                    _raise_purchase_refused(event_id=event_id, now=now)
                unit_price, title = taken
                order = TicketOrder.objects.create(
                    code=code,
                    event_id=event_id,
                    buyer=user,
                    quantity=quantity,
                    unit_price=unit_price,
                    total_price=unit_price * quantity,
                    purchased_at=now,
                )
                Ticket.objects.bulk_create(
                    Ticket(order=order, event_id=event_id, code=ticket_code, seat=seat)
                    for seat, ticket_code in enumerate(ticket_codes, start=1)
                )
                _confirm(order=order, title=title, ticket_codes=ticket_codes)
                return order
        except IntegrityError:
            # The whole purchase rolled back (no savepoint on the hot path); a clash of random
            # codes (~1 in 10^11) is retried with new codes, anything else is a real error.
            clash = (
                TicketOrder.objects.filter(code=code).exists() or Ticket.objects.filter(code__in=ticket_codes).exists()
            )
            if attempt == _CODE_ATTEMPTS - 1 or not clash:
                raise
    raise AssertionError("unreachable")


def _confirm(*, order: TicketOrder, title: str, ticket_codes: list[str]) -> None:
    """The buyer's `ticket_confirmation` notification (mail and Discord after commit), once per
    order (key `ticket-order:<id>`), with the codes the door scans."""
    lines = "\n".join(f"Seat {seat}: {signed_code(c)}" for seat, c in enumerate(ticket_codes, start=1))
    notification_create(
        user_id=order.buyer_id,  # type: ignore[arg-type]  # the buyer exists: they are buying
        kind=NotificationKind.TICKET_CONFIRMATION,
        title=f"Your tickets: {title}",
        body=(
            f"Order {order.code}: {order.quantity} ticket(s) for {title}, {order.total_price} TND.\n"
            f"{lines}\nShow the QR codes (GET /me/tickets/{order.pk}) at the door."
        ),
        url=f"/me/tickets/{order.pk}",
        key=f"ticket-order:{order.pk}",
    )


def _take_held(*, event_id: int, user: Any, quantity: int, now: datetime) -> tuple[Decimal, str] | None:
    """Buy with the seats held for `user` from the waiting list, if they hold any: lock the event,
    take the hold (compare-and-set), and move `quantity` seats out of held + available. None when
    the user holds nothing here (the usual case: one indexed query, no lock)."""
    if not _pk_in_range(event_id) or not user.pk:
        return None
    if not WaitlistEntry.objects.filter(event_id=event_id, user_id=user.pk, status=WaitStatus.OFFERED).exists():
        return None
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None or event.starts_at <= now:
        return None
    hold = hold_take(event_id=event_id, user_id=user.pk, now=now)
    if hold is None:
        return None
    extra = quantity - hold.quantity
    if extra > event.tickets_available:
        available = event.tickets_available + hold.quantity
        raise Conflict(
            gettext("Only %(available)s tickets are left for you.") % {"available": available},
            code="sold_out",
            extra={"available": available},
        )
    Event.objects.filter(pk=event_id).update(
        tickets_held=F("tickets_held") - hold.quantity, tickets_available=F("tickets_available") - extra
    )
    if extra < 0:
        offer_free_seats(event_id=event_id, now=now)
    return Decimal(event.ticket_price).quantize(Decimal("0.01")), event.title


def _take_tickets(*, event_id: int, quantity: int, now: datetime) -> tuple[Decimal, str] | None:
    """Take `quantity` tickets if the event has them and has not started; returns the unit price
    (read under the row lock the UPDATE took) and the title, or None when nothing was taken."""
    if not _update_returning_supported():
        taken = Event.objects.filter(pk=event_id, starts_at__gt=now, tickets_available__gte=quantity).update(
            tickets_available=F("tickets_available") - quantity
        )
        if taken != 1:
            return None
        return Event.objects.filter(pk=event_id).values_list("ticket_price", "title").get()
    if not _pk_in_range(event_id):
        return None
    table = connection.ops.quote_name(Event._meta.db_table)
    sql = (
        f"UPDATE {table} SET tickets_available = tickets_available - %s "
        "WHERE id = %s AND starts_at > %s AND tickets_available >= %s RETURNING ticket_price, title"
    )
    starts_field = Event._meta.get_field("starts_at")
    with connection.cursor() as cursor:
        cursor.execute(sql, [quantity, event_id, starts_field.get_db_prep_value(now, connection), quantity])
        row = cursor.fetchone()
    if row is None:
        return None
    # PostgreSQL returns a Decimal; SQLite a number: normalise to the column's 2 places.
    return Decimal(str(row[0])).quantize(Decimal("0.01")), row[1]


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
        raise Conflict(gettext("This event has already started; tickets are no longer sold."), code="event_started")
    available = state["tickets_available"]
    detail = "This event is sold out." if available == 0 else f"Only {available} tickets are left."
    raise Conflict(detail, code="sold_out", extra={"available": available})


def _order_not_found() -> NotFound:
    return NotFound(gettext("No ticket order of yours with that id."), code="not_found")


def ticket_cancel(*, order_id: int, user: Any) -> TicketOrder:
    """Cancel one of `user`'s orders until TICKET_CANCEL_HOURS before the event starts.

    One transaction, locking the event row then the order (the shared lock order): the order and
    its tickets become `cancelled`, the seats go back on sale, and they are offered to the waiting
    list (events.waitlist), so `available + held + sold == total` holds at every commit.
    404 `not_found` for no such order of this user; 409 `already_cancelled`, `too_late` (with
    `deadline`), `already_checked_in` (a seat was already scanned at the door).
    """
    if not _pk_in_range(order_id):
        raise _order_not_found()
    now = timezone.now()
    with transaction.atomic():
        event_id = TicketOrder.objects.filter(pk=order_id, buyer_id=user.pk).values_list("event_id", flat=True).first()
        if event_id is None:
            raise _order_not_found()
        event = Event.objects.select_for_update().only("pk", "starts_at").get(pk=event_id)
        order = TicketOrder.objects.select_for_update().get(pk=order_id)
        if order.status == OrderStatus.CANCELLED:
            raise Conflict(gettext("This order is already cancelled."), code="already_cancelled")
        if not can_cancel(starts_at=event.starts_at, now=now, hours=settings.TICKET_CANCEL_HOURS):
            raise Conflict(
                gettext("Orders can be cancelled until %(TICKET_CANCEL_HOURS)s hours before the event starts.")
                % {"TICKET_CANCEL_HOURS": format(settings.TICKET_CANCEL_HOURS, "g")},
                code="too_late",
                extra={"deadline": _deadline_text(event.starts_at)},
            )
        # Locked, so a door scanning one of them now either finished first (refused here) or
        # waits and then finds the ticket cancelled.
        scanned = Ticket.objects.select_for_update().filter(order_id=order_id).values_list("checked_in_at", flat=True)
        if any(at is not None for at in scanned):
            raise Conflict(gettext("A ticket of this order was already checked in."), code="already_checked_in")
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = now
        order.save(update_fields=["status", "cancelled_at"])
        Ticket.objects.filter(order_id=order_id).update(status=TicketStatus.CANCELLED)
        Event.objects.filter(pk=event_id).update(tickets_available=F("tickets_available") + order.quantity)
        offer_free_seats(event_id=event_id, now=now)
    return order


def _deadline_text(starts_at: datetime) -> str:
    return cancel_deadline(starts_at, settings.TICKET_CANCEL_HOURS).isoformat().replace("+00:00", "Z")


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
