"""The waiting list of a sold-out event and the seats held for waiters (SPEC §4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from common.clock import run_ticks_once
from common.errors import Conflict
from conftest import client_for, make_gamer
from events import services, waitlist
from events.models import Event, OrderStatus, TicketOrder, WaitlistEntry, WaitStatus
from events.rules import can_cancel, offers_for
from events.tests.factories import EventFactory
from gamers.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db


def buy(event, user, quantity=1) -> TicketOrder:
    return services.ticket_purchase(event_id=event.pk, user=user, quantity=quantity)


def state(event: Event) -> tuple[int, int, int]:
    """(available, held, sold); asserts the invariant and that `held` is what the holds add up to."""
    event.refresh_from_db()
    sold = sum(TicketOrder.objects.filter(event=event, status=OrderStatus.CONFIRMED).values_list("quantity", flat=True))
    held = sum(WaitlistEntry.objects.filter(event=event, status=WaitStatus.OFFERED).values_list("quantity", flat=True))
    assert event.tickets_available + event.tickets_held + sold == event.tickets_total
    assert event.tickets_held == held
    return event.tickets_available, event.tickets_held, sold


def wait_url(event) -> str:
    return f"/api/v1/events/{event.pk}/waitlist"


@pytest.fixture
def sold_out(gamer):
    event = EventFactory(tickets_total=4, starts_at=timezone.now() + timedelta(days=10))
    order = buy(event, gamer, 4)
    return event, order


# -- pure rules -------------------------------------------------------------------------------


def test_offers_go_to_the_first_waiters_that_fit_in_queue_order():
    assert offers_for(3, [(1, 2), (2, 2), (3, 1)]) == [1, 3]
    assert offers_for(1, [(1, 3), (2, 1)]) == [2]  # the head wants more than is free: keeps their place
    assert offers_for(0, [(1, 1)]) == []
    assert offers_for(10, []) == []


@given(
    free=st.integers(min_value=0, max_value=40),
    quantities=st.lists(st.integers(min_value=1, max_value=10), max_size=30),
)
def test_offers_never_exceed_the_free_seats_and_nobody_left_out_would_fit(free, quantities):
    waiting = list(enumerate(quantities))
    chosen = offers_for(free, waiting)
    assert chosen == sorted(chosen)  # queue order
    given_out = sum(quantities[i] for i in chosen)
    assert given_out <= free
    left = free - given_out
    # First fit: each waiter passed over wanted more than was left at their turn, and what is
    # left only shrinks, so none of them would fit in what is left at the end.
    assert all(quantities[i] > left for i in range(len(quantities)) if i not in chosen)


def test_cancellation_is_allowed_strictly_before_the_deadline():
    starts = timezone.now() + timedelta(days=3)
    deadline = starts - timedelta(hours=48)
    assert can_cancel(starts_at=starts, now=deadline - timedelta(microseconds=1), hours=48)
    assert not can_cancel(starts_at=starts, now=deadline, hours=48)


# -- joining and leaving ----------------------------------------------------------------------


def test_joining_a_sold_out_event_answers_202_with_the_position(sold_out, other_gamer):
    event, _ = sold_out
    response = client_for(other_gamer).post(wait_url(event), {"quantity": 2}, format="json")
    assert response.status_code == 202
    assert (response.json()["position"], response.json()["quantity"], response.json()["status"]) == (1, 2, "waiting")
    third = make_gamer("third waiter")
    assert client_for(third).post(wait_url(event), {"quantity": 1}, format="json").json()["position"] == 2


def test_joining_when_enough_seats_are_on_sale_is_409_tickets_available(gamer):
    event = EventFactory(tickets_total=3)
    buy(event, gamer, 2)
    response = client_for(gamer).post(wait_url(event), {"quantity": 1}, format="json")
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["available"]) == ("tickets_available", 1)
    # Asking for more than is left is a real wait.
    assert client_for(gamer).post(wait_url(event), {"quantity": 2}, format="json").status_code == 202


def test_joining_twice_is_409_already_waiting_with_the_position(sold_out, other_gamer):
    event, _ = sold_out
    client = client_for(other_gamer)
    assert client.post(wait_url(event), {"quantity": 1}, format="json").status_code == 202
    again = client.post(wait_url(event), {"quantity": 3}, format="json")
    assert again.status_code == 409
    assert (again.json()["code"], again.json()["position"]) == ("already_waiting", 1)
    assert WaitlistEntry.objects.filter(event=event, user=other_gamer).count() == 1


def test_joining_refuses_bad_quantities_started_and_missing_events(sold_out, other_gamer):
    event, _ = sold_out
    client = client_for(other_gamer)
    for bad in [0, 11, "x", None, 2.5]:
        assert client.post(wait_url(event), {"quantity": bad}, format="json").status_code == 400, bad
    assert client.post("/api/v1/events/999999/waitlist", {"quantity": 1}, format="json").status_code == 404
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    response = client.post(wait_url(event), {"quantity": 1}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "event_started")


def test_leaving_is_204_and_idempotent(sold_out, other_gamer):
    event, _ = sold_out
    client = client_for(other_gamer)
    client.post(wait_url(event), {"quantity": 1}, format="json")
    assert client.delete(wait_url(event)).status_code == 204
    assert not WaitlistEntry.objects.filter(event=event).exists()
    assert client.delete(wait_url(event)).status_code == 204
    assert client.delete("/api/v1/events/999999/waitlist").status_code == 404


def test_the_waitlist_needs_an_account(api, sold_out):
    event, _ = sold_out
    assert api.post(wait_url(event), {"quantity": 1}, format="json").status_code == 401
    assert api.delete(wait_url(event)).status_code == 401


# -- holds ------------------------------------------------------------------------------------


def test_a_cancellation_holds_the_seats_for_the_first_waiter_and_notifies_them(sold_out, gamer, settings):
    settings.TICKET_HOLD_MINUTES = 30
    event, order = sold_out
    first, second = make_gamer("first waiter"), make_gamer("second waiter")
    waitlist.waitlist_join(event_id=event.pk, user=first, quantity=4)
    waitlist.waitlist_join(event_id=event.pk, user=second, quantity=1)
    before = timezone.now()
    services.ticket_cancel(order_id=order.pk, user=gamer)
    assert state(event) == (0, 4, 0)  # every seat held for the head of the queue
    hold = WaitlistEntry.objects.get(user=first)
    assert hold.status == WaitStatus.OFFERED
    assert before + timedelta(minutes=30) <= hold.expires_at <= timezone.now() + timedelta(minutes=30)
    note = Notification.objects.get(user=first, kind=NotificationKind.WAITLIST_PROMOTION)
    assert note.key == f"event-wait:{hold.pk}:offer" and note.url == f"/events/{event.pk}"
    assert not Notification.objects.filter(user=second, kind=NotificationKind.WAITLIST_PROMOTION).exists()


def test_held_seats_are_the_holders_alone(sold_out, gamer):
    event, order = sold_out
    holder, stranger = make_gamer("the holder"), make_gamer("a stranger")
    waitlist.waitlist_join(event_id=event.pk, user=holder, quantity=2)
    services.ticket_cancel(order_id=order.pk, user=gamer)
    assert state(event) == (2, 2, 0)
    buy(event, stranger, 2)  # the two seats nobody waited for
    with pytest.raises(Conflict) as refused:
        buy(event, stranger, 1)
    assert (refused.value.code, refused.value.extra) == ("sold_out", {"available": 0})
    response = client_for(holder).post(f"/api/v1/events/{event.pk}/tickets", {"quantity": 2}, format="json")
    assert response.status_code == 201
    assert len(response.json()["tickets"]) == 2
    assert WaitlistEntry.objects.get(user=holder).status == WaitStatus.FULFILLED
    assert state(event) == (0, 0, 4)


def test_a_holder_buying_fewer_seats_passes_the_rest_on(sold_out, gamer):
    event, order = sold_out
    holder, next_one = make_gamer("the holder"), make_gamer("next in line")
    waitlist.waitlist_join(event_id=event.pk, user=holder, quantity=4)
    waitlist.waitlist_join(event_id=event.pk, user=next_one, quantity=3)
    services.ticket_cancel(order_id=order.pk, user=gamer)
    buy(event, holder, 1)
    assert WaitlistEntry.objects.get(user=next_one).status == WaitStatus.OFFERED
    assert state(event) == (0, 3, 1)


def test_a_holder_can_buy_more_than_held_when_seats_are_on_sale(gamer):
    event = EventFactory(tickets_total=5, starts_at=timezone.now() + timedelta(days=10))
    order = buy(event, gamer, 5)
    holder = make_gamer("the holder")
    waitlist.waitlist_join(event_id=event.pk, user=holder, quantity=2)
    services.event_update(event_id=event.pk, actor=event.organizer, tickets_total=8)  # 3 new seats
    assert state(event) == (1, 2, 5)
    with pytest.raises(Conflict) as too_many:
        buy(event, holder, 4)
    assert too_many.value.extra == {"available": 3}
    assert WaitlistEntry.objects.get(user=holder).status == WaitStatus.OFFERED  # the refusal rolled back
    buy(event, holder, 3)
    assert state(event) == (0, 0, 8)
    assert order.pk  # the first order is untouched


def test_a_lapsed_hold_passes_to_the_next_waiter_on_the_clock_tick(sold_out, gamer, time_machine, settings):
    settings.TICKET_HOLD_MINUTES = 30
    event, order = sold_out
    first, second = make_gamer("first waiter"), make_gamer("second waiter")
    waitlist.waitlist_join(event_id=event.pk, user=first, quantity=2)
    waitlist.waitlist_join(event_id=event.pk, user=second, quantity=2)
    services.ticket_cancel(order_id=order.pk, user=gamer)
    assert state(event) == (0, 4, 0)  # both fit: 2 + 2
    # Nothing lapses early.
    time_machine.move_to(timezone.now() + timedelta(minutes=29), tick=False)
    assert waitlist.holds_expire() == 0
    time_machine.move_to(timezone.now() + timedelta(minutes=2), tick=False)
    third = make_gamer("third waiter")
    waitlist.waitlist_join(event_id=event.pk, user=third, quantity=3)
    run_ticks_once()  # the registered tick: events.holds
    assert set(WaitlistEntry.objects.filter(status=WaitStatus.LAPSED).values_list("user_id", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert WaitlistEntry.objects.get(user=third).status == WaitStatus.OFFERED
    assert state(event) == (1, 3, 0)
    # A duplicate or late tick changes nothing.
    assert waitlist.holds_expire() == 0
    assert state(event) == (1, 3, 0)
    assert Notification.objects.filter(user=third, kind=NotificationKind.WAITLIST_PROMOTION).count() == 1


def test_an_expired_hold_is_not_bought_with_even_before_the_tick(sold_out, gamer, time_machine):
    event, order = sold_out
    holder = make_gamer("slow holder")
    waitlist.waitlist_join(event_id=event.pk, user=holder, quantity=4)
    services.ticket_cancel(order_id=order.pk, user=gamer)
    time_machine.move_to(timezone.now() + timedelta(hours=1), tick=False)
    with pytest.raises(Conflict) as refused:
        buy(event, holder, 4)
    assert refused.value.code == "sold_out"
    assert waitlist.holds_expire() == 1
    assert state(event) == (4, 0, 0)
    buy(event, holder, 4)  # now they are on sale, to anyone


def test_leaving_with_a_hold_gives_the_seats_to_the_next_waiter(sold_out, gamer, other_gamer):
    event, order = sold_out
    waitlist.waitlist_join(event_id=event.pk, user=other_gamer, quantity=4)
    next_one = make_gamer("next in line")
    waitlist.waitlist_join(event_id=event.pk, user=next_one, quantity=4)
    services.ticket_cancel(order_id=order.pk, user=gamer)
    assert client_for(other_gamer).delete(wait_url(event)).status_code == 204
    assert WaitlistEntry.objects.get(user=next_one).status == WaitStatus.OFFERED
    assert state(event) == (0, 4, 0)


def test_joining_while_holding_seats_says_so(sold_out, gamer, other_gamer):
    event, order = sold_out
    waitlist.waitlist_join(event_id=event.pk, user=other_gamer, quantity=4)
    services.ticket_cancel(order_id=order.pk, user=gamer)
    response = client_for(other_gamer).post(wait_url(event), {"quantity": 4}, format="json")
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["status"]) == ("already_waiting", "offered")


def test_raising_tickets_total_offers_the_new_seats_and_lowering_respects_holds(sold_out, other_gamer):
    event, _ = sold_out
    waitlist.waitlist_join(event_id=event.pk, user=other_gamer, quantity=2)
    organizer = client_for(event.organizer)
    assert organizer.patch(f"/api/v1/events/{event.pk}/", {"tickets_total": 7}, format="json").status_code == 200
    assert state(event) == (1, 2, 4)
    too_low = organizer.patch(f"/api/v1/events/{event.pk}/", {"tickets_total": 5}, format="json")
    assert too_low.status_code == 400 and "held" in too_low.json()["tickets_total"][0]
    assert organizer.patch(f"/api/v1/events/{event.pk}/", {"tickets_total": 6}, format="json").status_code == 200
    assert state(event) == (0, 2, 4)


def test_nothing_is_offered_once_the_event_has_started(sold_out, other_gamer):
    event, _ = sold_out
    waitlist.waitlist_join(event_id=event.pk, user=other_gamer, quantity=1)
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    services.event_update(event_id=event.pk, actor=event.organizer, tickets_total=6)
    assert WaitlistEntry.objects.get(user=other_gamer).status == WaitStatus.WAITING
    assert state(event) == (2, 0, 4)
