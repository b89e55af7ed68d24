"""Tickets per seat, QR codes, check-in, attendees and cancellation (SPEC §4 "More for events")."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from conftest import client_for, make_gamer
from events import services
from events.codes import signed_code, verified_code
from events.models import Event, OrderStatus, Ticket, TicketOrder, TicketStatus
from events.tests.factories import EventFactory, sell
from gamers.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db


def buy(event, user, quantity=1) -> TicketOrder:
    return services.ticket_purchase(event_id=event.pk, user=user, quantity=quantity)


def invariant_holds(event: Event) -> bool:
    event.refresh_from_db()
    sold = sum(TicketOrder.objects.filter(event=event, status=OrderStatus.CONFIRMED).values_list("quantity", flat=True))
    return event.tickets_available + event.tickets_held + sold == event.tickets_total


def checkin(event) -> str:
    return f"/api/v1/events/{event.pk}/checkin"


# -- tickets per seat -------------------------------------------------------------------------


def test_a_purchase_makes_one_ticket_per_seat_with_distinct_unguessable_codes(gamer):
    event = EventFactory(tickets_total=20)
    order = buy(event, gamer, 4)
    tickets = list(order.tickets.order_by("seat"))
    assert [t.seat for t in tickets] == [1, 2, 3, 4]
    assert len({t.code for t in tickets}) == 4
    assert all(len(t.code) == 14 and t.event_id == event.pk and t.status == TicketStatus.VALID for t in tickets)
    assert all(t.checked_in_at is None for t in tickets)


def test_the_signed_code_verifies_and_any_change_to_it_does_not():
    signed = signed_code("7KQ3-M9XT-4HPA")
    assert verified_code(signed) == "7KQ3-M9XT-4HPA"
    assert verified_code(f"  {signed}\n") == "7KQ3-M9XT-4HPA"
    code, signature = signed.split(":")
    assert verified_code(f"7KQ3-M9XT-4HPB:{signature}") is None  # another code, same signature
    assert verified_code(code) is None  # unsigned
    assert verified_code(signed[:-1] + ("A" if signed[-1] != "A" else "B")) is None
    assert verified_code("") is None and verified_code("x" * 500) is None


def test_the_purchase_response_has_the_tickets_with_qr_codes(gamer_client):
    event = EventFactory(tickets_total=5)
    body = gamer_client.post(f"/api/v1/events/{event.pk}/tickets", {"quantity": 2}, format="json").json()
    stored = {t.code for t in Ticket.objects.filter(order_id=body["id"])}
    assert {verified_code(t["code"]) for t in body["tickets"]} == stored
    for ticket in body["tickets"]:
        assert ticket["qr"].startswith("<svg") and ticket["qr"].rstrip().endswith("</svg>")
        assert (ticket["status"], ticket["checked_in_at"]) == ("valid", None)


def test_a_purchase_sends_one_confirmation_with_every_code(gamer):
    event = EventFactory(tickets_total=5, title="Jazz à Tabarka")
    order = buy(event, gamer, 3)
    notes = Notification.objects.filter(user=gamer, kind=NotificationKind.TICKET_CONFIRMATION)
    assert notes.count() == 1
    note = notes.get()
    assert note.key == f"ticket-order:{order.pk}"
    assert "Jazz à Tabarka" in note.title
    for ticket in order.tickets.all():
        assert signed_code(ticket.code) in note.body
    buy(event, gamer, 1)
    assert notes.count() == 2  # a second order: its own confirmation


def test_my_ticket_detail_shows_qr_codes_and_hides_other_peoples_orders(gamer, other_gamer):
    event = EventFactory()
    order = buy(event, gamer, 2)
    response = client_for(gamer).get(f"/api/v1/me/tickets/{order.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["code"], body["status"], len(body["tickets"])) == (order.pk, order.code, "confirmed", 2)
    assert all(t["qr"].startswith("<svg") for t in body["tickets"])
    assert client_for(other_gamer).get(f"/api/v1/me/tickets/{order.pk}").status_code == 404
    assert client_for(gamer).get("/api/v1/me/tickets/999999").status_code == 404


def test_my_tickets_list_has_codes_without_qr_in_a_fixed_number_of_queries(gamer, django_assert_max_num_queries):
    events = [EventFactory() for _ in range(3)]
    for event in events:
        buy(event, gamer, 3)
    client = client_for(gamer)
    with django_assert_max_num_queries(5):  # user (+ its last_seen write), count, page with events, tickets
        response = client.get("/api/v1/me/tickets?page_size=100")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 3
    assert all(len(row["tickets"]) == 3 and "qr" not in row["tickets"][0] for row in rows)
    assert all(verified_code(t["code"]) for row in rows for t in row["tickets"])


def test_the_data_migration_gives_existing_orders_their_tickets(gamer):
    event = EventFactory(tickets_total=10)
    old = sell(event, gamer, 3, tickets=False)  # an order made the old way, without tickets
    has_tickets = buy(event, gamer, 1)
    migration = importlib.import_module("events.migrations.0005_tickets_for_existing_orders")
    migration.add_tickets(django_apps, None)
    assert sorted(old.tickets.values_list("seat", flat=True)) == [1, 2, 3]
    assert has_tickets.tickets.count() == 1  # untouched
    migration.add_tickets(django_apps, None)  # run twice: nothing more
    assert Ticket.objects.filter(event=event).count() == 4


# -- check-in ---------------------------------------------------------------------------------


def test_check_in_answers_200_the_first_time_then_409_with_the_time(gamer):
    event = EventFactory()
    order = buy(event, gamer, 2)
    code = signed_code(order.tickets.get(seat=1).code)
    door = client_for(event.organizer)
    first = door.post(checkin(event), {"code": code}, format="json")
    assert first.status_code == 200
    body = first.json()
    assert body["holder"] == {"id": gamer.pk, "username": gamer.username}
    assert (body["ticket"]["code"], body["ticket"]["seat"], body["ticket"]["order_id"]) == (code, 1, order.pk)
    assert body["ticket"]["order_quantity"] == 2 and body["ticket"]["checked_in_at"]
    again = door.post(checkin(event), {"code": code}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_checked_in"
    assert again.json()["checked_in_at"] == body["ticket"]["checked_in_at"]
    # The other seat of the order is still to be scanned.
    assert door.post(checkin(event), {"code": signed_code(order.tickets.get(seat=2).code)}).status_code == 200


def test_forged_unknown_and_other_events_codes_are_404_unknown_ticket(gamer):
    event, other_event = EventFactory(), EventFactory()
    mine = buy(event, gamer).tickets.get()
    theirs = buy(other_event, gamer).tickets.get()
    door = client_for(event.organizer)
    code, signature = signed_code(mine.code).split(":")
    for forged in [
        f"{code}:{signature[:-2]}xx",  # signature tampered
        code,  # the bare code
        signed_code("2222-3333-4444"),  # well signed, no such ticket
        signed_code(theirs.code),  # another event's ticket
        mine.order.code,  # the order code is not a ticket code
        "' OR 1=1 --",
    ]:
        response = door.post(checkin(event), {"code": forged}, format="json")
        assert response.status_code == 404, forged
        assert response.json()["code"] == "unknown_ticket"
    assert not Ticket.objects.filter(checked_in_at__isnull=False).exists()


def test_a_cancelled_ticket_is_409_ticket_cancelled(gamer):
    event = EventFactory()
    order = buy(event, gamer)
    services.ticket_cancel(order_id=order.pk, user=gamer)
    response = client_for(event.organizer).post(checkin(event), {"code": signed_code(order.tickets.get().code)})
    assert (response.status_code, response.json()["code"]) == (409, "ticket_cancelled")


def test_only_the_organizer_or_an_admin_checks_in(gamer, other_gamer, moderator, admin, api):
    event = EventFactory()
    order = buy(event, gamer, 2)
    codes = [signed_code(t.code) for t in order.tickets.all()]
    for user in (gamer, other_gamer, moderator):
        response = client_for(user).post(checkin(event), {"code": codes[0]}, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "not_organizer")
    assert api.post(checkin(event), {"code": codes[0]}, format="json").status_code == 401
    assert client_for(admin).post(checkin(event), {"code": codes[0]}, format="json").status_code == 200
    assert client_for(event.organizer).post(checkin(event), {"code": codes[1]}, format="json").status_code == 200
    assert client_for(admin).post("/api/v1/events/999999/checkin", {"code": codes[0]}).status_code == 404


def test_check_in_refuses_a_missing_or_non_string_code(gamer):
    event = EventFactory()
    door = client_for(event.organizer)
    for body in [{}, {"code": 5}, {"code": ["a"]}, {"code": None}]:
        assert door.post(checkin(event), body, format="json").status_code in (400, 404), body


def test_attendees_list_orders_with_quantities_and_check_ins(gamer, other_gamer, django_assert_max_num_queries):
    event = EventFactory()
    first = buy(event, gamer, 3)
    second = buy(event, other_gamer, 1)
    cancelled = buy(event, other_gamer, 2)
    services.ticket_cancel(order_id=cancelled.pk, user=other_gamer)
    door = client_for(event.organizer)
    for ticket in first.tickets.filter(seat__lte=2):
        assert door.post(checkin(event), {"code": signed_code(ticket.code)}).status_code == 200
    for extra in range(5):
        buy(event, make_gamer(f"late buyer {extra}"), 1)
    with django_assert_max_num_queries(5):  # user (+ its last_seen write), event, count, page
        response = door.get(f"/api/v1/events/{event.pk}/attendees?page_size=100")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert response.json()["count"] == 7  # the cancelled order is not an attendee
    assert rows[0] == {
        "order_id": first.pk,
        "holder": {"id": gamer.pk, "username": gamer.username},
        "quantity": 3,
        "checked_in": 2,
        "purchased_at": rows[0]["purchased_at"],
    }
    assert (rows[1]["order_id"], rows[1]["quantity"], rows[1]["checked_in"]) == (second.pk, 1, 0)
    assert cancelled.pk not in {row["order_id"] for row in rows}
    # The door list names people, never a code that could be copied into a ticket or an order.
    assert first.code not in response.content.decode()
    assert not any(t.code in response.content.decode() for t in first.tickets.all())


def test_attendees_are_for_the_organizer_and_admins_only(gamer, moderator, admin, api):
    event = EventFactory()
    url = f"/api/v1/events/{event.pk}/attendees"
    assert client_for(gamer).get(url).status_code == 403
    assert client_for(moderator).get(url).status_code == 403
    assert api.get(url).status_code == 401
    assert client_for(admin).get(url).status_code == 200
    assert client_for(admin).get("/api/v1/events/999999/attendees").status_code == 404


# -- cancellation -----------------------------------------------------------------------------


def test_cancelling_returns_the_seats_in_the_same_transaction(gamer):
    event = EventFactory(tickets_total=10, starts_at=timezone.now() + timedelta(days=5))
    order = buy(event, gamer, 4)
    event.refresh_from_db()
    assert event.tickets_available == 6
    response = client_for(gamer).post(f"/api/v1/me/tickets/{order.pk}/cancel")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"]) == (order.pk, "cancelled")
    assert body["cancelled_at"]
    assert all(t["status"] == "cancelled" and t["qr"] is None for t in body["tickets"])
    event.refresh_from_db()
    assert event.tickets_available == 10
    assert invariant_holds(event)


def test_cancelling_is_409_too_late_from_the_deadline_on(gamer, settings, time_machine):
    settings.TICKET_CANCEL_HOURS = 48
    starts = timezone.now() + timedelta(days=10)
    event = EventFactory(starts_at=starts)
    order = buy(event, gamer, 1)
    time_machine.move_to(starts - timedelta(hours=48, seconds=1), tick=False)
    # One second before the deadline it still works...
    early = buy(event, gamer, 1)
    assert services.ticket_cancel(order_id=early.pk, user=gamer).status == OrderStatus.CANCELLED
    # ... at the deadline it is too late.
    time_machine.move_to(starts - timedelta(hours=48), tick=False)
    response = client_for(gamer).post(f"/api/v1/me/tickets/{order.pk}/cancel")
    assert response.status_code == 409
    assert response.json()["code"] == "too_late"
    assert response.json()["deadline"] == (starts - timedelta(hours=48)).isoformat().replace("+00:00", "Z")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert invariant_holds(event)


def test_cancelling_twice_is_409_and_another_users_order_is_404(gamer, other_gamer):
    event = EventFactory(tickets_total=5)
    order = buy(event, gamer, 2)
    assert client_for(other_gamer).post(f"/api/v1/me/tickets/{order.pk}/cancel").status_code == 404
    assert client_for(gamer).post(f"/api/v1/me/tickets/{order.pk}/cancel").status_code == 200
    again = client_for(gamer).post(f"/api/v1/me/tickets/{order.pk}/cancel")
    assert (again.status_code, again.json()["code"]) == (409, "already_cancelled")
    event.refresh_from_db()
    assert event.tickets_available == 5  # returned once
    assert client_for(gamer).post("/api/v1/me/tickets/999999/cancel").status_code == 404


def test_an_order_with_a_scanned_ticket_cannot_be_cancelled(gamer):
    event = EventFactory(tickets_total=5)
    order = buy(event, gamer, 2)
    code = signed_code(order.tickets.first().code)
    assert client_for(event.organizer).post(checkin(event), {"code": code}).status_code == 200
    response = client_for(gamer).post(f"/api/v1/me/tickets/{order.pk}/cancel")
    assert (response.status_code, response.json()["code"]) == (409, "already_checked_in")


def test_cancelled_seats_can_be_bought_again_and_the_event_reads_right(gamer, other_gamer):
    event = EventFactory(tickets_total=2, ticket_price=Decimal("10.00"))
    order = buy(event, gamer, 2)
    services.ticket_cancel(order_id=order.pk, user=gamer)
    buy(event, other_gamer, 2)
    body = client_for(gamer).get(f"/api/v1/events/{event.pk}").json()
    assert (body["tickets_available"], body["tickets_sold"], body["tickets_held"]) == (0, 2, 0)
    assert invariant_holds(event)
