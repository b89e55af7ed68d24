"""What a calendar feed shows: the sessions a gamer organises or attends and the events they
hold tickets for. A bounded number of queries whatever the number of items (three: the key,
the sessions, the events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from calendars.models import CalendarKey
from calendars.services import key_hash
from events.models import Event, OrderStatus, TicketOrder
from sessions_app.models import Attendance, GameSession

# Neither sessions nor events have an end time: the feed gives them a typical length.
SESSION_LENGTH = timedelta(hours=2)
EVENT_LENGTH = timedelta(hours=3)
KEY_MAX_LENGTH = 128


def _past_days() -> int:
    return int(getattr(settings, "CALENDAR_PAST_DAYS", 90))


def _max_items() -> int:
    return int(getattr(settings, "CALENDAR_MAX_ITEMS", 500))


@dataclass(frozen=True)
class CalendarItem:
    kind: str  # "session" | "event": with `id`, the stable UID `<kind>-<id>@<host>`
    id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    location: str
    path: str  # the web page, under SITE_URL
    modified: datetime
    note: str  # why it is in my calendar


def calendar_owner(*, key: str) -> int | None:
    """The id of the gamer whose feed `key` opens, or None (unknown, revoked, inactive owner)."""
    if not key or len(key) > KEY_MAX_LENGTH:
        return None
    return (
        CalendarKey.objects.filter(key_hash=key_hash(key), user__is_active=True)
        .values_list("user_id", flat=True)
        .first()
    )


def held_ticket_orders(*, user_id: int) -> QuerySet[TicketOrder]:
    """The orders that put an event in the gamer's calendar (a cancelled order does not)."""
    return TicketOrder.objects.filter(buyer_id=user_id, quantity__gt=0, status=OrderStatus.CONFIRMED)


def calendar_sessions(*, user_id: int, since: datetime, limit: int) -> QuerySet[GameSession]:
    attending = Attendance.objects.filter(session_id=OuterRef("pk"), gamer_id=user_id)
    return (
        GameSession.objects.filter(Q(organizer_id=user_id) | Exists(attending), starts_at__gte=since)
        .order_by("starts_at", "id")
        .only("id", "title", "game", "description", "platform", "starts_at", "updated_at", "organizer_id")[:limit]
    )


def calendar_events(*, user_id: int, since: datetime, limit: int) -> QuerySet[Event]:
    orders = held_ticket_orders(user_id=user_id)
    seats = orders.filter(event_id=OuterRef("pk")).order_by().values("event_id").annotate(n=Sum("quantity")).values("n")
    return (
        Event.objects.filter(pk__in=orders.values("event_id"), starts_at__gte=since)
        .annotate(seats=Subquery(seats, output_field=IntegerField()))
        .order_by("starts_at", "id")
        .only("id", "title", "description", "starts_at", "location", "city", "updated_at")[:limit]
    )


def calendar_items(*, user_id: int, now: datetime | None = None) -> list[CalendarItem]:
    """Items from CALENDAR_PAST_DAYS (90) ago on, soonest first, at most CALENDAR_MAX_ITEMS (500)
    sessions and as many events."""
    now = now or timezone.now()
    since, limit = now - timedelta(days=_past_days()), _max_items()
    items = [_session_item(s, user_id) for s in calendar_sessions(user_id=user_id, since=since, limit=limit)]
    items += [_event_item(e) for e in calendar_events(user_id=user_id, since=since, limit=limit)]
    items.sort(key=lambda item: (item.starts_at, item.kind, item.id))
    return items


def _session_item(session: GameSession, user_id: int) -> CalendarItem:
    role = "You organise this session." if session.organizer_id == user_id else "You are attending."
    platform = session.get_platform_display()
    return CalendarItem(
        kind="session",
        id=session.pk,
        title=f"{session.title} ({session.game})",
        description=f"{role}\n\n{session.description}".strip(),
        starts_at=session.starts_at,
        ends_at=session.starts_at + SESSION_LENGTH,
        location=f"Online ({platform})",
        path=f"/sessions/{session.pk}",
        modified=session.updated_at,
        note=role,
    )


def _event_item(event: Any) -> CalendarItem:
    seats = int(event.seats or 0)
    note = f"You hold {seats} ticket{'s' if seats != 1 else ''}."
    return CalendarItem(
        kind="event",
        id=event.pk,
        title=event.title,
        description=f"{note}\n\n{event.description}".strip(),
        starts_at=event.starts_at,
        ends_at=event.starts_at + EVENT_LENGTH,
        location=", ".join(part for part in (event.location, event.city) if part),
        path=f"/events/{event.pk}",
        modified=event.updated_at,
        note=note,
    )
