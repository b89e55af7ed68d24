"""Race tests: real threads buying tickets against PostgreSQL (SPEC §4 invariant)."""

import random
import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.db.models import Sum

from common.errors import Conflict
from conftest import make_gamer
from events import services
from events.models import Event, TicketOrder
from events.tests.factories import EventFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# PostgreSQL's default max_connections is 100, shared with whatever else runs: at most this many
# threads hold a connection at once. They still race: 25 concurrent transactions on one row.
DB_SLOTS = 25


def _server_full(exc: Exception) -> bool:
    return isinstance(exc, OperationalError) and "too many clients" in str(exc)


def run_in_threads(n: int, target) -> list:
    barrier = threading.Barrier(n)
    slots = threading.BoundedSemaphore(DB_SLOTS)
    results: list = [None] * n

    def worker(i: int) -> None:
        barrier.wait()
        with slots:
            # A refused *connection* (server full, other processes' fault) never started the
            # transaction: back off briefly and try again, a bounded number of times.
            for _ in range(100):
                try:
                    results[i] = target(i)
                except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
                    results[i] = exc
                finally:
                    connection.close()
                if not _server_full(results[i]):
                    break
                threading.Event().wait(0.1)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a buyer thread hung"
    return results


def sold(event: Event) -> int:
    return TicketOrder.objects.filter(event=event).aggregate(n=Sum("quantity"))["n"] or 0


@pytest.fixture
def buyers():
    return [make_gamer(f"racing buyer {i:03d}") for i in range(20)]


def test_200_buyers_of_one_ticket_each_for_50_tickets(buyers):
    event = EventFactory(tickets_total=50, ticket_price=Decimal("10.00"))

    def buy(i: int):
        return services.ticket_purchase(event_id=event.pk, user=buyers[i % len(buyers)], quantity=1)

    results = run_in_threads(200, buy)
    orders = [r for r in results if isinstance(r, TicketOrder)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(orders) == 50, [r for r in results if not isinstance(r, TicketOrder | Conflict)]
    assert len(refused) == 150
    assert all(r.code == "sold_out" and r.extra == {"available": 0} for r in refused)
    event.refresh_from_db()
    assert event.tickets_available == 0
    assert TicketOrder.objects.filter(event=event).count() == 50
    assert event.tickets_available + sold(event) == event.tickets_total == 50
    assert len({o.code for o in orders}) == 50


def test_100_buyers_of_mixed_quantities_never_oversell(buyers):
    event = EventFactory(tickets_total=173)
    rng = random.Random(4)
    wanted = [rng.randint(1, 10) for _ in range(100)]  # ~550 tickets asked for 173

    def buy(i: int):
        return services.ticket_purchase(event_id=event.pk, user=buyers[i % len(buyers)], quantity=wanted[i])

    results = run_in_threads(100, buy)
    orders = [r for r in results if isinstance(r, TicketOrder)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(orders) + len(refused) == 100, [r for r in results if not isinstance(r, TicketOrder | Conflict)]
    assert all(r.code == "sold_out" for r in refused)
    # A refusal always says truthfully that fewer tickets were left than asked.
    assert all(r.extra["available"] < wanted[i] for i, r in enumerate(results) if isinstance(r, Conflict))
    event.refresh_from_db()
    total_sold = sold(event)
    assert total_sold == sum(o.quantity for o in orders) <= 173
    assert event.tickets_available >= 0
    assert event.tickets_available + total_sold == event.tickets_total
    # Nobody was turned away while their quantity still fitted at the end.
    assert all(wanted[i] > event.tickets_available for i, r in enumerate(results) if isinstance(r, Conflict))


def test_purchases_racing_a_total_reduction_keep_the_invariant(buyers):
    organizer = make_gamer("racing organizer")
    event = EventFactory(organizer=organizer, tickets_total=60)

    def act(i: int):
        if i == 0:
            return services.event_update(event_id=event.pk, actor=organizer, tickets_total=40)
        return services.ticket_purchase(event_id=event.pk, user=buyers[i % len(buyers)], quantity=1)

    results = run_in_threads(61, act)
    event.refresh_from_db()
    assert event.tickets_available + sold(event) == event.tickets_total
    assert sold(event) <= event.tickets_total
    if isinstance(results[0], Event):
        assert event.tickets_total == 40
    else:  # the reduction lost the race: more than 40 had been sold by then
        assert event.tickets_total == 60 and sold(event) > 40


def test_delete_racing_purchases_never_leaves_orphan_orders(buyers):
    organizer = make_gamer("deleting organizer")
    event = EventFactory(organizer=organizer, tickets_total=30)

    def act(i: int):
        if i == 0:
            return services.event_delete(event_id=event.pk, actor=organizer)
        return services.ticket_purchase(event_id=event.pk, user=buyers[i % len(buyers)], quantity=1)

    results = run_in_threads(21, act)
    exists = Event.objects.filter(pk=event.pk).exists()
    if exists:
        assert isinstance(results[0], Conflict) and results[0].code == "tickets_sold"
        event.refresh_from_db()
        assert event.tickets_available + sold(event) == 30
    else:
        assert results[0] is None
        assert not TicketOrder.objects.filter(event_id=event.pk).exists()


def test_concurrent_bookmarks_of_one_event_by_one_user_make_one_row(buyers):
    event = EventFactory()
    results = run_in_threads(20, lambda i: services.bookmark_add(event_id=event.pk, user=buyers[0]))
    created = [r[1] for r in results if isinstance(r, tuple)]
    assert len(created) == 20, results
    assert created.count(True) == 1
    assert event.bookmarks.count() == 1


def test_racing_bookmark_writes_and_account_deletions_keep_the_counter_exact():
    """Adds, double adds, removes, double removes and account deletions of bookmarkers, all at
    once on one event (and a second one the deleted accounts also bookmarked): each counter ends
    equal to its bookmarks, and nothing fails (no deadlock between the lock orders)."""
    from gamers.services import gamer_delete_self

    event, other = EventFactory(), EventFactory()
    people = [make_gamer(f"racing bookmarker {i:02d}") for i in range(30)]
    for person in people[:15]:
        services.bookmark_add(event_id=event.pk, user=person)
        services.bookmark_add(event_id=other.pk, user=person)
    # 0-6 remove, 7-9 delete their accounts, 11 removes twice, 15-29 add (15 and 16 twice).
    plan = [("remove", i) for i in range(7)] + [("delete", i) for i in (7, 8, 9)] + [("remove", 11), ("remove", 11)]
    plan += [("add", i) for i in range(15, 30)] + [("add", 15), ("add", 16), ("add", 10)]

    def act(i: int):
        kind, who = plan[i]
        if kind == "add":
            return services.bookmark_add(event_id=event.pk, user=people[who])
        if kind == "remove":
            return services.bookmark_remove(event_id=event.pk, user=people[who])
        return gamer_delete_self(gamer=people[who])

    results = run_in_threads(len(plan), act)
    failures = [(plan[i], r) for i, r in enumerate(results) if isinstance(r, Exception)]
    assert not failures, failures
    event.refresh_from_db()
    other.refresh_from_db()
    assert event.bookmark_count == event.bookmarks.count() == 15 - 7 - 3 - 1 + 15
    assert other.bookmark_count == other.bookmarks.count() == 15 - 3
    removed_twice = [results[i] for i, step in enumerate(plan) if step == ("remove", 11)]
    assert sorted(removed_twice) == [False, True]


def test_bookmarks_racing_an_event_delete_end_cleanly():
    organizer = make_gamer("bookmark race organizer")
    event = EventFactory(organizer=organizer)
    fans = [make_gamer(f"late fan {i:02d}") for i in range(12)]
    for fan in fans[:6]:
        services.bookmark_add(event_id=event.pk, user=fan)

    def act(i: int):
        if i == 0:
            return services.event_delete(event_id=event.pk, actor=organizer)
        fan = fans[i - 1]
        if i <= 6:
            return services.bookmark_remove(event_id=event.pk, user=fan)
        return services.bookmark_add(event_id=event.pk, user=fan)

    results = run_in_threads(13, act)
    from common.errors import NotFound

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, NotFound)]
    assert not unexpected, unexpected
    assert results[0] is None  # the delete went through
    assert not Event.objects.filter(pk=event.pk).exists()
    from events.models import Bookmark

    assert not Bookmark.objects.filter(event_id=event.pk).exists()
