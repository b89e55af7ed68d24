from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from conftest import make_gamer
from events.models import Bookmark, Category, Event, Ticket, TicketOrder
from events.rules import new_order_code, new_ticket_code


class EventFactory(factory.django.DjangoModelFactory[Event]):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Test event {n}")
    description = "An evening to remember."
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    location = "Cité de la Culture"
    city = "Tunis"
    category = Category.MUSIC
    image_url = "https://example.com/poster.jpg"
    tickets_total = 100
    tickets_available = factory.LazyAttribute(lambda o: o.tickets_total)
    ticket_price = Decimal("25.00")
    organizer = factory.Sequence(lambda n: make_gamer(f"organizer {n:04d}"))


class BookmarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bookmark

    event = factory.SubFactory(EventFactory)

    @classmethod
    def _create(cls, model_class: type[Bookmark], *args: Any, **kwargs: Any) -> Bookmark:
        # Through the service, so the event's bookmark_count follows.
        from events.services import bookmark_add

        bookmark, _ = bookmark_add(event_id=kwargs["event"].pk, user=kwargs["user"])
        return bookmark


def sell(event: Event, buyer: Any, quantity: int, *, tickets: bool = True) -> TicketOrder:
    """Record a sale directly (for fixtures that need sold tickets, e.g. on a past event); with
    `tickets=False` the order has none, as orders made before issue 21."""
    Event.objects.filter(pk=event.pk).update(tickets_available=event.tickets_available - quantity)
    event.refresh_from_db()
    order = TicketOrder.objects.create(
        code=new_order_code(),
        event=event,
        buyer=buyer,
        quantity=quantity,
        unit_price=event.ticket_price,
        total_price=event.ticket_price * quantity,
    )
    if tickets:
        Ticket.objects.bulk_create(
            Ticket(order=order, event=event, code=new_ticket_code(), seat=seat) for seat in range(1, quantity + 1)
        )
    return order
