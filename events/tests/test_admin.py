"""The back office: events, read-only orders and bookmarks in the Django admin."""

from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditLog
from events.models import Event
from events.services import bookmark_add
from events.tests.factories import EventFactory, sell

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def form_data(event: Event | None = None, **overrides) -> dict:
    starts = (event.starts_at if event else timezone.now() + timedelta(days=20)).astimezone(UTC)
    data = {
        "title": event.title if event else "Festival de Testour",
        "description": "Malouf.",
        "category": "music",
        "image_url": "https://example.com/a.jpg",
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "location": "Testour",
        "city": "Béja",
        "ticket_price": "10.00",
        "tickets_total": event.tickets_total if event else 100,
    }
    data.update(overrides)
    return data


def test_admin_lists_and_searches_events_orders_and_bookmarks(site, gamer):
    event = EventFactory(title="Sicca Jazz")
    sell(event, gamer, 2)
    bookmark_add(event_id=event.pk, user=gamer)
    for url in ("/admin/events/event/", "/admin/events/ticketorder/", "/admin/events/bookmark/"):
        response = site.get(url, {"q": "Sicca"})
        assert response.status_code == 200, url
        assert "Sicca Jazz" in response.content.decode()
    assert site.get("/admin/events/event/", {"category__exact": "music"}).status_code == 200


def test_orders_are_read_only_in_the_admin(site, gamer):
    event = EventFactory()
    order = sell(event, gamer, 1)
    assert site.get("/admin/events/ticketorder/add/").status_code == 403
    page = site.get(f"/admin/events/ticketorder/{order.pk}/change/")
    assert page.status_code == 200
    assert 'type="submit" value="Save"' not in page.content.decode()
    assert site.post(f"/admin/events/ticketorder/{order.pk}/delete/", {"post": "yes"}).status_code == 403


def test_adding_an_event_in_the_admin_goes_through_the_service(site, admin):
    response = site.post("/admin/events/event/add/", form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get()
    assert (event.organizer, event.tickets_available, event.city_key) == (admin, 100, "beja")


def test_admin_form_refuses_a_total_below_the_tickets_sold(site, gamer):
    event = EventFactory(tickets_total=10)
    sell(event, gamer, 6)
    response = site.post(f"/admin/events/event/{event.pk}/change/", form_data(event, tickets_total=5))
    assert response.status_code == 200
    assert "already sold" in response.content.decode()
    response = site.post(f"/admin/events/event/{event.pk}/change/", form_data(event, tickets_total=12))
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.tickets_total, event.tickets_available) == (12, 6)


def test_admin_form_lowers_the_total_below_the_available_count(site, gamer):
    event = EventFactory(tickets_total=10)
    sell(event, gamer, 2)
    response = site.post(f"/admin/events/event/{event.pk}/change/", form_data(event, tickets_total=5))
    assert response.status_code == 302, response.content.decode()[:3000]
    event.refresh_from_db()
    assert (event.tickets_total, event.tickets_available) == (5, 3)


def test_admin_cannot_delete_an_event_with_sales_but_can_delete_others_audited(site, admin, gamer):
    sold_event = EventFactory(organizer=gamer)
    sell(sold_event, gamer, 1)
    assert site.post(f"/admin/events/event/{sold_event.pk}/delete/", {"post": "yes"}).status_code == 403
    empty = EventFactory(organizer=gamer)
    assert site.post(f"/admin/events/event/{empty.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Event.objects.filter(pk=empty.pk).exists()
    assert AuditLog.objects.get().action == "delete_event"


def test_moderators_do_not_see_events_in_the_admin(moderator):
    client = Client()
    client.force_login(moderator)
    assert client.get("/admin/events/event/").status_code == 403


def test_an_order_shows_its_seats_read_only_and_waiting_lists_are_listed(site, gamer, other_gamer):
    from events.models import WaitlistEntry
    from events.services import ticket_purchase
    from events.waitlist import waitlist_join

    event = EventFactory(tickets_total=2)
    order = ticket_purchase(event_id=event.pk, user=gamer, quantity=2)
    waitlist_join(event_id=event.pk, user=other_gamer, quantity=1)
    page = site.get(f"/admin/events/ticketorder/{order.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for ticket in order.tickets.all():
        assert ticket.code in html
    assert 'name="tickets-0-seat"' not in html  # no editable inline field
    listing = site.get("/admin/events/waitlistentry/")
    assert listing.status_code == 200 and other_gamer.username in listing.content.decode()
    assert site.get("/admin/events/waitlistentry/add/").status_code == 403
    assert WaitlistEntry.objects.count() == 1
