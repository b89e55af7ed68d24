from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Sum
from django.utils import timezone

from audit.models import AuditLog
from common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from events import services
from events.models import Bookmark, Event, TicketOrder
from events.tests.factories import EventFactory, sell

pytestmark = pytest.mark.django_db


def assert_invariant(event: Event) -> None:
    event.refresh_from_db()
    sold = TicketOrder.objects.filter(event=event).aggregate(n=Sum("quantity"))["n"] or 0
    assert event.tickets_available + sold == event.tickets_total


# -- ticket_purchase -----------------------------------------------------------------------


def test_purchase_takes_tickets_and_writes_the_order_at_the_current_price(gamer):
    event = EventFactory(tickets_total=20, ticket_price=Decimal("12.50"))
    order = services.ticket_purchase(event_id=event.pk, user=gamer, quantity=3)
    event.refresh_from_db()
    assert event.tickets_available == 17
    assert (order.quantity, order.unit_price, order.total_price) == (3, Decimal("12.50"), Decimal("37.50"))
    assert order.buyer == gamer and order.event_id == event.pk
    assert order.code.startswith("GC-")
    assert_invariant(event)


def test_purchase_of_the_last_tickets_leaves_zero(gamer):
    event = EventFactory(tickets_total=4)
    services.ticket_purchase(event_id=event.pk, user=gamer, quantity=4)
    event.refresh_from_db()
    assert event.tickets_available == 0
    assert_invariant(event)


def test_purchase_refuses_more_than_available_and_says_how_many_are_left(gamer):
    event = EventFactory(tickets_total=5)
    services.ticket_purchase(event_id=event.pk, user=gamer, quantity=3)
    with pytest.raises(Conflict) as caught:
        services.ticket_purchase(event_id=event.pk, user=gamer, quantity=3)
    assert caught.value.code == "sold_out"
    assert caught.value.extra == {"available": 2}
    event.refresh_from_db()
    assert event.tickets_available == 2
    assert TicketOrder.objects.filter(event=event).count() == 1


def test_purchase_on_a_sold_out_event_says_zero_left(gamer):
    event = EventFactory(tickets_total=0)
    with pytest.raises(Conflict) as caught:
        services.ticket_purchase(event_id=event.pk, user=gamer, quantity=1)
    assert (caught.value.code, caught.value.extra) == ("sold_out", {"available": 0})


def test_purchase_refuses_an_event_that_has_started(gamer):
    event = EventFactory(starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Conflict) as caught:
        services.ticket_purchase(event_id=event.pk, user=gamer, quantity=1)
    assert caught.value.code == "event_started"
    event.refresh_from_db()
    assert event.tickets_available == event.tickets_total


@pytest.mark.parametrize("quantity", [0, -1, 11, 10**9, "2", 1.5, True])
def test_purchase_refuses_a_bad_quantity_without_touching_the_event(gamer, quantity):
    event = EventFactory()
    with pytest.raises(InvalidInput) as caught:
        services.ticket_purchase(event_id=event.pk, user=gamer, quantity=quantity)
    assert caught.value.code == "invalid_quantity"
    event.refresh_from_db()
    assert event.tickets_available == event.tickets_total


def test_purchase_of_a_missing_event_is_not_found(gamer):
    with pytest.raises(NotFound):
        services.ticket_purchase(event_id=987654, user=gamer, quantity=1)


def test_order_code_collision_is_retried(gamer, monkeypatch):
    event = EventFactory()
    first = services.ticket_purchase(event_id=event.pk, user=gamer, quantity=1)
    codes = iter([first.code, first.code, "GC-NEWW-CODE"])
    monkeypatch.setattr(services, "new_order_code", lambda: next(codes))
    second = services.ticket_purchase(event_id=event.pk, user=gamer, quantity=1)
    assert second.code == "GC-NEWW-CODE"
    assert_invariant(event)


def test_purchase_works_without_update_returning(gamer, monkeypatch):
    monkeypatch.setattr(services, "_update_returning_supported", lambda: False)
    event = EventFactory(tickets_total=3, ticket_price=Decimal("7.25"))
    order = services.ticket_purchase(event_id=event.pk, user=gamer, quantity=2)
    assert (order.unit_price, order.total_price) == (Decimal("7.25"), Decimal("14.50"))
    with pytest.raises(Conflict) as caught:
        services.ticket_purchase(event_id=event.pk, user=gamer, quantity=2)
    assert caught.value.extra == {"available": 1}
    assert_invariant(event)


def test_purchase_price_keeps_two_decimals(gamer):
    event = EventFactory(ticket_price=Decimal("0.10"))
    order = services.ticket_purchase(event_id=event.pk, user=gamer, quantity=3)
    order.refresh_from_db()
    assert (order.unit_price, order.total_price) == (Decimal("0.10"), Decimal("0.30"))


# -- event_create / event_update / event_delete --------------------------------------------


def _create(organizer, **overrides):
    fields = {
        "title": "Tabarka Jazz",
        "starts_at": timezone.now() + timedelta(days=10),
        "location": "Basilique",
        "city": "Jendouba",
        "tickets_total": 50,
        "ticket_price": Decimal("45.00"),
    }
    fields.update(overrides)
    return services.event_create(organizer=organizer, **fields)


def test_create_makes_every_ticket_available(gamer):
    event = _create(gamer)
    assert (event.tickets_total, event.tickets_available, event.organizer) == (50, 50, gamer)
    assert "tabarka jazz" in event.search_text


def test_create_refuses_a_past_date(gamer):
    with pytest.raises(DjangoValidationError) as caught:
        _create(gamer, starts_at=timezone.now() - timedelta(seconds=1))
    assert "starts_at" in caught.value.message_dict


def test_update_keeps_sold_tickets_when_the_total_changes(gamer, other_gamer):
    event = EventFactory(organizer=gamer, tickets_total=10)
    sell(event, other_gamer, 4)
    updated = services.event_update(event_id=event.pk, actor=gamer, tickets_total=6)
    assert (updated.tickets_total, updated.tickets_available) == (6, 2)
    assert_invariant(event)
    updated = services.event_update(event_id=event.pk, actor=gamer, tickets_total=30)
    assert (updated.tickets_total, updated.tickets_available) == (30, 26)
    assert_invariant(event)


def test_update_refuses_a_total_below_the_tickets_sold(gamer, other_gamer):
    event = EventFactory(organizer=gamer, tickets_total=10)
    sell(event, other_gamer, 4)
    with pytest.raises(DjangoValidationError) as caught:
        services.event_update(event_id=event.pk, actor=gamer, tickets_total=3)
    assert "tickets_total" in caught.value.message_dict
    event.refresh_from_db()
    assert (event.tickets_total, event.tickets_available) == (10, 6)


def test_update_refreshes_the_search_columns(gamer):
    event = EventFactory(organizer=gamer)
    services.event_update(event_id=event.pk, actor=gamer, title="Soirée Café", city="Kébili")
    event.refresh_from_db()
    assert "soiree cafe" in event.search_text and event.city_key == "kebili"


def test_update_refuses_moving_the_event_into_the_past(gamer):
    event = EventFactory(organizer=gamer)
    with pytest.raises(DjangoValidationError):
        services.event_update(event_id=event.pk, actor=gamer, starts_at=timezone.now() - timedelta(days=1))


def test_update_refuses_the_counters_and_unknown_fields(gamer):
    event = EventFactory(organizer=gamer)
    with pytest.raises(InvalidInput):
        services.event_update(event_id=event.pk, actor=gamer, tickets_available=1000)


def test_update_is_for_the_organizer_or_an_admin(gamer, other_gamer, moderator, admin):
    event = EventFactory(organizer=gamer)
    for outsider in (other_gamer, moderator):
        with pytest.raises(PermissionDenied):
            services.event_update(event_id=event.pk, actor=outsider, title="Hijacked")
    services.event_update(event_id=event.pk, actor=admin, title="Edited by admin")
    event.refresh_from_db()
    assert event.title == "Edited by admin"


def test_delete_refuses_once_tickets_are_sold(gamer, other_gamer, admin):
    event = EventFactory(organizer=gamer)
    sell(event, other_gamer, 1)
    for actor in (gamer, admin):
        with pytest.raises(Conflict) as caught:
            services.event_delete(event_id=event.pk, actor=actor)
        assert caught.value.code == "tickets_sold"
    assert Event.objects.filter(pk=event.pk).exists()
    assert not AuditLog.objects.exists()


def test_organizer_deleting_their_event_is_not_audited(gamer):
    event = EventFactory(organizer=gamer)
    services.event_delete(event_id=event.pk, actor=gamer)
    assert not Event.objects.filter(pk=event.pk).exists()
    assert not AuditLog.objects.exists()


def test_admin_deleting_someone_elses_event_is_audited(gamer, admin):
    event = EventFactory(organizer=gamer)
    services.event_delete(event_id=event.pk, actor=admin, reason="spam")
    log = AuditLog.objects.get()
    assert (log.actor, log.action, log.target_type, log.target_id, log.reason) == (
        admin,
        "delete_event",
        "event",
        str(event.pk),
        "spam",
    )


def test_delete_is_refused_to_others(gamer, other_gamer, moderator):
    event = EventFactory(organizer=gamer)
    for outsider in (other_gamer, moderator):
        with pytest.raises(PermissionDenied):
            services.event_delete(event_id=event.pk, actor=outsider)
    assert Event.objects.filter(pk=event.pk).exists()


# -- bookmarks -----------------------------------------------------------------------------


def test_bookmark_add_is_idempotent(gamer):
    event = EventFactory()
    _, created = services.bookmark_add(event_id=event.pk, user=gamer)
    _, again = services.bookmark_add(event_id=event.pk, user=gamer)
    assert (created, again) == (True, False)
    assert Bookmark.objects.filter(user=gamer, event=event).count() == 1


def test_bookmark_remove_is_idempotent(gamer):
    event = EventFactory()
    services.bookmark_add(event_id=event.pk, user=gamer)
    assert services.bookmark_remove(event_id=event.pk, user=gamer) is True
    assert services.bookmark_remove(event_id=event.pk, user=gamer) is False


def test_bookmarks_of_a_missing_event_are_not_found(gamer):
    with pytest.raises(NotFound):
        services.bookmark_add(event_id=424242, user=gamer)
    with pytest.raises(NotFound):
        services.bookmark_remove(event_id=424242, user=gamer)
