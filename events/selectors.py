"""Event reads. A list page is one query, plus its count (cached per version of the events
table, see common.counts) and, for a signed-in reader, one query for which of the page's
events they bookmarked: whatever the page size, and whatever the size of the table.

The API's rows are plain dicts (`QuerySet.values`) of EVENT_COLUMNS, shaped for the wire by
`events.serializers.event_representation`; `event_list` gives model instances to other callers
(the Discord bot).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from common.counts import CountedQuerySet
from events.models import Bookmark, Event, OrderStatus, Ticket, TicketOrder
from events.rules import city_key, search_terms
from events.search import search_filter

# What an event row carries for the API (see events.serializers.event_representation).
EVENT_COLUMNS = (
    "id",
    "title",
    "description",
    "starts_at",
    "location",
    "city",
    "category",
    "image_url",
    "tickets_total",
    "tickets_available",
    "tickets_held",
    "ticket_price",
    "organizer_id",
    "organizer__username",
    "created_at",
    "updated_at",
    "bookmark_count",
)

# Accepted `ordering` values: SPEC §4's four, and their reverses. `id` breaks ties so pages
# never overlap.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "starts_at": ("starts_at", "id"),
    "-starts_at": ("-starts_at", "-id"),
    "ticket_price": ("ticket_price", "starts_at", "id"),
    "-ticket_price": ("-ticket_price", "starts_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "-bookmark_count": ("-bookmark_count", "starts_at", "id"),
    "bookmark_count": ("bookmark_count", "starts_at", "id"),
}
DEFAULT_ORDERING = "starts_at"


def event_list(
    *,
    search: str | None = None,
    category: str | None = None,
    city: str | None = None,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    available: bool | None = None,
    ordering: str | None = None,
) -> QuerySet[Event]:
    """Events matching every given filter, in the given order (ties broken by id).

    `search` matches title, description and location, ignoring case and accents ("cafe" finds
    "Café"); with several words, an event must contain each of them. `city` compares the same
    way, as a whole. `available=True` keeps events whose tickets can still be bought (some left,
    not started); `False` keeps the others. Unknown `ordering` values raise ValueError.
    """
    qs = search_filter(Event.objects.all(), search_terms(search or ""))
    if category:
        qs = qs.filter(category=category)
    if city and city.strip():
        qs = qs.filter(city_key=city_key(city))
    if starts_after is not None:
        qs = qs.filter(starts_at__gte=starts_after)
    if starts_before is not None:
        qs = qs.filter(starts_at__lte=starts_before)
    if min_price is not None:
        qs = qs.filter(ticket_price__gte=min_price)
    if max_price is not None:
        qs = qs.filter(ticket_price__lte=max_price)
    if available is not None:
        buyable = Q(tickets_available__gt=0, starts_at__gt=timezone.now())
        qs = qs.filter(buyable if available else ~buyable)
    key = ordering or DEFAULT_ORDERING
    if key not in ORDERINGS:
        raise ValueError(f"unknown ordering {key!r}")
    return qs.order_by(*ORDERINGS[key])


def event_list_rows(**filters: Any) -> CountedQuerySet[Any]:
    """The rows of `GET /events/` (EVENT_COLUMNS), for the paginator, with `event_list`'s filters.

    The count is cached per version of the events table (its SQL repeats from request to
    request), except with `available`, whose SQL embeds the current time: counted directly.
    """
    events = event_list(**filters)
    # Counted as `SELECT COUNT(*) ... WHERE <filters>`: the one-column select's SQL (the cache
    # key) compiles in a third of the time of the 16-column page query's.
    return CountedQuerySet(
        events.values(*EVENT_COLUMNS),
        counted=events.order_by().values("pk"),
        depends_on=None if filters.get("available") is not None else (Event,),
    )


def bookmarked_among(*, user: Any, event_ids: Iterable[int]) -> set[int]:
    """Which of these events `user` bookmarked (nothing for anonymous readers): one query."""
    ids = list(event_ids)
    if not ids or user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(Bookmark.objects.filter(user_id=user.pk, event_id__in=ids).values_list("event_id", flat=True))


def event_row(*, event_id: int, viewer: Any = None) -> dict[str, Any] | None:
    """One event's row (EVENT_COLUMNS and `bookmarked_by_me`), or None: one query."""
    mine: Exists | Value = Value(False, output_field=BooleanField())
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        mine = Exists(Bookmark.objects.filter(event=OuterRef("pk"), user_id=viewer.pk))
    return (
        Event.objects.filter(pk=event_id)
        .annotate(bookmarked_by_me=mine)
        .values(*EVENT_COLUMNS, "bookmarked_by_me")
        .first()
    )


def bookmarked_event_rows(*, user: Any) -> QuerySet[Event, dict[str, Any]]:
    """The rows (EVENT_COLUMNS) of the events `user` bookmarked, most recently bookmarked first.

    Read from the user's bookmarks (index `bookmark_user_recent_idx`) joined to their events, so
    the page and its count cost what this user's bookmarks cost, not what the table holds; the
    count is not cached for that reason.
    """
    return (
        Event.objects.filter(bookmarks__user_id=user.pk)
        .order_by("-bookmarks__created_at", "-bookmarks__id")
        .values(*EVENT_COLUMNS)
    )


def _with_tickets(orders: QuerySet[TicketOrder]) -> QuerySet[TicketOrder]:
    """Orders with their events (joined) and tickets (one more query for the whole page)."""
    tickets = Ticket.objects.order_by("seat").only("id", "order_id", "code", "seat", "status", "checked_in_at")
    return orders.select_related("event").prefetch_related(Prefetch("tickets", queryset=tickets))


def ticket_orders_of(*, user: Any) -> QuerySet[TicketOrder]:
    """The user's ticket orders, newest first, with their events and tickets: two queries a page
    (a per-user count, not cached)."""
    return _with_tickets(TicketOrder.objects.filter(buyer_id=user.pk).order_by("-purchased_at", "-id"))


def ticket_order_of(*, user: Any, order_id: int) -> TicketOrder | None:
    """One of the user's orders with its event and tickets, or None (another user's is None too)."""
    return _with_tickets(TicketOrder.objects.filter(pk=order_id, buyer_id=user.pk)).first()


def event_attendees(*, event_id: int) -> QuerySet[TicketOrder]:
    """The confirmed orders of an event in purchase order, each with its buyer (`holder`) and
    `checked_in` (how many of its seats were scanned): one grouped query a page
    (index `order_event_idx`), whatever the page size."""
    return (
        TicketOrder.objects.filter(event_id=event_id, status=OrderStatus.CONFIRMED)
        .select_related("buyer")
        .only("id", "quantity", "purchased_at", "buyer__id", "buyer__username")
        .annotate(checked_in=Count("tickets", filter=Q(tickets__checked_in_at__isnull=False)))
        .order_by("purchased_at", "id")
    )
