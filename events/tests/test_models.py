from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from events.models import Event, TicketOrder
from events.tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def _violates(**changes) -> bool:
    event = EventFactory.create(tickets_total=10)
    try:
        with transaction.atomic():
            Event.objects.filter(pk=event.pk).update(**changes)
    except IntegrityError:
        return True
    return False


def test_database_refuses_more_available_than_total():
    assert _violates(tickets_available=11)


def test_database_refuses_negative_available():
    assert _violates(tickets_available=-1)


def test_database_refuses_negative_price():
    assert _violates(ticket_price=Decimal("-0.01"))


def test_database_refuses_an_unknown_category():
    assert _violates(category="karaoke")


def test_database_accepts_the_edges():
    assert not _violates(tickets_available=0)
    assert not _violates(tickets_available=10, ticket_price=Decimal("0.00"))


@pytest.mark.parametrize(("quantity", "refused"), [(0, True), (11, True), (1, False), (10, False)])
def test_database_keeps_order_quantity_between_1_and_10(gamer, quantity, refused):
    event = EventFactory()
    order = TicketOrder(code=f"GC-TEST-{quantity:04d}", event=event, buyer=gamer, quantity=quantity)
    order.unit_price = Decimal("1.00")
    order.total_price = Decimal(quantity)
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        assert refused
    else:
        assert not refused


def test_order_codes_are_unique_in_the_database(gamer):
    event = EventFactory()
    fields = {"event": event, "buyer": gamer, "quantity": 1, "unit_price": Decimal(1), "total_price": Decimal(1)}
    TicketOrder.objects.create(code="GC-AAAA-BBBB", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketOrder.objects.create(code="GC-AAAA-BBBB", **fields)


def test_search_columns_follow_their_sources_even_with_update_fields():
    event = EventFactory(title="Nuit du Café", location="Sousse", city="Gabès", description="")
    assert event.search_text == "nuit du cafe\nsousse"
    assert event.city_key == "gabes"
    event.title = "Soirée Théâtre"
    event.city = "Béja"
    event.save(update_fields=["title", "city"])
    event.refresh_from_db()
    assert event.search_text.startswith("soiree theatre")
    assert event.city_key == "beja"


def test_an_event_with_orders_cannot_be_deleted_at_the_database_level(gamer):
    from django.db.models import ProtectedError

    from events.tests.factories import sell

    event = EventFactory()
    sell(event, gamer, 2)
    with pytest.raises(ProtectedError):
        event.delete()


def test_a_buyer_deleting_their_account_keeps_the_order_and_the_arithmetic(gamer):
    from events.tests.factories import sell

    event = EventFactory(tickets_total=10)
    order = sell(event, gamer, 3)
    gamer.delete()
    order.refresh_from_db()
    event.refresh_from_db()
    assert order.buyer_id is None
    assert event.tickets_available + order.quantity == event.tickets_total
