"""Input and output shapes of the events API (SPEC §4)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from events.codes import qr_svg, signed_code
from events.models import Category, Event, Ticket, TicketOrder, TicketStatus
from events.rules import TICKETS_PER_ORDER_MAX, cancel_deadline
from events.selectors import ORDERINGS
from gamers.serializers import GamerSummarySerializer

TICKETS_TOTAL_MAX = 1_000_000
PRICE_MAX = Decimal("999999.99")
DESCRIPTION_MAX = 5000


def _no_surrogates(value: str) -> None:
    # A lone UTF-16 surrogate (valid in JSON "\ud800") can't be stored as UTF-8.
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise serializers.ValidationError(gettext("Text contains an invalid character."))


class Text(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(_no_surrogates)


# An event without an image has `image_url: ""`, which `format: uri` alone refuses.
URL_OR_BLANK = {
    "anyOf": [{"type": "string", "format": "uri", "maxLength": 500}, {"type": "string", "maxLength": 0}],
    "description": "An http(s) URL, or an empty string when the event has no image.",
}


@extend_schema_field(URL_OR_BLANK)
class ImageUrlField(serializers.URLField):
    pass


# -- output ---------------------------------------------------------------------------------


# The API builds this shape with `event_representation` (below); this serializer documents it in
# the OpenAPI schema and is the reference a test compares it with. (The docstring is the schema's.)
class EventSerializer(serializers.ModelSerializer):
    """An event as readers see it; expects the annotations of `events.selectors`."""

    organizer = GamerSummarySerializer(allow_null=True)
    image_url = ImageUrlField(read_only=True)
    tickets_sold = serializers.IntegerField()
    tickets_held = serializers.IntegerField(help_text="Seats held for people on the waiting list.")
    bookmark_count = serializers.IntegerField()
    bookmarked_by_me = serializers.BooleanField(help_text="Always false for anonymous readers.")

    class Meta:
        model = Event
        fields = [
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
            "tickets_sold",
            "tickets_held",
            "ticket_price",
            "organizer",
            "created_at",
            "updated_at",
            "bookmark_count",
            "bookmarked_by_me",
        ]
        read_only_fields = fields


def _utc_text(value: datetime) -> str:
    """A datetime as EventSerializer's DateTimeField writes it: in UTC, in DATETIME_FORMAT.

    With our `%Y-%m-%dT%H:%M:%S.%fZ`, that is the UTC datetime's ISO form with microseconds and
    a Z: 3 times cheaper than strftime, and a page formats 60 of them.
    """
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    if api_settings.DATETIME_FORMAT == "%Y-%m-%dT%H:%M:%S.%fZ" and value.year >= 1000:
        return value.isoformat(timespec="microseconds")[:-6] + "Z"  # drop "+00:00"
    return serializers.DateTimeField().to_representation(value)


def _price_text(value: Decimal) -> str:
    """A price as EventSerializer's DecimalField writes it: "60.00". The database hands back
    decimals with the column's 2 places (numeric(8,2) on PostgreSQL, Django's quantizing
    converter on SQLite), so this is their plain notation."""
    if value.as_tuple().exponent == -2:
        return format(value, "f")
    return serializers.DecimalField(max_digits=8, decimal_places=2).to_representation(value)


def event_representation(row: Mapping[str, Any], bookmarked_by_me: bool) -> dict[str, Any]:
    """What `EventSerializer` gives for the event in `row` (a dict of
    `events.selectors.EVENT_COLUMNS`), built directly.

    Lists are the hot read path: a ModelSerializer spends more CPU walking its fields for every
    row (attribute lookups, a to_representation per field, the nested organizer serializer)
    than the database spends finding the page. EventSerializer stays the documented shape (the
    OpenAPI schema), and a test asserts both agree field for field.
    """
    organizer_id = row["organizer_id"]
    return {
        "id": row["id"],
        "title": row["title"],
        "description": row["description"],
        "starts_at": _utc_text(row["starts_at"]),
        "location": row["location"],
        "city": row["city"],
        "category": row["category"],
        "image_url": row["image_url"],
        "tickets_total": row["tickets_total"],
        "tickets_available": row["tickets_available"],
        "tickets_sold": row["tickets_total"] - row["tickets_available"] - row["tickets_held"],
        "tickets_held": row["tickets_held"],
        "ticket_price": _price_text(row["ticket_price"]),
        "organizer": None if organizer_id is None else {"id": organizer_id, "username": row["organizer__username"]},
        "created_at": _utc_text(row["created_at"]),
        "updated_at": _utc_text(row["updated_at"]),
        "bookmark_count": row["bookmark_count"],
        "bookmarked_by_me": bookmarked_by_me,
    }


class EventSummarySerializer(serializers.ModelSerializer):
    """The event inside a ticket order."""

    image_url = ImageUrlField(read_only=True)

    class Meta:
        model = Event
        fields = ["id", "title", "starts_at", "location", "city", "image_url"]
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer):
    """One seat. `code` is signed (what the QR code holds and check-in takes)."""

    code = serializers.SerializerMethodField(help_text="The signed ticket code: what the QR code holds.")

    class Meta:
        model = Ticket
        fields = ["code", "seat", "status", "checked_in_at"]
        read_only_fields = fields

    def get_code(self, ticket: Ticket) -> str:
        return signed_code(ticket.code)


class TicketWithQrSerializer(TicketSerializer):
    qr = serializers.SerializerMethodField(help_text="SVG markup of a QR code of `code`; null once cancelled.")

    class Meta(TicketSerializer.Meta):
        fields = ["code", "qr", "seat", "status", "checked_in_at"]
        read_only_fields = fields

    def get_qr(self, ticket: Ticket) -> str | None:
        if ticket.status == TicketStatus.CANCELLED:
            return None
        return qr_svg(signed_code(ticket.code))


class TicketOrderSerializer(serializers.ModelSerializer):
    """An order in `GET /me/tickets`: its tickets without QR codes (see TicketOrderDetailSerializer)."""

    event = EventSummarySerializer()
    tickets = TicketSerializer(many=True)
    cancellable_until = serializers.SerializerMethodField()

    class Meta:
        model = TicketOrder
        fields = [
            "id",
            "event",
            "quantity",
            "unit_price",
            "total_price",
            "purchased_at",
            "code",
            "status",
            "cancelled_at",
            "cancellable_until",
            "tickets",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField())
    def get_cancellable_until(self, order: TicketOrder) -> str:
        """The last moment `POST /me/tickets/{id}/cancel` accepts (TICKET_CANCEL_HOURS before the start)."""
        deadline = cancel_deadline(order.event.starts_at, settings.TICKET_CANCEL_HOURS)
        return serializers.DateTimeField().to_representation(deadline)


class TicketOrderDetailSerializer(TicketOrderSerializer):
    """An order with a QR code per ticket (purchase, `GET /me/tickets/{id}`, cancel)."""

    tickets = TicketWithQrSerializer(many=True)


class CheckInTicketSerializer(TicketSerializer):
    order_id = serializers.IntegerField()
    order_quantity = serializers.IntegerField(source="order.quantity", help_text="Seats in the holder's order.")

    class Meta(TicketSerializer.Meta):
        fields = ["code", "seat", "status", "checked_in_at", "order_id", "order_quantity"]
        read_only_fields = fields


class CheckInResultSerializer(serializers.Serializer):
    ticket = CheckInTicketSerializer()
    holder = GamerSummarySerializer(allow_null=True, help_text="null when the buyer deleted their account.")


class CheckInSerializer(serializers.Serializer):
    code = Text(max_length=200, help_text="The signed ticket code, as the QR code holds it.")


class EventAttendeeSerializer(serializers.Serializer):
    order_id = serializers.IntegerField(source="id")
    holder = GamerSummarySerializer(source="buyer", allow_null=True)
    quantity = serializers.IntegerField()
    checked_in = serializers.IntegerField(help_text="How many of the order's seats are checked in.")
    purchased_at = serializers.DateTimeField()


class EventWaitlistJoinSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=TICKETS_PER_ORDER_MAX, help_text="1 to 10.")


class EventWaitlistPlaceSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 for the head of the queue.")
    quantity = serializers.IntegerField()
    status = serializers.CharField(help_text="`waiting`")
    created_at = serializers.DateTimeField()


class TicketConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    checked_in_at = serializers.DateTimeField(required=False, help_text="With `already_checked_in`.")
    deadline = serializers.DateTimeField(required=False, help_text="With `too_late`.")
    available = serializers.IntegerField(required=False, help_text="With `tickets_available`.")
    position = serializers.IntegerField(required=False, help_text="With `already_waiting` while waiting.")
    status = serializers.CharField(required=False, help_text="With `already_waiting`: `waiting` or `offered`.")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text="With `already_waiting`.")


class BookmarkResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    bookmarked = serializers.BooleanField()


class SoldOutSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="`sold_out`")
    available = serializers.IntegerField(help_text="Tickets left (fewer than asked, maybe 0).")


# -- input ----------------------------------------------------------------------------------


@extend_schema_field(URL_OR_BLANK)
class HttpUrlField(serializers.URLField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, URLValidator)]
        self.validators.append(URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL."))


class SafeDateTimeField(serializers.DateTimeField):
    """A DateTimeField whose out-of-range values (year 9999 + a negative offset) are a 400."""

    def to_internal_value(self, value: Any) -> datetime:
        try:
            return super().to_internal_value(value)
        except (OverflowError, ValueError) as exc:
            raise serializers.ValidationError(gettext("Date and time out of range.")) from exc


class FutureDateTimeField(SafeDateTimeField):
    def to_internal_value(self, value: Any) -> datetime:
        parsed = super().to_internal_value(value)
        if parsed <= timezone.now():
            raise serializers.ValidationError(gettext("The event must start in the future."))
        return parsed


class EventWriteSerializer(serializers.Serializer):
    title = Text(max_length=200)
    description = Text(max_length=DESCRIPTION_MAX, required=False, allow_blank=True, default="")
    starts_at = FutureDateTimeField(help_text="ISO 8601; must be in the future.")
    location = Text(max_length=200)
    city = Text(max_length=100, help_text="A Tunisian governorate (e.g. `Tunis`, `Sousse`) or free text.")
    category = serializers.ChoiceField(choices=Category.choices, required=False, default=Category.OTHER)
    image_url = HttpUrlField(max_length=500, required=False, allow_blank=True, default="")
    tickets_total = serializers.IntegerField(min_value=0, max_value=TICKETS_TOTAL_MAX)
    ticket_price = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0"), max_value=PRICE_MAX, help_text="TND, 2 decimals."
    )


class EventUpdateSerializer(EventWriteSerializer):
    """PATCH: any subset of the writable fields; defaults don't apply."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class TicketPurchaseSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=TICKETS_PER_ORDER_MAX, help_text="1 to 10.")


class DateOrDateTimeField(SafeDateTimeField):
    """Accepts `2026-07-01` (midnight UTC) as well as full ISO 8601 datetimes."""

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                pass
            else:
                return datetime.combine(day, time.min, tzinfo=UTC)
        return super().to_internal_value(value)


class EventListQuerySerializer(serializers.Serializer):
    search = Text(required=False, max_length=200, allow_blank=True, help_text="Title, description, location.")
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    city = Text(required=False, max_length=100, allow_blank=True)
    starts_after = DateOrDateTimeField(required=False)
    starts_before = DateOrDateTimeField(required=False)
    min_price = serializers.DecimalField(required=False, max_digits=8, decimal_places=2, min_value=Decimal("0"))
    max_price = serializers.DecimalField(required=False, max_digits=8, decimal_places=2, min_value=Decimal("0"))
    available = serializers.BooleanField(required=False, allow_null=True, default=None)
    ordering = serializers.ChoiceField(choices=list(ORDERINGS), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"max_price": ["Must be at least min_price."]})
        return attrs
