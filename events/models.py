from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from events.rules import TICKETS_PER_ORDER_MAX, city_key, search_document

# Fields the derived columns are computed from (see Event.save).
_SEARCH_SOURCES = {"title", "description", "location"}


class Category(models.TextChoices):
    MUSIC = "music", "Music"
    THEATRE = "theatre", "Theatre"
    FESTIVAL = "festival", "Festival"
    ART = "art", "Art"
    CINEMA = "cinema", "Cinema"
    SPORT = "sport", "Sport"
    ESPORTS = "esports", "Esports"
    HERITAGE = "heritage", "Heritage"
    OTHER = "other", "Other"


class Event(models.Model):
    """A cultural or gaming event with tickets.

    Invariant (SPEC §4): `tickets_available + tickets_held + sum(confirmed order quantities) ==
    tickets_total`, and `0 <= tickets_available + tickets_held <= tickets_total` (checked by the
    database). `tickets_held` counts seats held for waiting-list members (WaitlistEntry `offered`).
    Only `events.services` changes the ticket counters, with conditional UPDATEs or a row lock.
    """

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    starts_at = models.DateTimeField()
    location = models.CharField(max_length=200)
    city = models.CharField(max_length=100, help_text="A Tunisian governorate or free text.")
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    image_url = models.URLField(max_length=500, blank=True, default="")
    tickets_total = models.PositiveIntegerField()
    tickets_available = models.PositiveIntegerField()
    # Seats held for waiting-list members (the sum of the quantities of `offered` entries).
    tickets_held = models.PositiveIntegerField(default=0, editable=False)
    ticket_price = models.DecimalField(max_digits=8, decimal_places=2, help_text="TND")
    # Kept (organizer NULL) when the organizer deletes their account: other people hold tickets.
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="organized_events"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Derived columns (see save): folded for case- and accent-insensitive search on any database.
    # `search_text` is indexed for substring search by the 0003 migration, outside Meta because
    # the index is vendor-specific: a pg_trgm GIN index on PostgreSQL, an FTS5 trigram table
    # kept in step by triggers on SQLite (events.search).
    search_text = models.TextField(editable=False, default="")
    city_key = models.CharField(max_length=100, editable=False, default="")
    # How many bookmarks point here: changed only by events.services, in the transaction that
    # adds or removes the bookmark (F() updates), so `-bookmark_count` orders through an index.
    bookmark_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        # One index per ordering of events.selectors.ORDERINGS, with its tie-breaks, so a page is
        # read in index order and stops after page_size rows (reverse orderings scan backwards),
        # and the equality filters with the default ordering behind them.
        indexes = [
            models.Index(fields=["starts_at", "id"], name="event_starts_idx"),
            models.Index(fields=["ticket_price", "starts_at", "id"], name="event_price_starts_idx"),
            models.Index(fields=["-ticket_price", "starts_at", "id"], name="event_price_desc_idx"),
            models.Index(fields=["created_at", "id"], name="event_created_idx"),
            models.Index(fields=["-bookmark_count", "starts_at", "id"], name="event_popular_idx"),
            models.Index(fields=["bookmark_count", "starts_at", "id"], name="event_unpopular_idx"),
            models.Index(fields=["category", "starts_at", "id"], name="event_category_idx"),
            models.Index(fields=["city_key", "starts_at", "id"], name="event_city_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(tickets_available__gte=0), name="event_available_not_negative"),
            models.CheckConstraint(
                condition=Q(tickets_available__lte=F("tickets_total")), name="event_available_within_total"
            ),
            models.CheckConstraint(
                condition=Q(tickets_available__lte=F("tickets_total") - F("tickets_held")),
                name="event_available_and_held_within_total",
            ),
            models.CheckConstraint(condition=Q(ticket_price__gte=0), name="event_price_not_negative"),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="event_category_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived columns stay in step with their sources wherever the row is saved
        # (services, admin, seeds), as Gamer.username_key does.
        self.refresh_derived()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = set()
            if _SEARCH_SOURCES & set(update_fields):
                extra.add("search_text")
            if "city" in update_fields:
                extra.add("city_key")
            kwargs["update_fields"] = {*update_fields, *extra}
        super().save(*args, **kwargs)

    def refresh_derived(self) -> None:
        """Recompute the search columns; `save()` does it, call it before `bulk_create`."""
        self.search_text = search_document(self.title, self.description, self.location)
        self.city_key = city_key(self.city)

    @property
    def tickets_sold(self) -> int:
        return self.tickets_total - self.tickets_available - self.tickets_held


class OrderStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class TicketOrder(models.Model):
    """One purchase of 1-10 tickets (one Ticket per seat), written in the same transaction as the
    counter update. A cancelled order keeps its row (status `cancelled`); its seats went back."""

    Status = OrderStatus

    code = models.CharField(max_length=16, unique=True, editable=False)
    # PROTECT: an event with orders can't be deleted (event_delete answers 409 `tickets_sold`).
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="orders")
    # SET_NULL: when a buyer deletes their account the order stays, anonymous, so the event's
    # ticket arithmetic (available + sold == total) still adds up.
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_orders"
    )
    quantity = models.PositiveSmallIntegerField()
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    total_price = models.DecimalField(max_digits=10, decimal_places=2)
    purchased_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.CONFIRMED)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-purchased_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "-purchased_at"], name="order_buyer_recent_idx"),
            models.Index(fields=["event", "purchased_at", "id"], name="order_event_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_valid"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=TICKETS_PER_ORDER_MAX), name="order_quantity_1_to_10"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_unit_price_not_negative"),
            # total_price == unit_price * quantity is not a database check: SQLite multiplies
            # decimals as floats (0.1 * 3 != 0.3). The service computes it with Decimal.
            models.CheckConstraint(condition=Q(total_price__gte=0), name="order_total_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.quantity} x {self.event_id})"


class TicketStatus(models.TextChoices):
    VALID = "valid", "Valid"
    CANCELLED = "cancelled", "Cancelled"


class Ticket(models.Model):
    """One seat of an order: what the door scans. `code` is random (unguessable, unique); the QR
    code and the API show it signed (events.rules / events.qr), and check-in verifies the
    signature before looking it up. `checked_in_at` is set once, by a conditional UPDATE."""

    Status = TicketStatus

    order = models.ForeignKey(TicketOrder, on_delete=models.CASCADE, related_name="tickets")
    # Denormalised from the order: check-in finds a ticket by (code, event) in one index probe.
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="tickets")
    code = models.CharField(max_length=20, unique=True, editable=False)
    seat = models.PositiveSmallIntegerField(help_text="1 to the order's quantity.")
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.VALID)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order_id", "seat"]
        constraints = [
            models.UniqueConstraint(fields=["order", "seat"], name="ticket_seat_once"),
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} (order {self.order_id}, seat {self.seat})"


class WaitStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Seats held"
    FULFILLED = "fulfilled", "Bought"
    LAPSED = "lapsed", "Hold lapsed"


class WaitlistEntry(models.Model):
    """A place on a sold-out event's waiting list.

    `waiting` -> `offered` (seats held: moved from `tickets_available` to `tickets_held`, until
    `expires_at`) -> `fulfilled` (bought) or `lapsed` (the hold passed on). Leaving deletes the
    row. Each step is a compare-and-set on `status` under the event's row lock (events.waitlist).
    """

    Status = WaitStatus

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="waitlist")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_waits")
    quantity = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=WaitStatus.choices, default=WaitStatus.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    offered_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["event", "status", "created_at", "id"], name="wait_event_queue_idx"),
            models.Index(fields=["status", "expires_at"], name="wait_expiry_idx"),
        ]
        constraints = [
            # One live place per user and event; a lapsed or fulfilled one doesn't block a new wait.
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status__in=[WaitStatus.WAITING, WaitStatus.OFFERED]),
                name="wait_once_per_user",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=TICKETS_PER_ORDER_MAX), name="wait_quantity_1_to_10"
            ),
            models.CheckConstraint(condition=Q(status__in=WaitStatus.values), name="wait_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} waits for {self.quantity} x {self.event_id} ({self.status})"


class Bookmark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_bookmarks")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="bookmark_once_per_user")]
        indexes = [models.Index(fields=["user", "-created_at"], name="bookmark_user_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.event_id}"
