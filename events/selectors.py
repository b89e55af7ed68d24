"""Event reads. Every list is one query (plus the paginator's count), whatever the page size."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from events.models import Bookmark, Event, TicketOrder
from events.rules import city_key, search_terms

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


def _with_reader_fields(qs: QuerySet[Event], viewer: Any) -> QuerySet[Event]:
    """Annotate `bookmark_count` and `bookmarked_by_me` as correlated subqueries (no N+1)."""
    counts = Bookmark.objects.filter(event=OuterRef("pk")).order_by().values("event").annotate(n=Count("*")).values("n")
    # The search columns are for filtering only: don't ship them to Python.
    qs = (
        qs.select_related("organizer")
        .defer("search_text", "city_key")
        .annotate(bookmark_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)))
    )
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        mine = Bookmark.objects.filter(event=OuterRef("pk"), user_id=viewer.pk)
        return qs.annotate(bookmarked_by_me=Exists(mine))
    return qs.annotate(bookmarked_by_me=Value(False, output_field=BooleanField()))


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
    viewer: Any = None,
) -> QuerySet[Event]:
    """Events matching every given filter, annotated for readers.

    `search` matches title, description and location, ignoring case and accents ("cafe" finds
    "Café"); with several words, an event must contain each of them. `city` compares the same
    way, as a whole. `available=True` keeps events whose tickets can still be bought (some left,
    not started); `False` keeps the others. Unknown `ordering` values raise ValueError.
    """
    qs = Event.objects.all()
    for term in search_terms(search or ""):
        qs = qs.filter(search_text__contains=term)
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
    return _with_reader_fields(qs, viewer).order_by(*ORDERINGS[key])


def event_detail(*, event_id: int, viewer: Any = None) -> Event | None:
    """One event with the reader annotations, or None."""
    return _with_reader_fields(Event.objects.filter(pk=event_id), viewer).first()


def bookmarked_events(*, user: Any) -> QuerySet[Event]:
    """The events `user` bookmarked, most recently bookmarked first."""
    mine = Bookmark.objects.filter(event=OuterRef("pk"), user_id=user.pk)
    return (
        _with_reader_fields(Event.objects.filter(Exists(mine)), user)
        .annotate(bookmarked_at=Subquery(mine.values("created_at")[:1]))
        .order_by("-bookmarked_at", "-id")
    )


def ticket_orders_of(*, user: Any) -> QuerySet[TicketOrder]:
    """The user's ticket orders, newest first, with their events."""
    return TicketOrder.objects.filter(buyer_id=user.pk).select_related("event").order_by("-purchased_at", "-id")
