"""Race tests on PostgreSQL with real threads: check-in exactly once, and
`tickets_available + tickets_held + sold == tickets_total` under purchases, cancellations, waiting
list joins and leaves, holds, expiries and capacity changes racing (SPEC §4, issue 21)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count
from django.utils import timezone

from common.errors import Conflict, InvalidInput, NotFound
from conftest import make_gamer
from events import services, waitlist
from events.checkin import CheckIn, ticket_check_in
from events.codes import signed_code
from events.models import Event, OrderStatus, Ticket, TicketOrder, WaitlistEntry, WaitStatus
from events.tests.factories import EventFactory
from events.tests.test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def assert_invariant(event: Event) -> None:
    event.refresh_from_db()
    sold = sum(TicketOrder.objects.filter(event=event, status=OrderStatus.CONFIRMED).values_list("quantity", flat=True))
    held = sum(WaitlistEntry.objects.filter(event=event, status=WaitStatus.OFFERED).values_list("quantity", flat=True))
    assert event.tickets_available >= 0 and event.tickets_held >= 0
    assert event.tickets_held == held
    assert event.tickets_available + event.tickets_held + sold == event.tickets_total
    # Every confirmed seat has its valid ticket, every cancelled order only cancelled ones.
    valid = Ticket.objects.filter(event=event, status="valid").count()
    assert valid == sold
    # Nobody holds two live places.
    live = WaitlistEntry.objects.filter(event=event, status__in=[WaitStatus.WAITING, WaitStatus.OFFERED])
    assert not live.values("user").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_two_doors_scanning_the_same_code_check_it_in_once():
    organizer = make_gamer("door organizer")
    buyer = make_gamer("door buyer")
    event = EventFactory(organizer=organizer, tickets_total=10)
    order = services.ticket_purchase(event_id=event.pk, user=buyer, quantity=2)
    codes = [signed_code(t.code) for t in order.tickets.order_by("seat")]
    for round_ in range(5):  # several rounds: a lost race must never show up
        code = codes[0] if round_ == 0 else None
        if code is None:
            extra = services.ticket_purchase(event_id=event.pk, user=buyer, quantity=1)
            code = signed_code(extra.tickets.get().code)
        results = run_in_threads(2, lambda i, code=code: ticket_check_in(event_id=event.pk, code=code, actor=organizer))
        wins = [r for r in results if isinstance(r, CheckIn)]
        losses = [r for r in results if isinstance(r, Conflict)]
        assert (len(wins), len(losses)) == (1, 1), results
        assert losses[0].code == "already_checked_in"
        assert losses[0].extra["checked_in_at"] == wins[0].ticket.checked_in_at.isoformat().replace("+00:00", "Z")


def test_eight_doors_scanning_one_code_and_others_check_each_in_once():
    organizer = make_gamer("busy door organizer")
    event = EventFactory(organizer=organizer, tickets_total=40)
    buyers = [make_gamer(f"door buyer {i}") for i in range(4)]
    orders = [services.ticket_purchase(event_id=event.pk, user=b, quantity=5) for b in buyers]
    codes = [signed_code(t.code) for o in orders for t in o.tickets.all()]  # 20 codes
    plan = [codes[0]] * 8 + codes[1:] + codes[1:5]  # 8 doors on one code, every other once, 4 again

    results = run_in_threads(len(plan), lambda i: ticket_check_in(event_id=event.pk, code=plan[i], actor=organizer))
    unexpected = [r for r in results if not isinstance(r, CheckIn | Conflict)]
    assert not unexpected, unexpected
    assert sum(isinstance(r, CheckIn) for r in results) == 20
    assert all(r.code == "already_checked_in" for r in results if isinstance(r, Conflict))
    assert Ticket.objects.filter(event=event, checked_in_at__isnull=False).count() == 20


def test_purchases_cancellations_waits_holds_and_expiries_racing_keep_the_sum():
    organizer = make_gamer("race organizer")
    event = EventFactory(organizer=organizer, tickets_total=30, starts_at=timezone.now() + timedelta(days=10))
    people = [make_gamer(f"racer {i:02d}") for i in range(24)]
    # Sell out, put 10 people on the waiting list, then let everything happen at once.
    first_orders = [services.ticket_purchase(event_id=event.pk, user=people[i], quantity=3) for i in range(10)]
    for i in range(10, 20):
        waitlist.waitlist_join(event_id=event.pk, user=people[i], quantity=1 + i % 3)
    rng = random.Random(21)
    later = timezone.now() + timedelta(hours=2)  # past every hold made meanwhile

    plan: list[tuple[str, int]] = []
    plan += [("cancel", i) for i in range(6)]  # 18 seats come back, offered to waiters
    plan += [("buy", i) for i in range(10, 24)]  # holders buy with their hold; others find it sold out
    plan += [("leave", i) for i in (12, 15, 18)]
    plan += [("join", i) for i in range(20, 24)]
    plan += [("expire", 0)] * 4  # ticks from "later": lapse whatever is held at that moment
    plan += [("raise", 36), ("raise", 33)]
    rng.shuffle(plan)

    def act(i: int):
        kind, who = plan[i]
        if kind == "cancel":
            return services.ticket_cancel(order_id=first_orders[who].pk, user=people[who])
        if kind == "buy":
            return services.ticket_purchase(event_id=event.pk, user=people[who], quantity=1 + who % 3)
        if kind == "leave":
            return waitlist.waitlist_leave(event_id=event.pk, user=people[who])
        if kind == "join":
            return waitlist.waitlist_join(event_id=event.pk, user=people[who], quantity=2)
        if kind == "expire":
            return waitlist.holds_expire(now=later)
        return services.event_update(event_id=event.pk, actor=organizer, tickets_total=who)

    results = run_in_threads(len(plan), act)
    allowed = (Conflict, NotFound, InvalidInput, DjangoValidationError)  # a lower total may not fit
    failures = [(plan[i], r) for i, r in enumerate(results) if isinstance(r, Exception) and not isinstance(r, allowed)]
    assert not failures, failures
    refusals = {r.code for r in results if isinstance(r, Conflict)}
    assert refusals <= {"sold_out", "tickets_available", "already_waiting"}, refusals
    cancels = [r for (kind, _), r in zip(plan, results, strict=True) if kind == "cancel"]
    assert all(isinstance(r, TicketOrder) for r in cancels), cancels
    assert_invariant(event)
    # And after the dust settles: expiry passes until nothing is held, everything still adds up.
    when = later
    for _ in range(30):
        when += timedelta(hours=1)
        if not waitlist.holds_expire(now=when):
            break
    assert_invariant(event)
    assert Event.objects.get(pk=event.pk).tickets_held == 0
